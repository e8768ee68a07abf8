// A host for the controller core made of plain memory and a virtual clock,
// plus a tiny NVMe driver on top of it, so controller behaviour can be
// tested (and fuzzed) without QEMU.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nvmev_core.h"
#include "spec.h"

namespace nvmev::test {

class FakeHost {
public:
    explicit FakeHost(uint64_t guest_ram_bytes = 16 << 20);

    NvmevHostOps ops() const;

    std::vector<uint8_t> ram;  // guest-physical 0 .. ram.size()
    int64_t now_ns = 1'000'000;
    int64_t timer_deadline = INT64_MAX;  // group 0's
    int kicks = 0;                       // of any group
    // Per queue group (nvmev_core_map_queues): armed deadline, kicks.
    std::vector<int64_t> group_deadline;
    std::vector<int> group_kicks;
    // Called on each DMA before the bytes move (write: to guest memory),
    // e.g. to act as a vCPU while a group's data copy runs.
    std::function<void(uint64_t addr, uint64_t len, bool write)> on_dma;

    // The deadline group g's timer is armed for (group 0: timer_deadline).
    int64_t &deadline(unsigned g)
    {
        if (g == 0) {
            return timer_deadline;
        }
        if (g >= group_deadline.size()) {
            group_deadline.resize(g + 1, INT64_MAX);
        }
        return group_deadline[g];
    }
    int kicks_of(unsigned g) const { return g < group_kicks.size() ? group_kicks[g] : 0; }
    std::map<uint16_t, int> irqs;  // vector -> interrupts raised
    // The Persistent Memory Region callbacks: PMRCTL.EN as last reported
    // (-1: never), and how often PMRSTS asked for a flush.
    int pmr_enabled = -1;
    int pmr_flushes = 0;
    bool intx_level = false;

    // Typed trace events as the core reported them, oldest first; a
    // pointer field (err_fatal's reason) is copied into `reason`.
    struct Traced {
        NvmevTraceEvent ev;
        std::string reason;
    };
    std::vector<Traced> traced;
    // Called on each trace event as the core reports it (recorded or not),
    // e.g. to look at the backing store at that moment.
    std::function<void(const NvmevTraceEvent &ev)> on_trace;
    // Off: events still reach the callback but are not kept (the log
    // allocates; the core must not). Past trace_limit events, the rest
    // are dropped, so long runs stay small.
    bool record_trace = true;
    size_t trace_limit = 1 << 16;
    // The kept events with this id.
    std::vector<NvmevTraceEvent> events(NvmevTraceId id) const;

    template <typename T>
    T read(uint64_t addr) const
    {
        T v;
        std::memcpy(&v, ram.data() + addr, sizeof(T));
        return v;
    }
    template <typename T>
    void write(uint64_t addr, const T &v)
    {
        std::memcpy(ram.data() + addr, &v, sizeof(T));
    }
};

// Queue-level driver: enable, create I/O queues, submit and reap.
class Driver {
public:
    struct Completion {
        Cqe cqe;
        int64_t posted_at_ns;
    };

    Driver(FakeHost &host, NvmevCore *core) : host_(host), core_(core) {}

    // Sets AQA/ASQ/ACQ and CC.EN = 1 with CC.CSS = css; returns CSTS.
    uint32_t enable(uint32_t admin_entries = 32, uint32_t css = 0);
    void disable();
    uint32_t reg32(uint64_t off)
    {
        return static_cast<uint32_t>(nvmev_core_mmio_read(core_, off, 4));
    }
    void write32(uint64_t off, uint32_t v) { nvmev_core_mmio_write(core_, off, v, 4); }

    // Submits on queue `qid` and rings its doorbell (does not process).
    uint16_t submit(uint16_t qid, Sqe sqe);
    // Runs the controller until it has nothing more to do at the current
    // time; then, if `advance`, moves the clock to the next deadline and
    // repeats until no deadline is left.
    void run(bool advance = true);
    // Reaps one completion from CQ `qid` if present, ringing the head doorbell.
    std::optional<Cqe> reap(uint16_t qid);
    // submit + run + reap; the completion must arrive.
    Cqe call(uint16_t qid, Sqe sqe);

    // Admin helpers; return the completion's status field (without phase).
    uint16_t create_io_queues(uint16_t qid, uint32_t entries, uint16_t vector = 0);
    static uint16_t status(const Cqe &c) { return c.status >> 1; }

    // Guest memory layout used by the driver.
    uint64_t sq_base(uint16_t qid) const { return 0x100000 + qid * 0x10000ull; }
    uint64_t cq_base(uint16_t qid) const { return 0x800000 + qid * 0x10000ull; }
    static constexpr uint64_t kDataBase = 0xC00000;  // 4 MiB of data buffers

    std::vector<Completion> log;  // every reaped completion
    // Queue groups run() serves (nvmev_core_map_queues), each in turn.
    unsigned groups = 1;
    // Reap completions as soon as they are posted (as an interrupt-driven
    // driver does), so log[].posted_at_ns is the posting time. Off: the CQ
    // fills until reap() is called.
    bool auto_reap = true;

private:
    struct Queue {
        uint32_t entries = 0;
        uint32_t sq_tail = 0;
        uint32_t cq_head = 0;
        bool phase = true;
        uint16_t next_cid = 0;
        std::vector<Cqe> reaped;  // reaped by run(), not yet taken
    };
    std::optional<Cqe> take(uint16_t qid);
    void reap_all();
    FakeHost &host_;
    NvmevCore *core_;
    std::map<uint16_t, Queue> queues_;
};

Sqe make_rw(uint8_t opcode, uint64_t slba, uint32_t nlb, uint64_t prp1, uint64_t prp2 = 0);
// An admin command whose data buffer is Driver::kDataBase.
Sqe make_admin(uint8_t opcode, uint32_t cdw10 = 0, uint32_t cdw11 = 0);

}  // namespace nvmev::test
