// nvmev-kv's operations (guest-tools/kv_client.cc) and bench
// (guest-tools/kv_bench.cc) against a fake KV device that decodes the
// commands the tool builds: list paging, iterator sorting and filtering,
// value padding, batch payloads, and the bench's verification.
#include "kv_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "kv_bench.h"

namespace nvmev_kv {
namespace {

Bytes b(const std::string &s)
{
    return Bytes(s.begin(), s.end());
}

Bytes key_at(const std::array<uint32_t, 16> &dw, std::array<int, 4> at, size_t len)
{
    Bytes key;
    for (size_t i = 0; i < len; i++) {
        key.push_back(static_cast<uint8_t>(dw[at[i / 4]] >> (8 * (i % 4))));
    }
    return key;
}

void put_u32(std::span<uint8_t> d, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        d[at + i] = static_cast<uint8_t>(v >> (8 * i));
    }
}

uint32_t round_up(size_t n, uint32_t a)
{
    return static_cast<uint32_t>((n + a - 1) / a * a);
}

// Payload fields take whole 64-byte units; an empty one still takes one.
uint32_t batch_field(size_t n)
{
    return n == 0 ? 64 : round_up(n, 64);
}

// A key-value device with the semantics of docs/kv.md, small enough to
// trust: it decodes each command from its dwords alone.
class FakeKv : public Transport {
public:
    explicit FakeKv(Flavour f) : flavour_(f) {}

    Reply submit(const Command &c, std::span<uint8_t> data) override
    {
        sent.push_back(c);
        EXPECT_EQ(data.size(), c.data_len);
        return flavour_ == Flavour::standard ? standard_cmd(c, data) : vendor_cmd(c, data);
    }

    std::map<Bytes, Bytes> kv;
    std::vector<Command> sent;
    size_t iterate_batch = 2;    // keys per iterate read
    bool corrupt_reads = false;  // flip the first byte of every retrieved value

private:
    static Reply status(uint16_t s) { return Reply{.status = s}; }

    Reply retrieve(const Bytes &key, uint32_t offset, std::span<uint8_t> data, uint16_t missing)
    {
        const auto it = kv.find(key);
        if (it == kv.end()) {
            return status(missing);
        }
        const Bytes &v = it->second;
        for (size_t i = 0; offset + i < v.size() && i < data.size(); i++) {
            data[i] = v[offset + i];
        }
        if (corrupt_reads && !data.empty()) {
            data[0] ^= 1;
        }
        return Reply{.dw0 = static_cast<uint32_t>(v.size())};
    }

    Reply standard_cmd(const Command &c, std::span<uint8_t> data)
    {
        const size_t klen = c.dw[11] & 0xff;
        const Bytes key = key_at(c.dw, {2, 3, 14, 15}, std::min<size_t>(klen, 16));
        if (klen > 16 || (klen == 0 && c.opcode() != standard::kList)) {
            return status(standard::kInvalidKeySize);
        }
        const bool exists = kv.contains(key);
        switch (c.opcode()) {
            case standard::kStore: {
                const uint8_t opts = static_cast<uint8_t>(c.dw[11] >> 8);
                if (c.dw[10] == 0) {
                    return status(standard::kInvalidValueSize);
                }
                if ((opts & standard::kOnlyIfExists) && !exists) {
                    return status(standard::kKeyDoesNotExist);
                }
                if ((opts & standard::kOnlyIfAbsent) && exists) {
                    return status(standard::kKeyExists);
                }
                kv[key] = Bytes(data.begin(), data.begin() + c.dw[10]);
                return Reply{};
            }
            case standard::kRetrieve: return retrieve(key, 0, data, standard::kKeyDoesNotExist);
            case standard::kList: {
                uint32_t count = 0;
                size_t at = 4;
                for (auto it = kv.lower_bound(key); it != kv.end(); ++it) {
                    const size_t len = it->first.size();
                    if (at + 2 + len > c.dw[10]) {
                        break;
                    }
                    data[at] = static_cast<uint8_t>(len);
                    std::copy(it->first.begin(), it->first.end(), data.begin() + at + 2);
                    at += round_up(2 + len, 4);
                    count++;
                }
                put_u32(data, 0, count);
                return Reply{};
            }
            case standard::kDelete:
                return kv.erase(key) ? Reply{} : status(standard::kKeyDoesNotExist);
            case standard::kExist: return exists ? Reply{} : status(standard::kKeyDoesNotExist);
            default: return status(0x001);
        }
    }

