/*
 * nvmev controller core: the C ABI between the QEMU adapter (C) and the
 * controller core (C++20). This header is the only thing that crosses the
 * boundary; it must stay valid C and free of QEMU headers.
 *
 * Threading: the core serializes its entry points with an internal lock, so
 * the adapter may call MMIO handlers from a vCPU thread and process/timer
 * handlers from the device's AioContexts. The core calls host callbacks with
 * that lock held; callbacks must not call back into the core or block on a
 * lock that a vCPU thread may hold while calling the core (e.g. the BQL).
 *
 * Queue groups: the queues can be split into groups (nvmev_core_map_queues),
 * each served by one thread. The per-group entry points (process, timer,
 * poll, set_polling) of a group must be called from that group's thread
 * only; different groups' may run at once. nvmev_core_process() moves the
 * data of Reads and Writes (but Writes to zoned namespaces) without the
 * lock, so the dma_read/dma_write callbacks may run on several threads at
 * once.
 */
#ifndef NVMEV_CORE_H
#define NVMEV_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct NvmevCore NvmevCore;
/* An NVM subsystem: controllers that share NSID 1 (nvmev_subsys_new). */
typedef struct NvmevSubsys NvmevSubsys;

/*
 * Trace events (docs/tracing.md). The core formats nothing: it hands the
 * host a typed record, and only for the events enabled in its trace mask
 * (nvmev_core_set_trace_mask), so an event that is off costs the core one
 * load and one predictable branch. The comment names the QEMU trace event
 * and the member of NvmevTraceEvent.u that carries the fields. *_ERR_* are
 * guest errors, *_UB_* undefined guest behaviour.
 */
typedef enum NvmevTraceId {
    NVMEV_TRACE_SUBMIT,             /* nvmev_submit, cmd: executed; due_ns is
                                     * the model completion time (0: at once) */
    NVMEV_TRACE_COMPLETE,           /* nvmev_complete, cmd: posted to its CQ */
    NVMEV_TRACE_ERR_CMD,            /* nvmev_err_cmd, cmd: failed with status */
    NVMEV_TRACE_CREATE_SQ,          /* nvmev_create_sq, queue */
    NVMEV_TRACE_CREATE_CQ,          /* nvmev_create_cq, queue */
    NVMEV_TRACE_DELETE_SQ,          /* nvmev_delete_sq, queue */
    NVMEV_TRACE_DELETE_CQ,          /* nvmev_delete_cq, queue */
    NVMEV_TRACE_ENABLE,             /* nvmev_enable, ctrl: CC.EN 0->1 */
    NVMEV_TRACE_DISABLE,            /* nvmev_disable, ctrl: CC.EN 1->0 or reset */
    NVMEV_TRACE_SHUTDOWN,           /* nvmev_shutdown, ctrl: CC.SHN */
    NVMEV_TRACE_CTRL_RESET,         /* nvmev_ctrl_reset, ctrl: nvmev_core_reset */
    NVMEV_TRACE_ERR_FATAL,          /* nvmev_err_fatal, ctrl: CSTS.CFS; reason */
    NVMEV_TRACE_ERR_DOORBELL,       /* nvmev_err_doorbell, doorbell: invalid value */
    NVMEV_TRACE_ERR_DOORBELL_QUEUE, /* nvmev_err_doorbell_queue, doorbell:
                                     * the queue does not exist */
    NVMEV_TRACE_UB_DOORBELL,        /* nvmev_ub_doorbell, mmio: while not ready */
    NVMEV_TRACE_UB_MMIO_READ,       /* nvmev_ub_mmio_read, mmio: bad size/alignment */
    NVMEV_TRACE_UB_MMIO_WRITE,      /* nvmev_ub_mmio_write, mmio: bad size/alignment */
    NVMEV_TRACE_UB_MMIO_WRITE_RO,   /* nvmev_ub_mmio_write_ro, mmio: read-only
                                     * or reserved register */
    NVMEV_TRACE_UB_MMIO_WRITE_AQ,   /* nvmev_ub_mmio_write_aq, mmio: AQA/ASQ/ACQ
                                     * while enabled */
    NVMEV_TRACE_DBBUF,              /* nvmev_dbbuf, dbbuf: shadow doorbells on */
    NVMEV_TRACE_ASYNC_EVENT,        /* nvmev_async_event, aer: event queued */
    NVMEV_TRACE_NS_ATTACH,          /* nvmev_ns_attach, ns */
    NVMEV_TRACE_NS_DETACH,          /* nvmev_ns_detach, ns */
    NVMEV_TRACE_NS_CREATE,          /* nvmev_ns_create, ns */
    NVMEV_TRACE_NS_DELETE,          /* nvmev_ns_delete, ns */
    NVMEV_TRACE_NS_CHANGED,         /* nvmev_ns_changed, ns: Changed NS List */
    NVMEV_TRACE_ZONE_STATE,         /* nvmev_zone_state, zone: a transition */
    NVMEV_TRACE_ZONE_FAULT,         /* nvmev_zone_fault, zone: fault injection */
    NVMEV_TRACE_GC_START,           /* nvmev_gc_start, gc: victim chosen */
    NVMEV_TRACE_GC_END,             /* nvmev_gc_end, gc: victim copied, erased */
    NVMEV_TRACE_COUNT
} NvmevTraceId;

