// Create/Delete I/O Submission and Completion Queue (NVMe 2.0c 5.4-5.7).
#include "controller.h"

namespace nvmev {

Outcome Controller::admin_create_cq(Request &req)
{
    const Sqe &sqe = req.sqe;
    const auto qid = static_cast<uint16_t>(sqe.cdw10 & 0xffff);
    const uint32_t qsize = (sqe.cdw10 >> 16) + 1;
    const bool contiguous = sqe.cdw11 & 1;
    const bool ien = sqe.cdw11 & 2;
    const auto iv = static_cast<uint16_t>(sqe.cdw11 >> 16);

    if (qid == 0 || qid > alloc_cqs_ || qid >= cqs_.size() || cqs_[qid].valid) {
        return Outcome::of(cmd_specific_error(NVME_SC_QID_INVALID));
    }
    if (qsize < 2 || qsize > kMaxQueueEntries) {
        return Outcome::of(cmd_specific_error(NVME_SC_QUEUE_SIZE));
    }
    if (!contiguous) {
        return Outcome::of(kInvalidField);  // CAP.CQR = 1
    }
    if (sqe.prp1 == 0 || (sqe.prp1 & (kPageSize - 1))) {
        return Outcome::of(kInvalidPrpOffset);
    }
    if (ien && iv >= cfg_.msix_vectors) {
        return Outcome::of(cmd_specific_error(NVME_SC_INVALID_VECTOR));
    }
    if (cc_iocqes(cc_) != 4) {
        return Outcome::of(kInvalidField);  // CC.IOCQES must select 16 bytes
    }
    CompletionQueue &cq = cqs_[qid];
    cq = CompletionQueue{};
    cq.valid = true;
    cq.gen = ++queue_gen_;
    cq.base = sqe.prp1;
    cq.size = qsize;
    cq.irq_enabled = ien;
    cq.vector = iv;
    trace::create_cq(host_, qid, qsize, iv, ien);
    return {};
}

Outcome Controller::admin_create_sq(Request &req)
{
    const Sqe &sqe = req.sqe;
    const auto qid = static_cast<uint16_t>(sqe.cdw10 & 0xffff);
    const uint32_t qsize = (sqe.cdw10 >> 16) + 1;
    const bool contiguous = sqe.cdw11 & 1;
    const auto cqid = static_cast<uint16_t>(sqe.cdw11 >> 16);

    if (qid == 0 || qid > alloc_sqs_ || qid >= sqs_.size() || sqs_[qid].valid) {
        return Outcome::of(cmd_specific_error(NVME_SC_QID_INVALID));
    }
    if (cqid == 0 || cqid >= cqs_.size() || !cqs_[cqid].valid) {
        return Outcome::of(cmd_specific_error(NVME_SC_CQ_INVALID));
    }
    if (qsize < 2 || qsize > kMaxQueueEntries) {
        return Outcome::of(cmd_specific_error(NVME_SC_QUEUE_SIZE));
    }
    if (!contiguous) {
        return Outcome::of(kInvalidField);
    }
    if (sqe.prp1 == 0 || (sqe.prp1 & (kPageSize - 1))) {
        return Outcome::of(kInvalidPrpOffset);
    }
    if (cc_iosqes(cc_) != 6) {
        return Outcome::of(kInvalidField);  // CC.IOSQES must select 64 bytes
    }
    SubmissionQueue &sq = sqs_[qid];
    sq = SubmissionQueue{};
    sq.valid = true;
    sq.gen = ++queue_gen_;
    sq.cqid = cqid;
    sq.base = sqe.prp1;
    sq.size = qsize;
    cqs_[cqid].sq_refs++;
    trace::create_sq(host_, qid, qsize, cqid);
    return {};
}

Outcome Controller::admin_delete_sq(Request &req)
{
    const Sqe &sqe = req.sqe;
    const auto qid = static_cast<uint16_t>(sqe.cdw10 & 0xffff);
    if (qid == 0 || qid >= sqs_.size() || !sqs_[qid].valid) {
        return Outcome::of(cmd_specific_error(NVME_SC_QID_INVALID));
    }
    flush_sq(qid);
    CompletionQueue &cq = cqs_[sqs_[qid].cqid];
    if (cq.sq_refs) {
        cq.sq_refs--;
    }
    sqs_[qid] = SubmissionQueue{};
    std::erase_if(abort_marks_, [qid](const AbortMark &m) { return m.sqid == qid; });
    trace::delete_sq(host_, qid);
    return {};
}

Outcome Controller::admin_delete_cq(Request &req)
{
    const Sqe &sqe = req.sqe;
    const auto qid = static_cast<uint16_t>(sqe.cdw10 & 0xffff);
    if (qid == 0 || qid >= cqs_.size() || !cqs_[qid].valid) {
        return Outcome::of(cmd_specific_error(NVME_SC_QID_INVALID));
    }
    if (cqs_[qid].sq_refs) {
        return Outcome::of(cmd_specific_error(NVME_SC_INVALID_QUEUE));
    }
    cqs_[qid] = CompletionQueue{};
    trace::delete_cq(host_, qid);
    if (!msix_) {
        update_intx();
    }
    return {};
}

}  // namespace nvmev
