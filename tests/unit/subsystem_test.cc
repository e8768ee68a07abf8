// An NVM subsystem through the fake host: two controllers share NSID 1.
// Identify (CNTLID, CMIC, SUBNQN, NMIC, identifiers, controller lists),
// data written through one read through the other, the shared namespace
// outliving a controller, and the configuration errors.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core_fixture.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kBuf = Driver::kDataBase;
constexpr const char *kNqn = "nqn.2026-11.io.nvmev:subsys:s0";

// One controller of the subsystem on a fake host of its own.
struct Member {
    FakeHost host{16 << 20};
    NvmevHostOps ops{};
    NvmevCore *core = nullptr;
    std::unique_ptr<Driver> drv;

    ~Member() { nvmev_core_free(core); }
    // "" once it runs, or the core's error.
    std::string start(const NvmevConfig &c, uint8_t *backing)
    {
        ops = host.ops();
        char *err = nullptr;
        core = nvmev_core_new(&c, &ops, &host, backing, &err);
        if (!core) {
            std::string e = err ? err : "";
            nvmev_core_free_error(err);
            return e;
        }
        nvmev_core_set_msix(core, 1);
        drv = std::make_unique<Driver>(host, core);
        EXPECT_EQ(drv->enable(32, 0) & 1, 1u);
        EXPECT_EQ(drv->create_io_queues(1, 64, 1), 0);
        return "";
    }
    uint16_t admin(Sqe s) { return Driver::status(drv->call(0, s)); }
    uint16_t io(Sqe s) { return Driver::status(drv->call(1, s)); }
    uint16_t identify(uint8_t cns, uint32_t nsid = 0, uint16_t cntid = 0)
    {
        Sqe s = make_admin(nvme_admin_identify, cns | (uint32_t{cntid} << 16));
        s.nsid = nsid;
        std::memset(host.ram.data() + kBuf, 0xa5, 4096);
        s.prp1 = kBuf;
        return admin(s);
    }
    template <typename T>
    T read(uint64_t addr = kBuf)
    {
        return host.read<T>(addr);
    }
    std::vector<uint16_t> ctrl_list(uint8_t cns, uint32_t nsid = 0, uint16_t from = 0)
    {
        EXPECT_EQ(identify(cns, nsid, from), 0);
        const auto l = read<struct nvme_ctrl_list>();
        std::vector<uint16_t> ids;
        for (unsigned i = 0; i < le16toh(l.num); i++) {
            ids.push_back(le16toh(l.identifier[i]));
        }
        return ids;
    }
};

class SubsystemTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        subsys_ = nvmev_subsys_new(kNqn);
        ASSERT_NE(subsys_, nullptr);
        backing_.assign(8 * kMiB, 0);
    }
    void TearDown() override
    {
        a_.reset();
        b_.reset();
        nvmev_subsys_free(subsys_);
    }
    NvmevConfig config(uint64_t capacity = 8 * kMiB, uint16_t cntlid = 0) const
    {
        NvmevConfig c = CoreFixture::nvm_config(capacity);
        c.serial = "SN-SUBSYS";
        c.subsys = subsys_;
        c.cntlid = cntlid;
        return c;
    }
    // Both controllers running; b's backing is never used.
    void start_both()
    {
        a_ = std::make_unique<Member>();
        b_ = std::make_unique<Member>();
        ASSERT_EQ(a_->start(config(), backing_.data()), "");
        ASSERT_EQ(b_->start(config(), nullptr), "");
    }

    NvmevSubsys *subsys_ = nullptr;
    std::vector<uint8_t> backing_;
    std::unique_ptr<Member> a_, b_;
};

