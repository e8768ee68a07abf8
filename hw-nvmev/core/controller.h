// The NVMe controller: registers, queues, command dispatch and completion
// scheduling, and the admin commands (admin_*.cc, namespaces.cc). The I/O
// command sets are classes of their own (nvm_command_set.h,
// zns_command_set.h, kv_command_set.h) that see only an IoContext; every
// handler gets the command's Request (request.h). Not thread-safe: the C ABI
// (core_api.cc) serializes every entry point, except copy_staged(), which
// it runs without the lock (queue_groups.cc).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "../ftl/ftl.h"  // via the hw-nvmev/ftl link: same path in QEMU's tree
#include "config.h"
#include "controller_memory_buffer.h"
#include "data_transfer.h"
#include "deadline_queue.h"
#include "host.h"
#include "kv_command_set.h"
#include "namespace.h"
#include "nvm_command_set.h"
#include "persistent_memory_region.h"
#include "queue_group.h"
#include "queues.h"
#include "request.h"
#include "spec.h"
#include "stats.h"
#include "subsystem.h"
#include "zns_command_set.h"

namespace nvmev {

class Controller {
    friend struct FuzzProbe;  // tests/fuzz: checks queue invariants after each step

public:
    Controller(const ResolvedConfig &cfg, const Host &host, uint8_t *backing);
    // A controller of an NVM subsystem (subsystem.h), its lock held: its
    // NSID 1 is `shared` if another controller already made it, else its
    // own, which it then shares. "" or an error naming the property
    // (cntlid, or the first namespace property that differs).
    Controller(const ResolvedConfig &cfg, const Host &host, uint8_t *backing, Subsystem &subsys,
               uint16_t cntlid, std::string &error);
    ~Controller();
    Controller(const Controller &) = delete;
    Controller &operator=(const Controller &) = delete;

    uint64_t bar_size() const;
    uint64_t mmio_read(uint64_t offset, unsigned size);
    void mmio_write(uint64_t offset, uint64_t value, unsigned size);

    // Queue groups (queue_groups.cc): each group's queues are served by one
    // host thread. Group 0 holds the admin queue; I/O queue pair q belongs
    // to pair_group[q - 1]. "" or an error; only before the host enables
    // the controller.
    std::string map_queues(unsigned groups, const uint16_t *pair_group, size_t pairs);
    unsigned groups() const { return static_cast<unsigned>(groups_.size()); }
    // A pass over group g: fetch_pass() fetches and executes (with the lock;
    // Reads and Writes, but zoned Writes, stage their data copies),
    // copy_staged() moves the staged data (without the lock: it touches only
    // group g's staging, guest memory and the backing store), and
    // complete_pass() schedules the staged commands and posts what is due.
    void fetch_pass(unsigned g);
    void copy_staged(unsigned g);
    void complete_pass(unsigned g);
    void process(unsigned g = 0)
    {
        fetch_pass(g);
        copy_staged(g);
        complete_pass(g);
    }
    void timer(unsigned g = 0);
    // IOThread polling (shadow_doorbells.cc): whether a pass of group g
    // would find work now, i.e. a shadow SQ tail or CQ head it has not
    // taken, or a due completion. Reads 8 bytes of host memory per I/O
    // queue pair of the group.
    bool poll(unsigned g, int64_t now);
    // While group g's thread polls, its event indexes stay put, so the guest
    // rings (almost) no doorbells; leaving publishes them again.
    void set_polling(unsigned g, bool on);
    bool shadow_doorbells() const { return dbbuf_; }
    void reset();
    void set_msix(bool enabled) { msix_ = enabled; }
    // An internal failure (e.g. out of memory): the controller stops with
    // CSTS.CFS set, as real firmware would, instead of taking QEMU down.
    void internal_error(const char *what) { fail(what); }

    const ResolvedConfig &config() const { return cfg_; }
    uint16_t cntlid() const { return cntlid_; }
    Subsystem *subsystem() const { return subsys_; }
    // NSID 1's FTL (the nvmev device's own namespace).
    ftl::Ftl &ftl() { return *namespaces_[1]->ftl; }
    const DeviceCounters &counters() const { return counters_; }
    const ControllerMemoryBuffer &cmb() const { return cmb_; }
    const PersistentMemoryRegion &pmr() const { return pmr_; }
    const LatenessHistogram &lateness() const { return lateness_; }
    void reset_stats();
    bool ready() const { return csts_ & kCstsRdy; }
    uint32_t active_io_sqs() const;
    int64_t now() const { return host_.now_ns(); }
    // Which trace events reach the host (trace.h); lock-free.
    void set_trace_mask(uint64_t mask) { host_.set_trace_mask(mask); }

