// The I/O hot path allocates nothing per command once warm (issue #7):
// AllocationCount (alloc_counter.h) is armed only around steady-state reads
// and writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "alloc_counter.h"
#include "config_fixture.h"
#include "core_fixture.h"
#include "kv_spec.h"
#include "nvmev_core.h"

namespace nvmev::test {
namespace {

constexpr uint32_t kDepth = 64;
constexpr uint32_t kBatch = 32;
constexpr uint32_t kMaxIo = 128 << 10;
// Above the Driver's queues and data area (fake_host.h).
constexpr uint64_t kPrpLists = 0x1000000;  // one list page per slot
constexpr uint64_t kData = 0x1100000;      // kMaxIo per slot
constexpr uint64_t kRam = kData + uint64_t{kBatch} * kMaxIo;

enum class Dptr { Prp, Sgl };

// A controller on the fake host with I/O queue pair 1, driven a batch at a
// time by this test itself: the fake host's Driver logs every completion
// (and so allocates), which a steady-state driver does not.
class HotPathAlloc : public CoreFixture {
protected:
    HotPathAlloc() : CoreFixture(kRam) {}
    void SetUp() override {}

    // One I/O queue pair and its vector, on the backing store cfg's layout
    // asks for; the controller enabled with `css`.
    void make(Cfg &cfg, uint32_t css = 0)
    {
        cfg.c.max_ioqpairs = 1;
        cfg.c.msix_vectors = 2;
        const NvmevConfig &c = cfg.c;
        host_.record_trace = false;  // the log allocates; the core's trace points must not
        ASSERT_EQ(start(c), "");
        ready_with_io_queue(kDepth, css);
        lba_size_ = c.lba_size;
        for (uint32_t slot = 0; slot < kBatch; slot++) {
            for (uint32_t p = 1; p < kMaxIo / kPageSize; p++) {
                host_.write<uint64_t>(kPrpLists + slot * kPageSize + (p - 1) * 8,
                                      data(slot) + p * kPageSize);
            }
        }
    }

    void make_nvm()
    {
        Cfg cfg("nvm", 32 << 20);
        cfg.c.lba_size = 4096;
        cfg.c.mdts = 0;
        cfg.c.read_latency_ns = 10000;
        cfg.c.write_latency_ns = 12000;
        cfg.c.read_bandwidth_mbps = 4000;
        cfg.c.write_bandwidth_mbps = 3000;
        make(cfg);
    }

    static uint64_t data(uint32_t slot) { return kData + uint64_t{slot} * kMaxIo; }

    // kBatch commands of `bytes` each from LBA byte offset `offset` on,
    // one SQ doorbell; runs the controller until all completed and rings
    // the CQ head doorbell once. Counts completions with an error status.
    void batch(uint8_t opcode, uint32_t bytes, uint64_t offset, Dptr dptr = Dptr::Prp)
    {
        for (uint32_t slot = 0; slot < kBatch; slot++) {
            const uint64_t slba = (offset + uint64_t{slot} * bytes) / lba_size_;
            Sqe s = make_rw(opcode, slba, bytes / lba_size_, data(slot));
            s.cid = static_cast<uint16_t>(sq_tail_);
            if (dptr == Dptr::Sgl) {
                s.flags = 1 << 6;          // PSDT 01b
                s.prp2 = uint64_t{bytes};  // one Data Block descriptor (type 0)
            } else if (bytes > 2 * kPageSize) {
                s.prp2 = kPrpLists + slot * kPageSize;
            } else if (bytes > kPageSize) {
                s.prp2 = data(slot) + kPageSize;
            }
            put(s);
        }
        run(kBatch);
    }

    void put(const Sqe &s)
    {
        host_.write(drv_->sq_base(1) + sq_tail_ * sizeof(Sqe), s);
        sq_tail_ = (sq_tail_ + 1) % kDepth;
    }

    // Rings the SQ doorbell and runs the controller until n completions
    // arrived, then rings the CQ head doorbell once.
    void run(uint32_t n)
    {
        nvmev_core_mmio_write(core_, kDoorbellBase + 8, sq_tail_, 4);
        uint32_t got = 0;
        for (int guard = 0; got < n && guard < 100000; guard++) {
            nvmev_core_process(core_, 0);
            got += reap();
            if (got < n && host_.timer_deadline != INT64_MAX) {
                host_.now_ns = std::max(host_.now_ns, host_.timer_deadline);
                host_.timer_deadline = INT64_MAX;
                nvmev_core_timer(core_, 0);
                got += reap();
            }
        }
        nvmev_core_mmio_write(core_, kDoorbellBase + 12, cq_head_, 4);
        completed_ += got;
    }

    uint32_t reap()
    {
        uint32_t got = 0;
        for (;;) {
            const Cqe c = host_.read<Cqe>(drv_->cq_base(1) + cq_head_ * sizeof(Cqe));
            if ((c.status & 1) != (phase_ ? 1 : 0)) {
                return got;
            }
            errors_ += (c.status >> 1) != 0;
            got++;
            cq_head_ = (cq_head_ + 1) % kDepth;
            phase_ = cq_head_ == 0 ? !phase_ : phase_;
        }
    }

