#include "stats.h"

#include <gtest/gtest.h>

using nvmev::LatenessHistogram;

TEST(LatenessHistogram, SmallValuesAreExact)
{
    for (uint64_t v = 0; v < 64; v++) {
        EXPECT_EQ(LatenessHistogram::bucket_upper(LatenessHistogram::bucket_of(v)), v);
    }
}

TEST(LatenessHistogram, BucketsBoundTheirValuesWithin1Over32)
{
    for (uint64_t v : {64ull, 65ull, 1000ull, 123456ull, 1ull << 40, ~0ull}) {
        const uint64_t up = LatenessHistogram::bucket_upper(LatenessHistogram::bucket_of(v));
        EXPECT_GE(up, v);
        EXPECT_LE(up - v, v / 32) << v;
    }
}

TEST(LatenessHistogram, Percentiles)
{
    LatenessHistogram h;
    EXPECT_EQ(h.percentile(50), 0u);
    for (uint64_t i = 1; i <= 100; i++) {
        h.record(i < 99 ? 10 : 5000);
    }
    EXPECT_EQ(h.count(), 100u);
    EXPECT_EQ(h.percentile(50), 10u);
    EXPECT_EQ(h.percentile(98), 10u);
    EXPECT_GE(h.percentile(99), 5000u);
    EXPECT_EQ(h.max(), 5000u);
    h.clear();
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.max(), 0u);
}
