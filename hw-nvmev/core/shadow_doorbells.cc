// Doorbell Buffer Config (NVMe 2.0c 5.8): shadow doorbells and event
// indexes in host memory. The host writes new SQ tails and CQ heads to the
// shadow buffer and rings the MMIO doorbell only when it passes the event
// index the controller published, so a controller that reads the shadow
// buffer on every pass needs few doorbell writes (no VM exits). The admin
// queue keeps MMIO doorbells (Linux gives it no shadow entries).
#include "controller.h"

namespace nvmev {

Outcome Controller::admin_doorbell_buffer_config(const Sqe &sqe)
{
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
    host_.trace("nvmev_dbbuf", "shadow=0x%llx eventidx=0x%llx",
                static_cast<unsigned long long>(sqe.prp1),
                static_cast<unsigned long long>(sqe.prp2));
    return Outcome::of(kSuccess);
}

// Shadow entries sit where the MMIO doorbells would (stride 0: 4 bytes).
uint64_t Controller::shadow_offset(uint16_t qid, bool cq)
{
    return (uint64_t{qid} * 2 + (cq ? 1 : 0)) * 4;
}

bool Controller::publish_event_indexes(uint16_t qid)
{
    if (!dbbuf_ || qid == 0) {
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
    if (sq.valid && v[0] != sq.tail) {
        if (v[0] < sq.size) {
            sq.tail = v[0];
            changed = true;
        } else {
            host_.trace("nvmev_err_doorbell", "shadow SQ %u tail %u >= size %u", qid, v[0],
                        sq.size);
        }
    }
    CompletionQueue &cq = cqs_[qid];
    if (cq.valid && v[1] != cq.head) {
        const uint32_t advance = (v[1] + cq.size - cq.head) % cq.size;
        if (v[1] < cq.size && advance <= cq.used()) {
            cq.head = v[1];
            changed = true;
        } else {
            host_.trace("nvmev_err_doorbell", "shadow CQ %u head %u invalid (size %u tail %u)", qid,
                        v[1], cq.size, cq.tail);
        }
    }
    return changed;
}

}  // namespace nvmev
