// Queue groups (nvmev_core_map_queues): each group's queues are served by
// its own thread's passes and timer, and Reads and Writes move their data
// without the core's lock, so a vCPU (or another group) can act meanwhile.
// Here pairs 1 and 3 are in group 0 (with the admin queue), 2 and 4 in 1.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>

#include "core_fixture.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr int64_t kReadNs = 12000;  // CoreFixture's read-latency-ns
constexpr int64_t kWriteNs = 14000;
constexpr uint32_t kCstsRdyBit = 1;
constexpr uint64_t kReadBuf = Driver::kDataBase + 0x10000;

class QueueGroupsTest : public CoreFixture {
protected:
    void SetUp() override
    {
        CoreFixture::SetUp();
        static constexpr uint16_t kPairGroup[4] = {0, 1, 0, 1};
        ASSERT_EQ(map(2, kPairGroup, 4), "");
        drv_->groups = 2;
        ASSERT_EQ(drv_->enable() & kCstsRdyBit, 1u);
        ASSERT_EQ(drv_->create_io_queues(1, 16, 1), 0);
        ASSERT_EQ(drv_->create_io_queues(2, 16, 2), 0);
    }

    std::string map(unsigned groups, const uint16_t *pair_group, size_t pairs)
    {
        char *err = nullptr;
        if (nvmev_core_map_queues(core_, groups, pair_group, pairs, &err) == 0) {
            return "";
        }
        std::string msg = err;
        nvmev_core_free_error(err);
        return msg;
    }

    // Group 1 reads blocks 0-7 (all 0x5a) out to kReadBuf (pair 2), and
    // `meanwhile` runs once while that data moves; returns block 4's first
    // byte on the media as `meanwhile` left it.
    uint8_t while_group_1_reads(const std::function<void()> &meanwhile)
    {
        std::memset(backing_.data(), 0x5a, 8 * 512);
        bool once = false;
        uint8_t during = 0;
        host_.on_dma = [&](uint64_t addr, uint64_t, bool write) {
            if (write && addr == kReadBuf && !once) {
                once = true;
                meanwhile();
                during = backing_[4 * 512];
            }
        };
        drv_->auto_reap = false;
        drv_->submit(2, make_rw(nvme_cmd_read, 0, 8, kReadBuf));
        nvmev_core_process(core_, 1);
        host_.on_dma = nullptr;
        EXPECT_TRUE(once);
        EXPECT_EQ(host_.read<uint8_t>(kReadBuf + 4 * 512), 0x5a);  // read out whole
        return during;
    }

    bool cq_untouched(uint16_t qid)
    {
        for (uint32_t i = 0; i < 16; i++) {
            if (host_.read<Cqe>(drv_->cq_base(qid) + i * sizeof(Cqe)).status & 1) {
                return false;
            }
        }
        return true;
    }
};

}  // namespace

TEST_F(QueueGroupsTest, BadMappingsAreRefusedWithTheReason)
{
    static constexpr uint16_t kOk[4] = {0, 1, 0, 1};
    static constexpr uint16_t kBeyond[4] = {0, 5, 0, 1};
    // Only while the controller is disabled: the guest has enabled it.
    EXPECT_EQ(map(2, kOk, 4), "queue groups can only change while the controller is disabled");
    drv_->disable();
    EXPECT_EQ(map(0, kOk, 4), "0 queue groups for 4 I/O queue pairs: need 1..4");
    EXPECT_EQ(map(5, kOk, 4), "5 queue groups for 4 I/O queue pairs: need 1..4");
    EXPECT_EQ(map(2, kOk, 3), "a mapping of 3 queue pairs, but max-ioqpairs is 4");
    EXPECT_EQ(map(2, kBeyond, 4), "I/O queue pair 2 maps to group 5 of 2");
    EXPECT_EQ(map(2, kOk, 4), "");
}

