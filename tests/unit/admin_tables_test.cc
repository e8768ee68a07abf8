// The admin tables (admin_tables.h) against what the controller does: the
// Supported Log Pages log lists exactly the table's logs that can be read,
// the Commands Supported and Effects log has CSUPP for exactly the opcodes
// that execute, and Get Features reports the table's capabilities and
// defaults. Run on controllers of each kind, one and several namespaces.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admin_tables.h"
#include "fake_host.h"
#include "nvmev_core.h"

namespace nvmev::test {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kBuf = Driver::kDataBase;
constexpr uint16_t kInvalidFieldSt = 0x4002;
constexpr uint16_t kInvalidOpcodeSt = 0x4001;
constexpr uint16_t kInvalidNamespaceSt = 0x400b;
constexpr uint16_t kInvalidLogPageSt = 0x4109;
constexpr uint16_t kNotSaveableSt = 0x410d;

// A controller whose NSID 1 is of `kind`, plus (multi) a zoned NSID 2.
class AdminTablesTest : public ::testing::Test {
protected:
    void TearDown() override
    {
        if (core_) {
            nvmev_core_free(core_);
            core_ = nullptr;
        }
    }

    NvmevConfig config(const char *kind, uint64_t capacity)
    {
        static const std::map<std::string, int64_t> p = {{"channels", 2},
                                                         {"luns-per-channel", 1},
                                                         {"flash-page-size", 16384},
                                                         {"program-unit-size", 16384},
                                                         {"zone-size", 1 << 20},
                                                         {"zone-dies", 2},
                                                         {"kv-max-keys", 64},
                                                         {"kv-max-value-size", 8192}};
        params_.push_back(std::make_unique<std::vector<NvmevPropValue>>());
        std::vector<NvmevPropValue> &v = *params_.back();
        const bool zns = std::string(kind) == "zns", kv = std::string(kind) == "kv";
        for (const auto &[name, value] : p) {
            if ((zns && name.rfind("kv-", 0) != 0) || (kv && name.rfind("kv-", 0) == 0)) {
                v.push_back({name.c_str(), value, nullptr});
            }
        }
        NvmevConfig c{};
        c.ssd = kind;
        c.serial = "SN-TABLES";
        c.capacity_bytes = capacity;
        c.lba_size = c.mdts = -1;
        c.max_ioqpairs = 4;
        c.msix_vectors = 5;
        c.read_latency_ns = c.write_latency_ns = -1;
        c.read_bandwidth_mbps = c.write_bandwidth_mbps = -1;
        c.params = v.data();
        c.n_params = v.size();
        return c;
    }
    uint8_t *store(const NvmevConfig &c)
    {
        NvmevLayout l{};
        char *err = nullptr;
        EXPECT_EQ(nvmev_core_layout(&c, &l, &err), 0) << err;
        stores_.push_back(std::make_unique<std::vector<uint8_t>>(l.data_bytes + l.metadata_bytes));
        return stores_.back()->data();
    }
    void make(const char *kind, bool multi = false, bool vendor_kv = false)
    {
        kind_ = kind;
        multi_ = multi;
        NvmevConfig c = config(kind, std::string(kind) == "kv" ? kMiB : 8 * kMiB);
        c.kv_vendor_opcodes = vendor_kv;
        host_ = std::make_unique<FakeHost>();
        ops_ = host_->ops();
        char *err = nullptr;
        core_ = nvmev_core_new(&c, &ops_, host_.get(), store(c), &err);
        ASSERT_NE(core_, nullptr) << err;
        if (multi) {
            NvmevConfig z = config("zns", 8 * kMiB);
            ASSERT_EQ(nvmev_core_add_namespace(core_, 2, &z, store(z), 1, &err), 0) << err;
        }
        nvmev_core_set_msix(core_, 1);
        drv_ = std::make_unique<Driver>(*host_, core_);
        ASSERT_EQ(drv_->enable(32, NVME_CC_CSS_CSI) & 1, 1u);
        ASSERT_EQ(drv_->create_io_queues(1, 64, 1), 0);
    }

