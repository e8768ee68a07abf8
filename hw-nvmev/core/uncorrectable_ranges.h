// LBA ranges marked by Write Uncorrectable: reads of them fail with
// Unrecovered Read Error until a write, Write Zeroes or deallocation
// covers them. Disjoint, merged intervals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

namespace nvmev {

class UncorrectableRanges {
public:
    void mark(uint64_t slba, uint64_t nlb);
    void clear(uint64_t slba, uint64_t nlb);
    // Whether any LBA of [slba, slba + nlb) is marked.
    bool any(uint64_t slba, uint64_t nlb) const;
    bool empty() const { return ranges_.empty(); }
    size_t size() const { return ranges_.size(); }

private:
    std::map<uint64_t, uint64_t> ranges_;  // start -> end (exclusive)
};

}  // namespace nvmev
