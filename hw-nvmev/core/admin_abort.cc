// Abort (NVMe 2.0c 5.1). A command can be aborted while it is still in its
// SQ (marked; it completes with Command Abort Requested when fetched,
// without running), while its completion is pending (executed, not yet
// posted: the completion is posted at once with Command Abort Requested),
// or while it is an outstanding AER. A pending command has moved its data
// already: an aborted read may have filled its buffer and an aborted write
// has reached the media; the host may not rely on either (the spec leaves
// an aborted command's effects undefined). Completion dword 0 bit 0 is 0
// when the command was aborted, 1 when it was not (not found, or posted).
#include <algorithm>
#include <array>

#include "controller.h"

namespace nvmev {
namespace {

constexpr unsigned kMaxOutstandingAborts = 4;  // ID-CTRL ACL + 1

}  // namespace

Outcome Controller::admin_abort(Request &req)
{
    const Sqe &sqe = req.sqe;
    const auto sqid = static_cast<uint16_t>(sqe.cdw10 & 0xffff);
    const auto cid = static_cast<uint16_t>(sqe.cdw10 >> 16);
    // Aborts complete when executed; those not yet posted are outstanding.
    unsigned outstanding = 0;
    groups_[0].pending.for_each(
        [&](const Pending &p) { outstanding += p.sqid == 0 && p.opcode == nvme_admin_abort_cmd; });
    if (outstanding >= kMaxOutstandingAborts) {
        return Outcome::of(kAbortLimitExceeded);
    }
    Outcome out;
    out.dw0 = 1;  // not aborted
    if (sqid >= sqs_.size() || !sqs_[sqid].valid) {
        return out;
    }
    if (abort_pending(sqid, cid) || abort_in_sq(sqid, cid) || (sqid == 0 && abort_aer(cid))) {
        out.dw0 = 0;
    }
    return out;
}

bool Controller::abort_pending(uint16_t sqid, uint16_t cid)
{
    Pending p{};
    QueueGroup &grp = group_for(sqid);
    if (!grp.pending.take_one([&](const Pending &e) { return e.sqid == sqid && e.cqe.cid == cid; },
                              p)) {
        return false;
    }
    // Posted at once, in its place among the completions due now.
    p.cqe.status = static_cast<uint16_t>(kAbortRequested << 1);
    p.due_ns = host_.now_ns();
    p.timed = false;
    grp.pending.push(p);
    host_.kick(group_of_[sqid]);  // its group's next pass posts it
    Sqe logged{};
    logged.cid = cid;
    logged.opcode = p.opcode;
    refuse(sqid, logged, kAbortRequested, true);
    return true;
}

bool Controller::abort_in_sq(uint16_t sqid, uint16_t cid)
{
    const SubmissionQueue &sq = sqs_[sqid];
    // Entries are read a run at a time (up to the ring's end): a guest's
    // Abort on a full 64K-entry SQ is then a thousand DMAs under the lock,
    // not 64K.
    constexpr uint32_t kRun = 64;
    std::array<Sqe, kRun> run;
    uint32_t in_run = 0, next = 0;
    for (uint32_t slot = sq.head; slot != sq.tail; slot = (slot + 1) % sq.size) {
        if (next == in_run) {
            const uint32_t left = slot <= sq.tail ? sq.tail - slot : sq.size - slot;
            in_run = std::min(kRun, left);
            next = 0;
            if (!host_.dma_read(sq.base + uint64_t{slot} * sizeof(Sqe), run.data(),
                                in_run * sizeof(Sqe))) {
                return false;
            }
        }
        if (run[next++].cid == cid) {
            // One mark per slot (an Abort repeated while the SQ is stalled
            // renews it), so the marks stay within the SQs' entries and a
            // fetch leaves none behind for the slot's next command.
            auto same =
                std::find_if(abort_marks_.begin(), abort_marks_.end(),
                             [&](const AbortMark &m) { return m.sqid == sqid && m.slot == slot; });
            if (same != abort_marks_.end()) {
                same->cid = cid;
            } else {
                abort_marks_.push_back({sqid, cid, slot});
            }
            return true;
        }
    }
    return false;
}

bool Controller::take_abort_mark(uint16_t sqid, uint32_t slot, uint16_t cid)
{
    if (abort_marks_.empty()) {
        return false;
    }
    for (auto it = abort_marks_.begin(); it != abort_marks_.end(); ++it) {
        if (it->sqid == sqid && it->slot == slot) {
            // The host may have rewritten the entry since: the CID decides.
            const bool match = it->cid == cid;
            abort_marks_.erase(it);
            return match;
        }
    }
    return false;
}

bool Controller::abort_aer(uint16_t cid)
{
    CompletionQueue &acq = cqs_[0];
    auto it = std::find(aer_cids_.begin(), aer_cids_.end(), cid);
    // Without a free admin CQ slot for its completion the AER stays
    // outstanding and the Abort reports "not aborted".
    if (it == aer_cids_.end() || acq.free_slots() <= acq.reserved) {
        return false;
    }
    aer_cids_.erase(it);
    Sqe aer{};
    aer.cid = cid;
    aer.opcode = nvme_admin_async_event;
    acq.reserved++;
    schedule(0, aer, refuse(0, aer, kAbortRequested, true), host_.now_ns());
    return true;
}

}  // namespace nvmev
