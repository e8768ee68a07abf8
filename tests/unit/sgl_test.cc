// SGLs (NVMe 2.0c 4.1.2) through the controller: each descriptor type,
// chained segments, every error the walker reports, and PSDT rules.
#include <gtest/gtest.h>

#include <cstring>

#include "core_fixture.h"
#include "sgl.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr uint64_t kList = 0xB00000;  // SGL segments live here
constexpr uint64_t kBuf = Driver::kDataBase;

SglDescriptor desc(uint8_t type, uint64_t addr, uint32_t len, uint8_t subtype = 0)
{
    SglDescriptor d{};
    d.addr = addr;
    d.len = len;
    d.id = static_cast<uint8_t>(type << 4 | subtype);
    return d;
}

// An I/O command whose DPTR is the SGL descriptor d (PSDT 01b).
Sqe sgl_rw(uint8_t opcode, uint64_t slba, uint32_t nlb, const SglDescriptor &d)
{
    Sqe s = make_rw(opcode, slba, nlb, 0);
    s.flags = 1 << 6;
    std::memcpy(&s.prp1, &d, 16);
    return s;
}

class SglTest : public CoreFixture {
protected:
    void SetUp() override
    {
        CoreFixture::SetUp();
        ready_with_io_queue();
    }
    // Writes descriptors at addr; returns a segment descriptor of `type` for them.
    SglDescriptor segment(uint8_t type, uint64_t addr, std::initializer_list<SglDescriptor> ds)
    {
        uint64_t at = addr;
        for (const auto &d : ds) {
            host_.write(at, d);
            at += 16;
        }
        return desc(type, addr, static_cast<uint32_t>(ds.size() * 16));
    }
    uint16_t write_sgl(const SglDescriptor &d, uint32_t nlb = 2)
    {
        return io_status(sgl_rw(nvme_cmd_write, 0, nlb, d));
    }
};

constexpr uint16_t kTypeInvalid = sc(0, NVME_SC_SGL_INVALID_TYPE);
constexpr uint16_t kBadSegment = sc(0, NVME_SC_SGL_INVALID_LAST);
constexpr uint16_t kBadCount = sc(0, NVME_SC_SGL_INVALID_COUNT);
constexpr uint16_t kBadLength = sc(0, NVME_SC_SGL_INVALID_DATA);

}  // namespace

TEST_F(SglTest, IdentifyControllerAdvertisesSgls)
{
    ASSERT_EQ(admin_status(make_admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL)), 0);
    const auto id = host_.read<struct nvme_id_ctrl>(kBuf);
    EXPECT_EQ(id.sgls, 1u | NVME_CTRL_SGLS_BIT_BUCKET | NVME_CTRL_SGLS_OVERSIZE);
}

TEST_F(SglTest, DataBlockInDptrWritesAndReadsBack)
{
    fill(kBuf + 3, 1024, 7);  // byte-aligned: SGLS bits 1:0 = 01b
    ASSERT_EQ(write_sgl(desc(kSglDataBlock, kBuf + 3, 1024)), 0);
    EXPECT_EQ(std::memcmp(backing_.data(), host_.ram.data() + kBuf + 3, 1024), 0);
    ASSERT_EQ(io_status(sgl_rw(nvme_cmd_read, 0, 2, desc(kSglDataBlock, kBuf + 0x10001, 1024))), 0);
    EXPECT_EQ(std::memcmp(backing_.data(), host_.ram.data() + kBuf + 0x10001, 1024), 0);
}

TEST_F(SglTest, SegmentChainScattersDataInOrder)
{
    // Segment: 100 B at A, 412 B at B, then a Last Segment with 512 B at C.
    const uint64_t a = kBuf + 0x100, b = kBuf + 0x5003, c = kBuf + 0x9000;
    fill(a, 100, 1);
    fill(b, 412, 2);
    fill(c, 512, 3);
    const SglDescriptor last =
        segment(kSglLastSegment, kList + 0x1000, {desc(kSglDataBlock, c, 512)});
    const SglDescriptor first = segment(
        kSglSegment, kList, {desc(kSglDataBlock, a, 100), desc(kSglDataBlock, b, 412), last});
    ASSERT_EQ(write_sgl(first), 0);
    EXPECT_EQ(std::memcmp(backing_.data(), host_.ram.data() + a, 100), 0);
    EXPECT_EQ(std::memcmp(backing_.data() + 100, host_.ram.data() + b, 412), 0);
    EXPECT_EQ(std::memcmp(backing_.data() + 512, host_.ram.data() + c, 512), 0);
}

