// Controller behaviour through the fake host: registers, queues, admin and
// I/O commands, completion timing and back-pressure.
#include "controller.h"

#include <gtest/gtest.h>

#include "core_fixture.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

class ControllerTest : public CoreFixture {};

}  // namespace

TEST_F(ControllerTest, CapabilitiesAndVersion)
{
    const uint64_t cap = nvmev_core_mmio_read(core_, NVME_REG_CAP, 8);
    EXPECT_EQ(cap & 0xffff, 4095u);      // MQES
    EXPECT_EQ((cap >> 16) & 1, 1u);      // CQR
    EXPECT_EQ((cap >> 24) & 0xff, 15u);  // TO
    EXPECT_EQ((cap >> 32) & 0xf, 0u);    // DSTRD
    EXPECT_EQ((cap >> 37) & 1, 1u);      // CSS: NVM
    EXPECT_EQ((cap >> 48) & 0xff, 0u);   // MPSMIN = MPSMAX = 4 KiB
    EXPECT_EQ(drv_->reg32(NVME_REG_VS), 0x00010400u);
    EXPECT_EQ(drv_->reg32(NVME_REG_CSTS), 0u);
    EXPECT_EQ(nvmev_core_bar_size(core_), 16384u);
}

TEST_F(ControllerTest, EnableDisableAndShutdownHandshakes)
{
    EXPECT_EQ(drv_->enable(), 1u);  // RDY
    ASSERT_EQ(drv_->create_io_queues(1, 16), 0);
    // Shutdown notification: SHST goes to "complete".
    drv_->write32(NVME_REG_CC, drv_->reg32(NVME_REG_CC) | (1u << 14));
    EXPECT_EQ((drv_->reg32(NVME_REG_CSTS) >> 2) & 3, 2u);
    drv_->disable();
    EXPECT_EQ(drv_->reg32(NVME_REG_CSTS), 0u);
    // Queues are gone after the reset: the same id can be created again.
    EXPECT_EQ(drv_->enable(), 1u);
    EXPECT_EQ(drv_->create_io_queues(1, 16), 0);
}

TEST_F(ControllerTest, BadAdminQueueConfigurationIsFatal)
{
    drv_->write32(NVME_REG_AQA, 0x001f001f);
    nvmev_core_mmio_write(core_, NVME_REG_ASQ, 0x100010, 8);  // not page aligned
    nvmev_core_mmio_write(core_, NVME_REG_ACQ, 0x200000, 8);
    drv_->write32(NVME_REG_CC, 1 | (6 << 16) | (4 << 20));
    EXPECT_EQ(drv_->reg32(NVME_REG_CSTS) & 3, 2u);  // CFS, not RDY
    drv_->write32(NVME_REG_CC, 0);
    EXPECT_EQ(drv_->reg32(NVME_REG_CSTS), 0u);
}

// Behind an IOMMU a PRP the driver did not map faults (docs/kernel-bypass.md):
// the host's DMA fails, and an admin command's data gets Data Transfer Error
// as an I/O command's does; the controller carries on.
TEST_F(ControllerTest, AdminDataTheHostCannotReachIsADataTransferError)
{
    drv_->enable();
    Sqe s = admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL);
    s.prp1 = 0x40000000;  // beyond the fake host's memory
    EXPECT_EQ(admin_status(s), sc(0, NVME_SC_DATA_XFER_ERROR, false));
    EXPECT_EQ(admin_status(admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL)), 0);
}

TEST_F(ControllerTest, IdentifyControllerAndNamespace)
{
    drv_->enable();
    ASSERT_EQ(admin_status(admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL)), 0);
    const auto id = host_.read<struct nvme_id_ctrl>(Driver::kDataBase);
    EXPECT_EQ(std::string(id.sn, 9), "SN-TEST-1");
    EXPECT_EQ(id.sn[9], ' ');
    EXPECT_EQ(std::string(id.mn, 16), "nvmev test model");
    EXPECT_EQ(id.mdts, 7);
    EXPECT_EQ(id.nn, 1u);
    EXPECT_EQ(id.sqes, 0x66);
    EXPECT_EQ(id.cqes, 0x44);

    Sqe s = admin(nvme_admin_identify, NVME_IDENTIFY_CNS_NS);
    s.nsid = 1;
    ASSERT_EQ(admin_status(s), 0);
    const auto ns = host_.read<struct nvme_id_ns>(Driver::kDataBase);
    EXPECT_EQ(ns.nsze, (8u << 20) / 512);
    EXPECT_EQ(ns.flbas, 0);
    EXPECT_EQ(ns.lbaf[0].ds, 9);

    s.nsid = 2;
    EXPECT_EQ(admin_status(s), sc(0, NVME_SC_INVALID_NS));
    EXPECT_EQ(admin_status(admin(nvme_admin_identify, 0x42)), sc(0, NVME_SC_INVALID_FIELD));

    s = admin(nvme_admin_identify, NVME_IDENTIFY_CNS_NS_ACTIVE_LIST);
    ASSERT_EQ(admin_status(s), 0);
    EXPECT_EQ(host_.read<uint32_t>(Driver::kDataBase), 1u);
    EXPECT_EQ(host_.read<uint32_t>(Driver::kDataBase + 4), 0u);

    s = admin(nvme_admin_identify, NVME_IDENTIFY_CNS_NS_DESC_LIST);
    s.nsid = 1;
    ASSERT_EQ(admin_status(s), 0);
    EXPECT_EQ(host_.read<uint8_t>(Driver::kDataBase), NVME_NIDT_EUI64);
    EXPECT_EQ(host_.read<uint8_t>(Driver::kDataBase + 1), 8);
}

