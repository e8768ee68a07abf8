// ssd=zns through the controller and the fake host: identify, CC.CSS
// handling, the zone rules on Write, Zone Append from concurrent queues,
// zone reports, management timing, fault injection with its log page and
// event, and zone state that survives a restart over the same backing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "../../ftl/zone_state_machine.h"
#include "config_fixture.h"
#include "core_fixture.h"
#include "drive_state.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint32_t kZoneLbas = 2048;  // 1 MiB zones of 512 B LBAs
constexpr uint32_t kCssAll = NVME_CC_CSS_CSI;

constexpr uint16_t zns_sc(uint16_t code)
{
    return sc(NVME_SCT_CMD_SPECIFIC, code);
}

// 8 MiB of 1 MiB zones striped over 2 dies (2 channels x 1 LUN, 16 KiB
// pages and programs), 2 open / 3 active zones, tBERS 1 ms, fw write 5600 ns.
class ZnsControllerTest : public CoreFixture {
protected:
    ZnsControllerTest() : CoreFixture(64 << 20) {}
    void SetUp() override { make(); }

    // memdev: the backing is a memdev of 8 MiB + 12 KiB (metadata at its end).
    std::string create(std::map<std::string, int64_t> extra = {}, bool keep_backing = false,
                       bool memdev = false)
    {
        std::map<std::string, int64_t> p = {{"channels", 2},
                                            {"luns-per-channel", 1},
                                            {"flash-page-size", 16384},
                                            {"program-unit-size", 16384},
                                            {"zone-size", 1 << 20},
                                            {"zone-dies", 2},
                                            {"max-open-zones", 2},
                                            {"max-active-zones", 3},
                                            {"nand-erase-ns", 1000000},
                                            {"zone-extension-size", 64},
                                            {"zone-append-size-limit", 8192}};
        for (auto &[k, v] : extra) {
            p[k] = v;
        }
        // A memdev holds the drive state area and the zone metadata too.
        cfg_ = std::make_unique<Cfg>("zns",
                                     memdev ? 8 * kMiB + 12288 + drive_state_bytes() : 8 * kMiB);
        for (auto &[k, v] : p) {
            cfg_->set(k, v);
        }
        cfg_->c.serial = "SN-ZNS-1";
        cfg_->c.capacity_from_memdev = memdev;
        cfg_->c.msix_vectors = 5;
        return start(cfg_->c, keep_backing);
    }
    void make(std::map<std::string, int64_t> extra = {})
    {
        ASSERT_EQ(create(std::move(extra)), "");
    }
    // With a memdev: the zone records, after the data and the drive state area.
    ftl::ZoneRecord *records()
    {
        return reinterpret_cast<ftl::ZoneRecord *>(backing_.data() + 8 * kMiB +
                                                   drive_state_bytes());
    }
    void ready(uint32_t css = kCssAll)
    {
        ASSERT_EQ(drv_->enable(32, css) & 1, 1u);
        ASSERT_EQ(drv_->create_io_queues(1, 64, 1), 0);
        ASSERT_EQ(drv_->create_io_queues(2, 64, 2), 0);
    }

    Sqe zone_send(uint64_t slba, uint8_t action, bool all = false, bool zrwa = false)
    {
        Sqe s = make_rw(nvme_zns_cmd_mgmt_send, slba, 1, Driver::kDataBase);
        s.cdw12 = 0;
        s.cdw13 = action | (all ? 1u << 8 : 0) | (zrwa ? 1u << 9 : 0);
        return s;
    }
    uint16_t send(uint64_t slba, uint8_t action, bool all = false)
    {
        return Driver::status(drv_->call(1, zone_send(slba, action, all)));
    }
    // Report Zones into kDataBase; returns the status.
    uint16_t report(uint64_t slba, uint8_t filter, bool partial, uint32_t bytes,
                    bool extended = false)
    {
        Sqe s = make_rw(nvme_zns_cmd_mgmt_recv, slba, 1, Driver::kDataBase);
        s.cdw12 = bytes / 4 - 1;
        s.cdw13 = (extended ? 1u : 0u) | (uint32_t{filter} << 8) | (partial ? 1u << 16 : 0);
        std::memset(host_.ram.data() + Driver::kDataBase, 0xa5, bytes);
        return Driver::status(drv_->call(1, s));
    }
    struct nvme_zns_desc desc(unsigned i, bool extended = false)
    {
        const uint64_t entry = 64 + (extended ? 64 : 0);
        return host_.read<struct nvme_zns_desc>(Driver::kDataBase + 64 + i * entry);
    }
    // A write of up to 16 LBAs (two pages: PRP1 and PRP2).
    uint16_t write(uint64_t slba, uint32_t nlb, uint8_t fill = 0x11)
    {
        EXPECT_LE(nlb, 16u);
        std::memset(host_.ram.data() + Driver::kDataBase, fill, nlb * 512);
        return Driver::status(
            drv_->call(1, make_rw(nvme_cmd_write, slba, nlb, Driver::kDataBase,
                                  nlb * 512 > 4096 ? Driver::kDataBase + 4096 : 0)));
    }
    uint8_t zone_state(uint32_t zone)
    {
        EXPECT_EQ(report(uint64_t{zone} * kZoneLbas, 0, true, 128), 0);
        return desc(0).zs >> 4;
    }

    std::unique_ptr<Cfg> cfg_;
};

