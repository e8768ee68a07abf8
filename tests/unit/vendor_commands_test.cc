// Vendor I/O commands through the controller and the fake host: the
// registry's opcode 66h "fused read-and-write" (data, ordering, every
// check's status), the Commands Supported and Effects entry, and opcodes
// outside the registry. The ssd=zns rules are in zns_controller_test.cc.
#include "vendor_commands.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core_fixture.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr uint64_t kCapacity = 8 << 20;  // 16384 LBAs of 512 bytes
constexpr uint64_t kBuf = Driver::kDataBase;

Sqe fused(uint64_t wslba, uint32_t wnlb, uint64_t rslba, uint32_t rnlb, uint64_t prp1,
          uint64_t prp2 = 0)
{
    // The write half sits where Write keeps its range (CDW10-12).
    Sqe s = make_rw(kOpcodeFusedReadWrite, wslba, wnlb, prp1, prp2);
    s.cdw13 = static_cast<uint32_t>(rslba);
    s.cdw14 = static_cast<uint32_t>(rslba >> 32);
    s.cdw15 = rnlb - 1;
    return s;
}

class VendorCommandTest : public CoreFixture {
protected:
    void SetUp() override { make(); }

    void make(int64_t mdts = -1)
    {
        CoreFixture::make(kCapacity, -1, mdts);
        ready_with_io_queue();
    }

    uint16_t io(const Sqe &s) { return Driver::status(drv_->call(1, s)); }

    // Guest memory at addr: `bytes` bytes of a pattern whose byte i is
    // seed + 13 i, so the pattern from any offset is the same with another
    // seed.
    void fill_linear(uint64_t addr, uint64_t bytes, uint8_t seed)
    {
        for (uint64_t i = 0; i < bytes; i++) {
            host_.write<uint8_t>(addr + i, static_cast<uint8_t>(seed + i * 13));
        }
    }
    // Whether `bytes` bytes at p hold the pattern fill_linear() writes.
    static bool holds(const uint8_t *p, uint64_t bytes, uint8_t seed)
    {
        for (uint64_t i = 0; i < bytes; i++) {
            if (p[i] != static_cast<uint8_t>(seed + i * 13)) {
                return false;
            }
        }
        return true;
    }
    const uint8_t *media(uint64_t lba) const { return backing_.data() + lba * 512; }
    const uint8_t *guest(uint64_t addr) const { return host_.ram.data() + addr; }
};

}  // namespace

TEST_F(VendorCommandTest, RegistryListsFusedReadWriteAsADataInCommand)
{
    ASSERT_EQ(vendor_commands().size(), 1u);
    const VendorCommand *v = find_vendor_command(0x66);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->effects, NVME_CMD_EFFECTS_CSUPP | NVME_CMD_EFFECTS_LBCC);
    EXPECT_EQ(data_direction(0x66), DataDirection::ControllerToHost);
    EXPECT_EQ(find_vendor_command(0x67), nullptr);
}

TEST_F(VendorCommandTest, WritesOneRangeThenReadsAnotherThroughAPrpList)
{
    // 12 blocks written from the buffer's first 6 KiB, 12 read into its last
    // 6 KiB: the read half starts in the middle of the second page.
    fill_linear(kBuf, 6144, 0x11);
    ASSERT_EQ(io(make_rw(nvme_cmd_write, 500, 12, kBuf, kBuf + 4096)), 0);  // the read range
    const uint64_t pages[3] = {0xD00000, 0xD03000, 0xD01000};               // out of order
    fill_linear(pages[0], 4096, 0x22);
    fill_linear(pages[1], 2048, static_cast<uint8_t>(0x22 + 4096 * 13));
    const uint64_t list = 0xB00000;
    host_.write<uint64_t>(list, pages[1]);
    host_.write<uint64_t>(list + 8, pages[2]);
    ASSERT_EQ(io(fused(100, 12, 500, 12, pages[0], list)), 0);
    EXPECT_TRUE(holds(media(100), 6144, 0x22));
    EXPECT_TRUE(holds(guest(pages[1] + 2048), 2048, 0x11));
    EXPECT_TRUE(holds(guest(pages[2]), 4096, static_cast<uint8_t>(0x11 + 2048 * 13)));
    // The write half of the buffer is left as it was.
    EXPECT_TRUE(holds(guest(pages[0]), 4096, 0x22));
}