TEST_F(ControllerTest, QueueCreationChecks)
{
    drv_->enable();
    const uint16_t kInvalidQid = sc(1, NVME_SC_QID_INVALID);
    auto create_cq = [&](uint16_t qid, uint32_t entries, uint32_t flags, uint16_t iv = 0,
                         uint64_t base = 0x900000) {
        Sqe s = admin(nvme_admin_create_cq, qid | ((entries - 1) << 16), flags | (iv << 16));
        s.prp1 = base;
        return admin_status(s);
    };
    auto create_sq = [&](uint16_t qid, uint32_t entries, uint16_t cqid, uint32_t flags = 1) {
        Sqe s = admin(nvme_admin_create_sq, qid | ((entries - 1) << 16), flags | (cqid << 16));
        s.prp1 = 0x980000;
        return admin_status(s);
    };
    EXPECT_EQ(create_cq(0, 16, 3), kInvalidQid);
    EXPECT_EQ(create_cq(5, 16, 3), kInvalidQid);  // beyond max-ioqpairs
    EXPECT_EQ(create_cq(1, 1, 3), sc(1, NVME_SC_QUEUE_SIZE));
    EXPECT_EQ(create_cq(1, 4097, 3), sc(1, NVME_SC_QUEUE_SIZE));
    EXPECT_EQ(create_cq(1, 16, 2), sc(0, NVME_SC_INVALID_FIELD));  // PC = 0
    EXPECT_EQ(create_cq(1, 16, 3, 5), sc(1, NVME_SC_INVALID_VECTOR));
    EXPECT_EQ(create_cq(1, 16, 3, 0, 0x900100), sc(0, NVME_SC_PRP_INVALID_OFFSET));
    EXPECT_EQ(create_cq(1, 16, 3), 0);
    EXPECT_EQ(create_cq(1, 16, 3), kInvalidQid);  // exists

    EXPECT_EQ(create_sq(1, 16, 2), sc(1, NVME_SC_CQ_INVALID));
    EXPECT_EQ(create_sq(1, 16, 0), sc(1, NVME_SC_CQ_INVALID));
    EXPECT_EQ(create_sq(1, 1, 1), sc(1, NVME_SC_QUEUE_SIZE));
    EXPECT_EQ(create_sq(1, 16, 1, 0), sc(0, NVME_SC_INVALID_FIELD));
    EXPECT_EQ(create_sq(1, 16, 1), 0);
    EXPECT_EQ(create_sq(1, 16, 1), kInvalidQid);

    EXPECT_EQ(admin_status(admin(nvme_admin_delete_cq, 1)), sc(1, NVME_SC_INVALID_QUEUE));
    EXPECT_EQ(admin_status(admin(nvme_admin_delete_sq, 0)), kInvalidQid);
    EXPECT_EQ(admin_status(admin(nvme_admin_delete_sq, 2)), kInvalidQid);
    EXPECT_EQ(admin_status(admin(nvme_admin_delete_sq, 1)), 0);
    EXPECT_EQ(admin_status(admin(nvme_admin_delete_cq, 1)), 0);
    EXPECT_EQ(admin_status(admin(nvme_admin_delete_cq, 1)), kInvalidQid);
}

