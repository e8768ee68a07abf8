// The Controller Memory Buffer's registers and address routing (NVMe 2.0c
// 3.1.4.9 CMBLOC, 3.1.4.10 CMBSZ, 3.1.4.13 CMBMSC, 3.1.4.14 CMBSTS).
#include "controller_memory_buffer.h"

#include <nvme/types.h>

namespace nvmev {
namespace {

constexpr uint64_t kCbaMask = ~uint64_t{0xfff};
constexpr uint64_t kCre = uint64_t{1} << NVME_CMBMSC_CRE_SHIFT;
constexpr uint64_t kCmse = uint64_t{1} << NVME_CMBMSC_CMSE_SHIFT;

// The smallest size unit (4 KiB, 64 KiB, ... 64 GiB: x16 each) in which
// `size` is a whole number that fits CMBSZ.SZ's 20 bits.
uint32_t size_unit(uint64_t size)
{
    uint32_t szu = NVME_CMBSZ_SZU_4K;
    uint64_t unit = 4096;
    while (szu < NVME_CMBSZ_SZU_64G && (size % (unit * 16) == 0) &&
           size / unit > NVME_CMBSZ_SZ_MASK) {
        szu++;
        unit *= 16;
    }
    return szu;
}

}  // namespace

void ControllerMemoryBuffer::configure(uint8_t *mem, uint64_t size)
{
    mem_ = mem;
    size_ = mem ? size : 0;
}

uint32_t ControllerMemoryBuffer::cmbloc() const
{
    // With CAP.CMBS = 1 the CMB's location and size read as 0 until the
    // host sets CMBMSC.CRE (3.1.4.9): a host of NVMe 1.3 or older, which
    // does not know CMBMSC, then sees no CMB. The CMB starts the BAR.
    if (!present() || !(cmbmsc() & kCre)) {
        return 0;
    }
    return kBar << NVME_CMBLOC_BIR_SHIFT;
}

uint32_t ControllerMemoryBuffer::cmbsz() const
{
    if (!present() || !(cmbmsc() & kCre)) {
        return 0;
    }
    const uint32_t szu = size_unit(size_);
    const uint64_t sz = size_ >> (12 + 4 * szu);
    // Submission and completion queues, PRP lists and SGLs, read and write
    // data: every use is served, because every controller access is routed.
    const uint32_t uses = (1u << NVME_CMBSZ_SQS_SHIFT) | (1u << NVME_CMBSZ_CQS_SHIFT) |
                          (1u << NVME_CMBSZ_LISTS_SHIFT) | (1u << NVME_CMBSZ_RDS_SHIFT) |
                          (1u << NVME_CMBSZ_WDS_SHIFT);
    return uses | (szu << NVME_CMBSZ_SZU_SHIFT) | static_cast<uint32_t>(sz << NVME_CMBSZ_SZ_SHIFT);
}

void ControllerMemoryBuffer::write_cmbmsc(bool high, uint32_t value)
{
    if (!present()) {
        return;  // reserved without CAP.CMBS
    }
    uint64_t v = cmbmsc();
    if (high) {
        v = (v & 0xffffffffu) | (uint64_t{value} << 32);
    } else {
        v = (v & ~uint64_t{0xffffffff}) | (value & (kCbaMask | kCre | kCmse) & 0xffffffffu);
    }
    // CMSE needs CRE (3.1.4.13); a CBA whose range wraps the address space
    // is invalid: CMBSTS.CBAI is set and the memory space stays disabled.
    const uint64_t cba = v & kCbaMask;
    cbai_ = (v & kCmse) && cba + size_ < cba;
    if (!(v & kCre) || cbai_) {
        v &= ~kCmse;
    }
    cmbmsc_.store(v, std::memory_order_release);
}

void ControllerMemoryBuffer::reset()
{
    cmbmsc_.store(0, std::memory_order_release);
    cbai_ = false;
}

ControllerMemoryBuffer::Route ControllerMemoryBuffer::route(uint64_t addr, uint64_t len,
                                                            uint8_t *&at) const
{
    const uint64_t msc = cmbmsc();
    if (!(msc & kCmse) || len == 0) {
        // CMSE = 0: the controller memory space is off, and every address
        // the host gives is a host address (3.1.4.13).
        return Route::Host;
    }
    const uint64_t base = msc & kCbaMask;
    const uint64_t end = addr + len;  // exclusive; the walkers bound len
    const bool starts_in = addr >= base && addr - base < size_;
    const bool ends_in = end > base && end - base <= size_;
    if (starts_in && ends_in) {
        at = mem_ + (addr - base);
        return Route::Cmb;
    }
    if (starts_in || ends_in || (addr < base && end > base + size_)) {
        return Route::Straddle;
    }
    return Route::Host;
}

}  // namespace nvmev
