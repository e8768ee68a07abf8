// The core's view of its host: a thin C++ face over NvmevHostOps.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <cstdio>

#include "nvmev_core.h"

namespace nvmev {

class Host {
public:
    Host(const NvmevHostOps &ops, void *opaque) : ops_(ops), opaque_(opaque) {}

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

    // Events named *_err_* report guest errors; the adapter logs them with
    // LOG_GUEST_ERROR as well as tracing them.
    __attribute__((format(printf, 3, 4))) void trace(const char *event, const char *fmt, ...) const
    {
        if (!ops_.trace) {
            return;
        }
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        std::vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        ops_.trace(opaque_, event, msg);
    }

private:
    NvmevHostOps ops_;
    void *opaque_;
};

}  // namespace nvmev