TEST_F(VendorCommandTest, OverlappingReadSeesTheNewDataAndFollowsTheWrite)
{
    fill_linear(kBuf, 4096, 0x33);
    const int64_t t0 = host_.now_ns;
    const Cqe c = drv_->call(1, fused(40, 8, 44, 8, kBuf, kBuf + 4096));
    ASSERT_EQ(Driver::status(c), 0);
    // Blocks 44..47 are the second half of what was just written; 48..51
    // were never written.
    EXPECT_TRUE(holds(guest(kBuf + 4096), 2048, static_cast<uint8_t>(0x33 + 2048 * 13)));
    for (int i = 0; i < 2048; i++) {
        ASSERT_EQ(*guest(kBuf + 6144 + i), 0) << i;
    }
    // The read starts when the write completes: at least both latencies.
    EXPECT_GE(drv_->log.back().posted_at_ns - t0, 14000 + 12000);
}

TEST_F(VendorCommandTest, BadRangesAndNamespacesChangeNothing)
{
    const uint64_t nlbas = kCapacity / 512;
    fill_linear(kBuf, 8192, 0x44);
    Sqe bad_ns = fused(0, 8, 8, 8, kBuf, kBuf + 4096);
    bad_ns.nsid = 2;
    EXPECT_EQ(io(bad_ns), sc(0, NVME_SC_INVALID_NS));
    EXPECT_EQ(io(fused(nlbas - 4, 8, 0, 8, kBuf, kBuf + 4096)), sc(0, NVME_SC_LBA_RANGE));
    EXPECT_EQ(io(fused(0, 8, nlbas - 7, 8, kBuf, kBuf + 4096)), sc(0, NVME_SC_LBA_RANGE));
    EXPECT_EQ(io(fused(0, 8, uint64_t{1} << 40, 8, kBuf, kBuf + 4096)), sc(0, NVME_SC_LBA_RANGE));
    for (uint64_t i = 0; i < 4096; i++) {
        ASSERT_EQ(media(0)[i], 0) << i;  // no half of a rejected command ran
    }
    // The last block pair of the namespace is fine.
    EXPECT_EQ(io(fused(nlbas - 1, 1, nlbas - 1, 1, kBuf)), 0);
    EXPECT_TRUE(holds(media(nlbas - 1), 512, 0x44));
}

TEST_F(VendorCommandTest, BothHalvesTogetherMustFitMdts)
{
    make(/*mdts=*/1);  // 8 KiB
    fill_linear(kBuf, 8192, 0x55);
    EXPECT_EQ(io(fused(0, 8, 8, 9, kBuf, 0xB00000)), sc(0, NVME_SC_INVALID_FIELD));
    EXPECT_EQ(media(0)[0], 0);
    EXPECT_EQ(io(fused(0, 8, 8, 8, kBuf, kBuf + 4096)), 0);
    EXPECT_TRUE(holds(media(0), 4096, 0x55));
}

TEST_F(VendorCommandTest, TransferErrorsOnEitherHalf)
{
    const uint64_t outside = host_.ram.size() + 0x10000;
    // Write half unreachable: Data Transfer Error (DNR clear), nothing written.
    EXPECT_EQ(io(fused(0, 8, 8, 8, outside, kBuf)), sc(0, NVME_SC_DATA_XFER_ERROR, false));
    EXPECT_EQ(media(0)[0], 0);
    // Read half unreachable: the write has been committed, as a Write
    // followed by a failing Read would leave it.
    fill_linear(kBuf, 4096, 0x66);
    EXPECT_EQ(io(fused(0, 8, 8, 8, kBuf, outside)), sc(0, NVME_SC_DATA_XFER_ERROR, false));
    EXPECT_TRUE(holds(media(0), 4096, 0x66));
    // A misaligned data pointer.
    EXPECT_EQ(io(fused(0, 1, 8, 1, kBuf + 2)), sc(0, NVME_SC_PRP_INVALID_OFFSET));
}

