// Get/Set Features for every feature identifier (current, default, saved
// and supported capabilities; Save refused), Host Behavior Support, the
// features not offered; the Error Information and Supported Log Pages logs.
#include <gtest/gtest.h>

#include <cstring>

#include "core_fixture.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr uint64_t kBuf = Driver::kDataBase;
constexpr uint16_t kInvalidFieldSt = sc(0, NVME_SC_INVALID_FIELD);

class FeaturesTest : public CoreFixture {
protected:
    void SetUp() override
    {
        CoreFixture::SetUp();
        ready_with_io_queue();
    }
    Cqe get(uint8_t fid, uint8_t sel, uint32_t cdw11 = 0)
    {
        return drv_->call(0,
                          make_admin(nvme_admin_get_features, fid | (uint32_t{sel} << 8), cdw11));
    }
    uint16_t set(uint8_t fid, uint32_t value, bool save = false)
    {
        return admin_status(
            make_admin(nvme_admin_set_features, fid | (save ? 1u << 31 : 0), value));
    }
};

struct ValueFeature {
    uint8_t fid;
    uint32_t value;  // written with Set Features
    uint32_t dflt;   // default (and saved) value
    uint32_t caps;   // SEL 011b
};

// Features whose value is completion dword 0.
const ValueFeature kValueFeatures[] = {
    {NVME_FEAT_FID_ARBITRATION, 0x01020307, 0, 4},
    {NVME_FEAT_FID_POWER_MGMT, 2u << 5, 0, 4},  // PS 0, workload hint 2
    {NVME_FEAT_FID_TEMP_THRESH, 300, 343, 4},
    {NVME_FEAT_FID_ERR_RECOVERY, 0x10, 0, 6},  // namespace specific
    {NVME_FEAT_FID_VOLATILE_WC, 0, 1, 4},
    {NVME_FEAT_FID_IRQ_COALESCE, 0x0a05, 0, 4},
    {NVME_FEAT_FID_WRITE_ATOMIC, 1, 0, 4},
    {NVME_FEAT_FID_ASYNC_EVENT, 0x2, 0, 4},
};

}  // namespace

TEST_F(FeaturesTest, EveryValueFeatureSetGetDefaultSavedSupported)
{
    for (const auto &f : kValueFeatures) {
        SCOPED_TRACE(testing::Message() << "fid 0x" << std::hex << int(f.fid));
        ASSERT_EQ(set(f.fid, f.value), 0);
        Cqe c = get(f.fid, NVME_GET_FEATURES_SEL_CURRENT);
        EXPECT_EQ(Driver::status(c), 0);
        EXPECT_EQ(c.dw0, f.value);
        EXPECT_EQ(get(f.fid, NVME_GET_FEATURES_SEL_DEFAULT).dw0, f.dflt);
        EXPECT_EQ(get(f.fid, NVME_GET_FEATURES_SEL_SAVED).dw0, f.dflt);
        EXPECT_EQ(get(f.fid, NVME_GET_FEATURES_SEL_SUPPORTED).dw0, f.caps);
        EXPECT_EQ(set(f.fid, f.value, true), sc(1, NVME_SC_FEATURE_NOT_SAVEABLE));
        EXPECT_EQ(Driver::status(get(f.fid, 4)), kInvalidFieldSt);  // reserved SEL
    }
}

TEST_F(FeaturesTest, QueueVectorAndTimestampFeatures)
{
    // Number of Queues: granted at enable by the driver (3 = 4 pairs, 0's based).
    Cqe c = get(NVME_FEAT_FID_NUM_QUEUES, NVME_GET_FEATURES_SEL_DEFAULT);
    EXPECT_EQ(c.dw0, 0x00030003u);
    EXPECT_EQ(get(NVME_FEAT_FID_NUM_QUEUES, NVME_GET_FEATURES_SEL_SUPPORTED).dw0, 4u);
    // Interrupt Vector Configuration: per vector, CD bit 16.
    ASSERT_EQ(set(NVME_FEAT_FID_IRQ_CONFIG, 2 | (1u << 16)), 0);
    EXPECT_EQ(get(NVME_FEAT_FID_IRQ_CONFIG, 0, 2).dw0, 2u | (1u << 16));
    EXPECT_EQ(get(NVME_FEAT_FID_IRQ_CONFIG, NVME_GET_FEATURES_SEL_DEFAULT, 2).dw0, 2u);
    EXPECT_EQ(Driver::status(get(NVME_FEAT_FID_IRQ_CONFIG, 0, 5)), kInvalidFieldSt);
    // Timestamp: set, then read back at least the value set.
    const uint64_t ms = 1'700'000'000'000ull;
    host_.write<uint64_t>(kBuf, ms);
    ASSERT_EQ(set(NVME_FEAT_FID_TIMESTAMP, 0), 0);
    ASSERT_EQ(Driver::status(get(NVME_FEAT_FID_TIMESTAMP, 0)), 0);
    EXPECT_EQ(host_.read<uint64_t>(kBuf) & 0xffffffffffffull, ms);
    EXPECT_EQ(host_.ram[kBuf + 6], 1 << 1);  // origin: set by the host
    EXPECT_EQ(get(NVME_FEAT_FID_TIMESTAMP, NVME_GET_FEATURES_SEL_SUPPORTED).dw0, 4u);
}

