#include "stats.h"

#include <bit>

namespace nvmev {

unsigned LatenessHistogram::bucket_of(uint64_t ns)
{
    if (ns < 64) {
        return static_cast<unsigned>(ns);
    }
    const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(ns));  // >= 6
    const unsigned sub = static_cast<unsigned>((ns >> (msb - 5)) & (kSub - 1));
    return 64 + (msb - 6) * kSub + sub;
}

uint64_t LatenessHistogram::bucket_upper(unsigned bucket)
{
    if (bucket < 64) {
        return bucket;
    }
    const unsigned msb = (bucket - 64) / kSub + 6;
    const uint64_t sub = (bucket - 64) % kSub;
    const uint64_t lo = (uint64_t{1} << msb) | (sub << (msb - 5));
    return lo + (uint64_t{1} << (msb - 5)) - 1;
}

void LatenessHistogram::record(uint64_t ns)
{
    const unsigned b = bucket_of(ns);
    buckets_[b]++;  // bucket_of(~0) is the last bucket
    count_++;
    if (ns > max_) {
        max_ = ns;
    }
}

uint64_t LatenessHistogram::percentile(double p) const
{
    if (count_ == 0) {
        return 0;
    }
    // Smallest bucket whose cumulative count reaches p % of the samples.
    uint64_t rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(count_) + 0.5);
    if (rank < 1) {
        rank = 1;
    }
    uint64_t seen = 0;
    for (unsigned b = 0; b < kBuckets; b++) {
        seen += buckets_[b];
        if (seen >= rank) {
            const uint64_t upper = bucket_upper(b);
            return upper < max_ ? upper : max_;
        }
    }
    return max_;
}

void LatenessHistogram::clear()
{
    buckets_.fill(0);
    count_ = 0;
    max_ = 0;
}

}  // namespace nvmev
