/*
 * nvmev: emulated NVMe SSD with timing models - QEMU device state.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_NVMEV_H
#define HW_NVMEV_H

#include "hw/pci/pci_device.h"
#include "hw/qdev-core.h"
#include "qom/object.h"
#include "qemu/event_notifier.h"
#include "qapi/qapi-types-virtio.h"
#include "core/nvmev_core.h"

#define TYPE_NVMEV "nvmev"
#define NVMEV_MAX_VECTORS 2048
/* Room for the core's namespace properties (nvmev_core_property_count). */
#define NVMEV_MAX_PROPS 96
#define NVMEV_CMB_BAR 2   /* 64-bit, prefetchable (CMBLOC.BIR) */
#define NVMEV_PMR_BAR 5   /* 32-bit, prefetchable (PMRCAP.BIR) */
OBJECT_DECLARE_SIMPLE_TYPE(NvmevState, NVMEV)

typedef struct IOThread IOThread;
typedef struct NvmevSubsysState NvmevSubsysState;
typedef struct HostMemoryBackend HostMemoryBackend;

/* One registry property's value, in the member its QOM type uses. */
typedef struct NvmevPropSlot {
    int64_t num;      /* NVMEV_PARAM_INT, NVMEV_PARAM_SIZE */
    bool flag;        /* NVMEV_PARAM_BOOL */
    OnOffAuto opt;    /* NVMEV_PARAM_ON_OFF_AUTO */
    char *str;        /* NVMEV_PARAM_ENUM, NVMEV_PARAM_STRING */
} NvmevPropSlot;

/*
 * The namespace properties nvmev and nvmev-ns share (nvmev-props.c): the
 * capacity, and one slot per entry of the core's parameter registry.
 */
typedef struct NvmevNsProps {
    uint64_t size;
    HostMemoryBackend *memdev;
    char *backing_name;  /* the memdev as errors name it (nvmev-props.c) */
    NvmevPropSlot slot[NVMEV_MAX_PROPS];
} NvmevNsProps;

/* The backing store of an nvmev-ns namespace, owned by its controller so it
 * outlives the core that points into it (nvmev-ns-*.c). */
typedef struct NvmevNsStore {
    uint8_t *data;              /* NULL: no namespace in this slot */
    uint64_t map_size;          /* anonymous mapping's size */
    HostMemoryBackend *memdev;  /* or the memdev it lives in */
} NvmevNsStore;

/*
 * A queue group: the queues one thread serves (the core's group `index`).
 * With iothread-vq-mapping there is one per listed IOThread; otherwise one,
 * in `iothread` or the main loop.
 */
typedef struct NvmevGroup {
    struct NvmevState *s;
    unsigned index;
    IOThread *iothread;    /* NULL: the main loop */
    AioContext *ctx;
    QEMUBH *process_bh;    /* runs in ctx */
    QEMUTimer *timer;      /* in ctx */
    int64_t deadline_ns;   /* the group's next deadline (INT64_MAX: none) */
    int kicked;            /* process requested (the BH may be pending) */
    EventNotifier notifier; /* doorbell ioeventfds; IOThread: io_poll */
    bool notifier_ready;   /* notifier initialized and attached to ctx */
    bool stopping;         /* unrealize: handlers return at once (in ctx) */
} NvmevGroup;

struct NvmevState {
    PCIDevice parent_obj;

    /* Properties: the namespace's (NSID 1), then the controller's */
    NvmevNsProps ns;
    char *serial;
    char *model;
    IOThread *iothread;
    IOThreadVirtQueueMappingList *iothread_vq_mapping;
    int64_t mdts;
    int64_t max_ioqpairs;
    int64_t wake_ahead_ns;
    uint64_t cmb_size;
    HostMemoryBackend *cmb_memdev;
    HostMemoryBackend *pmr_memdev;
    NvmevSubsysState *subsys;
    uint16_t cntlid;

