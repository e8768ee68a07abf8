// The Persistent Memory Region's registers (NVMe 2.0c 3.1.4.15 PMRCAP,
// 3.1.4.16 PMRCTL, 3.1.4.17 PMRSTS; PMREBS, PMRSWTP and PMRMSC read 0).
#include "persistent_memory_region.h"

#include <nvme/types.h>

namespace nvmev {
namespace {

constexpr uint32_t kPmrstsNrdy = 1u << 8;  // PMRSTS.NRDY (bit 8)
// PMRCAP.PMRWBM (bits 13:10), bit 1: reads of PMRSTS are the write barrier.
constexpr uint32_t kPmrwbmPmrstsRead = 2;

}  // namespace

uint32_t PersistentMemoryRegion::pmrcap() const
{
    if (!present()) {
        return 0;
    }
    // Read and write data support; the BAR; PMRTU 500 ms, PMRTO 1 unit
    // (the PMR is ready as soon as it is enabled); PMRWBM bit 1: a read of
    // PMRSTS makes the earlier PMR writes persistent (it msyncs), which a
    // host learns only from this bit; no controller memory space (CMSS 0).
    return (1u << NVME_PMRCAP_RDS_SHIFT) | (1u << NVME_PMRCAP_WDS_SHIFT) |
           (kBar << NVME_PMRCAP_BIR_SHIFT) | (kPmrwbmPmrstsRead << NVME_PMRCAP_PMRWMB_SHIFT) |
           (NVME_PMRCAP_PMRTU_500MS << NVME_PMRCAP_PMRTU_SHIFT) | (1u << NVME_PMRCAP_PMRTO_SHIFT);
}

uint32_t PersistentMemoryRegion::read_pmrsts() const
{
    if (!present()) {
        return 0;
    }
    host_.pmr_flush();
    // ERR 0, HSTS 000b (normal operation), CBAI 0; NRDY while disabled.
    return enabled_ ? 0 : kPmrstsNrdy;
}

void PersistentMemoryRegion::write_pmrctl(uint32_t value)
{
    if (!present()) {
        return;
    }
    const bool on = value & 1;
    if (on != enabled_) {
        enabled_ = on;
        host_.pmr_enable(on);
    }
}

void PersistentMemoryRegion::reset()
{
    if (present() && enabled_) {
        enabled_ = false;
        host_.pmr_enable(false);
    }
}

}  // namespace nvmev
