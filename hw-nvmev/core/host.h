// The core's view of its host: a thin C++ face over NvmevHostOps.
#pragma once

#include <atomic>
#include <cstdint>

#include "nvmev_core.h"

namespace nvmev {

class Host {
public:
    Host(const NvmevHostOps &ops, void *opaque)
        : ops_(ops), opaque_(opaque), trace_mask_(ops.trace ? NVMEV_TRACE_ALL : 0)
    {
    }
    Host(const Host &o)
        : ops_(o.ops_),
          opaque_(o.opaque_),
          trace_mask_(o.trace_mask_.load(std::memory_order_relaxed))
    {
    }

    bool dma_read(uint64_t addr, void *buf, uint64_t len) const
    {
        return ops_.dma_read(opaque_, addr, buf, len) == 0;
    }
    bool dma_write(uint64_t addr, const void *buf, uint64_t len) const
    {
        return ops_.dma_write(opaque_, addr, buf, len) == 0;
    }
    void irq_assert(uint16_t vector) const { ops_.irq_assert(opaque_, vector); }
    void irq_deassert(uint16_t vector) const
    {
        if (ops_.irq_deassert) {
            ops_.irq_deassert(opaque_, vector);
        }
    }
    int64_t now_ns() const { return ops_.now_ns(opaque_); }
    void arm_timer(unsigned group, int64_t deadline_ns) const
    {
        ops_.arm_timer(opaque_, group, deadline_ns);
    }
    void kick(unsigned group) const { ops_.kick(opaque_, group); }

    // Whether event id is reported: the whole cost of a trace point that is
    // off (trace.h). Relaxed: the mask is a hint from the host, no data
    // hangs on it.
    bool tracing(NvmevTraceId id) const
    {
        return (trace_mask_.load(std::memory_order_relaxed) >> id) & 1;
    }
    void set_trace_mask(uint64_t mask)
    {
        trace_mask_.store(ops_.trace ? mask & NVMEV_TRACE_ALL : 0, std::memory_order_relaxed);
    }
    void trace(const NvmevTraceEvent &ev) const { ops_.trace(opaque_, &ev); }

private:
    NvmevHostOps ops_;
    void *opaque_;
    std::atomic<uint64_t> trace_mask_;
};

}  // namespace nvmev
