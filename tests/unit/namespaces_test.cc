// Several namespaces on one controller through the fake host: NSID 1 of
// ssd=nvm (512 B LBAs), NSID 2 of ssd=zns (1 MiB zones) and NSID 3 of
// ssd=nvm with 4 KiB LBAs, each in its own backing store. Identify lists,
// I/O routed to the right namespace, Namespace Attachment with its notice
// and Changed Namespace List, and Namespace Management.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config_fixture.h"
#include "core_fixture.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint32_t kZoneLbas = 2048;  // 1 MiB zones of 512 B LBAs
constexpr uint64_t kBuf = Driver::kDataBase;
constexpr uint64_t kBuf2 = Driver::kDataBase + 0x100000;

constexpr uint16_t generic(uint16_t code)
{
    return sc(NVME_SCT_GENERIC, code);
}
constexpr uint16_t specific(uint16_t code)
{
    return sc(NVME_SCT_CMD_SPECIFIC, code);
}

NvmevConfig base_config(const char *ssd)
{
    NvmevConfig c{};
    c.ssd = ssd;
    c.serial = "SN-MULTI-1";
    c.lba_size = c.mdts = c.max_ioqpairs = -1;
    c.read_latency_ns = c.write_latency_ns = -1;
    c.read_bandwidth_mbps = c.write_bandwidth_mbps = -1;
    c.msix_vectors = 4;
    return c;
}

class NamespacesTest : public CoreFixture {
protected:
    NamespacesTest() : CoreFixture(32 << 20) {}

    void SetUp() override
    {
        NvmevConfig c1 = base_config("nvm");
        c1.capacity_bytes = 8 * kMiB;
        ASSERT_EQ(start(c1), "");

        zcfg_.set("channels", 2).set("luns-per-channel", 1).set("flash-page-size", 16384);
        zcfg_.set("program-unit-size", 16384).set("zone-size", 1 << 20).set("zone-dies", 2);
        NvmevConfig &c2 = zcfg_.c;
        c2.serial = "SN-MULTI-1";
        c2.msix_vectors = 4;
        NvmevLayout layout{};
        char *err = nullptr;
        ASSERT_EQ(nvmev_core_layout(&c2, &layout, &err), 0) << err;
        ns2_.assign(layout.data_bytes + layout.metadata_bytes, 0);
        ASSERT_EQ(nvmev_core_add_namespace(core_, 2, &c2, ns2_.data(), 1, &err), 0) << err;

        NvmevConfig c3 = base_config("nvm");
        c3.capacity_bytes = 4 * kMiB;
        c3.lba_size = 4096;
        ns3_.assign(4 * kMiB, 0);
        ASSERT_EQ(nvmev_core_add_namespace(core_, 3, &c3, ns3_.data(), 1, &err), 0) << err;

        ready_with_io_queue(64, NVME_CC_CSS_CSI);
    }

