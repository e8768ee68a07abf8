// The Controller Memory Buffer and the Persistent Memory Region (NVMe 2.0c
// 3.1.4.9-3.1.4.21, 8.2.1, 8.2.2): register values, an SQ in the CMB
// fetched from CMB memory, data and PRP lists in the CMB, CMBMSC.CMSE = 0
// leaving the same addresses to the host, the CMB's bounds, PMR control.
#include <gtest/gtest.h>

#include <cstring>

#include "core_fixture.h"
#include "sgl.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr uint64_t kCmbSize = 1 << 20;
// Inside the fake host's RAM on purpose: with CMSE = 0 the same address is
// ordinary guest memory, so a test can tell which one an access reached.
constexpr uint64_t kCba = 0x400000;
constexpr uint64_t kCre = 1, kCmse = 2;
constexpr uint16_t kDataTransferError = 0x04;

class CmbPmrTest : public CoreFixture {
protected:
    void SetUp() override
    {
        cmb_.assign(kCmbSize, 0);
        NvmevConfig c = nvm_config(8 << 20);
        c.cmb = cmb_.data();
        c.cmb_bytes = kCmbSize;
        c.pmr_bytes = 1 << 20;
        ASSERT_EQ(start(c), "");
        ready_with_io_queue();
    }
    uint64_t reg64(uint64_t off) { return nvmev_core_mmio_read(core_, off, 8); }
    void set_cmbmsc(uint64_t v) { nvmev_core_mmio_write(core_, NVME_REG_CMBMSC, v, 8); }
    NvmevCoreInfo info()
    {
        NvmevCoreInfo i{};
        nvmev_core_get_info(core_, &i);
        return i;
    }
    void fill_cmb(uint64_t off, uint64_t len, uint8_t seed)
    {
        for (uint64_t i = 0; i < len; i++) {
            cmb_[off + i] = static_cast<uint8_t>(seed + i * 7);
        }
    }

    std::vector<uint8_t> cmb_;
};

TEST_F(CmbPmrTest, CapabilitiesAndRegistersBeforeAndAfterCre)
{
    const uint64_t cap = reg64(NVME_REG_CAP);
    EXPECT_EQ(NVME_CAP_CMBS(cap), 1u);
    EXPECT_EQ(NVME_CAP_PMRS(cap), 1u);
    // CAP.CMBS = 1: CMBLOC and CMBSZ read 0 until CMBMSC.CRE (3.1.4.9).
    EXPECT_EQ(drv_->reg32(NVME_REG_CMBLOC), 0u);
    EXPECT_EQ(drv_->reg32(NVME_REG_CMBSZ), 0u);
    drv_->write32(NVME_REG_CMBMSC, kCre);
    EXPECT_EQ(drv_->reg32(NVME_REG_CMBLOC), 2u);  // BIR 2, offset 0
    // SQS, CQS, LISTS, RDS, WDS; SZU 4 KiB; SZ 256 units = 1 MiB.
    EXPECT_EQ(drv_->reg32(NVME_REG_CMBSZ), 0x1fu | (256u << 12));
    EXPECT_EQ(drv_->reg32(NVME_REG_CMBSTS), 0u);
    set_cmbmsc(kCba | kCre | kCmse);
    EXPECT_EQ(reg64(NVME_REG_CMBMSC), kCba | kCre | kCmse);
    EXPECT_EQ(info().cmb_enabled, 1);
    // CMSE without CRE does not enable the controller memory space.
    set_cmbmsc(kCba | kCmse);
    EXPECT_EQ(reg64(NVME_REG_CMBMSC), kCba);
}

TEST_F(CmbPmrTest, LargeCmbUsesALargerSizeUnit)
{
    std::vector<uint8_t> big(64u << 20);
    NvmevConfig c = nvm_config(8 << 20);
    c.cmb = big.data();
    c.cmb_bytes = big.size();
    ASSERT_EQ(start(c), "");
    drv_->write32(NVME_REG_CMBMSC, kCre);
    // 64 MiB in 4 KiB units is 16384 (fits 20 bits): SZU stays 4 KiB.
    EXPECT_EQ(drv_->reg32(NVME_REG_CMBSZ) >> 8, 16384u << 4);
}

TEST_F(CmbPmrTest, NoCmbNoPmrMeansReservedRegisters)
{
    ASSERT_EQ(start(nvm_config(8 << 20)), "");
    const uint64_t cap = reg64(NVME_REG_CAP);
    EXPECT_EQ(NVME_CAP_CMBS(cap), 0u);
    EXPECT_EQ(NVME_CAP_PMRS(cap), 0u);
    const size_t ub = host_.events(NVMEV_TRACE_UB_MMIO_WRITE_RO).size();
    set_cmbmsc(kCba | kCre | kCmse);
    drv_->write32(NVME_REG_PMRCTL, 1);
    // Reserved registers: the writes are ignored and traced as such.
    EXPECT_EQ(host_.events(NVMEV_TRACE_UB_MMIO_WRITE_RO).size(), ub + 3);
    EXPECT_EQ(host_.pmr_enabled, -1);
    EXPECT_EQ(reg64(NVME_REG_CMBMSC), 0u);
    EXPECT_EQ(drv_->reg32(NVME_REG_CMBSZ), 0u);
    EXPECT_EQ(drv_->reg32(NVME_REG_PMRCAP), 0u);
    EXPECT_EQ(drv_->reg32(NVME_REG_PMRSTS), 0u);
}

