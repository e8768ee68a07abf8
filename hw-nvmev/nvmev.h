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
/* Room for the core's table of integer parameters (nvmev_core_param_info). */
#define NVMEV_MAX_PARAMS 64
OBJECT_DECLARE_SIMPLE_TYPE(NvmevState, NVMEV)

typedef struct IOThread IOThread;
typedef struct HostMemoryBackend HostMemoryBackend;

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
} NvmevGroup;

struct NvmevState {
    PCIDevice parent_obj;

    /* Properties */
    char *ssd;
    char *preset;
    char *serial;
    char *model;
    uint64_t size;
    HostMemoryBackend *memdev;
    IOThread *iothread;
    IOThreadVirtQueueMappingList *iothread_vq_mapping;
    int64_t lba_size;
    int64_t mdts;
    int64_t max_ioqpairs;
    int64_t read_latency_ns;
    int64_t write_latency_ns;
    int64_t read_bandwidth_mbps;
    int64_t write_bandwidth_mbps;
    int64_t wake_ahead_ns;
    char *cell_type;
    char *gc_policy;
    OnOffAuto early_completion;
    char *kv_backend;
    bool kv_vendor_opcodes;
    /* The core's parameter table, in its order: -1 (or 0 for sizes): preset */
    int64_t params[NVMEV_MAX_PARAMS];

    /* Runtime */
    NvmevCore *core;
    uint64_t trace_mask;   /* the events the core reports (nvmev.c) */
    MemoryRegion bar0;
    NvmevGroup *groups;    /* ngroups of them */
    unsigned ngroups;
    uint16_t *pair_group;  /* I/O queue pair q is in group pair_group[q - 1] */
    uint32_t pairs;        /* I/O queue pairs offered */
    bool vq_mapping_applied; /* holds references to the mapping's IOThreads */
    bool spin_ok;          /* wake ahead and wait on the clock */
    bool ioeventfd;        /* property: doorbells as ioeventfds (shadowed) */
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
    bool msix_ready;       /* MSI-X BAR set up (undone on exit) */
    bool iothread_ref;     /* holds a reference to iothread */
    char default_serial[21];
    BusState ns_bus;       /* nvmev-ns devices plug in here (bus=<id>) */
    NvmevNsStore ns_store[NVMEV_MAX_NAMESPACES + 1];  /* by NSID */
};

/* nvmev-ns.c */
#define TYPE_NVMEV_BUS "nvmev-bus"
void nvmev_ns_release_stores(NvmevState *s);
/* nvmev.c: one property per entry of the core's parameter table, at
 * params_offset in the instance (an int64_t array), after `fixed`. */
void nvmev_set_props_with_params(DeviceClass *dc, const Property *fixed,
                                 size_t n_fixed, size_t params_offset);
void nvmev_describe_params(ObjectClass *oc);

/* For nvmev-qmp.c */
NvmevState *nvmev_find(const char *id, Error **errp);
void nvmev_foreach(void (*fn)(NvmevState *s, void *opaque), void *opaque);

#endif
