// Simple (Optane-like) timing model: a fixed latency per operation type and a
// bandwidth-limited pipe per direction. See docs/models.md for the formulas.
#pragma once

#include <cstdint>

namespace nvmev::timing {

struct SimpleParams {
    int64_t latency_ns = 0;      // isolated one-unit request: fetch -> done
    int64_t bandwidth_mbps = 1;  // MB/s (10^6 bytes per second), > 0
    uint32_t unit_bytes = 4096;  // the I/O unit the latency is quoted for
};

// One direction (read or write) of the device. Time is passed in; the model
// has no clock of its own, so a test can assert exact completion times.
class SimplePipe {
public:
    explicit SimplePipe(const SimpleParams &params) : params_(params), overhead_ns_(overhead_ns())
    {
    }

    // Completion time of a request of `bytes` fetched at `now_ns`.
    int64_t submit(int64_t now_ns, uint64_t bytes);

    // Time at which everything submitted so far has left the pipe.
    int64_t drained_at_ns() const { return busy_until_ns_; }

    const SimpleParams &params() const { return params_; }
    // New parameters apply to requests submitted from now on.
    void retune(const SimpleParams &params, int64_t now_ns);

    // Nanoseconds to move `bytes` at the configured bandwidth (rounded up).
    int64_t transfer_ns(uint64_t bytes) const;

private:
    // The part of the latency pipelined behind the transfer (see submit).
    int64_t overhead_ns() const;

    SimpleParams params_;
    int64_t overhead_ns_;  // overhead_ns() of params_, kept off the I/O path
    // Bytes admitted since epoch_ns_ while the pipe stayed busy. Keeping the
    // sum (rather than adding rounded per-request times) makes saturated
    // throughput exactly the configured bandwidth at any request size.
    int64_t epoch_ns_ = 0;
    uint64_t epoch_bytes_ = 0;
    int64_t busy_until_ns_ = 0;
};

}  // namespace nvmev::timing
