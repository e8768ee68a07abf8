// IOThread polling (nvmev_core_poll, nvmev_core_set_polling): the poller
// sees shadow doorbells and due completions, and while it polls the event
// indexes stay put so that the guest rings no MMIO doorbells.
#include <gtest/gtest.h>

#include "core_fixture.h"

namespace nvmev::test {
namespace {

constexpr uint64_t kShadow = 0xA00000, kEventIdx = 0xA01000;
constexpr uint64_t kSqTail1 = 8, kCqHead1 = 12;  // queue pair 1's entries

class PollingTest : public CoreFixture {
protected:
    void SetUp() override
    {
        CoreFixture::SetUp();
        ASSERT_EQ(drv_->enable() & 1, 1u);
        Sqe cfg{};
        cfg.opcode = nvme_admin_dbbuf;
        cfg.prp1 = kShadow;
        cfg.prp2 = kEventIdx;
        ASSERT_EQ(admin_status(cfg), 0);
        ASSERT_EQ(drv_->create_io_queues(1, 16, 1), 0);
        ASSERT_EQ(nvmev_core_shadow_doorbells(core_), 1);
    }

    // Places a 1-block read with `cid` in SQ 1 slot `slot`, shadow tail only.
    void submit_shadow(uint32_t slot, uint16_t cid)
    {
        Sqe r = make_rw(nvme_cmd_read, 0, 1, Driver::kDataBase);
        r.cid = cid;
        host_.write(drv_->sq_base(1) + slot * sizeof(Sqe), r);
        host_.write<uint32_t>(kShadow + kSqTail1, slot + 1);
    }
};

TEST_F(PollingTest, NothingToDoUntilTheHostMovesAShadowTail)
{
    EXPECT_EQ(nvmev_core_poll(core_, 0), 0);
    submit_shadow(0, 5);
    EXPECT_EQ(nvmev_core_poll(core_, 0), 1);
    nvmev_core_process(core_, 0);
    EXPECT_EQ(nvmev_core_poll(core_, 0), 0);  // taken: the read is in flight
}

TEST_F(PollingTest, ADueCompletionIsWork)
{
    submit_shadow(0, 5);
    nvmev_core_process(core_, 0);
    const int64_t due = host_.timer_deadline;
    ASSERT_NE(due, INT64_MAX);
    host_.now_ns = due - 1;
    EXPECT_EQ(nvmev_core_poll(core_, 0), 0);
    host_.now_ns = due;
    EXPECT_EQ(nvmev_core_poll(core_, 0), 1);
    nvmev_core_process(core_, 0);  // the poller's pass posts it on time
    const Cqe c = host_.read<Cqe>(drv_->cq_base(1));
    EXPECT_EQ(c.cid, 5);
    EXPECT_EQ(c.status, 1);  // phase 1, success
    EXPECT_EQ(nvmev_core_poll(core_, 0), 0);
}

TEST_F(PollingTest, EventIndexesStayPutWhilePollingAndCatchUpAfter)
{
    host_.write<uint32_t>(kEventIdx + kSqTail1, 0xdead);
    nvmev_core_set_polling(core_, 0, 1);
    submit_shadow(0, 1);
    submit_shadow(1, 2);
    nvmev_core_process(core_, 0);
    EXPECT_EQ(host_.read<uint32_t>(kEventIdx + kSqTail1), 0xdeadu);
    host_.now_ns += 1'000'000;
    nvmev_core_process(core_, 0);
    EXPECT_EQ(host_.read<Cqe>(drv_->cq_base(1) + sizeof(Cqe)).cid, 2);
    host_.write<uint32_t>(kShadow + kCqHead1, 2);  // host consumed both
    EXPECT_EQ(nvmev_core_poll(core_, 0), 1);       // a CQ head moved
    nvmev_core_process(core_, 0);
    EXPECT_EQ(nvmev_core_poll(core_, 0), 0);
    EXPECT_EQ(host_.read<uint32_t>(kEventIdx + kCqHead1), 0u);  // untouched too
    nvmev_core_set_polling(core_, 0, 0);
    EXPECT_EQ(host_.read<uint32_t>(kEventIdx + kSqTail1), 2u);
    EXPECT_EQ(host_.read<uint32_t>(kEventIdx + kCqHead1), 2u);
}

TEST_F(PollingTest, ABadShadowValueIsNotWork)
{
    host_.write<uint32_t>(kShadow + kSqTail1, 16);  // beyond the 16-entry SQ
    EXPECT_EQ(nvmev_core_poll(core_, 0), 0);
    host_.write<uint32_t>(kShadow + kSqTail1, 0);
    host_.write<uint32_t>(kShadow + kCqHead1, 3);  // past the CQ's tail
    EXPECT_EQ(nvmev_core_poll(core_, 0), 0);
}

TEST_F(PollingTest, ADisabledControllerHasNoWork)
{
    submit_shadow(0, 5);
    drv_->disable();
    EXPECT_EQ(nvmev_core_poll(core_, 0), 0);
    EXPECT_EQ(nvmev_core_shadow_doorbells(core_), 0);  // a reset turns them off
}

}  // namespace
}  // namespace nvmev::test
