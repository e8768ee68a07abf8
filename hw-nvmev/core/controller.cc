// Registers, the CC/CSTS state machine, SQ fetch and completion posting.
#include "controller.h"

#include <algorithm>
#include <cstring>

namespace nvmev {
namespace {

constexpr unsigned kFetchBurst = 64;  // per SQ per pass, then round robin

uint64_t build_cap()
{
    uint64_t cap = 0;
    cap |= uint64_t{kMaxQueueEntries - 1};  // MQES (0-based)
    cap |= uint64_t{1} << 16;               // CQR: contiguous queues required
    cap |= uint64_t{15} << 24;              // TO: 7.5 s in 500 ms units
    cap |= uint64_t{1} << 37;               // CSS: NVM command set
    return cap;                             // DSTRD = MPSMIN = MPSMAX = 0
}

}  // namespace

Controller::Controller(const ResolvedConfig &cfg, const Host &host, uint8_t *backing)
    : cfg_(cfg), host_(host), backing_(backing), prp_(host_)
{
    ftl_ = ftl::make_simple_ftl({cfg.read_latency_ns, cfg.write_latency_ns, cfg.read_bandwidth_mbps,
                                 cfg.write_bandwidth_mbps},
                                4096);
    cap_ = build_cap();
    sqs_.resize(cfg.max_ioqpairs + 1u);
    cqs_.resize(cfg.max_ioqpairs + 1u);
    pending_.reserve(1024);
    feat_irq_config_.assign(cfg.msix_vectors, 0);
    created_ns_ = host_.now_ns();
}

uint64_t Controller::bar_size() const
{
    // Registers, then one SQ tail and one CQ head doorbell per queue pair.
    const uint64_t need = kDoorbellBase + uint64_t{8} * (cfg_.max_ioqpairs + 1u);
    uint64_t size = 16384;
    while (size < need) {
        size <<= 1;
    }
    return size;
}

uint32_t Controller::active_io_sqs() const
{
    uint32_t n = 0;
    for (size_t i = 1; i < sqs_.size(); i++) {
        n += sqs_[i].valid;
    }
    return n;
}

uint64_t Controller::mmio_read(uint64_t offset, unsigned size)
{
    if (offset >= kDoorbellBase) {
        return 0;  // doorbells are write-only; reads return zero
    }
    if ((size != 4 && size != 8) || (offset & (size - 1))) {
        host_.trace("nvmev_ub_mmio_read", "offset=0x%llx size=%u",
                    static_cast<unsigned long long>(offset), size);
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
            case NVME_REG_CSTS: return csts_;
            case NVME_REG_AQA: return aqa_;
            case NVME_REG_ASQ: return static_cast<uint32_t>(asq_);
            case NVME_REG_ASQ + 4: return static_cast<uint32_t>(asq_ >> 32);
            case NVME_REG_ACQ: return static_cast<uint32_t>(acq_);
            case NVME_REG_ACQ + 4: return static_cast<uint32_t>(acq_ >> 32);
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
            host_.trace("nvmev_ub_mmio_write", "doorbell offset=0x%llx size=%u",
                        static_cast<unsigned long long>(offset), size);
            return;
        }
        doorbell_write(offset, static_cast<uint32_t>(value));
        return;
    }
    if ((size != 4 && size != 8) || (offset & (size - 1))) {
        host_.trace("nvmev_ub_mmio_write", "offset=0x%llx size=%u",
                    static_cast<unsigned long long>(offset), size);
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
                host_.trace("nvmev_ub_mmio_write", "admin queue register 0x%llx while enabled",
                            static_cast<unsigned long long>(offset));
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
        case NVME_REG_NSSR: break;  // NVM subsystem reset is not supported (CAP.NSSRS = 0)
        default:
            host_.trace("nvmev_ub_mmio_write", "read-only or reserved register 0x%llx",
                        static_cast<unsigned long long>(offset));
            break;
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
        // copied, so there is nothing to flush but in-flight completions.
        post_due(INT64_MAX);
        raise_pending_irqs();
        csts_ = (csts_ & ~(uint32_t{3} << 2)) | kCstsShstComplete;
        host_.trace("nvmev_shutdown", "cc=0x%x", cc_);
    } else if (!cc_shn(value)) {
        csts_ &= ~(uint32_t{3} << 2);
    }
}