    uint16_t identify(uint8_t cns, uint32_t nsid, uint8_t csi = 0, uint16_t cntid = 0)
    {
        std::memset(host_.ram.data() + kBuf, 0xa5, 4096);
        return admin_status(
            admin(nvme_admin_identify, cns | (uint32_t{cntid} << 16), uint32_t{csi} << 24, nsid));
    }
    std::vector<uint32_t> id_list()
    {
        std::vector<uint32_t> v;
        for (uint32_t i = 0; i < 1024 && host_.read<uint32_t>(kBuf + 4 * i); i++) {
            v.push_back(host_.read<uint32_t>(kBuf + 4 * i));
        }
        return v;
    }
    bool all_zero(uint64_t addr, size_t len)
    {
        for (size_t i = 0; i < len; i++) {
            if (host_.ram[addr + i]) {
                return false;
            }
        }
        return true;
    }
    uint16_t io(uint8_t opc, uint32_t nsid, uint64_t slba, uint32_t nlb, uint64_t buf)
    {
        Sqe s = make_rw(opc, slba, nlb, buf);
        s.nsid = nsid;
        return Driver::status(drv_->call(1, s));
    }
    // Namespace Attachment of nsid with a controller list of `ids`.
    uint16_t attach(uint32_t nsid, uint32_t sel, std::vector<uint16_t> ids = {1})
    {
        std::memset(host_.ram.data() + kBuf, 0, 4096);
        host_.write<uint16_t>(kBuf, static_cast<uint16_t>(ids.size()));
        for (size_t i = 0; i < ids.size(); i++) {
            host_.write<uint16_t>(kBuf + 2 + 2 * i, ids[i]);
        }
        return admin_status(admin(nvme_admin_ns_attach, sel, 0, nsid));
    }
    // Namespace Management create; returns the completion.
    Cqe create(uint64_t nsze, uint8_t flbas, uint8_t csi = NVME_CSI_NVM, uint64_t ncap = 0)
    {
        struct nvme_id_ns id {};
        id.nsze = nsze;
        id.ncap = ncap ? ncap : nsze;
        id.flbas = flbas;
        host_.write(kBuf, id);
        return drv_->call(0,
                          admin(nvme_admin_ns_mgmt, NVME_NS_MGMT_SEL_CREATE, uint32_t{csi} << 24));
    }
    uint16_t remove(uint32_t nsid)
    {
        return admin_status(admin(nvme_admin_ns_mgmt, NVME_NS_MGMT_SEL_DELETE, 0, nsid));
    }
    std::vector<uint32_t> changed_ns_log()
    {
        std::memset(host_.ram.data() + kBuf, 0xa5, 4096);
        EXPECT_EQ(admin_status(admin(nvme_admin_get_log_page,
                                     NVME_LOG_LID_CHANGED_NS | (1023u << 16), 0, NVME_NSID_ALL)),
                  0);
        return id_list();
    }

    Cfg zcfg_{"zns", 8 * kMiB};
    std::vector<uint8_t> &ns1_ = backing_;  // NSID 1's, the controller's own
    std::vector<uint8_t> ns2_, ns3_;
};

}  // namespace

