#include "fake_host.h"

#include <stdexcept>

namespace nvmev::test {
namespace {

FakeHost *self(void *opaque)
{
    return static_cast<FakeHost *>(opaque);
}

int dma_read(void *opaque, uint64_t addr, void *buf, uint64_t len)
{
    FakeHost *h = self(opaque);
    if (h->on_dma) {
        h->on_dma(addr, len, false);
    }
    if (addr > h->ram.size() || len > h->ram.size() - addr) {
        return -1;
    }
    std::memcpy(buf, h->ram.data() + addr, len);
    return 0;
}

int dma_write(void *opaque, uint64_t addr, const void *buf, uint64_t len)
{
    FakeHost *h = self(opaque);
    if (h->on_dma) {
        h->on_dma(addr, len, true);
    }
    if (addr > h->ram.size() || len > h->ram.size() - addr) {
        return -1;
    }
    std::memcpy(h->ram.data() + addr, buf, len);
    return 0;
}

void irq_assert(void *opaque, uint16_t vector)
{
    self(opaque)->irqs[vector]++;
    self(opaque)->intx_level = true;
}
void irq_deassert(void *opaque, uint16_t)
{
    self(opaque)->intx_level = false;
}
int64_t clock_now(void *opaque)
{
    return self(opaque)->now_ns;
}
void arm_timer(void *opaque, unsigned group, int64_t deadline)
{
    self(opaque)->deadline(group) = deadline;
}
void kick(void *opaque, unsigned group)
{
    FakeHost *h = self(opaque);
    h->kicks++;
    if (group >= h->group_kicks.size()) {
        h->group_kicks.resize(group + 1, 0);
    }
    h->group_kicks[group]++;
}

void trace(void *opaque, const NvmevTraceEvent *ev)
{
    FakeHost *h = self(opaque);
    if (h->on_trace) {
        h->on_trace(*ev);
    }
    if (!h->record_trace || h->traced.size() >= h->trace_limit) {
        return;
    }
    FakeHost::Traced t{*ev, {}};
    if (ev->id == NVMEV_TRACE_ERR_FATAL && ev->u.ctrl.reason) {
        t.reason = ev->u.ctrl.reason;
        t.ev.u.ctrl.reason = nullptr;  // the core's string lives only during the call
    }
    h->traced.push_back(std::move(t));
}

void pmr_enable(void *opaque, int on)
{
    self(opaque)->pmr_enabled = on;
}
void pmr_flush(void *opaque)
{
    self(opaque)->pmr_flushes++;
}

}  // namespace

std::vector<NvmevTraceEvent> FakeHost::events(NvmevTraceId id) const
{
    std::vector<NvmevTraceEvent> out;
    for (const Traced &t : traced) {
        if (t.ev.id == id) {
            out.push_back(t.ev);
        }
    }
    return out;
}

FakeHost::FakeHost(uint64_t guest_ram_bytes) : ram(guest_ram_bytes, 0) {}

NvmevHostOps FakeHost::ops() const
{
    NvmevHostOps o{};
    o.dma_read = dma_read;
    o.dma_write = dma_write;
    o.irq_assert = irq_assert;
    o.irq_deassert = irq_deassert;
    o.now_ns = clock_now;
    o.arm_timer = arm_timer;
    o.kick = kick;
    o.trace = trace;
    o.pmr_enable = pmr_enable;
    o.pmr_flush = pmr_flush;
    return o;
}

uint32_t Driver::enable(uint32_t admin_entries, uint32_t css)
{
    // As a real driver does: a fresh admin CQ holds no stale phase bits.
    std::memset(host_.ram.data() + cq_base(0), 0, admin_entries * sizeof(Cqe));
    write32(NVME_REG_AQA, (admin_entries - 1) | ((admin_entries - 1) << 16));
    nvmev_core_mmio_write(core_, NVME_REG_ASQ, sq_base(0), 8);
    nvmev_core_mmio_write(core_, NVME_REG_ACQ, cq_base(0), 8);
    write32(NVME_REG_CC, 1 | (css << 4) | (6 << 16) | (4 << 20));
    queues_[0] = Queue{};
    queues_[0].entries = admin_entries;
    return reg32(NVME_REG_CSTS);
}

void Driver::disable()
{
    write32(NVME_REG_CC, reg32(NVME_REG_CC) & ~1u);
    queues_.clear();
}

uint16_t Driver::submit(uint16_t qid, Sqe sqe)
{
    Queue &q = queues_.at(qid);
    sqe.cid = q.next_cid++;
    host_.write(sq_base(qid) + q.sq_tail * sizeof(Sqe), sqe);
    q.sq_tail = (q.sq_tail + 1) % q.entries;
    write32(kDoorbellBase + 8 * qid, q.sq_tail);
    return sqe.cid;
}

void Driver::run(bool advance)
{
    for (int guard = 0; guard < 1000000; guard++) {
        for (unsigned g = 0; g < groups; g++) {
            nvmev_core_process(core_, g);
        }
        if (auto_reap) {
            reap_all();
        }
        unsigned next = 0;  // the group whose timer fires first
        for (unsigned g = 1; g < groups; g++) {
            next = host_.deadline(g) < host_.deadline(next) ? g : next;
        }
        const int64_t due = host_.deadline(next);
        if (due != INT64_MAX && due <= host_.now_ns) {
            host_.deadline(next) = INT64_MAX;  // a one-shot timer, as QEMU's
            nvmev_core_timer(core_, next);
            if (auto_reap) {
                reap_all();
            }
            continue;
        }
        if (!advance || due == INT64_MAX) {
            return;
        }
        host_.now_ns = due;
    }
    throw std::runtime_error("controller did not settle");
}

void Driver::reap_all()
{
    for (auto &[qid, q] : queues_) {
        while (auto c = take(qid)) {
            q.reaped.push_back(*c);
        }
    }
}

std::optional<Cqe> Driver::reap(uint16_t qid)
{
    Queue &q = queues_.at(qid);
    if (!q.reaped.empty()) {
        const Cqe c = q.reaped.front();
        q.reaped.erase(q.reaped.begin());
        return c;
    }
    return take(qid);
}

std::optional<Cqe> Driver::take(uint16_t qid)
{
    Queue &q = queues_.at(qid);
    const Cqe c = host_.read<Cqe>(cq_base(qid) + q.cq_head * sizeof(Cqe));
    if ((c.status & 1) != (q.phase ? 1 : 0)) {
        return std::nullopt;
    }
    q.cq_head = (q.cq_head + 1) % q.entries;
    if (q.cq_head == 0) {
        q.phase = !q.phase;
    }
    write32(kDoorbellBase + 8 * qid + 4, q.cq_head);
    log.push_back({c, host_.now_ns});
    return c;
}

Cqe Driver::call(uint16_t qid, Sqe sqe)
{
    const uint16_t cid = submit(qid, sqe);
    run();
    auto c = reap(qid);
    if (!c) {
        throw std::runtime_error("no completion");
    }
    if (c->cid != cid) {
        throw std::runtime_error("completion for another command");
    }
    return *c;
}

uint16_t Driver::create_io_queues(uint16_t qid, uint32_t entries, uint16_t vector)
{
    std::memset(host_.ram.data() + cq_base(qid), 0, entries * sizeof(Cqe));
    Sqe cq{};
    cq.opcode = nvme_admin_create_cq;
    cq.prp1 = cq_base(qid);
    cq.cdw10 = qid | ((entries - 1) << 16);
    cq.cdw11 = 1 | 2 | (uint32_t{vector} << 16);
    Cqe c = call(0, cq);
    if (status(c)) {
        return status(c);
    }
    Sqe sq{};
    sq.opcode = nvme_admin_create_sq;
    sq.prp1 = sq_base(qid);
    sq.cdw10 = qid | ((entries - 1) << 16);
    sq.cdw11 = 1 | (uint32_t{qid} << 16);
    c = call(0, sq);
    if (!status(c)) {
        queues_[qid] = Queue{};
        queues_[qid].entries = entries;
    }
    return status(c);
}

Sqe make_rw(uint8_t opcode, uint64_t slba, uint32_t nlb, uint64_t prp1, uint64_t prp2)
{
    Sqe s{};
    s.opcode = opcode;
    s.nsid = 1;
    s.prp1 = prp1;
    s.prp2 = prp2;
    s.cdw10 = static_cast<uint32_t>(slba);
    s.cdw11 = static_cast<uint32_t>(slba >> 32);
    s.cdw12 = nlb - 1;
    return s;
}

Sqe make_admin(uint8_t opcode, uint32_t cdw10, uint32_t cdw11)
{
    Sqe s{};
    s.opcode = opcode;
    s.cdw10 = cdw10;
    s.cdw11 = cdw11;
    s.prp1 = Driver::kDataBase;
    return s;
}

}  // namespace nvmev::test
