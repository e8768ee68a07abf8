// The controller's write buffer (DRAM) as a timed resource: a write is
// admitted when its bytes fit, and space comes back when the NAND program
// that drains those bytes ends. Pure: times are passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nvmev::timing {

class WriteBuffer {
public:
    explicit WriteBuffer(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

    // Earliest time >= now at which `bytes` more fit, counting only space
    // whose release time is known. Returns -1 when the bytes cannot fit
    // before the held (unscheduled) bytes are scheduled for release: the
    // caller must program what it holds and ask again.
    int64_t space_at(uint64_t bytes, int64_t now) const;

    // Admits `bytes` at `at` (a time space_at() returned): they are held
    // until release() schedules them.
    void admit(uint64_t bytes, int64_t at);

    // `bytes` of held data leave the buffer at `at` (their program's end).
    void release(uint64_t bytes, int64_t at);

    // Bytes in the buffer at `now`: admitted by then and not yet released.
    // Calls forget_before(now).
    uint64_t occupancy(int64_t now);
    // Callers promise never to pass an earlier `now` again: releases and
    // admissions at or before it are history.
    void forget_before(int64_t now);
    // Bytes admitted and not yet scheduled for release.
    uint64_t held() const { return held_; }
    // When everything scheduled so far has left the buffer.
    int64_t drained_at() const { return drained_at_; }

    struct Release {
        int64_t at;
        uint64_t bytes;
    };
    // What a checkpoint keeps (docs/persistence.md): the held bytes and the
    // releases and admissions still ahead of `now`, at most `most` (>= 1) of
    // each. Writes queued deep past a full buffer can have more ahead than
    // the buffer has pages; then runs of neighbours are merged, releases at
    // the run's last time and admissions at its first, so that after a
    // restore space returns no sooner and fills no later than it would
    // have. The buffer itself is unchanged.
    struct Saved {
        uint64_t held = 0;
        int64_t drained_at = 0;
        std::vector<Release> pending, admits;
    };
    Saved save(int64_t now, size_t most);
    void restore(Saved s);

private:
    uint64_t capacity_;
    uint64_t held_ = 0;
    uint64_t scheduled_ = 0;  // bytes with a release time in pending_
    int64_t drained_at_ = 0;
    // Sorted by release time (ties in release order): space_at() is const
    // and walks the releases in time order, which a heap cannot do.
    std::vector<Release> pending_;
    std::vector<Release> admits_;  // admissions after the last forget_before()
    uint64_t future_ = 0;          // their bytes
};

}  // namespace nvmev::timing