TEST_F(NamespacesTest, IdentifyReportsEveryNamespaceAndTheLists)
{
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_CTRL, 0), 0);
    const auto ctrl = host_.read<struct nvme_id_ctrl>(kBuf);
    EXPECT_EQ(ctrl.nn, 32u);
    EXPECT_EQ(ctrl.mnan, 32u);
    EXPECT_EQ(ctrl.cntlid, 1);
    EXPECT_EQ(ctrl.oacs, NVME_CTRL_OACS_DBBUF_CFG | NVME_CTRL_OACS_FORMAT | NVME_CTRL_OACS_NS_MGMT);
    EXPECT_EQ(ctrl.oaes, NVME_CTRL_OAES_ZD | NVME_CTRL_OAES_NA);

    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_NS_ACTIVE_LIST, 0), 0);
    EXPECT_EQ(id_list(), (std::vector<uint32_t>{1, 2, 3}));
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_NS_ACTIVE_LIST, 2), 0);
    EXPECT_EQ(id_list(), (std::vector<uint32_t>{3}));
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_CSI_NS_ACTIVE_LIST, 0, NVME_CSI_ZNS), 0);
    EXPECT_EQ(id_list(), (std::vector<uint32_t>{2}));
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_CSI_NS_ACTIVE_LIST, 0, NVME_CSI_NVM), 0);
    EXPECT_EQ(id_list(), (std::vector<uint32_t>{1, 3}));
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_ALLOCATED_NS_LIST, 0), 0);
    EXPECT_EQ(id_list(), (std::vector<uint32_t>{1, 2, 3}));
    EXPECT_EQ(identify(NVME_IDENTIFY_CNS_NS_ACTIVE_LIST, 0xfffffffe), generic(NVME_SC_INVALID_NS));

    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_NS, 2), 0);
    auto id = host_.read<struct nvme_id_ns>(kBuf);
    EXPECT_EQ(id.nsze, 8 * kMiB / 512);
    EXPECT_EQ(id.dlfeat, 0);  // zoned: no deallocation
    const auto nguid2 = id.nguid[0] | (id.nguid[1] << 8);
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_NS, 3), 0);
    id = host_.read<struct nvme_id_ns>(kBuf);
    EXPECT_EQ(id.nsze, 4 * kMiB / 4096);
    EXPECT_EQ(id.flbas, 1);
    EXPECT_EQ(id.dlfeat, 1);
    EXPECT_NE(id.nguid[0] | (id.nguid[1] << 8), nguid2);
    // NSID 4 is valid (<= NN) but has no namespace: zeros. Past NN: invalid.
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_NS, 4), 0);
    EXPECT_TRUE(all_zero(kBuf, 4096));
    EXPECT_EQ(identify(NVME_IDENTIFY_CNS_NS, 33), generic(NVME_SC_INVALID_NS));
    EXPECT_EQ(identify(NVME_IDENTIFY_CNS_NS, 0), generic(NVME_SC_INVALID_NS));

    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_CSI_NS, 2, NVME_CSI_ZNS), 0);
    EXPECT_EQ(host_.read<struct nvme_zns_id_ns>(kBuf).lbafe[0].zsze, kZoneLbas);
    EXPECT_EQ(identify(NVME_IDENTIFY_CNS_CSI_NS, 1, NVME_CSI_ZNS), generic(NVME_SC_INVALID_FIELD));
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_CSI_NS, 5, NVME_CSI_ZNS), 0);
    EXPECT_TRUE(all_zero(kBuf, 4096));

    // Descriptors: the CSI of each namespace (the last descriptor).
    for (auto [nsid, csi] : {std::pair{1u, NVME_CSI_NVM}, {2u, NVME_CSI_ZNS}, {3u, NVME_CSI_NVM}}) {
        ASSERT_EQ(identify(NVME_IDENTIFY_CNS_NS_DESC_LIST, nsid), 0);
        const uint64_t csi_at = (4 + 8) + (4 + 16) + (4 + 16);
        EXPECT_EQ(host_.read<uint8_t>(kBuf + csi_at), NVME_NIDT_CSI);
        EXPECT_EQ(host_.read<uint8_t>(kBuf + csi_at + 4), csi) << nsid;
    }
    EXPECT_EQ(identify(NVME_IDENTIFY_CNS_NS_DESC_LIST, 4), generic(NVME_SC_INVALID_NS));

    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_CSI_INDEPENDENT_ID_NS, 2), 0);
    EXPECT_EQ(host_.read<struct nvme_id_independent_id_ns>(kBuf).nstat, 1);

    // Controller lists: ours (CNTLID 1), from CNTID on.
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_CTRL_LIST, 0), 0);
    EXPECT_EQ(host_.read<uint16_t>(kBuf), 1);
    EXPECT_EQ(host_.read<uint16_t>(kBuf + 2), 1);
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_CTRL_LIST, 0, 0, 2), 0);
    EXPECT_EQ(host_.read<uint16_t>(kBuf), 0);
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_NS_CTRL_LIST, 3), 0);
    EXPECT_EQ(host_.read<uint16_t>(kBuf), 1);
    EXPECT_EQ(host_.read<uint16_t>(kBuf + 2), 1);
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_NS_CTRL_LIST, 4), 0);
    EXPECT_EQ(host_.read<uint16_t>(kBuf), 0);

    // The I/O Command Set vector offers ZNS (a namespace is zoned).
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_COMMAND_SET_STRUCTURE, 0), 0);
    EXPECT_EQ(host_.read<uint64_t>(kBuf), (1u << NVME_CSI_NVM) | (1u << NVME_CSI_ZNS));
}

