// A lean host for benchmarking the controller core: guest RAM is one flat
// buffer and DMA is memcpy (as with QEMU's directly mapped RAM), the clock
// is the host's monotonic clock (as QEMU's; a virtual clock that jumps to
// each deadline would post one completion per timer call, which no real
// run does), and a queue pair is driven a batch of commands at a time the
// way an NVMe driver does (one SQ doorbell per batch, one CQ head doorbell
// per interrupt). The unit tests' FakeHost/Driver log every completion;
// this host does no work per command beyond what a driver must do.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "nvmev_core.h"
#include "spec.h"

namespace nvmev::bench {

class BenchHost {
public:
    BenchHost(uint8_t *ram, uint64_t ram_bytes) : ram(ram), ram_bytes(ram_bytes) {}
    NvmevHostOps ops() const;

    static constexpr unsigned kMaxGroups = 4;

    uint8_t *ram;  // guest-physical 0 .. ram_bytes
    uint64_t ram_bytes;
    // Armed by the core, per queue group; each group's thread reads its own.
    std::array<std::atomic<int64_t>, kMaxGroups> deadline_ns{INT64_MAX, INT64_MAX, INT64_MAX,
                                                             INT64_MAX};
    std::atomic<uint64_t> irqs{0};
    // Trace events received. The callback is set, as QEMU's is, so a
    // benchmark pays what a trace point costs there: the trace mask decides.
    std::atomic<uint64_t> trace_events{0};
};

// One submission/completion queue pair in guest memory.
class QueuePair {
public:
    // `group`: the queue group whose passes serve it (nvmev_core_map_queues).
    QueuePair(BenchHost &host, NvmevCore *core, uint16_t qid, uint32_t depth, uint64_t sq_base,
              uint64_t cq_base, unsigned group = 0)
        : host_(host),
          core_(core),
          qid_(qid),
          depth_(depth),
          sq_base_(sq_base),
          cq_base_(cq_base),
          group_(group)
    {
    }

    // The next free SQ slot, zeroed but for its CID; the host fills it in.
    Sqe &next();
    // Rings the SQ tail doorbell for the entries next() handed out.
    void ring();
    // Runs the core (process, then the timer once its deadline has passed)
    // until `n` completions have arrived; consumes them and rings the
    // CQ head doorbell once. Returns how many failed, or -1 if the core
    // stopped making progress.
    int complete(unsigned n);
    // The status field (without phase) of the last completion consumed.
    uint16_t last_status() const { return last_status_; }

private:
    unsigned reap(int &errors);

    BenchHost &host_;
    NvmevCore *core_;
    uint16_t qid_;
    uint32_t depth_;
    uint64_t sq_base_, cq_base_;
    unsigned group_;
    uint32_t sq_tail_ = 0, cq_head_ = 0;
    bool phase_ = true;
    uint16_t next_cid_ = 0;
    uint16_t last_status_ = 0;
};

// Enables the controller (32-entry admin queues in the two pages at
// admin_base) and creates I/O queue pairs 1..pairs of `depth` entries, pair
// q with MSI-X vector q, its SQ at sq_base(q) and CQ at cq_base(q). Returns
// false on any failure.
bool enable_with_io_queues(BenchHost &host, NvmevCore *core, uint64_t admin_base, uint32_t depth,
                           uint16_t pairs, uint64_t (*sq_base)(uint16_t),
                           uint64_t (*cq_base)(uint16_t));

}  // namespace nvmev::bench
