/*
 * nvmev-subsys: an NVM subsystem whose nvmev controllers share NSID 1.
 *
 *   -device nvmev-subsys,id=s0
 *   -device nvmev,id=c0,subsys=s0,ssd=conv,size=1G
 *   -device nvmev,id=c1,subsys=s0,ssd=conv,size=1G
 *
 * Each controller reports the subsystem's NQN and serial, a CNTLID of its
 * own, CMIC "two or more controllers" and NMIC "shared"; the first to
 * realize makes the namespace over its backing store, which this object
 * then owns, so the namespace stays when that controller is unplugged.
 * The others must describe the namespace alike (the core says which
 * property differs) and use the same store. It is a device without a bus
 * (QEMU's -object takes only the types its QAPI schema lists), given
 * before the controllers that name it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/mman.h>
#include "qapi/error.h"
#include "qemu/module.h"
#include "hw/qdev-core.h"
#include "hw/qdev-properties.h"
#include "system/hostmem.h"
#include "nvmev.h"

/* NVMe 2.0c 4.5: an NQN is at most 223 bytes. */
#define NVMEV_NQN_MAX 223
#define NVMEV_SERIAL_MAX 20

struct NvmevSubsysState {
    DeviceState parent_obj;

    char *nqn;              /* property; NULL: derived from the id */
    char *serial;           /* property; NULL: derived from the id */
    char *default_nqn;
    char default_serial[NVMEV_SERIAL_MAX + 1];
    NvmevSubsys *core;

    /* NSID 1's backing store, taken over from the first controller */
    uint8_t *data;          /* NULL: no namespace yet */
    uint64_t data_size;
    uint64_t metadata_size;
    uint64_t map_size;      /* an anonymous mapping's size */
    HostMemoryBackend *memdev;  /* or the memdev it lives in */
};

const char *nvmev_subsys_serial(NvmevSubsysState *ss)
{
    return ss->serial ? ss->serial : ss->default_serial;
}

NvmevSubsys *nvmev_subsys_core(NvmevSubsysState *ss)
{
    return ss->core;
}

const char *nvmev_subsys_id(NvmevSubsysState *ss)
{
    return DEVICE(ss)->id ? DEVICE(ss)->id : "";
}

bool nvmev_subsys_has_memdev(NvmevSubsysState *ss, HostMemoryBackend *memdev)
{
    return memdev && ss->data && ss->memdev == memdev;
}

bool nvmev_subsys_lend_data(NvmevSubsysState *ss, NvmevState *s,
                            uint64_t data_size, uint64_t metadata_size,
                            Error **errp)
{
    if (!ss->data) {
        return true;  /* the first controller: it maps its own */
    }
    if (s->ns.memdev && s->ns.memdev != ss->memdev) {
        error_setg(errp, "nvmev: property 'memdev': '%s' is not the shared "
                   "namespace's backend (allowed: %s%s%s, as the first "
                   "controller of subsystem '%s' gave)",
                   object_get_canonical_path_component(OBJECT(s->ns.memdev)),
                   ss->memdev ? "'" : "no memdev",
                   ss->memdev ? object_get_canonical_path_component(
                                    OBJECT(ss->memdev)) : "",
                   ss->memdev ? "'" : "", nvmev_subsys_id(ss));
        return false;
    }
    if (data_size != ss->data_size || metadata_size != ss->metadata_size) {
        error_setg(errp, "nvmev: property '%s': %" PRIu64 " bytes differs "
                   "from the shared namespace's %" PRIu64 " bytes (allowed: "
                   "%" PRIu64 "; every controller of subsystem '%s' "
                   "describes NSID 1 alike)", s->ns.memdev ? "memdev" : "size",
                   data_size, ss->data_size, ss->data_size,
                   nvmev_subsys_id(ss));
        return false;
    }
    s->data = ss->data;
    s->data_lent = true;
    return true;
}