TEST_F(NamespacesTest, IoGoesToTheNamespaceOfItsNsid)
{
    std::memset(host_.ram.data() + kBuf, 0x11, 4096);
    ASSERT_EQ(io(nvme_cmd_write, 1, 0, 1, kBuf), 0);
    std::memset(host_.ram.data() + kBuf, 0x22, 4096);
    ASSERT_EQ(io(nvme_cmd_write, 2, 0, 1, kBuf), 0);
    std::memset(host_.ram.data() + kBuf, 0x33, 4096);
    ASSERT_EQ(io(nvme_cmd_write, 3, 0, 1, kBuf), 0);  // one 4 KiB block

    EXPECT_EQ(ns1_[0], 0x11);
    EXPECT_EQ(ns1_[512], 0);
    EXPECT_EQ(ns2_[0], 0x22);
    EXPECT_EQ(ns2_[512], 0);
    EXPECT_EQ(ns3_[0], 0x33);
    EXPECT_EQ(ns3_[4095], 0x33);
    EXPECT_EQ(ns3_[4096], 0);

    for (auto [nsid, fill, bytes] :
         {std::tuple{1u, 0x11, 512}, {2u, 0x22, 512}, {3u, 0x33, 4096}}) {
        std::memset(host_.ram.data() + kBuf2, 0, 4096);
        ASSERT_EQ(io(nvme_cmd_read, nsid, 0, 1, kBuf2), 0);
        EXPECT_EQ(host_.ram[kBuf2], fill);
        EXPECT_EQ(host_.ram[kBuf2 + bytes - 1], fill);
    }
    // Each namespace has its own rules and size.
    EXPECT_EQ(io(nvme_cmd_write, 2, 5, 1, kBuf), specific(NVME_SC_ZNS_INVALID_WRITE));
    EXPECT_EQ(io(nvme_cmd_write, 1, 5, 1, kBuf), 0);
    EXPECT_EQ(io(nvme_cmd_read, 3, 1024, 1, kBuf), generic(NVME_SC_LBA_RANGE));
    EXPECT_EQ(io(nvme_cmd_read, 1, 1024, 1, kBuf), 0);
    EXPECT_EQ(io(nvme_zns_cmd_mgmt_recv, 1, 0, 1, kBuf), generic(NVME_SC_INVALID_OPCODE));
    EXPECT_EQ(io(nvme_cmd_read, 4, 0, 1, kBuf), generic(NVME_SC_INVALID_NS));
    EXPECT_EQ(io(nvme_cmd_read, 0, 0, 1, kBuf), generic(NVME_SC_INVALID_NS));
    // Flush of every namespace.
    Sqe flush = make_rw(nvme_cmd_flush, 0, 1, 0);
    flush.nsid = NVME_NSID_ALL;
    EXPECT_EQ(Driver::status(drv_->call(1, flush)), 0);

    // Zone fault injection and timing take an NSID.
    char *err = nullptr;
    EXPECT_EQ(nvmev_core_ns_zone_set_state(core_, 2, 1, "offline", &err), 0);
    EXPECT_EQ(io(nvme_cmd_read, 2, kZoneLbas, 1, kBuf), specific(NVME_SC_ZNS_OFFLINE));
    EXPECT_EQ(nvmev_core_ns_zone_set_state(core_, 3, 0, "offline", &err), -1);
    EXPECT_STREQ(err, "namespace 3 is ssd=nvm, not ssd=zns");
    nvmev_core_free_error(err);
    EXPECT_EQ(nvmev_core_ns_zone_set_state(core_, 7, 0, "offline", &err), -1);
    EXPECT_STREQ(err, "namespace 7 does not exist");
    nvmev_core_free_error(err);
    const NvmevParam lat{"read-latency-ns", 777};
    ASSERT_EQ(nvmev_core_ns_set_timing(core_, 3, &lat, 1, &err), 0);
    NvmevCoreInfo info;
    int allocated = 0, attached = 0;
    ASSERT_EQ(nvmev_core_ns_get_info(core_, 3, &info, &allocated, &attached), 0);
    EXPECT_EQ(info.read_latency_ns, 777);
    EXPECT_EQ(info.lba_size, 4096u);
    EXPECT_EQ(info.capacity_bytes, 4 * kMiB);
    EXPECT_EQ(allocated, 1);
    EXPECT_EQ(attached, 1);
    ASSERT_EQ(nvmev_core_ns_get_info(core_, 2, &info, &allocated, &attached), 0);
    EXPECT_STREQ(info.kind, "zns");
    EXPECT_EQ(info.zone_count, 8u);
    EXPECT_EQ(info.zones_in_state[6], 1u);  // offline
    EXPECT_EQ(nvmev_core_ns_get_info(core_, 9, &info, &allocated, &attached), -1);
    nvmev_core_get_info(core_, &info);  // the controller: NSID 1
    EXPECT_STREQ(info.kind, "nvm");
    EXPECT_NE(info.read_latency_ns, 777);  // NSID 1 keeps its own timing
}