#define NVMEV_TRACE_BIT(id) (UINT64_C(1) << (id))
#define NVMEV_TRACE_ALL (NVMEV_TRACE_BIT(NVMEV_TRACE_COUNT) - 1)

/* One event. Times are the device clock (now_ns) in ns. */
typedef struct NvmevTraceEvent {
    uint32_t id;   /* NvmevTraceId */
    uint32_t nsid; /* cmd (the SQE's NSID), ns, zone, gc; else 0 */
    union {
        struct {
            uint16_t sqid;
            uint16_t cid;
            uint8_t opcode;
            uint16_t status; /* NVMe status field (SC, SCT, DNR; no phase) */
            uint32_t nlb;    /* CDW12 bits 15:0 + 1, as any I/O command has */
            uint64_t slba;   /* CDW10-11 */
            int64_t due_ns;  /* when the model lets it complete */
            int64_t at_ns;   /* submit: when the command was fetched, so
                              * due_ns - at_ns is its model time */
            int64_t late_ns; /* complete: posted this long after due_ns */
        } cmd;
        struct {
            uint16_t qid;
            uint16_t cqid;   /* create_sq: the CQ it feeds */
            uint32_t size;   /* entries */
            uint16_t vector; /* create_cq */
            uint8_t irq_enabled;
        } queue;
        struct {
            uint32_t cc;
            uint32_t asqs, acqs; /* enable: admin queue entries */
            uint64_t asq, acq;   /* enable: admin queue bases */
            const char *reason;  /* err_fatal; valid during the call only */
        } ctrl;
        struct {
            uint16_t qid;
            uint8_t cq;     /* a CQ head (1) or an SQ tail (0) doorbell */
            uint8_t shadow; /* read from the shadow doorbell buffer */
            uint32_t value; /* written */
            uint32_t size;  /* queue entries (err_doorbell) */
            uint32_t tail;  /* the queue's tail (err_doorbell) */
        } doorbell;
        struct {
            uint64_t offset; /* in BAR0 */
            uint64_t value;  /* writes */
            uint32_t size;   /* bytes */
        } mmio;
        struct {
            uint64_t shadow, eventidx; /* buffer addresses */
        } dbbuf;
        struct {
            uint8_t type, info, log_page;
        } aer;
        struct {
            uint64_t nsze; /* ns_create: blocks */
        } ns;
        struct {
            uint64_t zone;
            uint8_t from, to; /* zone states as ZS encodes them (ZNS 1.1
                               * Figure 37): nvmev_core_zone_state_name() */
        } zone;
        struct {
            uint32_t partition;
            uint32_t line;       /* victim line (superblock) */
            uint32_t pages;      /* start: valid 4 KiB pages; end: copied */
            uint32_t free_lines; /* in the partition, before / after */
            uint8_t background;  /* background GC (idle dies), else foreground */
            int64_t time_ns;     /* start: when; end: the erase's end */
        } gc;
    } u;
} NvmevTraceEvent;

