// Controller registers and the CC/CSTS state machine (NVMe 2.0c 3.1.3,
// 3.5, 3.6): enable, disable (controller reset), shutdown, doorbells.
#include "controller.h"
#include "trace.h"

namespace nvmev {

uint64_t Controller::mmio_read(uint64_t offset, unsigned size)
{
    if (offset >= kDoorbellBase) {
        return 0;  // doorbells are write-only; reads return zero
    }
    if ((size != 4 && size != 8) || (offset & (size - 1))) {
        trace::ub_mmio_read(host_, offset, size);
        return 0;
    }
    auto dword = [this](uint64_t off) -> uint32_t {
        switch (off) {
            case NVME_REG_CAP: return static_cast<uint32_t>(cap_);
            case NVME_REG_CAP + 4: return static_cast<uint32_t>(cap_ >> 32);
            case NVME_REG_VS: return kVersion;
            case NVME_REG_INTMS:
            case NVME_REG_INTMC: return msix_ ? 0 : intms_;
            case NVME_REG_CC: return cc_;
            // After CC.EN 1->0, RDY clears once the controller could be
            // enabled again: when no staged data is still moving (a host
            // reuses the buffers' memory only after RDY 0).
            case NVME_REG_CSTS: return csts_ | (!cc_en(cc_) && any_copying() ? kCstsRdy : 0);
            case NVME_REG_AQA: return aqa_;
            case NVME_REG_ASQ: return static_cast<uint32_t>(asq_);
            case NVME_REG_ASQ + 4: return static_cast<uint32_t>(asq_ >> 32);
            case NVME_REG_ACQ: return static_cast<uint32_t>(acq_);
            case NVME_REG_ACQ + 4: return static_cast<uint32_t>(acq_ >> 32);
            case NVME_REG_CMBLOC: return cmb_.cmbloc();
            case NVME_REG_CMBSZ: return cmb_.cmbsz();
            case NVME_REG_CMBMSC: return static_cast<uint32_t>(cmb_.cmbmsc());
            case NVME_REG_CMBMSC + 4: return static_cast<uint32_t>(cmb_.cmbmsc() >> 32);
            case NVME_REG_CMBSTS: return cmb_.cmbsts();
            case NVME_REG_PMRCAP: return pmr_.pmrcap();
            case NVME_REG_PMRCTL: return pmr_.pmrctl();
            case NVME_REG_PMRSTS: return pmr_.read_pmrsts();
            default: return 0;  // reserved and unimplemented optional registers
        }
    };
    uint64_t v = dword(offset);
    if (size == 8) {
        v |= uint64_t{dword(offset + 4)} << 32;
    }
    return v;
}

void Controller::mmio_write(uint64_t offset, uint64_t value, unsigned size)
{
    if (offset >= kDoorbellBase) {
        if (size != 4 || (offset & 3)) {
            trace::ub_mmio_write(host_, offset, size, value);
            return;
        }
        doorbell_write(offset, static_cast<uint32_t>(value));
        return;
    }
    if ((size != 4 && size != 8) || (offset & (size - 1))) {
        trace::ub_mmio_write(host_, offset, size, value);
        return;
    }
    if (size == 8) {
        // A 64-bit write is two dword writes, low first.
        mmio_write(offset, value & 0xffffffffu, 4);
        mmio_write(offset + 4, value >> 32, 4);
        return;
    }
    const auto v = static_cast<uint32_t>(value);
    const bool enabled = cc_en(cc_);
    switch (offset) {
        case NVME_REG_INTMS:
            if (!msix_) {  // "reserved when MSI-X is used" (3.1.3.3)
                intms_ |= v;
                update_intx();
            }
            break;
        case NVME_REG_INTMC:
            if (!msix_) {
                intms_ &= ~v;
                update_intx();
            }
            break;
        case NVME_REG_CC: write_cc(v); break;
        case NVME_REG_AQA:
        case NVME_REG_ASQ:
        case NVME_REG_ASQ + 4:
        case NVME_REG_ACQ:
        case NVME_REG_ACQ + 4:
            if (enabled) {
                // The admin queue registers are fixed while CC.EN = 1.
                trace::ub_mmio_write_aq(host_, offset, v);
                break;
            }
            if (offset == NVME_REG_AQA) {
                aqa_ = v & 0x0fff0fffu;
            } else if (offset == NVME_REG_ASQ) {
                asq_ = (asq_ & ~uint64_t{0xffffffff}) | v;
            } else if (offset == NVME_REG_ASQ + 4) {
                asq_ = (asq_ & 0xffffffffu) | (uint64_t{v} << 32);
            } else if (offset == NVME_REG_ACQ) {
                acq_ = (acq_ & ~uint64_t{0xffffffff}) | v;
            } else {
                acq_ = (acq_ & 0xffffffffu) | (uint64_t{v} << 32);
            }
            break;
        case NVME_REG_CMBMSC:
        case NVME_REG_CMBMSC + 4:
            if (!cmb_.present()) {
                trace::ub_mmio_write_ro(host_, offset, v);  // reserved without CAP.CMBS
                break;
            }
            // Any time: Linux sets it with the controller enabled.
            cmb_.write_cmbmsc(offset != NVME_REG_CMBMSC, v);
            break;
        case NVME_REG_PMRCTL:
            if (!pmr_.present()) {
                trace::ub_mmio_write_ro(host_, offset, v);  // reserved without CAP.PMRS
                break;
            }
            pmr_.write_pmrctl(v);
            break;
        case NVME_REG_NSSR: break;  // NVM subsystem reset is not supported (CAP.NSSRS = 0)
        default: trace::ub_mmio_write_ro(host_, offset, v); break;
    }
}

void Controller::write_cc(uint32_t value)
{
    const uint32_t old = cc_;
    // Only EN may change together with the other fields while enabling; the
    // configuration fields are read-only while enabled (3.1.3.5).
    if (cc_en(old) && cc_en(value)) {
        cc_ = (old & ~(uint32_t{3} << 14)) | (value & (uint32_t{3} << 14));
    } else {
        cc_ = value & 0x00ffc7f1u;
    }
    if (!cc_en(old) && cc_en(value)) {
        enable();
    } else if (cc_en(old) && !cc_en(value)) {
        disable();
        csts_ &= ~(kCstsRdy | kCstsCfs | (uint32_t{3} << 2));
    }
    if (cc_shn(value) && cc_en(cc_)) {
        // Shutdown: data is in the backing store the moment a write is
        // copied, so there is nothing to flush but in-flight completions
        // and the drive state (docs/persistence.md).
        post_all_due(INT64_MAX);
        checkpoint();
        raise_pending_irqs();
        for (unsigned g = 0; g < groups(); g++) {
            rearm(g);  // nothing is left to wait for
        }
        csts_ = (csts_ & ~(uint32_t{3} << 2)) | kCstsShstComplete;
        trace::shutdown(host_, cc_);
    } else if (!cc_shn(value)) {
        csts_ &= ~(uint32_t{3} << 2);
    }
}

void Controller::fail(const char *why)
{
    csts_ |= kCstsCfs;
    trace::err_fatal(host_, why);
}

void Controller::enable()
{
    const uint32_t asqs = (aqa_ & 0xfff) + 1;
    const uint32_t acqs = ((aqa_ >> 16) & 0xfff) + 1;
    if (asq_ & (kPageSize - 1) || acq_ & (kPageSize - 1) || !asq_ || !acq_) {
        fail("admin queue base not page aligned");
        return;
    }
    if (asqs < 2 || acqs < 2) {
        fail("admin queue size below 2 entries");
        return;
    }
    if (cc_mps(cc_) != 0) {
        fail("CC.MPS outside CAP.MPSMIN..MPSMAX");
        return;
    }
    // CAP.CSS offers the NVM command set alone (000b), all I/O command sets
    // (110b) and the Admin command set only (111b).
    if (cc_css(cc_) != NVME_CC_CSS_NVM && cc_css(cc_) != NVME_CC_CSS_CSI &&
        cc_css(cc_) != NVME_CC_CSS_ADMIN) {
        fail("CC.CSS selects an unsupported command set");
        return;
    }
    CompletionQueue &acq = cqs_[0];
    acq = CompletionQueue{};
    acq.valid = true;
    acq.gen = ++queue_gen_;
    acq.base = acq_;
    acq.size = acqs;
    acq.irq_enabled = true;
    acq.vector = 0;
    acq.sq_refs = 1;
    SubmissionQueue &asq = sqs_[0];
    asq = SubmissionQueue{};
    asq.valid = true;
    asq.gen = ++queue_gen_;
    asq.base = asq_;
    asq.size = asqs;
    asq.cqid = 0;
    alloc_sqs_ = alloc_cqs_ = static_cast<uint16_t>(cfg_.max_ioqpairs);
    csts_ = (csts_ & ~kCstsCfs) | kCstsRdy;
    trace::enable(host_, asq_, asqs, acq_, acqs);
}

void Controller::disable()
{
    // Controller reset (3.7.2): queues are deleted and outstanding commands
    // dropped. Media writes already happened; their completions are lost.
    checkpoint();
    for (auto &sq : sqs_) {
        sq = SubmissionQueue{};
    }
    for (auto &cq : cqs_) {
        cq = CompletionQueue{};
    }
    for (unsigned g = 0; g < groups(); g++) {
        groups_[g].pending.clear();
        groups_[g].waits_for_copies = false;
        groups_[g].sibling_retry_ns = INT64_MAX;
        if (groups_[g].armed_ns != INT64_MAX) {
            groups_[g].armed_ns = INT64_MAX;
            host_.arm_timer(g, INT64_MAX);
        }
    }
    abort_marks_.clear();
    dbbuf_ = false;  // the host configures shadow doorbells again after a reset
    aer_cids_.clear();
    events_.clear();
    masked_event_types_ = 0;
    if (!msix_) {
        host_.irq_deassert(0);
    }
    feat_irq_config_.assign(cfg_.msix_vectors, 0);
    trace::disable(host_, cc_);
}

void Controller::reset()
{
    trace::ctrl_reset(host_, cc_);
    disable();
    cc_ = 0;
    csts_ = 0;
    aqa_ = 0;
    asq_ = acq_ = 0;
    intms_ = 0;
    // A controller reset (CC.EN 1 to 0) keeps CMBMSC and PMRCTL, which the
    // host sets once (Linux does not set CMBMSC again after one); a
    // conventional or function-level reset clears them.
    cmb_.reset();
    pmr_.reset();
}

void Controller::reset_stats()
{
    counters_ = DeviceCounters{};
    lateness_.clear();
    for (const auto &ns : namespaces_) {
        if (ns) {
            ns->ftl->reset_stats();
            ns->kv_ops = {};
            if (ns->kv) {
                ns->kv->reset_stats();
            }
        }
    }
}

void Controller::doorbell_write(uint64_t offset, uint32_t value)
{
    if (!ready()) {
        trace::ub_doorbell(host_, offset, value);
        return;
    }
    const uint64_t idx = (offset - kDoorbellBase) / 4;
    const uint64_t qid = idx / 2;
    const bool is_cq = idx & 1;
    if (qid >= sqs_.size() || (is_cq ? !cqs_[qid].valid : !sqs_[qid].valid)) {
        trace::err_doorbell_queue(host_, qid, is_cq, value);
        queue_event(NVME_AER_ERROR, NVME_AER_ERROR_INVALID_DB_REG, NVME_LOG_LID_ERROR);
        return;
    }
    if (is_cq) {
        CompletionQueue &cq = cqs_[qid];
        // The new head may only retire entries the controller has posted.
        const uint32_t used = cq.used();
        const uint32_t advance = (value + cq.size - cq.head) % cq.size;
        if (value >= cq.size || advance > used) {
            trace::err_doorbell(host_, qid, true, false, value, cq.size, cq.tail);
            queue_event(NVME_AER_ERROR, NVME_AER_ERROR_INVALID_DB_VAL, NVME_LOG_LID_ERROR);
            return;
        }
        cq.head = value;
        if (!msix_) {
            update_intx();
        }
        // Freed entries may let held SQs and events make progress.
        if (advance) {
            wake_cq_feeders(static_cast<uint16_t>(qid));
        }
    } else {
        SubmissionQueue &sq = sqs_[qid];
        if (value >= sq.size) {
            trace::err_doorbell(host_, qid, false, false, value, sq.size, sq.tail);
            queue_event(NVME_AER_ERROR, NVME_AER_ERROR_INVALID_DB_VAL, NVME_LOG_LID_ERROR);
            return;
        }
        sq.tail = value;
        host_.kick(group_of_[qid]);
    }
}

void Controller::update_intx()
{
    if (msix_) {
        return;
    }
    bool pending = false;
    for (const auto &cq : cqs_) {
        if (cq.valid && cq.irq_enabled && cq.used() > 0) {
            pending = true;
        }
    }
    if (pending && !(intms_ & 1)) {
        host_.irq_assert(0);
    } else {
        host_.irq_deassert(0);
    }
}

}  // namespace nvmev