TEST_F(FeaturesTest, PowerStateMustExist)
{
    EXPECT_EQ(set(NVME_FEAT_FID_POWER_MGMT, 1), kInvalidFieldSt);           // NPSS = 0
    EXPECT_EQ(set(NVME_FEAT_FID_ERR_RECOVERY, 1u << 16), kInvalidFieldSt);  // DULBE
}

TEST_F(FeaturesTest, HostBehaviorSupportIsStoredAndReturned)
{
    std::memset(host_.ram.data() + kBuf, 0xaa, 512);
    ASSERT_EQ(Driver::status(get(NVME_FEAT_FID_HOST_BEHAVIOR, 0)), 0);
    for (int i = 0; i < 512; i++) {
        ASSERT_EQ(host_.ram[kBuf + i], 0) << i;
    }
    std::memset(host_.ram.data() + kBuf, 0, 512);
    host_.ram[kBuf] = NVME_ENABLE_ACRE;
    ASSERT_EQ(set(NVME_FEAT_FID_HOST_BEHAVIOR, 0), 0);
    std::memset(host_.ram.data() + kBuf, 0xaa, 512);
    ASSERT_EQ(Driver::status(get(NVME_FEAT_FID_HOST_BEHAVIOR, 0)), 0);
    EXPECT_EQ(host_.ram[kBuf], 1);
    EXPECT_EQ(host_.ram[kBuf + 511], 0);
    ASSERT_EQ(Driver::status(get(NVME_FEAT_FID_HOST_BEHAVIOR, NVME_GET_FEATURES_SEL_DEFAULT)), 0);
    EXPECT_EQ(host_.ram[kBuf], 0);
    EXPECT_EQ(get(NVME_FEAT_FID_HOST_BEHAVIOR, NVME_GET_FEATURES_SEL_SUPPORTED).dw0, 4u);
    // Undefined values are refused and change nothing.
    std::memset(host_.ram.data() + kBuf, 0, 512);
    host_.ram[kBuf] = 2;
    EXPECT_EQ(set(NVME_FEAT_FID_HOST_BEHAVIOR, 0), kInvalidFieldSt);
    host_.ram[kBuf] = 0;
    host_.ram[kBuf + 3] = 1;
    EXPECT_EQ(set(NVME_FEAT_FID_HOST_BEHAVIOR, 0), kInvalidFieldSt);
    ASSERT_EQ(Driver::status(get(NVME_FEAT_FID_HOST_BEHAVIOR, 0)), 0);
    EXPECT_EQ(host_.ram[kBuf], 1);
    EXPECT_EQ(host_.ram[kBuf + 3], 0);
}

TEST_F(FeaturesTest, FeaturesNotOffered)
{
    const unsigned not_offered[] = {NVME_FEAT_FID_AUTO_PST,  NVME_FEAT_FID_HOST_MEM_BUF,
                                    NVME_FEAT_FID_LBA_RANGE, NVME_FEAT_FID_HCTM,
                                    NVME_FEAT_FID_SANITIZE,  0x55};
    for (const unsigned fid : not_offered) {
        EXPECT_EQ(Driver::status(get(static_cast<uint8_t>(fid), 0)), kInvalidFieldSt) << fid;
        EXPECT_EQ(set(static_cast<uint8_t>(fid), 0), kInvalidFieldSt) << fid;
    }
    // Keep Alive: readable (0: off), not settable (KAS = 0).
    Cqe c = get(NVME_FEAT_FID_KATO, 0);
    EXPECT_EQ(Driver::status(c), 0);
    EXPECT_EQ(c.dw0, 0u);
    EXPECT_EQ(get(NVME_FEAT_FID_KATO, NVME_GET_FEATURES_SEL_SUPPORTED).dw0, 0u);
    EXPECT_EQ(set(NVME_FEAT_FID_KATO, 1000), kInvalidFieldSt);
}