    // The status of one command, or nothing if it is held (an AER).
    std::optional<uint16_t> run(uint16_t qid, const Sqe &s, uint32_t *dw0 = nullptr)
    {
        const uint16_t cid = drv_->submit(qid, s);
        drv_->run();
        while (auto c = drv_->reap(qid)) {
            if (c->cid == cid) {
                if (dw0) {
                    *dw0 = c->dw0;
                }
                return Driver::status(*c);
            }
        }
        return std::nullopt;
    }
    uint16_t admin(uint8_t opc, uint32_t cdw10, uint32_t cdw11 = 0, uint32_t nsid = 0,
                   uint32_t cdw14 = 0, uint32_t *dw0 = nullptr)
    {
        Sqe s = make_admin(opc, cdw10, cdw11);
        s.nsid = nsid;
        s.cdw14 = cdw14;
        return run(0, s, dw0).value_or(0xffff);
    }
    uint16_t get_feature(unsigned fid, unsigned sel, uint32_t &dw0)
    {
        std::memset(host_->ram.data() + kBuf, 0xa5, 4096);
        return admin(nvme_admin_get_features, fid | (sel << 8), 0, 0, 0, &dw0);
    }
    uint16_t get_log(uint8_t lid, uint8_t csi, uint32_t nsid, uint32_t dwords = 1024)
    {
        std::memset(host_->ram.data() + kBuf, 0xa5, 4096);
        return admin(nvme_admin_get_log_page, lid | (1u << 15) | ((dwords - 1) << 16), 0, nsid,
                     uint32_t{csi} << 24);
    }

    // What the test knows of the controller, independently of the core.
    bool offered(Offer o) const
    {
        switch (o) {
            case Offer::kAlways: return true;
            case Offer::kMultiNamespace: return multi_;
            case Offer::kMultiNamespaceOrKv: return multi_ || kind_ == "kv";
            case Offer::kMultiController: return multi_;  // no subsystem here
            case Offer::kZoned: return multi_ || kind_ == "zns";
            case Offer::kVendorKv: return false;
        }
        return false;
    }
    bool offers_csi(uint8_t csi) const
    {
        return csi == NVME_CSI_NVM || (csi == NVME_CSI_ZNS && offered(Offer::kZoned)) ||
               (csi == NVME_CSI_KV && kind_ == "kv");
    }

