// The core's view of its host: a thin C++ face over NvmevHostOps.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>

#include "controller_memory_buffer.h"
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
          trace_mask_(o.trace_mask_.load(std::memory_order_relaxed)),
          cmb_(o.cmb_)
    {
    }

    // Every controller access to a host address goes through these two, so
    // the CMB check below covers queues, PRP lists, SGLs, data and shadow
    // doorbells alike. Safe without the core's lock (copy_staged): the
    // CMB's window is one atomic word.
    bool dma_read(uint64_t addr, void *buf, uint64_t len) const
    {
        uint8_t *at = nullptr;
        switch (route(addr, len, at)) {
            case ControllerMemoryBuffer::Route::Cmb:
                std::memcpy(buf, at, len);
                cmb_->count(false, len);
                return true;
            case ControllerMemoryBuffer::Route::Straddle: return false;
            case ControllerMemoryBuffer::Route::Host: break;
        }
        return ops_.dma_read(opaque_, addr, buf, len) == 0;
    }
    bool dma_write(uint64_t addr, const void *buf, uint64_t len) const
    {
        uint8_t *at = nullptr;
        switch (route(addr, len, at)) {
            case ControllerMemoryBuffer::Route::Cmb:
                std::memcpy(at, buf, len);
                cmb_->count(true, len);
                return true;
            case ControllerMemoryBuffer::Route::Straddle: return false;
            case ControllerMemoryBuffer::Route::Host: break;
        }
        return ops_.dma_write(opaque_, addr, buf, len) == 0;
    }
    // The controller's CMB (set once, before the host runs).
    void attach_cmb(const ControllerMemoryBuffer *cmb) { cmb_ = cmb; }
    void pmr_enable(bool on) const
    {
        if (ops_.pmr_enable) {
            ops_.pmr_enable(opaque_, on);
        }
    }
    void pmr_flush() const
    {
        if (ops_.pmr_flush) {
            ops_.pmr_flush(opaque_);
        }
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
    ControllerMemoryBuffer::Route route(uint64_t addr, uint64_t len, uint8_t *&at) const
    {
        return cmb_ && cmb_->present() ? cmb_->route(addr, len, at)
                                       : ControllerMemoryBuffer::Route::Host;
    }

    NvmevHostOps ops_;
    void *opaque_;
    std::atomic<uint64_t> trace_mask_;
    const ControllerMemoryBuffer *cmb_ = nullptr;
};

}  // namespace nvmev
