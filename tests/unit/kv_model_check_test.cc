// ssd=kv: a randomized model check of KvStore against a std::map of strings
// over 1,000,000 operations: every store mode, retrieve with random offsets
// and caps, remove, exists, locate and list. The expected status of every
// store is derived from the model alone (including NoSpace: total free units
// smaller than the new value's). The store is re-opened from its buffers
// every 50,000 operations and compared in full; its invariants are checked
// every 10,000.
#include "../../ftl/kv_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

using nvmev::ftl::KvExtent;
using nvmev::ftl::KvKey;
using nvmev::ftl::KvLimits;
using nvmev::ftl::KvStats;
using nvmev::ftl::KvStatus;
using nvmev::ftl::KvStore;
using nvmev::ftl::KvStoreMode;

namespace {

constexpr uint64_t kDataBytes = 40 * 1024;  // 640 units: NoSpace and compaction are frequent
constexpr KvLimits kLimits = {64, 2048};    // fewer slots than keys: TooManyKeys too
constexpr uint64_t kTotalUnits = kDataBytes / KvStore::kUnitBytes;
constexpr int kOps = 1'000'000;

uint64_t units_for(uint64_t len)
{
    return (len + KvStore::kUnitBytes - 1) / KvStore::kUnitBytes;
}

std::string as_string(const KvKey &k)
{
    return std::string(reinterpret_cast<const char *>(k.bytes.data()), k.len);
}

KvKey as_key(const std::string &s)
{
    return KvKey::of(s.data(), s.size());
}

class KvModelCheck {
public:
    KvModelCheck() : data_(kDataBytes, 0), meta_(KvStore::metadata_bytes(kLimits.max_keys), 0)
    {
        reopen();
    }

    void run()
    {
        for (int op = 1; op <= kOps; ++op) {
            step();
            ASSERT_FALSE(::testing::Test::HasFailure()) << "at operation " << op;
            if (op % 10'000 == 0) {
                ASSERT_EQ(store_->check_invariants(), "") << "at operation " << op;
            }
            if (op % 50'000 == 0) {
                compactions_ += store_->stats().compactions;
                reopen();
                compare_all();
                ASSERT_FALSE(::testing::Test::HasFailure()) << "after re-open at " << op;
            }
        }
        compactions_ += store_->stats().compactions;
    }

    std::map<std::string, uint64_t> outcomes_;  // "store Ok", "store NoSpace", ...
    uint64_t compactions_ = 0;

private:
    void reopen()
    {
        store_.reset();
        store_ = std::make_unique<KvStore>(data_.data(), data_.size(), meta_.data(), meta_.size(),
                                           kLimits);
    }

    uint64_t pick(uint64_t lo, uint64_t hi)
    {
        return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
    }

    // Lengths 1..3 over four bytes (0x00, 'a', 0x80, 0xFF): 84 keys, the short
    // ones hit often; now and then one of two full-length keys.
    std::string random_key()
    {
        if (pick(0, 99) == 0) {
            return pick(0, 1) ? "0123456789abcdef" : "0123456789abcdeg";
        }
        static constexpr char kAlphabet[] = {'\x00', 'a', '\x80', '\xff'};
        std::string k(pick(1, 3), '\0');
        for (char &c : k) {
            c = kAlphabet[pick(0, 3)];
        }
        return k;
    }

    uint32_t random_length(bool append)
    {
        const uint64_t r = pick(0, 99);
        if (r == 0) {
            return 0;
        }
        if (r == 1) {
            return kLimits.max_value_bytes + 1;
        }
        if (append || r < 50) {
            return static_cast<uint32_t>(pick(1, 256));
        }
        return static_cast<uint32_t>(pick(1, kLimits.max_value_bytes));
    }

    void fill(std::string &v, uint32_t len)
    {
        v.resize(len);
        uint64_t x = rng_();
        for (uint32_t i = 0; i < len; i += 8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            std::memcpy(v.data() + i, &x, std::min<uint32_t>(8, len - i));
        }
    }