    Reply vendor_cmd(const Command &c, std::span<uint8_t> data)
    {
        const size_t klen = (c.dw[11] & 0xff) + 1;
        const Bytes key = key_at(c.dw, {12, 13, 14, 15}, std::min<size_t>(klen, 16));
        switch (c.opcode()) {
            case vendor::kStore:
            case vendor::kAppend: {
                if (klen > 16) {
                    return status(standard::kInvalidKeySize);
                }
                const size_t len = c.dw[10] * 4 - ((c.dw[11] >> 16) & 3);
                const Bytes value(data.begin(), data.begin() + len);
                if ((c.dw[11] >> 8 & vendor::kIdempotent) && kv.contains(key)) {
                    return status(standard::kKeyExists);
                }
                Bytes &v = kv[key];
                if (c.opcode() == vendor::kStore) {
                    v.clear();
                }
                v.insert(v.end(), value.begin(), value.end());
                return Reply{};
            }
            case vendor::kRetrieve: return retrieve(key, c.dw[4], data, vendor::kKeyDoesNotExist);
            case vendor::kDelete: return kv.erase(key) ? Reply{} : status(vendor::kKeyDoesNotExist);
            case vendor::kExist:
                return kv.contains(key) ? Reply{} : status(vendor::kKeyDoesNotExist);
            case vendor::kIterateRequest: return iterate_request(c);
            case vendor::kIterateRead: return iterate_read(c, data);
            case vendor::kBatch: return batch(c, data);
            default: return status(0x001);
        }
    }

    Reply iterate_request(const Command &c)
    {
        if ((c.dw[11] >> 8 & 0xff) == vendor::kIterateClose) {
            EXPECT_EQ(c.dw[11] & 0xff, 3u);
            iterating_ = false;
            return Reply{};
        }
        // Matching keys, last first: the tool must sort them.
        pending_.clear();
        for (const auto &[k, v] : kv) {
            uint32_t first4 = 0;
            for (size_t i = 0; i < std::min<size_t>(k.size(), 4); i++) {
                first4 |= uint32_t{k[i]} << (8 * i);
            }
            if ((first4 & c.dw[13]) == (c.dw[12] & c.dw[13])) {
                pending_.insert(pending_.begin(), k);
            }
        }
        iterating_ = true;
        return Reply{.dw0 = 3};
    }

    Reply iterate_read(const Command &c, std::span<uint8_t> data)
    {
        EXPECT_TRUE(iterating_);
        EXPECT_EQ(c.dw[11], 3u);
        if (data.size() < 4) {
            return status(kInvalidField);
        }
        uint32_t count = 0;
        size_t at = 4;
        while (!pending_.empty() && count < iterate_batch &&
               at + 4 + round_up(pending_.front().size(), 4) <= data.size()) {
            const Bytes &k = pending_.front();
            put_u32(data, at, static_cast<uint32_t>(k.size()));
            std::copy(k.begin(), k.end(), data.begin() + at + 4);
            at += 4 + round_up(k.size(), 4);
            pending_.erase(pending_.begin());
            count++;
        }
        put_u32(data, 0, count);
        return pending_.empty() ? status(vendor::kIterateEnd) : Reply{};
    }

    Reply batch(const Command &c, std::span<uint8_t> data)
    {
        size_t at = vendor::kBatchHeaderBytes;
        for (unsigned i = 0; i < c.dw[11] >> 24; i++) {
            const uint8_t *attr = data.data() + i * vendor::kBatchAttrBytes;
            const size_t klen = attr[1];
            const size_t vlen = attr[4] | attr[5] << 8 | attr[6] << 16 | attr[7] << 24;
            at += vendor::kBatchAlign;
            const Bytes key(data.begin() + at, data.begin() + at + klen);
            at += batch_field(klen);
            if (attr[0] == vendor::kStore) {
                kv[key] = Bytes(data.begin() + at, data.begin() + at + vlen);
            } else {
                kv.erase(key);
            }
            at += batch_field(vlen);
        }
        EXPECT_EQ(at, c.dw[10] * 4);
        return Reply{};
    }