/* Services the core needs from its host (QEMU, or a test's fake host). */
typedef struct NvmevHostOps {
    /* Guest-physical memory access; return 0 on success, -1 when the range is
     * not accessible (the command then fails with Data Transfer Error). */
    int (*dma_read)(void *opaque, uint64_t addr, void *buf, uint64_t len);
    int (*dma_write)(void *opaque, uint64_t addr, const void *buf, uint64_t len);
    /* Interrupt for a completion queue's vector: an MSI-X message, or INTx
     * assertion while the controller uses pin-based interrupts. */
    void (*irq_assert)(void *opaque, uint16_t vector);
    /* Pin-based interrupts only: no completion is pending for the vector. */
    void (*irq_deassert)(void *opaque, uint16_t vector);
    /* Monotonic device clock in nanoseconds. */
    int64_t (*now_ns)(void *opaque);
    /* Call nvmev_core_timer(group) at or after deadline_ns; INT64_MAX
     * disarms. May be called from any group's thread or a vCPU. */
    void (*arm_timer)(void *opaque, unsigned group, int64_t deadline_ns);
    /* Call nvmev_core_process(group) soon from that group's thread. May be
     * called from any thread. */
    void (*kick)(void *opaque, unsigned group);
    /* Trace sink, called for the events enabled in the trace mask (all, until
     * nvmev_core_set_trace_mask). May be NULL: then none is reported. */
    void (*trace)(void *opaque, const NvmevTraceEvent *ev);
    /* The Persistent Memory Region (NvmevConfig.pmr_bytes), both optional:
     * PMRCTL.EN changed (map or unmap the PMR's BAR contents), and PMRSTS is
     * being read (make the host's writes to the PMR persistent, e.g. msync
     * a file backend). Called with the core's lock held, from a vCPU. */
    void (*pmr_enable)(void *opaque, int on);
    void (*pmr_flush)(void *opaque);
} NvmevHostOps;

/*
 * The namespace properties both devices (nvmev, nvmev-ns) have, from the
 * core's one parameter registry (hw-nvmev/core/parameter_registry.cc). The
 * adapter creates one QOM property per entry and passes every value it was
 * given by name (NvmevConfig.params); the core validates them and names the
 * property in its errors.
 */
typedef enum NvmevParamType {
    NVMEV_PARAM_INT,         /* int64; -1: not given */
    NVMEV_PARAM_SIZE,        /* a byte count (4K, 1M, ...); 0: not given */
    NVMEV_PARAM_BOOL,        /* off: not given */
    NVMEV_PARAM_ENUM,        /* a name out of the help's list; NULL: not given */
    NVMEV_PARAM_ON_OFF_AUTO, /* "on", "off"; "auto" or NULL: not given */
    NVMEV_PARAM_STRING,      /* NULL: not given */
} NvmevParamType;

/* The kinds a parameter applies to (NvmevParamInfo.kinds). */
#define NVMEV_KIND_NVM 1u
#define NVMEV_KIND_CONV 2u
#define NVMEV_KIND_ZNS 4u
#define NVMEV_KIND_KV_SIMPLE 8u    /* ssd=kv with kv-backend=simple */
#define NVMEV_KIND_KV_PARALLEL 16u /* ssd=kv with kv-backend=parallel */

typedef struct NvmevParamInfo {
    const char *name;        /* the property name */
    const char *description; /* help: kinds, meaning, allowed values */
    NvmevParamType type;
    int64_t unset;  /* the QOM default that means "not given" */
    int retunable;  /* nvmev-set-timing can change it at run time */
    unsigned kinds; /* NVMEV_KIND_* it applies to */
} NvmevParamInfo;