TEST_F(SglTest, BitBucketDropsReadBytes)
{
    fill(kBuf, 1024, 9);
    ASSERT_EQ(write_sgl(desc(kSglDataBlock, kBuf, 1024)), 0);
    const uint64_t a = kBuf + 0x20000, b = kBuf + 0x30000;
    std::memset(host_.ram.data() + a, 0xee, 0x20000);
    const SglDescriptor last = segment(
        kSglLastSegment, kList,
        {desc(kSglDataBlock, a, 100), desc(kSglBitBucket, 0, 824), desc(kSglDataBlock, b, 100)});
    ASSERT_EQ(io_status(sgl_rw(nvme_cmd_read, 0, 2, last)), 0);
    EXPECT_EQ(std::memcmp(host_.ram.data() + a, backing_.data(), 100), 0);
    EXPECT_EQ(std::memcmp(host_.ram.data() + b, backing_.data() + 924, 100), 0);
    EXPECT_EQ(host_.ram[a + 100], 0xee);  // nothing beyond the descriptors
    EXPECT_EQ(host_.ram[b + 100], 0xee);
}

TEST_F(SglTest, BitBucketInAWriteIsAnInvalidType)
{
    const SglDescriptor last = segment(
        kSglLastSegment, kList, {desc(kSglDataBlock, kBuf, 512), desc(kSglBitBucket, 0, 512)});
    EXPECT_EQ(write_sgl(last), kTypeInvalid);
}

TEST_F(SglTest, UnsupportedTypesAndSubtypes)
{
    EXPECT_EQ(write_sgl(desc(0x4, kBuf, 1024)), kTypeInvalid);               // Keyed Data Block
    EXPECT_EQ(write_sgl(desc(0x5, kBuf, 1024)), kTypeInvalid);               // Transport Data Block
    EXPECT_EQ(write_sgl(desc(0xe, kBuf, 1024)), kTypeInvalid);               // vendor specific
    EXPECT_EQ(write_sgl(desc(kSglDataBlock, kBuf, 1024, 1)), kTypeInvalid);  // offset
    const SglDescriptor last = segment(kSglLastSegment, kList, {desc(0x4, kBuf, 1024)});
    EXPECT_EQ(write_sgl(last), kTypeInvalid);
}

TEST_F(SglTest, LengthShorterIsInvalidLongerIsIgnored)
{
    EXPECT_EQ(write_sgl(desc(kSglDataBlock, kBuf, 1023)), kBadLength);
    const SglDescriptor shorter = segment(kSglLastSegment, kList, {desc(kSglDataBlock, kBuf, 512)});
    EXPECT_EQ(write_sgl(shorter), kBadLength);
    fill(kBuf, 4096, 5);
    EXPECT_EQ(write_sgl(desc(kSglDataBlock, kBuf, 4096)), 0);  // SGLS bit 18
    EXPECT_EQ(std::memcmp(backing_.data(), host_.ram.data() + kBuf, 1024), 0);
    EXPECT_EQ(backing_[1024], 0);  // only the transfer's two blocks written
}

TEST_F(SglTest, LastSegmentMayNotChain)
{
    const SglDescriptor next =
        segment(kSglLastSegment, kList + 0x100, {desc(kSglDataBlock, kBuf, 512)});
    const SglDescriptor last =
        segment(kSglLastSegment, kList, {desc(kSglDataBlock, kBuf, 512), next});
    EXPECT_EQ(write_sgl(last), kBadSegment);
}

TEST_F(SglTest, SegmentDescriptorMustBeLastInItsSegment)
{
    const SglDescriptor next =
        segment(kSglLastSegment, kList + 0x100, {desc(kSglDataBlock, kBuf, 512)});
    const SglDescriptor seg = segment(kSglSegment, kList, {next, desc(kSglDataBlock, kBuf, 512)});
    EXPECT_EQ(write_sgl(seg), kBadCount);
}

TEST_F(SglTest, SegmentShapeIsChecked)
{
    EXPECT_EQ(write_sgl(desc(kSglLastSegment, kList, 24)), kBadSegment);      // not 16 B units
    EXPECT_EQ(write_sgl(desc(kSglLastSegment, kList, 0)), kBadSegment);       // empty
    EXPECT_EQ(write_sgl(desc(kSglLastSegment, kList + 8, 16)), kBadSegment);  // unaligned
    EXPECT_EQ(write_sgl(desc(kSglSegment, kList, 16, 1)), kTypeInvalid);      // offset sub type
}

