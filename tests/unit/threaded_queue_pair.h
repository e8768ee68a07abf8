// One SQ/CQ pair as a driver thread uses it, on a ThreadedHost: entries
// written through the host's ring lock, doorbells rung (and, with shadow
// doorbells, the shadow values written first).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "nvmev_core.h"
#include "spec.h"
#include "threaded_host.h"

namespace nvmev::test {

class ThreadedQueuePair {
public:
    // shadow: the shadow doorbell buffer's address, 0 without.
    ThreadedQueuePair(ThreadedHost &h, NvmevCore *core, uint16_t qid, uint32_t entries, uint64_t sq,
                      uint64_t cq, uint64_t shadow = 0)
        : h_(h), core_(core), qid_(qid), entries_(entries), sq_(sq), cq_(cq), shadow_(shadow)
    {
    }
    bool full() const { return (tail_ + 1) % entries_ == head_sq_; }
    void submit(const Sqe &s)
    {
        h_.write(sq_ + tail_ * sizeof(Sqe), s);
        tail_ = (tail_ + 1) % entries_;
        if (shadow_) {
            h_.write<uint32_t>(shadow_ + 8 * qid_, tail_);
        }
        nvmev_core_mmio_write(core_, kDoorbellBase + 8 * qid_, tail_, 4);
    }
    std::optional<Cqe> reap()
    {
        const Cqe c = h_.read<Cqe>(cq_ + head_ * sizeof(Cqe));
        if ((c.status & 1) != (phase_ ? 1 : 0)) {
            return std::nullopt;
        }
        head_ = (head_ + 1) % entries_;
        phase_ = head_ == 0 ? !phase_ : phase_;
        head_sq_ = c.sq_head;
        if (shadow_) {
            h_.write<uint32_t>(shadow_ + 8 * qid_ + 4, head_);
        }
        nvmev_core_mmio_write(core_, kDoorbellBase + 8 * qid_ + 4, head_, 4);
        return c;
    }

private:
    ThreadedHost &h_;
    NvmevCore *core_;
    uint16_t qid_;
    uint32_t entries_;
    uint64_t sq_, cq_, shadow_;
    uint32_t tail_ = 0, head_ = 0, head_sq_ = 0;
    bool phase_ = true;
};

// The commands a driver thread has in flight, one per slot; a command's
// CID names its slot (CID % Depth).
template <unsigned Depth>
class InFlight {
public:
    struct Slot {
        bool busy = false;
        uint8_t opcode = 0;
        uint32_t nlb = 0;
    };
    bool busy(unsigned s) const { return slots_[s].busy; }
    unsigned count() const { return count_; }
    void put(unsigned s, uint8_t opcode, uint32_t nlb)
    {
        slots_[s] = Slot{true, opcode, nlb};
        count_++;
    }
    // The command a completion ends (its slot freed), or nullopt if its
    // CID names no command in flight.
    std::optional<Slot> take(const Cqe &c)
    {
        Slot &s = slots_[c.cid % Depth];
        if (!s.busy) {
            return std::nullopt;
        }
        s.busy = false;
        count_--;
        return s;
    }

private:
    std::array<Slot, Depth> slots_{};
    unsigned count_ = 0;
};

}  // namespace nvmev::test