TEST_F(QueueGroupsTest, EachGroupFetchesAndCompletesOnlyItsOwnQueues)
{
    fill(Driver::kDataBase, 4096, 7);
    const int kicks0 = host_.kicks_of(0), kicks1 = host_.kicks_of(1);
    const int64_t t0 = host_.now_ns;
    drv_->auto_reap = false;
    drv_->submit(2, make_rw(nvme_cmd_write, 16, 8, Driver::kDataBase));
    EXPECT_EQ(host_.kicks_of(1), kicks1 + 1);  // the doorbell wakes group 1 only
    EXPECT_EQ(host_.kicks_of(0), kicks0);

    nvmev_core_process(core_, 0);
    EXPECT_EQ(host_.deadline(1), INT64_MAX);  // group 0 left SQ 2 alone
    EXPECT_EQ(backing_[16 * 512], 0);
    nvmev_core_process(core_, 1);
    EXPECT_EQ(host_.deadline(1), t0 + kWriteNs);  // group 1's timer, at the model time
    EXPECT_EQ(host_.deadline(0), INT64_MAX);
    EXPECT_EQ(std::memcmp(backing_.data() + 16 * 512, host_.ram.data() + Driver::kDataBase, 4096),
              0);

    host_.now_ns = t0 + kWriteNs;
    nvmev_core_timer(core_, 0);  // not group 0's completion
    EXPECT_FALSE(drv_->reap(2));
    nvmev_core_timer(core_, 1);
    const auto c = drv_->reap(2);
    ASSERT_TRUE(c);
    EXPECT_EQ(Driver::status(*c), 0);
    EXPECT_EQ(host_.irqs[2], 1);

    // Read back through pair 1, served by group 0.
    drv_->auto_reap = true;
    ASSERT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, 16, 8, kReadBuf))), 0);
    EXPECT_EQ(std::memcmp(host_.ram.data() + kReadBuf, host_.ram.data() + Driver::kDataBase, 4096),
              0);
}

TEST_F(QueueGroupsTest, AReadAfterAWriteInOnePassReturnsTheWrittenData)
{
    fill(Driver::kDataBase, 8192, 42);
    drv_->auto_reap = false;
    drv_->submit(2, make_rw(nvme_cmd_write, 0, 16, Driver::kDataBase, Driver::kDataBase + 4096));
    drv_->submit(2, make_rw(nvme_cmd_read, 0, 16, kReadBuf, kReadBuf + 4096));
    nvmev_core_process(core_, 1);  // both fetched, both staged, copied in order
    EXPECT_EQ(std::memcmp(host_.ram.data() + kReadBuf, host_.ram.data() + Driver::kDataBase, 8192),
              0);
    drv_->run();
    EXPECT_EQ(Driver::status(*drv_->reap(2)), 0);
    EXPECT_EQ(Driver::status(*drv_->reap(2)), 0);
}

TEST_F(QueueGroupsTest, AResetWhileDataMovesDropsTheCommandAndHoldsReadyUntilItStops)
{
    std::memset(backing_.data(), 0x3c, 4096);
    uint32_t csts_during_copy = 0;
    host_.on_dma = [&](uint64_t addr, uint64_t, bool write) {
        if (write && addr == kReadBuf) {
            // A vCPU resets the controller while group 1 copies the read's
            // data: the core's lock is free (this would deadlock otherwise).
            drv_->write32(NVME_REG_CC, drv_->reg32(NVME_REG_CC) & ~1u);
            csts_during_copy = drv_->reg32(NVME_REG_CSTS);
        }
    };
    drv_->submit(2, make_rw(nvme_cmd_read, 0, 8, kReadBuf));
    nvmev_core_process(core_, 1);
    host_.on_dma = nullptr;
    EXPECT_EQ(csts_during_copy, kCstsRdyBit);  // still moving data: not yet reset
    EXPECT_EQ(drv_->reg32(NVME_REG_CSTS), 0u);
    EXPECT_EQ(host_.read<uint8_t>(kReadBuf), 0x3c);  // the copy itself finished
    EXPECT_EQ(host_.deadline(1), INT64_MAX);         // and its completion was dropped
    host_.now_ns += 10 * kReadNs;
    nvmev_core_timer(core_, 1);
    EXPECT_TRUE(cq_untouched(2));
}