void nvmev_subsys_adopt_data(NvmevSubsysState *ss, NvmevState *s)
{
    if (s->data_lent) {
        return;
    }
    ss->data = s->data;
    ss->data_size = s->data_size;
    ss->metadata_size = s->metadata_size;
    ss->map_size = s->data_is_anon ? s->map_size : 0;
    ss->memdev = s->ns.memdev;
    if (ss->memdev) {
        object_ref(OBJECT(ss->memdev));
    }
    s->data_is_anon = false;
    s->data_lent = true;
}

static void nvmev_subsys_release_data(NvmevSubsysState *ss)
{
    if (ss->map_size) {
        munmap(ss->data, ss->map_size);
    } else if (ss->memdev) {
        host_memory_backend_set_mapped(ss->memdev, false);
        object_unref(OBJECT(ss->memdev));
    }
    ss->data = NULL;
    ss->memdev = NULL;
    ss->map_size = 0;
}

static void nvmev_subsys_realize(DeviceState *dev, Error **errp)
{
    NvmevSubsysState *ss = NVMEV_SUBSYS(dev);
    const char *id = nvmev_subsys_id(ss);

    if (!id[0]) {
        error_setg(errp, "nvmev-subsys: property 'id' is required (the "
                   "controllers name it with subsys=)");
        return;
    }
    if (ss->nqn && (!ss->nqn[0] || strlen(ss->nqn) > NVMEV_NQN_MAX)) {
        error_setg(errp, "nvmev-subsys: property 'nqn': '%s' is not allowed "
                   "(allowed: 1..%d bytes)", ss->nqn, NVMEV_NQN_MAX);
        return;
    }
    if (ss->serial && (!ss->serial[0] || strlen(ss->serial) >
                       NVMEV_SERIAL_MAX)) {
        error_setg(errp, "nvmev-subsys: property 'serial': '%s' is not "
                   "allowed (allowed: 1..%d ASCII characters)", ss->serial,
                   NVMEV_SERIAL_MAX);
        return;
    }
    ss->default_nqn = g_strdup_printf("nqn.2026-11.io.nvmev:subsys:%s", id);
    if (strlen(ss->default_nqn) > NVMEV_NQN_MAX) {
        ss->default_nqn[NVMEV_NQN_MAX] = '\0';
    }
    snprintf(ss->default_serial, sizeof(ss->default_serial), "NVMEVS%08X",
             g_str_hash(id));
    ss->core = nvmev_subsys_new(ss->nqn ? ss->nqn : ss->default_nqn);
    if (!ss->core) {
        error_setg(errp, "nvmev-subsys: out of memory");
    }
}

static void nvmev_subsys_finalize(Object *obj)
{
    NvmevSubsysState *ss = NVMEV_SUBSYS(obj);

    /* After every controller (each holds a reference through subsys=). */
    if (ss->core) {
        nvmev_subsys_free(ss->core);
        ss->core = NULL;
    }
    nvmev_subsys_release_data(ss);
    g_free(ss->default_nqn);  /* the properties are qdev's to free */
}

static const Property nvmev_subsys_props[] = {
    DEFINE_PROP_STRING("nqn", NvmevSubsysState, nqn),
    DEFINE_PROP_STRING("serial", NvmevSubsysState, serial),
};

static void nvmev_subsys_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->realize = nvmev_subsys_realize;
    dc->desc = "nvmev NVM subsystem: its nvmev controllers share NSID 1";
    /* It owns the shared namespace's store: it stays while QEMU runs. */
    dc->hotpluggable = false;
    device_class_set_props(dc, nvmev_subsys_props);
    object_class_property_set_description(oc, "nqn",
        "subsystem NQN, ID-CTRL SUBNQN of every controller (default "
        "nqn.2026-11.io.nvmev:subsys:<id>)");
    object_class_property_set_description(oc, "serial",
        "serial number of every controller, up to 20 ASCII characters "
        "(default NVMEVS<hash of the id>)");
}

static const TypeInfo nvmev_subsys_info = {
    .name = TYPE_NVMEV_SUBSYS,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(NvmevSubsysState),
    .class_init = nvmev_subsys_class_init,
    .instance_finalize = nvmev_subsys_finalize,
};

static void nvmev_subsys_register_types(void)
{
    type_register_static(&nvmev_subsys_info);
}

type_init(nvmev_subsys_register_types)
