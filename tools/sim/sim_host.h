// The simulation's host: guest RAM is one flat buffer, DMA is memcpy and
// the clock is virtual (device time only). The clock stands still while
// the host works and jumps to the next armed deadline when nothing else
// can happen, so every completion is posted exactly when the model says.
#pragma once

#include <cstdint>

#include "nvmev_core.h"
#include "spec.h"

namespace nvmev::sim {

struct SimHost {
    uint8_t *ram = nullptr;  // guest-physical 0 .. ram_bytes
    uint64_t ram_bytes = 0;
    int64_t now_ns = 0;
    int64_t deadline_ns = INT64_MAX;  // group 0's armed timer
    bool kicked = false;              // the core asked for a process pass
    // Off: DMA to or from the data buffers (guest addresses from
    // data_base on) moves no bytes, so the namespace keeps its zeros. The
    // models never look at data, so every figure stays the same; only the
    // host's memory traffic (a 4 KiB copy and a page fault per new page)
    // goes. Queues and PRP lists always move.
    bool copy_data = true;
    uint64_t data_base = 0;
    // --data-pattern=stamp: each write's buffer is filled with stamp_block()
    // per logical block before it is submitted; writes counts them.
    bool stamp = false;
    uint64_t writes = 0;

    NvmevHostOps ops() const;
};

// One SQ/CQ pair in guest RAM, driven as an NVMe driver does: SQEs are
// written at the tail and one doorbell rings for a batch; completions are
// found by their phase bit and one CQ head doorbell returns a batch.
class QueuePair {
public:
    QueuePair(SimHost &host, NvmevCore *core, uint16_t qid, uint32_t entries, uint64_t sq_base,
              uint64_t cq_base);

    // The next SQ entry, zeroed; the caller fills it in (cid included).
    Sqe &push();
    // Rings the SQ tail doorbell if push() was called since the last ring.
    bool ring();
    // Calls on_cqe(const Cqe &) for each new completion, then rings the CQ
    // head doorbell once. Returns how many there were.
    template <typename F>
    unsigned reap(F &&on_cqe)
    {
        unsigned got = 0;
        for (;;) {
            const auto *cqe = reinterpret_cast<const Cqe *>(host_.ram + cq_base_ +
                                                            uint64_t{cq_head_} * sizeof(Cqe));
            if ((cqe->status & 1) != phase_) {
                break;
            }
            on_cqe(*cqe);
            got++;
            if (++cq_head_ == entries_) {
                cq_head_ = 0;
                phase_ ^= 1;
            }
        }
        if (got) {
            nvmev_core_mmio_write(core_, kDoorbellBase + 8u * qid_ + 4, cq_head_, 4);
        }
        return got;
    }

private:
    SimHost &host_;
    NvmevCore *core_;
    uint16_t qid_;
    uint32_t entries_;
    uint64_t sq_base_, cq_base_;
    uint32_t sq_tail_ = 0, cq_head_ = 0;
    uint16_t phase_ = 1;
    bool pending_ = false;
};

}  // namespace nvmev::sim
