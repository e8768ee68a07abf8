// nvmev-kv's command layouts (guest-tools/kv_commands.cc), dword by dword,
// against the layouts in docs/kv.md, and its parsers of key lists.
#include "kv_commands.h"

#include <gtest/gtest.h>

#include <string>

namespace nvmev_kv {
namespace {

Bytes b(const std::string &s)
{
    return Bytes(s.begin(), s.end());
}

using Dwords = std::array<uint32_t, 16>;

TEST(KvToolStandard, StoreCarriesKeyLengthOptionsAndValueSize)
{
    const Command c = standard::store(1, b("0123456789abcdef"), 131072, standard::kOnlyIfAbsent);
    EXPECT_EQ(c.dw, (Dwords{0x01, 1, 0x33323130, 0x37363534, 0, 0, 0, 0, 0, 0, 131072, 0x210, 0, 0,
                            0x62613938, 0x66656463}));
    EXPECT_EQ(c.dir, DataDir::to_device);
    EXPECT_EQ(c.data_len, 131072u);
    EXPECT_EQ(standard::store(1, b("k"), 1, standard::kOnlyIfExists).dw[11], 0x101u);
}

TEST(KvToolStandard, RetrieveListDeleteExist)
{
    const Command r = standard::retrieve(3, b("abcde"), 4096);
    EXPECT_EQ(r.dw, (Dwords{0x02, 3, 0x64636261, 0x65, 0, 0, 0, 0, 0, 0, 4096, 5, 0, 0, 0, 0}));
    EXPECT_EQ(r.dir, DataDir::from_device);
    EXPECT_EQ(r.data_len, 4096u);
    const Command l = standard::list(1, {}, 512);  // from the first key: length 0
    EXPECT_EQ(l.dw, (Dwords{0x06, 1, 0, 0, 0, 0, 0, 0, 0, 0, 512, 0, 0, 0, 0, 0}));
    EXPECT_EQ(l.dir, DataDir::from_device);
    const Command d = standard::remove(1, b("k"));
    EXPECT_EQ(d.dw, (Dwords{0x10, 1, 0x6b, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}));
    EXPECT_EQ(d.dir, DataDir::none);
    EXPECT_EQ(d.data_len, 0u);
    EXPECT_EQ(standard::exist(1, b("k")).dw[0], 0x14u);
}

TEST(KvToolStandard, OverlongKeyKeepsItsLengthAndFirst16Bytes)
{
    const Command c = standard::remove(1, b("0123456789abcdefX"));
    EXPECT_EQ(c.dw[11], 17u);
    EXPECT_EQ(c.dw[15], 0x66656463u);
}

TEST(KvToolStandard, ParseListFollowsThePaddingToFourBytes)
{
    // 3 keys: "a" (2+1 -> 4 bytes), "bc" (2+2 -> 4), "defgh" (2+5 -> 8).
    const Bytes data = {3,   0, 0, 0,   1,   0,   'a', 0,   2, 0,    'b',
                        'c', 5, 0, 'd', 'e', 'f', 'g', 'h', 0, 0xee, 0xee};
    const auto keys = standard::parse_list(data);
    ASSERT_TRUE(keys);
    EXPECT_EQ(*keys, (std::vector<Bytes>{b("a"), b("bc"), b("defgh")}));
    const Bytes empty = {0, 0, 0, 0};
    EXPECT_EQ(standard::parse_list(empty)->size(), 0u);
}

TEST(KvToolStandard, ParseListRefusesACountPastTheData)
{
    const Bytes data = {2, 0, 0, 0, 1, 0, 'a', 0, 4, 0, 'b'};
    EXPECT_FALSE(standard::parse_list(data));
    EXPECT_FALSE(standard::parse_list(Bytes{1, 0}));
}

TEST(KvToolVendor, StorePadsTheValueToDwords)
{
    const Command c = vendor::store(1, b("abcdefghijklmnop"), 5, 0, false);
    EXPECT_EQ(c.dw, (Dwords{0x81, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x0003000f, 0x64636261, 0x68676665,
                            0x6c6b6a69, 0x706f6e6d}));
    EXPECT_EQ(c.data_len, 8u);
    EXPECT_EQ(c.dir, DataDir::to_device);
    const Command exact = vendor::store(1, b("k"), 8, vendor::kIdempotent, false);
    EXPECT_EQ(exact.dw[10], 2u);
    EXPECT_EQ(exact.dw[11], 0x200u);  // key length - 1 = 0, option 2, no padding
    EXPECT_EQ(vendor::store(1, b("k"), 7, 0, true).dw[0], 0x83u);
    EXPECT_EQ(vendor::store(1, b("k"), 7, 0, true).dw[11], 0x10000u);
}

TEST(KvToolVendor, KeySizesOutsideOneTo16ReachTheDeviceAsSuch)
{
    EXPECT_EQ(vendor::remove(1, b("0123456789abcdefX")).dw[11], 16u);  // 17 bytes
    EXPECT_EQ(vendor::remove(1, {}).dw[11], 0xffu);                    // 0 bytes
}

TEST(KvToolVendor, RetrieveDeleteExist)
{
    const Command r = vendor::retrieve(2, b("key"), 10, 8);
    EXPECT_EQ(r.dw, (Dwords{0x90, 2, 0, 0, 8, 0, 0, 0, 0, 0, 3, 2, 0x79656b, 0, 0, 0}));
    EXPECT_EQ(r.data_len, 12u);
    EXPECT_EQ(r.dir, DataDir::from_device);
    EXPECT_EQ(vendor::remove(1, b("ab")).dw,
              (Dwords{0xa1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x6261, 0, 0, 0}));
    EXPECT_EQ(vendor::exist(1, b("ab")).dw[0], 0xb3u);
    EXPECT_EQ(vendor::exist(1, b("ab")).dir, DataDir::none);
}

TEST(KvToolVendor, IterateOpenReadClose)
{
    EXPECT_EQ(vendor::iterate_open(1, 0x6261, 0xffff).dw,
              (Dwords{0xb1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x100, 0x6261, 0xffff, 0, 0}));
    const Command r = vendor::iterate_read(1, 5, 4096);
    EXPECT_EQ(r.dw, (Dwords{0xb2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1024, 5, 0, 0, 0, 0}));
    EXPECT_EQ(r.dir, DataDir::from_device);
    EXPECT_EQ(r.data_len, 4096u);
    EXPECT_EQ(vendor::iterate_close(1, 5).dw,
              (Dwords{0xb1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x205, 0, 0, 0, 0}));
}

TEST(KvToolVendor, ParseIterate)
{
    const Bytes data = {2, 0, 0, 0, 1, 0, 0, 0, 'a', 0, 0, 0, 5, 0, 0, 0, 'b', 'c', 'd', 'e', 'f'};
    const auto keys = vendor::parse_iterate(data);
    ASSERT_TRUE(keys);
    EXPECT_EQ(*keys, (std::vector<Bytes>{b("a"), b("bcdef")}));
    const Bytes short_key = {1, 0, 0, 0, 9, 0, 0, 0, 'a'};
    EXPECT_FALSE(vendor::parse_iterate(short_key));
}

TEST(KvToolVendor, BatchPayloadAndCommand)
{
    const std::vector<vendor::BatchOp> ops = {
        {.store = true, .key = b("k1"), .value = Bytes(65, 0x5a)},
        {.store = false, .key = b("gone"), .value = {}},
    };
    const Bytes p = vendor::batch_payload(7, ops);
    // Header, then 64 + 64 + 128 for the store and 64 + 64 + 64 (an empty
    // value still takes a unit) for the delete.
    ASSERT_EQ(p.size(), 512u + 256 + 192);
    EXPECT_EQ(Bytes(p.begin(), p.begin() + 16),
              (Bytes{0x81, 2, 0, 0, 65, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(Bytes(p.begin() + 16, p.begin() + 32),
              (Bytes{0xa1, 4, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0}));
    for (size_t i = 32; i < 512 + 64; i++) {
        ASSERT_EQ(p[i], 0) << i;
    }
    EXPECT_EQ(Bytes(p.begin() + 576, p.begin() + 578), b("k1"));
    EXPECT_EQ(p[578], 0);
    EXPECT_EQ(Bytes(p.begin() + 640, p.begin() + 705), Bytes(65, 0x5a));
    EXPECT_EQ(p[705], 0);
    EXPECT_EQ(Bytes(p.begin() + 768 + 64, p.begin() + 768 + 68), b("gone"));
    for (size_t i = 768 + 68; i < p.size(); i++) {
        ASSERT_EQ(p[i], 0) << i;
    }
    const Command c = vendor::batch(7, static_cast<uint32_t>(p.size()), 2);
    EXPECT_EQ(c.dw, (Dwords{0x85, 7, 0, 0, 0, 0, 0, 0, 0, 0, 240, 0x02000000, 0, 0, 0, 0}));
    EXPECT_EQ(c.dir, DataDir::to_device);
    EXPECT_EQ(c.data_len, 960u);
}

TEST(KvToolStatus, NamesDependOnTheFlavour)
{
    EXPECT_EQ(status_code(0x4187), 0x187);  // DNR masked
    EXPECT_STREQ(status_name(Flavour::standard, 0x187), "Key Does Not Exist");
    EXPECT_STREQ(status_name(Flavour::vendor, 0x187), "unknown status");
    EXPECT_STREQ(status_name(Flavour::vendor, 0x310), "Key Does Not Exist");
    EXPECT_STREQ(status_name(Flavour::standard, 0x310), "unknown status");
    EXPECT_STREQ(status_name(Flavour::vendor, 0x393), "Iterate End");
    EXPECT_STREQ(status_name(Flavour::standard, 0x189), "Key Exists");
    EXPECT_STREQ(status_name(Flavour::vendor, 0x186), "Invalid Key Size");
    EXPECT_STREQ(status_name(Flavour::standard, 0x185), "Invalid Value Size");
    EXPECT_STREQ(status_name(Flavour::standard, 0x081), "Capacity Exceeded");
    EXPECT_STREQ(status_name(Flavour::vendor, 0x312), "Capacity Exceeded");
}

}  // namespace
}  // namespace nvmev_kv
