#include "resource_timeline.h"

#include <algorithm>
#include <iterator>

namespace nvmev::timing {

int64_t ResourceTimeline::reserve(int64_t earliest, int64_t duration)
{
    if (duration <= 0) {
        return earliest;
    }
    // Ends are sorted because the intervals are disjoint: skip every
    // booking that is over by `earliest` without scanning it.
    auto it = std::partition_point(busy_.begin(), busy_.end(),
                                   [earliest](const Interval &iv) { return iv.end <= earliest; });
    int64_t start = earliest;
    while (it != busy_.end() && start + duration > it->start) {
        start = std::max(start, it->end);
        ++it;
    }
    const int64_t end = start + duration;

    // Merge with the neighbours the new interval touches, so that a busy
    // resource keeps one long booking instead of one per operation.
    const bool joins_prev = it != busy_.begin() && std::prev(it)->end == start;
    const bool joins_next = it != busy_.end() && it->start == end;
    if (joins_prev && joins_next) {
        std::prev(it)->end = it->end;
        busy_.erase(it);
    } else if (joins_prev) {
        std::prev(it)->end = end;
    } else if (joins_next) {
        it->start = start;
    } else {
        busy_.insert(it, Interval{start, end});
    }
    return start;
}

void ResourceTimeline::forget_before(int64_t horizon)
{
    auto it = std::partition_point(busy_.begin(), busy_.end(),
                                   [horizon](const Interval &iv) { return iv.end <= horizon; });
    // One erase of the whole prefix keeps this linear and the capacity.
    busy_.erase(busy_.begin(), it);
}

}  // namespace nvmev::timing
