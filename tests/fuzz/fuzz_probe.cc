#include "fuzz_probe.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace nvmev {
namespace {

// The harness's own idea of where each CQ's next entry goes and with which
// phase, kept apart from the controller's state so a wrong phase or slot
// in the controller shows up.
struct CqModel {
    bool valid = false;
    uint32_t tail = 0;
    bool phase = true;
    // Two CQs whose next slots share an address (a host may place rings
    // anywhere, even on top of each other): a write there cannot be told
    // apart, so neither is modelled until it is deleted.
    bool ambiguous = false;
};
std::vector<CqModel> cq_models;

}  // namespace

void FuzzProbe::reset()
{
    cq_models.clear();
}

void invariant_failed(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::fputs("nvmev fuzz invariant violated: ", stderr);
    std::vfprintf(stderr, fmt, ap);
    std::fputc('\n', stderr);
    va_end(ap);
    __builtin_trap();
}

void FuzzProbe::check(const Controller &c)
{
    const bool rdy = c.csts_ & kCstsRdy;
    if (rdy && !cc_en(c.cc_)) {
        invariant_failed("CSTS.RDY=1 with CC.EN=0 (cc=0x%x csts=0x%x)", c.cc_, c.csts_);
    }
    for (size_t i = 0; i < c.sqs_.size(); i++) {
        const SubmissionQueue &sq = c.sqs_[i];
        if (!sq.valid) {
            continue;
        }
        if (!rdy && !(c.csts_ & kCstsCfs)) {
            invariant_failed("SQ %zu valid while the controller is not ready", i);
        }
        if (sq.size < 2 || sq.size > kMaxQueueEntries || sq.head >= sq.size || sq.tail >= sq.size) {
            invariant_failed("SQ %zu size %u head %u tail %u", i, sq.size, sq.head, sq.tail);
        }
        if (sq.cqid >= c.cqs_.size() || !c.cqs_[sq.cqid].valid) {
            invariant_failed("SQ %zu bound to CQ %u that does not exist", i, sq.cqid);
        }
    }
    for (size_t i = 0; i < c.cqs_.size(); i++) {
        const CompletionQueue &cq = c.cqs_[i];
        if (!cq.valid) {
            if (i < cq_models.size()) {
                cq_models[i].valid = false;  // deleted: a new one starts afresh
            }
            continue;
        }
        if (cq.size < 2 || cq.size > kMaxQueueEntries || cq.head >= cq.size || cq.tail >= cq.size) {
            invariant_failed("CQ %zu size %u head %u tail %u", i, cq.size, cq.head, cq.tail);
        }
        if (cq.reserved > cq.free_slots()) {
            invariant_failed("CQ %zu promised %u slots with %u free (head %u tail %u size %u)", i,
                             cq.reserved, cq.free_slots(), cq.head, cq.tail, cq.size);
        }
        uint32_t refs = 0;  // no allocation here: this runs after every step
        for (const SubmissionQueue &sq : c.sqs_) {
            refs += sq.valid && sq.cqid == i;
        }
        if (cq.sq_refs != refs) {
            invariant_failed("CQ %zu counts %u SQs, %u are bound to it", i, cq.sq_refs, refs);
        }
    }
    for (const QueueGroup &grp : c.groups_) {
        grp.pending.for_each([&](const Pending &p) {
            if (p.cqid >= c.cqs_.size() || p.sqid >= c.sqs_.size() ||
                &c.groups_[c.group_of_[p.sqid]] != &grp) {
                invariant_failed("pending completion for SQ %u CQ %u", p.sqid, p.cqid);
            }
        });
        if (!rdy && !grp.pending.empty()) {
            invariant_failed("%zu completions pending while not ready", grp.pending.size());
        }
        if (!grp.staged.empty()) {
            invariant_failed("%zu commands staged between passes", grp.staged.size());
        }
    }
}

void FuzzProbe::check_ftl(Controller &c)
{
    const std::string err = c.ftl().check_invariants();
    if (!err.empty()) {
        invariant_failed("FTL: %s", err.c_str());
    }
    if (const auto &kv = c.namespaces_[1]->kv) {
        const std::string kerr = kv->check_invariants();
        if (!kerr.empty()) {
            invariant_failed("KV store: %s", kerr.c_str());
        }
    }
}

void FuzzProbe::note_deleted_cqs(const Controller &c)
{
    for (size_t i = 0; i < c.cqs_.size() && i < cq_models.size(); i++) {
        if (!c.cqs_[i].valid) {
            cq_models[i].valid = false;
        }
    }
}

void FuzzProbe::check_cqe_write(const Controller &c, uint64_t addr, const void *data)
{
    if (cq_models.size() < c.cqs_.size()) {
        cq_models.resize(c.cqs_.size());
    }
    unsigned matches = 0;
    for (const CompletionQueue &cq : c.cqs_) {
        matches += cq.valid && addr == cq.base + uint64_t{cq.tail} * sizeof(Cqe);
    }
    for (size_t i = 0; i < c.cqs_.size(); i++) {
        const CompletionQueue &cq = c.cqs_[i];
        if (!cq.valid || addr != cq.base + uint64_t{cq.tail} * sizeof(Cqe)) {
            continue;
        }
        Cqe cqe;
        std::memcpy(&cqe, data, sizeof(cqe));
        CqModel &m = cq_models[i];
        if (!m.valid || (cq.tail == 0 && m.tail != 0 && !m.ambiguous)) {
            // First entry since the CQ was created (possibly deleted and
            // created again within one step).
            m = CqModel{true, 0, true, false};
        }
        if (matches > 1) {
            m.ambiguous = true;
        }
        if (m.ambiguous) {
            continue;
        }
        if ((cq.tail + 1) % cq.size == cq.head) {
            invariant_failed("CQE written to full CQ %zu (head %u tail %u size %u)", i, cq.head,
                             cq.tail, cq.size);
        }
        if (cq.tail != m.tail) {
            invariant_failed("CQE on CQ %zu at slot %u, the next free slot is %u", i, cq.tail,
                             m.tail);
        }
        if ((cqe.status & 1) != (m.phase ? 1 : 0)) {
            invariant_failed("CQE on CQ %zu slot %u with phase %u, expected %u", i, cq.tail,
                             cqe.status & 1, m.phase);
        }
        m.tail = (m.tail + 1) % cq.size;
        m.phase = m.tail == 0 ? !m.phase : m.phase;
    }
}

void FuzzProbe::check_vector(const Controller &c, uint16_t vector)
{
    if (c.msix_ && vector >= c.cfg_.msix_vectors) {
        invariant_failed("MSI-X vector %u raised, the device has %u", vector, c.cfg_.msix_vectors);
    }
}

}  // namespace nvmev