TEST_F(QueueGroupsTest, DeletingAnSqWhileItsDataMovesDropsTheCommandAndFreesItsCqSlot)
{
    // CQ 4 with 4 entries (3 usable) shared by nothing else: a leaked CQ
    // slot would let only 2 of 3 later commands be fetched.
    ASSERT_EQ(drv_->create_io_queues(4, 4, 1), 0);
    uint16_t delete_status = 0xffff;
    host_.on_dma = [&](uint64_t addr, uint64_t, bool write) {
        if (write && addr == kReadBuf) {
            host_.on_dma = nullptr;
            // Group 0 runs Delete SQ 4 meanwhile.
            Sqe del{};
            del.opcode = nvme_admin_delete_sq;
            del.cdw10 = 4;
            drv_->submit(0, del);
            nvmev_core_process(core_, 0);
            delete_status = Driver::status(*drv_->reap(0));
        }
    };
    drv_->auto_reap = false;
    drv_->submit(4, make_rw(nvme_cmd_read, 0, 8, kReadBuf));
    nvmev_core_process(core_, 1);
    EXPECT_EQ(delete_status, 0);
    EXPECT_EQ(host_.deadline(1), INT64_MAX);  // nothing left to complete
    for (uint32_t i = 0; i < 4; i++) {
        EXPECT_FALSE(host_.read<Cqe>(drv_->cq_base(4) + i * sizeof(Cqe)).status & 1);
    }

    // The SQ again, on the same CQ: all three slots are free.
    Sqe sq{};
    sq.opcode = nvme_admin_create_sq;
    sq.prp1 = drv_->sq_base(4);
    sq.cdw10 = 4 | (3u << 16);
    sq.cdw11 = 1 | (4u << 16);
    drv_->submit(0, sq);
    drv_->run();
    ASSERT_EQ(Driver::status(*drv_->reap(0)), 0);
    for (uint16_t i = 0; i < 3; i++) {
        Sqe r = make_rw(nvme_cmd_read, 0, 8, kReadBuf);
        r.cid = static_cast<uint16_t>(100 + i);
        host_.write(drv_->sq_base(4) + i * sizeof(Sqe), r);
    }
    drv_->write32(kDoorbellBase + 8 * 4, 3);
    drv_->run();
    for (uint32_t i = 0; i < 3; i++) {
        const auto c = host_.read<Cqe>(drv_->cq_base(4) + i * sizeof(Cqe));
        EXPECT_TRUE(c.status & 1) << i;
        EXPECT_EQ(c.cid, 100 + i);
    }
}

TEST_F(QueueGroupsTest, AbortingAPendingCommandWakesItsGroupToPostIt)
{
    drv_->auto_reap = false;
    const uint16_t cid = drv_->submit(2, make_rw(nvme_cmd_read, 0, 8, kReadBuf));
    nvmev_core_process(core_, 1);
    const int kicks1 = host_.kicks_of(1);
    Sqe abort{};
    abort.opcode = nvme_admin_abort_cmd;
    abort.cdw10 = 2u | (uint32_t{cid} << 16);
    drv_->submit(0, abort);
    nvmev_core_process(core_, 0);
    EXPECT_EQ(Driver::status(*drv_->reap(0)), 0);
    EXPECT_EQ(host_.kicks_of(1), kicks1 + 1);
    nvmev_core_process(core_, 1);  // before the read's deadline
    const auto c = drv_->reap(2);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->cid, cid);
    EXPECT_EQ(Driver::status(*c), 0x7);  // Command Abort Requested
}