TEST_F(ZnsControllerTest, IdentifyReportsTheZonedNamespace)
{
    const uint64_t cap =
        (uint64_t(drv_->reg32(NVME_REG_CAP + 4)) << 32) | drv_->reg32(NVME_REG_CAP);
    EXPECT_EQ((cap >> 37) & 0xff, 0x41u);  // CSS: NVM and I/O command sets
    ready();
    // Namespace identification descriptors carry CSI 2.
    ASSERT_EQ(Driver::status(drv_->call(0,
                                        [&] {
                                            Sqe s = admin(nvme_admin_identify,
                                                          NVME_IDENTIFY_CNS_NS_DESC_LIST);
                                            s.nsid = 1;
                                            return s;
                                        }())),
              0);
    bool found = false;
    for (uint64_t off = 0; off < 4096;) {
        const auto d = host_.read<struct nvme_ns_id_desc>(Driver::kDataBase + off);
        if (d.nidt == 0) {
            break;
        }
        if (d.nidt == NVME_NIDT_CSI) {
            EXPECT_EQ(host_.read<uint8_t>(Driver::kDataBase + off + 4), NVME_CSI_ZNS);
            found = true;
        }
        off += 4 + d.nidl;
    }
    EXPECT_TRUE(found);
    // CNS 05h / CSI 2: zone size per LBA format, limits 0's based, no ZOC.
    Sqe id = admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CSI_NS, uint32_t{NVME_CSI_ZNS} << 24);
    id.nsid = 1;
    ASSERT_EQ(Driver::status(drv_->call(0, id)), 0);
    const auto zns = host_.read<struct nvme_zns_id_ns>(Driver::kDataBase);
    EXPECT_EQ(zns.zoc, 0);
    EXPECT_EQ(zns.ozcs, 1);  // RAZB, no ZRWA
    EXPECT_EQ(zns.mar, 2u);
    EXPECT_EQ(zns.mor, 1u);
    EXPECT_EQ(zns.lbafe[0].zsze, kZoneLbas);
    EXPECT_EQ(zns.lbafe[1].zsze, 256u);
    EXPECT_EQ(zns.lbafe[0].zdes, 1);  // 64 bytes
    // CNS 06h / CSI 2: ZASL 8 KiB = 4 KiB x 2^1.
    ASSERT_EQ(Driver::status(drv_->call(0, admin(nvme_admin_identify, NVME_IDENTIFY_CNS_CSI_CTRL,
                                                 uint32_t{NVME_CSI_ZNS} << 24))),
              0);
    EXPECT_EQ(host_.read<uint8_t>(Driver::kDataBase), 1);
    // CNS 1Ch: combination 0 offers NVM and Zoned.
    ASSERT_EQ(Driver::status(drv_->call(
                  0, admin(nvme_admin_identify, NVME_IDENTIFY_CNS_COMMAND_SET_STRUCTURE))),
              0);
    EXPECT_EQ(host_.read<uint64_t>(Driver::kDataBase), 0x5u);
    // The NVM Identify Namespace: 8 zones, no deallocation.
    Sqe ns = admin(nvme_admin_identify, NVME_IDENTIFY_CNS_NS);
    ns.nsid = 1;
    ASSERT_EQ(Driver::status(drv_->call(0, ns)), 0);
    EXPECT_EQ(host_.read<struct nvme_id_ns>(Driver::kDataBase).nsze, 8u * kZoneLbas);
    EXPECT_EQ(host_.read<struct nvme_id_ns>(Driver::kDataBase).dlfeat, 0);
    // The I/O Command Set Profile feature accepts combination 0 only.
    EXPECT_EQ(Driver::status(
                  drv_->call(0, admin(nvme_admin_set_features, NVME_FEAT_FID_IOCS_PROFILE, 0))),
              0);
    EXPECT_EQ(Driver::status(
                  drv_->call(0, admin(nvme_admin_set_features, NVME_FEAT_FID_IOCS_PROFILE, 1))),
              sc(0, NVME_SC_IOCS_COMBINATION_REJECTED));
}

TEST_F(ZnsControllerTest, NvmOnlyCssKeepsZoneRulesButNotZoneCommands)
{
    ready(NVME_CC_CSS_NVM);
    EXPECT_EQ(send(0, NVME_ZNS_ZSA_OPEN), sc(0, NVME_SC_INVALID_OPCODE));
    EXPECT_EQ(write(8, 8), zns_sc(NVME_SC_ZNS_INVALID_WRITE));
    EXPECT_EQ(write(0, 8), 0);
}

TEST_F(ZnsControllerTest, AdminOnlyCssRejectsIo)
{
    ASSERT_EQ(drv_->enable(32, NVME_CC_CSS_ADMIN) & 1, 1u);
    ASSERT_EQ(drv_->create_io_queues(1, 64, 1), 0);
    EXPECT_EQ(write(0, 8), sc(0, NVME_SC_INVALID_OPCODE));
}

