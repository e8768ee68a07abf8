// A queue group: the queues one host thread serves (queue_groups.cc), with
// its deadline queue of completions and the commands of the pass in
// progress.
#pragma once

#include <cstdint>
#include <vector>

#include "deadline_queue.h"
#include "prp.h"
#include "request.h"
#include "spec.h"

namespace nvmev {

// A completion waiting for its time.
struct Pending {
    int64_t due_ns;
    uint64_t seq;  // FIFO among equal deadlines
    bool timed;    // counts towards the lateness histogram
    uint16_t sqid;
    uint16_t cqid;
    uint8_t opcode;  // of the command (Abort counts its own kind)
    Cqe cqe;
};

struct QueueGroup {
    DeadlineQueue<Pending> pending;
    int64_t armed_ns = INT64_MAX;
    bool polling = false;           // the host polls: event indexes stay put
    bool more = false;              // the pass left commands in an SQ
    bool waits_for_copies = false;  // an SQ head waits for another group's copy
    // An SQ head waits for another controller's copy (a subsystem's shared
    // namespace): that controller cannot wake this group, which fetches
    // again at this time (copy_conflicts.cc).
    int64_t sibling_retry_ns = INT64_MAX;
    uint16_t rr_next = 1;  // round robin over the group's I/O SQs
    // The commands of the pass, in fetch order; non-empty from fetch_pass()
    // to complete_pass(), while data moves.
    std::vector<Request> staged;
    // The media ranges of the staged copies, for other groups' conflict
    // checks (copy_conflicts.cc): written only under the lock, apart from
    // `staged`, whose entries the copy updates without it.
    struct StagedRange {
        const Namespace *ns;
        bool write;
        uint64_t slba;
        uint64_t nlb;
    };
    std::vector<StagedRange> staged_ranges;
    uint32_t staged_writes = 0;
    std::vector<DmaSegment> segments;
};

}  // namespace nvmev