/* Every namespace property, in the registry's order. */
size_t nvmev_core_property_count(void);
const NvmevParamInfo *nvmev_core_property_info(size_t i);
/* The properties without a field of their own in NvmevConfig (geometry,
 * FTL, NAND timing, zone and kv integers): a suffix of the list above. */
size_t nvmev_core_param_count(void);
const NvmevParamInfo *nvmev_core_param_info(size_t i);

/* A named value: a parameter by its property name. */
typedef struct NvmevParam {
    const char *name;
    int64_t value;
} NvmevParam;

/* A property's value at start-up, by its name. */
typedef struct NvmevPropValue {
    const char *name;
    int64_t value;    /* INT, SIZE, BOOL */
    const char *text; /* ENUM, ON_OFF_AUTO, STRING (NULL for the others) */
} NvmevPropValue;

/* Start-up configuration. Integer fields set to -1 (or NULL strings) take
 * the preset's value; the core validates everything and reports errors that
 * name the offending property. */
typedef struct NvmevConfig {
    const char *ssd;          /* device kind: "nvm", "conv", "zns", "kv" */
    const char *preset;       /* NULL: the kind's default preset */
    const char *serial;       /* NULL: "NVMEV0000001"; the adapter derives
                               * one from the QOM path */
    const char *model;        /* NULL: the preset's model string */
    uint64_t capacity_bytes;  /* size= (0: the kind's default), or the
                               * memdev backend's whole size */
    int capacity_from_memdev; /* capacity_bytes is a memdev's size: ssd=zns
                               * then fits whole zones plus its metadata */
    const char *backing_name; /* the memdev's file (mem-path) or id, for
                               * errors about its metadata; NULL: none */
    int64_t lba_size;         /* 512 or 4096 */
    int64_t mdts;             /* log2(max transfer / 4 KiB); 0 = no limit */
    int64_t max_ioqpairs;     /* I/O SQ/CQ pairs offered (1..65535) */
    int64_t read_latency_ns;  /* simple model, >= 0 */
    int64_t write_latency_ns;
    int64_t read_bandwidth_mbps; /* simple model, > 0 (MB/s, 10^6 B/s) */
    int64_t write_bandwidth_mbps;
    uint16_t msix_vectors;  /* vectors the adapter exposes */
    const char *cell_type;  /* ssd=conv: "slc", "mlc", "tlc", "qlc"; NULL: preset */
    const char *gc_policy;  /* ssd=conv: "greedy", "cost-benefit"; NULL: preset */
    int early_completion;   /* ssd=conv: 0 preset, 1 on, 2 off (QEMU OnOffAuto) */
    const char *kv_backend; /* ssd=kv: "simple", "parallel"; NULL: simple */
    int kv_vendor_opcodes;  /* ssd=kv: NVMeVirt's opcodes (1) or the KV
                             * command set (0) */
    /* Any property of nvmev_core_property_info() by name; a value given
     * here overrides the field above of the same property. Values that
     * mean "not given" (NvmevParamInfo.unset) may be listed or left out. */
    const NvmevPropValue *params;
    size_t n_params;
    /* Controller Memory Buffer (cmb-size / cmb-memdev): cmb_bytes (a
     * multiple of 4 KiB; 0: none) of memory at cmb, which the host maps as
     * BAR 2 from offset 0. The core serves its controller accesses to the
     * CMB's address range from this memory, from any thread. */
    uint8_t *cmb;
    uint64_t cmb_bytes;
    /* Persistent Memory Region (pmr-memdev): its size (0: none), in BAR 5;
     * the core only keeps its registers (NvmevHostOps.pmr_*). */
    uint64_t pmr_bytes;
    /* NVM subsystem (subsys=): NULL, or the subsystem the controller joins;
     * its NQN is then ID-CTRL SUBNQN, CMIC and NMIC say "shared", and NSID
     * 1 is the subsystem's: the first controller makes it over its backing
     * store, the others must describe it alike and share it (their backing
     * is not used). cntlid: 0 for the lowest free, else 1..65519. */
    NvmevSubsys *subsys;
    uint16_t cntlid;
    /* dbbuf=off: no Doorbell Buffer Config (OACS bit 8 clear; the command
     * is an invalid opcode), so the host rings every doorbell by MMIO. */
    int dbbuf_off;
} NvmevConfig;

