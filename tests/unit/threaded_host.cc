#include "threaded_host.h"

#include <algorithm>

namespace nvmev::test {
namespace {

ThreadedHost *self(void *opaque)
{
    return static_cast<ThreadedHost *>(opaque);
}

bool in_ram(uint64_t addr, uint64_t len)
{
    return addr <= ThreadedHost::kRamBytes && len <= ThreadedHost::kRamBytes - addr;
}

int dma_read(void *opaque, uint64_t addr, void *buf, uint64_t len)
{
    if (!in_ram(addr, len)) {
        self(opaque)->dma_failures++;
        return -1;
    }
    self(opaque)->copy_out(addr, buf, len);
    return 0;
}

int dma_write(void *opaque, uint64_t addr, const void *buf, uint64_t len)
{
    if (!in_ram(addr, len)) {
        self(opaque)->dma_failures++;
        return -1;
    }
    self(opaque)->copy_in(addr, buf, len);
    return 0;
}

void irq_assert(void *opaque, uint16_t)
{
    self(opaque)->irqs++;
}
void irq_deassert(void *, uint16_t) {}
int64_t clock_now(void *opaque)
{
    return self(opaque)->now_ns.load();
}
void arm_timer(void *opaque, unsigned group, int64_t deadline)
{
    if (group < ThreadedHost::kMaxGroups) {
        self(opaque)->deadline[group] = deadline;
    }
}
void kick(void *opaque, unsigned)
{
    self(opaque)->kicks++;
}

}  // namespace

ThreadedHost::ThreadedHost() : ram_(kRamBytes, 0)
{
    for (auto &d : deadline) {
        d = INT64_MAX;
    }
}

NvmevHostOps ThreadedHost::ops() const
{
    NvmevHostOps o{};
    o.dma_read = dma_read;
    o.dma_write = dma_write;
    o.irq_assert = irq_assert;
    o.irq_deassert = irq_deassert;
    o.now_ns = clock_now;
    o.arm_timer = arm_timer;
    o.kick = kick;
    return o;
}

void ThreadedHost::copy_out(uint64_t addr, void *buf, uint64_t len)
{
    if (addr < kRingEnd) {
        std::lock_guard<std::mutex> l(ring_mu_);
        std::memcpy(buf, ram_.data() + addr, len);
        return;
    }
    std::memcpy(buf, ram_.data() + addr, len);
}

void ThreadedHost::copy_in(uint64_t addr, const void *buf, uint64_t len)
{
    if (addr < kRingEnd) {
        std::lock_guard<std::mutex> l(ring_mu_);
        std::memcpy(ram_.data() + addr, buf, len);
        return;
    }
    std::memcpy(ram_.data() + addr, buf, len);
}

void ThreadedHost::put_block_words(uint64_t addr, uint32_t nlb, uint32_t block, uint32_t word)
{
    const std::vector<uint32_t> words(uint64_t{nlb} * block / 4, word);
    copy_in(addr, words.data(), uint64_t{nlb} * block);
}

unsigned ThreadedHost::torn_blocks(uint64_t addr, uint32_t nlb, uint32_t block)
{
    std::vector<uint32_t> words(uint64_t{nlb} * block / 4);
    copy_out(addr, words.data(), uint64_t{nlb} * block);
    unsigned torn = 0;
    for (uint32_t b = 0; b < nlb; b++) {
        const uint32_t *blk = words.data() + uint64_t{b} * block / 4;
        torn += !std::all_of(blk, blk + block / 4, [&](uint32_t w) { return w == blk[0]; });
    }
    return torn;
}

void ThreadedHost::fire_due_timer(NvmevCore *core, unsigned g)
{
    int64_t due = deadline[g].load();
    // One-shot, as QEMU's timers: disarmed before the callback, which may
    // arm it again.
    if (due <= now_ns.load() && deadline[g].compare_exchange_strong(due, INT64_MAX)) {
        nvmev_core_timer(core, g);
    }
}

}  // namespace nvmev::test
