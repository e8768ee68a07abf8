// ssd=kv: the KV store: every store mode and status with exact values, partial
// retrieve, space reuse, append, list order, compaction, persistence across a
// re-open, geometry and corruption checks, erase_all. Every test ends with
// check_invariants() == "".
#include "../../ftl/kv_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using nvmev::ftl::KvExtent;
using nvmev::ftl::KvHeader;
using nvmev::ftl::KvKey;
using nvmev::ftl::KvLimits;
using nvmev::ftl::KvRecord;
using nvmev::ftl::KvStats;
using nvmev::ftl::KvStatus;
using nvmev::ftl::KvStore;
using nvmev::ftl::KvStoreMode;

namespace {

KvKey key(std::string_view s)
{
    return KvKey::of(s.data(), s.size());
}

// n bytes that differ from one seed to another and along the value.
std::string pattern(size_t n, uint8_t seed)
{
    std::string v(n, '\0');
    for (size_t i = 0; i < n; ++i) {
        v[i] = static_cast<char>(seed * 31 + i * 7 + (i >> 8));
    }
    return v;
}

const uint8_t *bytes(const std::string &s)
{
    return reinterpret_cast<const uint8_t *>(s.data());
}

class KvStoreTest : public ::testing::Test {
protected:
    // 64 KiB of data, 16 keys, values up to 4 KiB unless a test says otherwise.
    void make(uint64_t data_bytes, KvLimits limits)
    {
        limits_ = limits;
        data_.assign(data_bytes, 0);
        meta_.assign(KvStore::metadata_bytes(limits.max_keys), 0);
        store_ = open();
    }
    void SetUp() override { make(64 * 1024, {16, 4096}); }
    void TearDown() override
    {
        if (store_) {
            EXPECT_EQ(store_->check_invariants(), "");
        }
    }

    std::unique_ptr<KvStore> open()
    {
        return std::make_unique<KvStore>(data_.data(), data_.size(), meta_.data(), meta_.size(),
                                         limits_);
    }
    std::string open_error(uint64_t data_bytes, KvLimits limits)
    {
        try {
            KvStore s(data_.data(), data_bytes, meta_.data(), meta_.size(), limits);
        } catch (const std::invalid_argument &e) {
            return e.what();
        }
        return "(no exception)";
    }

    KvStatus put(std::string_view k, const std::string &v, KvStoreMode mode = KvStoreMode::Upsert,
                 KvExtent *placed = nullptr)
    {
        return store_->store(key(k), bytes(v), static_cast<uint32_t>(v.size()), mode, placed);
    }
    // The whole value, or "<absent>".
    std::string get(std::string_view k) const { return get_from(*store_, k); }
    static std::string get_from(const KvStore &s, std::string_view k)
    {
        std::string out(8192, '\0');
        uint32_t len = 0;
        uint32_t copied = 0;
        if (s.retrieve(key(k), 0, reinterpret_cast<uint8_t *>(out.data()),
                       static_cast<uint32_t>(out.size()), len, copied) != KvStatus::Ok) {
            return "<absent>";
        }
        EXPECT_EQ(copied, len);
        out.resize(copied);
        return out;
    }
    std::vector<std::string> list_all(const KvStore &s) const
    {
        std::vector<KvKey> keys;
        s.list(KvKey{}, true, SIZE_MAX, keys);
        std::vector<std::string> out;
        for (const KvKey &k : keys) {
            out.emplace_back(reinterpret_cast<const char *>(k.bytes.data()), k.len);
        }
        return out;
    }