TEST_F(ControllerTest, NumberOfQueuesFeature)
{
    drv_->enable();
    Cqe c = drv_->call(0, admin(nvme_admin_set_features, NVME_FEAT_FID_NUM_QUEUES,
                                (1u << 16) | 1u));  // 2 SQs, 2 CQs
    EXPECT_EQ(Driver::status(c), 0);
    EXPECT_EQ(c.dw0, (1u << 16) | 1u);
    EXPECT_EQ(drv_->create_io_queues(3, 16), sc(1, NVME_SC_QID_INVALID));
    EXPECT_EQ(drv_->create_io_queues(2, 16), 0);
    // Not changeable once I/O queues exist.
    EXPECT_EQ(
        Driver::status(drv_->call(0, admin(nvme_admin_set_features, NVME_FEAT_FID_NUM_QUEUES, 0))),
        sc(0, NVME_SC_CMD_SEQ_ERROR));
    // Saving is not supported.
    EXPECT_EQ(Driver::status(drv_->call(
                  0, admin(nvme_admin_set_features, NVME_FEAT_FID_VOLATILE_WC | (1u << 31), 1))),
              sc(1, NVME_SC_FEATURE_NOT_SAVEABLE));
    EXPECT_EQ(Driver::status(drv_->call(0, admin(nvme_admin_get_features, 0x55))),
              sc(0, NVME_SC_INVALID_FIELD));
    c = drv_->call(0, admin(nvme_admin_get_features, NVME_FEAT_FID_VOLATILE_WC));
    EXPECT_EQ(c.dw0, 1u);
}

TEST_F(ControllerTest, WriteThenReadBackThroughPrpListsAcrossPages)
{
    make(8 << 20, -1, /*mdts=*/0);  // no transfer limit: a list long enough to chain
    ready_with_io_queue();
    constexpr uint32_t kPages = 20;
    const uint64_t data = Driver::kDataBase;
    // Data pages deliberately out of order, so a merge or ordering bug shows.
    std::vector<uint64_t> pages;
    for (uint32_t i = 0; i < kPages; i++) {
        pages.push_back(data + ((i * 7) % kPages) * 4096ull);
    }
    for (uint32_t i = 0; i < kPages; i++) {
        for (uint32_t j = 0; j < 4096; j += 4) {
            host_.write<uint32_t>(pages[i] + j, i * 100000 + j);
        }
    }
    // PRP1 is page 0; the list starts 3 entries before the end of a page, so
    // it chains: 2 entries, pointer, then the rest on the next list page.
    const uint64_t list1 = 0xB00000 + 4096 - 3 * 8;
    const uint64_t list2 = 0xB02000;
    host_.write<uint64_t>(list1, pages[1]);
    host_.write<uint64_t>(list1 + 8, pages[2]);
    host_.write<uint64_t>(list1 + 16, list2);
    for (uint32_t i = 3; i < kPages; i++) {
        host_.write<uint64_t>(list2 + (i - 3) * 8, pages[i]);
    }
    const uint32_t nlb = kPages * 8;
    Cqe c = drv_->call(1, make_rw(nvme_cmd_write, 16, nlb, pages[0], list1));
    ASSERT_EQ(Driver::status(c), 0);
    for (uint32_t i = 0; i < kPages; i++) {
        uint32_t v;
        std::memcpy(&v, backing_.data() + 16 * 512 + i * 4096ull + 8, 4);
        ASSERT_EQ(v, i * 100000 + 8) << i;
    }
    // Read back into a plain buffer with a fresh two-page layout.
    for (uint32_t i = 0; i < kPages; i++) {
        for (uint32_t j = 0; j < 4096; j += 4) {
            host_.write<uint32_t>(pages[i] + j, 0xdeadbeef);
        }
    }
    c = drv_->call(1, make_rw(nvme_cmd_read, 16, nlb, pages[0], list1));
    ASSERT_EQ(Driver::status(c), 0);
    for (uint32_t i = 0; i < kPages; i++) {
        ASSERT_EQ(host_.read<uint32_t>(pages[i] + 4092), i * 100000 + 4092) << i;
    }
}

TEST_F(ControllerTest, PrpOffsetInSecondEntryAndUnalignedFirstEntry)
{
    ready_with_io_queue();
    const uint64_t buf = Driver::kDataBase;
    // PRP1 with an offset: 4 KiB spans two pages, PRP2 is the second page.
    for (uint32_t j = 0; j < 4096; j++) {
        host_.write<uint8_t>(buf + 0x200 + j, static_cast<uint8_t>(j * 13));
    }
    Cqe c = drv_->call(1, make_rw(nvme_cmd_write, 0, 8, buf + 0x200, buf + 0x1000));
    ASSERT_EQ(Driver::status(c), 0);
    for (uint32_t j = 0; j < 4096; j++) {
        ASSERT_EQ(backing_[j], static_cast<uint8_t>(j * 13)) << j;
    }
    c = drv_->call(1, make_rw(nvme_cmd_write, 0, 8, buf + 0x200, buf + 0x1010));
    EXPECT_EQ(Driver::status(c), sc(0, NVME_SC_PRP_INVALID_OFFSET));
    // A list entry with an offset.
    host_.write<uint64_t>(0xB00000, buf + 0x1000);
    host_.write<uint64_t>(0xB00008, buf + 0x2004);
    c = drv_->call(1, make_rw(nvme_cmd_write, 0, 24, buf, 0xB00000));
    EXPECT_EQ(Driver::status(c), sc(0, NVME_SC_PRP_INVALID_OFFSET));
}

