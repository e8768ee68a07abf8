// Several threads drive one controller at once, as QEMU's IOThreads and vCPUs
// do: each worker serves its own queue group and submits on its own queue
// pair, all over the same few blocks, while a control thread aborts,
// retunes, queries, resets statistics and resets the controller. Built with
// -fsanitize=thread (./nvmev test --tier tsan) it must report no race. In
// any build it checks what a driver can see: every Read returns whole
// blocks (AWUN = 0h: a one-block write is atomic with respect to other
// commands, NVMe Base 2.0 section 2.1.4.1), every command completes exactly
// once with success or Command Abort Requested unless a reset dropped it,
// and no DMA leaves guest memory.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "threaded_host.h"
#include "threaded_queue_pair.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

using QueuePair = ThreadedQueuePair;
constexpr unsigned kWorkers = 2;  // queue groups, one I/O pair each
constexpr uint32_t kEntries = 32;
constexpr unsigned kDepth = 8;
constexpr uint32_t kBlock = 512;
constexpr uint64_t kHotBlocks = 64;  // every worker's commands land here
constexpr uint32_t kMaxNlb = 16;     // 8 KiB: PRP1 and PRP2, no list
constexpr uint16_t kAbortRequested = 0x07;

constexpr uint64_t sq_base(uint16_t qid)
{
    return 0x10000 + qid * 0x4000ull;
}
constexpr uint64_t cq_base(uint16_t qid)
{
    return 0x100000 + qid * 0x4000ull;
}
constexpr uint64_t kShadow = 0x200000, kEventIdx = 0x201000;
// Above the ring lock: data moves here with no lock around it.
constexpr uint64_t buffer(unsigned worker, unsigned slot)
{
    return 0x800000 + worker * 0x100000ull + slot * 0x4000ull;
}
constexpr uint64_t kAdminData = 0x400000;

struct Outcome {
    std::atomic<uint64_t> completed{0}, aborted{0}, torn_blocks{0}, bad_status{0};
    std::atomic<uint64_t> unknown_cid{0}, lost{0}, aborts_sent{0}, retunes{0};
};

class ThreadStressTest : public ::testing::TestWithParam<const char *> {
protected:
    void SetUp() override
    {
        NvmevConfig c{};
        c.ssd = GetParam();
        c.capacity_bytes = std::string(c.ssd) == "nvm" ? 8 << 20 : 64 << 20;
        c.lba_size = -1;
        c.mdts = -1;
        c.max_ioqpairs = kWorkers;
        c.read_latency_ns = std::string(c.ssd) == "nvm" ? 3000 : -1;
        c.write_latency_ns = std::string(c.ssd) == "nvm" ? 3000 : -1;
        c.read_bandwidth_mbps = -1;
        c.write_bandwidth_mbps = -1;
        c.msix_vectors = kWorkers + 1;
        NvmevLayout layout{};
        char *err = nullptr;
        ASSERT_EQ(nvmev_core_layout(&c, &layout, &err), 0) << err;
        backing_.assign(layout.data_bytes + layout.metadata_bytes, 0);
        ops_ = host_.ops();
        core_ = nvmev_core_new(&c, &ops_, &host_, backing_.data(), &err);
        ASSERT_NE(core_, nullptr) << err;
        nvmev_core_set_msix(core_, 1);
        static constexpr uint16_t kPairGroup[kWorkers] = {0, 1};
        ASSERT_EQ(nvmev_core_map_queues(core_, kWorkers, kPairGroup, kWorkers, &err), 0) << err;
    }
    void TearDown() override { nvmev_core_free(core_); }

    bool nvm() const { return std::string(GetParam()) == "nvm"; }
    // Clock steps per worker pass: a fraction of the kind's command time.
    int64_t tick_ns() const { return nvm() ? 250 : 2000; }
    uint32_t csts() { return static_cast<uint32_t>(nvmev_core_mmio_read(core_, NVME_REG_CSTS, 4)); }

    // With no worker running, this thread stands in for every group.
    void settle_once()
    {
        for (unsigned g = 0; g < kWorkers; g++) {
            nvmev_core_process(core_, g);
            host_.fire_due_timer(core_, g);
        }
        host_.now_ns += 1000;
    }
    uint16_t admin_call(QueuePair &admin, Sqe s, bool workers_running)
    {
        admin.submit(s);
        for (int i = 0; i < 1'000'000; i++) {
            if (auto c = admin.reap()) {
                return c->status >> 1;
            }
            if (workers_running) {
                std::this_thread::yield();  // worker 0 serves the admin queue
            } else {
                settle_once();
            }
        }
        ADD_FAILURE() << "admin command " << int(s.opcode) << " never completed";
        return 0xffff;
    }

