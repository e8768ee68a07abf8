// nvmev-kv's keys, sizes and generated values as text (guest-tools/kv_text.cc).
#include "kv_text.h"

#include <gtest/gtest.h>

namespace nvmev_kv {
namespace {

TEST(KvToolText, KeysAreTextOrHex)
{
    EXPECT_EQ(parse_key("ab"), (Bytes{'a', 'b'}));
    EXPECT_EQ(parse_key("0x00ff10"), (Bytes{0x00, 0xff, 0x10}));
    EXPECT_EQ(parse_key("0xAbCd"), (Bytes{0xab, 0xcd}));
    EXPECT_EQ(parse_key(""), Bytes{});
    EXPECT_FALSE(parse_key("0x123"));
    EXPECT_FALSE(parse_key("0xzz"));
    EXPECT_EQ(parse_key(std::string(255, 'k'))->size(), 255u);
    EXPECT_FALSE(parse_key(std::string(256, 'k')));
}

TEST(KvToolText, FormatRoundTrips)
{
    EXPECT_EQ(format_key(Bytes{'k', '1'}), "k1");
    EXPECT_EQ(format_key(Bytes{'a', ' ', 'b'}), "0x612062");
    EXPECT_EQ(format_key(Bytes{'0', 'x', '1'}), "0x307831");
    EXPECT_EQ(format_key(Bytes{0x00, 0xff}), "0x00ff");
    EXPECT_EQ(format_key(Bytes{}), "0x");
    for (const Bytes &k : {Bytes{'0', 'x'}, Bytes{0x7f}, Bytes{'z'}, Bytes{}}) {
        EXPECT_EQ(parse_key(format_key(k)), k);
    }
}

TEST(KvToolText, Sizes)
{
    EXPECT_EQ(parse_size("4096"), 4096u);
    EXPECT_EQ(parse_size("128K"), 131072u);
    EXPECT_EQ(parse_size("2M"), 2u << 20);
    EXPECT_EQ(parse_size("1g"), 1u << 30);
    EXPECT_FALSE(parse_size(""));
    EXPECT_FALSE(parse_size("K"));
    EXPECT_FALSE(parse_size("12KB"));
    EXPECT_FALSE(parse_size("-1"));
}

TEST(KvToolText, PatternIsSplitmix64LittleEndian)
{
    // splitmix64 from seed 0: e220a8397b1dcdaf, then 6e789e6aa1b965f4.
    EXPECT_EQ(pattern(9, 0), (Bytes{0xaf, 0xcd, 0x1d, 0x7b, 0x39, 0xa8, 0x20, 0xe2, 0xf4}));
    const Bytes longer = pattern(100, 1);
    EXPECT_EQ(pattern(3, 1), Bytes(longer.begin(), longer.begin() + 3));
    EXPECT_NE(pattern(16, 1), pattern(16, 2));
    EXPECT_TRUE(pattern(0, 5).empty());
}

}  // namespace
}  // namespace nvmev_kv