TEST_F(ControllerTest, IoErrorsGetSpecStatuses)
{
    ready_with_io_queue();
    const uint64_t nlbas = (8u << 20) / 512;
    const uint64_t buf = Driver::kDataBase;
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, nlbas - 1, 2, buf, buf + 4096))),
              sc(0, NVME_SC_LBA_RANGE));
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, ~0ull, 1, buf))),
              sc(0, NVME_SC_LBA_RANGE));
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, nlbas - 1, 1, buf))), 0);
    Sqe bad = make_rw(0x7e, 0, 1, buf);
    EXPECT_EQ(Driver::status(drv_->call(1, bad)), sc(0, NVME_SC_INVALID_OPCODE));
    EXPECT_EQ(Driver::status(drv_->call(0, admin(0xee))), sc(0, NVME_SC_INVALID_OPCODE));
    Sqe ns = make_rw(nvme_cmd_read, 0, 1, buf);
    ns.nsid = 2;
    EXPECT_EQ(Driver::status(drv_->call(1, ns)), sc(0, NVME_SC_INVALID_NS));
    // MDTS 7 = 512 KiB = 1024 blocks of 512 B.
    host_.write<uint64_t>(0xB00000, buf + 0x1000);
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, 0, 1025, buf, 0xB00000))),
              sc(0, NVME_SC_INVALID_FIELD));
    // Guest memory that does not exist.
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, 0, 1, 0x40000000))),
              sc(0, NVME_SC_DATA_XFER_ERROR, false));
    Sqe sgl = make_rw(nvme_cmd_read, 0, 1, buf);
    sgl.flags = 3 << 6;  // PSDT 11b is reserved
    EXPECT_EQ(Driver::status(drv_->call(1, sgl)), sc(0, NVME_SC_INVALID_FIELD));

    // The failures are in the Error Information log, newest first.
    Sqe log = admin(nvme_admin_get_log_page, NVME_LOG_LID_ERROR | (15u << 16));  // 64 bytes
    ASSERT_EQ(admin_status(log), 0);
    const auto e = host_.read<struct nvme_error_log_page>(Driver::kDataBase);
    EXPECT_EQ(e.error_count, 8u);
    EXPECT_EQ(e.sqid, 1);
    EXPECT_EQ(e.status_field >> 1, sc(0, NVME_SC_INVALID_FIELD));
}

TEST_F(ControllerTest, WriteUncorrectableCompareAndVerify)
{
    ready_with_io_queue();
    const uint64_t buf = Driver::kDataBase;
    for (uint32_t j = 0; j < 4096; j++) {
        host_.write<uint8_t>(buf + j, static_cast<uint8_t>(j * 7));
    }
    ASSERT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_write, 16, 8, buf))), 0);
    // Compare: equal, then one byte off (SCT 2, SC 85h).
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_compare, 16, 8, buf))), 0);
    host_.write<uint8_t>(buf + 4095, 0x5a);
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_compare, 16, 8, buf))),
              sc(NVME_SCT_MEDIA, NVME_SC_COMPARE_FAILED));
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_verify, 16, 8, 0))), 0);
    // Write Uncorrectable on LBAs 20..21: reads, compares and verifies that
    // touch them fail with Unrecovered Read Error (SCT 2, SC 81h).
    ASSERT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_write_uncor, 20, 2, 0))), 0);
    const uint16_t unrecovered = sc(NVME_SCT_MEDIA, NVME_SC_READ_ERROR);
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, 16, 8, buf))), unrecovered);
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_verify, 21, 1, 0))), unrecovered);
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_compare, 16, 8, buf))), unrecovered);
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, 16, 4, buf))), 0);
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, 22, 2, buf))), 0);
    // Rewriting LBA 20 and zeroing LBA 21 make them readable again.
    ASSERT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_write, 20, 1, buf))), 0);
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, 20, 1, buf))), 0);
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, 21, 1, buf))), unrecovered);
    ASSERT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_write_zeroes, 21, 1, 0))), 0);
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, 16, 8, buf))), 0);
    // Out of range, and ONCS reports all three commands.
    const uint64_t nlbas = (8 << 20) / 512;
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_write_uncor, nlbas, 1, 0))),
              sc(0, NVME_SC_LBA_RANGE));
    ASSERT_EQ(admin_status(admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL)), 0);
    const uint16_t oncs = host_.read<struct nvme_id_ctrl>(Driver::kDataBase).oncs;
    EXPECT_EQ(oncs & (NVME_CTRL_ONCS_COMPARE | NVME_CTRL_ONCS_WRITE_UNCORRECTABLE |
                      NVME_CTRL_ONCS_VERIFY),
              NVME_CTRL_ONCS_COMPARE | NVME_CTRL_ONCS_WRITE_UNCORRECTABLE | NVME_CTRL_ONCS_VERIFY);
}