    // Disabled, then enabled with both I/O pairs (and shadow doorbells).
    void bring_up(bool shadow)
    {
        nvmev_core_mmio_write(core_, NVME_REG_CC, 0, 4);
        for (int i = 0; i < 1000 && (csts() & 1); i++) {
            settle_once();
        }
        ASSERT_EQ(csts() & 1, 0u);
        std::vector<uint8_t> zeros(0x4000, 0);
        for (uint16_t q = 0; q <= kWorkers; q++) {
            host_.copy_in(cq_base(q), zeros.data(), zeros.size());
        }
        host_.copy_in(kShadow, zeros.data(), 0x2000);
        nvmev_core_mmio_write(core_, NVME_REG_AQA, (kEntries - 1) | ((kEntries - 1) << 16), 4);
        nvmev_core_mmio_write(core_, NVME_REG_ASQ, sq_base(0), 8);
        nvmev_core_mmio_write(core_, NVME_REG_ACQ, cq_base(0), 8);
        nvmev_core_mmio_write(core_, NVME_REG_CC, 1 | (6 << 16) | (4 << 20), 4);
        ASSERT_EQ(csts() & 1, 1u);
        admin_ = std::make_unique<QueuePair>(host_, core_, 0, kEntries, sq_base(0), cq_base(0));
        if (shadow) {
            Sqe d{};
            d.opcode = nvme_admin_dbbuf;
            d.prp1 = kShadow;
            d.prp2 = kEventIdx;
            ASSERT_EQ(admin_call(*admin_, d, false), 0);
        }
        for (uint16_t q = 1; q <= kWorkers; q++) {
            Sqe cq{};
            cq.opcode = nvme_admin_create_cq;
            cq.prp1 = cq_base(q);
            cq.cdw10 = q | ((kEntries - 1) << 16);
            cq.cdw11 = 1 | 2 | (uint32_t{q} << 16);
            ASSERT_EQ(admin_call(*admin_, cq, false), 0);
            Sqe sq{};
            sq.opcode = nvme_admin_create_sq;
            sq.prp1 = sq_base(q);
            sq.cdw10 = q | ((kEntries - 1) << 16);
            sq.cdw11 = 1 | (uint32_t{q} << 16);
            ASSERT_EQ(admin_call(*admin_, sq, false), 0);
        }
        shadow_ = shadow;
    }

    void worker(unsigned w, uint32_t seed, const std::atomic<bool> &stop, bool drain)
    {
        const auto qid = static_cast<uint16_t>(w + 1);
        QueuePair qp(host_, core_, qid, kEntries, sq_base(qid), cq_base(qid),
                     shadow_ ? kShadow : 0);
        InFlight<kDepth> inflight;
        std::mt19937 rng(seed);
        uint32_t seq = 0;
        for (uint64_t it = 0; it < 2'000'000; it++) {
            const bool stopping = stop.load();
            if (!(csts() & 1)) {
                return;  // reset: what was in flight is dropped
            }
            if (stopping && (!drain || inflight.count() == 0)) {
                return;  // a reset ends the round: what is in flight is dropped
            }
            for (unsigned s = 0; !stopping && s < kDepth && !qp.full(); s++) {
                if (!inflight.busy(s)) {
                    issue(qp, inflight, w, s, rng, ++seq);
                }
            }
            nvmev_core_process(core_, w);
            host_.fire_due_timer(core_, w);
            while (auto c = qp.reap()) {
                if (const auto cmd = inflight.take(*c)) {
                    check(*c, w, c->cid % kDepth, cmd->opcode, cmd->nlb);
                } else {
                    out_.unknown_cid++;
                }
            }
            host_.now_ns += tick_ns();
        }
        out_.lost += inflight.count();  // a drained round must complete everything
        ADD_FAILURE() << "worker " << w << " did not finish";
    }