TEST_F(ZnsControllerTest, WritesFollowTheWritePointerAndReportsShowIt)
{
    ready();
    EXPECT_EQ(write(0, 8), 0);
    EXPECT_EQ(write(0, 8), zns_sc(NVME_SC_ZNS_INVALID_WRITE));
    EXPECT_EQ(write(8, 16), 0);
    EXPECT_EQ(write(kZoneLbas - 8, 16), zns_sc(NVME_SC_ZNS_INVALID_WRITE));
    ASSERT_EQ(send(2 * kZoneLbas, NVME_ZNS_ZSA_OPEN), 0);
    ASSERT_EQ(send(3 * kZoneLbas, NVME_ZNS_ZSA_FINISH), 0);

    // Full report of 8 zones.
    ASSERT_EQ(report(0, NVME_ZNS_ZRAS_REPORT_ALL, false, 64 + 8 * 64), 0);
    EXPECT_EQ(host_.read<uint64_t>(Driver::kDataBase), 8u);
    EXPECT_EQ(desc(0).zs >> 4, NVME_ZNS_ZS_IMPL_OPEN);
    EXPECT_EQ(desc(0).wp, 24u);
    EXPECT_EQ(desc(0).zcap, kZoneLbas);
    EXPECT_EQ(desc(0).zt, NVME_ZONE_TYPE_SEQWRITE_REQ);
    EXPECT_EQ(desc(2).zs >> 4, NVME_ZNS_ZS_EXPL_OPEN);
    EXPECT_EQ(desc(2).zslba, 2u * kZoneLbas);
    EXPECT_EQ(desc(3).zs >> 4, NVME_ZNS_ZS_FULL);
    EXPECT_EQ(desc(4).zs >> 4, NVME_ZNS_ZS_EMPTY);
    EXPECT_EQ(desc(4).wp, 4u * kZoneLbas);
    // A buffer for two: without the partial bit the count covers every
    // matching zone, with it only those listed; the rest of the buffer is
    // untouched by descriptors.
    ASSERT_EQ(report(kZoneLbas, NVME_ZNS_ZRAS_REPORT_ALL, false, 64 + 2 * 64), 0);
    EXPECT_EQ(host_.read<uint64_t>(Driver::kDataBase), 7u);
    EXPECT_EQ(desc(0).zslba, kZoneLbas);
    ASSERT_EQ(report(kZoneLbas, NVME_ZNS_ZRAS_REPORT_ALL, true, 64 + 2 * 64), 0);
    EXPECT_EQ(host_.read<uint64_t>(Driver::kDataBase), 2u);
    // Filters.
    ASSERT_EQ(report(0, NVME_ZNS_ZRAS_REPORT_FULL, false, 4096), 0);
    EXPECT_EQ(host_.read<uint64_t>(Driver::kDataBase), 1u);
    EXPECT_EQ(desc(0).zslba, 3u * kZoneLbas);
    ASSERT_EQ(report(0, NVME_ZNS_ZRAS_REPORT_EMPTY, false, 4096), 0);
    EXPECT_EQ(host_.read<uint64_t>(Driver::kDataBase), 5u);
    ASSERT_EQ(report(0, NVME_ZNS_ZRAS_REPORT_EXPL_OPENED, false, 4096), 0);
    EXPECT_EQ(host_.read<uint64_t>(Driver::kDataBase), 1u);
    // Bad fields.
    EXPECT_EQ(report(0, 9, false, 4096), sc(0, NVME_SC_INVALID_FIELD));
    EXPECT_EQ(report(8 * kZoneLbas, 0, false, 4096), sc(0, NVME_SC_LBA_RANGE));
    EXPECT_EQ(send(5, NVME_ZNS_ZSA_OPEN), sc(0, NVME_SC_INVALID_FIELD));
    EXPECT_EQ(send(0, 0x7), sc(0, NVME_SC_INVALID_FIELD));
}

TEST_F(ZnsControllerTest, ZoneAppendsFromTwoQueuesGetDistinctLbasAndTheirData)
{
    ready();
    // 16 appends of 8 LBAs, alternating queues, all submitted before any
    // is processed: each gets its own LBA, the zone fills in order.
    std::map<std::pair<uint16_t, uint16_t>, uint8_t> fill;  // (qid, cid) -> byte
    for (int i = 0; i < 16; ++i) {
        const uint16_t qid = 1 + i % 2;
        const uint64_t buf = Driver::kDataBase + uint64_t(i) * 4096;
        std::memset(host_.ram.data() + buf, 0x40 + i, 4096);
        Sqe s = make_rw(nvme_zns_cmd_append, kZoneLbas, 8, buf);
        fill[{qid, drv_->submit(qid, s)}] = static_cast<uint8_t>(0x40 + i);
    }
    drv_->run();
    std::set<uint64_t> lbas;
    std::map<uint64_t, uint8_t> at;
    for (uint16_t qid : {1, 2}) {
        while (auto c = drv_->reap(qid)) {
            ASSERT_EQ(Driver::status(*c), 0);
            const uint64_t lba = c->dw0 | (uint64_t{c->dw1} << 32);
            EXPECT_TRUE(lbas.insert(lba).second);
            at[lba] = fill[{qid, c->cid}];
        }
    }
    ASSERT_EQ(lbas.size(), 16u);
    EXPECT_EQ(*lbas.begin(), kZoneLbas);
    EXPECT_EQ(*lbas.rbegin(), kZoneLbas + 15 * 8);
    for (auto [lba, byte] : at) {
        for (int b = 0; b < 4096; ++b) {
            ASSERT_EQ(backing_[lba * 512 + b], byte) << lba;
        }
    }
    // Not a zone start; over ZASL (8 KiB); then fill the zone and overflow.
    EXPECT_EQ(Driver::status(
                  drv_->call(1, make_rw(nvme_zns_cmd_append, kZoneLbas + 8, 8, Driver::kDataBase))),
              sc(0, NVME_SC_INVALID_FIELD));
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_zns_cmd_append, kZoneLbas, 24,
                                                   Driver::kDataBase, Driver::kDataBase + 4096))),
              sc(0, NVME_SC_INVALID_FIELD));
    for (uint64_t left = kZoneLbas - 128; left; left -= 16) {
        ASSERT_EQ(
            Driver::status(drv_->call(1, make_rw(nvme_zns_cmd_append, kZoneLbas, 16,
                                                 Driver::kDataBase, Driver::kDataBase + 4096))),
            0);
    }
    EXPECT_EQ(zone_state(1), NVME_ZNS_ZS_FULL);
    EXPECT_EQ(Driver::status(
                  drv_->call(1, make_rw(nvme_zns_cmd_append, kZoneLbas, 8, Driver::kDataBase))),
              zns_sc(NVME_SC_ZNS_FULL));
    NvmevCoreInfo info;
    nvmev_core_get_info(core_, &info);
    EXPECT_EQ(info.zone_appends, 16u + (kZoneLbas - 128) / 16);
    EXPECT_EQ(info.zones_in_state[4], 1u);  // full
}