    // zns_io.cc: zone fault injection (QMP): "" or an error naming the
    // argument. `in_flight` is set when the zone's blocks are being copied
    // (then nothing changed; the caller retries once the copy is over).
    std::string inject_zone(uint64_t zone, const std::string &state, uint32_t nsid,
                            bool &in_flight);

    // namespaces.cc: a further namespace (nvmev-ns), added before the host
    // uses the controller; "" or an error naming the property. Makes this a
    // multi-namespace controller (NN = kMaxNamespaces, Namespace Management
    // and Attachment offered).
    std::string add_namespace(uint32_t nsid, const NamespaceConfig &cfg, uint8_t *backing,
                              bool attached);
    // The slot of nsid (allocated or not), or nullptr.
    Namespace *namespace_slot(uint32_t nsid) const
    {
        return nsid && nsid < namespaces_.size() ? namespaces_[nsid].get() : nullptr;
    }
    // Attaches or detaches (QMP); "" or an error.
    std::string set_attached(uint32_t nsid, bool attach);

    // Persistence (docs/persistence.md): checkpoints the drive state of
    // every namespace that keeps one and changed since its last; returns
    // how many it wrote. Also runs at shutdown (CC.SHN), controller reset,
    // Flush, namespace management, and checkpoint-interval-ms after I/O.
    unsigned checkpoint();

private:
    // Notice information for Zone Descriptor Changed (ZNS 1.1 Figure 42).
    static constexpr uint8_t kZoneDescriptorChanged = 0xef;
    struct AsyncEvent {
        uint8_t type;  // NVMe 2.0c Figure 150
        uint8_t info;
        uint8_t log_page;
    };
    using Handler = Outcome (Controller::*)(Request &);
    // NSID 1 is ns1 if given, else a namespace of its own over backing.
    Controller(const ResolvedConfig &cfg, const Host &host, uint8_t *backing,
               std::shared_ptr<Namespace> ns1);

    // registers.cc: registers and the controller state machine
    void write_cc(uint32_t value);
    void enable();
    void disable();
    void fail(const char *why);
    void doorbell_write(uint64_t offset, uint32_t value);
    void update_intx();

    // controller.cc: fetch, execute, complete
    void fetch_from(QueueGroup *staging, uint16_t sqid, unsigned budget, bool &more);
    // Fills req.sqid .. req.group for a command fetched from sqid now.
    void begin(Request &req, const Sqe &sqe, uint16_t sqid, int64_t now) const;
    Outcome execute(Request &req);
    static bool psdt_ok(const Sqe &sqe, uint16_t sqid);
    // A failed command that never reached a handler (`counted`: it did, and
    // its status changes now): counted, logged.
    Outcome refuse(uint16_t sqid, const Sqe &sqe, Status status, bool counted = false);
    // fused.cc: a FUSE 01b/10b entry at the SQ head; false: retry later.
    static constexpr unsigned kFuseFirst = 1, kFuseSecond = 2;
    bool fetch_fused(uint16_t sqid, const Sqe &first);
    // admin_abort.cc: Abort marks on entries still in an SQ.
    struct AbortMark {
        uint16_t sqid;
        uint16_t cid;
        uint32_t slot;
    };
    // True (and the mark dropped) if the entry at `slot` was aborted.
    bool take_abort_mark(uint16_t sqid, uint32_t slot, uint16_t cid);
    bool abort_in_sq(uint16_t sqid, uint16_t cid);
    bool abort_pending(uint16_t sqid, uint16_t cid);
    bool abort_aer(uint16_t cid);
    // admin_format.cc
    Outcome admin_format_nvm(Request &req);
    Status format_namespace(Namespace &ns, uint8_t lbaf, int64_t now, int64_t &done_ns);
    void schedule(uint16_t sqid, const Sqe &sqe, const Outcome &out, int64_t now);
    void post_due(QueueGroup &grp, int64_t now);
    void post_all_due(int64_t now);
    void post(const Pending &p, int64_t now);
    void raise_pending_irqs();
    void rearm(unsigned g);
    QueueGroup &group_for(uint16_t sqid) { return groups_[group_of_[sqid]]; }
    void flush_sq(uint16_t sqid);
    void record_error(uint16_t sqid, const Sqe &sqe, Status status);
    static const std::array<Handler, 256> &admin_table();
    // queue_groups.cc
    // Schedules the pass's commands whose data has moved.
    void finish_staged(QueueGroup &grp);
    // CQ cqid has free entries again: wake the groups of the SQs it serves.
    void wake_cq_feeders(uint16_t cqid);
    // Some group's staged data is still moving.
    bool any_copying() const;
    // copy_conflicts.cc: the command touches blocks another group's staged
    // copy is moving (one of them changing them): it must wait, and this
    // group is woken when copies end.
    bool waits_for_other_copies(const Sqe &sqe, uint16_t sqid);
    // Whether any group (a subsystem sibling's too) copies blocks
    // [slba, slba + nlb) of ns: a change made outside the SQs (QMP) waits.
    bool copies_in_flight(const Namespace *ns, uint64_t slba, uint64_t nlb) const;
    void wake_copy_waiters(const QueueGroup &finished);
    // ns is one of this controller's namespaces, attached or not (a
    // subsystem's controllers share NSID 1).
    bool has_namespace(const Namespace *ns) const;

