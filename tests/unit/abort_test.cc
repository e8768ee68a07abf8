// Abort (NVMe 2.0c 5.1): commands still in their SQ, commands whose
// completion is pending, AERs, commands not found, and the Abort limit.
#include <gtest/gtest.h>

#include <cstring>

#include "core_fixture.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr uint64_t kBuf = Driver::kDataBase;
constexpr uint16_t kAborted = sc(0, NVME_SC_ABORT_REQ, false);

Sqe abort_cmd(uint16_t sqid, uint16_t cid)
{
    return make_admin(nvme_admin_abort_cmd, sqid | (uint32_t{cid} << 16));
}

class AbortTest : public CoreFixture {
protected:
    void SetUp() override
    {
        CoreFixture::SetUp();
        ready_with_io_queue();
    }
    // Reaps every completion on qid: status by CID.
    std::map<uint16_t, uint16_t> drain(uint16_t qid)
    {
        std::map<uint16_t, uint16_t> st;
        while (auto c = drv_->reap(qid)) {
            st[c->cid] = Driver::status(*c);
        }
        return st;
    }
    std::optional<Cqe> completion_of(uint16_t qid, uint16_t cid)
    {
        while (auto c = drv_->reap(qid)) {
            if (c->cid == cid) {
                return c;
            }
        }
        return std::nullopt;
    }
};

}  // namespace

TEST_F(AbortTest, CommandStillInItsSubmissionQueue)
{
    fill(kBuf, 512, 3);
    const uint16_t w = drv_->submit(1, make_rw(nvme_cmd_write, 0, 1, kBuf));
    const uint16_t a = drv_->submit(0, abort_cmd(1, w));
    drv_->run();  // the admin SQ is served first: the write is still queued
    const auto ac = completion_of(0, a);
    ASSERT_TRUE(ac);
    EXPECT_EQ(Driver::status(*ac), 0);
    EXPECT_EQ(ac->dw0 & 1, 0u);  // aborted
    const auto wc = completion_of(1, w);
    ASSERT_TRUE(wc);
    EXPECT_EQ(Driver::status(*wc), kAborted);
    EXPECT_EQ(backing_[0], 0);  // it never ran
    EXPECT_EQ(backing_[511], 0);
}

TEST_F(AbortTest, CommandWhoseCompletionIsPending)
{
    fill(kBuf, 512, 3);
    const uint16_t w = drv_->submit(1, make_rw(nvme_cmd_write, 0, 1, kBuf));
    drv_->run(false);  // executed; its completion waits for the model time
    const int64_t at = host_.now_ns;
    const Cqe ac = drv_->call(0, abort_cmd(1, w));
    EXPECT_EQ(Driver::status(ac), 0);
    EXPECT_EQ(ac.dw0 & 1, 0u);
    const auto wc = completion_of(1, w);
    ASSERT_TRUE(wc);
    EXPECT_EQ(Driver::status(*wc), kAborted);
    EXPECT_EQ(drv_->log.back().posted_at_ns, at);  // posted at once
    // Documented: the data had moved when the command was fetched.
    EXPECT_EQ(std::memcmp(backing_.data(), host_.ram.data() + kBuf, 512), 0);
}

TEST_F(AbortTest, CompletedOrUnknownCommandsAreNotAborted)
{
    const Cqe done = drv_->call(1, make_rw(nvme_cmd_read, 0, 1, kBuf));
    Cqe ac = drv_->call(0, abort_cmd(1, done.cid));
    EXPECT_EQ(Driver::status(ac), 0);
    EXPECT_EQ(ac.dw0 & 1, 1u);
    ac = drv_->call(0, abort_cmd(1, 0x4321));
    EXPECT_EQ(ac.dw0 & 1, 1u);
    ac = drv_->call(0, abort_cmd(3, 0));  // no such SQ
    EXPECT_EQ(Driver::status(ac), 0);
    EXPECT_EQ(ac.dw0 & 1, 1u);
}