    KvLimits limits_{};
    std::vector<uint8_t> data_;
    std::vector<uint8_t> meta_;
    std::unique_ptr<KvStore> store_;
};

TEST(KvKeyTest, OrderIsUnsignedBytewiseWithPrefixFirst)
{
    EXPECT_TRUE(key("a") < key("ab"));
    EXPECT_FALSE(key("ab") < key("a"));
    EXPECT_TRUE(key("ab") < key("b"));
    EXPECT_TRUE(key(std::string_view("\x00", 1)) < key("\x01"));
    EXPECT_TRUE(key("\x7f") < key("\x80"));  // unsigned: 0x80 is not negative
    EXPECT_TRUE(key("\xfe\xff") < key("\xff"));
    EXPECT_TRUE(key("k") < key(std::string_view("k\0", 2)));
    EXPECT_FALSE(key("k") == key(std::string_view("k\0", 2)));
    EXPECT_TRUE(key("same") == key("same"));
    EXPECT_FALSE(key("same") < key("same"));
    const KvKey k = key("0123456789abcdef");
    EXPECT_EQ(k.len, 16);
    EXPECT_EQ(std::memcmp(k.bytes.data(), "0123456789abcdef", 16), 0);
    EXPECT_EQ(KvKey::of("x", 1).bytes[1], 0);
}

TEST(KvKeyTest, MetadataBytesCoverHeaderAndRecordsRoundedTo4096)
{
    EXPECT_EQ(KvStore::metadata_bytes(0), 4096u);
    EXPECT_EQ(KvStore::metadata_bytes(1), 4096u);
    EXPECT_EQ(KvStore::metadata_bytes(126), 4096u);  // 64 + 126 * 32 = 4096
    EXPECT_EQ(KvStore::metadata_bytes(127), 8192u);
    EXPECT_EQ(KvStore::metadata_bytes(1022), 32768u);  // 64 + 32704 = 8 pages
    EXPECT_EQ(KvStore::metadata_bytes(1023), 36864u);
}

TEST_F(KvStoreTest, StoreRetrieveRoundTrip)
{
    const std::string v = pattern(100, 1);
    KvExtent placed;
    ASSERT_EQ(put("alpha", v, KvStoreMode::Upsert, &placed), KvStatus::Ok);
    EXPECT_EQ(placed.offset, 0u);
    EXPECT_EQ(placed.length, 128u);  // two 64-byte units
    EXPECT_EQ(std::memcmp(data_.data() + placed.offset, v.data(), v.size()), 0);
    EXPECT_EQ(get("alpha"), v);
    EXPECT_TRUE(store_->exists(key("alpha")));
    EXPECT_FALSE(store_->exists(key("alph")));
    KvExtent where;
    ASSERT_EQ(store_->locate(key("alpha"), where), KvStatus::Ok);
    EXPECT_EQ(where.offset, 0u);
    EXPECT_EQ(where.length, 128u);
    EXPECT_EQ(store_->locate(key("beta"), where), KvStatus::NotFound);
    const KvStats s = store_->stats();
    EXPECT_EQ(s.keys, 1u);
    EXPECT_EQ(s.value_bytes, 100u);
    EXPECT_EQ(s.allocated_bytes, 128u);
    EXPECT_EQ(s.free_bytes, 65536u - 128u);
    EXPECT_EQ(s.data_bytes, 65536u);
    EXPECT_EQ(s.compactions, 0u);
}

TEST_F(KvStoreTest, ModesAndTheirStatuses)
{
    const std::string a = pattern(50, 2);
    const std::string b = pattern(70, 3);
    EXPECT_EQ(put("k", a, KvStoreMode::MustExist), KvStatus::NotFound);
    EXPECT_EQ(store_->stats().keys, 0u);
    EXPECT_EQ(get("k"), "<absent>");
    EXPECT_EQ(put("k", a, KvStoreMode::MustNotExist), KvStatus::Ok);
    EXPECT_EQ(put("k", b, KvStoreMode::MustNotExist), KvStatus::Exists);
    EXPECT_EQ(get("k"), a);
    EXPECT_EQ(put("k", b, KvStoreMode::MustExist), KvStatus::Ok);
    EXPECT_EQ(get("k"), b);
    EXPECT_EQ(put("k", a, KvStoreMode::Upsert), KvStatus::Ok);
    EXPECT_EQ(get("k"), a);
    EXPECT_EQ(put("new", b, KvStoreMode::Upsert), KvStatus::Ok);
    EXPECT_EQ(get("new"), b);
    EXPECT_EQ(store_->stats().keys, 2u);
    EXPECT_EQ(store_->stats().value_bytes, 120u);

    KvExtent freed;
    EXPECT_EQ(store_->remove(key("k"), &freed), KvStatus::Ok);
    EXPECT_EQ(store_->remove(key("k"), &freed), KvStatus::NotFound);
    EXPECT_EQ(get("k"), "<absent>");
    EXPECT_EQ(store_->stats().keys, 1u);
}

TEST_F(KvStoreTest, TooManyKeysAtExactlyMaxKeys)
{
    make(64 * 1024, {4, 4096});
    for (int i = 0; i < 4; ++i) {
        ASSERT_EQ(put("key" + std::to_string(i), pattern(10, i)), KvStatus::Ok);
    }
    const KvStats before = store_->stats();
    EXPECT_EQ(put("key4", pattern(10, 4)), KvStatus::TooManyKeys);
    EXPECT_EQ(put("key4", pattern(10, 4), KvStoreMode::Append), KvStatus::TooManyKeys);
    EXPECT_EQ(store_->stats().keys, 4u);
    EXPECT_EQ(store_->stats().allocated_bytes, before.allocated_bytes);
    EXPECT_FALSE(store_->exists(key("key4")));
    // Updating a stored key needs no new slot.
    EXPECT_EQ(put("key2", pattern(20, 9)), KvStatus::Ok);
    EXPECT_EQ(put("key2", pattern(5, 9), KvStoreMode::Append), KvStatus::Ok);
    ASSERT_EQ(store_->remove(key("key0")), KvStatus::Ok);
    EXPECT_EQ(put("key4", pattern(10, 4)), KvStatus::Ok);
    EXPECT_EQ(get("key4"), pattern(10, 4));
    EXPECT_EQ(put("key5", pattern(10, 5)), KvStatus::TooManyKeys);
}

TEST_F(KvStoreTest, ValueTooLargeAtMaxPlusOneAndAtZero)
{
    EXPECT_EQ(put("big", pattern(4097, 1)), KvStatus::ValueTooLarge);
    EXPECT_EQ(put("big", std::string()), KvStatus::ValueTooLarge);
    EXPECT_EQ(store_->stats().keys, 0u);
    EXPECT_EQ(put("big", pattern(4096, 1)), KvStatus::Ok);
    EXPECT_EQ(get("big"), pattern(4096, 1));
    // Append past the maximum: refused, the value stays as it was.
    EXPECT_EQ(put("big", pattern(1, 2), KvStoreMode::Append), KvStatus::ValueTooLarge);
    EXPECT_EQ(put("mid", pattern(4000, 3)), KvStatus::Ok);
    EXPECT_EQ(put("mid", pattern(97, 4), KvStoreMode::Append), KvStatus::ValueTooLarge);
    EXPECT_EQ(put("mid", pattern(96, 4), KvStoreMode::Append), KvStatus::Ok);
    EXPECT_EQ(get("mid"), pattern(4000, 3) + pattern(96, 4));
    EXPECT_EQ(get("big"), pattern(4096, 1));
    // A too-large value is refused before the mode is looked at.
    EXPECT_EQ(put("big", pattern(4097, 1), KvStoreMode::MustNotExist), KvStatus::ValueTooLarge);
}

TEST_F(KvStoreTest, NoSpaceWhenTheDataRegionCannotHoldIt)
{
    make(1024, {16, 1024});                              // 16 units
    ASSERT_EQ(put("a", pattern(960, 1)), KvStatus::Ok);  // 15 units
    const KvStats before = store_->stats();
    EXPECT_EQ(put("b", pattern(65, 2)), KvStatus::NoSpace);  // 2 units
    EXPECT_EQ(store_->stats().keys, 1u);
    EXPECT_EQ(store_->stats().allocated_bytes, before.allocated_bytes);
    EXPECT_FALSE(store_->exists(key("b")));
    // The old value still counts while the new one is written.
    EXPECT_EQ(put("a", pattern(200, 3)), KvStatus::NoSpace);
    EXPECT_EQ(put("a", pattern(64, 3), KvStoreMode::Append), KvStatus::NoSpace);
    EXPECT_EQ(get("a"), pattern(960, 1));
    EXPECT_EQ(put("b", pattern(64, 2)), KvStatus::Ok);  // the last unit
    EXPECT_EQ(store_->stats().free_bytes, 0u);
    EXPECT_EQ(put("c", pattern(1, 4)), KvStatus::NoSpace);
    EXPECT_EQ(store_->stats().compactions, 0u);
}

TEST_F(KvStoreTest, DataBytesNotAMultipleOfTheUnitLeavesTheTailUnused)
{
    make(1000, {16, 1024});  // 15 whole units, 40 bytes of tail
    ASSERT_EQ(put("a", pattern(960, 1)), KvStatus::Ok);
    EXPECT_EQ(store_->stats().free_bytes, 40u);
    EXPECT_EQ(put("b", pattern(1, 2)), KvStatus::NoSpace);
}

TEST_F(KvStoreTest, PartialRetrieveWithOffsetAndSmallCap)
{
    const std::string v = pattern(300, 5);
    ASSERT_EQ(put("p", v), KvStatus::Ok);
    std::vector<uint8_t> out(64, 0xEE);
    uint32_t len = 0;
    uint32_t copied = 0;
    ASSERT_EQ(store_->retrieve(key("p"), 100, out.data(), 50, len, copied), KvStatus::Ok);
    EXPECT_EQ(len, 300u);
    EXPECT_EQ(copied, 50u);
    EXPECT_EQ(std::memcmp(out.data(), v.data() + 100, 50), 0);
    EXPECT_EQ(out[50], 0xEE);  // nothing past cap

    std::fill(out.begin(), out.end(), 0xEE);
    ASSERT_EQ(store_->retrieve(key("p"), 280, out.data(), 50, len, copied), KvStatus::Ok);
    EXPECT_EQ(len, 300u);
    EXPECT_EQ(copied, 20u);  // clipped to the value's end
    EXPECT_EQ(std::memcmp(out.data(), v.data() + 280, 20), 0);
    EXPECT_EQ(out[20], 0xEE);

    ASSERT_EQ(store_->retrieve(key("p"), 300, out.data(), 50, len, copied), KvStatus::Ok);
    EXPECT_EQ(len, 300u);
    EXPECT_EQ(copied, 0u);
    ASSERT_EQ(store_->retrieve(key("p"), 5000, out.data(), 50, len, copied), KvStatus::Ok);
    EXPECT_EQ(len, 300u);
    EXPECT_EQ(copied, 0u);
    ASSERT_EQ(store_->retrieve(key("p"), 0, nullptr, 0, len, copied), KvStatus::Ok);
    EXPECT_EQ(len, 300u);
    EXPECT_EQ(copied, 0u);
    EXPECT_EQ(store_->retrieve(key("q"), 0, out.data(), 50, len, copied), KvStatus::NotFound);
}

TEST_F(KvStoreTest, DeleteThenStoreReusesTheFreedExtent)
{
    KvExtent pa, pb, pc;
    ASSERT_EQ(put("a", pattern(200, 1), KvStoreMode::Upsert, &pa), KvStatus::Ok);
    ASSERT_EQ(put("b", pattern(200, 2), KvStoreMode::Upsert, &pb), KvStatus::Ok);
    ASSERT_EQ(put("c", pattern(200, 3), KvStoreMode::Upsert, &pc), KvStatus::Ok);
    EXPECT_EQ(pa.offset, 0u);
    EXPECT_EQ(pb.offset, 256u);
    EXPECT_EQ(pc.offset, 512u);
    const uint64_t full = store_->stats().allocated_bytes;
    EXPECT_EQ(full, 768u);

    KvExtent freed;
    ASSERT_EQ(store_->remove(key("b"), &freed), KvStatus::Ok);
    EXPECT_EQ(freed.offset, 256u);
    EXPECT_EQ(freed.length, 256u);
    EXPECT_EQ(store_->stats().allocated_bytes, 512u);
    EXPECT_EQ(store_->check_invariants(), "");

    // Best fit: the 4-unit hole, not the big free tail.
    KvExtent pd;
    ASSERT_EQ(put("d", pattern(250, 4), KvStoreMode::Upsert, &pd), KvStatus::Ok);
    EXPECT_EQ(pd.offset, 256u);
    EXPECT_EQ(store_->stats().allocated_bytes, full);
    EXPECT_EQ(get("a"), pattern(200, 1));
    EXPECT_EQ(get("c"), pattern(200, 3));
    EXPECT_EQ(get("d"), pattern(250, 4));

    // Freeing neighbours merges them: a, d and c become one free run with the tail.
    ASSERT_EQ(store_->remove(key("a")), KvStatus::Ok);
    ASSERT_EQ(store_->remove(key("d")), KvStatus::Ok);
    ASSERT_EQ(store_->remove(key("c")), KvStatus::Ok);
    EXPECT_EQ(store_->stats().allocated_bytes, 0u);
    KvExtent pe;
    ASSERT_EQ(put("e", pattern(4096, 5), KvStoreMode::Upsert, &pe), KvStatus::Ok);
    EXPECT_EQ(pe.offset, 0u);
}

TEST_F(KvStoreTest, BestFitTakesTheSmallestHoleThatFits)
{
    // Units: a [0,4) b [4,5) c [5,7) d [7,8), then the free tail.
    ASSERT_EQ(put("a", pattern(256, 1)), KvStatus::Ok);
    ASSERT_EQ(put("b", pattern(64, 2)), KvStatus::Ok);
    ASSERT_EQ(put("c", pattern(128, 3)), KvStatus::Ok);
    ASSERT_EQ(put("d", pattern(64, 4)), KvStatus::Ok);
    ASSERT_EQ(store_->remove(key("a")), KvStatus::Ok);  // 4-unit hole at 0
    ASSERT_EQ(store_->remove(key("c")), KvStatus::Ok);  // 2-unit hole at 5
    KvExtent p;
    ASSERT_EQ(put("e", pattern(100, 5), KvStoreMode::Upsert, &p), KvStatus::Ok);
    EXPECT_EQ(p.offset, 5u * 64);
    ASSERT_EQ(put("f", pattern(150, 6), KvStoreMode::Upsert, &p), KvStatus::Ok);
    EXPECT_EQ(p.offset, 0u);  // 3 units: only the 4-unit hole is smaller than the tail
    ASSERT_EQ(put("g", pattern(64, 7), KvStoreMode::Upsert, &p), KvStatus::Ok);
    EXPECT_EQ(p.offset, 3u * 64);  // the 1-unit remainder
    EXPECT_EQ(store_->stats().allocated_bytes, 8u * 64);
    EXPECT_EQ(store_->stats().compactions, 0u);
    EXPECT_EQ(get("b"), pattern(64, 2));
    EXPECT_EQ(get("d"), pattern(64, 4));
    EXPECT_EQ(get("e"), pattern(100, 5));
    EXPECT_EQ(get("f"), pattern(150, 6));
    EXPECT_EQ(get("g"), pattern(64, 7));
}

TEST_F(KvStoreTest, AppendGrowsAndKeepsTheOldBytes)
{
    KvExtent first, second;
    ASSERT_EQ(put("log", pattern(100, 1), KvStoreMode::Append, &first), KvStatus::Ok);
    EXPECT_EQ(first.length, 128u);
    ASSERT_EQ(put("log", pattern(50, 2), KvStoreMode::Append, &second), KvStatus::Ok);
    EXPECT_EQ(second.length, 192u);
    EXPECT_NE(second.offset, first.offset);  // never rewritten in place
    EXPECT_EQ(get("log"), pattern(100, 1) + pattern(50, 2));
    ASSERT_EQ(put("log", pattern(1, 3), KvStoreMode::Append), KvStatus::Ok);
    EXPECT_EQ(get("log"), pattern(100, 1) + pattern(50, 2) + pattern(1, 3));
    const KvStats s = store_->stats();
    EXPECT_EQ(s.keys, 1u);
    EXPECT_EQ(s.value_bytes, 151u);
    EXPECT_EQ(s.allocated_bytes, 192u);
}

TEST_F(KvStoreTest, ListOrderStartAndMax)
{
    const std::vector<std::string> keys = {
        "b",    std::string("\x00", 1),  "a",     "ab",
        "\xff", std::string("a\x00", 2), "a\xff", std::string("\x00\x00", 2)};
    for (size_t i = 0; i < keys.size(); ++i) {
        ASSERT_EQ(put(keys[i], pattern(8, static_cast<uint8_t>(i))), KvStatus::Ok);
    }
    const std::vector<std::string> sorted = {std::string("\x00", 1),
                                             std::string("\x00\x00", 2),
                                             "a",
                                             std::string("a\x00", 2),
                                             "ab",
                                             "a\xff",
                                             "b",
                                             "\xff"};
    EXPECT_EQ(list_all(*store_), sorted);

    auto listed = [&](std::string_view start, bool inclusive, size_t max) {
        std::vector<KvKey> got;
        store_->list(key(start), inclusive, max, got);
        std::vector<std::string> out;
        for (const KvKey &k : got) {
            out.emplace_back(reinterpret_cast<const char *>(k.bytes.data()), k.len);
        }
        return out;
    };
    EXPECT_EQ(listed("a", true, 3), (std::vector<std::string>{"a", std::string("a\x00", 2), "ab"}));
    EXPECT_EQ(listed("a", false, 2), (std::vector<std::string>{std::string("a\x00", 2), "ab"}));
    EXPECT_EQ(listed("aa", true, 10), (std::vector<std::string>{"ab", "a\xff", "b", "\xff"}));
    EXPECT_EQ(listed("aa", false, 1), (std::vector<std::string>{"ab"}));
    EXPECT_EQ(listed("\xff", true, 10), (std::vector<std::string>{"\xff"}));
    EXPECT_EQ(listed("\xff", false, 10), (std::vector<std::string>{}));
    EXPECT_EQ(listed("\xff\xff", true, 10), (std::vector<std::string>{}));
    EXPECT_EQ(listed("", false, 2),
              (std::vector<std::string>{std::string("\x00", 1), std::string("\x00\x00", 2)}));
    EXPECT_EQ(listed("b", true, 0), (std::vector<std::string>{}));

    // list() appends to what the caller has.
    std::vector<KvKey> out = {key("zz")};
    store_->list(key("b"), true, 10, out);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_TRUE(out[1] == key("b"));
    EXPECT_TRUE(out[2] == key("\xff"));
}

TEST_F(KvStoreTest, KeysDifferingOnlyInLengthAreDistinct)
{
    const std::string k1 = "k";
    const std::string k2("k\x00", 2);
    const std::string k3("k\x00\x00", 3);
    ASSERT_EQ(put(k1, pattern(10, 1)), KvStatus::Ok);
    ASSERT_EQ(put(k2, pattern(20, 2), KvStoreMode::MustNotExist), KvStatus::Ok);
    ASSERT_EQ(put(k3, pattern(30, 3), KvStoreMode::MustNotExist), KvStatus::Ok);
    EXPECT_EQ(store_->stats().keys, 3u);
    EXPECT_EQ(get(k1), pattern(10, 1));
    EXPECT_EQ(get(k2), pattern(20, 2));
    EXPECT_EQ(get(k3), pattern(30, 3));
    ASSERT_EQ(store_->remove(key(k2)), KvStatus::Ok);
    EXPECT_EQ(get(k1), pattern(10, 1));
    EXPECT_EQ(get(k2), "<absent>");
    EXPECT_EQ(get(k3), pattern(30, 3));
    // Full-length keys too.
    ASSERT_EQ(put("0123456789abcdef", pattern(40, 4)), KvStatus::Ok);
    ASSERT_EQ(put("0123456789abcde", pattern(41, 5)), KvStatus::Ok);
    EXPECT_EQ(get("0123456789abcdef"), pattern(40, 4));
    EXPECT_EQ(get("0123456789abcde"), pattern(41, 5));
}

TEST_F(KvStoreTest, AKeyOfLengthZeroCannotBeStored)
{
    EXPECT_EQ(store_->store(KvKey{}, bytes("x"), 1, KvStoreMode::Upsert), KvStatus::NotFound);
    EXPECT_FALSE(store_->exists(KvKey{}));
    EXPECT_EQ(store_->remove(KvKey{}), KvStatus::NotFound);
    EXPECT_EQ(store_->stats().keys, 0u);
}

TEST_F(KvStoreTest, UpdateWithADifferentSize)
{
    KvExtent p;
    ASSERT_EQ(put("u", pattern(100, 1), KvStoreMode::Upsert, &p), KvStatus::Ok);
    EXPECT_EQ(p.length, 128u);
    ASSERT_EQ(put("u", pattern(1000, 2), KvStoreMode::MustExist, &p), KvStatus::Ok);
    EXPECT_EQ(p.length, 1024u);
    EXPECT_EQ(get("u"), pattern(1000, 2));
    EXPECT_EQ(store_->stats().allocated_bytes, 1024u);
    EXPECT_EQ(store_->stats().value_bytes, 1000u);
    ASSERT_EQ(put("u", pattern(10, 3), KvStoreMode::Upsert, &p), KvStatus::Ok);
    EXPECT_EQ(p.length, 64u);
    EXPECT_EQ(p.offset, 0u);  // best fit: the first value's freed hole
    EXPECT_EQ(get("u"), pattern(10, 3));
    EXPECT_EQ(store_->stats().allocated_bytes, 64u);
    EXPECT_EQ(store_->stats().value_bytes, 10u);
    EXPECT_EQ(store_->stats().keys, 1u);
}

TEST_F(KvStoreTest, FragmentationForcesOneCompactionAndKeepsTheData)
{
    make(1024, {16, 1024});  // 16 units
    for (int i = 0; i < 8; ++i) {
        ASSERT_EQ(put("k" + std::to_string(i), pattern(128, i)), KvStatus::Ok);  // 2 units
    }
    for (int i = 0; i < 8; i += 2) {
        ASSERT_EQ(store_->remove(key("k" + std::to_string(i))), KvStatus::Ok);
    }
    // 8 units free, in four 2-unit holes: a 512-byte value fits only after compaction.
    EXPECT_EQ(store_->stats().free_bytes, 512u);
    KvExtent placed;
    ASSERT_EQ(put("big", pattern(512, 99), KvStoreMode::Upsert, &placed), KvStatus::Ok);
    const KvStats s = store_->stats();
    EXPECT_EQ(s.compactions, 1u);
    EXPECT_EQ(s.compacted_bytes, 512u);  // k1, k3, k5, k7 moved, 128 bytes each
    EXPECT_EQ(placed.offset, 512u);
    EXPECT_EQ(s.free_bytes, 0u);
    for (int i = 1; i < 8; i += 2) {
        EXPECT_EQ(get("k" + std::to_string(i)), pattern(128, i));
        KvExtent where;
        ASSERT_EQ(store_->locate(key("k" + std::to_string(i)), where), KvStatus::Ok);
        EXPECT_EQ(where.offset, static_cast<uint64_t>(i / 2) * 128);
    }
    EXPECT_EQ(get("big"), pattern(512, 99));
    // It survives a re-open: the records were updated.
    auto again = open();
    EXPECT_EQ(get_from(*again, "k7"), pattern(128, 7));
    EXPECT_EQ(get_from(*again, "big"), pattern(512, 99));

    store_->reset_stats();
    EXPECT_EQ(store_->stats().compactions, 0u);
    EXPECT_EQ(store_->stats().compacted_bytes, 0u);
    EXPECT_EQ(store_->stats().keys, 5u);
}

TEST_F(KvStoreTest, AppendThatNeedsCompactionMovesItsOwnOldValue)
{
    make(1024, {16, 1024});
    for (int i = 0; i < 16; ++i) {
        ASSERT_EQ(put("k" + std::to_string(i), pattern(64, i)), KvStatus::Ok);  // 1 unit each
    }
    for (int i = 0; i < 16; i += 2) {
        ASSERT_EQ(store_->remove(key("k" + std::to_string(i))), KvStatus::Ok);
    }
    // k5 (at unit 5) grows to 2 units; only 1-unit holes exist.
    KvExtent placed;
    ASSERT_EQ(put("k5", pattern(64, 50), KvStoreMode::Append, &placed), KvStatus::Ok);
    EXPECT_EQ(store_->stats().compactions, 1u);
    EXPECT_EQ(placed.offset, 8u * 64);
    EXPECT_EQ(get("k5"), pattern(64, 5) + pattern(64, 50));
    for (int i = 1; i < 16; i += 2) {
        if (i != 5) {
            EXPECT_EQ(get("k" + std::to_string(i)), pattern(64, i));
        }
    }
    EXPECT_EQ(store_->stats().allocated_bytes, 9u * 64);
}

TEST_F(KvStoreTest, ReopenOnTheSameBuffersRestoresEverything)
{
    for (int i = 0; i < 12; ++i) {
        ASSERT_EQ(put("key" + std::to_string(i), pattern(50 + 37 * i, i)), KvStatus::Ok);
    }
    ASSERT_EQ(store_->remove(key("key3")), KvStatus::Ok);
    ASSERT_EQ(store_->remove(key("key8")), KvStatus::Ok);
    ASSERT_EQ(put("key5", pattern(9, 55), KvStoreMode::Append), KvStatus::Ok);
    ASSERT_EQ(put("key0", pattern(700, 77)), KvStatus::Ok);

    auto again = open();
    EXPECT_EQ(again->check_invariants(), "");
    EXPECT_EQ(list_all(*again), list_all(*store_));
    EXPECT_EQ(list_all(*again).size(), 10u);
    for (const std::string &k : list_all(*store_)) {
        EXPECT_EQ(get_from(*again, k), get(k)) << k;
        KvExtent a, b;
        ASSERT_EQ(store_->locate(key(k), a), KvStatus::Ok);
        ASSERT_EQ(again->locate(key(k), b), KvStatus::Ok);
        EXPECT_EQ(a.offset, b.offset);
        EXPECT_EQ(a.length, b.length);
    }
    const KvStats s1 = store_->stats();
    const KvStats s2 = again->stats();
    EXPECT_EQ(s2.keys, s1.keys);
    EXPECT_EQ(s2.value_bytes, s1.value_bytes);
    EXPECT_EQ(s2.allocated_bytes, s1.allocated_bytes);
    EXPECT_EQ(s2.free_bytes, s1.free_bytes);
    EXPECT_EQ(s2.data_bytes, s1.data_bytes);
    EXPECT_EQ(get_from(*again, "key5"), pattern(50 + 37 * 5, 5) + pattern(9, 55));
    EXPECT_EQ(get_from(*again, "key3"), "<absent>");

    // The re-opened store carries on: freed slots and space are usable.
    store_ = std::move(again);
    ASSERT_EQ(put("key3", pattern(33, 3)), KvStatus::Ok);
    ASSERT_EQ(put("key8", pattern(88, 8)), KvStatus::Ok);
    for (int i = 12; i < 16; ++i) {
        ASSERT_EQ(put("key" + std::to_string(i), pattern(5, i)), KvStatus::Ok);
    }
    EXPECT_EQ(put("key16", pattern(5, 16)), KvStatus::TooManyKeys);
}

TEST_F(KvStoreTest, AnotherGeometryThrowsNamingTheProperty)
{
    make(64 * 1024, {1000, 4096});
    ASSERT_EQ(put("a", pattern(10, 1)), KvStatus::Ok);
    meta_.resize(KvStore::metadata_bytes(2000), 0);  // room enough for either
    const std::string keys_err = open_error(data_.size(), {2000, 4096});
    EXPECT_NE(keys_err.find("kv-max-keys 1000"), std::string::npos) << keys_err;
    EXPECT_NE(keys_err.find("kv-max-keys 2000"), std::string::npos) << keys_err;
    const std::string size_err = open_error(32 * 1024, {1000, 4096});
    EXPECT_NE(size_err.find("size"), std::string::npos) << size_err;
    EXPECT_NE(size_err.find("65536"), std::string::npos) << size_err;
    EXPECT_NE(size_err.find("32768"), std::string::npos) << size_err;
    // max_value_bytes is not part of the geometry.
    EXPECT_EQ(open_error(data_.size(), {1000, 2048}), "(no exception)");
    store_.reset();
}

TEST_F(KvStoreTest, TooSmallAMetadataAreaOrAForeignHeaderThrows)
{
    EXPECT_NE(open_error(data_.size(), {200, 4096}).find("kv-max-keys 200"), std::string::npos);
    meta_[3] ^= 0x20;  // the magic is no longer "NVMEVKV1"
    EXPECT_NE(open_error(data_.size(), limits_).find("neither a KV store nor zeros"),
              std::string::npos);
    meta_[3] ^= 0x20;
    // Version 1 (before the drive state area) and a later one are refused.
    for (uint32_t v : {1u, 3u}) {
        reinterpret_cast<KvHeader *>(meta_.data())->version = v;
        EXPECT_EQ(open_error(data_.size(), limits_),
                  "the backing store holds a KV store formatted with format version " +
                      std::to_string(v) +
                      "; this device reads version 2; set reinit-metadata=on to format the key "
                      "store afresh (every key is lost)");
    }
    reinterpret_cast<KvHeader *>(meta_.data())->version = 2;
    EXPECT_EQ(open_error(data_.size(), limits_), "(no exception)");
}

TEST_F(KvStoreTest, CorruptRecordsThrow)
{
    ASSERT_EQ(put("a", pattern(100, 1)), KvStatus::Ok);  // slot 0, units 0..1
    ASSERT_EQ(put("b", pattern(100, 2)), KvStatus::Ok);  // slot 1, units 2..3
    store_.reset();
    auto *rec = reinterpret_cast<KvRecord *>(meta_.data() + sizeof(KvHeader));
    const std::vector<uint8_t> good = meta_;
    auto expect_corrupt = [&](const char *what) {
        const std::string err = open_error(data_.size(), limits_);
        EXPECT_NE(err.find("corrupt"), std::string::npos) << what << ": " << err;
        meta_ = good;
    };
    rec[1].unit_offset = 1023;  // 2 units from the last one: past the end
    expect_corrupt("out of range");
    rec[1].unit_offset = 1;  // overlaps a's second unit
    expect_corrupt("overlap");
    rec[1].key_len = 17;
    expect_corrupt("key length 17");
    rec[1].key_len = 0;
    expect_corrupt("key length 0");
    rec[1].key[0] = 'a';  // duplicate of record 0's key
    expect_corrupt("duplicate");
    rec[1].value_len = 0;
    expect_corrupt("value length 0");
    rec[1].used = 2;
    expect_corrupt("used flag");
    EXPECT_EQ(open_error(data_.size(), limits_), "(no exception)");
    store_ = open();
    EXPECT_EQ(get("b"), pattern(100, 2));
}

// A QEMU killed (SIGKILL) in the middle of a store leaves the metadata as the
// store's writes had got. A record that changes extent is cut between its
// length and its offset: without the journal it named the old extent with
// the new length (a mix of old value and neighbouring bytes). With it, the
// key reads its old value (journal not yet published) or its new one.
TEST_F(KvStoreTest, AnUpdateCutByAKillReadsTheOldOrTheNewValue)
{
    ASSERT_EQ(put("a", pattern(100, 1)), KvStatus::Ok);  // slot 0, units 0..1
    ASSERT_EQ(put("b", pattern(300, 2)), KvStatus::Ok);  // slot 1, units 2..6
    ASSERT_EQ(put("a", pattern(200, 3)), KvStatus::Ok);  // slot 0, units 7..10
    store_.reset();
    auto *header = reinterpret_cast<KvHeader *>(meta_.data());
    auto *rec = reinterpret_cast<KvRecord *>(meta_.data() + sizeof(KvHeader));
    ASSERT_EQ(rec[0].unit_offset, 7u);
    const std::vector<uint8_t> done = meta_;
    // Cut after the new length, before the new offset.
    rec[0].unit_offset = 0;
    const std::vector<uint8_t> cut = meta_;
    // The journal filled but not published: the old value.
    header->journal = {0, 0, 200, 0, 7, 0};
    rec[0].value_len = 100;
    store_ = open();
    EXPECT_EQ(get("a"), pattern(100, 1));
    EXPECT_EQ(get("b"), pattern(300, 2));
    store_.reset();
    // Published: the new value, and the journal is done with.
    meta_ = cut;
    header->journal = {static_cast<uint32_t>(nvmev::ftl::KvJournalKind::Update), 0, 200, 0, 7, 0};
    store_ = open();
    EXPECT_EQ(get("a"), pattern(200, 3));
    EXPECT_EQ(get("b"), pattern(300, 2));
    EXPECT_EQ(header->journal.kind, 0u);
    EXPECT_EQ(0, std::memcmp(meta_.data(), done.data(), meta_.size()));
}

// Compaction slides a value down over its own old extent. Cut in the
// middle, the record still names the old extent, whose first bytes the
// move has overwritten: the journal's move resumes on open, so the value
// reads back whole, whether the kill came before or after the journal
// counted the last piece.
TEST_F(KvStoreTest, ACompactionCutByAKillResumesOnReopen)
{
    const std::string b = pattern(1000, 7);              // 16 units
    ASSERT_EQ(put("a", pattern(128, 1)), KvStatus::Ok);  // slot 0, units 0..1
    ASSERT_EQ(put("b", b), KvStatus::Ok);                // slot 1, units 2..17
    ASSERT_EQ(store_->remove(key("a")), KvStatus::Ok);
    store_.reset();
    auto *header = reinterpret_cast<KvHeader *>(meta_.data());
    auto *rec = reinterpret_cast<KvRecord *>(meta_.data() + sizeof(KvHeader));
    ASSERT_EQ(rec[1].unit_offset, 2u);
    const std::vector<uint8_t> data = data_;
    const std::vector<uint8_t> meta = meta_;
    for (uint64_t counted : {256u, 384u}) {  // 3 pieces of 128 bytes moved
        data_ = data;
        meta_ = meta;
        for (size_t piece = 0; piece < 3; piece++) {  // each no longer than the distance
            std::memcpy(data_.data() + piece * 128, data_.data() + 128 + piece * 128, 128);
        }
        header->journal = {
            static_cast<uint32_t>(nvmev::ftl::KvJournalKind::Move), 1, 1000, 0, 0, counted};
        ASSERT_NE(std::string(reinterpret_cast<const char *>(data_.data() + 128), 1000), b);
        store_ = open();
        EXPECT_EQ(get("b"), b) << counted;
        EXPECT_EQ(rec[1].unit_offset, 0u);
        EXPECT_EQ(header->journal.kind, 0u);
        EXPECT_EQ(store_->check_invariants(), "");
        // The store goes on: a new key takes the space after b.
        ASSERT_EQ(put("c", pattern(64, 9)), KvStatus::Ok);
        EXPECT_EQ(get("c"), pattern(64, 9));
        store_.reset();
    }
    store_ = open();
}

// A hostile or damaged file: a journal entry whose extents lie outside the
// data region is refused before any byte moves (the move would copy from or
// to wherever the offsets point).
TEST_F(KvStoreTest, AJournalEntryOutsideTheDataRegionIsRefused)
{
    ASSERT_EQ(put("a", pattern(128, 1)), KvStatus::Ok);  // slot 0, units 0..1
    store_.reset();
    auto *header = reinterpret_cast<KvHeader *>(meta_.data());
    auto *rec = reinterpret_cast<KvRecord *>(meta_.data() + sizeof(KvHeader));
    const std::vector<uint8_t> meta = meta_;
    const uint32_t move = static_cast<uint32_t>(nvmev::ftl::KvJournalKind::Move);
    const uint32_t update = static_cast<uint32_t>(nvmev::ftl::KvJournalKind::Update);
    const uint64_t far = uint64_t{1} << 40;
    const std::string want = "with an extent outside the data region";
    rec[0].unit_offset = far;  // the record's extent: the move's source
    header->journal = {move, 0, 128, 0, 0, 0};
    EXPECT_NE(open_error(data_.size(), limits_).find(want), std::string::npos);
    meta_ = meta;
    header->journal = {update, 0, 128, 0, far, 0};  // the update's new extent
    EXPECT_NE(open_error(data_.size(), limits_).find(want), std::string::npos);
    meta_ = meta;
    header->journal = {update, 0, 0, 0, 0, 0};  // an empty value
    EXPECT_NE(open_error(data_.size(), limits_).find(want), std::string::npos);
    meta_ = meta;
    store_ = open();
    EXPECT_EQ(get("a"), pattern(128, 1));
    store_.reset();
    // A kill inside an Update that grew the value can leave the record torn:
    // its new length at its old offset, here the region's last unit, so past
    // the region's end. Legitimate: the journal's extent replaces it.
    rec[0].unit_offset = data_.size() / 64 - 1;
    rec[0].value_len = 1000;
    header->journal = {update, 0, 128, 0, 0, 0};
    store_ = open();
    EXPECT_EQ(get("a"), pattern(128, 1));
}

// A kill inside the first format (the header written, its magic not yet):
// the next open formats again instead of refusing the backend.
TEST_F(KvStoreTest, AFormatCutBeforeItsMagicFormatsAgain)
{
    store_.reset();
    auto *header = reinterpret_cast<KvHeader *>(meta_.data());
    std::memset(header->magic, 0, sizeof(header->magic));
    EXPECT_EQ(open_error(data_.size(), limits_), "(no exception)");
    EXPECT_EQ(header->magic[0], 'N');
    // Another device's geometry is still refused.
    std::memset(header->magic, 0, sizeof(header->magic));
    EXPECT_NE(open_error(data_.size() / 2, limits_), "(no exception)");
    store_ = open();
}

TEST_F(KvStoreTest, EraseAllEmptiesTheStoreAndZeroesTheData)
{
    for (int i = 0; i < 16; ++i) {
        ASSERT_EQ(put("k" + std::to_string(i), pattern(300, i)), KvStatus::Ok);
    }
    store_->erase_all();
    const KvStats s = store_->stats();
    EXPECT_EQ(s.keys, 0u);
    EXPECT_EQ(s.value_bytes, 0u);
    EXPECT_EQ(s.allocated_bytes, 0u);
    EXPECT_EQ(s.free_bytes, 65536u);
    EXPECT_FALSE(store_->exists(key("k0")));
    EXPECT_TRUE(list_all(*store_).empty());
    EXPECT_TRUE(std::all_of(data_.begin(), data_.end(), [](uint8_t b) { return b == 0; }));
    EXPECT_EQ(store_->check_invariants(), "");
    // Empty after a re-open too, and every slot is free again.
    store_ = open();
    EXPECT_EQ(store_->stats().keys, 0u);
    for (int i = 0; i < 16; ++i) {
        KvExtent p;
        ASSERT_EQ(put("n" + std::to_string(i), pattern(64, i), KvStoreMode::Upsert, &p),
                  KvStatus::Ok);
        EXPECT_EQ(p.offset, static_cast<uint64_t>(i) * 64);
    }
    EXPECT_EQ(put("n16", pattern(64, 16)), KvStatus::TooManyKeys);
}

}  // namespace