TEST_F(SubsystemTest, IdentifyShowsOneSubsystemTwoControllers)
{
    start_both();
    EXPECT_EQ(nvmev_subsys_controllers(subsys_), 2u);
    EXPECT_EQ(nvmev_core_cntlid(a_->core), 1);
    EXPECT_EQ(nvmev_core_cntlid(b_->core), 2);
    struct nvme_id_ns ns[2];
    Member *m[2] = {a_.get(), b_.get()};
    for (int i = 0; i < 2; i++) {
        ASSERT_EQ(m[i]->identify(NVME_IDENTIFY_CNS_CTRL), 0);
        const auto id = m[i]->read<struct nvme_id_ctrl>();
        EXPECT_EQ(le16toh(id.cntlid), i + 1);
        EXPECT_EQ(id.cmic, NVME_CTRL_CMIC_MULTI_CTRL);
        EXPECT_STREQ(id.subnqn, kNqn);
        EXPECT_EQ(id.nn, 1u);
        EXPECT_EQ(le16toh(id.oacs) & NVME_CTRL_OACS_NS_MGMT, 0);
        ASSERT_EQ(m[i]->identify(NVME_IDENTIFY_CNS_NS, 1), 0);
        ns[i] = m[i]->read<struct nvme_id_ns>();
        EXPECT_EQ(ns[i].nmic, NVME_NS_NMIC_SHARED);
        EXPECT_EQ(le64toh(ns[i].nsze), 8 * kMiB / 512);
        EXPECT_EQ(m[i]->ctrl_list(NVME_IDENTIFY_CNS_CTRL_LIST), (std::vector<uint16_t>{1, 2}));
        EXPECT_EQ(m[i]->ctrl_list(NVME_IDENTIFY_CNS_NS_CTRL_LIST, 1),
                  (std::vector<uint16_t>{1, 2}));
        EXPECT_EQ(m[i]->ctrl_list(NVME_IDENTIFY_CNS_CTRL_LIST, 0, 2), (std::vector<uint16_t>{2}));
    }
    // The same namespace behind both: identical identifiers.
    EXPECT_EQ(std::memcmp(ns[0].nguid, ns[1].nguid, sizeof(ns[0].nguid)), 0);
    EXPECT_EQ(std::memcmp(ns[0].eui64, ns[1].eui64, sizeof(ns[0].eui64)), 0);
}

TEST_F(SubsystemTest, WriteThroughOneReadThroughTheOther)
{
    start_both();
    for (uint64_t i = 0; i < 8192; i++) {
        a_->host.ram[kBuf + i] = static_cast<uint8_t>(i * 7 + 3);
    }
    ASSERT_EQ(a_->io(make_rw(nvme_cmd_write, 100, 16, kBuf, kBuf + 4096)), 0);
    ASSERT_EQ(b_->io(make_rw(nvme_cmd_read, 100, 16, kBuf, kBuf + 4096)), 0);
    EXPECT_EQ(std::memcmp(a_->host.ram.data() + kBuf, b_->host.ram.data() + kBuf, 8192), 0);
    EXPECT_EQ(std::memcmp(backing_.data() + 100 * 512, a_->host.ram.data() + kBuf, 8192), 0);
}

TEST_F(SubsystemTest, NamespaceOutlivesTheControllerThatMadeIt)
{
    start_both();
    std::memset(a_->host.ram.data() + kBuf, 0x5c, 4096);
    ASSERT_EQ(a_->io(make_rw(nvme_cmd_write, 8, 8, kBuf)), 0);
    a_.reset();  // hot-unplug of the first controller
    EXPECT_EQ(nvmev_subsys_controllers(subsys_), 1u);
    EXPECT_EQ(b_->ctrl_list(NVME_IDENTIFY_CNS_CTRL_LIST), (std::vector<uint16_t>{2}));
    ASSERT_EQ(b_->io(make_rw(nvme_cmd_read, 8, 8, kBuf)), 0);
    EXPECT_EQ(b_->host.ram[kBuf], 0x5c);
    EXPECT_EQ(b_->host.ram[kBuf + 4095], 0x5c);
    std::memset(b_->host.ram.data() + kBuf, 0x6d, 4096);
    ASSERT_EQ(b_->io(make_rw(nvme_cmd_write, 16, 8, kBuf)), 0);
    EXPECT_EQ(backing_[16 * 512], 0x6d);

    // A controller plugged in again gets the lowest free CNTLID and the
    // same namespace.
    a_ = std::make_unique<Member>();
    ASSERT_EQ(a_->start(config(), nullptr), "");
    EXPECT_EQ(nvmev_core_cntlid(a_->core), 1);
    ASSERT_EQ(a_->io(make_rw(nvme_cmd_read, 16, 8, kBuf)), 0);
    EXPECT_EQ(a_->host.ram[kBuf + 100], 0x6d);
}

