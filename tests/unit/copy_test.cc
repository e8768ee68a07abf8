// Copy (NVM Command Set 3.3.1) through the controller: ranges copied in
// order to consecutive destination LBAs, the size limits, range and
// descriptor-format errors, Write Uncorrectable marks, Identify fields.
#include <gtest/gtest.h>

#include <cstring>

#include "controller.h"
#include "core_fixture.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr uint64_t kRanges = Driver::kDataBase;  // the source range list
constexpr uint64_t kData = Driver::kDataBase + 0x10000;

struct Range {
    uint64_t slba;
    uint32_t nlb;  // 1-based here; the descriptor holds it 0's based
};

class CopyTest : public CoreFixture {
protected:
    void SetUp() override
    {
        CoreFixture::SetUp();
        ready_with_io_queue();
    }
    // A Copy of `ranges` to sdlba with descriptor format `format`; the
    // descriptors are written to guest memory at kRanges.
    uint16_t copy(uint64_t sdlba, const std::vector<Range> &ranges, uint32_t format = 0,
                  int nr_override = -1)
    {
        for (size_t i = 0; i < ranges.size(); i++) {
            struct nvme_copy_range d {};
            d.slba = htole64(ranges[i].slba);
            d.nlb = htole16(static_cast<uint16_t>(ranges[i].nlb - 1));
            std::memcpy(host_.ram.data() + kRanges + i * sizeof(d), &d, sizeof(d));
        }
        Sqe s{};
        s.opcode = nvme_cmd_copy;
        s.nsid = 1;
        s.prp1 = kRanges;
        s.prp2 = kRanges + 4096;
        s.cdw10 = static_cast<uint32_t>(sdlba);
        s.cdw11 = static_cast<uint32_t>(sdlba >> 32);
        const uint32_t nr = nr_override >= 0 ? static_cast<uint32_t>(nr_override)
                                             : static_cast<uint32_t>(ranges.size());
        s.cdw12 = ((nr - 1) & 0xff) | (format << 8);
        return io_status(s);
    }
    // Writes nlb blocks at slba with a pattern from seed.
    void write(uint64_t slba, uint32_t nlb, uint8_t seed)
    {
        fill(kData, uint64_t{nlb} * 512, seed);
        ASSERT_EQ(io_status(make_rw(nvme_cmd_write, slba, nlb, kData, kData + 4096)), 0);
    }
    const uint8_t *block(uint64_t lba) const { return backing_.data() + lba * 512; }
};

TEST_F(CopyTest, CopiesRangesInOrderToConsecutiveLbas)
{
    write(10, 4, 0x11);
    write(100, 2, 0x22);
    write(50, 1, 0x33);
    std::vector<uint8_t> before(backing_.begin(), backing_.end());
    ASSERT_EQ(copy(1000, {{10, 4}, {100, 2}, {50, 1}}), 0);
    EXPECT_EQ(std::memcmp(block(1000), before.data() + 10 * 512, 4 * 512), 0);
    EXPECT_EQ(std::memcmp(block(1004), before.data() + 100 * 512, 2 * 512), 0);
    EXPECT_EQ(std::memcmp(block(1006), before.data() + 50 * 512, 512), 0);
    // The sources are unchanged and nothing past the destination was written.
    EXPECT_EQ(std::memcmp(block(10), before.data() + 10 * 512, 4 * 512), 0);
    EXPECT_EQ(std::memcmp(block(1007), before.data() + 1007 * 512, 512), 0);
    // Read back through the host as well.
    ASSERT_EQ(io_status(make_rw(nvme_cmd_read, 1004, 2, kData, kData + 4096)), 0);
    EXPECT_EQ(std::memcmp(host_.ram.data() + kData, before.data() + 100 * 512, 1024), 0);
}

