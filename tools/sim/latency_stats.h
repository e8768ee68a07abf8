// Completion latencies and totals of one direction of one job.
#pragma once

#include <cstdint>
#include <vector>

namespace nvmev::sim {

struct DirectionStats {
    uint64_t ios = 0, bytes = 0, errors = 0;
    int64_t min_ns = 0, max_ns = 0;
    double sum_ns = 0, sum_sq_ns = 0;
    std::vector<int64_t> samples;  // every clat, kept for exact percentiles

    void add(int64_t clat_ns, uint64_t io_bytes)
    {
        if (ios == 0 || clat_ns < min_ns) {
            min_ns = clat_ns;
        }
        if (clat_ns > max_ns) {
            max_ns = clat_ns;
        }
        ios++;
        bytes += io_bytes;
        const double d = static_cast<double>(clat_ns);
        sum_ns += d;
        sum_sq_ns += d * d;
        samples.push_back(clat_ns);
    }
    double mean_ns() const { return ios ? sum_ns / static_cast<double>(ios) : 0; }
    double stddev_ns() const;
};

// fio's default clat percentiles.
extern const double kPercentiles[17];

// The nearest-rank percentiles (the smallest sample with at least p % of
// the samples at or below it) of `samples`, for each of kPercentiles.
// Sorts `samples`.
std::vector<int64_t> percentiles(std::vector<int64_t> &samples);

}  // namespace nvmev::sim