TEST_F(NamespacesTest, AttachmentStatusesNoticeAndChangedNamespaceList)
{
    ASSERT_EQ(
        admin_status(admin(nvme_admin_set_features, NVME_FEAT_FID_ASYNC_EVENT, NVME_CTRL_OAES_NA)),
        0);
    const uint16_t aer = drv_->submit(0, admin(nvme_admin_async_event));
    drv_->run();
    EXPECT_FALSE(drv_->reap(0));

    ASSERT_EQ(attach(2, NVME_NS_ATTACH_SEL_CTRL_DEATTACH, {1, 1}), 0);
    drv_->run();
    auto ev = drv_->reap(0);
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->cid, aer);
    EXPECT_EQ(ev->dw0, NVME_AER_NOTICE | (NVME_AER_NOTICE_NS_CHANGED << 8) |
                           (NVME_LOG_LID_CHANGED_NS << 16));

    EXPECT_EQ(io(nvme_cmd_read, 2, 0, 1, kBuf), generic(NVME_SC_INVALID_NS));
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_NS, 2), 0);
    EXPECT_TRUE(all_zero(kBuf, 4096));
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_ALLOCATED_NS, 2), 0);  // still allocated
    EXPECT_EQ(host_.read<uint64_t>(kBuf), 8 * kMiB / 512);
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_NS_ACTIVE_LIST, 0), 0);
    EXPECT_EQ(id_list(), (std::vector<uint32_t>{1, 3}));
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_ALLOCATED_NS_LIST, 0), 0);
    EXPECT_EQ(id_list(), (std::vector<uint32_t>{1, 2, 3}));
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_NS_CTRL_LIST, 2), 0);
    EXPECT_EQ(host_.read<uint16_t>(kBuf), 0);

    EXPECT_EQ(attach(2, NVME_NS_ATTACH_SEL_CTRL_DEATTACH), specific(NVME_SC_NS_NOT_ATTACHED));
    EXPECT_EQ(attach(2, NVME_NS_ATTACH_SEL_CTRL_ATTACH, {2}), specific(NVME_SC_CTRL_LIST_INVALID));
    EXPECT_EQ(attach(2, NVME_NS_ATTACH_SEL_CTRL_ATTACH, {}), specific(NVME_SC_CTRL_LIST_INVALID));
    EXPECT_EQ(attach(2, NVME_NS_ATTACH_SEL_CTRL_ATTACH, {1, 7}),
              specific(NVME_SC_CTRL_LIST_INVALID));
    EXPECT_EQ(attach(2, 2), generic(NVME_SC_INVALID_FIELD));
    EXPECT_EQ(attach(NVME_NSID_ALL, NVME_NS_ATTACH_SEL_CTRL_ATTACH),
              generic(NVME_SC_INVALID_FIELD));
    EXPECT_EQ(attach(4, NVME_NS_ATTACH_SEL_CTRL_ATTACH), generic(NVME_SC_INVALID_NS));
    EXPECT_EQ(attach(0, NVME_NS_ATTACH_SEL_CTRL_ATTACH), generic(NVME_SC_INVALID_NS));
    EXPECT_EQ(attach(3, NVME_NS_ATTACH_SEL_CTRL_ATTACH), specific(NVME_SC_NS_ALREADY_ATTACHED));

    // The log names NSID 2 once; reading it empties it and unmasks notices.
    EXPECT_EQ(changed_ns_log(), (std::vector<uint32_t>{2}));
    EXPECT_EQ(changed_ns_log(), (std::vector<uint32_t>{}));

    const uint16_t aer2 = drv_->submit(0, admin(nvme_admin_async_event));
    ASSERT_EQ(attach(2, NVME_NS_ATTACH_SEL_CTRL_ATTACH), 0);
    drv_->run();
    ev = drv_->reap(0);
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->cid, aer2);
    EXPECT_EQ((ev->dw0 >> 16) & 0xff, NVME_LOG_LID_CHANGED_NS);
    EXPECT_EQ(io(nvme_cmd_read, 2, 0, 1, kBuf), 0);

    // QMP's path: the same change, and a second one is refused.
    char *err = nullptr;
    ASSERT_EQ(nvmev_core_ns_set_attached(core_, 3, 0, &err), 0);
    EXPECT_EQ(nvmev_core_ns_set_attached(core_, 3, 0, &err), -1);
    EXPECT_STREQ(err, "namespace 3 is already detached");
    nvmev_core_free_error(err);
    // Notices disabled: the list still records the change, no event comes.
    ASSERT_EQ(admin_status(admin(nvme_admin_set_features, NVME_FEAT_FID_ASYNC_EVENT, 0)), 0);
    drv_->submit(0, admin(nvme_admin_async_event));
    ASSERT_EQ(attach(3, NVME_NS_ATTACH_SEL_CTRL_ATTACH), 0);
    drv_->run();
    EXPECT_FALSE(drv_->reap(0));
    EXPECT_EQ(changed_ns_log(), (std::vector<uint32_t>{2, 3}));
}