TEST_F(ControllerTest, ShadowDoorbellsReplaceMmioDoorbellsForIoQueues)
{
    ASSERT_EQ(drv_->enable() & 1, 1u);
    constexpr uint64_t kShadow = 0xA00000, kEventIdx = 0xA01000;
    Sqe cfg = admin(nvme_admin_dbbuf);
    cfg.prp1 = kShadow + 8;  // not page aligned
    cfg.prp2 = kEventIdx;
    EXPECT_EQ(admin_status(cfg), sc(0, NVME_SC_INVALID_FIELD));
    cfg.prp1 = kShadow;
    ASSERT_EQ(admin_status(cfg), 0);
    ASSERT_EQ(drv_->create_io_queues(1, 16, 1), 0);
    ASSERT_EQ(admin_status(admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL)), 0);
    EXPECT_EQ(host_.read<struct nvme_id_ctrl>(Driver::kDataBase).oacs & NVME_CTRL_OACS_DBBUF_CFG,
              NVME_CTRL_OACS_DBBUF_CFG);

    // A write submitted through the shadow SQ tail only (no MMIO doorbell).
    Sqe w = make_rw(nvme_cmd_write, 0, 1, Driver::kDataBase);
    w.cid = 77;
    host_.write(drv_->sq_base(1), w);
    host_.write<uint32_t>(kShadow + 8, 1);  // SQ 1 tail
    nvmev_core_process(core_, 0);
    EXPECT_EQ(host_.read<uint32_t>(kEventIdx + 8), 1u);  // the tail it has seen
    host_.now_ns += 1'000'000;
    host_.timer_deadline = INT64_MAX;
    nvmev_core_timer(core_, 0);
    const Cqe c = host_.read<Cqe>(drv_->cq_base(1));
    EXPECT_EQ(c.cid, 77);
    EXPECT_EQ(c.status & 1, 1);  // phase 1: posted
    EXPECT_EQ(c.status >> 1, 0);
    // The host consumes it through the shadow CQ head.
    host_.write<uint32_t>(kShadow + 12, 1);
    nvmev_core_process(core_, 0);
    EXPECT_EQ(host_.read<uint32_t>(kEventIdx + 12), 1u);
    // A shadow tail beyond the queue is ignored: nothing is fetched.
    host_.write<uint32_t>(kShadow + 8, 16);
    nvmev_core_process(core_, 0);
    EXPECT_EQ(host_.read<uint32_t>(kEventIdx + 8), 1u);
    // A controller reset turns shadow doorbells off.
    drv_->disable();
    ASSERT_EQ(drv_->enable() & 1, 1u);
    ASSERT_EQ(drv_->create_io_queues(1, 16, 1), 0);
    host_.write<uint32_t>(kEventIdx + 8, 0xdead);
    nvmev_core_process(core_, 0);
    EXPECT_EQ(host_.read<uint32_t>(kEventIdx + 8), 0xdeadu);
}

