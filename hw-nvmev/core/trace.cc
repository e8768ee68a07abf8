// The out-of-line half of the trace points (trace.h) and the names the
// C ABI offers for them.
#include "trace.h"

#include <iterator>

namespace nvmev::trace {
namespace {

// Indexed by NvmevTraceId: the QEMU trace event each one becomes.
constexpr const char *kNames[] = {
    "nvmev_submit",           "nvmev_complete",
    "nvmev_err_cmd",          "nvmev_create_sq",
    "nvmev_create_cq",        "nvmev_delete_sq",
    "nvmev_delete_cq",        "nvmev_enable",
    "nvmev_disable",          "nvmev_shutdown",
    "nvmev_ctrl_reset",       "nvmev_err_fatal",
    "nvmev_err_doorbell",     "nvmev_err_doorbell_queue",
    "nvmev_ub_doorbell",      "nvmev_ub_mmio_read",
    "nvmev_ub_mmio_write",    "nvmev_ub_mmio_write_ro",
    "nvmev_ub_mmio_write_aq", "nvmev_dbbuf",
    "nvmev_async_event",      "nvmev_ns_attach",
    "nvmev_ns_detach",        "nvmev_ns_create",
    "nvmev_ns_delete",        "nvmev_ns_changed",
    "nvmev_zone_state",       "nvmev_zone_fault",
    "nvmev_gc_start",         "nvmev_gc_end",
};
static_assert(std::size(kNames) == NVMEV_TRACE_COUNT, "a name per NvmevTraceId");
static_assert(NVMEV_TRACE_COUNT <= 64, "the trace mask has 64 bits");

// The fields every command event carries, from its SQE: NLB and SLBA are
// where the I/O commands that have them keep them (raw for the others).
NvmevTraceEvent cmd_event(NvmevTraceId id, uint16_t sqid, const Sqe &sqe)
{
    NvmevTraceEvent ev = event(id, sqe.nsid);
    ev.u.cmd.sqid = sqid;
    ev.u.cmd.cid = sqe.cid;
    ev.u.cmd.opcode = sqe.opcode;
    ev.u.cmd.slba = sqe.cdw10 | uint64_t{sqe.cdw11} << 32;
    ev.u.cmd.nlb = (sqe.cdw12 & 0xffff) + 1;
    return ev;
}

}  // namespace

void emit_submit(const Host &h, uint16_t sqid, const Sqe &sqe, int64_t at_ns, int64_t due_ns)
{
    NvmevTraceEvent ev = cmd_event(NVMEV_TRACE_SUBMIT, sqid, sqe);
    ev.u.cmd.at_ns = at_ns;
    ev.u.cmd.due_ns = due_ns;
    h.trace(ev);
}

void emit_complete(const Host &h, uint16_t sqid, uint16_t cid, uint16_t status, int64_t due_ns,
                   int64_t now_ns)
{
    NvmevTraceEvent ev = event(NVMEV_TRACE_COMPLETE);
    ev.u.cmd.sqid = sqid;
    ev.u.cmd.cid = cid;
    ev.u.cmd.status = status;
    ev.u.cmd.due_ns = due_ns;
    ev.u.cmd.late_ns = now_ns > due_ns ? now_ns - due_ns : 0;
    h.trace(ev);
}

void emit_err_cmd(const Host &h, uint16_t sqid, const Sqe &sqe, uint16_t status)
{
    NvmevTraceEvent ev = cmd_event(NVMEV_TRACE_ERR_CMD, sqid, sqe);
    ev.u.cmd.status = status;
    h.trace(ev);
}

void FtlTracer::gc_start(uint32_t partition, uint32_t line, uint32_t valid, uint32_t free_lines,
                         bool background, int64_t now_ns)
{
    report(*host_, NVMEV_TRACE_GC_START, nsid_, [&](auto &u) {
        u.gc.partition = partition;
        u.gc.line = line;
        u.gc.pages = valid;
        u.gc.free_lines = free_lines;
        u.gc.background = background;
        u.gc.time_ns = now_ns;
    });
}

void FtlTracer::gc_end(uint32_t partition, uint32_t line, uint32_t copied, uint32_t free_lines,
                       int64_t erased_ns)
{
    report(*host_, NVMEV_TRACE_GC_END, nsid_, [&](auto &u) {
        u.gc.partition = partition;
        u.gc.line = line;
        u.gc.pages = copied;
        u.gc.free_lines = free_lines;
        u.gc.time_ns = erased_ns;
    });
}

}  // namespace nvmev::trace

extern "C" const char *nvmev_core_trace_name(unsigned id)
{
    return id < std::size(nvmev::trace::kNames) ? nvmev::trace::kNames[id] : nullptr;
}

extern "C" const char *nvmev_core_zone_state_name(unsigned state)
{
    switch (state) {
        case NVME_ZNS_ZS_EMPTY: return "empty";
        case NVME_ZNS_ZS_IMPL_OPEN: return "implicitly-open";
        case NVME_ZNS_ZS_EXPL_OPEN: return "explicitly-open";
        case NVME_ZNS_ZS_CLOSED: return "closed";
        case NVME_ZNS_ZS_READ_ONLY: return "read-only";
        case NVME_ZNS_ZS_FULL: return "full";
        case NVME_ZNS_ZS_OFFLINE: return "offline";
        default: return "?";
    }
}
