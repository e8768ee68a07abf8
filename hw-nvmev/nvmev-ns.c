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
    bool detached;
    NvmevNsProps ns;  /* the namespace properties, as nvmev's */
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

/* The namespace's store: its memdev, or an anonymous (lazily zeroed)
 * mapping of the layout the core asks for. */
static bool nvmev_ns_map(NvmevNsState *ns, const NvmevLayout *layout,
                         NvmevNsStore *st, Error **errp)
{
    if (ns->ns.memdev) {
        st->data = memory_region_get_ram_ptr(
            host_memory_backend_get_memory(ns->ns.memdev));
        st->memdev = ns->ns.memdev;
        host_memory_backend_set_mapped(ns->ns.memdev, true);
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
    NvmevPropValue values[NVMEV_MAX_PROPS];
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
    if (!nvmev_ns_props_check_backing(&ns->ns, "nvmev-ns", errp)) {
        return;
    }
    /* Controller-wide values (mdts, max-ioqpairs): the controller's count. */
    nvmev_ns_props_fill(&ns->ns, &cfg, values);
    if (nvmev_core_layout(&cfg, &layout, &err) < 0) {
        error_setg(errp, "nvmev-ns: %s", err ? err : "invalid configuration");
        nvmev_core_free_error(err);
        return;
    }
    if (layout.data_bytes < NVMEV_NS_MIN_CAPACITY) {
        error_setg(errp, "nvmev-ns: property '%s': a capacity of %" PRIu64
                   " bytes is below the minimum of %" PRIu64 " bytes",
                   ns->ns.memdev ? "memdev" : "size", layout.data_bytes,
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

/* Its own; the namespace properties come from nvmev-props.c. */
static const Property nvmev_ns_props[] = {
    DEFINE_PROP_UINT32("nsid", NvmevNsState, nsid, 0),
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
    nvmev_ns_props_register(dc, nvmev_ns_props, ARRAY_SIZE(nvmev_ns_props),
                            offsetof(NvmevNsState, ns));
    object_class_property_set_description(oc, "nsid",
        "namespace ID, 2..32 (default: the lowest free one)");
    object_class_property_set_description(oc, "detached",
        "start detached from the controller (attach with Namespace "
        "Attachment or nvmev-ns-attach)");
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