// dbbuf=off (for hosts that mishandle shadow doorbells): OACS bit 8 clear,
// Doorbell Buffer Config an invalid opcode that the effects log does not
// list, and a tail written only to where a shadow buffer would be is not
// fetched; MMIO doorbells carry on.
TEST_F(ControllerTest, DbbufOffOffersNoShadowDoorbells)
{
    for (bool off : {false, true}) {
        SCOPED_TRACE(off ? "dbbuf=off" : "dbbuf=on");
        NvmevConfig c = nvm_config(8 << 20);
        c.dbbuf_off = off;
        ASSERT_EQ(start(c), "");
        ASSERT_EQ(drv_->enable() & 1, 1u);
        ASSERT_EQ(admin_status(admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL)), 0);
        EXPECT_EQ(le16toh(host_.read<struct nvme_id_ctrl>(Driver::kDataBase).oacs) &
                      NVME_CTRL_OACS_DBBUF_CFG,
                  off ? 0 : NVME_CTRL_OACS_DBBUF_CFG);
        Sqe log = admin(nvme_admin_get_log_page);
        log.cdw10 =
            NVME_LOG_LID_CMD_EFFECTS | ((sizeof(struct nvme_cmd_effects_log) / 4 - 1) << 16);
        ASSERT_EQ(admin_status(log), 0);
        EXPECT_EQ(
            le32toh(
                host_.read<struct nvme_cmd_effects_log>(Driver::kDataBase).acs[nvme_admin_dbbuf]),
            off ? 0u : uint32_t{NVME_CMD_EFFECTS_CSUPP});

        constexpr uint64_t kShadow = 0xA00000, kEventIdx = 0xA01000;
        Sqe cfg = admin(nvme_admin_dbbuf);
        cfg.prp1 = kShadow;
        cfg.prp2 = kEventIdx;
        EXPECT_EQ(admin_status(cfg), off ? sc(0, NVME_SC_INVALID_OPCODE) : 0);
        ASSERT_EQ(drv_->create_io_queues(1, 16, 1), 0);
        Sqe w = make_rw(nvme_cmd_write, 0, 1, Driver::kDataBase);
        w.cid = 77;
        host_.write(drv_->sq_base(1), w);
        host_.write<uint32_t>(kShadow + 8, 1);  // SQ 1 tail, shadow only
        nvmev_core_process(core_, 0);
        host_.now_ns += 1'000'000;
        nvmev_core_timer(core_, 0);
        EXPECT_EQ(host_.read<Cqe>(drv_->cq_base(1)).status & 1, off ? 0 : 1);  // posted?
    }
    // With dbbuf=off the MMIO doorbell still runs the queue.
    ASSERT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, 0, 1, Driver::kDataBase))), 0);
}

TEST_F(ControllerTest, UnwrittenBlocksReadAsZeros)
{
    ready_with_io_queue();
    for (uint32_t j = 0; j < 4096; j++) {
        host_.write<uint8_t>(Driver::kDataBase + j, 0xaa);
    }
    ASSERT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, 100, 8, Driver::kDataBase))), 0);
    for (uint32_t j = 0; j < 4096; j++) {
        ASSERT_EQ(host_.read<uint8_t>(Driver::kDataBase + j), 0) << j;
    }
}

TEST_F(ControllerTest, CompletionIsPostedExactlyAtTheModelTime)
{
    ready_with_io_queue();
    const int64_t t0 = host_.now_ns;
    drv_->submit(1, make_rw(nvme_cmd_read, 0, 8, Driver::kDataBase));
    drv_->auto_reap = false;
    drv_->run(false);
    EXPECT_FALSE(drv_->reap(1));  // not before its time
    drv_->auto_reap = true;
    EXPECT_EQ(host_.timer_deadline, t0 + 12000);
    drv_->run(true);
    ASSERT_TRUE(drv_->reap(1));
    EXPECT_EQ(drv_->log.back().posted_at_ns, t0 + 12000);
    EXPECT_EQ(host_.irqs[1], 1);

    // Four 4 KiB reads at once: 1000 ns of transfer each, latency pipelined.
    const int64_t t1 = host_.now_ns;
    for (int i = 0; i < 4; i++) {
        drv_->submit(1, make_rw(nvme_cmd_read, 8 * i, 8, Driver::kDataBase + 4096 * i));
    }
    drv_->run(true);
    for (int i = 0; i < 4; i++) {
        ASSERT_TRUE(drv_->reap(1));
    }
    const size_t n = drv_->log.size();
    for (int i = 0; i < 4; i++) {
        EXPECT_EQ(drv_->log[n - 4 + i].posted_at_ns, t1 + 12000 + 1000 * i) << i;
    }
    NvmevCoreInfo info;
    nvmev_core_get_info(core_, &info);
    EXPECT_EQ(info.read_cmds, 5u);
    EXPECT_EQ(info.read_bytes, 5u * 4096);
    EXPECT_EQ(info.lateness_max_ns, 0u);
    EXPECT_EQ(info.lateness_samples, 5u);
}