    // shadow_doorbells.cc
    Outcome admin_doorbell_buffer_config(Request &req);
    static uint64_t shadow_offset(uint16_t qid, bool cq);
    // Takes the queue pair's shadow SQ tail and CQ head; true if either moved.
    bool read_shadow_doorbells(uint16_t qid);
    // The values of a shadow entry (SQ tail, CQ head) that
    // read_shadow_doorbells() would take.
    bool shadow_sq_tail_ok(uint16_t qid, uint32_t tail) const;
    bool shadow_cq_head_ok(uint16_t qid, uint32_t head) const;
    // Publishes the SQ tail and CQ head the controller has seen as event
    // indexes, where they moved; true if it wrote any.
    bool publish_event_indexes(uint16_t qid);
    // admin_queues.cc
    Outcome admin_create_cq(Request &req);
    Outcome admin_create_sq(Request &req);
    Outcome admin_delete_cq(Request &req);
    Outcome admin_delete_sq(Request &req);
    // admin_tables.cc: the Identify, log page and feature tables
    // (admin_tables.h) and when their entries are offered.
    friend struct AdminTables;
    // admin_identify.cc: Identify dispatches by CNS (AdminTables::identify);
    // an entry fills the zeroed 4 KiB structure or refuses.
    Outcome admin_identify(Request &req);
    Status identify_ns(const Sqe &sqe, uint8_t *buf) const;
    Status identify_allocated_ns(const Sqe &sqe, uint8_t *buf) const;
    Status identify_ctrl(const Sqe &sqe, uint8_t *buf) const;
    Status identify_ns_list(const Sqe &sqe, uint8_t *buf) const;
    Status identify_csi_ns_list(const Sqe &sqe, uint8_t *buf) const;
    Status identify_ctrl_list(const Sqe &sqe, uint8_t *buf) const;
    Status identify_independent_ns(const Sqe &sqe, uint8_t *buf) const;
    Status identify_ns_descriptors(const Sqe &sqe, uint8_t *buf) const;
    Status identify_csi_ns(const Sqe &sqe, uint8_t *buf) const;
    Status identify_csi_ctrl(const Sqe &sqe, uint8_t *buf) const;
    Status identify_command_sets(const Sqe &sqe, uint8_t *buf) const;
    void fill_id_ctrl(struct nvme_id_ctrl &id) const;
    void fill_id_ns(const Namespace &ns, struct nvme_id_ns &id) const;
    // admin_features.cc: Get and Set Features dispatch by FID
    // (AdminTables::features); the entries' get, default and set functions.
    Outcome admin_get_features(Request &req);
    Outcome admin_set_features(Request &req);
    Status feature_temp_select(const Sqe &sqe) const;
    Status feature_irq_vector(const Sqe &sqe) const;
    Status set_power_mgmt(const Sqe &sqe, uint32_t &dw0);
    Status get_temp_threshold(const Sqe &sqe, uint32_t &dw0);
    Status default_temp_threshold(const Sqe &sqe, uint32_t &dw0);
    Status set_temp_threshold(const Sqe &sqe, uint32_t &dw0);
    Status set_error_recovery(const Sqe &sqe, uint32_t &dw0);
    Status get_volatile_wc(const Sqe &sqe, uint32_t &dw0);
    Status set_volatile_wc(const Sqe &sqe, uint32_t &dw0);
    Status get_num_queues(const Sqe &sqe, uint32_t &dw0);
    Status default_num_queues(const Sqe &sqe, uint32_t &dw0);
    Status set_num_queues(const Sqe &sqe, uint32_t &dw0);
    Status get_irq_config(const Sqe &sqe, uint32_t &dw0);
    Status default_irq_config(const Sqe &sqe, uint32_t &dw0);
    Status set_irq_config(const Sqe &sqe, uint32_t &dw0);
    Status set_async_event_cfg(const Sqe &sqe, uint32_t &dw0);
    Status get_timestamp(const Sqe &sqe, uint32_t &dw0);
    Status default_timestamp(const Sqe &sqe, uint32_t &dw0);
    Status set_timestamp(const Sqe &sqe, uint32_t &dw0);
    Status timestamp_to_host(const Sqe &sqe, uint64_t ms, uint8_t attr);
    Status set_iocs_profile(const Sqe &sqe, uint32_t &dw0);
    Status get_host_behavior(const Sqe &sqe, uint32_t &dw0);
    Status default_host_behavior(const Sqe &sqe, uint32_t &dw0);
    Status set_host_behavior(const Sqe &sqe, uint32_t &dw0);
    // admin_log_pages.cc: Get Log Page dispatches by LID
    // (AdminTables::log_pages); an entry builds the whole page.
    Outcome admin_get_log_page(Request &req);
    Status log_supported_pages(const Sqe &sqe, bool consume, std::vector<uint8_t> &page);
    Status log_errors(const Sqe &sqe, bool consume, std::vector<uint8_t> &page);
    Status log_smart(const Sqe &sqe, bool consume, std::vector<uint8_t> &page);
    Status log_firmware_slot(const Sqe &sqe, bool consume, std::vector<uint8_t> &page);
    Status log_changed_namespaces(const Sqe &sqe, bool consume, std::vector<uint8_t> &page);
    // log_command_effects.cc: derived from the opcode tables.
    Status log_command_effects(const Sqe &sqe, bool consume, std::vector<uint8_t> &page);
    Status log_changed_zones(const Sqe &sqe, bool consume, std::vector<uint8_t> &page);
    bool has_vendor_kv() const;
    void fill_smart(struct nvme_smart_log &log) const;
    // admin_async_events.cc
    Outcome admin_async_event(Request &req);
    Outcome admin_abort(Request &req);
    Outcome admin_keep_alive(Request &req);
    void queue_event(uint8_t type, uint8_t info, uint8_t log_page);
    void deliver_events();
    void clear_event_mask(uint8_t log_page);
    // namespaces.cc: Namespace Management and Attachment, the namespace
    // lists of Identify, and the Changed Namespace List.
    Outcome admin_ns_management(Request &req);
    Outcome ns_create(const Request &req);
    Outcome ns_delete(const Request &req);
    Namespace *free_slot_for(uint8_t csi, uint32_t lba_size, uint64_t nsze, Status &why);
    Outcome admin_ns_attachment(Request &req);
    Namespace *active_namespace(uint32_t nsid) const;
    bool multi_namespace() const { return nn_ > 1; }
    // Identify CNS 02h/07h/10h/1Ah: NSIDs above `after` (of one CSI, or any
    // with csi < 0) that are active, or allocated.
    void fill_ns_list(uint8_t *buf, uint32_t after, int csi, bool allocated_only) const;
    // Identify CNS 12h/13h: our controller if it is at or above `from`.
    void fill_ctrl_list(uint8_t *buf, uint16_t from, bool include) const;
    void fill_independent_id_ns(const Namespace &ns, uint8_t *buf) const;
    void note_ns_changed(uint32_t nsid);
    void fill_changed_ns_log(std::vector<uint8_t> &page, bool consume);
    // Forgets queued events that point at this log page.
    void drop_events(uint8_t log_page);
    void check_temperature();
    // Some allocated namespace uses the KV command set (CSI 01h), or is
    // zoned (the controller offers ZNS).
    const Namespace *first_kv() const;
    const Namespace *first_zoned() const;
    // admin_identify.cc: the command-set-specific Identify Namespace data
    void fill_zns_id_ns(const Namespace &ns, struct nvme_zns_id_ns &id) const;
    void fill_kv_id_ns(const Namespace &ns, uint8_t *buf) const;

