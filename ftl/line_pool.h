// The superblock lines of one FTL partition: line i is block i of every
// plane of every die in the partition. Lines cycle free -> open (a write
// pointer fills them) -> full -> (collected) -> free.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "conv_ftl.h"
#include "state_stream.h"

namespace nvmev::ftl {

struct Line {
    enum class State : uint8_t { Free, Open, Full };
    State state = State::Free;
    uint32_t valid = 0;         // valid 4 KiB slots
    uint32_t erase_count = 0;   // of its blocks (erased together)
    int64_t ready_ns = 0;       // its last erase ends: programs wait for it
    int64_t last_write_ns = 0;  // cost-benefit's age
};

class LinePool {
public:
    LinePool(uint32_t lines, uint32_t slots_per_line);

    Line &operator[](uint32_t i) { return lines_[i]; }
    const Line &operator[](uint32_t i) const { return lines_[i]; }
    uint32_t size() const { return static_cast<uint32_t>(lines_.size()); }
    uint32_t free_count() const { return free_count_; }
    uint32_t slots_per_line() const { return slots_per_line_; }

    // Oldest free line (FIFO spreads erases), now open. Needs free_count().
    uint32_t open_free();
    void close_full(uint32_t line) { lines_[line].state = Line::State::Full; }
    // A collected line, erased until ready_ns, back on the free list.
    void release(uint32_t line, int64_t ready_ns);

    // The full line GC should collect next, if any has an invalid slot.
    // Greedy: fewest valid slots. Cost-benefit: highest age * (1 - u) / 2u
    // (Rosenblum and Ousterhout's LFS cleaner), u = valid / slots.
    std::optional<uint32_t> pick_victim(GcPolicy policy, int64_t now_ns) const;

    uint32_t max_erase_count() const;

    // Checkpoint (docs/persistence.md): every line's state, valid count,
    // erase count and times, and the free list in its order. load() is
    // false on a stream that does not fit this pool.
    void save(StateWriter &w) const;
    bool load(StateReader &r);

private:
    std::vector<Line> lines_;
    // The free list, a FIFO ring over one slot per line: a line is on it at
    // most once, so it never grows (a deque allocates as it cycles, and GC
    // runs in the write path).
    std::vector<uint32_t> free_;
    uint32_t free_head_ = 0;
    uint32_t free_count_ = 0;
    uint32_t slots_per_line_;
};

}  // namespace nvmev::ftl
