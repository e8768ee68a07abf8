/*
 * nvmev: the namespace properties nvmev and nvmev-ns share.
 *
 * Both devices embed an NvmevNsProps. Its properties are the capacity
 * (size or memdev) and one per entry of the core's parameter registry
 * (nvmev_core_property_info), so names, types, help texts and validation
 * all come from the core; each device adds only its own properties.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/qdev-properties.h"
#include "system/hostmem.h"
#include "nvmev.h"

/* Offsets relative to NvmevNsProps; moved to the device's copy at class init. */
static const Property nvmev_capacity_props[] = {
    DEFINE_PROP_SIZE("size", NvmevNsProps, size, 0),
    DEFINE_PROP_LINK("memdev", NvmevNsProps, memdev, TYPE_MEMORY_BACKEND,
                     HostMemoryBackend *),
};

static const struct {
    const char *name;
    const char *desc;
} nvmev_capacity_desc[] = {
    { "size", "capacity in bytes when no memdev is given (default 1G; "
      "ssd=zns: at least 4 zones); a multiple of lba-size (ssd=zns: of "
      "zone-size)" },
    { "memdev", "memory backend holding the data (memfd, file, hugepages); "
      "the capacity is its size (ssd=zns: whole zones, then the zone "
      "metadata)" },
};

/* The QOM property of registry entry `info`, stored in `slot`. */
static void nvmev_prop_of(Property *p, const NvmevParamInfo *info,
                          size_t slot)
{
    p->name = info->name;
    p->set_default = true;
    switch (info->type) {
    case NVMEV_PARAM_INT:
        p->info = &qdev_prop_int64;
        p->offset = slot + offsetof(NvmevPropSlot, num);
        p->defval.i = info->unset;
        break;
    case NVMEV_PARAM_SIZE:
        p->info = &qdev_prop_size;
        p->offset = slot + offsetof(NvmevPropSlot, num);
        p->defval.u = info->unset;
        break;
    case NVMEV_PARAM_BOOL:
        p->info = &qdev_prop_bool;
        p->offset = slot + offsetof(NvmevPropSlot, flag);
        p->defval.u = false;
        break;
    case NVMEV_PARAM_ON_OFF_AUTO:
        p->info = &qdev_prop_on_off_auto;
        p->offset = slot + offsetof(NvmevPropSlot, opt);
        p->defval.i = ON_OFF_AUTO_AUTO;
        break;
    case NVMEV_PARAM_ENUM:
    case NVMEV_PARAM_STRING:
    default:
        p->info = &qdev_prop_string;
        p->offset = slot + offsetof(NvmevPropSlot, str);
        p->set_default = false;
        break;
    }
}

void nvmev_ns_props_register(DeviceClass *dc, const Property *own,
                             size_t n_own, size_t ns_offset)
{
    ObjectClass *oc = OBJECT_CLASS(dc);
    size_t ncap = ARRAY_SIZE(nvmev_capacity_props);
    size_t n = nvmev_core_property_count();
    size_t total = n_own + ncap + n;
    Property *props;

    g_assert(n <= NVMEV_MAX_PROPS);
    props = g_new0(Property, total);
    memcpy(props, own, n_own * sizeof(Property));
    for (size_t i = 0; i < ncap; i++) {
        props[n_own + i] = nvmev_capacity_props[i];
        props[n_own + i].offset += ns_offset;
    }
    for (size_t i = 0; i < n; i++) {
        nvmev_prop_of(&props[n_own + ncap + i], nvmev_core_property_info(i),
                      ns_offset + offsetof(NvmevNsProps, slot) +
                      i * sizeof(NvmevPropSlot));
    }
    device_class_set_props_n(dc, props, total);
    for (size_t i = 0; i < ARRAY_SIZE(nvmev_capacity_desc); i++) {
        object_class_property_set_description(oc, nvmev_capacity_desc[i].name,
                                              nvmev_capacity_desc[i].desc);
    }
    for (size_t i = 0; i < n; i++) {
        const NvmevParamInfo *info = nvmev_core_property_info(i);

        object_class_property_set_description(oc, info->name,
                                              info->description);
    }
}

