// LBA ranges marked by Write Uncorrectable: reads of them fail with
// Unrecovered Read Error until a write, Write Zeroes or deallocation
// covers them. Disjoint, merged intervals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

#include "../ftl/state_stream.h"

namespace nvmev {

class UncorrectableRanges {
public:
    void mark(uint64_t slba, uint64_t nlb);
    void clear(uint64_t slba, uint64_t nlb);
    // Whether any LBA of [slba, slba + nlb) is marked.
    bool any(uint64_t slba, uint64_t nlb) const;
    bool empty() const { return ranges_.empty(); }
    size_t size() const { return ranges_.size(); }

    // A namespace whose marks persist keeps at most `limit` disjoint ranges
    // (its drive state area has room for that many): can_mark() is false
    // for a mark that would add one more, and a clear that would split a
    // range past the limit keeps only the longer part's mark.
    void set_limit(size_t limit) { limit_ = limit; }
    bool can_mark(uint64_t slba, uint64_t nlb) const
    {
        return ranges_.size() < limit_ || any(slba ? slba - 1 : 0, nlb + (slba ? 2 : 1));
    }
    // Counts the calls that changed the marks (a checkpoint is due).
    uint64_t changes() const { return changes_; }
    // Checkpoint (docs/persistence.md); load() is false on ranges that are
    // not disjoint, sorted and inside `nlbas`.
    void save(ftl::StateWriter &w) const;
    bool load(ftl::StateReader &r, uint64_t nlbas);

private:
    std::map<uint64_t, uint64_t> ranges_;  // start -> end (exclusive)
    size_t limit_ = SIZE_MAX;
    uint64_t changes_ = 0;
};

}  // namespace nvmev
