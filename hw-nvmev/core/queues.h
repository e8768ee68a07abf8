// Submission and completion queue state (NVMe 2.0c 3.3).
#pragma once

#include <cstdint>

namespace nvmev {

struct SubmissionQueue {
    bool valid = false;
    uint16_t cqid = 0;
    uint64_t base = 0;                // guest-physical address of entry 0 (contiguous)
    uint32_t size = 0;                // entries
    uint32_t head = 0;                // next entry the controller fetches
    uint32_t tail = 0;                // last value the host wrote to the doorbell
    uint32_t event_idx = UINT32_MAX;  // shadow doorbells: last published tail
    uint32_t gen = 0;                 // which creation of the queue this is

    bool empty() const { return head == tail; }
};

struct CompletionQueue {
    bool valid = false;
    uint64_t base = 0;
    uint32_t size = 0;
    uint32_t head = 0;  // last value the host wrote to the doorbell
    uint32_t tail = 0;  // next entry the controller writes
    bool phase = true;
    bool irq_enabled = false;
    uint16_t vector = 0;
    uint16_t sq_refs = 0;  // SQs bound to this CQ
    // Entries promised to fetched commands. A command is fetched only when
    // its completion is guaranteed a slot, so posting never overruns the CQ.
    uint32_t reserved = 0;
    bool irq_pending = false;         // posted since the last interrupt
    uint32_t event_idx = UINT32_MAX;  // shadow doorbells: last published head
    uint32_t gen = 0;                 // which creation of the queue this is

    uint32_t used() const { return (tail + size - head) % size; }
    // One slot always stays empty: a full CQ has tail + 1 == head.
    uint32_t free_slots() const { return size - 1 - used(); }
};

}  // namespace nvmev
