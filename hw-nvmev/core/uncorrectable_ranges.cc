// Write Uncorrectable marks as merged intervals.
#include "uncorrectable_ranges.h"

#include <algorithm>

namespace nvmev {

void UncorrectableRanges::mark(uint64_t slba, uint64_t nlb)
{
    if (nlb == 0) {
        return;
    }
    uint64_t start = slba, end = slba + nlb;
    // Merge every interval that overlaps or touches [start, end).
    auto it = ranges_.upper_bound(start);
    if (it != ranges_.begin() && std::prev(it)->second >= start) {
        --it;
    }
    while (it != ranges_.end() && it->first <= end) {
        start = std::min(start, it->first);
        end = std::max(end, it->second);
        it = ranges_.erase(it);
    }
    ranges_[start] = end;
    changes_++;
}

void UncorrectableRanges::clear(uint64_t slba, uint64_t nlb)
{
    if (nlb == 0 || ranges_.empty()) {  // empty: every write and read asks
        return;
    }
    const uint64_t start = slba, end = slba + nlb;
    auto it = ranges_.upper_bound(start);
    if (it != ranges_.begin() && std::prev(it)->second > start) {
        --it;
    }
    while (it != ranges_.end() && it->first < end) {
        changes_++;
        const uint64_t s = it->first, e = it->second;
        it = ranges_.erase(it);
        bool before = s < start;
        bool after = e > end;
        if (before && after && ranges_.size() + 2 > limit_) {
            // A split past the limit: only the longer part keeps its mark
            // (the later one on a tie), as the area has room for no more.
            before = start - s > e - end;
            after = !before;
        }
        if (before) {
            ranges_[s] = start;  // the part before the cleared range stays
        }
        if (e > end) {
            if (after) {
                ranges_[end] = e;  // and the part after it
            }
            break;
        }
    }
}

bool UncorrectableRanges::any(uint64_t slba, uint64_t nlb) const
{
    if (nlb == 0 || ranges_.empty()) {
        return false;
    }
    auto it = ranges_.upper_bound(slba);
    if (it != ranges_.begin() && std::prev(it)->second > slba) {
        return true;
    }
    return it != ranges_.end() && it->first < slba + nlb;
}

void UncorrectableRanges::save(ftl::StateWriter &w) const
{
    w.put(uint64_t{ranges_.size()});
    for (const auto &[start, end] : ranges_) {
        w.put(start);
        w.put(end);
    }
}

bool UncorrectableRanges::load(ftl::StateReader &r, uint64_t nlbas)
{
    uint64_t n = 0;
    if (!r.get(n) || n > limit_) {
        return false;
    }
    ranges_.clear();
    uint64_t last_end = 0;
    for (uint64_t i = 0; i < n; ++i) {
        uint64_t start = 0, end = 0;
        if (!r.get(start) || !r.get(end) || start >= end || end > nlbas ||
            (i && start <= last_end)) {
            return false;
        }
        ranges_.emplace_hint(ranges_.end(), start, end);
        last_end = end;
    }
    return true;
}

}  // namespace nvmev