TEST_F(ControllerTest, RetuneChangesTheLatencyOfNewCommands)
{
    ready_with_io_queue();
    NvmevParam u{"read-latency-ns", 200000};
    char *err = nullptr;
    ASSERT_EQ(nvmev_core_set_timing(core_, &u, 1, &err), 0);
    const int64_t t0 = host_.now_ns;
    drv_->call(1, make_rw(nvme_cmd_read, 0, 8, Driver::kDataBase));
    EXPECT_EQ(drv_->log.back().posted_at_ns, t0 + 200000);
    // All or nothing: a bad member leaves the good one unapplied.
    NvmevParam bad[] = {{"read-latency-ns", 1000}, {"read-bandwidth-mbps", 0}};
    EXPECT_EQ(nvmev_core_set_timing(core_, bad, 2, &err), -1);
    EXPECT_STREQ(err, "'read-bandwidth-mbps' must be positive (MB/s)");
    nvmev_core_free_error(err);
    NvmevParam unknown{"nand-program-ns", 1};
    EXPECT_EQ(nvmev_core_set_timing(core_, &unknown, 1, &err), -1);
    EXPECT_STREQ(err,
                 "'nand-program-ns' is not a timing parameter of ssd=nvm (allowed: "
                 "read-latency-ns, write-latency-ns, read-bandwidth-mbps, write-bandwidth-mbps)");
    nvmev_core_free_error(err);
    const int64_t t1 = host_.now_ns;
    drv_->call(1, make_rw(nvme_cmd_read, 0, 8, Driver::kDataBase));
    EXPECT_EQ(drv_->log.back().posted_at_ns, t1 + 200000);
}

// A time past 1000 s is refused: INT64_MAX was once accepted, and the
// completion time it gave overflowed into the past (an instant completion).
TEST_F(ControllerTest, RetunedLatenciesAreBoundedSoCompletionsStayInTheFuture)
{
    ready_with_io_queue();
    char *err = nullptr;
    NvmevParam too_long{"read-latency-ns", INT64_MAX};
    EXPECT_EQ(nvmev_core_set_timing(core_, &too_long, 1, &err), -1);
    EXPECT_STREQ(err, "'read-latency-ns' must be at most 1000000000000");
    nvmev_core_free_error(err);
    NvmevParam longest{"read-latency-ns", 1'000'000'000'000};
    ASSERT_EQ(nvmev_core_set_timing(core_, &longest, 1, &err), 0);
    const int64_t t0 = host_.now_ns;
    drv_->call(1, make_rw(nvme_cmd_read, 0, 8, Driver::kDataBase));
    EXPECT_EQ(drv_->log.back().posted_at_ns, t0 + 1'000'000'000'000);
}

TEST_F(ControllerTest, FullCompletionQueueHoldsFetchingUntilTheHostFreesEntries)
{
    ready_with_io_queue(4);  // 4 entries: 3 usable in the CQ
    drv_->auto_reap = false;
    for (int i = 0; i < 3; i++) {
        drv_->submit(1, make_rw(nvme_cmd_flush, 0, 1, 0));
    }
    drv_->run(true);
    // All three posted; the CQ is now full (head not moved yet).
    auto before = drv_->log.size();
    for (int i = 0; i < 3; i++) {
        drv_->submit(1, make_rw(nvme_cmd_flush, 0, 1, 0));
    }
    drv_->run(true);
    EXPECT_EQ(drv_->log.size(), before);
    // Reaping frees slots; the held commands are fetched and completed.
    int got = 0;
    for (int round = 0; round < 4; round++) {
        while (drv_->reap(1)) {
            got++;
        }
        drv_->run(true);
    }
    EXPECT_EQ(got, 6);
}

