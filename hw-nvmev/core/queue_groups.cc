// Queue groups: the I/O queue pairs are split among host threads (QEMU
// IOThreads, by iothread-vq-mapping), each serving its group's SQs, CQ
// postings and deadlines. Every step that touches controller state runs
// under the core's lock; the data of Reads and Writes (but zoned Writes)
// moves without it, so groups copy in parallel:
//
//   fetch_pass(g)     lock    fetch, execute (FTL, timing), stage copies
//   copy_staged(g)    -       guest memory <-> backing store
//   complete_pass(g)  lock    schedule in fetch order, post what is due
//
// A queue deleted (or a controller reset) while its data moved drops the
// command with the queue; until the copies have stopped, CSTS.RDY stays 1
// after CC.EN 1->0. Writes to zoned namespaces (beyond the write pointer a
// zone reads as zeros, even one reset meanwhile), the KV commands (a key's
// extent must not move) and fused pairs copy under the lock.
#include <algorithm>

#include "controller.h"

namespace nvmev {

std::string Controller::map_queues(unsigned groups, const uint16_t *pair_group, size_t pairs)
{
    if (groups == 0 || groups > cfg_.max_ioqpairs) {
        return fmt("%u queue groups for %u I/O queue pairs: need 1..%u", groups, cfg_.max_ioqpairs,
                   cfg_.max_ioqpairs);
    }
    if (pairs != cfg_.max_ioqpairs) {
        return fmt("a mapping of %zu queue pairs, but max-ioqpairs is %u", pairs,
                   cfg_.max_ioqpairs);
    }
    if (cc_en(cc_)) {
        return "queue groups can only change while the controller is disabled";
    }
    for (size_t i = 0; i < pairs; i++) {
        if (pair_group[i] >= groups) {
            return fmt("I/O queue pair %zu maps to group %u of %u", i + 1, pair_group[i], groups);
        }
    }
    groups_.clear();
    groups_.resize(groups);
    group_of_[0] = 0;
    std::copy(pair_group, pair_group + pairs, group_of_.begin() + 1);
    return "";
}

void Controller::copy_staged(unsigned g)
{
    QueueGroup &grp = groups_[g];
    // In fetch order: a Read after a Write of the same blocks in one SQ
    // returns the written data.
    for (Request &req : grp.staged) {
        StagedCopy &c = req.copy;
        c.status = kSuccess;
        uint8_t *p = c.data;
        for (uint32_t i = 0; p && i < c.seg_count; i++) {
            const DmaSegment &seg = grp.segments[c.seg_begin + i];
            const bool ok = c.write ? host_.dma_read(seg.addr, p, seg.len)
                                    : seg.skip || host_.dma_write(seg.addr, p, seg.len);
            if (!ok) {
                c.status = kDataTransferError;
                break;
            }
            p += seg.len;
        }
    }
}

void Controller::finish_staged(QueueGroup &grp)
{
    if (!grp.staged.empty()) {
        wake_copy_waiters(grp);  // their blocks may be free now
    }
    for (const Request &req : grp.staged) {
        const SubmissionQueue &sq = sqs_[req.sqid];
        const StagedCopy &c = req.copy;
        if (!ready() || !sq.valid || sq.gen != req.sq_gen) {
            // Deleted with its queue while the data moved: no completion.
            CompletionQueue &cq = cqs_[req.cqid];
            if (cq.valid && cq.gen == req.cq_gen && cq.reserved) {
                cq.reserved--;
            }
            continue;
        }
        if (c.data && c.status != kSuccess && req.out.status == kSuccess) {
            // As a transfer that fails before the media is reached: at once.
            schedule(req.sqid, req.sqe, refuse(req.sqid, req.sqe, c.status, true), req.fetched_ns);
            continue;
        }
        if (c.data && c.write && req.out.status == kSuccess) {
            if (Namespace *ns = namespace_slot(c.nsid)) {
                ns->uncorrectable.clear(c.slba, c.nlb);  // rewritten: readable again
            }
        }
        schedule(req.sqid, req.sqe, req.out, req.fetched_ns);
    }
    grp.staged.clear();
    grp.segments.clear();
    grp.staged_ranges.clear();
    grp.staged_writes = 0;
}

void Controller::wake_cq_feeders(uint16_t cqid)
{
    const CompletionQueue &cq = cqs_[cqid];
    if (cqid == 0 || (cq.sq_refs <= 1 && sqs_[cqid].valid && sqs_[cqid].cqid == cqid)) {
        host_.kick(group_of_[cqid]);  // the usual pair: SQ n feeds CQ n
        return;
    }
    for (uint16_t qid = 1; qid < sqs_.size(); qid++) {
        if (sqs_[qid].valid && sqs_[qid].cqid == cqid) {
            host_.kick(group_of_[qid]);
        }
    }
}

bool Controller::any_copying() const
{
    return std::any_of(groups_.begin(), groups_.end(),
                       [](const QueueGroup &g) { return !g.staged.empty(); });
}

}  // namespace nvmev