    std::unique_ptr<FakeHost> host_;
    NvmevHostOps ops_{};
    std::vector<std::unique_ptr<std::vector<NvmevPropValue>>> params_;
    std::vector<std::unique_ptr<std::vector<uint8_t>>> stores_;
    NvmevCore *core_ = nullptr;
    std::unique_ptr<Driver> drv_;
    std::string kind_;
    bool multi_ = false;
};

// Every LID in the table is listed for a CSI when it is offered there, and
// can then be read; no other LID is listed, and it cannot be read.
TEST_F(AdminTablesTest, SupportedLogPagesListWhatTheTableServes)
{
    for (const auto &[kind, multi] : std::vector<std::pair<const char *, bool>>{
             {"nvm", false}, {"nvm", true}, {"zns", false}, {"kv", false}}) {
        SCOPED_TRACE(std::string(kind) + (multi ? " multi" : ""));
        TearDown();
        make(kind, multi);
        for (uint8_t csi : {0, 1, 2, 3}) {  // NVM, KV, ZNS, none
            SCOPED_TRACE(int(csi));
            if (!offers_csi(csi)) {
                EXPECT_EQ(get_log(NVME_LOG_LID_SUPPORTED_LOG_PAGES, csi, 0), kInvalidFieldSt);
                continue;
            }
            ASSERT_EQ(get_log(NVME_LOG_LID_SUPPORTED_LOG_PAGES, csi, 0), 0);
            struct nvme_supported_log_pages log;
            std::memcpy(&log, host_->ram.data() + kBuf, sizeof(log));
            for (unsigned lid = 0; lid < 256; lid++) {
                const auto *e = find_entry(AdminTables::log_pages(), static_cast<uint8_t>(lid));
                const bool listed =
                    e && offered(e->offer) && (e->csi == AdminTables::kAnyCsi || e->csi == csi);
                EXPECT_EQ(le32toh(log.lid_support[lid]), listed ? 1u : 0u) << lid;
                // The zoned namespace is NSID 2 on the multi-namespace controller.
                const uint32_t nsid = e && e->scope == LogScope::kNamespace && multi ? 2 : 1;
                const uint16_t st = get_log(static_cast<uint8_t>(lid), csi, nsid, 16);
                EXPECT_EQ(st == kInvalidLogPageSt, !listed) << lid << " status " << st;
            }
        }
    }
}

// CSUPP is set for exactly the opcodes the controller executes (any status
// but Invalid Command Opcode): admin commands, and the I/O commands of the
// namespace's command set.
TEST_F(AdminTablesTest, CommandsSupportedMatchDispatch)
{
    struct Case {
        const char *kind;
        bool multi;
        uint8_t csi;
    };
    for (const Case &c : {Case{"nvm", true, NVME_CSI_NVM}, Case{"zns", false, NVME_CSI_ZNS},
                          Case{"kv", false, NVME_CSI_KV}}) {
        SCOPED_TRACE(c.kind);
        TearDown();
        make(c.kind, c.multi);
        ASSERT_EQ(get_log(NVME_LOG_LID_CMD_EFFECTS, c.csi, 0), 0);
        struct nvme_cmd_effects_log log;
        std::memcpy(&log, host_->ram.data() + kBuf, sizeof(log));
        for (unsigned op = 0; op < 256; op++) {
            // Misaligned PRP1 and a broadcast-like NSID: the commands fail
            // without changing the controller (no shadow doorbells, format).
            Sqe a = make_admin(static_cast<uint8_t>(op));
            a.prp1 = kBuf + 4;
            a.nsid = 0xfffffffe;
            const std::optional<uint16_t> ast = run(0, a);  // an AER is held
            const bool acsupp = le32toh(log.acs[op]) & 1;
            if (ast != kInvalidOpcodeSt) {
                EXPECT_TRUE(acsupp) << "admin " << op;
            } else {
                // A one-namespace controller refuses Namespace Management and
                // Attachment, which the log still reports (as it always has).
                EXPECT_TRUE(!acsupp ||
                            (!c.multi && (op == nvme_admin_ns_mgmt || op == nvme_admin_ns_attach)))
                    << "admin " << op;
            }
            Sqe io = make_rw(static_cast<uint8_t>(op), 0, 0, kBuf);
            io.nsid = 1;
            const std::optional<uint16_t> ist = run(1, io);
            ASSERT_TRUE(ist.has_value()) << op;
            EXPECT_EQ(*ist != kInvalidOpcodeSt, bool(le32toh(log.iocs[op]) & 1)) << "io " << op;
        }
    }
}

// NVMeVirt's opcodes (a vendor KV namespace) execute and are reported in
// the NVM command set's log, which keeps the NVM commands too.
TEST_F(AdminTablesTest, VendorKvOpcodesAreReported)
{
    make("kv", false, true);
    ASSERT_EQ(get_log(NVME_LOG_LID_CMD_EFFECTS, NVME_CSI_NVM, 0), 0);
    struct nvme_cmd_effects_log log;
    std::memcpy(&log, host_->ram.data() + kBuf, sizeof(log));
    for (unsigned op = 0; op < 256; op++) {
        Sqe io = make_rw(static_cast<uint8_t>(op), 0, 0, kBuf);
        io.nsid = 1;
        const std::optional<uint16_t> st = run(1, io);
        ASSERT_TRUE(st.has_value()) << op;
        if (*st != kInvalidOpcodeSt) {
            EXPECT_TRUE(le32toh(log.iocs[op]) & 1) << op;
        }
    }
    EXPECT_EQ(le32toh(log.iocs[nvme_cmd_write]), 3u);  // CSUPP | LBCC: the NVM set's
}

// Get Features: unknown FIDs are refused; the table's FIDs report its
// capabilities (changeable when it has a Set), saved reads as the default,
// constant defaults are the table's, and Set is refused where the table
// says: SV (nothing is saveable) and features that cannot change.
TEST_F(AdminTablesTest, FeaturesFollowTheTable)
{
    make("nvm");
    // Current values away from their defaults: saved must still read the
    // default, not these.
    for (const auto &[fid, value] :
         std::vector<std::pair<uint8_t, uint32_t>>{{NVME_FEAT_FID_ARBITRATION, 3},
                                                   {NVME_FEAT_FID_TEMP_THRESH, 350},
                                                   {NVME_FEAT_FID_VOLATILE_WC, 0},
                                                   {NVME_FEAT_FID_IRQ_COALESCE, 0x101},
                                                   {NVME_FEAT_FID_WRITE_ATOMIC, 1}}) {
        ASSERT_EQ(admin(nvme_admin_set_features, fid, value), 0) << int(fid);
    }
    for (unsigned fid = 0; fid < 256; fid++) {
        SCOPED_TRACE(fid);
        const auto *f = find_entry(AdminTables::features(), static_cast<uint8_t>(fid));
        EXPECT_EQ(admin(nvme_admin_set_features, fid | (1u << 31)), kNotSaveableSt);
        if (!f) {
            EXPECT_EQ(admin(nvme_admin_get_features, fid | (3u << 8)), kInvalidFieldSt);
            EXPECT_EQ(admin(nvme_admin_set_features, fid), kInvalidFieldSt);
            continue;
        }
        uint32_t caps = 0, dflt = 0, saved = 0, current = 0;
        ASSERT_EQ(get_feature(fid, 3, caps), 0);
        EXPECT_EQ(caps, (f->caps & 3u) | (f->set || f->value ? 4u : 0u));
        EXPECT_FALSE(caps & kFeatureSaveable);
        ASSERT_EQ(get_feature(fid, 1, dflt), 0);
        const auto data = host_->ram.begin() + kBuf;
        const std::vector<uint8_t> dflt_data(data, data + 512);
        ASSERT_EQ(get_feature(fid, 2, saved), 0);
        EXPECT_EQ(saved, dflt);
        EXPECT_TRUE(std::equal(dflt_data.begin(), dflt_data.end(), data));
        if (!f->get_default) {
            EXPECT_EQ(dflt, f->dflt);
        }
        if (!f->get && !f->value) {
            ASSERT_EQ(get_feature(fid, 0, current), 0);
            EXPECT_EQ(current, dflt);
        }
        if (!f->set && !f->value) {
            EXPECT_EQ(admin(nvme_admin_set_features, fid), kInvalidFieldSt);
        }
    }
}

// Identify: CNS values outside the table are refused, those offered only
// with several namespaces too on a one-namespace controller, and each
// entry's NSID rule is applied.
TEST_F(AdminTablesTest, IdentifyFollowsTheTable)
{
    make("nvm");
    for (unsigned cns = 0; cns < 256; cns++) {
        SCOPED_TRACE(cns);
        const auto *e = find_entry(AdminTables::identify(), static_cast<uint8_t>(cns));
        auto identify = [&](uint32_t nsid) { return admin(nvme_admin_identify, cns, 0, nsid); };
        if (!e || !offered(e->offer)) {
            EXPECT_EQ(identify(1), kInvalidFieldSt);
            continue;
        }
        switch (e->nsid) {
            case NsidRule::kIgnored: EXPECT_EQ(identify(0xffffffff), 0); break;
            case NsidRule::kValid:
                EXPECT_EQ(identify(0), kInvalidNamespaceSt);
                EXPECT_EQ(identify(2), kInvalidNamespaceSt);  // NN = 1
                EXPECT_EQ(identify(1), 0);
                break;
            case NsidRule::kActive:
                EXPECT_EQ(identify(0), kInvalidNamespaceSt);
                EXPECT_EQ(identify(1), 0);
                break;
            case NsidRule::kListStart:
                EXPECT_EQ(identify(0xfffffffe), kInvalidNamespaceSt);
                EXPECT_EQ(identify(0), 0);
                break;
        }
    }
}

}  // namespace
}  // namespace nvmev::test