TEST_F(ControllerTest, AsyncEventForTemperatureThreshold)
{
    drv_->enable();
    const uint16_t aer = drv_->submit(0, admin(nvme_admin_async_event));
    drv_->run();
    EXPECT_FALSE(drv_->reap(0));  // held: no event yet
    // Enable SMART temperature warnings, then set the over-temperature
    // threshold below the composite temperature (313 K).
    ASSERT_EQ(admin_status(admin(nvme_admin_set_features, NVME_FEAT_FID_ASYNC_EVENT, 0x2)), 0);
    const uint16_t set =
        drv_->submit(0, admin(nvme_admin_set_features, NVME_FEAT_FID_TEMP_THRESH, 300));
    drv_->run();
    std::map<uint16_t, Cqe> got;
    while (auto c = drv_->reap(0)) {
        got[c->cid] = *c;
    }
    ASSERT_TRUE(got.count(set));
    ASSERT_TRUE(got.count(aer));
    EXPECT_EQ(got[aer].dw0, 1u | (1u << 8) | (2u << 16));
    Sqe smart = admin(nvme_admin_get_log_page, NVME_LOG_LID_SMART | (127u << 16));
    ASSERT_EQ(admin_status(smart), 0);
    EXPECT_EQ(host_.read<uint8_t>(Driver::kDataBase) & NVME_SMART_CRIT_TEMPERATURE,
              NVME_SMART_CRIT_TEMPERATURE);
    EXPECT_EQ(host_.read<uint16_t>(Driver::kDataBase + 1), 313);
    // Four more AERs: the log read unmasked SMART events and the condition
    // persists, so one completes with the event again; three stay held.
    for (int i = 0; i < 4; i++) {
        drv_->submit(0, admin(nvme_admin_async_event));
    }
    drv_->run();
    int limit = 0, events = 0;
    while (auto c = drv_->reap(0)) {
        limit += Driver::status(*c) == sc(1, NVME_SC_ASYNC_LIMIT);
        events += Driver::status(*c) == 0 && c->dw0 == (1u | (1u << 8) | (2u << 16));
    }
    EXPECT_EQ(limit, 0);
    EXPECT_EQ(events, 1);
    // A fifth outstanding AER is over the limit (AERL = 3); the fourth is not.
    drv_->submit(0, admin(nvme_admin_async_event));
    const uint16_t fifth = drv_->submit(0, admin(nvme_admin_async_event));
    drv_->run();
    auto c = drv_->reap(0);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->cid, fifth);
    EXPECT_EQ(Driver::status(*c), sc(1, NVME_SC_ASYNC_LIMIT));
    EXPECT_FALSE(drv_->reap(0));
}

TEST_F(ControllerTest, InvalidDoorbellWritesAreIgnoredAndReported)
{
    ready_with_io_queue(16);
    drv_->write32(kDoorbellBase + 8 * 3, 1);   // SQ 3 does not exist
    drv_->write32(kDoorbellBase + 8 * 1, 99);  // tail beyond the queue size
    nvmev_core_process(core_, 0);
    const uint16_t aer = drv_->submit(0, admin(nvme_admin_async_event));
    drv_->run();
    auto c = drv_->reap(0);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->cid, aer);
    EXPECT_EQ(c->dw0 & 0xff, 0u);          // error status
    EXPECT_EQ((c->dw0 >> 8) & 0xff, 0u);   // invalid doorbell register
    EXPECT_EQ((c->dw0 >> 16) & 0xff, 1u);  // error log
}

TEST_F(ControllerTest, LogPageReadsPastTheEndAreZeroFilled)
{
    make(8 << 20, -1, /*mdts=*/0);
    drv_->enable();
    for (uint32_t i = 0; i < 3 * 4096; i++) {
        host_.write<uint8_t>(Driver::kDataBase + i, 0xff);
    }
    // 12 KiB of the 512-byte SMART log: PRP1 + PRP2 list of two pages.
    host_.write<uint64_t>(0xB00000, Driver::kDataBase + 4096);
    host_.write<uint64_t>(0xB00008, Driver::kDataBase + 8192);
    Sqe s = admin(nvme_admin_get_log_page, NVME_LOG_LID_SMART | ((3 * 1024 - 1) << 16));
    s.prp2 = 0xB00000;
    ASSERT_EQ(admin_status(s), 0);
    EXPECT_EQ(host_.read<uint8_t>(Driver::kDataBase + 3), 100);  // available spare
    for (uint32_t i = 512; i < 3 * 4096; i++) {
        ASSERT_EQ(host_.read<uint8_t>(Driver::kDataBase + i), 0) << i;
    }
    // A log offset that is not dword aligned is an invalid field.
    s.cdw12 = 2;
    EXPECT_EQ(admin_status(s), sc(0, NVME_SC_INVALID_FIELD));
}

TEST_F(ControllerTest, SmartCountersSurviveAStatisticsReset)
{
    ready_with_io_queue();
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_write, 0, 8, Driver::kDataBase))),
                  0);
    }
    nvmev_core_reset_stats(core_);
    NvmevCoreInfo info;
    nvmev_core_get_info(core_, &info);
    EXPECT_EQ(info.write_cmds, 0u);
    ASSERT_EQ(admin_status(admin(nvme_admin_get_log_page, NVME_LOG_LID_SMART | (127u << 16))), 0);
    const auto smart = host_.read<struct nvme_smart_log>(Driver::kDataBase);
    EXPECT_EQ(smart.host_writes[0], 3);
    EXPECT_EQ(smart.data_units_written[0], 1);  // 12 KiB: one unit, rounded up
}

TEST_F(ControllerTest, DataPointerMustBeDwordAligned)
{
    ready_with_io_queue();
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, 0, 1, Driver::kDataBase + 2))),
              sc(0, NVME_SC_PRP_INVALID_OFFSET));
}