TEST_F(ZnsControllerTest, OpenAndActiveLimitsWithImplicitClose)
{
    ready();
    ASSERT_EQ(write(0, 8), 0);              // zone 0 implicitly open
    ASSERT_EQ(write(kZoneLbas, 8), 0);      // zone 1 implicitly open
    ASSERT_EQ(write(2 * kZoneLbas, 8), 0);  // closes zone 0 (oldest implicit)
    EXPECT_EQ(zone_state(0), NVME_ZNS_ZS_CLOSED);
    EXPECT_EQ(write(3 * kZoneLbas, 8), zns_sc(NVME_SC_ZNS_TOO_MANY_ACTIVE));
    ASSERT_EQ(send(kZoneLbas, NVME_ZNS_ZSA_OPEN), 0);            // explicit
    ASSERT_EQ(send(2 * kZoneLbas, NVME_ZNS_ZSA_OPEN), 0);        // explicit
    EXPECT_EQ(write(8, 8), zns_sc(NVME_SC_ZNS_TOO_MANY_OPENS));  // closed zone 0
    ASSERT_EQ(send(0, NVME_ZNS_ZSA_FINISH), 0);
    ASSERT_EQ(send(0, NVME_ZNS_ZSA_RESET, true), 0);
    NvmevCoreInfo info;
    nvmev_core_get_info(core_, &info);
    EXPECT_EQ(info.zones_in_state[0], 8u);
    EXPECT_EQ(info.zone_resets, 3u);
    EXPECT_EQ(info.zone_finishes, 1u);
}

TEST_F(ZnsControllerTest, ResetZeroesDataAndTakesTheEraseTime)
{
    ready();
    for (uint64_t lba = 0; lba < 64; lba += 16) {
        ASSERT_EQ(write(lba, 16, 0x77), 0);  // 32 KiB: one 16 KiB unit per die
    }
    ASSERT_EQ(send(0, NVME_ZNS_ZSA_FINISH), 0);
    host_.now_ns += 10'000'000;  // the programs are long done
    drv_->log.clear();
    const int64_t t0 = host_.now_ns;
    ASSERT_EQ(send(0, NVME_ZNS_ZSA_RESET), 0);
    ASSERT_EQ(drv_->log.size(), 1u);
    // Both dies erase their block in parallel once their programs are done
    // (long done by now): fw 5600 ns, then tBERS 1 ms.
    EXPECT_EQ(drv_->log[0].posted_at_ns - t0, 5600 + 1000000);
    for (int b = 0; b < 64 * 512; ++b) {
        ASSERT_EQ(backing_[b], 0) << b;
    }
    EXPECT_EQ(zone_state(0), NVME_ZNS_ZS_EMPTY);
    // A reset of an empty zone erases nothing: firmware time only.
    drv_->log.clear();
    const int64_t t1 = host_.now_ns;
    ASSERT_EQ(send(0, NVME_ZNS_ZSA_RESET), 0);
    EXPECT_EQ(drv_->log[0].posted_at_ns - t1, 5600);
}

// A QEMU killed during a Zone Reset must not leave an empty zone that still
// holds its old data below the capacity: the record is marked
// erase_pending before it says empty (the zone_state event comes just
// before the state is stored), and the mark is cleared once the data is
// zeroed.
TEST_F(ZnsControllerTest, AResetMarksItsZoneUntilTheDataIsZeroed)
{
    ASSERT_EQ(create({}, false, true), "");  // memdev: the records follow the data
    ready();
    const auto *rec = records();
    ASSERT_EQ(write(0, 16, 0x77), 0);
    ASSERT_EQ(write(kZoneLbas, 16, 0x78), 0);
    std::vector<uint64_t> marked;
    host_.on_trace = [&](const NvmevTraceEvent &ev) {
        if (ev.id == NVMEV_TRACE_ZONE_STATE && ev.u.zone.to == NVME_ZNS_ZS_EMPTY &&
            rec[ev.u.zone.zone].erase_pending == 1) {
            marked.push_back(ev.u.zone.zone);
        }
    };
    ASSERT_EQ(send(0, NVME_ZNS_ZSA_RESET, true), 0);  // Select All: zones 0 and 1
    host_.on_trace = nullptr;
    EXPECT_EQ(marked, (std::vector<uint64_t>{0, 1}));
    EXPECT_EQ(rec[0].erase_pending, 0);
    EXPECT_EQ(rec[1].erase_pending, 0);
    EXPECT_TRUE(std::all_of(backing_.begin(), backing_.begin() + 2 * kZoneLbas * 512,
                            [](uint8_t b) { return b == 0; }));
}