TEST_F(NamespacesTest, ManagementDeletesAndRecreatesSlots)
{
    std::memset(host_.ram.data() + kBuf2, 0x5a, 4096);
    ASSERT_EQ(io(nvme_cmd_write, 3, 7, 1, kBuf2), 0);
    ASSERT_EQ(ns3_[7 * 4096], 0x5a);

    ASSERT_EQ(remove(3), 0);
    EXPECT_EQ(ns3_[7 * 4096], 0);  // the data is discarded
    EXPECT_EQ(io(nvme_cmd_read, 3, 0, 1, kBuf), generic(NVME_SC_INVALID_NS));
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_ALLOCATED_NS_LIST, 0), 0);
    EXPECT_EQ(id_list(), (std::vector<uint32_t>{1, 2}));
    EXPECT_EQ(changed_ns_log(), (std::vector<uint32_t>{3}));  // it was attached
    EXPECT_EQ(remove(3), generic(NVME_SC_INVALID_NS));
    EXPECT_EQ(remove(9), generic(NVME_SC_INVALID_NS));
    EXPECT_EQ(remove(33), generic(NVME_SC_INVALID_NS));

    // Create: the free slot is 4 MiB of 4 KiB blocks.
    EXPECT_EQ(Driver::status(create(0, 1)), generic(NVME_SC_INVALID_FIELD));
    EXPECT_EQ(Driver::status(create(16, 1, NVME_CSI_NVM, 8)), generic(NVME_SC_INVALID_FIELD));
    EXPECT_EQ(Driver::status(create(16, 0)), generic(NVME_SC_INVALID_FORMAT));
    EXPECT_EQ(Driver::status(create(16, 2)), generic(NVME_SC_INVALID_FORMAT));
    EXPECT_EQ(Driver::status(create(1025, 1)), specific(NVME_SC_NS_INSUFFICIENT_CAP));
    EXPECT_EQ(Driver::status(create(16, 1, NVME_CSI_ZNS)), specific(NVME_SC_NS_ID_UNAVAILABLE));
    EXPECT_EQ(Driver::status(create(16, 1, 1)), generic(NVME_SC_IOCS_NOT_SUPPORTED));
    const Cqe made = create(256, 1);
    ASSERT_EQ(Driver::status(made), 0);
    EXPECT_EQ(made.dw0, 3u);
    EXPECT_EQ(Driver::status(create(16, 1)), specific(NVME_SC_NS_ID_UNAVAILABLE));
    // Created namespaces start detached.
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_NS_ACTIVE_LIST, 0), 0);
    EXPECT_EQ(id_list(), (std::vector<uint32_t>{1, 2}));
    ASSERT_EQ(attach(3, NVME_NS_ATTACH_SEL_CTRL_ATTACH), 0);
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_NS, 3), 0);
    EXPECT_EQ(host_.read<uint64_t>(kBuf), 256u);
    EXPECT_EQ(io(nvme_cmd_read, 3, 0, 1, kBuf), 0);
    EXPECT_TRUE(all_zero(kBuf, 4096));
    EXPECT_EQ(io(nvme_cmd_read, 3, 256, 1, kBuf), generic(NVME_SC_LBA_RANGE));

    // A zoned slot comes back only at its size, with every zone empty.
    std::memset(host_.ram.data() + kBuf, 0x77, 4096);
    ASSERT_EQ(io(nvme_cmd_write, 2, 0, 8, kBuf), 0);
    ASSERT_EQ(remove(2), 0);
    EXPECT_EQ(ns2_[0], 0);
    EXPECT_EQ(Driver::status(create(kZoneLbas, 0, NVME_CSI_ZNS)), generic(NVME_SC_INVALID_FIELD));
    EXPECT_EQ(Driver::status(create(8 * kZoneLbas + 1, 0, NVME_CSI_ZNS)),
              specific(NVME_SC_NS_INSUFFICIENT_CAP));
    const Cqe zoned = create(8 * kZoneLbas, 0, NVME_CSI_ZNS);
    ASSERT_EQ(Driver::status(zoned), 0);
    EXPECT_EQ(zoned.dw0, 2u);
    ASSERT_EQ(attach(2, NVME_NS_ATTACH_SEL_CTRL_ATTACH), 0);
    EXPECT_EQ(io(nvme_cmd_write, 2, 0, 1, kBuf), 0);  // the write pointer is back at 0

    // Delete all.
    ASSERT_EQ(remove(NVME_NSID_ALL), 0);
    ASSERT_EQ(identify(NVME_IDENTIFY_CNS_ALLOCATED_NS_LIST, 0), 0);
    EXPECT_EQ(id_list(), (std::vector<uint32_t>{}));
    EXPECT_EQ(admin_status(admin(nvme_admin_ns_mgmt, 2)), generic(NVME_SC_INVALID_FIELD));
}