    Flavour flavour_;
    std::vector<Bytes> pending_;
    bool iterating_ = false;
};

class KvToolClient : public ::testing::TestWithParam<Flavour> {
protected:
    FakeKv dev{GetParam()};
    KvClient kv{dev, GetParam(), 1};
};

TEST_P(KvToolClient, PutGetDeleteExistsRoundTrip)
{
    for (size_t len : {1, 2, 3, 4, 5, 7, 8, 9, 4095, 4097}) {
        const Bytes key = b("k" + std::to_string(len));
        Bytes value(len);
        for (size_t i = 0; i < len; i++) {
            value[i] = static_cast<uint8_t>(i * 7 + len);
        }
        ASSERT_TRUE(kv.put(key, value, PutMode::plain).ok()) << len;
        EXPECT_EQ(dev.kv.at(key), value) << len;  // padding is not part of the value
        Bytes got;
        const Reply r = kv.get(key, GetOptions{.buffer = 8192}, got);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r.dw0, len);
        EXPECT_EQ(got, value);
    }
    EXPECT_TRUE(kv.exists(b("k5")).ok());
    EXPECT_TRUE(kv.remove(b("k5")).ok());
    EXPECT_TRUE(kv.missing(kv.exists(b("k5"))));
    EXPECT_TRUE(kv.missing(kv.remove(b("k5"))));
    Bytes got{1, 2, 3};
    EXPECT_TRUE(kv.missing(kv.get(b("k5"), GetOptions{.buffer = 16}, got)));
    EXPECT_TRUE(got.empty());
}

TEST_P(KvToolClient, SmallBufferGetsThePrefixUnlessAllowedToGrow)
{
    const Bytes value = b("0123456789abcdefghij");
    ASSERT_TRUE(kv.put(b("big"), value, PutMode::plain).ok());
    Bytes got;
    Reply r = kv.get(b("big"), GetOptions{.buffer = 8}, got);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.dw0, 20u);
    EXPECT_EQ(got, b("01234567"));
    dev.sent.clear();
    r = kv.get(b("big"), GetOptions{.buffer = 8, .grow_to = 4096}, got);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(got, value);
    ASSERT_EQ(dev.sent.size(), 2u);
    EXPECT_EQ(dev.sent[1].data_len, 20u);  // exactly the value the second time
}

TEST_P(KvToolClient, IfAbsentRefusesAnExistingKey)
{
    ASSERT_TRUE(kv.put(b("k"), b("one"), PutMode::if_absent).ok());
    const Reply r = kv.put(b("k"), b("two"), PutMode::if_absent);
    EXPECT_EQ(r.status, standard::kKeyExists);
    EXPECT_EQ(dev.kv.at(b("k")), b("one"));
}

// Keys chosen to trip a pager: a prefix before its extensions, a key with
// a 00h byte right after another, 16-byte keys ending in FFh.
std::vector<Bytes> awkward_keys()
{
    std::vector<Bytes> keys = {b("a"), b("ab"), b("abc"), b("b"), b("z")};
    keys.push_back(Bytes{'a', 0});
    keys.push_back(Bytes{'a', 0, 0});
    Bytes full(16, 'q');
    keys.push_back(full);
    full.back() = 0xff;
    keys.push_back(full);
    full[14] = 0xff;
    keys.push_back(full);
    keys.push_back(Bytes(16, 0xff));
    keys.push_back(Bytes{'r'});
    for (int i = 0; i < 40; i++) {
        keys.push_back(b("key" + std::to_string(1000 + i)));
    }
    return keys;
}

TEST_P(KvToolClient, ListReturnsEveryKeyInByteOrderWhateverTheBuffer)
{
    std::vector<Bytes> keys = awkward_keys();
    for (const Bytes &k : keys) {
        ASSERT_TRUE(kv.put(k, b("v"), PutMode::plain).ok());
    }
    std::sort(keys.begin(), keys.end());
    for (uint32_t buffer : {24u, 64u, 4096u}) {
        std::vector<Bytes> got;
        dev.sent.clear();
        ASSERT_TRUE(kv.list({}, {}, SIZE_MAX, got, buffer).ok()) << buffer;
        EXPECT_EQ(got, keys) << buffer;
        if (GetParam() == Flavour::standard && buffer == 24) {
            EXPECT_GT(dev.sent.size(), keys.size() / 2);  // paged, a key or two at a time
        }
    }
}

