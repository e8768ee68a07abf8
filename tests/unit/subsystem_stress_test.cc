// Two controllers of one NVM subsystem, each driven by its own thread (two
// hosts sharing a dual-ported drive), write and read the same few blocks of
// their shared namespace. Each controller's data moves without the
// subsystem's lock, so a command on blocks the other controller is copying
// must wait (copy_conflicts.cc): every Read returns whole blocks (AWUN = 0h,
// NVMe Base 2.0c 2.1.4.1) and every command completes once, successfully.
// Under -fsanitize=thread (./nvmev test --tier tsan) it must report no race.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "threaded_host.h"
#include "threaded_queue_pair.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr uint32_t kEntries = 32;
constexpr unsigned kDepth = 8;
constexpr uint32_t kBlock = 512;
constexpr uint64_t kHotBlocks = 32;
constexpr uint32_t kMaxNlb = 8;  // 4 KiB: PRP1 only
constexpr uint64_t kAdminSq = 0x10000, kAdminCq = 0x20000, kIoSq = 0x30000, kIoCq = 0x40000;
constexpr uint64_t kData = 0x800000;

struct Outcome {
    std::atomic<uint64_t> completed{0}, torn_blocks{0}, bad_status{0}, unknown_cid{0}, lost{0};
};

struct Member {
    ThreadedHost host;
    NvmevHostOps ops{};
    NvmevCore *core = nullptr;

    ~Member() { nvmev_core_free(core); }
    uint32_t csts() { return static_cast<uint32_t>(nvmev_core_mmio_read(core, NVME_REG_CSTS, 4)); }
    // The admin command's status; this thread serves the controller.
    uint16_t admin(ThreadedQueuePair &q, const Sqe &s)
    {
        q.submit(s);
        for (int i = 0; i < 10'000; i++) {
            nvmev_core_process(core, 0);
            host.fire_due_timer(core, 0);
            if (auto c = q.reap()) {
                return c->status >> 1;
            }
            host.now_ns += 1000;
        }
        ADD_FAILURE() << "admin command " << int(s.opcode) << " never completed";
        return 0xffff;
    }
    // Enabled, with I/O queue pair 1.
    void bring_up()
    {
        nvmev_core_set_msix(core, 1);
        nvmev_core_mmio_write(core, NVME_REG_AQA, (kEntries - 1) | ((kEntries - 1) << 16), 4);
        nvmev_core_mmio_write(core, NVME_REG_ASQ, kAdminSq, 8);
        nvmev_core_mmio_write(core, NVME_REG_ACQ, kAdminCq, 8);
        nvmev_core_mmio_write(core, NVME_REG_CC, 1 | (6 << 16) | (4 << 20), 4);
        ASSERT_EQ(csts() & 1, 1u);
        ThreadedQueuePair a(host, core, 0, kEntries, kAdminSq, kAdminCq);
        Sqe cq{};
        cq.opcode = nvme_admin_create_cq;
        cq.prp1 = kIoCq;
        cq.cdw10 = 1 | ((kEntries - 1) << 16);
        cq.cdw11 = 1 | 2 | (1u << 16);
        ASSERT_EQ(admin(a, cq), 0);
        Sqe sq{};
        sq.opcode = nvme_admin_create_sq;
        sq.prp1 = kIoSq;
        sq.cdw10 = 1 | ((kEntries - 1) << 16);
        sq.cdw11 = 1 | (1u << 16);
        ASSERT_EQ(admin(a, sq), 0);
    }
};

class SubsystemStressTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        subsys_ = nvmev_subsys_new("nqn.2026-12.io.nvmev:subsys:stress");
        ASSERT_NE(subsys_, nullptr);
        NvmevConfig c{};
        c.ssd = "nvm";
        c.capacity_bytes = 8 << 20;
        c.lba_size = -1;
        c.mdts = -1;
        c.max_ioqpairs = 1;
        c.read_latency_ns = c.write_latency_ns = 3000;
        c.read_bandwidth_mbps = c.write_bandwidth_mbps = -1;
        c.msix_vectors = 2;
        c.serial = "SN-STRESS";
        c.subsys = subsys_;
        NvmevLayout layout{};
        char *err = nullptr;
        ASSERT_EQ(nvmev_core_layout(&c, &layout, &err), 0) << err;
        backing_.assign(layout.data_bytes + layout.metadata_bytes, 0);
        for (unsigned i = 0; i < 2; i++) {
            m_[i] = std::make_unique<Member>();
            m_[i]->ops = m_[i]->host.ops();
            // The first creates the shared namespace on the backing store.
            m_[i]->core = nvmev_core_new(&c, &m_[i]->ops, &m_[i]->host,
                                         i == 0 ? backing_.data() : nullptr, &err);
            ASSERT_NE(m_[i]->core, nullptr) << err;
            m_[i]->bring_up();
        }
    }
    void TearDown() override
    {
        m_[0].reset();
        m_[1].reset();
        nvmev_subsys_free(subsys_);
    }

    void worker(unsigned w, unsigned commands)
    {
        Member &m = *m_[w];
        ThreadedQueuePair qp(m.host, m.core, 1, kEntries, kIoSq, kIoCq);
        InFlight<kDepth> inflight;
        std::mt19937 rng(77 + w);
        uint32_t seq = 0;
        for (uint64_t it = 0; it < 4'000'000 && (seq < commands || inflight.count()); it++) {
            for (unsigned s = 0; seq < commands && s < kDepth && !qp.full(); s++) {
                if (!inflight.busy(s)) {
                    issue(qp, inflight, m, w, s, rng, ++seq);
                }
            }
            nvmev_core_process(m.core, 0);
            m.host.fire_due_timer(m.core, 0);
            while (auto c = qp.reap()) {
                if (const auto cmd = inflight.take(*c)) {
                    check(*c, m, c->cid % kDepth, cmd->opcode, cmd->nlb);
                } else {
                    out_.unknown_cid++;
                }
            }
            m.host.now_ns += 500;
        }
        out_.lost += inflight.count();
    }

    void issue(ThreadedQueuePair &qp, InFlight<kDepth> &inflight, Member &m, unsigned w, unsigned s,
               std::mt19937 &rng, uint32_t seq)
    {
        const uint32_t nlb = 1 + rng() % kMaxNlb;
        const uint64_t slba = rng() % (kHotBlocks - nlb + 1);
        const uint8_t op = rng() % 2 ? nvme_cmd_write : nvme_cmd_read;
        if (op == nvme_cmd_write) {
            m.host.put_block_words(kData + s * 4096ull, nlb, kBlock, ((w + 1) << 24) | seq);
        }
        Sqe e{};
        e.opcode = op;
        e.nsid = 1;
        e.cid = static_cast<uint16_t>(s + kDepth * (seq % 64));
        e.prp1 = kData + s * 4096ull;
        e.cdw10 = static_cast<uint32_t>(slba);
        e.cdw12 = nlb - 1;
        qp.submit(e);
        inflight.put(s, op, nlb);
    }

    void check(const Cqe &c, Member &m, unsigned s, uint8_t opcode, uint32_t nlb)
    {
        if (((c.status >> 1) & 0x7ff) != 0) {
            out_.bad_status++;
            return;
        }
        out_.completed++;
        if (opcode != nvme_cmd_read) {
            return;
        }
        out_.torn_blocks += m.host.torn_blocks(kData + s * 4096ull, nlb, kBlock);
    }

    NvmevSubsys *subsys_ = nullptr;
    std::vector<uint8_t> backing_;
    std::unique_ptr<Member> m_[2];
    Outcome out_;
};

}  // namespace

TEST_F(SubsystemStressTest, TwoControllersOnTheSameBlocksSeeWholeBlocksAndEveryCompletion)
{
    constexpr unsigned kCommands = 20'000;  // per controller
    std::thread a([&] { worker(0, kCommands); });
    std::thread b([&] { worker(1, kCommands); });
    a.join();
    b.join();
    EXPECT_EQ(out_.torn_blocks, 0u);
    EXPECT_EQ(out_.bad_status, 0u);
    EXPECT_EQ(out_.unknown_cid, 0u);
    EXPECT_EQ(out_.lost, 0u);
    EXPECT_EQ(out_.completed, 2 * kCommands);
    EXPECT_EQ(m_[0]->host.dma_failures + m_[1]->host.dma_failures, 0u);
}
