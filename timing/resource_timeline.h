// One resource that serves one operation at a time (a die, a channel, one
// direction of the PCIe link). Reservations may arrive out of time order:
// a transfer that becomes ready earlier than one already booked fills the
// idle gap before it (when the gap is long enough) instead of queueing
// behind it, and no transfer is ever free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nvmev::timing {

class ResourceTimeline {
public:
    // Books the earliest interval [start, start + duration) with
    // start >= earliest that overlaps no earlier booking; returns start.
    // Units are the caller's (the parallel model uses picoseconds).
    int64_t reserve(int64_t earliest, int64_t duration);

    // Drops bookings that end at or before `horizon`: callers promise never
    // to ask for a start before it again.
    void forget_before(int64_t horizon);

    // End of the last booking (0 when none).
    int64_t busy_until() const { return busy_.empty() ? 0 : busy_.back().end; }
    size_t bookings() const { return busy_.size(); }

private:
    struct Interval {
        int64_t start;
        int64_t end;
    };
    std::vector<Interval> busy_;  // sorted, disjoint, touching ones merged
};

}  // namespace nvmev::timing
