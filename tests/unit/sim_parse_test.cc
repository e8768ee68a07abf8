// nvmev-sim's parsing: fio's and QEMU's sizes, durations, device strings.
#include <gtest/gtest.h>

#include <cstring>

#include "device_string.h"
#include "units.h"

namespace nvmev::sim {
namespace {

TEST(SimParse, SizesAre1024Based)
{
    EXPECT_EQ(parse_size("4096"), 4096u);
    EXPECT_EQ(parse_size("4k"), 4096u);
    EXPECT_EQ(parse_size("4K"), 4096u);
    EXPECT_EQ(parse_size("4KiB"), 4096u);
    EXPECT_EQ(parse_size("1.5m"), 1572864u);
    EXPECT_EQ(parse_size("2G"), 2147483648u);
    EXPECT_EQ(parse_size("1t"), 1ull << 40);
    EXPECT_FALSE(parse_size("4x"));
    EXPECT_FALSE(parse_size("-1"));
    EXPECT_FALSE(parse_size("0.5"));
}

TEST(SimParse, Durations)
{
    EXPECT_EQ(parse_duration_ns("10", 1000000000), 10'000'000'000);
    EXPECT_EQ(parse_duration_ns("10ms", 1000000000), 10'000'000);
    EXPECT_EQ(parse_duration_ns("2.5s", 1000000000), 2'500'000'000);
    EXPECT_EQ(parse_duration_ns("3us", 1000000000), 3000);
    EXPECT_FALSE(parse_duration_ns("3 weeks", 1000000000));
}

TEST(SimParse, DeviceStringGoesThroughTheRegistryByName)
{
    DeviceSpec d;
    std::string err;
    ASSERT_TRUE(
        d.parse("nvmev,ssd=conv,preset=samsung-970pro,size=2G,channels=4,"
                "early-completion=off,serial=ab,,c,mdts=5",
                err))
        << err;
    const NvmevConfig c = d.config();
    EXPECT_EQ(c.capacity_bytes, 2ull << 30);
    EXPECT_STREQ(c.serial, "ab,c");  // ",," is a comma, as in QEMU
    EXPECT_EQ(c.mdts, 5);
    ASSERT_EQ(c.n_params, 4u);
    EXPECT_STREQ(c.params[0].name, "ssd");
    EXPECT_STREQ(c.params[0].text, "conv");
    EXPECT_STREQ(c.params[2].name, "channels");
    EXPECT_EQ(c.params[2].value, 4);
    EXPECT_STREQ(c.params[3].text, "off");
}

TEST(SimParse, DeviceStringValueErrors)
{
    DeviceSpec d;
    std::string err;
    EXPECT_FALSE(d.parse("ssd=conv,channels=four", err));
    EXPECT_EQ(err, "Parameter 'channels' expects int64");
    EXPECT_FALSE(d.parse("size=big", err));
    EXPECT_EQ(err,
              "Parameter 'size' expects a size (a number with an optional K, M, G, T, P or E "
              "suffix)");
}

}  // namespace
}  // namespace nvmev::sim