TEST_P(KvToolClient, ListStartPrefixAndMax)
{
    for (const Bytes &k : awkward_keys()) {
        ASSERT_TRUE(kv.put(k, b("v"), PutMode::plain).ok());
    }
    std::vector<Bytes> got;
    ASSERT_TRUE(kv.list(b("ab"), {}, 3, got, 64).ok());
    EXPECT_EQ(got, (std::vector<Bytes>{b("ab"), b("abc"), b("b")}));
    ASSERT_TRUE(kv.list({}, b("a"), SIZE_MAX, got, 64).ok());
    EXPECT_EQ(got,
              (std::vector<Bytes>{b("a"), Bytes{'a', 0}, Bytes{'a', 0, 0}, b("ab"), b("abc")}));
    // Longer than the 4 bytes the vendor iterator matches on.
    ASSERT_TRUE(kv.list({}, b("key102"), SIZE_MAX, got, 64).ok());
    ASSERT_EQ(got.size(), 10u);
    EXPECT_EQ(got.front(), b("key1020"));
    EXPECT_EQ(got.back(), b("key1029"));
    ASSERT_TRUE(kv.list(b("key1035"), b("key"), SIZE_MAX, got, 64).ok());
    EXPECT_EQ(got.size(), 5u);
    // Past every key but the last, which has no successor to page from.
    ASSERT_TRUE(kv.list(b("zz"), {}, SIZE_MAX, got, 64).ok());
    EXPECT_EQ(got, std::vector<Bytes>{Bytes(16, 0xff)});
}

TEST_P(KvToolClient, BenchVerifiesWhatItStored)
{
    char *text = nullptr;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    const BenchOptions o{
        .ops = 400, .keys = 20, .value_size = 33, .mix = {30, 50, 10, 10}, .seed = 7, .json = true};
    EXPECT_EQ(run_bench(kv, o, out, stderr), 0u);
    std::fclose(out);
    const std::string report(text, len);
    std::free(text);
    EXPECT_NE(report.find("\"mismatches\": 0"), std::string::npos) << report;
    EXPECT_NE(report.find("\"fill\": {\"count\": 20,"), std::string::npos) << report;
}

TEST_P(KvToolClient, BenchCountsCorruptValues)
{
    dev.corrupt_reads = true;
    FILE *null = std::fopen("/dev/null", "w");
    const BenchOptions o{.ops = 100, .keys = 5, .value_size = 8, .mix = {0, 1, 0, 0}};
    EXPECT_EQ(run_bench(kv, o, null, null), 100u);  // nothing deleted: every get finds a value
    std::fclose(null);
}

INSTANTIATE_TEST_SUITE_P(KvTool, KvToolClient,
                         ::testing::Values(Flavour::standard, Flavour::vendor),
                         [](const auto &info) {
                             return info.param == Flavour::standard ? "Standard" : "Vendor";
                         });

TEST(KvToolClientModes, EachFlavourRefusesTheModesItLacks)
{
    FakeKv s(Flavour::standard), v(Flavour::vendor);
    KvClient std_kv(s, Flavour::standard, 1), vnd_kv(v, Flavour::vendor, 1);
    EXPECT_EQ(std_kv.put(b("k"), b("v"), PutMode::append).err, EOPNOTSUPP);
    EXPECT_EQ(vnd_kv.put(b("k"), b("v"), PutMode::if_exists).err, EOPNOTSUPP);
    EXPECT_EQ(std_kv.batch({}).err, EOPNOTSUPP);
    EXPECT_TRUE(s.sent.empty());
    EXPECT_TRUE(v.sent.empty());
}

TEST(KvToolClientVendor, AppendAndBatch)
{
    FakeKv dev(Flavour::vendor);
    KvClient kv(dev, Flavour::vendor, 1);
    ASSERT_TRUE(kv.put(b("log"), b("abc"), PutMode::plain).ok());
    ASSERT_TRUE(kv.put(b("log"), b("defgh"), PutMode::append).ok());
    EXPECT_EQ(dev.kv.at(b("log")), b("abcdefgh"));
    const std::vector<vendor::BatchOp> ops = {
        {.store = true, .key = b("b1"), .value = Bytes(100, 7)},
        {.store = false, .key = b("log"), .value = {}},
        {.store = true, .key = b("b2"), .value = b("x")},
    };
    ASSERT_TRUE(kv.batch(ops).ok());
    EXPECT_EQ(dev.kv.at(b("b1")), Bytes(100, 7));
    EXPECT_EQ(dev.kv.at(b("b2")), b("x"));
    EXPECT_FALSE(dev.kv.contains(b("log")));
}

TEST(KvToolClientVendor, IteratorIsClosedAfterAnError)
{
    FakeKv dev(Flavour::vendor);
    KvClient kv(dev, Flavour::vendor, 1);
    ASSERT_TRUE(kv.put(b("k"), b("v"), PutMode::plain).ok());
    std::vector<Bytes> keys;
    EXPECT_EQ(kv.list({}, {}, SIZE_MAX, keys, 2).status, kInvalidField);  // no room for a count
    EXPECT_EQ(dev.sent.back().opcode(), vendor::kIterateRequest);
    EXPECT_EQ(dev.sent.back().dw[11], 0x203u);
}

}  // namespace
}  // namespace nvmev_kv