    KvStatus expected_store(const std::string &k, uint32_t len, KvStoreMode mode,
                            uint64_t &new_len) const
    {
        const auto it = model_.find(k);
        const bool present = it != model_.end();
        if (len == 0 || len > kLimits.max_value_bytes) {
            return KvStatus::ValueTooLarge;
        }
        if (present && mode == KvStoreMode::MustNotExist) {
            return KvStatus::Exists;
        }
        if (!present && mode == KvStoreMode::MustExist) {
            return KvStatus::NotFound;
        }
        new_len = (present && mode == KvStoreMode::Append) ? it->second.size() + len : len;
        if (new_len > kLimits.max_value_bytes) {
            return KvStatus::ValueTooLarge;
        }
        if (!present && model_.size() >= kLimits.max_keys) {
            return KvStatus::TooManyKeys;
        }
        if (kTotalUnits - model_units_ < units_for(new_len)) {
            return KvStatus::NoSpace;
        }
        return KvStatus::Ok;
    }

    void do_store(const std::string &k)
    {
        const auto mode = static_cast<KvStoreMode>(pick(0, 3));
        const uint32_t len = random_length(mode == KvStoreMode::Append);
        fill(value_, len);
        uint64_t new_len = 0;
        const KvStatus want = expected_store(k, len, mode, new_len);
        KvExtent placed;
        const KvStatus got = store_->store(
            as_key(k), reinterpret_cast<const uint8_t *>(value_.data()), len, mode, &placed);
        ++outcomes_["store " + std::to_string(static_cast<int>(got))];
        ASSERT_EQ(got, want) << "mode " << static_cast<int>(mode) << " len " << len;
        if (got != KvStatus::Ok) {
            return;
        }
        std::string &v = model_[k];
        model_units_ -= units_for(v.size());
        if (mode == KvStoreMode::Append) {
            v += value_;
        } else {
            v = value_;
        }
        model_units_ += units_for(v.size());
        ASSERT_EQ(v.size(), new_len);
        ASSERT_EQ(placed.length, units_for(new_len) * KvStore::kUnitBytes);
        ASSERT_LE(placed.offset + placed.length, kDataBytes);
        ASSERT_EQ(std::memcmp(data_.data() + placed.offset, v.data(), v.size()), 0);
    }

    void do_retrieve(const std::string &k)
    {
        const auto it = model_.find(k);
        const uint32_t full = it == model_.end() ? 0 : static_cast<uint32_t>(it->second.size());
        const uint32_t offset = pick(0, 1) ? 0 : static_cast<uint32_t>(pick(0, full + 16));
        const uint32_t cap = static_cast<uint32_t>(pick(0, 2100));
        std::fill(out_.begin(), out_.end(), 0x5A);
        uint32_t len = 0;
        uint32_t copied = 0;
        const KvStatus got = store_->retrieve(as_key(k), offset, out_.data(), cap, len, copied);
        ++outcomes_["retrieve " + std::to_string(static_cast<int>(got))];
        if (it == model_.end()) {
            ASSERT_EQ(got, KvStatus::NotFound);
            return;
        }
        ASSERT_EQ(got, KvStatus::Ok);
        ASSERT_EQ(len, full);
        const uint32_t want = offset >= full ? 0 : std::min(cap, full - offset);
        ASSERT_EQ(copied, want);
        ASSERT_EQ(std::memcmp(out_.data(), it->second.data() + std::min(offset, full), copied), 0);
        ASSERT_EQ(out_[copied], 0x5A);  // nothing written past what was copied
    }

    void do_remove(const std::string &k)
    {
        KvExtent freed;
        const KvStatus got = store_->remove(as_key(k), &freed);
        ++outcomes_["remove " + std::to_string(static_cast<int>(got))];
        const auto it = model_.find(k);
        if (it == model_.end()) {
            ASSERT_EQ(got, KvStatus::NotFound);
            return;
        }
        ASSERT_EQ(got, KvStatus::Ok);
        ASSERT_EQ(freed.length, units_for(it->second.size()) * KvStore::kUnitBytes);
        model_units_ -= units_for(it->second.size());
        model_.erase(it);
    }

