// Back-pressure: a full CQ holds completions and stops fetching from its
// SQs (nothing executes) until the host moves the CQ head.
#include <gtest/gtest.h>

#include <cstring>

#include "core_fixture.h"

using namespace nvmev;
using namespace nvmev::test;

TEST_F(CoreFixture, FullCompletionQueueStopsFetchingUntilTheHeadMoves)
{
    ASSERT_EQ(drv_->enable() & 1, 1u);
    ASSERT_EQ(drv_->create_io_queues(1, 4, 1), 0);  // 3 usable CQ slots
    drv_->auto_reap = false;
    const uint64_t buf = Driver::kDataBase;
    for (int i = 0; i < 3; i++) {
        drv_->submit(1, make_rw(nvme_cmd_flush, 0, 1, 0));
    }
    drv_->run();
    // The CQ is full. A write submitted now must not even be fetched.
    fill(buf, 512, 9);
    drv_->submit(1, make_rw(nvme_cmd_write, 0, 1, buf));
    drv_->run();
    EXPECT_EQ(backing_[0], 0);
    EXPECT_EQ(backing_[1], 0);
    // One slot freed: the write runs, and its completion reports the SQ
    // head past it.
    ASSERT_TRUE(drv_->reap(1));
    drv_->run();
    EXPECT_EQ(std::memcmp(backing_.data(), host_.ram.data() + buf, 512), 0);
    std::optional<Cqe> last;
    while (auto c = drv_->reap(1)) {
        last = c;
    }
    ASSERT_TRUE(last);
    EXPECT_EQ(Driver::status(*last), 0);
    EXPECT_EQ(last->sq_head, 0u);  // 4 fetched from a 4-entry SQ: wrapped to 0
}