TEST_F(AbortTest, OutstandingAsyncEventRequest)
{
    const uint16_t aer = drv_->submit(0, make_admin(nvme_admin_async_event));
    drv_->run();
    const uint16_t a = drv_->submit(0, abort_cmd(0, aer));
    drv_->run();
    std::optional<Cqe> ac;
    for (const auto &l : drv_->log) {
        if (l.cqe.cid == a) {
            ac = l.cqe;
        }
    }
    ASSERT_TRUE(ac);
    EXPECT_EQ(ac->dw0 & 1, 0u);
    EXPECT_EQ(drain(0).at(aer), kAborted);
}

TEST_F(AbortTest, MoreThanAclPlusOneOutstandingAbortsExceedTheLimit)
{
    std::vector<uint16_t> cids;
    for (int i = 0; i < 6; i++) {
        cids.push_back(drv_->submit(0, abort_cmd(1, static_cast<uint16_t>(0x100 + i))));
    }
    drv_->run();
    const auto st = drain(0);
    for (int i = 0; i < 4; i++) {
        EXPECT_EQ(st.at(cids[i]), 0) << i;  // ID-CTRL ACL = 3
    }
    EXPECT_EQ(st.at(cids[4]), sc(1, NVME_SC_ABORT_LIMIT));
    EXPECT_EQ(st.at(cids[5]), sc(1, NVME_SC_ABORT_LIMIT));
    // Once posted, Aborts are no longer outstanding.
    EXPECT_EQ(Driver::status(drv_->call(0, abort_cmd(1, 0x200))), 0);
}

// An Abort repeated while its command waits in the SQ renews one mark: once
// the command is fetched (and aborted) no mark is left for the slot's next
// command, even one with the same CID (a mark per Abort grew without bound
// and aborted that later command).
TEST_F(AbortTest, RepeatedAbortsLeaveNoMarkBehind)
{
    Sqe flush{};
    flush.opcode = nvme_cmd_flush;
    flush.nsid = 1;
    const uint16_t w = drv_->submit(1, flush);  // slot 0
    const uint16_t a1 = drv_->submit(0, abort_cmd(1, w));
    const uint16_t a2 = drv_->submit(0, abort_cmd(1, w));
    drv_->run();
    const auto st = drain(0);
    EXPECT_EQ(st.at(a1), 0);
    EXPECT_EQ(st.at(a2), 0);
    EXPECT_EQ(drain(1).at(w), kAborted);
    for (int i = 1; i < 64; i++) {  // slots 1..63: the SQ wraps to slot 0
        drv_->submit(1, flush);
    }
    drv_->run();
    EXPECT_EQ(drain(1).size(), 63u);
    // Slot 0 again, with the aborted command's CID.
    flush.cid = w;
    host_.write(drv_->sq_base(1), flush);
    drv_->write32(0x1000 + 8, 1);
    drv_->run();
    const auto again = completion_of(1, w);
    ASSERT_TRUE(again);
    EXPECT_EQ(Driver::status(*again), 0);
}

// The SQ is searched a run of entries at a time, up to the ring's end:
// commands on both sides of the wrap are found.
TEST_F(AbortTest, CommandsOnBothSidesOfTheRingsEndAreFound)
{
    Sqe flush{};
    flush.opcode = nvme_cmd_flush;
    flush.nsid = 1;
    for (int i = 0; i < 62; i++) {  // head and tail at slot 62 of 64
        drv_->submit(1, flush);
    }
    drv_->run();
    EXPECT_EQ(drain(1).size(), 62u);
    uint16_t cids[4];
    for (uint16_t &c : cids) {  // slots 62, 63, 0, 1
        c = drv_->submit(1, flush);
    }
    const uint16_t first = drv_->submit(0, abort_cmd(1, cids[0]));
    const uint16_t last = drv_->submit(0, abort_cmd(1, cids[3]));
    drv_->run();
    const auto st = drain(0);
    EXPECT_EQ(st.at(first), 0);
    EXPECT_EQ(st.at(last), 0);
    const auto io = drain(1);
    EXPECT_EQ(io.at(cids[0]), kAborted);
    EXPECT_EQ(io.at(cids[1]), 0);
    EXPECT_EQ(io.at(cids[2]), 0);
    EXPECT_EQ(io.at(cids[3]), kAborted);
}
