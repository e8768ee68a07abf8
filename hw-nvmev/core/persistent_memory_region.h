// The Persistent Memory Region (NVMe 2.0c 3.1.4.15-3.1.4.21 and 8.2.2):
// memory on the controller, in a BAR of its own, whose contents survive a
// power cycle. The adapter maps a memory backend as the BAR; this class
// holds the registers. The PMR has no controller memory space here
// (PMRCAP.CMSS = 0): commands never address it, the host reaches it only
// through its BAR.
#pragma once

#include <cstdint>

#include "host.h"

namespace nvmev {

class PersistentMemoryRegion {
public:
    static constexpr uint32_t kBar = 5;  // PMRCAP.BIR: 32-bit BAR 5

    explicit PersistentMemoryRegion(const Host &host) : host_(host) {}
    void configure(uint64_t size) { size_ = size; }
    bool present() const { return size_ != 0; }

    uint32_t pmrcap() const;
    uint32_t pmrctl() const { return enabled_ ? 1u : 0u; }
    // Reading PMRSTS is how a host makes its earlier writes to the PMR
    // persistent (8.2.2.1): the host flushes the backend before answering.
    uint32_t read_pmrsts() const;
    void write_pmrctl(uint32_t value);
    // Conventional reset: PMRCTL.EN clears (the PMR is disabled).
    void reset();

private:
    const Host &host_;
    uint64_t size_ = 0;
    bool enabled_ = false;
};

}  // namespace nvmev
