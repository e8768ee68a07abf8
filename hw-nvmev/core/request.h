// One command in flight, from its fetch to its completion: every command
// handler gets its request, so no per-command state lives in the
// Controller. A Read or Write fetched in an I/O queue group's pass also
// carries the data copy that runs after the core's lock is dropped
// (queue_groups.cc).
#pragma once

#include <cstdint>

#include "spec.h"

namespace nvmev {

class Namespace;
struct QueueGroup;

// What a command handler decided.
struct Outcome {
    Status status = kSuccess;
    uint32_t dw0 = 0;
    uint32_t dw1 = 0;            // command specific (Zone Append: LBA bits 63:32)
    int64_t complete_at_ns = 0;  // 0: complete now
    bool held = false;           // kept by the controller (AER)

    // An immediate completion with status s (success or an error).
    static Outcome of(Status s) { return {s, 0, 0, 0, false}; }
};

// A Read's or Write's data, staged to move without the lock: segments
// [seg_begin, seg_begin + seg_count) of the group's list, to or from
// `data` in the backing store.
struct StagedCopy {
    uint8_t *data = nullptr;  // nullptr: nothing to move
    uint32_t seg_begin = 0;
    uint32_t seg_count = 0;
    uint32_t nsid = 0;
    uint64_t slba = 0;
    uint32_t nlb = 0;
    bool write = false;
    Status status = kSuccess;  // of the move
};

struct Request {
    Sqe sqe;
    uint16_t sqid = 0;
    uint16_t cqid = 0;
    // Which creation of its queues fetched it: a command whose queue is
    // deleted (and maybe re-created) while its data moves is dropped.
    uint32_t sq_gen = 0;
    uint32_t cq_gen = 0;
    int64_t fetched_ns = 0;
    // I/O commands: the active namespace of sqe.nsid, looked up once by
    // execute(); nullptr for an inactive or invalid NSID and for admin.
    Namespace *ns = nullptr;
    // The I/O queue group whose pass fetched it: a Read or Write stages its
    // copy there. nullptr: data moves while the command executes.
    QueueGroup *group = nullptr;
    StagedCopy copy;
    Outcome out;  // kept here while the pass's data moves
};

}  // namespace nvmev