TEST_F(SglTest, SelfReferencingSegmentEndsWithAnError)
{
    segment(kSglSegment, kList, {desc(kSglSegment, kList, 16)});
    EXPECT_EQ(write_sgl(desc(kSglSegment, kList, 16)), kBadCount);
    // Two segments pointing at each other, with empty data blocks.
    segment(kSglSegment, kList,
            {desc(kSglDataBlock, kBuf, 0), desc(kSglSegment, kList + 0x40, 32)});
    segment(kSglSegment, kList + 0x40,
            {desc(kSglDataBlock, kBuf, 0), desc(kSglSegment, kList, 32)});
    EXPECT_EQ(write_sgl(desc(kSglSegment, kList, 32)), kBadCount);
}

TEST_F(SglTest, LoopThatCoversTheTransferEndsThere)
{
    // A segment with data that chains to itself: the walk stops once the
    // transfer is mapped (the rest of an SGL is not read).
    fill(kBuf, 512, 4);
    segment(kSglSegment, kList, {desc(kSglDataBlock, kBuf, 512), desc(kSglSegment, kList, 32)});
    EXPECT_EQ(write_sgl(desc(kSglSegment, kList, 32), 4), 0);
    for (int i = 0; i < 4; i++) {
        EXPECT_EQ(std::memcmp(backing_.data() + 512 * i, host_.ram.data() + kBuf, 512), 0) << i;
    }
}

TEST_F(SglTest, UnreachableMemoryIsADataTransferError)
{
    const uint16_t xfer = sc(0, NVME_SC_DATA_XFER_ERROR, false);
    EXPECT_EQ(write_sgl(desc(kSglLastSegment, 0x40000000, 16)), xfer);
    EXPECT_EQ(write_sgl(desc(kSglDataBlock, 0x40000000, 1024)), xfer);
    EXPECT_EQ(io_status(sgl_rw(nvme_cmd_read, 0, 2, desc(kSglDataBlock, 0x40000000, 1024))), xfer);
}

TEST_F(SglTest, CompareAndDatasetManagementTakeSgls)
{
    fill(kBuf, 1024, 11);
    ASSERT_EQ(write_sgl(desc(kSglDataBlock, kBuf, 1024)), 0);
    EXPECT_EQ(io_status(sgl_rw(nvme_cmd_compare, 0, 2, desc(kSglDataBlock, kBuf, 1024))), 0);
    host_.ram[kBuf + 1000] ^= 1;
    EXPECT_EQ(io_status(sgl_rw(nvme_cmd_compare, 0, 2, desc(kSglDataBlock, kBuf, 1024))),
              sc(NVME_SCT_MEDIA, NVME_SC_COMPARE_FAILED));
    EXPECT_EQ(io_status(sgl_rw(nvme_cmd_compare, 0, 2, desc(kSglBitBucket, 0, 1024))),
              kTypeInvalid);
    // Deallocate blocks 0-1 through a one-range SGL.
    struct nvme_dsm_range r {};
    r.slba = 0;
    r.nlb = 2;
    host_.write(kBuf + 0x2000, r);
    Sqe dsm = sgl_rw(nvme_cmd_dsm, 0, 1, desc(kSglDataBlock, kBuf + 0x2000, 16));
    dsm.cdw10 = 0;
    dsm.cdw11 = 1 << 2;
    dsm.cdw12 = 0;
    ASSERT_EQ(io_status(dsm), 0);
    EXPECT_EQ(backing_[0], 0);
    EXPECT_EQ(backing_[1023], 0);
}

TEST_F(SglTest, PsdtRules)
{
    // Admin commands take PRPs only.
    Sqe id = make_admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL);
    id.flags = 1 << 6;
    EXPECT_EQ(admin_status(id), sc(0, NVME_SC_INVALID_FIELD));
    // I/O: 10b (MPTR as an SGL; SGLS bit 19 clear) and 11b (reserved).
    for (uint8_t psdt : {2, 3}) {
        Sqe s = sgl_rw(nvme_cmd_write, 0, 2, desc(kSglDataBlock, kBuf, 1024));
        s.flags = static_cast<uint8_t>(psdt << 6);
        EXPECT_EQ(io_status(s), sc(0, NVME_SC_INVALID_FIELD)) << int(psdt);
    }
}