// Both controllers copy data without the subsystem's lock, so a command
// changing blocks the other controller is copying waits in its SQ (NVMe
// Base 2.0c 2.1.4.1: a one-block write is atomic with respect to every
// other command), and fetches again on its own timer; reads of the same
// blocks do not wait.
TEST_F(SubsystemTest, ACommandOnBlocksTheOtherControllerIsCopyingWaitsForTheCopy)
{
    start_both();
    std::memset(backing_.data(), 0x5a, 8 * 512);
    bool once = false;
    uint8_t during_copy = 0, read_beside = 0;
    uint16_t zeroes_cid = 0, read_cid = 0;
    int64_t b_deadline = 0;
    int kicks = 0;
    a_->host.on_dma = [&](uint64_t addr, uint64_t, bool write) {
        if (write && addr == kBuf && !once) {
            once = true;  // a's Read of blocks 0-7 is moving its data out
            b_->drv->auto_reap = false;
            read_cid = b_->drv->submit(1, make_rw(nvme_cmd_read, 0, 8, kBuf + 8192));
            nvmev_core_process(b_->core, 0);
            read_beside = b_->host.ram[kBuf + 8192 + 4 * 512];
            zeroes_cid = b_->drv->submit(1, make_rw(nvme_cmd_write_zeroes, 4, 1, 0));
            kicks = b_->host.kicks;
            nvmev_core_process(b_->core, 0);
            during_copy = backing_[4 * 512];
            b_deadline = b_->host.timer_deadline;
        }
    };
    a_->drv->auto_reap = false;
    a_->drv->submit(1, make_rw(nvme_cmd_read, 0, 8, kBuf));
    const int64_t b_now = b_->host.now_ns;
    nvmev_core_process(a_->core, 0);
    a_->host.on_dma = nullptr;
    ASSERT_TRUE(once);
    EXPECT_EQ(read_beside, 0x5a);  // the read beside it ran
    EXPECT_EQ(during_copy, 0x5a);  // the Write Zeroes did not
    EXPECT_EQ(a_->host.ram[kBuf + 4 * 512], 0x5a);
    // b's timer: the read's completion first, then the retry.
    EXPECT_EQ(b_deadline, b_now + 13000);
    b_->host.now_ns = b_deadline;
    nvmev_core_timer(b_->core, 0);
    EXPECT_EQ(b_->host.timer_deadline, b_now + 20000);
    EXPECT_EQ(b_->host.kicks, kicks);  // a cannot wake b: b's timer does
    EXPECT_EQ(backing_[4 * 512], 0x5a);
    b_->host.now_ns = b_now + 20000;
    nvmev_core_timer(b_->core, 0);
    EXPECT_EQ(b_->host.kicks, kicks + 1);
    nvmev_core_process(b_->core, 0);
    EXPECT_EQ(backing_[4 * 512], 0);
    a_->drv->run();
    b_->drv->run();
    const auto r = a_->drv->reap(1), br = b_->drv->reap(1), z = b_->drv->reap(1);
    ASSERT_TRUE(r && br && z);
    EXPECT_EQ(Driver::status(*r), 0);
    EXPECT_EQ(br->cid, read_cid);
    EXPECT_EQ(z->cid, zeroes_cid);
    EXPECT_EQ(Driver::status(*br), 0);
    EXPECT_EQ(Driver::status(*z), 0);
}