    ResolvedConfig cfg_;
    Host host_;
    // Index = NSID (0 unused); NSID 1 always has a slot.
    // A namespace of a subsystem is shared with its other controllers.
    std::array<std::shared_ptr<Namespace>, kMaxNamespaces + 1> namespaces_;
    Subsystem *subsys_ = nullptr;          // outlives the controller (core_api.cc)
    uint16_t cntlid_ = 1;                  // ID-CTRL CNTLID
    uint32_t nn_ = 1;                      // ID-CTRL NN
    std::vector<uint32_t> changed_nsids_;  // Changed Namespace List not yet read

    // Registers (NVMe 2.0c 3.1.3).
    // The periodic checkpoint: due at next_checkpoint_ns_ (INT64_MAX: none
    // due) on the timer of group checkpoint_group_, which set it while it
    // had commands in flight.
    int64_t next_checkpoint_ns_ = INT64_MAX;
    unsigned checkpoint_group_ = 0;
    bool persistent_ = false;  // a namespace keeps a drive state area
    uint64_t cap_ = 0;
    uint32_t cc_ = 0;
    uint32_t csts_ = 0;
    uint32_t aqa_ = 0;
    uint64_t asq_ = 0;
    uint64_t acq_ = 0;
    uint32_t intms_ = 0;
    bool msix_ = false;
    // Controller Memory Buffer and Persistent Memory Region: their
    // registers; every access to host memory is routed through cmb_ (host.h).
    ControllerMemoryBuffer cmb_;
    PersistentMemoryRegion pmr_{host_};