TEST_F(QueueGroupsTest, FreeingCqEntriesWakesTheGroupOfTheSqsItServes)
{
    drv_->auto_reap = false;
    for (int i = 0; i < 15; i++) {  // CQ 2 holds 15: full
        drv_->submit(2, make_rw(nvme_cmd_read, 0, 1, kReadBuf));
    }
    drv_->run();
    drv_->submit(2, make_rw(nvme_cmd_read, 0, 1, kReadBuf));
    drv_->run();  // waits for a free CQ slot
    const int kicks0 = host_.kicks_of(0), kicks1 = host_.kicks_of(1);
    ASSERT_TRUE(drv_->reap(2));  // rings CQ 2's head doorbell
    EXPECT_EQ(host_.kicks_of(1), kicks1 + 1);
    EXPECT_EQ(host_.kicks_of(0), kicks0);
    drv_->run();
    for (int i = 0; i < 15; i++) {
        ASSERT_TRUE(drv_->reap(2)) << i;
    }
}

TEST_F(QueueGroupsTest, ACommandOnBlocksAnotherGroupIsCopyingWaitsInItsSqUntilTheCopyEnds)
{
    ASSERT_EQ(drv_->create_io_queues(3, 16, 1), 0);  // pair 3: group 0 too
    uint16_t zeroes_cid = 0, other_cid = 0;
    int kicks0 = 0;
    const uint8_t during_copy = while_group_1_reads([&] {
        // Group 0 meanwhile: a Write Zeroes of the blocks being read out
        // waits (pair 1); a Write elsewhere runs (pair 3).
        zeroes_cid = drv_->submit(1, make_rw(nvme_cmd_write_zeroes, 4, 1, 0));
        other_cid = drv_->submit(3, make_rw(nvme_cmd_write, 64, 1, Driver::kDataBase));
        nvmev_core_process(core_, 0);
        kicks0 = host_.kicks_of(0);
    });
    EXPECT_EQ(during_copy, 0x5a);              // not cleared while being read out
    EXPECT_EQ(host_.kicks_of(0), kicks0 + 1);  // the copy ended: group 0 woken
    EXPECT_EQ(backing_[4 * 512], 0x5a);        // and only then runs it
    nvmev_core_process(core_, 0);
    EXPECT_EQ(backing_[4 * 512], 0);
    drv_->run();
    const auto z = drv_->reap(1), o = drv_->reap(3), r = drv_->reap(2);
    ASSERT_TRUE(z && o && r);
    EXPECT_EQ(z->cid, zeroes_cid);
    EXPECT_EQ(o->cid, other_cid);
    EXPECT_EQ(Driver::status(*z), 0);
    EXPECT_EQ(Driver::status(*o), 0);
    EXPECT_EQ(Driver::status(*r), 0);
}

// A fused Compare and Write changes its blocks under the lock (the pair is
// not staged), so it waits for another group's Read of them like a Write.
TEST_F(QueueGroupsTest, AFusedCompareAndWriteOnBlocksAnotherGroupIsCopyingWaitsForTheCopy)
{
    std::memset(host_.ram.data() + Driver::kDataBase, 0x5a, 512);         // compared
    std::memset(host_.ram.data() + Driver::kDataBase + 4096, 0x33, 512);  // written
    const uint8_t during_copy = while_group_1_reads([&] {
        Sqe cmp = make_rw(nvme_cmd_compare, 4, 1, Driver::kDataBase);
        cmp.flags = 1;  // fused, first
        Sqe wr = make_rw(nvme_cmd_write, 4, 1, Driver::kDataBase + 4096);
        wr.flags = 2;  // fused, second
        drv_->submit(1, cmp);
        drv_->submit(1, wr);
        nvmev_core_process(core_, 0);
    });
    EXPECT_EQ(during_copy, 0x5a);  // not written while being read out
    nvmev_core_process(core_, 0);
    EXPECT_EQ(backing_[4 * 512], 0x33);  // the pair ran once the copy ended
    drv_->run();
    const auto c = drv_->reap(1), w = drv_->reap(1), r = drv_->reap(2);
    ASSERT_TRUE(c && w && r);
    EXPECT_EQ(Driver::status(*c), 0);
    EXPECT_EQ(Driver::status(*w), 0);
    EXPECT_EQ(Driver::status(*r), 0);
}