void Controller::fail(const char *why)
{
    csts_ |= kCstsCfs;
    host_.trace("nvmev_err_fatal", "%s", why);
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
    if (cc_css(cc_) != 0) {  // CAP.CSS advertises the NVM command set only
        fail("CC.CSS selects an unsupported command set");
        return;
    }
    CompletionQueue &acq = cqs_[0];
    acq = CompletionQueue{};
    acq.valid = true;
    acq.base = acq_;
    acq.size = acqs;
    acq.irq_enabled = true;
    acq.vector = 0;
    acq.sq_refs = 1;
    SubmissionQueue &asq = sqs_[0];
    asq = SubmissionQueue{};
    asq.valid = true;
    asq.base = asq_;
    asq.size = asqs;
    asq.cqid = 0;
    alloc_sqs_ = alloc_cqs_ = static_cast<uint16_t>(cfg_.max_ioqpairs);
    csts_ = (csts_ & ~kCstsCfs) | kCstsRdy;
    host_.trace("nvmev_enable", "asq=0x%llx/%u acq=0x%llx/%u",
                static_cast<unsigned long long>(asq_), asqs, static_cast<unsigned long long>(acq_),
                acqs);
}

void Controller::disable()
{
    // Controller reset (3.7.2): queues are deleted and outstanding commands
    // dropped. Media writes already happened; their completions are lost.
    for (auto &sq : sqs_) {
        sq = SubmissionQueue{};
    }
    for (auto &cq : cqs_) {
        cq = CompletionQueue{};
    }
    pending_.clear();
    aer_cids_.clear();
    events_.clear();
    masked_event_types_ = 0;
    if (armed_ns_ != INT64_MAX) {
        armed_ns_ = INT64_MAX;
        host_.arm_timer(INT64_MAX);
    }
    if (!msix_) {
        host_.irq_deassert(0);
    }
    feat_irq_config_.assign(cfg_.msix_vectors, 0);
    host_.trace("nvmev_disable", "cc=0x%x", cc_);
}

void Controller::reset()
{
    disable();
    cc_ = 0;
    csts_ = 0;
    aqa_ = 0;
    asq_ = acq_ = 0;
    intms_ = 0;
}

void Controller::reset_stats()
{
    counters_ = DeviceCounters{};
    lateness_.clear();
}