TEST_F(CmbPmrTest, SubmissionQueueInTheCmbIsFetchedFromCmbMemory)
{
    set_cmbmsc(kCba | kCre | kCmse);
    // I/O SQ 2 in the CMB (at CBA + 64 KiB), its CQ 2 in host memory.
    const uint64_t sq = kCba + 0x10000;
    const uint64_t cq = 0xA00000;
    Sqe create_cq = make_admin(nvme_admin_create_cq, (15u << 16) | 2, (2u << 16) | 3);
    create_cq.prp1 = cq;
    ASSERT_EQ(Driver::status(drv_->call(0, create_cq)), 0);
    Sqe create_sq = make_admin(nvme_admin_create_sq, (15u << 16) | 2, (2u << 16) | 1);
    create_sq.prp1 = sq;
    ASSERT_EQ(Driver::status(drv_->call(0, create_sq)), 0);

    // A Write of one block from host memory, its SQE only in the CMB; the
    // same bytes of host RAM hold garbage the controller must not read.
    fill(Driver::kDataBase, 512, 9);
    Sqe w = make_rw(nvme_cmd_write, 5, 1, Driver::kDataBase);
    w.cid = 77;
    std::memcpy(cmb_.data() + 0x10000, &w, sizeof(w));
    std::memset(host_.ram.data() + sq, 0xff, sizeof(Sqe));
    const uint64_t before = info().cmb_read_bytes;
    drv_->write32(0x1000 + 2 * 2 * 4, 1);  // SQ 2 tail doorbell
    drv_->run();
    const Cqe done = host_.read<Cqe>(cq);
    EXPECT_EQ(done.cid, 77);
    EXPECT_EQ(done.status >> 1, 0);
    EXPECT_EQ(done.status & 1, 1);
    EXPECT_EQ(info().cmb_read_bytes - before, sizeof(Sqe));
    EXPECT_EQ(std::memcmp(backing_.data() + 5 * 512, host_.ram.data() + Driver::kDataBase, 512), 0);
}

TEST_F(CmbPmrTest, CompletionQueueInTheCmbIsWrittenToCmbMemory)
{
    set_cmbmsc(kCba | kCre | kCmse);
    Sqe create_cq = make_admin(nvme_admin_create_cq, (15u << 16) | 2, (2u << 16) | 3);
    create_cq.prp1 = kCba;
    ASSERT_EQ(Driver::status(drv_->call(0, create_cq)), 0);
    Sqe create_sq = make_admin(nvme_admin_create_sq, (15u << 16) | 2, (2u << 16) | 1);
    create_sq.prp1 = 0xA00000;
    ASSERT_EQ(Driver::status(drv_->call(0, create_sq)), 0);
    Sqe f = make_rw(nvme_cmd_flush, 0, 1, 0);
    f.cid = 5;
    host_.write(0xA00000, f);
    drv_->write32(0x1000 + 2 * 2 * 4, 1);
    drv_->run();
    Cqe c;
    std::memcpy(&c, cmb_.data(), sizeof(c));
    EXPECT_EQ(c.cid, 5);
    EXPECT_EQ(c.status, 1);  // success, phase 1
}

TEST_F(CmbPmrTest, PrpDataInTheCmbIsReadAndWrittenThere)
{
    set_cmbmsc(kCba | kCre | kCmse);
    fill_cmb(0x2000, 4096, 3);
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write, 0, 8, kCba + 0x2000)), 0);
    EXPECT_EQ(std::memcmp(backing_.data(), cmb_.data() + 0x2000, 4096), 0);
    // Read back into another CMB page, and into host memory.
    ASSERT_EQ(io_status(make_rw(nvme_cmd_read, 0, 8, kCba + 0x5000)), 0);
    EXPECT_EQ(std::memcmp(cmb_.data() + 0x5000, cmb_.data() + 0x2000, 4096), 0);
    ASSERT_EQ(io_status(make_rw(nvme_cmd_read, 0, 8, Driver::kDataBase)), 0);
    EXPECT_EQ(std::memcmp(host_.ram.data() + Driver::kDataBase, cmb_.data() + 0x2000, 4096), 0);
    EXPECT_GE(info().cmb_write_bytes, 4096u);
}

TEST_F(CmbPmrTest, PrpListInTheCmbPointsAtCmbPages)
{
    set_cmbmsc(kCba | kCre | kCmse);
    fill_cmb(0x10000, 3 * 4096, 11);
    // 12 KiB: PRP1 one page, PRP2 a list (in the CMB) of the next two.
    const uint64_t list[2] = {kCba + 0x11000, kCba + 0x12000};
    std::memcpy(cmb_.data() + 0x8000, list, sizeof(list));
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write, 16, 24, kCba + 0x10000, kCba + 0x8000)), 0);
    EXPECT_EQ(std::memcmp(backing_.data() + 16 * 512, cmb_.data() + 0x10000, 3 * 4096), 0);
}

