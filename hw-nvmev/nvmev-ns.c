/*
 * nvmev-ns: a further namespace of an nvmev controller.
 *
 * Each nvmev controller has a bus named after its id; an nvmev-ns plugged
 * into it (-device nvmev-ns,bus=c0,nsid=2,ssd=zns,...) adds a namespace of
 * its own kind, size and backing store. The controller's own kind
 * properties keep defining NSID 1. Namespaces are added before the guest
 * runs: the bus takes no hot-plugged devices.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/mman.h>
#include "qapi/error.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "hw/qdev-core.h"
#include "hw/qdev-properties.h"
#include "system/hostmem.h"
#include "nvmev.h"

#define TYPE_NVMEV_NS "nvmev-ns"
OBJECT_DECLARE_SIMPLE_TYPE(NvmevNsState, NVMEV_NS)

#define NVMEV_NS_MIN_CAPACITY (1 * MiB)

struct NvmevNsState {
    DeviceState parent_obj;

    uint32_t nsid;   /* 0: the lowest free NSID */
    char *ssd;
    char *preset;
    uint64_t size;
    HostMemoryBackend *memdev;
    int64_t lba_size;
    int64_t read_latency_ns;
    int64_t write_latency_ns;
    int64_t read_bandwidth_mbps;
    int64_t write_bandwidth_mbps;
    char *cell_type;
    char *gc_policy;
    OnOffAuto early_completion;
    char *kv_backend;
    bool kv_vendor_opcodes;
    bool detached;
    int64_t params[NVMEV_MAX_PARAMS];
};

void nvmev_ns_release_stores(NvmevState *s)
{
    for (uint32_t i = 0; i <= NVMEV_MAX_NAMESPACES; i++) {
        NvmevNsStore *st = &s->ns_store[i];

        if (st->memdev) {
            host_memory_backend_set_mapped(st->memdev, false);
        } else if (st->data) {
            munmap(st->data, st->map_size);
        }
        memset(st, 0, sizeof(*st));
    }
}

static void nvmev_ns_fill_config(NvmevNsState *ns, NvmevConfig *cfg,
                                 int64_t *params)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->ssd = ns->ssd;
    cfg->preset = ns->preset;
    cfg->capacity_bytes = ns->memdev ?
        memory_region_size(host_memory_backend_get_memory(ns->memdev)) :
        ns->size;
    cfg->capacity_from_memdev = ns->memdev != NULL;
    cfg->lba_size = ns->lba_size;
    /* Controller-wide values: the controller's count, these are ignored. */
    cfg->mdts = -1;
    cfg->max_ioqpairs = -1;
    cfg->msix_vectors = 1;
    cfg->read_latency_ns = ns->read_latency_ns;
    cfg->write_latency_ns = ns->write_latency_ns;
    cfg->read_bandwidth_mbps = ns->read_bandwidth_mbps;
    cfg->write_bandwidth_mbps = ns->write_bandwidth_mbps;
    cfg->cell_type = ns->cell_type;
    cfg->gc_policy = ns->gc_policy;
    cfg->early_completion = ns->early_completion == ON_OFF_AUTO_ON ? 1 :
                            ns->early_completion == ON_OFF_AUTO_OFF ? 2 : 0;
    cfg->kv_backend = ns->kv_backend;
    cfg->kv_vendor_opcodes = ns->kv_vendor_opcodes;
    for (size_t i = 0; i < nvmev_core_param_count(); i++) {
        const NvmevParamInfo *info = nvmev_core_param_info(i);
        params[i] = info->is_size && ns->params[i] == 0 ? -1 : ns->params[i];
    }
    cfg->params = params;
}

/* The namespace's store: its memdev, or an anonymous (lazily zeroed)
 * mapping of the layout the core asks for. */