    std::vector<SubmissionQueue> sqs_;  // index = queue id
    std::vector<CompletionQueue> cqs_;
    uint32_t queue_gen_ = 0;          // numbers queue creations (Request::sq_gen)
    bool dbbuf_ = false;              // Doorbell Buffer Config in effect
    uint64_t dbbuf_shadow_ = 0;       // shadow doorbell buffer (host memory)
    uint64_t dbbuf_eventidx_ = 0;     // event index buffer
    std::vector<QueueGroup> groups_;  // at least one; sized before the host runs
    std::vector<uint16_t> group_of_;  // queue id -> group
    std::vector<AbortMark> abort_marks_;
    uint64_t seq_ = 0;

    // Features (NVMe 2.0c 5.27.1).
    uint32_t feat_arbitration_ = 0;
    uint32_t feat_power_state_ = 0;
    uint16_t temp_over_threshold_k_ = 343;  // 70 degC
    uint16_t temp_under_threshold_k_ = 0;
    uint32_t feat_error_recovery_ = 0;
    bool volatile_write_cache_ = true;
    uint16_t alloc_sqs_ = 0;  // I/O queues granted by Number of Queues
    uint16_t alloc_cqs_ = 0;
    uint32_t feat_irq_coalescing_ = 0;
    std::vector<uint32_t> feat_irq_config_;  // per vector
    uint32_t feat_write_atomicity_ = 0;
    uint32_t feat_async_event_cfg_ = 0;
    uint32_t feat_iocs_profile_ = 0;  // I/O Command Set Profile index
    struct nvme_feat_host_behavior host_behavior_ {};
    uint64_t timestamp_base_ms_ = 0;  // host-set timestamp
    int64_t timestamp_set_at_ns_ = -1;

    // Asynchronous events.
    std::vector<uint16_t> aer_cids_;  // outstanding AER commands
    std::deque<AsyncEvent> events_;
    uint32_t masked_event_types_ = 0;  // awaiting a log page read
    uint16_t composite_temp_k_ = 313;  // 40 degC

    // Error Information log (newest first when read).
    std::deque<struct nvme_error_log_page> error_log_;
    uint64_t error_count_ = 0;

    DeviceCounters counters_;
    SmartCounters smart_;
    LatenessHistogram lateness_;
    int64_t created_ns_ = 0;

    // The I/O command sets, over the state above (io_command_set.h).
    DataTransfer xfer_{host_};
    IoContext io_{cfg_, host_, xfer_, counters_, smart_};
    NvmCommandSet nvm_{io_, namespaces_};
    ZnsCommandSet zns_{io_, cc_};
    KvCommandSet kv_{io_};
};

}  // namespace nvmev