void Controller::doorbell_write(uint64_t offset, uint32_t value)
{
    if (!ready()) {
        host_.trace("nvmev_ub_doorbell", "doorbell 0x%llx written while not ready",
                    static_cast<unsigned long long>(offset));
        return;
    }
    const uint64_t idx = (offset - kDoorbellBase) / 4;
    const uint64_t qid = idx / 2;
    const bool is_cq = idx & 1;
    if (qid >= sqs_.size() || (is_cq ? !cqs_[qid].valid : !sqs_[qid].valid)) {
        host_.trace("nvmev_err_doorbell", "doorbell of nonexistent %s %llu", is_cq ? "CQ" : "SQ",
                    static_cast<unsigned long long>(qid));
        queue_event(NVME_AER_ERROR, NVME_AER_ERROR_INVALID_DB_REG, NVME_LOG_LID_ERROR);
        return;
    }
    if (is_cq) {
        CompletionQueue &cq = cqs_[qid];
        // The new head may only retire entries the controller has posted.
        const uint32_t used = cq.used();
        const uint32_t advance = (value + cq.size - cq.head) % cq.size;
        if (value >= cq.size || advance > used) {
            host_.trace("nvmev_err_doorbell", "CQ %llu head %u invalid (size %u tail %u)",
                        static_cast<unsigned long long>(qid), value, cq.size, cq.tail);
            queue_event(NVME_AER_ERROR, NVME_AER_ERROR_INVALID_DB_VAL, NVME_LOG_LID_ERROR);
            return;
        }
        cq.head = value;
        if (!msix_) {
            update_intx();
        }
        // Freed entries may let held SQs and events make progress.
        if (advance) {
            host_.kick();
        }
    } else {
        SubmissionQueue &sq = sqs_[qid];
        if (value >= sq.size) {
            host_.trace("nvmev_err_doorbell", "SQ %llu tail %u >= size %u",
                        static_cast<unsigned long long>(qid), value, sq.size);
            queue_event(NVME_AER_ERROR, NVME_AER_ERROR_INVALID_DB_VAL, NVME_LOG_LID_ERROR);
            return;
        }
        sq.tail = value;
        host_.kick();
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

void Controller::process()
{
    if (!ready() || (csts_ & kCstsCfs)) {
        return;
    }
    bool more = false;
    fetch_from(sqs_[0], kFetchBurst, more);
    const auto n = static_cast<uint16_t>(sqs_.size());
    for (uint16_t i = 0; i + 1 < n && ready(); i++) {
        const uint16_t qid = static_cast<uint16_t>(1 + (rr_next_ - 1 + i) % (n - 1));
        if (sqs_[qid].valid) {
            fetch_from(sqs_[qid], kFetchBurst, more);
        }
    }
    rr_next_ = static_cast<uint16_t>(rr_next_ % (n - 1) + 1);
    deliver_events();
    post_due(host_.now_ns());
    raise_pending_irqs();
    rearm();
    if (more) {
        host_.kick();
    }
}

void Controller::timer()
{
    armed_ns_ = INT64_MAX;
    if (!ready()) {
        return;
    }
    post_due(host_.now_ns());
    raise_pending_irqs();
    rearm();
}

void Controller::fetch_from(SubmissionQueue &sq, unsigned budget, bool &more)
{
    while (!sq.empty() && sq.valid && ready()) {
        CompletionQueue &cq = cqs_[sq.cqid];
        if (cq.free_slots() <= cq.reserved) {
            return;  // back-pressure: resumes when the host frees CQ entries
        }
        if (budget-- == 0) {
            more = true;
            return;
        }
        Sqe sqe;
        if (!host_.dma_read(sq.base + uint64_t{sq.head} * sizeof(Sqe), &sqe, sizeof(sqe))) {
            fail("SQ entry fetch failed");
            return;
        }
        sq.head = (sq.head + 1) % sq.size;
        sq.inflight++;
        cq.reserved++;
        const int64_t now = host_.now_ns();
        fetch_ns_ = now;
        const Outcome out = execute(sqe, sq.id);
        if (out.held) {
            // The AER keeps no CQ slot while it waits; an event reserves one.
            sq.inflight--;
            cq.reserved--;
            continue;
        }
        schedule(sq.id, sqe, out, now);
        if (!sq.valid) {
            return;  // the command deleted its own queue's controller state
        }
    }
}

Outcome Controller::execute(const Sqe &sqe, uint16_t sqid)
{
    const auto &table = sqid == 0 ? admin_table() : io_table();
    Outcome out;
    if ((sqe.flags & 3) != 0) {
        // Fused operations are not offered (ID-CTRL FUSES = 0).
        out = Outcome::error(kInvalidField);
    } else if ((sqe.flags >> 6) != 0) {
        // SGLs are not offered (ID-CTRL SGLS = 0): PSDT must select PRPs.
        out = Outcome::error(kInvalidField);
    } else if (Handler h = table[sqe.opcode]) {
        out = (this->*h)(sqe);
    } else {
        out = Outcome::error(kInvalidOpcode);
    }
    if (sqid != 0) {
        switch (sqe.opcode) {
            case nvme_cmd_read: counters_.read_cmds++; break;
            case nvme_cmd_write: counters_.write_cmds++; break;
            default: counters_.other_cmds++; break;
        }
    } else {
        counters_.other_cmds++;
    }
    if (out.status != kSuccess) {
        counters_.error_cmds++;
        record_error(sqid, sqe, out.status);
        host_.trace("nvmev_err_cmd", "sq=%u cid=%u opc=0x%02x status=0x%04x", sqid, sqe.cid,
                    sqe.opcode, out.status);
    }
    return out;
}

void Controller::schedule(uint16_t sqid, const Sqe &sqe, const Outcome &out, int64_t now)
{
    Pending p{};
    p.due_ns = std::max(out.complete_at_ns, now);
    p.target_ns = p.due_ns;
    p.timed = sqid != 0 && out.status == kSuccess;
    p.seq = seq_++;
    p.sqid = sqid;
    p.cqid = sqs_[sqid].cqid;
    p.cqe.dw0 = out.dw0;
    p.cqe.sq_id = sqid;
    p.cqe.cid = sqe.cid;
    p.cqe.status = static_cast<uint16_t>(out.status << 1);
    pending_.push_back(p);
    std::push_heap(pending_.begin(), pending_.end(), PendingLater{});
}

void Controller::post_due(int64_t now)
{
    while (!pending_.empty() && pending_.front().due_ns <= now) {
        std::pop_heap(pending_.begin(), pending_.end(), PendingLater{});
        const Pending p = pending_.back();
        pending_.pop_back();
        post(p, now == INT64_MAX ? host_.now_ns() : now);
    }
}

void Controller::post(const Pending &p, int64_t now)
{
    CompletionQueue &cq = cqs_[p.cqid];
    SubmissionQueue &sq = sqs_[p.sqid];
    if (!cq.valid) {
        return;
    }
    Cqe cqe = p.cqe;
    cqe.sq_head = static_cast<uint16_t>(sq.head);
    cqe.status = static_cast<uint16_t>((cqe.status & ~1u) | (cq.phase ? 1u : 0u));
    if (!host_.dma_write(cq.base + uint64_t{cq.tail} * sizeof(Cqe), &cqe, sizeof(cqe))) {
        fail("CQ entry write failed");
        return;
    }
    cq.tail = (cq.tail + 1) % cq.size;
    if (cq.tail == 0) {
        cq.phase = !cq.phase;
    }
    if (cq.reserved) {
        cq.reserved--;
    }
    if (sq.inflight) {
        sq.inflight--;
    }
    cq.irq_pending = true;
    counters_.completions++;
    if (p.timed) {
        lateness_.record(static_cast<uint64_t>(std::max<int64_t>(0, now - p.target_ns)));
    }
}

void Controller::raise_pending_irqs()
{
    // One interrupt per CQ per pass: completions posted together coalesce.
    bool any = false;
    for (auto &cq : cqs_) {
        if (!cq.irq_pending) {
            continue;
        }
        cq.irq_pending = false;
        if (!cq.valid || !cq.irq_enabled) {
            continue;
        }
        if (msix_) {
            host_.irq_assert(cq.vector);
        } else {
            any = true;
        }
    }
    if (any) {
        update_intx();
    }
}

void Controller::rearm()
{
    const int64_t next = pending_.empty() ? INT64_MAX : pending_.front().due_ns;
    if (next != armed_ns_) {
        armed_ns_ = next;
        host_.arm_timer(next);
    }
}

void Controller::flush_sq(uint16_t sqid)
{
    // Post the SQ's in-flight completions now (their data has moved) so the
    // queue can be deleted without losing them.
    std::vector<Pending> keep;
    std::vector<Pending> flush;
    for (const auto &p : pending_) {
        (p.sqid == sqid ? flush : keep).push_back(p);
    }
    if (flush.empty()) {
        return;
    }
    std::sort(flush.begin(), flush.end(),
              [](const Pending &a, const Pending &b) { return PendingLater{}(b, a); });
    pending_ = std::move(keep);
    std::make_heap(pending_.begin(), pending_.end(), PendingLater{});
    const int64_t now = host_.now_ns();
    for (const auto &p : flush) {
        post(p, now);
    }
}

void Controller::record_error(uint16_t sqid, const Sqe &sqe, Status status)
{
    struct nvme_error_log_page e {};
    e.error_count = ++error_count_;
    e.sqid = sqid;
    e.cmdid = sqe.cid;
    e.status_field = static_cast<uint16_t>(status << 1);
    e.parm_error_location = 0xffff;
    e.nsid = sqe.nsid;
    if (sqid != 0 && (sqe.opcode == nvme_cmd_read || sqe.opcode == nvme_cmd_write)) {
        e.lba = sqe.cdw10 | (uint64_t{sqe.cdw11} << 32);
    }
    error_log_.push_front(e);
    if (error_log_.size() > 64) {
        error_log_.pop_back();
    }
}

Status Controller::to_host(const Sqe &sqe, const void *data, uint64_t len)
{
    Status st = prp_.map(sqe.prp1, sqe.prp2, len);
    if (st != kSuccess) {
        return st;
    }
    const auto *src = static_cast<const uint8_t *>(data);
    for (const auto &seg : prp_.segments()) {
        if (!host_.dma_write(seg.addr, src, seg.len)) {
            return kDataTransferError;
        }
        src += seg.len;
    }
    return kSuccess;
}

Status Controller::to_host_padded(const Sqe &sqe, const void *data, uint64_t data_len, uint64_t len)
{
    static const uint8_t zeros[kPageSize] = {};
    Status st = prp_.map(sqe.prp1, sqe.prp2, len);
    if (st != kSuccess) {
        return st;
    }
    const auto *src = static_cast<const uint8_t *>(data);
    for (const auto &seg : prp_.segments()) {
        uint64_t addr = seg.addr, left = seg.len;
        while (left) {
            const bool have_data = data_len > 0;
            const uint64_t n = std::min<uint64_t>(left, have_data ? data_len : kPageSize);
            if (!host_.dma_write(addr, have_data ? src : zeros, n)) {
                return kDataTransferError;
            }
            if (have_data) {
                src += n;
                data_len -= n;
            }
            addr += n;
            left -= n;
        }
    }
    return kSuccess;
}

Status Controller::from_host(const Sqe &sqe, void *data, uint64_t len)
{
    Status st = prp_.map(sqe.prp1, sqe.prp2, len);
    if (st != kSuccess) {
        return st;
    }
    auto *dst = static_cast<uint8_t *>(data);
    for (const auto &seg : prp_.segments()) {
        if (!host_.dma_read(seg.addr, dst, seg.len)) {
            return kDataTransferError;
        }
        dst += seg.len;
    }
    return kSuccess;
}

const std::array<Controller::Handler, 256> &Controller::admin_table()
{
    static const std::array<Handler, 256> table = [] {
        std::array<Handler, 256> t{};
        t[nvme_admin_delete_sq] = &Controller::admin_delete_sq;
        t[nvme_admin_create_sq] = &Controller::admin_create_sq;
        t[nvme_admin_get_log_page] = &Controller::admin_get_log_page;
        t[nvme_admin_delete_cq] = &Controller::admin_delete_cq;
        t[nvme_admin_create_cq] = &Controller::admin_create_cq;
        t[nvme_admin_identify] = &Controller::admin_identify;
        t[nvme_admin_abort_cmd] = &Controller::admin_abort;
        t[nvme_admin_set_features] = &Controller::admin_set_features;
        t[nvme_admin_get_features] = &Controller::admin_get_features;
        t[nvme_admin_async_event] = &Controller::admin_async_event;
        t[nvme_admin_keep_alive] = &Controller::admin_keep_alive;
        return t;
    }();
    return table;
}

const std::array<Controller::Handler, 256> &Controller::io_table()
{
    static const std::array<Handler, 256> table = [] {
        std::array<Handler, 256> t{};
        t[nvme_cmd_flush] = &Controller::io_flush;
        t[nvme_cmd_write] = &Controller::io_write;
        t[nvme_cmd_read] = &Controller::io_read;
        return t;
    }();
    return table;
}

}  // namespace nvmev