TEST_F(CopyTest, SizeLimitsGiveCommandSizeLimitExceeded)
{
    const uint16_t limit = sc(NVME_SCT_CMD_SPECIFIC, NVME_SC_CMD_SIZE_LIMIT_EXCEEDED);
    // 129 ranges: one more than MSRC + 1.
    std::vector<Range> many(129, Range{0, 1});
    EXPECT_EQ(copy(5000, many), limit);
    many.resize(128);
    EXPECT_EQ(copy(5000, many), 0);
    // One range longer than MSSRL.
    EXPECT_EQ(copy(5000, {{0, NvmCommandSet::kCopyMaxRangeLbas + 1}}), limit);
    EXPECT_EQ(copy(5000, {{0, NvmCommandSet::kCopyMaxRangeLbas}}), 0);
    // Ranges that together exceed MCL.
    std::vector<Range> big(5, Range{0, NvmCommandSet::kCopyMaxRangeLbas});
    EXPECT_EQ(copy(0, big), limit);
}

TEST_F(CopyTest, RangeAndFormatErrorsLeaveTheDestinationUntouched)
{
    const uint64_t nlbas = (8 << 20) / 512;
    write(20, 2, 0x44);
    write(3000, 2, 0x55);
    std::vector<uint8_t> before(backing_.begin(), backing_.end());
    const uint16_t out_of_range = sc(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE);
    // A source range past the end, after a good one: nothing is copied.
    EXPECT_EQ(copy(3000, {{20, 2}, {nlbas - 1, 2}}), out_of_range);
    // The destination past the end.
    EXPECT_EQ(copy(nlbas - 1, {{20, 2}}), out_of_range);
    // Descriptor formats 1h-3h are not offered.
    EXPECT_EQ(copy(3000, {{20, 2}}, 1), sc(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD));
    EXPECT_EQ(std::memcmp(backing_.data(), before.data(), backing_.size()), 0);
    // An inactive NSID.
    Sqe s{};
    s.opcode = nvme_cmd_copy;
    s.nsid = 2;
    s.prp1 = kRanges;
    EXPECT_EQ(io_status(s), sc(NVME_SCT_GENERIC, NVME_SC_INVALID_NS));
}

TEST_F(CopyTest, UncorrectableSourceFailsAndACopyClearsDestinationMarks)
{
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write_uncor, 30, 2, 0)), 0);
    EXPECT_EQ(copy(600, {{29, 2}}), sc(NVME_SCT_MEDIA, NVME_SC_READ_ERROR));
    // A copy over marked blocks rewrites them: they read again.
    write(40, 2, 0x66);
    ASSERT_EQ(copy(30, {{40, 2}}), 0);
    ASSERT_EQ(io_status(make_rw(nvme_cmd_read, 30, 2, kData, kData + 4096)), 0);
    EXPECT_EQ(std::memcmp(block(30), block(40), 1024), 0);
}

TEST_F(CopyTest, IdentifyAndEffectsAdvertiseCopy)
{
    Sqe s = make_admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL);
    ASSERT_EQ(admin_status(s), 0);
    const auto ctrl = host_.read<struct nvme_id_ctrl>(Driver::kDataBase);
    EXPECT_TRUE(le16toh(ctrl.oncs) & NVME_CTRL_ONCS_COPY);
    EXPECT_EQ(le16toh(ctrl.ocfs), 1);
    s = make_admin(nvme_admin_identify, NVME_IDENTIFY_CNS_NS);
    s.nsid = 1;
    ASSERT_EQ(admin_status(s), 0);
    const auto ns = host_.read<struct nvme_id_ns>(Driver::kDataBase);
    EXPECT_EQ(le16toh(ns.mssrl), NvmCommandSet::kCopyMaxRangeLbas);
    EXPECT_EQ(le32toh(ns.mcl), NvmCommandSet::kCopyMaxLbas);
    EXPECT_EQ(ns.msrc, NvmCommandSet::kCopyMaxRanges - 1);
    s = make_admin(
        nvme_admin_get_log_page,
        NVME_LOG_LID_CMD_EFFECTS | ((sizeof(struct nvme_cmd_effects_log) / 4 - 1) << 16));
    ASSERT_EQ(admin_status(s), 0);
    const auto effects = host_.read<struct nvme_cmd_effects_log>(Driver::kDataBase);
    EXPECT_EQ(le32toh(effects.iocs[nvme_cmd_copy]), NVME_CMD_EFFECTS_CSUPP | NVME_CMD_EFFECTS_LBCC);
}

}  // namespace
