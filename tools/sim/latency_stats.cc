#include "latency_stats.h"

#include <algorithm>
#include <cmath>

namespace nvmev::sim {

const double kPercentiles[17] = {1,  5,  10, 20, 30,   40,   50,    60,   70,
                                 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99};

double DirectionStats::stddev_ns() const
{
    if (ios < 2) {
        return 0;
    }
    const double n = static_cast<double>(ios);
    const double var = (sum_sq_ns - sum_ns * sum_ns / n) / (n - 1);
    return var > 0 ? std::sqrt(var) : 0;
}

std::vector<int64_t> percentiles(std::vector<int64_t> &samples)
{
    std::vector<int64_t> out;
    if (samples.empty()) {
        return out;
    }
    std::sort(samples.begin(), samples.end());
    for (double p : kPercentiles) {
        // ceil(p/100 * n) in exact integer steps: p has at most 2 decimals.
        const uint64_t scaled = static_cast<uint64_t>(std::llround(p * 100));
        const uint64_t rank = (scaled * samples.size() + 9999) / 10000;
        out.push_back(samples[std::max<uint64_t>(rank, 1) - 1]);
    }
    return out;
}

}  // namespace nvmev::sim
