// Fused Compare and Write (NVMe 2.0c 3.4.2): success, a failed compare,
// missing halves and fused bits on other commands.
#include <gtest/gtest.h>

#include <cstring>

#include "core_fixture.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr uint64_t kBuf = Driver::kDataBase;
constexpr uint64_t kNew = kBuf + 0x10000;
constexpr uint16_t kFailSt = sc(0, NVME_SC_FUSED_FAIL, false);
constexpr uint16_t kMissingSt = sc(0, NVME_SC_FUSED_MISSING);

Sqe fused(uint8_t opcode, unsigned fuse, uint64_t buf)
{
    Sqe s = make_rw(opcode, 8, 2, buf);
    s.flags = static_cast<uint8_t>(fuse);
    return s;
}

class FusedTest : public CoreFixture {
protected:
    void SetUp() override
    {
        CoreFixture::SetUp();
        ready_with_io_queue();
        fill(kBuf, 1024, 1);
        fill(kNew, 1024, 2);
        ASSERT_EQ(io_status(make_rw(nvme_cmd_write, 8, 2, kBuf)), 0);
    }
    // Submits the entries under one doorbell each, runs, returns statuses
    // in submission order.
    std::vector<uint16_t> run(uint16_t qid, std::initializer_list<Sqe> sqes)
    {
        std::vector<uint16_t> cids;
        for (const auto &s : sqes) {
            cids.push_back(drv_->submit(qid, s));
        }
        drv_->run();
        std::map<uint16_t, uint16_t> by_cid;
        while (auto c = drv_->reap(qid)) {
            by_cid[c->cid] = Driver::status(*c);
        }
        std::vector<uint16_t> out;
        for (uint16_t cid : cids) {
            out.push_back(by_cid.count(cid) ? by_cid[cid] : 0xffff);
        }
        return out;
    }
    bool media_holds(uint64_t buf)
    {
        return std::memcmp(backing_.data() + 8 * 512, host_.ram.data() + buf, 1024) == 0;
    }
};

}  // namespace

TEST_F(FusedTest, IdentifyControllerAdvertisesCompareAndWrite)
{
    ASSERT_EQ(admin_status(make_admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL)), 0);
    const auto id = host_.read<struct nvme_id_ctrl>(kBuf);
    EXPECT_EQ(id.fuses, NVME_CTRL_FUSES_COMPARE_AND_WRITE);
    EXPECT_EQ(id.acwu, 0xffff);
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write, 8, 2, kBuf)), 0);  // identify overwrote kBuf
}

TEST_F(FusedTest, WriteRunsWhenCompareMatches)
{
    const auto st = run(1, {fused(nvme_cmd_compare, 1, kBuf), fused(nvme_cmd_write, 2, kNew)});
    EXPECT_EQ(st, (std::vector<uint16_t>{0, 0}));
    EXPECT_TRUE(media_holds(kNew));
}

TEST_F(FusedTest, WriteIsAbortedWhenCompareFails)
{
    const auto st = run(1, {fused(nvme_cmd_compare, 1, kNew), fused(nvme_cmd_write, 2, kNew)});
    EXPECT_EQ(st, (std::vector<uint16_t>{sc(NVME_SCT_MEDIA, NVME_SC_COMPARE_FAILED), kFailSt}));
    EXPECT_TRUE(media_holds(kBuf));
    // A compare that fails its checks fails the write the same way.
    Sqe out_of_range = fused(nvme_cmd_compare, 1, kBuf);
    out_of_range.cdw10 = 1u << 30;
    EXPECT_EQ(run(1, {out_of_range, fused(nvme_cmd_write, 2, kNew)}),
              (std::vector<uint16_t>{sc(0, NVME_SC_LBA_RANGE), kFailSt}));
    EXPECT_TRUE(media_holds(kBuf));
}

TEST_F(FusedTest, LoneHalvesAreMissingFusedCommands)
{
    // A first half with nothing after it under the doorbell.
    EXPECT_EQ(run(1, {fused(nvme_cmd_compare, 1, kBuf)}), (std::vector<uint16_t>{kMissingSt}));
    // A second half on its own.
    EXPECT_EQ(run(1, {fused(nvme_cmd_write, 2, kNew)}), (std::vector<uint16_t>{kMissingSt}));
    // A first half followed by an ordinary command: that one runs normally.
    EXPECT_EQ(
        run(1, {fused(nvme_cmd_compare, 1, kBuf), make_rw(nvme_cmd_read, 0, 1, kBuf + 0x40000)}),
        (std::vector<uint16_t>{kMissingSt, 0}));
    // Two first halves: the first is missing its partner; the second too.
    EXPECT_EQ(run(1, {fused(nvme_cmd_compare, 1, kBuf), fused(nvme_cmd_compare, 1, kBuf)}),
              (std::vector<uint16_t>{kMissingSt, kMissingSt}));
    EXPECT_TRUE(media_holds(kBuf));
}

TEST_F(FusedTest, OtherOpcodesAndReservedFuseAreInvalidField)
{
    const uint16_t invalid = sc(0, NVME_SC_INVALID_FIELD);
    EXPECT_EQ(run(1, {fused(nvme_cmd_read, 1, kBuf), fused(nvme_cmd_write, 2, kNew)}),
              (std::vector<uint16_t>{invalid, kFailSt}));
    EXPECT_EQ(run(1, {fused(nvme_cmd_compare, 1, kBuf), fused(nvme_cmd_read, 2, kNew)}),
              (std::vector<uint16_t>{invalid, kFailSt}));
    EXPECT_EQ(run(1, {fused(nvme_cmd_write, 3, kNew)}), (std::vector<uint16_t>{invalid}));
    // No fused operations on the admin queue.
    Sqe a = make_admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL);
    Sqe b = a;
    a.flags = 1;
    b.flags = 2;
    EXPECT_EQ(run(0, {a, b}), (std::vector<uint16_t>{invalid, kFailSt}));
    EXPECT_TRUE(media_holds(kBuf));
}

TEST_F(FusedTest, PairWaitsForTwoCompletionSlots)
{
    // A 4-entry CQ (3 usable) holding 2 unreaped completions: the pair is
    // fetched only once the host frees a slot.
    ASSERT_EQ(drv_->create_io_queues(2, 4, 2), 0);
    drv_->auto_reap = false;
    drv_->submit(2, make_rw(nvme_cmd_flush, 0, 1, 0));
    drv_->submit(2, make_rw(nvme_cmd_flush, 0, 1, 0));
    drv_->run();
    drv_->submit(2, fused(nvme_cmd_compare, 1, kBuf));
    drv_->submit(2, fused(nvme_cmd_write, 2, kNew));
    drv_->run();
    EXPECT_TRUE(media_holds(kBuf));  // not fetched yet
    ASSERT_TRUE(drv_->reap(2));
    drv_->run();
    EXPECT_TRUE(media_holds(kNew));
}