    void issue(QueuePair &qp, InFlight<kDepth> &inflight, unsigned w, unsigned s, std::mt19937 &rng,
               uint32_t seq)
    {
        const uint32_t nlb = 1 + rng() % kMaxNlb;
        const uint64_t slba = rng() % (kHotBlocks - nlb + 1);
        const unsigned pick = rng() % 20;
        const uint8_t op = pick < 9    ? nvme_cmd_write
                           : pick < 18 ? nvme_cmd_read
                           : pick < 19 ? nvme_cmd_write_zeroes
                                       : nvme_cmd_flush;
        if (op == nvme_cmd_write) {
            host_.put_block_words(buffer(w, s), nlb, kBlock, ((w + 1) << 24) | (seq & 0xffffff));
        }
        Sqe e{};
        e.opcode = op;
        e.nsid = 1;
        e.cid = static_cast<uint16_t>(s + kDepth * (seq % 64));
        e.prp1 = buffer(w, s);
        e.prp2 = nlb * kBlock > 4096 ? buffer(w, s) + 4096 : 0;
        e.cdw10 = static_cast<uint32_t>(slba);
        e.cdw12 = nlb - 1;
        qp.submit(e);
        inflight.put(s, op, nlb);
    }

    void check(const Cqe &c, unsigned w, unsigned s, uint8_t opcode, uint32_t nlb)
    {
        const uint16_t status = (c.status >> 1) & 0x7ff;
        if (status == kAbortRequested) {
            out_.aborted++;
            return;
        }
        if (status != 0) {
            out_.bad_status++;
            return;
        }
        out_.completed++;
        if (opcode != nvme_cmd_read) {
            return;
        }
        out_.torn_blocks += host_.torn_blocks(buffer(w, s), nlb, kBlock);
    }

    // The control thread's mischief while the workers run.
    void control(std::mt19937 &rng, unsigned actions)
    {
        for (unsigned a = 0; a < actions; a++) {
            switch (rng() % 4) {
                case 0: {
                    NvmevParam p{nvm() ? "read-latency-ns" : "fw-read-4k-ns",
                                 1000 + int64_t(rng() % 4000)};
                    char *err = nullptr;
                    if (nvmev_core_set_timing(core_, &p, 1, &err) == 0) {
                        out_.retunes++;
                    }
                    nvmev_core_free_error(err);
                    break;
                }
                case 1: {
                    NvmevCoreInfo info{};
                    nvmev_core_get_info(core_, &info);
                    nvmev_core_reset_stats(core_);
                    break;
                }
                default: {
                    Sqe ab{};
                    ab.opcode = nvme_admin_abort_cmd;
                    ab.cdw10 = (1 + rng() % kWorkers) | ((rng() % (kDepth * 64)) << 16);
                    ab.prp1 = kAdminData;
                    admin_call(*admin_, ab, true);
                    out_.aborts_sent++;
                    break;
                }
            }
            std::this_thread::yield();
        }
    }

    // One round: workers run while the control thread acts; then either a
    // reset under way (CC.EN = 0 or a function-level reset) or a drain.
    void round(uint32_t seed, int ending)
    {
        std::atomic<bool> stop{false};
        std::vector<std::thread> ts;
        const bool drain = ending == 0;
        for (unsigned w = 0; w < kWorkers; w++) {
            ts.emplace_back([&, w] { worker(w, seed * 31 + w, stop, drain); });
        }
        std::mt19937 rng(seed);
        control(rng, 60);
        if (ending == 1) {
            nvmev_core_mmio_write(core_, NVME_REG_CC, 0, 4);
        } else if (ending == 2) {
            nvmev_core_reset(core_);
        }
        stop = true;
        for (auto &t : ts) {
            t.join();
        }
    }

    ThreadedHost host_;
    NvmevHostOps ops_{};
    std::vector<uint8_t> backing_;
    NvmevCore *core_ = nullptr;
    std::unique_ptr<QueuePair> admin_;
    bool shadow_ = false;
    Outcome out_;
};

}  // namespace

TEST_P(ThreadStressTest, WorkersSharingBlocksSeeWholeBlocksAndEveryCompletion)
{
    for (uint32_t r = 0; r < 6; r++) {
        bring_up(/*shadow=*/r % 2 == 1);
        round(1000 + r, /*ending=*/r % 3);
    }
    EXPECT_EQ(out_.torn_blocks, 0u);
    EXPECT_EQ(out_.bad_status, 0u);
    EXPECT_EQ(out_.unknown_cid, 0u);
    EXPECT_EQ(out_.lost, 0u);  // drained rounds get every completion
    EXPECT_EQ(host_.dma_failures, 0u);
    EXPECT_GT(out_.completed, 1000u);
    EXPECT_GT(out_.aborts_sent, 0u);
    EXPECT_GT(out_.retunes, 0u);
}

INSTANTIATE_TEST_SUITE_P(Kinds, ThreadStressTest, ::testing::Values("nvm", "conv"),
                         [](const auto &info) { return std::string(info.param); });
