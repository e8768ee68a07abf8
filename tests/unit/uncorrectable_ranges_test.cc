// Write Uncorrectable marks: merging, splitting on clear, overlap queries.
#include "uncorrectable_ranges.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using nvmev::UncorrectableRanges;

TEST(UncorrectableRanges, MarkMergesTouchingAndOverlappingRanges)
{
    UncorrectableRanges r;
    r.mark(10, 5);  // [10, 15)
    r.mark(15, 5);  // touches: [10, 20)
    EXPECT_EQ(r.size(), 1u);
    r.mark(30, 2);
    r.mark(18, 14);  // [18, 32) bridges both: [10, 32)
    EXPECT_EQ(r.size(), 1u);
    EXPECT_TRUE(r.any(31, 1));
    EXPECT_FALSE(r.any(32, 100));
    EXPECT_FALSE(r.any(0, 10));
    EXPECT_TRUE(r.any(0, 11));
    r.mark(0, 0);
    EXPECT_EQ(r.size(), 1u);
}

TEST(UncorrectableRanges, ClearSplitsAndTrims)
{
    UncorrectableRanges r;
    r.mark(100, 100);  // [100, 200)
    r.clear(150, 10);  // [100, 150) + [160, 200)
    EXPECT_EQ(r.size(), 2u);
    EXPECT_TRUE(r.any(149, 1));
    EXPECT_FALSE(r.any(150, 10));
    EXPECT_TRUE(r.any(159, 2));
    r.clear(90, 20);  // [110, 150) + [160, 200)
    EXPECT_FALSE(r.any(100, 10));
    r.clear(140, 100);  // [110, 140)
    EXPECT_EQ(r.size(), 1u);
    EXPECT_TRUE(r.any(139, 1));
    EXPECT_FALSE(r.any(140, 1000));
    r.clear(0, 1000);
    EXPECT_TRUE(r.empty());
}

TEST(UncorrectableRanges, ASplitPastTheLimitKeepsTheLongerPart)
{
    UncorrectableRanges r;
    r.set_limit(2);
    r.mark(0, 10);
    r.mark(20, 10);
    r.clear(2, 2);  // [0, 2) + [4, 10) would be a third range
    EXPECT_EQ(r.size(), 2u);
    EXPECT_FALSE(r.any(0, 4));
    EXPECT_TRUE(r.any(4, 1));
    EXPECT_TRUE(r.any(9, 1));
    r.clear(26, 1);  // [20, 26) is longer than [27, 30)
    EXPECT_EQ(r.size(), 2u);
    EXPECT_TRUE(r.any(25, 1));
    EXPECT_FALSE(r.any(26, 10));
    r.clear(22, 2);  // a tie: the later part, [24, 26), stays
    EXPECT_FALSE(r.any(20, 4));
    EXPECT_TRUE(r.any(24, 2));
    r.set_limit(3);
    r.clear(5, 1);  // room for both parts again
    EXPECT_EQ(r.size(), 3u);
    EXPECT_TRUE(r.any(4, 1));
    EXPECT_TRUE(r.any(6, 1));
}

TEST(UncorrectableRanges, AgreesWithABitmapUnderRandomOperations)
{
    std::mt19937 rng(7);
    UncorrectableRanges r;
    std::vector<bool> bits(512);
    for (int i = 0; i < 20000; ++i) {
        const uint64_t s = rng() % 512, n = rng() % 40;
        const uint64_t e = std::min<uint64_t>(512, s + n);
        if (rng() % 2) {
            r.mark(s, e - s);
            for (uint64_t b = s; b < e; ++b)
                bits[b] = true;
        } else {
            r.clear(s, e - s);
            for (uint64_t b = s; b < e; ++b)
                bits[b] = false;
        }
        const uint64_t qs = rng() % 512, qn = rng() % 40;
        bool want = false;
        for (uint64_t b = qs; b < std::min<uint64_t>(512, qs + qn); ++b)
            want = want || bits[b];
        ASSERT_EQ(r.any(qs, std::min<uint64_t>(512, qs + qn) - qs), want) << i;
    }
}