    /* Runtime */
    NvmevCore *core;
    Notifier exit_notifier; /* QEMU exits: checkpoint the drive state */
    uint64_t trace_mask;   /* the events the core reports (nvmev.c) */
    MemoryRegion bar0;
    NvmevGroup *groups;    /* ngroups of them */
    unsigned ngroups;
    uint16_t *pair_group;  /* I/O queue pair q is in group pair_group[q - 1] */
    uint32_t pairs;        /* I/O queue pairs offered */
    bool vq_mapping_applied; /* holds references to the mapping's IOThreads */
    bool spin_ok;          /* wake ahead and wait on the clock */
    bool ioeventfd;        /* property: doorbells as ioeventfds (shadowed) */
    bool dbbuf;            /* property: Doorbell Buffer Config offered */
    int ioeventfd_on;      /* the I/O doorbells are on the notifier now */
    uint32_t ioeventfd_queues; /* queue pairs whose doorbells are on it */
    QEMUBH *ioeventfd_bh;  /* main loop: adds them (memory map: BQL) */
    QEMUBH *irq_bh;        /* main loop: interrupts raised off the BQL */
    /* Vectors to notify from irq_bh (one bit per MSI-X vector). */
    uint64_t irq_pending[NVMEV_MAX_VECTORS / 64];
    int intx_want;         /* INTx level requested off the BQL */
    uint16_t msix_vectors;
    uint8_t *data;         /* the data area: memdev RAM or anonymous */
    uint64_t data_size;   /* the capacity: data, then metadata_size bytes */
    uint64_t metadata_size;
    uint64_t map_size;    /* anonymous mapping: data + metadata */
    bool data_is_anon;
    bool data_lent;        /* data is the subsystem's (nvmev-subsys.c) */
    bool msix_ready;       /* MSI-X BAR set up (undone on exit) */
    bool iothread_ref;     /* holds a reference to iothread */
    char default_serial[21];
    BusState ns_bus;       /* nvmev-ns devices plug in here (bus=<id>) */
    MemoryRegion cmb_ram;  /* the CMB with cmb-size= */
    MemoryRegion *cmb_mr;  /* the CMB's memory: cmb_ram or cmb-memdev's */
    MemoryRegion cmb_bar;  /* BAR 2: the CMB from offset 0 */
    uint8_t *cmb;          /* cmb_bytes of it, for the core */
    uint64_t cmb_bytes;
    uint64_t pmr_bytes;    /* pmr-memdev's size; 0: no PMR */
    NvmevNsStore ns_store[NVMEV_MAX_NAMESPACES + 1];  /* by NSID */
};

/* nvmev-ns.c */
#define TYPE_NVMEV_BUS "nvmev-bus"
void nvmev_ns_release_stores(NvmevState *s);

/* nvmev-props.c */
/* The device's own properties `own`, then the NvmevNsProps at ns_offset in
 * the instance, with their descriptions. */
void nvmev_ns_props_register(DeviceClass *dc, const Property *own,
                             size_t n_own, size_t ns_offset);
/* The namespace part of cfg from p (the controller fields "not given");
 * values: room for NVMEV_MAX_PROPS, pointed to by cfg. */
void nvmev_ns_props_fill(NvmevNsProps *p, NvmevConfig *cfg,
                         NvmevPropValue *values);
/* A backend the controller may store into (not read-only). */
bool nvmev_backend_writable(HostMemoryBackend *b, const char *dev,
                            const char *prop, Error **errp);
/* size and memdev are exclusive, a memdev has one user and is writable. */
bool nvmev_ns_props_check_backing(const NvmevNsProps *p, const char *dev,
                                  Error **errp);
/* The ssd= given ("nvm" if none), for tracing. */
const char *nvmev_ns_props_ssd(const NvmevNsProps *p);

/* nvmev-subsys.c */
#define TYPE_NVMEV_SUBSYS "nvmev-subsys"
OBJECT_DECLARE_SIMPLE_TYPE(NvmevSubsysState, NVMEV_SUBSYS)
const char *nvmev_subsys_serial(NvmevSubsysState *ss);
const char *nvmev_subsys_id(NvmevSubsysState *ss);
NvmevSubsys *nvmev_subsys_core(NvmevSubsysState *ss);
/* memdev is the backend of the subsystem's namespace. */
bool nvmev_subsys_has_memdev(NvmevSubsysState *ss, HostMemoryBackend *memdev);
/* A joining controller gets the shared namespace's store (s->data, lent);
 * the first one (no store yet) gets nothing and maps its own. */
bool nvmev_subsys_lend_data(NvmevSubsysState *ss, NvmevState *s,
                            uint64_t data_size, uint64_t metadata_size,
                            Error **errp);
/* Once the first controller's core has made the namespace, the subsystem
 * owns its store, so it stays when that controller goes. */
void nvmev_subsys_adopt_data(NvmevSubsysState *ss, NvmevState *s);

/* nvmev-cmb-pmr.c */
/* Checks the properties and sets up the CMB's memory, before the core. */
bool nvmev_cmb_pmr_setup(NvmevState *s, Error **errp);
void nvmev_cmb_pmr_register_bars(NvmevState *s);
void nvmev_cmb_pmr_release(NvmevState *s);
void nvmev_host_pmr_enable(void *opaque, int on);
void nvmev_host_pmr_flush(void *opaque);

/* For nvmev-qmp.c */
NvmevState *nvmev_find(const char *id, Error **errp);
void nvmev_foreach(void (*fn)(NvmevState *s, void *opaque), void *opaque);

#endif