TEST_F(VendorCommandTest, UncorrectableBlocksFailTheReadUnlessTheWriteCoversThem)
{
    ASSERT_EQ(io(make_rw(nvme_cmd_write_uncor, 300, 2, 0)), 0);
    fill_linear(kBuf, 4096, 0x77);
    const uint16_t unrecovered = sc(NVME_SCT_MEDIA, NVME_SC_READ_ERROR);
    // Marked blocks in the read range: rejected before the write happens.
    EXPECT_EQ(io(fused(0, 8, 296, 8, kBuf, kBuf + 4096)), unrecovered);
    EXPECT_EQ(media(0)[0], 0);
    // Marks on either side of the write range still fail the read.
    EXPECT_EQ(io(fused(301, 1, 296, 8, kBuf, kBuf + 4096)), unrecovered);
    EXPECT_EQ(io(fused(300, 1, 300, 8, kBuf, kBuf + 4096)), unrecovered);
    // A write over both marked blocks makes the whole read range readable.
    ASSERT_EQ(io(fused(300, 2, 296, 8, kBuf, kBuf + 4096)), 0);
    EXPECT_TRUE(holds(guest(kBuf + 1024 + 2048), 1024, 0x77));
    EXPECT_EQ(io(make_rw(nvme_cmd_read, 296, 8, kBuf)), 0);
}

TEST_F(VendorCommandTest, EffectsLogAndSmartCountBothHalves)
{
    fill_linear(kBuf, 4096, 0x11);
    ASSERT_EQ(io(fused(0, 8, 8, 8, kBuf, kBuf + 4096)), 0);
    // Commands Supported and Effects (NVM CSI): 66h supported, changes LBAs.
    ASSERT_EQ(Driver::status(
                  drv_->call(0, make_admin(nvme_admin_get_log_page,
                                           NVME_LOG_LID_CMD_EFFECTS | ((4096 / 4 - 1) << 16)))),
              0);
    const auto log = host_.read<struct nvme_cmd_effects_log>(kBuf);
    EXPECT_EQ(log.iocs[0x66], NVME_CMD_EFFECTS_CSUPP | NVME_CMD_EFFECTS_LBCC);
    EXPECT_EQ(log.iocs[0x67], 0u);
    EXPECT_EQ(log.acs[0x66], 0u);
    ASSERT_EQ(
        Driver::status(drv_->call(
            0, make_admin(nvme_admin_get_log_page, NVME_LOG_LID_SMART | ((512 / 4 - 1) << 16), 0))),
        0);
    const auto smart = host_.read<struct nvme_smart_log>(kBuf);
    EXPECT_EQ(smart.host_reads[0], 1);
    EXPECT_EQ(smart.host_writes[0], 1);
    EXPECT_EQ(smart.data_units_read[0], 1);
    EXPECT_EQ(smart.data_units_written[0], 1);
}

TEST_F(VendorCommandTest, OpcodesOutsideTheRegistryAreInvalid)
{
    for (uint8_t op : {0x80, 0x65, 0x67, 0xff}) {
        Sqe s = fused(0, 1, 1, 1, kBuf);
        s.opcode = op;
        EXPECT_EQ(io(s), sc(0, NVME_SC_INVALID_OPCODE)) << int{op};
    }
    // 66h is an I/O command: on the admin queue it is unknown.
    EXPECT_EQ(Driver::status(drv_->call(0, fused(0, 1, 1, 1, kBuf))),
              sc(0, NVME_SC_INVALID_OPCODE));
}