/* Slot i as the core takes it; false when it holds the "not given" value. */
static bool nvmev_prop_value(const NvmevNsProps *p, size_t i,
                             NvmevPropValue *v)
{
    const NvmevParamInfo *info = nvmev_core_property_info(i);
    const NvmevPropSlot *slot = &p->slot[i];

    *v = (NvmevPropValue){ .name = info->name };
    switch (info->type) {
    case NVMEV_PARAM_INT:
    case NVMEV_PARAM_SIZE:
        v->value = slot->num;
        return slot->num != info->unset;
    case NVMEV_PARAM_BOOL:
        v->value = slot->flag;
        return slot->flag;
    case NVMEV_PARAM_ON_OFF_AUTO:
        v->text = slot->opt == ON_OFF_AUTO_ON ? "on" : "off";
        return slot->opt != ON_OFF_AUTO_AUTO;
    default:
        v->text = slot->str;
        return slot->str != NULL;
    }
}

/* The size= or memdev capacity. */
static uint64_t nvmev_ns_props_capacity(const NvmevNsProps *p)
{
    return p->memdev ?
        memory_region_size(host_memory_backend_get_memory(p->memdev)) :
        p->size;
}

/*
 * The memdev as the core's errors about its metadata name it: its id, and
 * for a memory-backend-file the file (docs/persistence.md).
 */
static char *nvmev_ns_props_backing_name(const NvmevNsProps *p)
{
    Object *obj = OBJECT(p->memdev);
    const char *id = object_get_canonical_path_component(obj);
    g_autofree char *path = NULL;

    if (object_dynamic_cast(obj, TYPE_MEMORY_BACKEND_FILE)) {
        path = object_property_get_str(obj, "mem-path", NULL);
    }
    return path ? g_strdup_printf("'%s' (file %s)", id, path)
                : g_strdup_printf("'%s'", id);
}

void nvmev_ns_props_fill(NvmevNsProps *p, NvmevConfig *cfg,
                         NvmevPropValue *values)
{
    size_t n = 0;

    memset(cfg, 0, sizeof(*cfg));
    /* Every property comes by name; the fields mean "not given". */
    cfg->lba_size = cfg->mdts = cfg->max_ioqpairs = -1;
    cfg->read_latency_ns = cfg->write_latency_ns = -1;
    cfg->read_bandwidth_mbps = cfg->write_bandwidth_mbps = -1;
    cfg->msix_vectors = 1;
    /* size= (0: the kind's default) or the memdev's whole size */
    cfg->capacity_bytes = nvmev_ns_props_capacity(p);
    cfg->capacity_from_memdev = p->memdev != NULL;
    g_free(p->backing_name);
    p->backing_name = p->memdev ? nvmev_ns_props_backing_name(p) : NULL;
    cfg->backing_name = p->backing_name;
    for (size_t i = 0; i < nvmev_core_property_count(); i++) {
        if (nvmev_prop_value(p, i, &values[n])) {
            n++;
        }
    }
    cfg->params = values;
    cfg->n_params = n;
}

/*
 * The controller stores into its backends (data, drive state, CMB) through
 * their host mapping: a read-only one (memory-backend-file readonly=on with
 * rom on, its default) is mapped without PROT_WRITE, and the first store
 * would kill QEMU. readonly=on with rom=off is a private, writable mapping
 * (writes are not saved) and is accepted.
 */
bool nvmev_backend_writable(HostMemoryBackend *b, const char *dev,
                            const char *prop, Error **errp)
{
    if (memory_region_is_rom(host_memory_backend_get_memory(b))) {
        error_setg(errp, "%s: property '%s': backend '%s' is read-only "
                   "(allowed: a writable backend; a memory-backend-file with "
                   "readonly=on needs rom=off, and then keeps no write)",
                   dev, prop, object_get_canonical_path_component(OBJECT(b)));
        return false;
    }
    return true;
}

bool nvmev_ns_props_check_backing(const NvmevNsProps *p, const char *dev,
                                  Error **errp)
{
    if (p->memdev && p->size) {
        error_setg(errp, "%s: give either 'size' or 'memdev', not both "
                   "(with 'memdev' the capacity is the backend's size)", dev);
        return false;
    }
    if (p->memdev && host_memory_backend_is_mapped(p->memdev)) {
        error_setg(errp, "%s: property 'memdev': backend '%s' is "
                   "already in use", dev,
                   object_get_canonical_path_component(OBJECT(p->memdev)));
        return false;
    }
    return !p->memdev || nvmev_backend_writable(p->memdev, dev, "memdev", errp);
}

const char *nvmev_ns_props_ssd(const NvmevNsProps *p)
{
    for (size_t i = 0; i < nvmev_core_property_count(); i++) {
        if (!strcmp(nvmev_core_property_info(i)->name, "ssd")) {
            return p->slot[i].str ? p->slot[i].str : "nvm";
        }
    }
    return "nvm";
}