// The reset cut by a kill after its zone became empty, before the data was
// zeroed: the next start finishes the erase (before the mark, the zone came
// back empty with its old data readable beyond the write pointer).
TEST_F(ZnsControllerTest, AResetCutByAKillFinishesItsEraseOnTheNextStart)
{
    ASSERT_EQ(create({}, false, true), "");
    ready();
    ASSERT_EQ(write(0, 16, 0x77), 0);
    ASSERT_EQ(write(kZoneLbas, 16, 0x78), 0);
    auto *rec = records();
    rec[0].erase_pending = 1;  // as do_reset() stores it, then Empty
    rec[0].state = static_cast<uint8_t>(ftl::ZoneState::Empty);
    rec[1].erase_pending = 1;               // killed before the state changed: no reset
    ASSERT_EQ(create({}, true, true), "");  // a restart on the same backing
    ready();
    rec = records();
    EXPECT_EQ(zone_state(0), NVME_ZNS_ZS_EMPTY);
    EXPECT_EQ(rec[0].wp, 0u);
    EXPECT_EQ(rec[0].erase_pending, 0);
    EXPECT_TRUE(std::all_of(backing_.begin(), backing_.begin() + kZoneLbas * 512,
                            [](uint8_t b) { return b == 0; }));
    EXPECT_EQ(zone_state(1), NVME_ZNS_ZS_IMPL_OPEN);
    EXPECT_EQ(rec[1].wp, kZoneLbas + 16u);
    EXPECT_EQ(rec[1].erase_pending, 0);
    EXPECT_EQ(backing_[kZoneLbas * 512], 0x78);
    EXPECT_EQ(write(0, 8, 0x79), 0);  // the zone takes writes at its start again
}

// The data of a zoned Write is in the backing store before the zone record's
// write pointer moves over it, so a kill never leaves the persisted write
// pointer past data that was not written: at the moment the write's data is
// read from guest memory the record still holds the old write pointer.
TEST_F(ZnsControllerTest, WriteDataLandsBeforeThePersistedWritePointerMoves)
{
    ASSERT_EQ(create({}, false, true), "");  // memdev: the records follow the data
    ready();
    ASSERT_EQ(write(0, 8, 0x31), 0);
    const auto *rec = records();
    ASSERT_EQ(rec[0].wp, 8u);
    std::vector<uint64_t> wp_at_copy;
    std::vector<int> marked_at_copy;
    host_.on_dma = [&](uint64_t addr, uint64_t, bool to_guest) {
        if (!to_guest && addr == Driver::kDataBase) {
            wp_at_copy.push_back(rec[0].wp);
            marked_at_copy.push_back(rec[0].write_pending);
        }
    };
    ASSERT_EQ(write(8, 8, 0x32), 0);
    Sqe append = make_rw(nvme_zns_cmd_append, 0, 8, Driver::kDataBase);
    ASSERT_EQ(Driver::status(drv_->call(1, append)), 0);
    host_.on_dma = nullptr;
    EXPECT_EQ(wp_at_copy, (std::vector<uint64_t>{8, 16}));
    EXPECT_EQ(marked_at_copy, (std::vector<int>{1, 1}));
    EXPECT_EQ(rec[0].wp, 24u);
    EXPECT_EQ(rec[0].write_pending, 0);
}

// A write cut by a kill in the middle of its copy leaves part of its data
// beyond the write pointer, which never moved; the zone is marked
// write_pending, and the next start zeroes what lies beyond the write
// pointer (before the mark, those bytes read back there until rewritten).
TEST_F(ZnsControllerTest, AWriteCutByAKillLeavesZerosBeyondTheWritePointer)
{
    ASSERT_EQ(create({}, false, true), "");
    ready();
    ASSERT_EQ(write(0, 8, 0x41), 0);
    auto *rec = records();
    rec[0].write_pending = 1;                            // as move_write_data() stores it
    std::memset(backing_.data() + 8 * 512, 0x42, 5000);  // then part of the data
    ASSERT_EQ(create({}, true, true), "");               // a restart on the same backing
    ready();
    rec = records();
    EXPECT_EQ(rec[0].wp, 8u);
    EXPECT_EQ(rec[0].write_pending, 0);
    EXPECT_TRUE(std::all_of(backing_.begin(), backing_.begin() + 8 * 512,
                            [](uint8_t b) { return b == 0x41; }));
    EXPECT_TRUE(std::all_of(backing_.begin() + 8 * 512, backing_.begin() + kZoneLbas * 512,
                            [](uint8_t b) { return b == 0; }));
}

