// Doorbell Buffer Config (NVMe 2.0c 5.8): shadow doorbells and event
// indexes in host memory. The host writes new SQ tails and CQ heads to the
// shadow buffer and rings the MMIO doorbell only when it passes the event
// index the controller published, so a controller that reads the shadow
// buffer on every pass needs few doorbell writes (no VM exits). The admin
// queue keeps MMIO doorbells (Linux gives it no shadow entries).
#include <atomic>

#include "controller.h"

namespace nvmev {

Outcome Controller::admin_doorbell_buffer_config(Request &req)
{
    const Sqe &sqe = req.sqe;
    if (!cfg_.dbbuf) {
        return Outcome::of(kInvalidOpcode);  // dbbuf=off: OACS does not offer it
    }
    // Both buffers: one memory page each, page aligned.
    if (sqe.prp1 == 0 || sqe.prp2 == 0 || (sqe.prp1 | sqe.prp2) & (kPageSize - 1)) {
        return Outcome::of(kInvalidField);
    }
    dbbuf_shadow_ = sqe.prp1;
    dbbuf_eventidx_ = sqe.prp2;
    dbbuf_ = true;
    // Queues that exist already publish their event indexes in the new
    // buffer now.
    for (uint16_t qid = 1; qid < sqs_.size(); ++qid) {
        sqs_[qid].event_idx = cqs_[qid].event_idx = UINT32_MAX;
        publish_event_indexes(qid);
    }
    trace::dbbuf(host_, sqe.prp1, sqe.prp2);
    return Outcome::of(kSuccess);
}

// Shadow entries sit where the MMIO doorbells would (stride 0: 4 bytes).
uint64_t Controller::shadow_offset(uint16_t qid, bool cq)
{
    return (uint64_t{qid} * 2 + (cq ? 1 : 0)) * 4;
}

bool Controller::publish_event_indexes(uint16_t qid)
{
    if (!dbbuf_ || qid == 0 || group_for(qid).polling) {
        return false;
    }
    // Only values that moved are written: a pass over an idle queue pair
    // costs one 8-byte read of its shadow entries and nothing more.
    bool wrote = false;
    SubmissionQueue &sq = sqs_[qid];
    if (sq.valid && sq.event_idx != sq.tail) {
        sq.event_idx = sq.tail;
        host_.dma_write(dbbuf_eventidx_ + shadow_offset(qid, false), &sq.tail, sizeof(sq.tail));
        wrote = true;
    }
    CompletionQueue &cq = cqs_[qid];
    if (cq.valid && cq.event_idx != cq.head) {
        cq.event_idx = cq.head;
        host_.dma_write(dbbuf_eventidx_ + shadow_offset(qid, true), &cq.head, sizeof(cq.head));
        wrote = true;
    }
    return wrote;
}

bool Controller::shadow_sq_tail_ok(uint16_t qid, uint32_t tail) const
{
    const SubmissionQueue &sq = sqs_[qid];
    return sq.valid && tail != sq.tail && tail < sq.size;
}

bool Controller::shadow_cq_head_ok(uint16_t qid, uint32_t head) const
{
    const CompletionQueue &cq = cqs_[qid];
    return cq.valid && head != cq.head && head < cq.size &&
           (head + cq.size - cq.head) % cq.size <= cq.used();
}

bool Controller::read_shadow_doorbells(uint16_t qid)
{
    if (!dbbuf_ || qid == 0) {
        return false;
    }
    uint32_t v[2];  // SQ tail, CQ head: adjacent
    if (!host_.dma_read(dbbuf_shadow_ + shadow_offset(qid, false), v, sizeof(v))) {
        return false;
    }
    bool changed = false;
    SubmissionQueue &sq = sqs_[qid];
    if (shadow_sq_tail_ok(qid, v[0])) {
        sq.tail = v[0];
        changed = true;
    } else if (sq.valid && v[0] != sq.tail) {
        trace::err_doorbell(host_, qid, false, true, v[0], sq.size, sq.tail);
    }
    CompletionQueue &cq = cqs_[qid];
    if (shadow_cq_head_ok(qid, v[1])) {
        cq.head = v[1];
        changed = true;
        if (cq.sq_refs > 1 || sq.cqid != qid) {
            wake_cq_feeders(qid);  // SQs of other queue pairs may wait for it
        }
    } else if (cq.valid && v[1] != cq.head) {
        trace::err_doorbell(host_, qid, true, true, v[1], cq.size, cq.tail);
    }
    return changed;
}

bool Controller::poll(unsigned g, int64_t now)
{
    if (!ready() || (csts_ & kCstsCfs)) {
        return false;
    }
    const QueueGroup &grp = groups_[g];
    if (!grp.pending.empty() && grp.pending.top().due_ns <= now) {
        return true;
    }
    if (!dbbuf_) {
        return false;
    }
    // Only values a pass would take count: a bad shadow value must not keep
    // the poller spinning on a pass that does nothing.
    for (uint16_t qid = 1; qid < sqs_.size(); ++qid) {
        if ((!sqs_[qid].valid && !cqs_[qid].valid) || group_of_[qid] != g) {
            continue;
        }
        uint32_t v[2];
        if (host_.dma_read(dbbuf_shadow_ + shadow_offset(qid, false), v, sizeof(v)) &&
            (shadow_sq_tail_ok(qid, v[0]) || shadow_cq_head_ok(qid, v[1]))) {
            return true;
        }
    }
    return false;
}

void Controller::set_polling(unsigned g, bool on)
{
    QueueGroup &grp = groups_[g];
    if (grp.polling == on) {
        return;
    }
    grp.polling = on;
    if (on) {
        return;
    }
    for (uint16_t qid = 1; qid < sqs_.size(); ++qid) {
        if (group_of_[qid] == g) {
            publish_event_indexes(qid);
        }
    }
    // The indexes must be visible before the poller's last look at the
    // shadow entries: a host that wrote a shadow tail while the old index
    // stood rang nothing, and only that look finds its command.
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

}  // namespace nvmev