TEST_F(NamespacesTest, AddNamespaceErrorsNameTheProperty)
{
    NvmevConfig c = base_config("nvm");
    c.capacity_bytes = kMiB;
    std::vector<uint8_t> store(kMiB);
    char *err = nullptr;
    EXPECT_EQ(nvmev_core_add_namespace(core_, 1, &c, store.data(), 1, &err), -1);
    EXPECT_STREQ(err,
                 "property 'nsid': 1 is out of range (allowed: 2..32; NSID 1 is the nvmev "
                 "device's own namespace)");
    nvmev_core_free_error(err);
    EXPECT_EQ(nvmev_core_add_namespace(core_, 33, &c, store.data(), 1, &err), -1);
    nvmev_core_free_error(err);
    EXPECT_EQ(nvmev_core_add_namespace(core_, 3, &c, store.data(), 1, &err), -1);
    EXPECT_STREQ(err, "property 'nsid': namespace 3 already exists on this controller");
    nvmev_core_free_error(err);
    c.ssd = "ssd9";
    EXPECT_EQ(nvmev_core_add_namespace(core_, 4, &c, store.data(), 1, &err), -1);
    EXPECT_EQ(std::string(err).rfind("property 'ssd': unknown kind 'ssd9'", 0), 0u) << err;
    nvmev_core_free_error(err);
}

// A controller with only its own namespace offers none of this.
class OneNamespace : public CoreFixture {};

TEST_F(OneNamespace, NoManagementAttachmentOrNamespaceLists)
{
    NvmevConfig c = base_config("nvm");
    c.capacity_bytes = kMiB;
    ASSERT_EQ(start(c), "");
    ASSERT_EQ(drv_->enable() & 1, 1u);
    auto status = [&](uint8_t opc, uint32_t cdw10) { return admin_status(admin(opc, cdw10)); };
    EXPECT_EQ(status(nvme_admin_ns_mgmt, 1), generic(NVME_SC_INVALID_OPCODE));
    EXPECT_EQ(status(nvme_admin_ns_attach, 0), generic(NVME_SC_INVALID_OPCODE));
    EXPECT_EQ(status(nvme_admin_identify, NVME_IDENTIFY_CNS_ALLOCATED_NS_LIST),
              generic(NVME_SC_INVALID_FIELD));
    EXPECT_EQ(status(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL_LIST),
              generic(NVME_SC_INVALID_FIELD));
    EXPECT_EQ(status(nvme_admin_get_log_page, NVME_LOG_LID_CHANGED_NS | (1023u << 16)),
              specific(NVME_SC_INVALID_LOG_PAGE));
    ASSERT_EQ(status(nvme_admin_identify, NVME_IDENTIFY_CNS_CTRL), 0);
    const auto id = host_.read<struct nvme_id_ctrl>(Driver::kDataBase);
    EXPECT_EQ(id.oacs & NVME_CTRL_OACS_NS_MGMT, 0);
    EXPECT_EQ(id.oaes, 0u);
    EXPECT_EQ(id.mnan, 0u);
}