    // Writes then reads back `rounds` batches of `bytes` per command over
    // `span` bytes of the device; every read's data is compared.
    void write_read(uint32_t bytes, int rounds, uint64_t span, Dptr dptr = Dptr::Prp)
    {
        uint64_t offset = next_offset_;
        for (int r = 0; r < rounds; r++) {
            if (offset + uint64_t{kBatch} * bytes > span) {
                offset = 0;
                if (zoned_) {
                    // Zone Management Send, Select All, Reset Zone: written
                    // again from each zone's start.
                    Sqe s = make_rw(nvme_zns_cmd_mgmt_send, 0, 1, 0);
                    s.cdw12 = 0;
                    s.cdw13 = NVME_ZNS_ZSA_RESET | 1u << 8;
                    s.cid = static_cast<uint16_t>(sq_tail_);
                    put(s);
                    run(1);
                    resets_++;
                }
            }
            const auto seed = static_cast<uint8_t>(r * 5 + bytes / 4096);
            for (uint32_t slot = 0; slot < kBatch; slot++) {
                std::memset(host_.ram.data() + data(slot), seed + slot, bytes);
            }
            batch(nvme_cmd_write, bytes, offset, dptr);
            for (uint32_t slot = 0; slot < kBatch; slot++) {
                std::memset(host_.ram.data() + data(slot), 0, bytes);
            }
            batch(nvme_cmd_read, bytes, offset, dptr);
            for (uint32_t slot = 0; slot < kBatch; slot++) {
                const uint8_t *got = host_.ram.data() + data(slot);
                mismatches_ += got[0] != static_cast<uint8_t>(seed + slot) ||
                               std::memcmp(got, got + 1, bytes - 1) != 0;
            }
            offset += uint64_t{kBatch} * bytes;
        }
        next_offset_ = offset;
    }

    // Warm-up rounds, then `rounds` more that must allocate nothing and
    // complete every command intact.
    void expect_steady(uint32_t bytes, int warm_up, int rounds, uint64_t span,
                       Dptr dptr = Dptr::Prp)
    {
        write_read(bytes, warm_up, span, dptr);
        AllocationCount n;
        write_read(bytes, rounds, span, dptr);
        EXPECT_EQ(n.count(), 0u);
        EXPECT_EQ(completed_, uint64_t(warm_up + rounds) * 2 * kBatch);
        EXPECT_EQ(errors_, 0u);
        EXPECT_EQ(mismatches_, 0u);
    }