/* A snapshot for query-nvmev. */
typedef struct NvmevCoreInfo {
    char kind[16];
    char preset[32];
    char serial[21];
    char model[41];
    uint64_t capacity_bytes;
    uint32_t lba_size;
    uint32_t mdts;
    uint32_t max_ioqpairs;
    uint32_t active_ioqpairs; /* I/O SQs currently created */
    uint32_t enabled;         /* CSTS.RDY */
    int64_t read_latency_ns;
    int64_t write_latency_ns;
    int64_t read_bandwidth_mbps;
    int64_t write_bandwidth_mbps;
    uint64_t read_cmds, write_cmds, other_cmds;
    uint64_t read_bytes, write_bytes;
    uint64_t error_cmds; /* completions with a non-zero status */
    uint64_t completions;
    uint64_t lateness_p50_ns, lateness_p99_ns, lateness_p999_ns;
    uint64_t lateness_max_ns;
    uint64_t lateness_samples;
    int simple_timing; /* the read/write latency and bandwidth fields apply */
    int has_media;     /* the media fields below apply (ssd=conv) */
    uint64_t host_pages_written, nand_pages_written; /* 4 KiB pages */
    uint64_t gc_runs, gc_pages_copied, erases;
    uint64_t free_lines, total_lines;
    uint64_t write_buffer_bytes, write_buffer_capacity;
    int is_zoned; /* the zone fields below apply (ssd=zns) */
    uint64_t zone_size_bytes, zone_capacity_bytes;
    uint32_t zone_count;
    /* zones per state: empty, implicitly open, explicitly open, closed,
     * full, read-only, offline */
    uint32_t zones_in_state[7];
    uint64_t zone_resets, zone_finishes, zone_appends;
    int is_kv;             /* the kv fields below apply (ssd=kv) */
    int kv_vendor_opcodes; /* NVMeVirt's opcodes instead of the KV command set */
    int kv_parallel;       /* values timed on the NAND model (kv-backend) */
    uint64_t kv_keys, kv_value_bytes, kv_allocated_bytes, kv_free_bytes;
    uint64_t kv_max_keys, kv_max_value_bytes;
    uint64_t kv_compactions, kv_compacted_bytes;
    uint64_t kv_stores, kv_retrieves, kv_deletes, kv_exists, kv_lists;
    uint64_t cmb_bytes;       /* 0: no CMB */
    int cmb_enabled;          /* CMBMSC.CMSE: the controller memory space is on */
    uint64_t cmb_read_bytes;  /* the controller read from the CMB (SQEs, lists, data) */
    uint64_t cmb_write_bytes; /* and wrote to it (CQEs, read data) */
    uint64_t pmr_bytes;       /* 0: no PMR */
    int pmr_enabled;          /* PMRCTL.EN */
} NvmevCoreInfo;

/* Where the device keeps what in its backing store: data_bytes of data
 * (the capacity) from offset 0, then metadata_bytes of metadata (ssd=zns:
 * zone states, write pointers, descriptor extensions; ssd=kv: key records;
 * ssd=conv: the drive state area, docs/persistence.md). */
typedef struct NvmevLayout {
    uint64_t data_bytes;
    uint64_t metadata_bytes;
} NvmevLayout;

/*
 * NVM subsystems. The adapter holds one reference (new/free), each
 * controller of the subsystem another, so a shared namespace outlives
 * the controllers that leave. The controllers of a subsystem serialize on
 * its lock instead of their own. nvmev_subsys_controllers() counts the
 * controllers in it now, nvmev_subsys_has_namespace() whether NSID 1
 * exists (a controller has made it).
 */
