// NVMeVirt's KV opcodes (kv-vendor-opcodes=on): layout, statuses without
// DNR as NVMeVirt returns them, iterate, batch, and the NVM face.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "kv_fixture.h"

namespace nvmev::test {
namespace {

class KvVendorTest : public KvFixture {
protected:
    void SetUp() override { make_kv(true); }

    uint16_t vput(const std::string &key, uint32_t bytes, uint8_t seed, uint8_t option = 0,
                  uint8_t opc = kKvVendorStore)
    {
        fill(kData, bytes, seed);
        const uint32_t dwords = (bytes + 3) / 4;
        return st(vendor(opc, key, dwords, option, dwords * 4 - bytes));
    }
};

TEST_F(KvVendorTest, StoreRetrieveWithPaddingAndOffset)
{
    ASSERT_EQ(vput("key1", 10, 3), 0);  // 3 dwords, 2 pad bytes
    std::memset(host_.ram.data() + kData, 0, 64);
    Cqe c = io(vendor(kKvVendorRetrieve, "key1", 16));
    ASSERT_EQ(Driver::status(c), 0);
    EXPECT_EQ(c.dw0, 10u);
    for (uint32_t i = 0; i < 10; i++) {
        EXPECT_EQ(host_.ram[kData + i], static_cast<uint8_t>(3 + i * 13)) << i;
    }
    EXPECT_EQ(host_.ram[kData + 10], 0);
    // From offset 4: bytes 4..9.
    std::memset(host_.ram.data() + kData, 0, 64);
    c = io(vendor(kKvVendorRetrieve, "key1", 16, 0, 0, 4));
    ASSERT_EQ(Driver::status(c), 0);
    EXPECT_EQ(host_.ram[kData], static_cast<uint8_t>(3 + 4 * 13));
    EXPECT_EQ(st(vendor(kKvVendorRetrieve, "key1", 16, 0, 0, 11)), 0x4002);  // past the end
    // Option 2: the size only.
    std::memset(host_.ram.data() + kData, 0, 64);
    c = io(vendor(kKvVendorRetrieve, "key1", 16, 2));
    EXPECT_EQ(c.dw0, 10u);
    EXPECT_EQ(host_.ram[kData], 0);
}

TEST_F(KvVendorTest, MissingKeysGetNvmevirtsStatusWithoutDnr)
{
    EXPECT_EQ(st(vendor(kKvVendorRetrieve, "none", 4)), kKvVendorKeyNotExists);
    EXPECT_EQ(st(vendor(kKvVendorExist, "none")), kKvVendorKeyNotExists);
    EXPECT_EQ(st(vendor(kKvVendorDelete, "none")), kKvVendorKeyNotExists);
    ASSERT_EQ(vput("here", 8, 1), 0);
    EXPECT_EQ(st(vendor(kKvVendorExist, "here")), 0);
    EXPECT_EQ(st(vendor(kKvVendorDelete, "here")), 0);
    EXPECT_EQ(st(vendor(kKvVendorExist, "here")), kKvVendorKeyNotExists);
}

TEST_F(KvVendorTest, IdempotentStoreAppendAndBadSizes)
{
    ASSERT_EQ(vput("k", 8, 1), 0);
    EXPECT_EQ(vput("k", 8, 2, kKvVendorStoreIdempotent), 0x4189);
    ASSERT_EQ(vput("k", 4, 5, 0, kKvVendorAppend), 0);
    Cqe c = io(vendor(kKvVendorRetrieve, "k", 4));
    EXPECT_EQ(c.dw0, 12u);
    EXPECT_EQ(host_.ram[kData], static_cast<uint8_t>(1));      // old bytes first
    EXPECT_EQ(host_.ram[kData + 8], static_cast<uint8_t>(5));  // then the appended ones
    EXPECT_EQ(st(vendor(kKvVendorStore, "k", 0)), 0x4185);
    EXPECT_EQ(st(vendor(kKvVendorStore, "k", kMaxValue / 4 + 1)), 0x4185);
    EXPECT_EQ(st(vendor(kKvVendorStore, "k", 1, 0, 0, 4)), 0x4002);  // store offset
    Sqe long_key = vendor(kKvVendorStore, "k", 1);
    long_key.cdw11 = (long_key.cdw11 & ~0xffu) | 16;  // 17 bytes: past the inline key
    EXPECT_EQ(st(long_key), 0x4186);
}

TEST_F(KvVendorTest, IterateReturnsMatchingKeysInOrderThenEnds)
{
    // Keys whose first 4 bytes are "usr1" (matched) or "tmp1" (not).
    for (const char *k : {"usr1-c", "tmp1-a", "usr1-a", "usr1-b", "usr1"}) {
        ASSERT_EQ(vput(k, 4, 1), 0);
    }
    uint32_t prefix = 0;
    std::memcpy(&prefix, "usr1", 4);
    Sqe open = vendor(kKvVendorIterRequest, "x", 0, kKvVendorIterOpen | kKvVendorIterKeyOnly);
    open.cdw11 &= ~0xffu;
    open.cdw12 = prefix;
    open.cdw13 = 0xffffffff;
    Cqe c = io(open);
    ASSERT_EQ(Driver::status(c), 0);
    const uint32_t handle = c.dw0;
    EXPECT_EQ(handle, 1u);
    // 4 + 2 x (4 + 8) = 28 bytes: two keys per read.
    Sqe read = vendor(kKvVendorIterRead, "x", 7);
    read.cdw11 = handle;
    std::vector<std::string> seen;
    uint16_t status = 0;
    for (int i = 0; i < 5 && status != kKvVendorIterEnd; i++) {
        c = io(read);
        status = Driver::status(c);
        ASSERT_TRUE(status == 0 || status == kKvVendorIterEnd) << std::hex << status;
        const uint32_t n = host_.read<uint32_t>(kData);
        uint64_t p = kData + 4;
        for (uint32_t k = 0; k < n; k++) {
            const uint32_t len = host_.read<uint32_t>(p);
            seen.emplace_back(reinterpret_cast<const char *>(host_.ram.data() + p + 4), len);
            p += 4 + (len + 3) / 4 * 4;
        }
        EXPECT_EQ(c.dw0, p - kData);
    }
    EXPECT_EQ(status, kKvVendorIterEnd);
    EXPECT_EQ(seen, (std::vector<std::string>{"usr1", "usr1-a", "usr1-b", "usr1-c"}));
    Sqe close = vendor(kKvVendorIterRequest, "x", 0, kKvVendorIterClose);
    close.cdw11 = handle | (uint32_t{kKvVendorIterClose} << 8);
    EXPECT_EQ(st(close), 0);
    EXPECT_EQ(st(read), 0x4002);   // closed
    EXPECT_EQ(st(close), 0x4002);  // already closed
}

TEST_F(KvVendorTest, SixteenIteratorsAtMost)
{
    Sqe open = vendor(kKvVendorIterRequest, "x", 0, kKvVendorIterOpen);
    for (unsigned i = 1; i <= 16; i++) {
        const Cqe c = io(open);
        ASSERT_EQ(Driver::status(c), 0);
        EXPECT_EQ(c.dw0, i);
    }
    EXPECT_EQ(st(open), 0x4002);
    EXPECT_EQ(st(vendor(kKvVendorIterRequest, "x", 0, kKvVendorIterKeyValue)), 0x4002);
}

// A batch payload: 512-byte header of 16-byte attributes, then per
// sub-command 64 bytes, the key and the value, each padded to 64 bytes.
struct Batch {
    std::vector<uint8_t> bytes = std::vector<uint8_t>(512, 0);
    unsigned n = 0;
    void add(uint8_t opc, const std::string &key, const std::string &value)
    {
        uint8_t *a = bytes.data() + 16 * n++;
        a[0] = opc;
        a[1] = static_cast<uint8_t>(key.size());
        const uint32_t vs = static_cast<uint32_t>(value.size());
        std::memcpy(a + 4, &vs, 4);
        const auto field = [](size_t len) { return len ? (len + 63) / 64 * 64 : 64; };
        const size_t at = bytes.size();
        bytes.resize(at + 64 + field(key.size()) + field(value.size()), 0);
        std::memcpy(bytes.data() + at + 64, key.data(), key.size());
        std::memcpy(bytes.data() + at + 64 + field(key.size()), value.data(), value.size());
    }
};

TEST_F(KvVendorTest, BatchStoresAndDeletesInOrder)
{
    ASSERT_EQ(vput("old", 4, 1), 0);
    Batch b;
    b.add(kKvVendorStore, "b1", "first value");
    b.add(kKvVendorStore, "b2", std::string(100, 'x'));
    b.add(kKvVendorDelete, "old", "");
    std::memcpy(host_.ram.data() + kData, b.bytes.data(), b.bytes.size());
    Sqe s = vendor(kKvVendorBatch, "x", static_cast<uint32_t>(b.bytes.size() / 4));
    s.cdw11 = b.n << 24;
    ASSERT_EQ(st(s), 0);
    Cqe c = io(vendor(kKvVendorRetrieve, "b1", 16));
    EXPECT_EQ(c.dw0, 11u);
    EXPECT_EQ(std::memcmp(host_.ram.data() + kData, "first value", 11), 0);
    c = io(vendor(kKvVendorRetrieve, "b2", 64));
    EXPECT_EQ(c.dw0, 100u);
    EXPECT_EQ(st(vendor(kKvVendorExist, "old")), kKvVendorKeyNotExists);
    // A count of 0 or 9, or a payload that ends inside a sub-command.
    s.cdw11 = 0;
    EXPECT_EQ(st(s), 0x4002);
    s.cdw11 = 9u << 24;
    EXPECT_EQ(st(s), 0x4002);
    std::memcpy(host_.ram.data() + kData, b.bytes.data(), b.bytes.size());
    s.cdw11 = b.n << 24;
    s.cdw10 = static_cast<uint32_t>(b.bytes.size() / 4 - 16);
    EXPECT_EQ(st(s), 0x4002);
}

TEST_F(KvVendorTest, TheNamespaceLooksLikeAnNvmOneThatReadsZeros)
{
    Sqe id = make_admin(nvme_admin_identify, NVME_IDENTIFY_CNS_NS);
    id.nsid = 1;
    ASSERT_EQ(admin_status(id), 0);
    nvme_id_ns ns;
    std::memcpy(&ns, host_.ram.data() + kData, sizeof(ns));
    EXPECT_EQ(ns.nsze, (1u << 20) / 512);
    Sqe vec = make_admin(nvme_admin_identify, NVME_IDENTIFY_CNS_COMMAND_SET_STRUCTURE);
    ASSERT_EQ(admin_status(vec), 0);
    EXPECT_EQ(host_.read<uint64_t>(kData), 0x1u);  // NVM only
    ASSERT_EQ(vput("k", 512, 7), 0);
    std::memset(host_.ram.data() + kData, 0xAA, 4096);
    ASSERT_EQ(st(make_rw(nvme_cmd_read, 0, 8, kData)), 0);
    for (int i = 0; i < 4096; i++) {
        ASSERT_EQ(host_.ram[kData + i], 0) << i;
    }
    EXPECT_EQ(st(make_rw(nvme_cmd_write, 0, 8, kData)), 0x4001);
    EXPECT_EQ(st(make_rw(nvme_cmd_read, 2048, 1, kData)), 0x4080);  // past the end
    // The effects log of CSI 0 lists the vendor opcodes.
    Sqe log = make_admin(nvme_admin_get_log_page,
                         NVME_LOG_LID_CMD_EFFECTS | ((sizeof(nvme_cmd_effects_log) / 4 - 1) << 16));
    ASSERT_EQ(admin_status(log), 0);
    nvme_cmd_effects_log e;
    std::memcpy(&e, host_.ram.data() + kData, sizeof(e));
    EXPECT_EQ(e.iocs[kKvVendorStore], NVME_CMD_EFFECTS_CSUPP | NVME_CMD_EFFECTS_LBCC);
    EXPECT_EQ(e.iocs[kKvVendorRetrieve], NVME_CMD_EFFECTS_CSUPP);
    EXPECT_EQ(e.iocs[kKvVendorIterRead], NVME_CMD_EFFECTS_CSUPP);
}

}  // namespace
}  // namespace nvmev::test