TEST_F(ZnsControllerTest, FaultInjectionReportsChangedZonesAndAnEvent)
{
    ready();
    ASSERT_EQ(Driver::status(drv_->call(
                  0, admin(nvme_admin_set_features, NVME_FEAT_FID_ASYNC_EVENT, NVME_CTRL_OAES_ZD))),
              0);
    const uint16_t aer = drv_->submit(0, admin(nvme_admin_async_event));
    drv_->run();
    ASSERT_EQ(write(kZoneLbas, 8), 0);
    char *err = nullptr;
    ASSERT_EQ(nvmev_core_zone_set_state(core_, 1, "read-only", &err), 0);
    drv_->run();
    auto ev = drv_->reap(0);
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->cid, aer);
    EXPECT_EQ(ev->dw0, 2u | (0xefu << 8) | (0xbfu << 16));
    EXPECT_EQ(write(kZoneLbas + 8, 8), zns_sc(NVME_SC_ZNS_READ_ONLY));
    EXPECT_EQ(
        Driver::status(drv_->call(1, make_rw(nvme_cmd_read, kZoneLbas, 8, Driver::kDataBase))), 0);
    // The notice type stays masked until the log is read: a second change
    // queues nothing new for a second AER.
    drv_->submit(0, admin(nvme_admin_async_event));
    ASSERT_EQ(nvmev_core_zone_set_state(core_, 1, "offline", &err), 0);
    drv_->run();
    EXPECT_FALSE(drv_->reap(0));
    EXPECT_EQ(
        Driver::status(drv_->call(1, make_rw(nvme_cmd_read, kZoneLbas, 8, Driver::kDataBase))),
        zns_sc(NVME_SC_ZNS_OFFLINE));
    // The Changed Zone List names zone 1 once; reading it consumes it.
    Sqe log = admin(nvme_admin_get_log_page, NVME_LOG_LID_ZNS_CHANGED_ZONES | (1023u << 16));
    log.nsid = 1;
    log.cdw14 = uint32_t{NVME_CSI_ZNS} << 24;
    ASSERT_EQ(Driver::status(drv_->call(0, log)), 0);
    EXPECT_EQ(host_.read<uint16_t>(Driver::kDataBase), 1);
    EXPECT_EQ(host_.read<uint64_t>(Driver::kDataBase + 8), kZoneLbas);
    ASSERT_EQ(Driver::status(drv_->call(0, log)), 0);
    EXPECT_EQ(host_.read<uint16_t>(Driver::kDataBase), 0);
    // Reading the log consumed the queued notice: the AER stays pending
    // until the next change.
    drv_->run();
    EXPECT_FALSE(drv_->reap(0));
    // Bad injections name what is wrong.
    EXPECT_EQ(nvmev_core_zone_set_state(core_, 8, "offline", &err), -1);
    EXPECT_STREQ(err, "zone 8 does not exist (allowed: 0..7)");
    nvmev_core_free_error(err);
    EXPECT_EQ(nvmev_core_zone_set_state(core_, 0, "full", &err), -1);
    EXPECT_STREQ(err, "unknown zone state 'full' (allowed: read-only, offline, empty)");
    nvmev_core_free_error(err);
    EXPECT_EQ(nvmev_core_zone_set_state(core_, 0, "empty", &err), -1);
    EXPECT_STREQ(err, "zone 0 is not read-only or offline: only those can become empty");
    nvmev_core_free_error(err);
    ASSERT_EQ(nvmev_core_zone_set_state(core_, 1, "empty", &err), 0);
    drv_->run();
    auto again = drv_->reap(0);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->dw0, 2u | (0xefu << 8) | (0xbfu << 16));
    EXPECT_EQ(zone_state(1), NVME_ZNS_ZS_EMPTY);
}

// "empty" zeroes the zone's data: not while a Read copies that data out
// (without the lock). The injection is refused for a retry, changing
// nothing, and the Read returns its data whole.
TEST_F(ZnsControllerTest, EmptyingAZoneWaitsForAReadCopyingItsData)
{
    ready();
    ASSERT_EQ(write(kZoneLbas, 8, 0x77), 0);
    char *err = nullptr;
    ASSERT_EQ(nvmev_core_zone_set_state(core_, 1, "read-only", &err), 0);
    constexpr uint64_t kReadBuf = Driver::kDataBase + 0x10000;
    int during = 0;
    uint8_t media_during = 0;
    host_.on_dma = [&](uint64_t addr, uint64_t, bool write) {
        if (write && addr == kReadBuf && during == 0) {
            during = nvmev_core_zone_set_state(core_, 1, "empty", &err);
            media_during = backing_[kZoneLbas * 512 + 4095];
        }
    };
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_read, kZoneLbas, 8, kReadBuf))), 0);
    host_.on_dma = nullptr;
    EXPECT_EQ(during, NVMEV_CORE_RETRY);
    EXPECT_STREQ(err, "zone 1 is being read (a copy of its data is under way)");
    nvmev_core_free_error(err);
    EXPECT_EQ(media_during, 0x77);
    EXPECT_EQ(host_.read<uint8_t>(kReadBuf + 4095), 0x77);  // read out whole
    EXPECT_EQ(zone_state(1), NVME_ZNS_ZS_READ_ONLY);
    // The copy over, the same call succeeds.
    ASSERT_EQ(nvmev_core_zone_set_state(core_, 1, "empty", &err), 0);
    EXPECT_EQ(zone_state(1), NVME_ZNS_ZS_EMPTY);
    EXPECT_EQ(backing_[kZoneLbas * 512 + 4095], 0);
}

