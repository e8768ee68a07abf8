#include "bench_host.h"

#include <cstring>
#include <ctime>

namespace nvmev::bench {
namespace {

BenchHost *self(void *opaque)
{
    return static_cast<BenchHost *>(opaque);
}

int dma_read(void *opaque, uint64_t addr, void *buf, uint64_t len)
{
    BenchHost *h = self(opaque);
    if (addr > h->ram_bytes || len > h->ram_bytes - addr) {
        return -1;
    }
    std::memcpy(buf, h->ram + addr, len);
    return 0;
}

int dma_write(void *opaque, uint64_t addr, const void *buf, uint64_t len)
{
    BenchHost *h = self(opaque);
    if (addr > h->ram_bytes || len > h->ram_bytes - addr) {
        return -1;
    }
    std::memcpy(h->ram + addr, buf, len);
    return 0;
}

void irq_assert(void *opaque, uint16_t)
{
    self(opaque)->irqs.fetch_add(1, std::memory_order_relaxed);
}
int64_t clock_now(void *)
{
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1'000'000'000 + t.tv_nsec;
}
void arm_timer(void *opaque, unsigned group, int64_t deadline_ns)
{
    self(opaque)->deadline_ns[group].store(deadline_ns, std::memory_order_relaxed);
}
void kick(void *, unsigned) {}
void trace(void *opaque, const NvmevTraceEvent *)
{
    self(opaque)->trace_events.fetch_add(1, std::memory_order_relaxed);
}  // complete() calls process() until nothing is left

}  // namespace

NvmevHostOps BenchHost::ops() const
{
    NvmevHostOps o{};
    o.dma_read = dma_read;
    o.dma_write = dma_write;
    o.irq_assert = irq_assert;
    o.now_ns = clock_now;
    o.arm_timer = arm_timer;
    o.kick = kick;
    o.trace = trace;
    return o;
}

Sqe &QueuePair::next()
{
    auto *sqe = reinterpret_cast<Sqe *>(host_.ram + sq_base_ + uint64_t{sq_tail_} * sizeof(Sqe));
    *sqe = Sqe{};
    sqe->cid = next_cid_++;
    sq_tail_ = (sq_tail_ + 1) % depth_;
    return *sqe;
}

void QueuePair::ring()
{
    nvmev_core_mmio_write(core_, kDoorbellBase + 8u * qid_, sq_tail_, 4);
}

unsigned QueuePair::reap(int &errors)
{
    unsigned got = 0;
    for (;;) {
        const auto *cqe =
            reinterpret_cast<const Cqe *>(host_.ram + cq_base_ + uint64_t{cq_head_} * sizeof(Cqe));
        if ((cqe->status & 1) != (phase_ ? 1 : 0)) {
            return got;
        }
        last_status_ = cqe->status >> 1;
        errors += last_status_ != 0;
        got++;
        cq_head_ = (cq_head_ + 1) % depth_;
        if (cq_head_ == 0) {
            phase_ = !phase_;
        }
    }
}

int QueuePair::complete(unsigned n)
{
    int errors = 0;
    unsigned got = 0;
    for (int idle = 0; got < n;) {
        nvmev_core_process(core_, group_);
        const unsigned before = got;
        got += reap(errors);
        std::atomic<int64_t> &deadline = host_.deadline_ns[group_];
        if (got < n && deadline.load(std::memory_order_relaxed) != INT64_MAX) {
            // Poll until the deadline, as the IOThread's poll handler does
            // for near deadlines.
            while (clock_now(nullptr) < deadline.load(std::memory_order_relaxed)) {
            }
            deadline.store(INT64_MAX, std::memory_order_relaxed);  // one-shot, as QEMU's timers
            nvmev_core_timer(core_, group_);
            got += reap(errors);
        }
        idle = got == before ? idle + 1 : 0;
        if (idle > 1000) {
            return -1;
        }
    }
    nvmev_core_mmio_write(core_, kDoorbellBase + 8u * qid_ + 4, cq_head_, 4);
    return errors;
}

bool enable_with_io_queues(BenchHost &host, NvmevCore *core, uint64_t admin_base, uint32_t depth,
                           uint16_t pairs, uint64_t (*sq_base)(uint16_t),
                           uint64_t (*cq_base)(uint16_t))
{
    constexpr uint32_t kAdminDepth = 32;
    const uint64_t asq = admin_base, acq = admin_base + kPageSize;  // both page aligned
    std::memset(host.ram + acq, 0, kAdminDepth * sizeof(Cqe));
    nvmev_core_mmio_write(core, NVME_REG_AQA, (kAdminDepth - 1) | ((kAdminDepth - 1) << 16), 4);
    nvmev_core_mmio_write(core, NVME_REG_ASQ, asq, 8);
    nvmev_core_mmio_write(core, NVME_REG_ACQ, acq, 8);
    nvmev_core_mmio_write(core, NVME_REG_CC, 1 | (6 << 16) | (4 << 20), 4);
    if (!(nvmev_core_mmio_read(core, NVME_REG_CSTS, 4) & 1)) {
        return false;
    }
    QueuePair admin(host, core, 0, kAdminDepth, asq, acq);
    for (uint16_t q = 1; q <= pairs; q++) {
        std::memset(host.ram + cq_base(q), 0, depth * sizeof(Cqe));
        Sqe &cq = admin.next();
        cq.opcode = nvme_admin_create_cq;
        cq.prp1 = cq_base(q);
        cq.cdw10 = q | ((depth - 1) << 16);
        cq.cdw11 = 1 | 2 | (uint32_t{q} << 16);  // physically contiguous, interrupts on, vector q
        admin.ring();
        if (admin.complete(1) != 0) {
            return false;
        }
        Sqe &sq = admin.next();
        sq.opcode = nvme_admin_create_sq;
        sq.prp1 = sq_base(q);
        sq.cdw10 = q | ((depth - 1) << 16);
        sq.cdw11 = 1 | (uint32_t{q} << 16);  // physically contiguous, CQ q
        admin.ring();
        if (admin.complete(1) != 0) {
            return false;
        }
    }
    return true;
}

}  // namespace nvmev::bench
