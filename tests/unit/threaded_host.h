// A host for the controller core whose callbacks may run on several threads
// at once, as QEMU's IOThreads and vCPUs call them: guest memory, a shared
// virtual clock, per-group timers and interrupt counters, with no lock
// around the data buffers, so a race on the core's own state or its backing
// store stays visible to ThreadSanitizer. The queue rings and shadow
// doorbells (the guest-memory words driver and controller both touch) sit
// below kRingEnd behind one mutex, standing in for the memory ordering a
// real driver gets from its barriers.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <vector>

#include "nvmev_core.h"
#include "spec.h"

namespace nvmev::test {

class ThreadedHost {
public:
    static constexpr uint64_t kRingEnd = 0x400000;  // rings, shadow doorbells
    static constexpr uint64_t kRamBytes = 16 << 20;
    static constexpr unsigned kMaxGroups = 4;

    ThreadedHost();
    NvmevHostOps ops() const;

    // Guest memory as a driver thread sees it (rings: under the lock).
    template <typename T>
    T read(uint64_t addr)
    {
        T v;
        copy_out(addr, &v, sizeof(T));
        return v;
    }
    template <typename T>
    void write(uint64_t addr, const T &v)
    {
        copy_in(addr, &v, sizeof(T));
    }
    void copy_out(uint64_t addr, void *buf, uint64_t len);
    void copy_in(uint64_t addr, const void *buf, uint64_t len);
    uint8_t *data(uint64_t addr) { return ram_.data() + addr; }

    // nlb blocks of `block` bytes at addr, each one repeated `word`: a block
    // that mixes two such writes (torn) then shows.
    void put_block_words(uint64_t addr, uint32_t nlb, uint32_t block, uint32_t word);
    // How many of the nlb blocks at addr do not hold one repeated word.
    unsigned torn_blocks(uint64_t addr, uint32_t nlb, uint32_t block);

    // Group g's timer: fires it (once) when the clock has reached it.
    void fire_due_timer(NvmevCore *core, unsigned g);

    std::atomic<int64_t> now_ns{1'000'000};
    std::atomic<int64_t> deadline[kMaxGroups];
    std::atomic<uint64_t> irqs{0};
    std::atomic<uint64_t> kicks{0};
    std::atomic<uint64_t> dma_failures{0};

private:
    std::vector<uint8_t> ram_;
    std::mutex ring_mu_;
};

}  // namespace nvmev::test