TEST_F(SubsystemTest, ResetOfOneControllerLeavesTheOtherServing)
{
    start_both();
    a_->drv->disable();
    EXPECT_EQ(a_->drv->reg32(0x1c) & 1, 0u);  // CSTS.RDY
    std::memset(b_->host.ram.data() + kBuf, 0x42, 512);
    ASSERT_EQ(b_->io(make_rw(nvme_cmd_write, 0, 1, kBuf)), 0);
    EXPECT_EQ(backing_[0], 0x42);
}

TEST_F(SubsystemTest, ConfigurationErrorsNameTheProperty)
{
    a_ = std::make_unique<Member>();
    ASSERT_EQ(a_->start(config(8 * kMiB, 5), backing_.data()), "");
    EXPECT_EQ(nvmev_core_cntlid(a_->core), 5);
    Member other;
    EXPECT_EQ(other.start(config(16 * kMiB), nullptr),
              "property 'size': 16777216 bytes differs from the shared namespace's 8388608 bytes "
              "(allowed: 8388608 bytes; every controller of a subsystem describes NSID 1 alike)");
    NvmevConfig c = config();
    c.lba_size = 4096;
    EXPECT_EQ(other.start(c, nullptr),
              "property 'lba-size': 4096 differs from the shared namespace's 512 (allowed: 512; "
              "every controller of a subsystem describes NSID 1 alike)");
    c = config();
    c.read_latency_ns = 20000;
    EXPECT_EQ(other.start(c, nullptr),
              "property 'read-latency-ns': 20000 differs from the shared namespace's 12000 "
              "(allowed: 12000; every controller of a subsystem describes NSID 1 alike)");
    c = config();
    c.ssd = "conv";
    c.read_latency_ns = c.write_latency_ns = -1;
    c.read_bandwidth_mbps = c.write_bandwidth_mbps = -1;
    EXPECT_NE(other.start(c, nullptr).find("property 'ssd': conv differs"), std::string::npos);
    EXPECT_EQ(other.start(config(8 * kMiB, 5), nullptr),
              std::string("property 'cntlid': 5 is already used in subsystem ") + kNqn +
                  " (allowed: a CNTLID no other controller of the subsystem has, or 0 for the "
                  "lowest free)");
    EXPECT_EQ(other.start(config(8 * kMiB, 0xfff0), nullptr),
              "property 'cntlid': 65520 is out of range (allowed: 1..65519, or 0 for the lowest "
              "free)");
    EXPECT_EQ(nvmev_subsys_controllers(subsys_), 1u);
    // Refused joiners left nothing behind; a good one gets CNTLID 1.
    ASSERT_EQ(other.start(config(), nullptr), "");
    EXPECT_EQ(nvmev_core_cntlid(other.core), 1);

    // Further namespaces are not shared: refused on a subsystem controller.
    NvmevConfig ns = CoreFixture::nvm_config(4 * kMiB);
    std::vector<uint8_t> store(4 * kMiB);
    char *err = nullptr;
    ASSERT_EQ(nvmev_core_add_namespace(a_->core, 2, &ns, store.data(), 1, &err), -1);
    EXPECT_EQ(std::string(err),
              std::string("property 'bus': the controller is in subsystem ") + kNqn +
                  ", whose controllers share NSID 1 only (allowed: an nvmev-ns on a controller "
                  "without 'subsys')");
    nvmev_core_free_error(err);
}

TEST_F(SubsystemTest, ControllerWithoutSubsystemIsPrivate)
{
    Member m;
    NvmevConfig c = CoreFixture::nvm_config(8 * kMiB);
    ASSERT_EQ(m.start(c, backing_.data()), "");
    ASSERT_EQ(m.identify(NVME_IDENTIFY_CNS_CTRL), 0);
    const auto id = m.read<struct nvme_id_ctrl>();
    EXPECT_EQ(le16toh(id.cntlid), 1);
    EXPECT_EQ(id.cmic, 0);
    EXPECT_STREQ(id.subnqn, "nqn.2026-11.io.nvmev:ctrl:SN-TEST-1");
    ASSERT_EQ(m.identify(NVME_IDENTIFY_CNS_NS, 1), 0);
    EXPECT_EQ(m.read<struct nvme_id_ns>().nmic, 0);
}

}  // namespace