    void do_list()
    {
        const bool from_start = pick(0, 4) == 0;
        const std::string start = from_start ? std::string() : random_key();
        const bool inclusive = pick(0, 1);
        const size_t max = pick(0, 12);
        std::vector<KvKey> got;
        store_->list(as_key(start), inclusive, max, got);
        auto it = from_start  ? model_.begin()
                  : inclusive ? model_.lower_bound(start)
                              : model_.upper_bound(start);
        size_t n = 0;
        for (; n < max && it != model_.end(); ++n, ++it) {
            ASSERT_LT(n, got.size());
            ASSERT_EQ(as_string(got[n]), it->first);
        }
        ASSERT_EQ(got.size(), n);
        ++outcomes_["list"];
    }

    void step()
    {
        const std::string k = random_key();
        const uint64_t r = pick(0, 99);
        if (r < 40) {
            do_store(k);
        } else if (r < 60) {
            do_retrieve(k);
        } else if (r < 75) {
            do_remove(k);
        } else if (r < 85) {
            ASSERT_EQ(store_->exists(as_key(k)), model_.contains(k));
        } else if (r < 90) {
            KvExtent where;
            const KvStatus got = store_->locate(as_key(k), where);
            ASSERT_EQ(got, model_.contains(k) ? KvStatus::Ok : KvStatus::NotFound);
        } else {
            do_list();
        }
        const KvStats s = store_->stats();
        ASSERT_EQ(s.keys, model_.size());
        ASSERT_EQ(s.allocated_bytes, model_units_ * KvStore::kUnitBytes);
        ASSERT_EQ(s.free_bytes, kDataBytes - s.allocated_bytes);
    }

    void compare_all()
    {
        std::vector<KvKey> keys;
        store_->list(KvKey{}, true, SIZE_MAX, keys);
        ASSERT_EQ(keys.size(), model_.size());
        uint64_t value_bytes = 0;
        auto it = model_.begin();
        for (const KvKey &k : keys) {
            ASSERT_EQ(as_string(k), it->first);
            uint32_t len = 0;
            uint32_t copied = 0;
            ASSERT_EQ(store_->retrieve(k, 0, out_.data(), static_cast<uint32_t>(out_.size()), len,
                                       copied),
                      KvStatus::Ok);
            ASSERT_EQ(len, it->second.size());
            ASSERT_EQ(copied, len);
            ASSERT_EQ(std::memcmp(out_.data(), it->second.data(), len), 0);
            value_bytes += len;
            ++it;
        }
        const KvStats s = store_->stats();
        ASSERT_EQ(s.value_bytes, value_bytes);
        ASSERT_EQ(s.allocated_bytes, model_units_ * KvStore::kUnitBytes);
        ASSERT_EQ(store_->check_invariants(), "");
    }

    std::mt19937_64 rng_{20240611};
    std::vector<uint8_t> data_;
    std::vector<uint8_t> meta_;
    std::unique_ptr<KvStore> store_;
    std::map<std::string, std::string> model_;
    uint64_t model_units_ = 0;
    std::string value_;
    std::vector<uint8_t> out_ = std::vector<uint8_t>(4096);
};

TEST(KvModelCheck, MillionRandomOperationsAgreeWithAMapModel)
{
    KvModelCheck check;
    check.run();
    ASSERT_FALSE(::testing::Test::HasFailure());
    // The run must have reached every outcome, or it proved less than it claims.
    for (KvStatus s : {KvStatus::Ok, KvStatus::NotFound, KvStatus::Exists, KvStatus::NoSpace,
                       KvStatus::TooManyKeys, KvStatus::ValueTooLarge}) {
        EXPECT_GT(check.outcomes_["store " + std::to_string(static_cast<int>(s))], 500u)
            << "store status " << static_cast<int>(s);
    }
    EXPECT_GT(check.outcomes_["retrieve 0"], 10'000u);
    EXPECT_GT(check.outcomes_["remove 0"], 10'000u);
    EXPECT_GT(check.compactions_, 100u);
    for (const auto &[what, n] : check.outcomes_) {
        std::printf("  %-16s %llu\n", what.c_str(), static_cast<unsigned long long>(n));
    }
    std::printf("  compactions      %llu\n", static_cast<unsigned long long>(check.compactions_));
}

}  // namespace
