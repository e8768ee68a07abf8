#include "sim_host.h"

#include <cstring>

namespace nvmev::sim {
namespace {

SimHost *self(void *opaque)
{
    return static_cast<SimHost *>(opaque);
}

int dma_read(void *opaque, uint64_t addr, void *buf, uint64_t len)
{
    SimHost *h = self(opaque);
    if (addr > h->ram_bytes || len > h->ram_bytes - addr) {
        return -1;
    }
    if (h->copy_data || addr < h->data_base) {
        std::memcpy(buf, h->ram + addr, len);
    }
    return 0;
}

int dma_write(void *opaque, uint64_t addr, const void *buf, uint64_t len)
{
    SimHost *h = self(opaque);
    if (addr > h->ram_bytes || len > h->ram_bytes - addr) {
        return -1;
    }
    if (h->copy_data || addr < h->data_base) {
        std::memcpy(h->ram + addr, buf, len);
    }
    return 0;
}

// Polled queues: the driver looks at the CQs after every pass.
void irq(void *, uint16_t) {}
int64_t clock_now(void *opaque)
{
    return self(opaque)->now_ns;
}
void arm_timer(void *opaque, unsigned, int64_t deadline_ns)
{
    self(opaque)->deadline_ns = deadline_ns;
}
void kick(void *opaque, unsigned)
{
    self(opaque)->kicked = true;
}

}  // namespace

NvmevHostOps SimHost::ops() const
{
    NvmevHostOps o{};
    o.dma_read = dma_read;
    o.dma_write = dma_write;
    o.irq_assert = irq;
    o.irq_deassert = irq;
    o.now_ns = clock_now;
    o.arm_timer = arm_timer;
    o.kick = kick;
    return o;
}

QueuePair::QueuePair(SimHost &host, NvmevCore *core, uint16_t qid, uint32_t entries,
                     uint64_t sq_base, uint64_t cq_base)
    : host_(host), core_(core), qid_(qid), entries_(entries), sq_base_(sq_base), cq_base_(cq_base)
{
    std::memset(host_.ram + cq_base_, 0, uint64_t{entries_} * sizeof(Cqe));
}

Sqe &QueuePair::push()
{
    auto *sqe = reinterpret_cast<Sqe *>(host_.ram + sq_base_ + uint64_t{sq_tail_} * sizeof(Sqe));
    *sqe = Sqe{};
    if (++sq_tail_ == entries_) {
        sq_tail_ = 0;
    }
    pending_ = true;
    return *sqe;
}

bool QueuePair::ring()
{
    if (!pending_) {
        return false;
    }
    pending_ = false;
    nvmev_core_mmio_write(core_, kDoorbellBase + 8u * qid_, sq_tail_, 4);
    return true;
}

}  // namespace nvmev::sim