static bool nvmev_ns_map(NvmevNsState *ns, const NvmevLayout *layout,
                         NvmevNsStore *st, Error **errp)
{
    if (ns->memdev) {
        st->data = memory_region_get_ram_ptr(
            host_memory_backend_get_memory(ns->memdev));
        st->memdev = ns->memdev;
        host_memory_backend_set_mapped(ns->memdev, true);
        return true;
    }
    st->map_size = layout->data_bytes + layout->metadata_bytes;
    st->data = mmap(NULL, st->map_size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (st->data == MAP_FAILED) {
        st->data = NULL;
        error_setg_errno(errp, errno, "nvmev-ns: cannot map %" PRIu64
                         " bytes for the data area", st->map_size);
        return false;
    }
    return true;
}

static void nvmev_ns_realize(DeviceState *dev, Error **errp)
{
    NvmevNsState *ns = NVMEV_NS(dev);
    NvmevState *s = NVMEV(qdev_get_parent_bus(dev)->parent);
    int64_t params[NVMEV_MAX_PARAMS];
    NvmevConfig cfg;
    NvmevLayout layout;
    NvmevNsStore st = { 0 };
    char *err = NULL;
    uint32_t nsid = ns->nsid;

    if (!s->core) {
        error_setg(errp, "nvmev-ns: the controller is not realized");
        return;
    }
    if (nsid == 0) {
        for (nsid = 2; nsid <= NVMEV_MAX_NAMESPACES && s->ns_store[nsid].data;
             nsid++) {
        }
    }
    if (nsid < 2 || nsid > NVMEV_MAX_NAMESPACES) {
        error_setg(errp, "nvmev-ns: property 'nsid': %u is out of range "
                   "(allowed: 2..%u; NSID 1 is the nvmev device's own "
                   "namespace)", nsid, NVMEV_MAX_NAMESPACES);
        return;
    }
    if (s->ns_store[nsid].data) {
        error_setg(errp, "nvmev-ns: property 'nsid': namespace %u already "
                   "exists on this controller", nsid);
        return;
    }
    if (ns->memdev && ns->size) {
        error_setg(errp, "nvmev-ns: give either 'size' or 'memdev', not both "
                   "(with 'memdev' the capacity is the backend's size)");
        return;
    }
    if (ns->memdev && host_memory_backend_is_mapped(ns->memdev)) {
        error_setg(errp, "nvmev-ns: property 'memdev': backend '%s' is "
                   "already in use",
                   object_get_canonical_path_component(OBJECT(ns->memdev)));
        return;
    }
    nvmev_ns_fill_config(ns, &cfg, params);
    if (nvmev_core_layout(&cfg, &layout, &err) < 0) {
        error_setg(errp, "nvmev-ns: %s", err ? err : "invalid configuration");
        nvmev_core_free_error(err);
        return;
    }
    if (layout.data_bytes < NVMEV_NS_MIN_CAPACITY) {
        error_setg(errp, "nvmev-ns: property '%s': a capacity of %" PRIu64
                   " bytes is below the minimum of %" PRIu64 " bytes",
                   ns->memdev ? "memdev" : "size", layout.data_bytes,
                   (uint64_t)NVMEV_NS_MIN_CAPACITY);
        return;
    }
    if (!nvmev_ns_map(ns, &layout, &st, errp)) {
        return;
    }
    s->ns_store[nsid] = st;  /* the controller releases it (after its core) */
    if (nvmev_core_add_namespace(s->core, nsid, &cfg, st.data, !ns->detached,
                                 &err) < 0) {
        error_setg(errp, "nvmev-ns: %s", err ? err : "invalid configuration");
        nvmev_core_free_error(err);
        if (st.memdev) {
            host_memory_backend_set_mapped(st.memdev, false);
        } else {
            munmap(st.data, st.map_size);
        }
        memset(&s->ns_store[nsid], 0, sizeof(st));
        return;
    }
    ns->nsid = nsid;
}

static const Property nvmev_ns_props[] = {
    DEFINE_PROP_UINT32("nsid", NvmevNsState, nsid, 0),
    DEFINE_PROP_STRING("ssd", NvmevNsState, ssd),
    DEFINE_PROP_STRING("preset", NvmevNsState, preset),
    DEFINE_PROP_SIZE("size", NvmevNsState, size, 0),
    DEFINE_PROP_LINK("memdev", NvmevNsState, memdev, TYPE_MEMORY_BACKEND,
                     HostMemoryBackend *),
    DEFINE_PROP_INT64("lba-size", NvmevNsState, lba_size, -1),
    DEFINE_PROP_INT64("read-latency-ns", NvmevNsState, read_latency_ns, -1),
    DEFINE_PROP_INT64("write-latency-ns", NvmevNsState, write_latency_ns, -1),
    DEFINE_PROP_INT64("read-bandwidth-mbps", NvmevNsState,
                      read_bandwidth_mbps, -1),
    DEFINE_PROP_INT64("write-bandwidth-mbps", NvmevNsState,
                      write_bandwidth_mbps, -1),
    DEFINE_PROP_STRING("cell-type", NvmevNsState, cell_type),
    DEFINE_PROP_STRING("gc-policy", NvmevNsState, gc_policy),
    DEFINE_PROP_STRING("kv-backend", NvmevNsState, kv_backend),
    DEFINE_PROP_BOOL("kv-vendor-opcodes", NvmevNsState, kv_vendor_opcodes, false),
    DEFINE_PROP_ON_OFF_AUTO("early-completion", NvmevNsState,
                            early_completion, ON_OFF_AUTO_AUTO),
    DEFINE_PROP_BOOL("detached", NvmevNsState, detached, false),
};

static void nvmev_ns_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->bus_type = TYPE_NVMEV_BUS;
    dc->realize = nvmev_ns_realize;
    dc->desc = "nvmev: a further namespace of an nvmev controller";
    /* Namespaces are part of the controller's configuration at start-up. */
    dc->hotpluggable = false;
    set_bit(DEVICE_CATEGORY_STORAGE, dc->categories);
    nvmev_set_props_with_params(dc, nvmev_ns_props, ARRAY_SIZE(nvmev_ns_props),
                                offsetof(NvmevNsState, params));
    object_class_property_set_description(oc, "nsid",
        "namespace ID, 2..32 (default: the lowest free one)");
    object_class_property_set_description(oc, "size",
        "capacity in bytes when no memdev is given (default 1G; ssd=zns: at "
        "least 4 zones)");
    object_class_property_set_description(oc, "memdev",
        "memory backend holding the namespace's data (ssd=zns: whole zones, "
        "then the zone metadata)");
    object_class_property_set_description(oc, "lba-size",
        "logical block size in bytes: 512 or 4096 (default from the preset)");
    object_class_property_set_description(oc, "detached",
        "start detached from the controller (attach with Namespace "
        "Attachment or nvmev-ns-attach)");
    nvmev_describe_params(oc);
}

static const TypeInfo nvmev_ns_types[] = {
    {
        .name = TYPE_NVMEV_BUS,
        .parent = TYPE_BUS,
        .instance_size = sizeof(BusState),
    },
    {
        .name = TYPE_NVMEV_NS,
        .parent = TYPE_DEVICE,
        .instance_size = sizeof(NvmevNsState),
        .class_init = nvmev_ns_class_init,
    },
};

DEFINE_TYPES(nvmev_ns_types)