TEST_F(CmbPmrTest, CmseClearMeansTheAddressesAreHostMemory)
{
    // CRE alone: the CMB's registers are visible but its memory space is
    // off, so kCba is an ordinary guest address (3.1.4.13).
    set_cmbmsc(kCba | kCre);
    fill(kCba + 0x2000, 4096, 21);
    fill_cmb(0x2000, 4096, 99);
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write, 0, 8, kCba + 0x2000)), 0);
    EXPECT_EQ(std::memcmp(backing_.data(), host_.ram.data() + kCba + 0x2000, 4096), 0);
    EXPECT_EQ(info().cmb_read_bytes, 0u);
}

TEST_F(CmbPmrTest, PrpStraddlingTheCmbEndIsADataTransferError)
{
    // The page before the CMB's end and the one after it (host RAM that
    // follows the CMB's range): one access would cover both, which no
    // single memory serves. As QEMU's nvme does, the command fails with
    // Data Transfer Error (NVMe 2.0c Figure 102, status 04h: the transfer
    // of the data "experienced an error").
    set_cmbmsc(kCba | kCre | kCmse);
    const uint64_t last_page = kCba + kCmbSize - 4096;
    EXPECT_EQ(io_status(make_rw(nvme_cmd_write, 0, 16, last_page, kCba + kCmbSize)),
              kDataTransferError);
    // An SGL data block running off the end fails the same way.
    SglDescriptor d{};
    d.addr = kCba + kCmbSize - 512;
    d.len = 1024;
    d.id = 0;  // Data Block, address subtype
    Sqe s = make_rw(nvme_cmd_read, 0, 2, 0);
    s.flags = 1 << 6;
    std::memcpy(&s.prp1, &d, 16);
    EXPECT_EQ(io_status(s), kDataTransferError);
    // Wholly inside still works.
    EXPECT_EQ(io_status(make_rw(nvme_cmd_write, 0, 8, last_page)), 0);
}

TEST_F(CmbPmrTest, ControllerResetKeepsCmbmscConventionalResetClearsIt)
{
    set_cmbmsc(kCba | kCre | kCmse);
    drv_->disable();
    EXPECT_EQ(reg64(NVME_REG_CMBMSC), kCba | kCre | kCmse);
    nvmev_core_reset(core_);
    EXPECT_EQ(reg64(NVME_REG_CMBMSC), 0u);
    EXPECT_EQ(info().cmb_enabled, 0);
}

TEST_F(CmbPmrTest, PmrRegisters)
{
    // RDS, WDS, BIR 5, PMRWBM 2h (a PMRSTS read is the write barrier),
    // PMRTU 500 ms, PMRTO 1, CMSS 0.
    EXPECT_EQ(drv_->reg32(NVME_REG_PMRCAP), 0x8u | 0x10u | (5u << 5) | (2u << 10) | (1u << 16));
    EXPECT_EQ(drv_->reg32(NVME_REG_PMRCTL), 0u);
    const int flushes = host_.pmr_flushes;
    EXPECT_EQ(drv_->reg32(NVME_REG_PMRSTS), 1u << 8);  // NRDY while disabled
    drv_->write32(NVME_REG_PMRCTL, 1);
    EXPECT_EQ(host_.pmr_enabled, 1);
    EXPECT_EQ(drv_->reg32(NVME_REG_PMRCTL), 1u);
    EXPECT_EQ(drv_->reg32(NVME_REG_PMRSTS), 0u);  // ready, healthy
    // Each PMRSTS read makes the PMR's contents persistent (8.2.2.1).
    EXPECT_EQ(host_.pmr_flushes, flushes + 2);
    EXPECT_EQ(info().pmr_enabled, 1);
    EXPECT_EQ(info().pmr_bytes, 1u << 20);
    EXPECT_EQ(drv_->reg32(NVME_REG_PMREBS), 0u);
    EXPECT_EQ(drv_->reg32(NVME_REG_PMRMSCL), 0u);
    nvmev_core_reset(core_);
    EXPECT_EQ(host_.pmr_enabled, 0);
    EXPECT_EQ(drv_->reg32(NVME_REG_PMRCTL), 0u);
}

TEST_F(CmbPmrTest, BadSizesNameTheProperty)
{
    NvmevConfig c = nvm_config(8 << 20);
    c.cmb = cmb_.data();
    c.cmb_bytes = 6000;
    EXPECT_EQ(start(c),
              "property 'cmb-size': 6000 bytes is not a multiple of 4 KiB "
              "(allowed: 4K..1G in 4 KiB steps)");
    c.cmb_bytes = 0;
    c.pmr_bytes = 3 << 20;
    EXPECT_EQ(start(c),
              "property 'pmr-memdev': 3145728 bytes is not a power of two "
              "(allowed: 4K..256M, a power of two)");
}

}  // namespace
