// Controller reset (CC.EN 1 -> 0), shutdown (CC.SHN), NVM Subsystem Reset
// and the function reset QEMU performs (FLR, system reset), with commands
// outstanding: what is posted, what is dropped, and that data survives.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "controller.h"
#include "core_fixture.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr int64_t kReadNs = 12000;  // CoreFixture's read-latency-ns
constexpr uint32_t kCstsRdyBit = 1;
constexpr uint32_t kShstComplete = 2u << 2;

class ResetTest : public CoreFixture {
protected:
    void SetUp() override
    {
        CoreFixture::SetUp();
        drv_->auto_reap = false;
    }

    void ready()
    {
        ASSERT_EQ(drv_->enable() & kCstsRdyBit, 1u);
        ASSERT_EQ(drv_->create_io_queues(1, 16, 1), 0);
    }

    // A write of 4 KiB of `fill` at LBA 8 and a read of LBA 0, fetched and
    // executed, their completions not yet due.
    void submit_outstanding(uint8_t fill)
    {
        std::memset(host_.ram.data() + Driver::kDataBase, fill, 4096);
        drv_->submit(1, make_rw(nvme_cmd_write, 8, 8, Driver::kDataBase));
        drv_->submit(1, make_rw(nvme_cmd_read, 0, 8, Driver::kDataBase + 4096));
        drv_->run(false);
        ASSERT_FALSE(drv_->reap(1).has_value());
        ASSERT_NE(host_.timer_deadline, INT64_MAX);
    }

    bool cq_untouched(uint16_t qid, uint32_t entries)
    {
        for (uint32_t i = 0; i < entries; i++) {
            const auto cqe = host_.read<Cqe>(drv_->cq_base(qid) + i * sizeof(Cqe));
            if (cqe.status & 1) {
                return false;
            }
        }
        return true;
    }
};

}  // namespace

TEST_F(ResetTest, ControllerResetDropsCompletionsAndDisarmsTheTimer)
{
    ready();
    std::memset(host_.ram.data() + drv_->cq_base(1), 0, 16 * sizeof(Cqe));
    submit_outstanding(0x5a);
    drv_->disable();
    EXPECT_EQ(drv_->reg32(NVME_REG_CSTS), 0u);
    EXPECT_EQ(host_.timer_deadline, INT64_MAX);
    // Even a timer QEMU fires late posts nothing.
    host_.now_ns += 10 * kReadNs;
    nvmev_core_timer(core_, 0);
    nvmev_core_process(core_, 0);
    EXPECT_TRUE(cq_untouched(1, 16));
    // The write had moved its data: it is on the media.
    EXPECT_EQ(backing_[8 * 512], 0x5a);
    EXPECT_EQ(backing_[8 * 512 + 4095], 0x5a);
}

TEST_F(ResetTest, ControllerResetDropsOutstandingAsyncEventRequests)
{
    ready();
    drv_->submit(0, make_admin(nvme_admin_async_event));
    drv_->run(false);
    drv_->disable();
    ASSERT_EQ(drv_->enable() & kCstsRdyBit, 1u);
    // An error event: with the old AER still held it would complete at once.
    drv_->write32(kDoorbellBase + 8 * 3, 1);  // SQ 3 does not exist
    drv_->run();
    EXPECT_FALSE(drv_->reap(0).has_value());
    const uint16_t cid = drv_->submit(0, make_admin(nvme_admin_async_event));
    drv_->run();
    const auto cqe = drv_->reap(0);
    ASSERT_TRUE(cqe.has_value());
    EXPECT_EQ(cqe->cid, cid);
    EXPECT_EQ(Driver::status(*cqe), 0);
    EXPECT_EQ(cqe->dw0,
              static_cast<uint32_t>(NVME_AER_ERROR | (NVME_AER_ERROR_INVALID_DB_REG << 8) |
                                    (NVME_LOG_LID_ERROR << 16)));
}

TEST_F(ResetTest, ShutdownPostsOutstandingCompletionsAtOnce)
{
    for (uint32_t shn : {1u, 2u}) {
        ready();
        submit_outstanding(static_cast<uint8_t>(0x10 + shn));
        const int64_t before = host_.now_ns;
        drv_->write32(NVME_REG_CC, drv_->reg32(NVME_REG_CC) | (shn << 14));
        EXPECT_EQ(drv_->reg32(NVME_REG_CSTS), kCstsRdyBit | kShstComplete);
        EXPECT_EQ(host_.now_ns, before);
        for (int i = 0; i < 2; i++) {
            const auto cqe = drv_->reap(1);
            ASSERT_TRUE(cqe.has_value()) << "shn " << shn;
            EXPECT_EQ(Driver::status(*cqe), 0);
        }
        EXPECT_EQ(host_.timer_deadline, INT64_MAX);
        EXPECT_EQ(backing_[8 * 512], 0x10 + shn);
        // Clearing SHN (without a reset) leaves SHST at 00b again.
        drv_->write32(NVME_REG_CC, drv_->reg32(NVME_REG_CC) & ~(3u << 14));
        EXPECT_EQ(drv_->reg32(NVME_REG_CSTS), kCstsRdyBit);
        drv_->disable();
        EXPECT_EQ(drv_->reg32(NVME_REG_CSTS), 0u);
    }
}

TEST_F(ResetTest, SubsystemResetIsIgnoredWithoutCapNssrs)
{
    EXPECT_EQ((nvmev_core_mmio_read(core_, NVME_REG_CAP, 8) >> 36) & 1, 0u);
    ready();
    drv_->write32(NVME_REG_NSSR, 0x4E564D65);  // "NVMe"
    EXPECT_EQ(drv_->reg32(NVME_REG_NSSR), 0u);
    EXPECT_EQ(drv_->reg32(NVME_REG_CSTS), kCstsRdyBit);
    drv_->auto_reap = true;
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, 0, 8, Driver::kDataBase))), 0);
}

TEST_F(ResetTest, FunctionResetRestoresEveryRegisterAndKeepsTheData)
{
    ready();
    submit_outstanding(0x77);
    nvmev_core_set_msix(core_, 0);
    drv_->write32(NVME_REG_INTMS, 1);
    ASSERT_EQ(drv_->reg32(NVME_REG_INTMS), 1u);
    nvmev_core_reset(core_);
    for (uint64_t reg : {NVME_REG_CC, NVME_REG_CSTS, NVME_REG_AQA, NVME_REG_INTMS}) {
        EXPECT_EQ(drv_->reg32(reg), 0u) << reg;
    }
    EXPECT_EQ(nvmev_core_mmio_read(core_, NVME_REG_ASQ, 8), 0u);
    EXPECT_EQ(nvmev_core_mmio_read(core_, NVME_REG_ACQ, 8), 0u);
    EXPECT_EQ(host_.timer_deadline, INT64_MAX);
    EXPECT_FALSE(host_.intx_level);
    // Enabled again from scratch: same queue ids, the data intact.
    drv_->auto_reap = true;
    ready();
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, 8, 8, Driver::kDataBase))), 0);
    EXPECT_EQ(host_.ram[Driver::kDataBase], 0x77);
    EXPECT_EQ(host_.ram[Driver::kDataBase + 4095], 0x77);
}
