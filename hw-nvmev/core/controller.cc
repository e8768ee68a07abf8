// SQ fetch, command dispatch and completion posting (the deadline queue).
// Registers are in registers.cc, PRP data movement in data_transfer.cc.
#include "controller.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "error_location.h"
#include "vendor_commands.h"

namespace nvmev {
namespace {

constexpr unsigned kFetchBurst = 64;  // per SQ per pass, then round robin
// Commands whose data a pass copies after the lock: their completions wait
// for all of it. Fewer per pass measured no faster on one thread and
// slower on two (more lock round trips).
constexpr unsigned kStageBurst = 64;

uint64_t build_cap(bool cmb, bool pmr)
{
    uint64_t cap = 0;
    cap |= uint64_t{kMaxQueueEntries - 1};  // MQES (0-based)
    cap |= uint64_t{1} << 16;               // CQR: contiguous queues required
    cap |= uint64_t{15} << 24;              // TO: 7.5 s in 500 ms units
    cap |= uint64_t{1} << 37;               // CSS: NVM command set
    cap |= uint64_t{1} << 43;               // CSS: I/O command sets (CC.CSS = 110b)
    cap |= uint64_t{pmr} << NVME_CAP_PMRS_SHIFT;
    cap |= uint64_t{cmb} << NVME_CAP_CMBS_SHIFT;
    return cap;  // DSTRD = MPSMIN = MPSMAX = 0
}

}  // namespace

Controller::Controller(const ResolvedConfig &cfg, const Host &host, uint8_t *backing)
    : Controller(cfg, host, backing, nullptr)
{
}

Controller::Controller(const ResolvedConfig &cfg, const Host &host, uint8_t *backing,
                       std::shared_ptr<Namespace> ns1)
    : cfg_(cfg), host_(host)
{
    cmb_.configure(cfg.cmb, cfg.cmb_bytes);
    pmr_.configure(cfg.pmr_bytes);
    host_.attach_cmb(&cmb_);
    namespaces_[1] = ns1 ? std::move(ns1) : std::make_shared<Namespace>(1, cfg, backing, &host_);
    cap_ = build_cap(cmb_.present(), pmr_.present());
    sqs_.resize(cfg.max_ioqpairs + 1u);
    cqs_.resize(cfg.max_ioqpairs + 1u);
    groups_.resize(1);
    group_of_.assign(cfg.max_ioqpairs + 1u, 0);
    feat_irq_config_.assign(cfg.msix_vectors, 0);
    created_ns_ = host_.now_ns();
    persistent_ = namespaces_[1]->persistent();
}

Controller::Controller(const ResolvedConfig &cfg, const Host &host, uint8_t *backing,
                       Subsystem &subsys, uint16_t cntlid, std::string &error)
    : Controller(cfg, host, backing, subsys.shared(1))
{
    if (namespaces_[1] == subsys.shared(1)) {
        error = Subsystem::check_shared(namespaces_[1]->cfg, cfg);
    }
    uint16_t id = 0;
    if (error.empty()) {
        error = subsys.pick_cntlid(cntlid, id);
    }
    if (!error.empty()) {
        return;
    }
    subsys.set_shared(1, namespaces_[1]);
    subsys.add(this, id, &host_);
    subsys_ = &subsys;
    cntlid_ = id;
}

Controller::~Controller()
{
    checkpoint();  // unrealize, QEMU's exit
    if (subsys_) {
        subsys_->remove(this);
    }
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

void Controller::fetch_pass(unsigned g)
{
    QueueGroup &grp = groups_[g];
    grp.more = false;
    if (!ready() || (csts_ & kCstsCfs)) {
        return;
    }
    if (g == 0) {
        fetch_from(nullptr, 0, kFetchBurst, grp.more);
    }
    const auto n = static_cast<uint16_t>(sqs_.size());
    for (uint16_t i = 0; i + 1 < n && ready(); i++) {
        const uint16_t qid = static_cast<uint16_t>(1 + (grp.rr_next - 1 + i) % (n - 1));
        if (!sqs_[qid].valid || group_of_[qid] != g) {
            continue;
        }
        if (dbbuf_) {
            // Shadow doorbells: take the host's values, fetch, publish what
            // was seen, then, if an index moved, look again (the host may have
            // written the shadow before it could see the new index, and rung
            // nothing; with unchanged indexes it rings as before).
            read_shadow_doorbells(qid);
            fetch_from(&grp, qid, kFetchBurst, grp.more);
            if (publish_event_indexes(qid) && read_shadow_doorbells(qid)) {
                grp.more = true;
            }
        } else {
            fetch_from(&grp, qid, kFetchBurst, grp.more);
        }
    }
    grp.rr_next = static_cast<uint16_t>(grp.rr_next % (n - 1) + 1);
}

void Controller::complete_pass(unsigned g)
{
    QueueGroup &grp = groups_[g];
    finish_staged(grp);
    if (!ready() || (csts_ & kCstsCfs)) {
        return;
    }
    if (g == 0) {
        deliver_events();
    }
    post_due(grp, host_.now_ns());
    raise_pending_irqs();
    rearm(g);
    if (grp.more) {
        host_.kick(g);
    }
}

unsigned Controller::checkpoint()
{
    const int64_t now = host_.now_ns();
    unsigned n = 0;
    for (const auto &ns : namespaces_) {
        n += ns && ns->checkpoint(now);
    }
    return n;
}

void Controller::timer(unsigned g)
{
    groups_[g].armed_ns = INT64_MAX;
    if (groups_[g].sibling_retry_ns <= host_.now_ns()) {
        // Another controller's copy this group waited for has likely ended.
        groups_[g].sibling_retry_ns = INT64_MAX;
        host_.kick(g);
    }
    if (g == checkpoint_group_ && next_checkpoint_ns_ != INT64_MAX &&
        host_.now_ns() >= next_checkpoint_ns_) {
        next_checkpoint_ns_ = INT64_MAX;
        checkpoint();
    }
    if (!ready()) {
        return;
    }
    post_due(groups_[g], host_.now_ns());
    raise_pending_irqs();
    rearm(g);
}

void Controller::fetch_from(QueueGroup *staging, uint16_t sqid, unsigned budget, bool &more)
{
    SubmissionQueue &sq = sqs_[sqid];
    while (!sq.empty() && sq.valid && ready()) {
        CompletionQueue &cq = cqs_[sq.cqid];
        if (cq.free_slots() <= cq.reserved) {
            return;  // back-pressure: resumes when the host frees CQ entries
        }
        if (budget-- == 0 || (staging && staging->staged.size() >= kStageBurst)) {
            more = true;  // a full pass copies its staged data first
            return;
        }
        Sqe sqe;
        if (!host_.dma_read(sq.base + uint64_t{sq.head} * sizeof(Sqe), &sqe, sizeof(sqe))) {
            fail("SQ entry fetch failed");
            return;
        }
        if (waits_for_other_copies(sqe, sqid)) {
            return;  // fetched again once that copy ends (copy_conflicts.cc)
        }
        const int64_t now = host_.now_ns();
        const bool aborted = take_abort_mark(sqid, sq.head, sqe.cid);
        const unsigned fuse = sqe.flags & 3;
        if (!aborted && (fuse == kFuseFirst || fuse == kFuseSecond)) {
            // The pair's Write runs only after its Compare: no staging.
            if (!fetch_fused(sqid, sqe)) {
                return;
            }
            continue;
        }
        sq.head = (sq.head + 1) % sq.size;
        cq.reserved++;
        if (aborted) {
            schedule(sqid, sqe, refuse(sqid, sqe, kAbortRequested), now);
            continue;
        }
        if (staging) {
            // Scheduled at the pass's end, in fetch order, after the data
            // of the Reads and Writes has moved.
            Request &req = staging->staged.emplace_back();
            begin(req, sqe, sqid, now);
            req.group = staging;
            req.out = execute(req);
            continue;
        }
        Request req;
        begin(req, sqe, sqid, now);
        const Outcome out = execute(req);
        if (out.held) {
            // The AER keeps no CQ slot while it waits; an event reserves one.
            cq.reserved--;
            continue;
        }
        schedule(sqid, sqe, out, now);
    }
}

void Controller::begin(Request &req, const Sqe &sqe, uint16_t sqid, int64_t now) const
{
    const SubmissionQueue &sq = sqs_[sqid];
    req.sqe = sqe;
    req.sqid = sqid;
    req.cqid = sq.cqid;
    req.sq_gen = sq.gen;
    req.cq_gen = cqs_[sq.cqid].gen;
    req.fetched_ns = now;
}

// PSDT: admin commands use PRPs (NVMe 2.0c 4.1.2: SGLs are for I/O
// commands over PCIe); I/O commands take PRPs or an SGL with MPTR as a
// plain address (01b). 10b is refused (ID-CTRL SGLS bit 19 is clear: no
// metadata SGLs) and 11b is reserved.
bool Controller::psdt_ok(const Sqe &sqe, uint16_t sqid)
{
    const unsigned psdt = sqe.flags >> 6;
    return sqid == 0 ? psdt == 0 : psdt <= 1;
}

Outcome Controller::execute(Request &req)
{
    const Sqe &sqe = req.sqe;
    const uint16_t sqid = req.sqid;
    // The handler builds its outcome in place (every path returns a
    // prvalue): copying it through a temporary makes a wide load of narrow
    // stores, which cannot be forwarded and so waits until every older
    // store, a write's whole data copy among them, has reached the cache.
    const Outcome out = [&]() -> Outcome {
        if ((sqe.flags & 3) != 0) {
            // FUSE 11b is reserved; fused pairs reach here through
            // fetch_fused (fused.cc) with FUSE cleared.
            return Outcome::of(kInvalidField);
        }
        if (!psdt_ok(sqe, sqid)) {
            return Outcome::of(kInvalidField);
        }
        if (sqid != 0 && cc_css(cc_) == NVME_CC_CSS_ADMIN) {
            return Outcome::of(kInvalidOpcode);  // no I/O command set is enabled
        }
        if (sqid == 0) {
            const Handler h = admin_table()[sqe.opcode];
            return h ? (this->*h)(req) : Outcome::of(kInvalidOpcode);
        }
        req.ns = active_namespace(sqe.nsid);
        // A KV namespace has its own opcodes (KV 1.0, or NVMeVirt's); with
        // only the NVM command set enabled (CC.CSS 000b) the KV command set
        // has none.
        if (req.ns && req.ns->kv) {
            const bool vendor = req.ns->cfg.kv.vendor_opcodes;
            return vendor || cc_css(cc_) == NVME_CC_CSS_CSI ? kv_.execute(req, vendor)
                                                            : Outcome::of(kInvalidOpcode);
        }
        return ZnsCommandSet::supports(sqe.opcode) ? zns_.execute(req) : nvm_.execute(req);
    }();
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
        trace::err_cmd(host_, sqid, sqe, out.status);
    }
    trace::submit(host_, sqid, sqe, req.fetched_ns, out.complete_at_ns);
    return out;
}

Outcome Controller::refuse(uint16_t sqid, const Sqe &sqe, Status status, bool counted)
{
    counters_.other_cmds += counted ? 0 : 1;
    counters_.error_cmds++;
    record_error(sqid, sqe, status);
    trace::err_cmd(host_, sqid, sqe, status);
    return Outcome::of(status);
}

void Controller::schedule(uint16_t sqid, const Sqe &sqe, const Outcome &out, int64_t now)
{
    const uint16_t cqid = sqs_[sqid].cqid;
    group_for(sqid).pending.push(std::max(out.complete_at_ns, now), seq_++, [&](Pending &p) {
        p.timed = sqid != 0 && out.status == kSuccess;
        p.sqid = sqid;
        p.cqid = cqid;
        p.opcode = sqe.opcode;
        p.cqe.dw0 = out.dw0;
        p.cqe.dw1 = out.dw1;
        p.cqe.sq_head = 0;  // set when posted
        p.cqe.sq_id = sqid;
        p.cqe.cid = sqe.cid;
        p.cqe.status = static_cast<uint16_t>(out.status << 1);
    });
}

void Controller::post_due(QueueGroup &grp, int64_t now)
{
    while (!grp.pending.empty() && grp.pending.top().due_ns <= now) {
        const Pending p = grp.pending.top();
        grp.pending.pop();
        post(p, now == INT64_MAX ? host_.now_ns() : now);
    }
}

void Controller::post_all_due(int64_t now)
{
    for (auto &grp : groups_) {
        post_due(grp, now);
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
    cq.irq_pending = true;
    trace::complete(host_, p.sqid, p.cqe.cid, p.cqe.status >> 1, p.due_ns, now);
    counters_.completions++;
    if (p.timed) {
        lateness_.record(static_cast<uint64_t>(std::max<int64_t>(0, now - p.due_ns)));
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

void Controller::rearm(unsigned g)
{
    QueueGroup &grp = groups_[g];
    int64_t next = grp.pending.empty() ? INT64_MAX : grp.pending.top().due_ns;
    // Commands in flight: a checkpoint is due checkpoint-interval-ms from
    // now (a namespace without changes skips it), on this group's timer.
    if (next != INT64_MAX && next_checkpoint_ns_ == INT64_MAX && cfg_.checkpoint_interval_ms &&
        persistent_) {
        next_checkpoint_ns_ = host_.now_ns() + cfg_.checkpoint_interval_ms * 1'000'000;
        checkpoint_group_ = g;
    }
    if (g == checkpoint_group_) {
        next = std::min(next, next_checkpoint_ns_);
    }
    next = std::min(next, grp.sibling_retry_ns);
    if (next != grp.armed_ns) {
        grp.armed_ns = next;
        host_.arm_timer(g, next);
    }
}

void Controller::flush_sq(uint16_t sqid)
{
    // Post the SQ's in-flight completions now (their data has moved) so the
    // queue can be deleted without losing them.
    std::vector<Pending> flush;
    group_for(sqid).pending.extract_if([sqid](const Pending &p) { return p.sqid == sqid; }, flush);
    std::sort(flush.begin(), flush.end(), DeadlineQueue<Pending>::earlier);
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
    e.parm_error_location = parameter_error_location(sqe, sqid, status);
    e.nsid = sqe.nsid;
    if (has_slba(sqe, sqid)) {
        e.lba = sqe_slba(sqe);
    }
    error_log_.push_front(e);
    if (error_log_.size() > 64) {
        error_log_.pop_back();
    }
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
        t[nvme_admin_dbbuf] = &Controller::admin_doorbell_buffer_config;
        t[nvme_admin_ns_mgmt] = &Controller::admin_ns_management;
        t[nvme_admin_ns_attach] = &Controller::admin_ns_attachment;
        t[nvme_admin_format_nvm] = &Controller::admin_format_nvm;
        return t;
    }();
    return table;
}

}  // namespace nvmev