    int64_t lba_size_ = 4096;
    uint32_t sq_tail_ = 0, cq_head_ = 0;
    bool phase_ = true;
    uint64_t next_offset_ = 0;
    bool zoned_ = false;  // write_read resets every zone when it wraps
    uint64_t resets_ = 0;
    uint64_t completed_ = 0, errors_ = 0, mismatches_ = 0;
};

TEST_F(HotPathAlloc, CounterSeesAnAllocation)
{
    AllocationCount n;
    void *p = ::operator new(24);  // a call, not a new-expression: not elided
    ::operator delete(p);
    EXPECT_EQ(n.count(), 1u);
}

TEST_F(HotPathAlloc, NvmReadWrite4K)
{
    make_nvm();
    expect_steady(4096, 4, 16, 8 << 20);
}

TEST_F(HotPathAlloc, NvmReadWrite128KWithPrpList)
{
    make_nvm();
    expect_steady(kMaxIo, 2, 8, 32 << 20);
}

TEST_F(HotPathAlloc, NvmReadWrite8KWithSgl)
{
    make_nvm();
    expect_steady(8192, 4, 16, 8 << 20, Dptr::Sgl);
}

// ssd=conv in GC steady state: the warm-up overwrites the drive until
// garbage collection runs.
class HotPathAllocConv : public HotPathAlloc {
protected:
    void make_conv()
    {
        Cfg cfg("conv", 64 << 20);
        cfg.c.lba_size = 4096;
        cfg.c.mdts = 0;
        make(cfg);
    }
    uint64_t gc_runs()
    {
        NvmevCoreInfo info{};
        nvmev_core_get_info(core_, &info);
        return info.gc_runs;
    }
};

TEST_F(HotPathAllocConv, ReadWrite4KInGcSteadyState)
{
    make_conv();
    write_read(kMaxIo, 40, 64 << 20);  // 160 MiB: the 64 MiB drive overwritten
    ASSERT_GT(gc_runs(), 0u);
    write_read(4096, 8, 64 << 20);
    AllocationCount n;
    write_read(4096, 16, 64 << 20);
    EXPECT_EQ(n.count(), 0u);
    EXPECT_EQ(errors_, 0u);
    EXPECT_EQ(mismatches_, 0u);
}

TEST_F(HotPathAllocConv, ReadWrite128KWithPrpList)
{
    make_conv();
    write_read(kMaxIo, 40, 64 << 20);
    ASSERT_GT(gc_runs(), 0u);
    const uint64_t gc_before = gc_runs();
    AllocationCount n;
    // 1.6 GiB: hundreds of lines collected and freed, so a free list that
    // allocates as it cycles would show.
    write_read(kMaxIo, 400, 64 << 20);
    EXPECT_EQ(n.count(), 0u);
    EXPECT_GT(gc_runs(), gc_before + 500);  // GC ran inside the measured region
    EXPECT_EQ(errors_, 0u);
    EXPECT_EQ(mismatches_, 0u);
}

// ssd=zns: 1 MiB zones filled in order and read back, all reset when the
// 8 MiB namespace is full (resets happen inside the measured region too).
TEST_F(HotPathAlloc, ZnsReadWrite4KAnd128KWithZoneResets)
{
    Cfg cfg("zns", 8 << 20);
    cfg.set("channels", 2).set("luns-per-channel", 1).set("flash-page-size", 16384);
    cfg.set("program-unit-size", 16384).set("zone-size", 1 << 20).set("zone-dies", 2);
    cfg.c.lba_size = 4096;
    cfg.c.mdts = 0;
    make(cfg, NVME_CC_CSS_CSI);
    zoned_ = true;
    // Warm-up: the same work twice, so the timelines' and write buffers'
    // vectors have reached their high-water marks.
    for (int i = 0; i < 2; i++) {
        write_read(4096, 32, 8 << 20);
        write_read(kMaxIo, 8, 8 << 20);
    }
    const uint64_t before = completed_, resets_before = resets_;
    AllocationCount n;
    write_read(4096, 32, 8 << 20);
    write_read(kMaxIo, 8, 8 << 20);
    EXPECT_EQ(n.count(), 0u);
    // 36 MiB through the 8 MiB namespace: it wrapped (and every zone was
    // reset) 4 or 5 times, depending on where the warm-up left off.
    const uint64_t resets = resets_ - resets_before;
    EXPECT_GE(resets, 4u);
    EXPECT_EQ(completed_ - before, (32u + 8u) * 2 * kBatch + resets);
    EXPECT_EQ(errors_, 0u);
    EXPECT_EQ(mismatches_, 0u);
}

// ssd=kv (KV command set): 32 keys stored, retrieved and compared per
// round, overwritten with new values every round (index and allocator in
// steady state).
TEST_F(HotPathAlloc, KvStoreRetrieve4K)
{
    Cfg cfg("kv", 1 << 20);
    cfg.set("kv-max-keys", 64).set("kv-max-value-size", 8192).set("kv-index-latency-ns", 1000);
    cfg.c.read_latency_ns = cfg.c.write_latency_ns = 12000;
    cfg.c.read_bandwidth_mbps = cfg.c.write_bandwidth_mbps = 4096;
    make(cfg, NVME_CC_CSS_CSI);
    // A command with key "key-<slot>" (KV 1.0: CDW2-3, CDW14-15, length
    // in CDW11 7:0) moving 4 KiB through slot's buffer.
    const auto kv = [](uint8_t opcode, uint32_t slot) {
        Sqe s{};
        s.opcode = opcode;
        s.nsid = 1;
        s.prp1 = data(slot);
        s.cdw10 = 4096;
        uint8_t key[16] = {'k',
                           'e',
                           'y',
                           '-',
                           static_cast<uint8_t>('a' + slot / 26),
                           static_cast<uint8_t>('a' + slot % 26)};
        s.cdw11 = 6;
        std::memcpy(&s.cdw2, key, 4);
        std::memcpy(&s.cdw3, key + 4, 4);
        std::memcpy(&s.cdw14, key + 8, 4);
        std::memcpy(&s.cdw15, key + 12, 4);
        return s;
    };
    const auto round = [&](int r) {
        for (uint32_t slot = 0; slot < kBatch; slot++) {
            std::memset(host_.ram.data() + data(slot), r * 3 + slot, 4096);
            Sqe s = kv(kKvStore, slot);
            s.cid = static_cast<uint16_t>(sq_tail_);
            put(s);
        }
        run(kBatch);
        for (uint32_t slot = 0; slot < kBatch; slot++) {
            std::memset(host_.ram.data() + data(slot), 0, 4096);
            Sqe s = kv(kKvRetrieve, slot);
            s.cid = static_cast<uint16_t>(sq_tail_);
            put(s);
        }
        run(kBatch);
        for (uint32_t slot = 0; slot < kBatch; slot++) {
            const uint8_t *got = host_.ram.data() + data(slot);
            mismatches_ += got[0] != static_cast<uint8_t>(r * 3 + slot) ||
                           std::memcmp(got, got + 1, 4095) != 0;
        }
    };
    for (int r = 0; r < 4; r++) {
        round(r);
    }
    AllocationCount n;
    for (int r = 4; r < 20; r++) {
        round(r);
    }
    EXPECT_EQ(n.count(), 0u);
    EXPECT_EQ(completed_, 20u * 2 * kBatch);
    EXPECT_EQ(errors_, 0u);
    EXPECT_EQ(mismatches_, 0u);
}

}  // namespace
}  // namespace nvmev::test
