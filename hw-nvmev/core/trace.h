// Typed trace points (nvmev_core.h: NvmevTraceId, NvmevTraceEvent;
// docs/tracing.md). Each call site is one call here. A trace point that is
// off costs a load of the host's trace mask and a predictable branch; the
// event is built only when it is on, and nothing is ever formatted: the
// host (QEMU's generated trace functions) does that.
#pragma once

#include <cstdint>

#include "../ftl/ftl.h"  // via the hw-nvmev/ftl link
#include "../ftl/zone_state_machine.h"
#include "host.h"
#include "spec.h"

namespace nvmev::trace {

inline NvmevTraceEvent event(NvmevTraceId id, uint32_t nsid = 0)
{
    NvmevTraceEvent ev{};
    ev.id = id;
    ev.nsid = nsid;
    return ev;
}

// Reports event id, its fields set by fill(ev.u), when the host wants it.
template <typename Fill>
inline void report(const Host &h, NvmevTraceId id, uint32_t nsid, Fill fill)
{
    if (h.tracing(id)) [[unlikely]] {
        NvmevTraceEvent ev = event(id, nsid);
        fill(ev.u);
        h.trace(ev);
    }
}

// ---- Commands. The per-command pair is out of line (trace.cc), so the
// hot path keeps only the test.

void emit_submit(const Host &h, uint16_t sqid, const Sqe &sqe, int64_t at_ns, int64_t due_ns);
void emit_complete(const Host &h, uint16_t sqid, uint16_t cid, uint16_t status, int64_t due_ns,
                   int64_t now_ns);
void emit_err_cmd(const Host &h, uint16_t sqid, const Sqe &sqe, uint16_t status);

// A command fetched at at_ns executed; due_ns: its model completion time
// (0: at once).
inline void submit(const Host &h, uint16_t sqid, const Sqe &sqe, int64_t at_ns, int64_t due_ns)
{
    if (h.tracing(NVMEV_TRACE_SUBMIT)) [[unlikely]] {
        emit_submit(h, sqid, sqe, at_ns, due_ns);
    }
}
// A completion posted at now_ns; due_ns: when the model let it complete.
inline void complete(const Host &h, uint16_t sqid, uint16_t cid, uint16_t status, int64_t due_ns,
                     int64_t now_ns)
{
    if (h.tracing(NVMEV_TRACE_COMPLETE)) [[unlikely]] {
        emit_complete(h, sqid, cid, status, due_ns, now_ns);
    }
}
inline void err_cmd(const Host &h, uint16_t sqid, const Sqe &sqe, uint16_t status)
{
    if (h.tracing(NVMEV_TRACE_ERR_CMD)) [[unlikely]] {
        emit_err_cmd(h, sqid, sqe, status);
    }
}

// ---- Queues.

inline void create_sq(const Host &h, uint16_t qid, uint32_t size, uint16_t cqid)
{
    report(h, NVMEV_TRACE_CREATE_SQ, 0, [&](auto &u) {
        u.queue.qid = qid;
        u.queue.size = size;
        u.queue.cqid = cqid;
    });
}
inline void create_cq(const Host &h, uint16_t qid, uint32_t size, uint16_t vector, bool ien)
{
    report(h, NVMEV_TRACE_CREATE_CQ, 0, [&](auto &u) {
        u.queue.qid = qid;
        u.queue.size = size;
        u.queue.vector = vector;
        u.queue.irq_enabled = ien;
    });
}
inline void delete_queue(const Host &h, NvmevTraceId id, uint16_t qid)
{
    report(h, id, 0, [&](auto &u) { u.queue.qid = qid; });
}
inline void delete_sq(const Host &h, uint16_t qid)
{
    delete_queue(h, NVMEV_TRACE_DELETE_SQ, qid);
}
inline void delete_cq(const Host &h, uint16_t qid)
{
    delete_queue(h, NVMEV_TRACE_DELETE_CQ, qid);
}

// ---- Controller state.

inline void enable(const Host &h, uint64_t asq, uint32_t asqs, uint64_t acq, uint32_t acqs)
{
    report(h, NVMEV_TRACE_ENABLE, 0, [&](auto &u) {
        u.ctrl.asq = asq;
        u.ctrl.asqs = asqs;
        u.ctrl.acq = acq;
        u.ctrl.acqs = acqs;
    });
}
// Disable, shutdown and reset: the CC value.
inline void ctrl(const Host &h, NvmevTraceId id, uint32_t cc)
{
    report(h, id, 0, [&](auto &u) { u.ctrl.cc = cc; });
}
inline void disable(const Host &h, uint32_t cc)
{
    ctrl(h, NVMEV_TRACE_DISABLE, cc);
}
inline void shutdown(const Host &h, uint32_t cc)
{
    ctrl(h, NVMEV_TRACE_SHUTDOWN, cc);
}
inline void ctrl_reset(const Host &h, uint32_t cc)
{
    ctrl(h, NVMEV_TRACE_CTRL_RESET, cc);
}
inline void err_fatal(const Host &h, const char *reason)
{
    report(h, NVMEV_TRACE_ERR_FATAL, 0, [&](auto &u) { u.ctrl.reason = reason; });
}

// ---- Doorbells and registers.

// An invalid doorbell value: an SQ tail or CQ head (cq), written or read
// from the shadow buffer; the queue's size and current tail.
inline void err_doorbell(const Host &h, uint64_t qid, bool cq, bool shadow, uint32_t value,
                         uint32_t size, uint32_t tail)
{
    report(h, NVMEV_TRACE_ERR_DOORBELL, 0, [&](auto &u) {
        u.doorbell.qid = static_cast<uint16_t>(qid);
        u.doorbell.cq = cq;
        u.doorbell.shadow = shadow;
        u.doorbell.value = value;
        u.doorbell.size = size;
        u.doorbell.tail = tail;
    });
}
// The doorbell of a queue that does not exist. qid may exceed 16 bits
// (any offset in BAR0): it is clamped to 65535.
inline void err_doorbell_queue(const Host &h, uint64_t qid, bool cq, uint32_t value)
{
    report(h, NVMEV_TRACE_ERR_DOORBELL_QUEUE, 0, [&](auto &u) {
        u.doorbell.qid = static_cast<uint16_t>(qid > UINT16_MAX ? UINT16_MAX : qid);
        u.doorbell.cq = cq;
        u.doorbell.value = value;
    });
}
// Register accesses: offset, size (bytes) and, for writes, the value.
inline void mmio(const Host &h, NvmevTraceId id, uint64_t offset, unsigned size, uint64_t value)
{
    report(h, id, 0, [&](auto &u) {
        u.mmio.offset = offset;
        u.mmio.size = size;
        u.mmio.value = value;
    });
}
inline void ub_doorbell(const Host &h, uint64_t offset, uint32_t value)
{
    mmio(h, NVMEV_TRACE_UB_DOORBELL, offset, 4, value);
}
inline void ub_mmio_read(const Host &h, uint64_t offset, unsigned size)
{
    mmio(h, NVMEV_TRACE_UB_MMIO_READ, offset, size, 0);
}
inline void ub_mmio_write(const Host &h, uint64_t offset, unsigned size, uint64_t value)
{
    mmio(h, NVMEV_TRACE_UB_MMIO_WRITE, offset, size, value);
}
inline void ub_mmio_write_ro(const Host &h, uint64_t offset, uint32_t value)
{
    mmio(h, NVMEV_TRACE_UB_MMIO_WRITE_RO, offset, 4, value);
}
inline void ub_mmio_write_aq(const Host &h, uint64_t offset, uint32_t value)
{
    mmio(h, NVMEV_TRACE_UB_MMIO_WRITE_AQ, offset, 4, value);
}
inline void dbbuf(const Host &h, uint64_t shadow, uint64_t eventidx)
{
    report(h, NVMEV_TRACE_DBBUF, 0, [&](auto &u) {
        u.dbbuf.shadow = shadow;
        u.dbbuf.eventidx = eventidx;
    });
}

// ---- Asynchronous events and namespaces.

inline void async_event(const Host &h, uint8_t type, uint8_t info, uint8_t log_page)
{
    report(h, NVMEV_TRACE_ASYNC_EVENT, 0, [&](auto &u) {
        u.aer.type = type;
        u.aer.info = info;
        u.aer.log_page = log_page;
    });
}
inline void ns(const Host &h, NvmevTraceId id, uint32_t nsid, uint64_t nsze = 0)
{
    report(h, id, nsid, [&](auto &u) { u.ns.nsze = nsze; });
}
inline void ns_attach(const Host &h, uint32_t nsid, bool attach)
{
    ns(h, attach ? NVMEV_TRACE_NS_ATTACH : NVMEV_TRACE_NS_DETACH, nsid);
}
inline void ns_create(const Host &h, uint32_t nsid, uint64_t nsze)
{
    ns(h, NVMEV_TRACE_NS_CREATE, nsid, nsze);
}
inline void ns_delete(const Host &h, uint32_t nsid)
{
    ns(h, NVMEV_TRACE_NS_DELETE, nsid);
}
inline void ns_changed(const Host &h, uint32_t nsid)
{
    ns(h, NVMEV_TRACE_NS_CHANGED, nsid);
}

// ---- Zones and GC.

inline void zone(const Host &h, NvmevTraceId id, uint32_t nsid, uint64_t zone, uint8_t from,
                 uint8_t to)
{
    report(h, id, nsid, [&](auto &u) {
        u.zone.zone = zone;
        u.zone.from = from;
        u.zone.to = to;
    });
}
// Fault injection made the zone `to` (a ZoneState); the transition itself
// is a zone_state event.
inline void zone_fault(const Host &h, uint32_t nsid, uint64_t zone_id, ftl::ZoneState to)
{
    zone(h, NVMEV_TRACE_ZONE_FAULT, nsid, zone_id, 0, static_cast<uint8_t>(to));
}

// Forwards one namespace's FTL events (GC runs, zone state transitions) to
// the host. A namespace owns one; it holds no state but where to send.
class FtlTracer final : public ftl::FtlObserver {
public:
    FtlTracer(const Host *host, uint32_t nsid) : host_(host), nsid_(nsid) {}
    void set_host(const Host *host) { host_ = host; }

    void gc_start(uint32_t partition, uint32_t line, uint32_t valid, uint32_t free_lines,
                  bool background, int64_t now_ns) override;
    void gc_end(uint32_t partition, uint32_t line, uint32_t copied, uint32_t free_lines,
                int64_t erased_ns) override;
    void zone_state(uint32_t zone_id, uint8_t from, uint8_t to) override
    {
        zone(*host_, NVMEV_TRACE_ZONE_STATE, nsid_, zone_id, from, to);
    }

private:
    const Host *host_;
    uint32_t nsid_;
};

}  // namespace nvmev::trace