NvmevSubsys *nvmev_subsys_new(const char *nqn);
void nvmev_subsys_free(NvmevSubsys *subsys);
unsigned nvmev_subsys_controllers(NvmevSubsys *subsys);
int nvmev_subsys_has_namespace(NvmevSubsys *subsys);
/* The controller's CNTLID (ID-CTRL CNTLID). */
uint16_t nvmev_core_cntlid(NvmevCore *core);

/* Resolves cfg (as nvmev_core_new would) into the backing store layout:
 * with size=, the adapter allocates data_bytes + metadata_bytes; with a
 * memdev, both fit in it. Returns -1 and sets *errmsg on a bad config. */
int nvmev_core_layout(const NvmevConfig *cfg, NvmevLayout *layout, char **errmsg);

/* Returns NULL and sets *errmsg (free with nvmev_core_free_error) on a bad
 * configuration, or when a memdev holds zone metadata of another format.
 * backing is the store nvmev_core_layout() describes, zeroed or holding a
 * previous run's data and metadata. */
NvmevCore *nvmev_core_new(const NvmevConfig *cfg, const NvmevHostOps *ops, void *opaque,
                          uint8_t *backing, char **errmsg);
void nvmev_core_free(NvmevCore *core);
void nvmev_core_free_error(char *errmsg);

/* Size of BAR0: registers plus the doorbells of every queue. */
uint64_t nvmev_core_bar_size(const NvmevCore *core);

uint64_t nvmev_core_mmio_read(NvmevCore *core, uint64_t offset, unsigned size);
void nvmev_core_mmio_write(NvmevCore *core, uint64_t offset, uint64_t value, unsigned size);
/* Splits the queues into `groups` groups: group 0 has the admin queue, I/O
 * queue pair q (1..max_ioqpairs) is in pair_group[q - 1]. Without a call,
 * every queue is in group 0. Only while the controller is disabled (before
 * the guest runs); returns -1 and sets *errmsg on a bad mapping. */
int nvmev_core_map_queues(NvmevCore *core, unsigned groups, const uint16_t *pair_group,
                          size_t pairs, char **errmsg);
/* Fetches and executes the commands submitted to the group's SQs (group 0:
 * also the admin SQ); posts the group's due completions. */
void nvmev_core_process(NvmevCore *core, unsigned group);
/* The deadline armed with arm_timer(group) has passed. */
void nvmev_core_timer(NvmevCore *core, unsigned group);
/* For an IOThread's adaptive polling (io_poll): 1 when
 * nvmev_core_process(group) would find work now, i.e. a shadow doorbell of
 * the group the host moved or a due completion. Reads a few bytes of host
 * memory per I/O queue pair of the group. */
int nvmev_core_poll(NvmevCore *core, unsigned group);
/* 1 while the group's thread polls: the controller stops advancing the
 * group's shadow event indexes, so the guest rings almost no MMIO doorbells;
 * 0 publishes them again (then poll once more: the guest may have rung
 * nothing meanwhile). */
void nvmev_core_set_polling(NvmevCore *core, unsigned group, int on);
/* 1 while Doorbell Buffer Config is in effect: the I/O queues' doorbell
 * values are then taken from the shadow buffer, so the adapter may turn
 * their MMIO doorbells into plain notifications (ioeventfd). */
int nvmev_core_shadow_doorbells(NvmevCore *core);
/* Conventional/function-level reset: as CC.EN 1->0, plus registers. */
void nvmev_core_reset(NvmevCore *core);
/* Checkpoints the drive state of every namespace that keeps one (ssd=conv,
 * docs/persistence.md) and changed since its last; returns how many. The
 * adapter calls it when QEMU exits (devices are not unrealized then). */
unsigned nvmev_core_checkpoint(NvmevCore *core);
/* Whether the controller uses MSI-X (1) or pin-based interrupts (0). */
void nvmev_core_set_msix(NvmevCore *core, int enabled);

/* Retunes timing parameters by property name, all or none: returns -1 and
 * sets *errmsg (naming the parameter) when one is out of range or not a
 * retunable property of the namespace's kind (the message lists those). */
