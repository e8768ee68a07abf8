// Fused operations (NVMe 2.0c 3.4.2): Compare and Write, the one pair the
// NVM command set defines (ID-CTRL FUSES bit 0). Both halves are fetched
// together; the Write runs only if the Compare succeeded, so the pair is
// atomic (commands execute one at a time).
//
// Rule for a pair the host has not fully submitted: the two entries must
// be visible under the same SQ tail doorbell. A first half that is the last
// entry the host has made visible completes with Missing Fused Command at
// once; nothing waits, so a guest cannot stall its SQ this way.
#include "controller.h"

namespace nvmev {

bool Controller::fetch_fused(uint16_t sqid, const Sqe &first)
{
    SubmissionQueue &sq = sqs_[sqid];
    CompletionQueue &cq = cqs_[sq.cqid];
    const int64_t now = host_.now_ns();
    const uint32_t next = (sq.head + 1) % sq.size;
    Sqe second{};
    // A CQ with one usable slot can never take the pair's two completions.
    bool paired = (first.flags & 3) == kFuseFirst && next != sq.tail && cq.size > 2;
    if (paired) {
        if (!host_.dma_read(sq.base + uint64_t{next} * sizeof(Sqe), &second, sizeof(second))) {
            fail("SQ entry fetch failed");
            return false;
        }
        paired = (second.flags & 3) == kFuseSecond;
    }
    if (!paired) {
        // A lone half; an entry after a lone first half runs on its own.
        sq.head = next;
        cq.reserved++;
        schedule(sqid, first, refuse(sqid, first, kFusedMissing), now);
        return true;
    }
    if (cq.free_slots() <= cq.reserved + 1) {
        return false;  // the pair needs two CQ slots: wait for the host
    }
    const bool aborted = take_abort_mark(sqid, next, second.cid);
    sq.head = (next + 1) % sq.size;
    cq.reserved += 2;
    Outcome compare, write;
    if (aborted) {
        compare = refuse(sqid, first, kAbortRequested);
        write = refuse(sqid, second, kAbortRequested);
    } else if (sqid == 0 || first.opcode != nvme_cmd_compare || second.opcode != nvme_cmd_write) {
        compare = refuse(sqid, first, kInvalidField);
        write = refuse(sqid, second, kFusedFailed);
    } else {
        Request c, w;
        begin(c, first, sqid, now);
        begin(w, second, sqid, now);
        c.sqe.flags &= ~3;
        w.sqe.flags &= ~3;
        compare = execute(c);
        write = compare.status == kSuccess ? execute(w) : refuse(sqid, second, kFusedFailed);
    }
    schedule(sqid, first, compare, now);
    schedule(sqid, second, write, now);
    return true;
}

}  // namespace nvmev
