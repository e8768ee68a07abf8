// Invariants of the controller that must hold whatever the guest does,
// checked from inside (a friend of Controller). A violation prints what
// broke and traps, so libFuzzer reports the input.
#pragma once

#include <cstdint>

#include "controller.h"

namespace nvmev {

struct FuzzProbe {
    // Queue bookkeeping: valid SQs point at valid CQs, indexes stay inside
    // their queues, a CQ's promised slots fit in its free ones (so posting
    // can never overrun it), pending completions name existing queue ids,
    // CSTS.RDY only with CC.EN, no queue at all while not ready.
    static void check(const Controller &c);
    // The FTL's own consistency checks (mapping, line and zone accounting);
    // they walk the whole FTL, so they run after each run action only.
    static void check_ftl(Controller &c);
    // Called for every 16-byte DMA write: if it is the CQE at some valid
    // CQ's tail, that slot must be free, and slot and phase bit must be the
    // ones a model of the CQ (slot 0, phase 1 when created, the phase
    // inverting at each wrap) expects.
    static void check_cqe_write(const Controller &c, uint64_t addr, const void *data);
    // Called for every SQE fetch: a CQ deleted by an earlier command loses
    // its model before a later command of the same pass may create it again.
    static void note_deleted_cqs(const Controller &c);
    // Forgets the CQ models (a new device).
    static void reset();
    // An interrupt vector must be one the device exposes.
    static void check_vector(const Controller &c, uint16_t vector);
};

// Prints the message and traps (libFuzzer then saves the crashing input).
[[noreturn]] void invariant_failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace nvmev