int nvmev_core_set_timing(NvmevCore *core, const NvmevParam *changes, size_t n, char **errmsg);
/* Calls fn for every effective parameter of NSID 1 that query-nvmev
 * reports: geometry, zone and kv limits, timing (current values). */
void nvmev_core_foreach_param(NvmevCore *core,
                              void (*fn)(void *opaque, const char *name, int64_t value),
                              void *opaque);
void nvmev_core_get_info(NvmevCore *core, NvmevCoreInfo *info);
/* ssd=zns fault injection: zone `zone` becomes "read-only" or "offline"
 * (from any state) or, from those, "empty"; the host sees a Zone
 * Descriptor Changed event. Returns -1 and sets *errmsg otherwise, or
 * NVMEV_CORE_RETRY (and *errmsg) when "empty", which zeroes the zone's data,
 * found a Read of it copying that data without the lock: nothing changed;
 * call again (the copy takes microseconds). */
#define NVMEV_CORE_RETRY (-2)
int nvmev_core_zone_set_state(NvmevCore *core, uint64_t zone, const char *state, char **errmsg);
void nvmev_core_reset_stats(NvmevCore *core);

/* Namespaces. The nvmev device's own properties define NSID 1; further
 * namespaces (nvmev-ns) take NSIDs 2..NVMEV_MAX_NAMESPACES. A controller with
 * more than NSID 1 reports NN = NVMEV_MAX_NAMESPACES and offers Namespace
 * Management and Namespace Attachment. */
#define NVMEV_MAX_NAMESPACES 32

/* Adds namespace nsid before the guest runs. Of cfg only the namespace
 * fields count (ssd, preset, capacity, lba_size, timing, kind properties);
 * serial, model, mdts, max_ioqpairs and msix_vectors are the controller's.
 * backing is the store nvmev_core_layout(cfg) describes. attached = 0 starts
 * it detached. Returns -1 and sets *errmsg (naming the property) on a bad
 * nsid or configuration. */
int nvmev_core_add_namespace(NvmevCore *core, uint32_t nsid, const NvmevConfig *cfg,
                             uint8_t *backing, int attached, char **errmsg);
/* Attaches (1) or detaches (0) an allocated namespace as Namespace
 * Attachment would, with the Namespace Attribute Changed notice. Returns -1
 * and sets *errmsg when it does not exist or already is so. */
int nvmev_core_ns_set_attached(NvmevCore *core, uint32_t nsid, int attached, char **errmsg);
/* Per-namespace forms of nvmev_core_set_timing / nvmev_core_zone_set_state. */
int nvmev_core_ns_set_timing(NvmevCore *core, uint32_t nsid, const NvmevParam *changes, size_t n,
                             char **errmsg);
int nvmev_core_ns_zone_set_state(NvmevCore *core, uint32_t nsid, uint64_t zone, const char *state,
                                 char **errmsg);
/* The namespace fields of NvmevCoreInfo (kind, preset, capacity_bytes,
 * lba_size, timing, media and zone blocks) for slot nsid, plus whether it
 * is allocated and attached; the controller fields are left zero. Returns
 * -1 when nsid has no slot. */
int nvmev_core_ns_get_info(NvmevCore *core, uint32_t nsid, NvmevCoreInfo *info, int *allocated,
                           int *attached);

/* Which trace events the core reports: bit NVMEV_TRACE_BIT(id) for event
 * id. Lock-free and callable from any thread (e.g. each time the host
 * refreshes its own trace state); applies to events after the call. */
void nvmev_core_set_trace_mask(NvmevCore *core, uint64_t mask);
/* An event's QEMU trace event name ("nvmev_submit"), NULL beyond the last. */
const char *nvmev_core_trace_name(unsigned id);
/* A zone state's name ("empty", "implicitly-open", ...), "?" if unknown. */
const char *nvmev_core_zone_state_name(unsigned state);

/* Names of the known kinds and presets, for error messages and help. */
const char *nvmev_core_kinds(void);
const char *nvmev_core_presets(void);

#ifdef __cplusplus
}
#endif

#endif /* NVMEV_CORE_H */
