// Device counters and the completion lateness histogram.
#pragma once

#include <array>
#include <cstdint>

namespace nvmev {

// Log-linear histogram of nanosecond values: exact below 64 ns, then 32
// sub-buckets per power of two (relative error under 3.2 %).
class LatenessHistogram {
public:
    void record(uint64_t ns);
    uint64_t percentile(double p) const;  // p in [0, 100]
    uint64_t max() const { return max_; }
    uint64_t count() const { return count_; }
    void clear();

    static unsigned bucket_of(uint64_t ns);
    static uint64_t bucket_upper(unsigned bucket);

private:
    static constexpr unsigned kSub = 32;
    static constexpr unsigned kBuckets = 64 + 58 * kSub;
    std::array<uint64_t, kBuckets> buckets_{};
    uint64_t count_ = 0;
    uint64_t max_ = 0;
};

struct DeviceCounters {
    uint64_t read_cmds = 0, write_cmds = 0, other_cmds = 0;
    uint64_t read_bytes = 0, write_bytes = 0;
    uint64_t error_cmds = 0;
    uint64_t completions = 0;
};

// What SMART / Health reports: lifetime values that statistics resets
// (nvmev-reset-stats) leave alone.
struct SmartCounters {
    uint64_t read_bytes = 0, write_bytes = 0;
    uint64_t host_read_cmds = 0, host_write_cmds = 0;
    uint64_t busy_ns = 0;
};

}  // namespace nvmev