TEST_F(ZnsControllerTest, AnotherZoneSizeOnTheSameMemdevIsRefused)
{
    // A memdev of 8 MiB + 12 KiB beside the drive state area: 1 MiB zones
    // (8 records) or 512 KiB zones (16 records) both fit; the header sits in
    // the backend's last page.
    ASSERT_EQ(create({}, false, true), "");
    ready();
    ASSERT_EQ(write(0, 8), 0);
    EXPECT_EQ(create({{"zone-size", 512 * 1024}}, true, true),
              "property 'zone-size': the memdev backend holds a zoned namespace formatted with "
              "zone-size 1048576 (zones: 8), not 524288; start with the same properties and "
              "backend size, or a new backend");
    ASSERT_EQ(create({}, true, true), "");
    ready();
    EXPECT_EQ(zone_state(0), NVME_ZNS_ZS_IMPL_OPEN);
}

TEST_F(ZnsControllerTest, ZoneStateAndDataSurviveARestartOnTheSameBacking)
{
    ready();
    ASSERT_EQ(write(0, 16, 0x21), 0);                  // zone 0: implicitly open
    ASSERT_EQ(send(kZoneLbas, NVME_ZNS_ZSA_OPEN), 0);  // zone 1: explicitly open
    ASSERT_EQ(write(kZoneLbas, 8, 0x22), 0);
    ASSERT_EQ(send(3 * kZoneLbas, NVME_ZNS_ZSA_FINISH), 0);  // zone 3: full
    Sqe ext = zone_send(4 * kZoneLbas, NVME_ZNS_ZSA_SET_DESC_EXT);
    std::memset(host_.ram.data() + Driver::kDataBase, 0x5e, 64);
    ASSERT_EQ(Driver::status(drv_->call(1, ext)), 0);  // zone 4: closed, ZDEV
    ASSERT_EQ(report(0, 0, false, 64 + 8 * 128, true), 0);
    std::vector<uint8_t> before(host_.ram.begin() + Driver::kDataBase,
                                host_.ram.begin() + Driver::kDataBase + 64 + 8 * 128);
    EXPECT_EQ(desc(4, true).za, NVME_ZNS_ZA_ZDEV);
    EXPECT_EQ(host_.read<uint8_t>(Driver::kDataBase + 64 + 4 * 128 + 64), 0x5e);

    ASSERT_EQ(create({}, true), "");  // same backing: a restart
    ready();
    ASSERT_EQ(report(0, 0, false, 64 + 8 * 128, true), 0);
    std::vector<uint8_t> after(host_.ram.begin() + Driver::kDataBase,
                               host_.ram.begin() + Driver::kDataBase + 64 + 8 * 128);
    EXPECT_EQ(before, after);
    EXPECT_EQ(backing_[0], 0x21);
    EXPECT_EQ(backing_[kZoneLbas * 512], 0x22);
    EXPECT_EQ(write(16, 8), 0);  // zone 0 continues at its write pointer
    NvmevCoreInfo info;
    nvmev_core_get_info(core_, &info);
    EXPECT_EQ(info.zones_in_state[1], 1u);
    EXPECT_EQ(info.zones_in_state[2], 1u);
    EXPECT_EQ(info.zones_in_state[3], 1u);
    EXPECT_EQ(info.zones_in_state[4], 1u);

    // Another zone format over the same backing is refused by name.
    EXPECT_EQ(
        create({{"zone-extension-size", 128}}, true)
            .rfind("property 'zone-extension-size': the memdev backend holds a zoned namespace "
                   "formatted with zone-extension-size 64",
                   0),
        0u);
}

}  // namespace

// Vendor opcode 66h (vendor_fused_read_write.cc) under the zone rules: its
// write half must land at the write pointer, its read half on a readable zone.
TEST_F(ZnsControllerTest, FusedReadWriteFollowsTheZoneRules)
{
    ready();
    const auto fused = [](uint64_t wslba, uint32_t wnlb, uint64_t rslba, uint32_t rnlb) {
        Sqe s = make_rw(0x66, wslba, wnlb, Driver::kDataBase, Driver::kDataBase + 4096);
        s.cdw13 = static_cast<uint32_t>(rslba);
        s.cdw14 = static_cast<uint32_t>(rslba >> 32);
        s.cdw15 = rnlb - 1;
        return s;
    };
    std::memset(host_.ram.data() + Driver::kDataBase, 0x5c, 8192);
    // At the write pointer, reading back what it wrote.
    ASSERT_EQ(Driver::status(drv_->call(1, fused(0, 8, 0, 8))), 0);
    for (uint32_t i = 0; i < 4096; i++) {
        ASSERT_EQ(host_.ram[Driver::kDataBase + 4096 + i], 0x5c) << i;
    }
    EXPECT_EQ(zone_state(0), NVME_ZNS_ZS_IMPL_OPEN);
    ASSERT_EQ(report(0, NVME_ZNS_ZRAS_REPORT_ALL, true, 128), 0);
    EXPECT_EQ(desc(0).wp, 8u);
    // Not at the write pointer: Zone Invalid Write, nothing written.
    EXPECT_EQ(Driver::status(drv_->call(1, fused(100, 8, 0, 8))),
              zns_sc(NVME_SC_ZNS_INVALID_WRITE));
    EXPECT_EQ(backing_[100 * 512], 0);
    // A read half on an offline zone: Zone Is Offline, the write not done.
    char *err = nullptr;
    ASSERT_EQ(nvmev_core_zone_set_state(core_, 5, "offline", &err), 0);
    EXPECT_EQ(Driver::status(drv_->call(1, fused(8, 8, 5 * kZoneLbas, 8))),
              zns_sc(NVME_SC_ZNS_OFFLINE));
    ASSERT_EQ(report(0, NVME_ZNS_ZRAS_REPORT_ALL, true, 128), 0);
    EXPECT_EQ(desc(0).wp, 8u);
}

