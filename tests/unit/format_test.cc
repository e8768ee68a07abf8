// Format NVM through the controller: LBA size changes both ways with the
// data erased and ID-NS updated, Secure Erase Settings, refused fields.
#include <gtest/gtest.h>

#include <algorithm>

#include "core_fixture.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr uint64_t kBuf = Driver::kDataBase;
constexpr uint64_t kCapacity = 8 << 20;

Sqe format(uint32_t cdw10, uint32_t nsid = 1)
{
    Sqe s = make_admin(nvme_admin_format_nvm, cdw10);
    s.prp1 = 0;
    s.nsid = nsid;
    return s;
}

class FormatTest : public CoreFixture {
protected:
    void SetUp() override
    {
        CoreFixture::SetUp();
        ready_with_io_queue();
    }
    struct nvme_id_ns id_ns()
    {
        Sqe s = make_admin(nvme_admin_identify, NVME_IDENTIFY_CNS_NS);
        s.nsid = 1;
        EXPECT_EQ(admin_status(s), 0);
        return host_.read<struct nvme_id_ns>(kBuf);
    }
    bool all_zero(uint64_t addr, uint64_t len)
    {
        const auto *p = host_.ram.data() + addr;
        return std::all_of(p, p + len, [](uint8_t b) { return b == 0; });
    }
    // Writes a pattern to blocks [slba, slba + nlb) (at most 8 KiB) and
    // checks it reads back.
    void write_pattern(uint64_t slba, uint32_t nlb, uint32_t lba_size)
    {
        ASSERT_LE(uint64_t{nlb} * lba_size, 8192u);
        fill(kBuf + 0x100000, uint64_t{nlb} * lba_size, 0x5a);
        ASSERT_EQ(io_status(make_rw(nvme_cmd_write, slba, nlb, kBuf + 0x100000, kBuf + 0x101000)),
                  0);
        ASSERT_EQ(io_status(make_rw(nvme_cmd_read, slba, nlb, kBuf + 0x200000, kBuf + 0x201000)),
                  0);
        ASSERT_EQ(std::memcmp(host_.ram.data() + kBuf + 0x100000,
                              host_.ram.data() + kBuf + 0x200000, uint64_t{nlb} * lba_size),
                  0);
    }
};

}  // namespace

TEST_F(FormatTest, IdentifyAdvertisesFormatAndTwoLbaFormats)
{
    ASSERT_EQ(admin_status(make_admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL)), 0);
    const auto id = host_.read<struct nvme_id_ctrl>(kBuf);
    EXPECT_TRUE(id.oacs & NVME_CTRL_OACS_FORMAT);
    EXPECT_EQ(id.fna, 0);
    const auto ns = id_ns();
    EXPECT_EQ(ns.nlbaf, 1);
    EXPECT_EQ(ns.lbaf[0].ds, 9);
    EXPECT_EQ(ns.lbaf[1].ds, 12);
    EXPECT_EQ(ns.lbaf[0].ms, 0);
    EXPECT_EQ(ns.lbaf[1].ms, 0);
}