TEST_F(FeaturesTest, ErrorLogEntriesNameTheFieldAndLba)
{
    const uint64_t past_end = (8u << 20) / 512;
    ASSERT_EQ(io_status(make_rw(nvme_cmd_read, past_end, 1, kBuf)), sc(0, NVME_SC_LBA_RANGE));
    auto read_newest = [&]() {
        EXPECT_EQ(
            admin_status(make_admin(nvme_admin_get_log_page, NVME_LOG_LID_ERROR | (15u << 16))), 0);
        return host_.read<struct nvme_error_log_page>(kBuf);
    };
    auto e = read_newest();
    EXPECT_EQ(e.error_count, 1u);
    EXPECT_EQ(e.sqid, 1);
    EXPECT_EQ(e.lba, past_end);
    EXPECT_EQ(e.nsid, 1u);
    EXPECT_EQ(e.parm_error_location, 40);  // SLBA: CDW10, byte 40
    Sqe ns = make_rw(nvme_cmd_compare, 7, 1, kBuf);
    ns.nsid = 9;
    ASSERT_EQ(io_status(ns), sc(0, NVME_SC_INVALID_NS));
    e = read_newest();
    EXPECT_EQ(e.parm_error_location, 4);
    EXPECT_EQ(e.lba, 7u);
    EXPECT_EQ(e.nsid, 9u);
    Sqe psdt = make_rw(nvme_cmd_read, 0, 1, kBuf);
    psdt.flags = 3 << 6;
    ASSERT_EQ(io_status(psdt), kInvalidFieldSt);
    EXPECT_EQ(read_newest().parm_error_location, 1 | (6 << 8));  // byte 1, bit 6
    ASSERT_EQ(admin_status(make_admin(0xee)), sc(0, NVME_SC_INVALID_OPCODE));
    e = read_newest();
    EXPECT_EQ(e.parm_error_location, 0);
    EXPECT_EQ(e.error_count, 4u);
    // SMART counts every entry; ID-CTRL ELPE says 64 are kept.
    ASSERT_EQ(admin_status(make_admin(nvme_admin_get_log_page, NVME_LOG_LID_SMART | (127u << 16))),
              0);
    uint64_t entries = 0;
    std::memcpy(&entries, host_.read<struct nvme_smart_log>(kBuf).num_err_log_entries, 8);
    EXPECT_EQ(entries, 4u);
    ASSERT_EQ(admin_status(make_admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL)), 0);
    EXPECT_EQ(host_.read<struct nvme_id_ctrl>(kBuf).elpe, 63);
}

TEST_F(FeaturesTest, SupportedLogPagesListsExactlyTheLogsServed)
{
    // Per command set: this controller has no zoned namespace for CSI 2.
    Sqe zoned =
        make_admin(nvme_admin_get_log_page, NVME_LOG_LID_SUPPORTED_LOG_PAGES | (255u << 16));
    zoned.cdw14 = uint32_t{NVME_CSI_ZNS} << 24;
    EXPECT_EQ(admin_status(zoned), sc(0, NVME_SC_INVALID_FIELD));
    ASSERT_EQ(admin_status(make_admin(nvme_admin_get_log_page,
                                      NVME_LOG_LID_SUPPORTED_LOG_PAGES | (255u << 16))),
              0);
    const auto log = host_.read<struct nvme_supported_log_pages>(kBuf);
    for (unsigned lid = 0; lid < 256; lid++) {
        const bool served = lid <= 3 || lid == NVME_LOG_LID_CMD_EFFECTS;
        EXPECT_EQ(log.lid_support[lid], served ? 1u : 0u) << lid;
        if (!served) {
            EXPECT_EQ(admin_status(make_admin(nvme_admin_get_log_page, lid | (15u << 16))),
                      sc(1, NVME_SC_INVALID_LOG_PAGE))
                << lid;
        }
    }
}
