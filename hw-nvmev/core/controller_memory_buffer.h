// The Controller Memory Buffer (NVMe 2.0c 3.1.4.9-3.1.4.14 and 8.2.1):
// memory on the controller that the host reaches through a BAR and may use
// for queues, PRP lists, SGLs and data. The adapter owns the memory (a RAM
// region mapped as BAR 2); this class holds its registers and decides, for
// each access the controller makes, whether the address is in the CMB's
// controller memory space (then it is served from the CMB) or is an
// ordinary host address (then the host DMAs it).
#pragma once

#include <atomic>
#include <cstdint>

namespace nvmev {

class ControllerMemoryBuffer {
public:
    static constexpr uint32_t kBar = 2;  // CMBLOC.BIR: a 64-bit BAR of its own

    // No CMB (size 0), or `size` bytes (a multiple of 4 KiB) at `mem`.
    void configure(uint8_t *mem, uint64_t size);
    bool present() const { return size_ != 0; }
    uint64_t size() const { return size_; }

    // Registers, read and written by the controller's register file.
    uint32_t cmbloc() const;
    uint32_t cmbsz() const;
    uint64_t cmbmsc() const { return cmbmsc_.load(std::memory_order_acquire); }
    uint32_t cmbsts() const { return cbai_ ? 1u : 0u; }
    // A dword of CMBMSC (high = the upper half).
    void write_cmbmsc(bool high, uint32_t value);
    // Conventional reset: the registers return to their power-on values.
    void reset();

    // Where a controller access to [addr, addr + len) goes.
    enum class Route {
        Host,      // not in the controller memory space: the host DMAs it
        Cmb,       // wholly inside: `at` points into the CMB
        Straddle,  // partly inside: the access fails (Data Transfer Error)
    };
    Route route(uint64_t addr, uint64_t len, uint8_t *&at) const;

    // Bytes the controller read from and wrote to the CMB (any thread).
    uint64_t read_bytes() const { return read_bytes_.load(std::memory_order_relaxed); }
    uint64_t write_bytes() const { return write_bytes_.load(std::memory_order_relaxed); }
    void count(bool write, uint64_t len) const
    {
        (write ? write_bytes_ : read_bytes_).fetch_add(len, std::memory_order_relaxed);
    }

private:
    uint8_t *mem_ = nullptr;
    uint64_t size_ = 0;
    // CMBMSC as the host wrote it (CRE bit 0, CMSE bit 1, CBA bits 63:12).
    // One atomic word: copy_staged() routes accesses without the core's
    // lock, and must see CMSE and CBA from the same write.
    std::atomic<uint64_t> cmbmsc_{0};
    bool cbai_ = false;  // CMBSTS.CBAI: the CBA the host set is invalid
    mutable std::atomic<uint64_t> read_bytes_{0};
    mutable std::atomic<uint64_t> write_bytes_{0};
};

}  // namespace nvmev