TEST_F(FormatTest, To4096AndBackErasesDataAndChangesTheBlockCount)
{
    write_pattern(0, 8, 512);
    ASSERT_EQ(admin_status(format(1)), 0);
    auto ns = id_ns();
    EXPECT_EQ(ns.flbas, 1);
    EXPECT_EQ(ns.nsze, kCapacity / 4096);
    EXPECT_EQ(ns.ncap, kCapacity / 4096);
    // Block 0 is now 4 KiB and reads as zeros.
    std::memset(host_.ram.data() + kBuf, 0xff, 8192);
    ASSERT_EQ(io_status(make_rw(nvme_cmd_read, 0, 1, kBuf)), 0);
    EXPECT_TRUE(all_zero(kBuf, 4096));
    EXPECT_EQ(host_.ram[kBuf + 4096], 0xff);  // exactly one 4 KiB block moved
    EXPECT_EQ(io_status(make_rw(nvme_cmd_read, kCapacity / 4096, 1, kBuf)),
              sc(0, NVME_SC_LBA_RANGE));
    write_pattern(kCapacity / 4096 - 2, 2, 4096);

    ASSERT_EQ(admin_status(format(0)), 0);
    ns = id_ns();
    EXPECT_EQ(ns.flbas, 0);
    EXPECT_EQ(ns.nsze, kCapacity / 512);
    std::memset(host_.ram.data() + kBuf, 0xff, 8192);
    ASSERT_EQ(io_status(make_rw(nvme_cmd_read, kCapacity / 512 - 16, 16, kBuf, kBuf + 4096)), 0);
    EXPECT_TRUE(all_zero(kBuf, 8192));
    write_pattern(kCapacity / 512 - 1, 1, 512);
}

TEST_F(FormatTest, UserDataEraseAndUncorrectableMarksAreCleared)
{
    write_pattern(0, 8, 512);
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write_uncor, 20, 4, 0)), 0);
    ASSERT_EQ(admin_status(format(NVME_FORMAT_SES_USER_DATA_ERASE << 9)), 0);
    std::memset(host_.ram.data() + kBuf, 0xff, 8192);
    ASSERT_EQ(io_status(make_rw(nvme_cmd_read, 0, 16, kBuf, kBuf + 4096)), 0);
    EXPECT_TRUE(all_zero(kBuf, 8192));
    EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 20, 4, kBuf)), 0);
    EXPECT_EQ(id_ns().flbas, 0);
}

TEST_F(FormatTest, RefusedSettings)
{
    const uint16_t invalid_format = sc(1, NVME_SC_INVALID_FORMAT);
    const uint16_t invalid_field = sc(0, NVME_SC_INVALID_FIELD);
    write_pattern(0, 1, 512);
    EXPECT_EQ(admin_status(format(2)), invalid_format);         // no third format
    EXPECT_EQ(admin_status(format(1u << 12)), invalid_format);  // LBAF upper bits
    EXPECT_EQ(admin_status(format(1u << 4)), invalid_format);   // MSET
    EXPECT_EQ(admin_status(format(1u << 5)), invalid_format);   // PI type 1
    EXPECT_EQ(admin_status(format(1u << 8)), invalid_format);   // PIL
    EXPECT_EQ(admin_status(format(2u << 9)), invalid_field);    // crypto erase
    EXPECT_EQ(admin_status(format(3u << 9)), invalid_field);    // reserved SES
    EXPECT_EQ(admin_status(format(0, 2)), sc(0, NVME_SC_INVALID_NS));
    EXPECT_EQ(admin_status(format(0, 0)), sc(0, NVME_SC_INVALID_NS));
    // Nothing was formatted.
    ASSERT_EQ(io_status(make_rw(nvme_cmd_read, 0, 1, kBuf)), 0);
    EXPECT_EQ(std::memcmp(host_.ram.data() + kBuf, host_.ram.data() + kBuf + 0x100000, 512), 0);
    // The broadcast NSID formats the namespace (FNA bit 3 clear).
    EXPECT_EQ(admin_status(format(1, 0xffffffffu)), 0);
    EXPECT_EQ(id_ns().flbas, 1);
}

TEST_F(FormatTest, CommandEffectsLogReportsFormat)
{
    Sqe s = make_admin(nvme_admin_get_log_page, NVME_LOG_LID_CMD_EFFECTS | (1023u << 16));
    ASSERT_EQ(admin_status(s), 0);
    const auto log = host_.read<struct nvme_cmd_effects_log>(kBuf);
    EXPECT_EQ(log.acs[nvme_admin_format_nvm],
              NVME_CMD_EFFECTS_CSUPP | NVME_CMD_EFFECTS_LBCC | NVME_CMD_EFFECTS_NCC | (1u << 16));
}
