// ssd=kv: best-fit extent allocation with coalescing on free.
#include "kv_extent_allocator.h"

#include <iterator>

namespace nvmev::ftl {

void KvExtentAllocator::reset(uint64_t total_units)
{
    by_offset_.clear();
    by_size_.clear();
    total_units_ = total_units;
    free_units_ = 0;
    if (total_units > 0) {
        add(0, total_units);
    }
}

void KvExtentAllocator::add(uint64_t start, uint64_t units)
{
    if (spare_offset_nodes_.empty()) {
        by_offset_.emplace(start, units);
        by_size_.emplace(units, start);
    } else {
        auto offset_node = std::move(spare_offset_nodes_.back());
        spare_offset_nodes_.pop_back();
        offset_node.key() = start;
        offset_node.mapped() = units;
        by_offset_.insert(std::move(offset_node));
        auto size_node = std::move(spare_size_nodes_.back());
        spare_size_nodes_.pop_back();
        size_node.value() = {units, start};
        by_size_.insert(std::move(size_node));
    }
    free_units_ += units;
}

void KvExtentAllocator::remove(std::map<uint64_t, uint64_t>::iterator it)
{
    spare_size_nodes_.push_back(by_size_.extract({it->second, it->first}));
    free_units_ -= it->second;
    spare_offset_nodes_.push_back(by_offset_.extract(it));
}

bool KvExtentAllocator::reserve(uint64_t start, uint64_t units)
{
    if (units == 0 || start >= total_units_ || units > total_units_ - start) {
        return false;
    }
    auto it = by_offset_.upper_bound(start);
    if (it == by_offset_.begin()) {
        return false;
    }
    --it;
    const uint64_t free_start = it->first;
    const uint64_t free_end = it->first + it->second;
    if (free_end < start + units) {
        return false;
    }
    remove(it);
    if (free_start < start) {
        add(free_start, start - free_start);
    }
    if (start + units < free_end) {
        add(start + units, free_end - (start + units));
    }
    return true;
}

bool KvExtentAllocator::allocate(uint64_t units, uint64_t &start)
{
    if (units == 0) {
        return false;
    }
    auto fit = by_size_.lower_bound({units, 0});
    if (fit == by_size_.end()) {
        return false;
    }
    const uint64_t have = fit->first;
    start = fit->second;
    free_units_ -= units;
    if (have == units) {
        spare_size_nodes_.push_back(by_size_.extract(fit));
        spare_offset_nodes_.push_back(by_offset_.extract(start));
        return true;
    }
    // Keep the remainder in the same nodes: a split allocates nothing.
    auto size_node = by_size_.extract(fit);
    size_node.value() = {have - units, start + units};
    by_size_.insert(std::move(size_node));
    auto offset_node = by_offset_.extract(start);
    offset_node.key() = start + units;
    offset_node.mapped() = have - units;
    by_offset_.insert(std::move(offset_node));
    return true;
}

void KvExtentAllocator::release(uint64_t start, uint64_t units)
{
    uint64_t merged_start = start;
    uint64_t merged_units = units;
    auto next = by_offset_.lower_bound(start);
    if (next != by_offset_.begin()) {
        auto prev = std::prev(next);
        if (prev->first + prev->second == start) {
            merged_start = prev->first;
            merged_units += prev->second;
            remove(prev);
        }
    }
    if (next != by_offset_.end() && start + units == next->first) {
        merged_units += next->second;
        remove(next);
    }
    add(merged_start, merged_units);
}

void KvExtentAllocator::set_used_prefix(uint64_t used_units)
{
    by_offset_.clear();
    by_size_.clear();
    free_units_ = 0;
    if (used_units < total_units_) {
        add(used_units, total_units_ - used_units);
    }
}

std::string KvExtentAllocator::check() const
{
    if (by_offset_.size() != by_size_.size()) {
        return "free extents: the offset and size views differ in count";
    }
    uint64_t sum = 0;
    uint64_t prev_end = 0;
    bool first = true;
    for (const auto &[start, units] : by_offset_) {
        const std::string where = "free extent at unit " + std::to_string(start);
        if (units == 0) {
            return where + " is empty";
        }
        if (start >= total_units_ || units > total_units_ - start) {
            return where + " is out of range";
        }
        if (!first && start < prev_end) {
            return where + " overlaps the one before it";
        }
        if (!first && start == prev_end) {
            return where + " is not merged with the one before it";
        }
        if (!by_size_.contains({units, start})) {
            return where + " is missing from the size view";
        }
        sum += units;
        prev_end = start + units;
        first = false;
    }
    if (sum != free_units_) {
        return "free extents sum to " + std::to_string(sum) + " units, the count says " +
               std::to_string(free_units_);
    }
    return "";
}

}  // namespace nvmev::ftl
