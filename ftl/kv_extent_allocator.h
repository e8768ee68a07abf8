// ssd=kv: free-space management of the KV data region, in allocation units.
// Free extents are kept twice: by offset, so a freed extent merges with its
// neighbours, and by (length, offset), so an allocation takes the smallest
// free extent that fits (best fit), the lowest such on a tie.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace nvmev::ftl {

class KvExtentAllocator {
public:
    // Everything free: one extent [0, total_units).
    void reset(uint64_t total_units);
    // Marks [start, start + units) in use. False, changing nothing, unless it
    // lies inside a single free extent (out of range, or overlapping space
    // already in use).
    bool reserve(uint64_t start, uint64_t units);
    // Best fit. False when no single free extent holds `units` (there may
    // still be enough free space in total: see free_units()).
    bool allocate(uint64_t units, uint64_t &start);
    // Frees [start, start + units), which the caller holds, merging it with
    // free neighbours.
    void release(uint64_t start, uint64_t units);
    // After the caller packed everything in use into [0, used_units): the
    // rest becomes one free extent.
    void set_used_prefix(uint64_t used_units);

    uint64_t total_units() const { return total_units_; }
    uint64_t free_units() const { return free_units_; }
    // Free extents, start -> units, in offset order.
    const std::map<uint64_t, uint64_t> &free_extents() const { return by_offset_; }
    // "" when both views agree, extents are in range, disjoint, coalesced and
    // sum to free_units().
    std::string check() const;

private:
    void add(uint64_t start, uint64_t units);
    void remove(std::map<uint64_t, uint64_t>::iterator it);

    uint64_t total_units_ = 0;
    uint64_t free_units_ = 0;
    std::map<uint64_t, uint64_t> by_offset_;           // start -> units
    std::set<std::pair<uint64_t, uint64_t>> by_size_;  // (units, start)
    // Nodes of removed extents, reused by add(): an overwrite frees and
    // allocates extents on every store, and must not allocate nodes to do so.
    std::vector<std::map<uint64_t, uint64_t>::node_type> spare_offset_nodes_;
    std::vector<std::set<std::pair<uint64_t, uint64_t>>::node_type> spare_size_nodes_;
};

}  // namespace nvmev::ftl