TEST_F(ZnsControllerTest, FormatResetsEveryZoneAndKeepsTheBlockSize)
{
    ready();
    ASSERT_EQ(write(0, 8), 0);
    ASSERT_EQ(send(3 * kZoneLbas, NVME_ZNS_ZSA_FINISH), 0);
    auto format = [&](uint32_t lbaf) {
        Sqe s = nvmev::test::make_admin(nvme_admin_format_nvm, lbaf);
        s.nsid = 1;
        return Driver::status(drv_->call(0, s));
    };
    // The zone geometry is fixed at creation: no change of block size.
    EXPECT_EQ(format(1), sc(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_FORMAT));
    ASSERT_EQ(report(0, NVME_ZNS_ZRAS_REPORT_ALL, false, 4096), 0);
    EXPECT_EQ(desc(0).wp, 8u);  // untouched
    EXPECT_EQ(desc(3).zs >> 4, NVME_ZNS_ZS_FULL);
    ASSERT_EQ(format(0), 0);
    ASSERT_EQ(report(0, NVME_ZNS_ZRAS_REPORT_EMPTY, false, 4096), 0);
    EXPECT_EQ(host_.read<uint64_t>(Driver::kDataBase), 8u);
    EXPECT_EQ(write(0, 8), 0);  // the write pointer is back at the zone start
}

// Copy on a zoned namespace: the destination follows the write rules (at
// the write pointer), the sources the read rules.
TEST_F(ZnsControllerTest, CopyWritesAtTheWritePointerOnly)
{
    ready();
    ASSERT_EQ(write(0, 8, 0x7e), 0);
    const auto copy = [&](uint64_t sdlba, uint64_t slba, uint32_t nlb) {
        struct nvme_copy_range d {};
        d.slba = htole64(slba);
        d.nlb = htole16(static_cast<uint16_t>(nlb - 1));
        std::memcpy(host_.ram.data() + Driver::kDataBase + 0x8000, &d, sizeof(d));
        Sqe s{};
        s.opcode = nvme_cmd_copy;
        s.nsid = 1;
        s.prp1 = Driver::kDataBase + 0x8000;
        s.cdw10 = static_cast<uint32_t>(sdlba);
        s.cdw11 = static_cast<uint32_t>(sdlba >> 32);
        return Driver::status(drv_->call(1, s));
    };
    // Into zone 1 at its start (its write pointer).
    ASSERT_EQ(copy(kZoneLbas, 0, 8), 0);
    EXPECT_EQ(std::memcmp(backing_.data() + kZoneLbas * 512, backing_.data(), 8 * 512), 0);
    ASSERT_EQ(report(kZoneLbas, NVME_ZNS_ZRAS_REPORT_ALL, true, 128), 0);
    EXPECT_EQ(desc(0).wp, kZoneLbas + 8u);
    // Not at the write pointer: Zone Invalid Write, nothing copied.
    EXPECT_EQ(copy(kZoneLbas + 100, 0, 8), zns_sc(NVME_SC_ZNS_INVALID_WRITE));
    EXPECT_EQ(backing_[(kZoneLbas + 100) * 512], 0);
    // A source in an offline zone: Zone Is Offline.
    char *err = nullptr;
    ASSERT_EQ(nvmev_core_zone_set_state(core_, 5, "offline", &err), 0);
    EXPECT_EQ(copy(kZoneLbas + 8, 5 * kZoneLbas, 8), zns_sc(NVME_SC_ZNS_OFFLINE));
    ASSERT_EQ(report(kZoneLbas, NVME_ZNS_ZRAS_REPORT_ALL, true, 128), 0);
    EXPECT_EQ(desc(0).wp, kZoneLbas + 8u);
}

// Supported Log Pages is per command set: the Changed Zone List appears
// for CSI 2 only.
TEST_F(ZnsControllerTest, SupportedLogPagesListsTheChangedZoneListForCsi2)
{
    ready();
    const auto supported = [&](uint8_t csi, bool &bf) {
        Sqe s = admin(nvme_admin_get_log_page, NVME_LOG_LID_SUPPORTED_LOG_PAGES | (255u << 16));
        s.cdw14 = uint32_t{csi} << 24;
        const uint16_t st = Driver::status(drv_->call(0, s));
        const auto log = host_.read<struct nvme_supported_log_pages>(Driver::kDataBase);
        bf = log.lid_support[NVME_LOG_LID_ZNS_CHANGED_ZONES] & 1;
        EXPECT_EQ(log.lid_support[NVME_LOG_LID_SMART] & 1, 1u);
        return st;
    };
    bool bf = true;
    ASSERT_EQ(supported(NVME_CSI_NVM, bf), 0);
    EXPECT_FALSE(bf);
    ASSERT_EQ(supported(NVME_CSI_ZNS, bf), 0);
    EXPECT_TRUE(bf);
}
