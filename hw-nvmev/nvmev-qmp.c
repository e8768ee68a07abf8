/*
 * nvmev: QMP commands (schema in qapi/nvmev.json).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-nvmev.h"
#include "system/iothread.h"
#include "nvmev.h"
#include "trace.h"

static void nvmev_append_param(void *opaque, const char *name, int64_t value)
{
    NvmevParameterList ***tail = opaque;
    NvmevParameter *p = g_new0(NvmevParameter, 1);

    p->name = g_strdup(name);
    p->value = value;
    QAPI_LIST_APPEND(*tail, p);
}

static NvmevTiming *nvmev_timing_of(const NvmevCoreInfo *core)
{
    NvmevTiming *t;

    if (!core->simple_timing) {
        return NULL;
    }
    t = g_new0(NvmevTiming, 1);
    t->read_latency_ns = core->read_latency_ns;
    t->write_latency_ns = core->write_latency_ns;
    t->read_bandwidth_mbps = core->read_bandwidth_mbps;
    t->write_bandwidth_mbps = core->write_bandwidth_mbps;
    return t;
}

static NvmevMedia *nvmev_media_of(const NvmevCoreInfo *core)
{
    NvmevMedia *m;

    if (!core->has_media) {
        return NULL;
    }
    m = g_new0(NvmevMedia, 1);
    m->host_pages_written = core->host_pages_written;
    m->nand_pages_written = core->nand_pages_written;
    m->waf = core->host_pages_written ?
             (double)core->nand_pages_written / core->host_pages_written : 0;
    m->gc_runs = core->gc_runs;
    m->gc_pages_copied = core->gc_pages_copied;
    m->erases = core->erases;
    m->free_lines = core->free_lines;
    m->total_lines = core->total_lines;
    m->write_buffer_bytes = core->write_buffer_bytes;
    m->write_buffer_capacity = core->write_buffer_capacity;
    return m;
}

static NvmevZones *nvmev_zones_of(const NvmevCoreInfo *core)
{
    NvmevZones *z;

    if (!core->is_zoned) {
        return NULL;
    }
    z = g_new0(NvmevZones, 1);
    z->zone_size = core->zone_size_bytes;
    z->zone_capacity = core->zone_capacity_bytes;
    z->count = core->zone_count;
    z->empty = core->zones_in_state[0];
    z->implicitly_open = core->zones_in_state[1];
    z->explicitly_open = core->zones_in_state[2];
    z->closed = core->zones_in_state[3];
    z->full = core->zones_in_state[4];
    z->read_only = core->zones_in_state[5];
    z->offline = core->zones_in_state[6];
    z->resets = core->zone_resets;
    z->finishes = core->zone_finishes;
    z->appends = core->zone_appends;
    return z;
}

static NvmevKv *nvmev_kv_of(const NvmevCoreInfo *core)
{
    NvmevKv *k;

    if (!core->is_kv) {
        return NULL;
    }
    k = g_new0(NvmevKv, 1);
    k->command_set = g_strdup(core->kv_vendor_opcodes ? "vendor" : "kv");
    k->backend = g_strdup(core->kv_parallel ? "parallel" : "simple");
    k->keys = core->kv_keys;
    k->value_bytes = core->kv_value_bytes;
    k->allocated_bytes = core->kv_allocated_bytes;
    k->free_bytes = core->kv_free_bytes;
    k->max_keys = core->kv_max_keys;
    k->max_value_size = core->kv_max_value_bytes;
    k->compactions = core->kv_compactions;
    k->compacted_bytes = core->kv_compacted_bytes;
    k->stores = core->kv_stores;
    k->retrieves = core->kv_retrieves;
    k->deletes = core->kv_deletes;
    k->exists = core->kv_exists;
    k->lists = core->kv_lists;
    return k;
}

static NvmevNamespaceInfoList *nvmev_namespaces_of(NvmevState *s)
{
    NvmevNamespaceInfoList *head = NULL, **tail = &head;

    for (uint32_t nsid = 1; nsid <= NVMEV_MAX_NAMESPACES; nsid++) {
        NvmevCoreInfo core;
        int allocated, attached;
        NvmevNamespaceInfo *ns;

        if (nvmev_core_ns_get_info(s->core, nsid, &core, &allocated,
                                   &attached) < 0) {
            continue;
        }
        ns = g_new0(NvmevNamespaceInfo, 1);
        ns->nsid = nsid;
        ns->kind = g_strdup(core.kind);
        ns->preset = g_strdup(core.preset);
        ns->capacity_bytes = core.capacity_bytes;
        ns->lba_size = core.lba_size;
        ns->allocated = allocated;
        ns->attached = attached;
        ns->timing = nvmev_timing_of(&core);
        ns->media = nvmev_media_of(&core);
        ns->zones = nvmev_zones_of(&core);
        ns->kv = nvmev_kv_of(&core);
        QAPI_LIST_APPEND(tail, ns);
    }
    return head;
}

/* With iothread-vq-mapping: each group's IOThread and queue pairs. */
static NvmevQueueGroupList *nvmev_queue_groups_of(NvmevState *s)
{
    NvmevQueueGroupList *list = NULL, **tail = &list;

    if (!s->iothread_vq_mapping) {
        return NULL;
    }
    for (unsigned i = 0; i < s->ngroups; i++) {
        NvmevQueueGroup *g = g_new0(NvmevQueueGroup, 1);
        uint16List **ptail = &g->queue_pairs;

        g->iothread = iothread_get_id(s->groups[i].iothread);
        for (uint32_t q = 0; q < s->pairs; q++) {
            if (s->pair_group[q] == i) {
                QAPI_LIST_APPEND(ptail, q + 1);
            }
        }
        QAPI_LIST_APPEND(tail, g);
    }
    return list;
}

static void nvmev_append_info(NvmevState *s, void *opaque)
{
    NvmevInfoList ***tail = opaque;
    DeviceState *dev = DEVICE(s);
    NvmevInfo *info = g_new0(NvmevInfo, 1);
    NvmevCoreInfo core;

    nvmev_core_get_info(s->core, &core);
    info->id = g_strdup(dev->id);  /* NULL: absent */
    info->qom_path = object_get_canonical_path(OBJECT(s));
    info->kind = g_strdup(core.kind);
    info->preset = g_strdup(core.preset);
    info->serial = g_strdup(core.serial);
    info->model = g_strdup(core.model);
    info->capacity_bytes = core.capacity_bytes;
    info->lba_size = core.lba_size;
    info->mdts = core.mdts;
    info->max_ioqpairs = core.max_ioqpairs;
    info->active_ioqpairs = core.active_ioqpairs;
    info->enabled = core.enabled;
    if (s->iothread) {
        info->iothread = iothread_get_id(s->iothread);
    }
    info->queue_groups = nvmev_queue_groups_of(s);
    info->has_queue_groups = info->queue_groups != NULL;
    info->timing = nvmev_timing_of(&core);
    {
        NvmevParameterList **ptail = &info->parameters;
        nvmev_core_foreach_param(s->core, nvmev_append_param, &ptail);
    }
    info->media = nvmev_media_of(&core);
    info->zones = nvmev_zones_of(&core);
    info->kv = nvmev_kv_of(&core);
    info->namespaces = nvmev_namespaces_of(s);
    if (core.cmb_bytes) {
        info->cmb = g_new0(NvmevCmb, 1);
        info->cmb->size = core.cmb_bytes;
        info->cmb->enabled = core.cmb_enabled;
        info->cmb->read_bytes = core.cmb_read_bytes;
        info->cmb->write_bytes = core.cmb_write_bytes;
    }
    if (core.pmr_bytes) {
        info->pmr = g_new0(NvmevPmr, 1);
        info->pmr->size = core.pmr_bytes;
        info->pmr->enabled = core.pmr_enabled;
    }
    info->counters = g_new0(NvmevCounters, 1);
    info->counters->read_cmds = core.read_cmds;
    info->counters->write_cmds = core.write_cmds;
    info->counters->other_cmds = core.other_cmds;
    info->counters->read_bytes = core.read_bytes;
    info->counters->write_bytes = core.write_bytes;
    info->counters->error_cmds = core.error_cmds;
    info->counters->completions = core.completions;
    info->lateness = g_new0(NvmevLateness, 1);
    info->lateness->p50_ns = core.lateness_p50_ns;
    info->lateness->p99_ns = core.lateness_p99_ns;
    info->lateness->p999_ns = core.lateness_p999_ns;
    info->lateness->max_ns = core.lateness_max_ns;
    info->lateness->samples = core.lateness_samples;
    QAPI_LIST_APPEND(*tail, info);
}

NvmevInfoList *qmp_query_nvmev(Error **errp)
{
    NvmevInfoList *head = NULL, **tail = &head;

    nvmev_foreach(nvmev_append_info, &tail);
    return head;
}

void qmp_nvmev_set_timing(const char *id,
                          bool has_read_latency_ns, int64_t read_latency_ns,
                          bool has_write_latency_ns, int64_t write_latency_ns,
                          bool has_read_bandwidth_mbps,
                          int64_t read_bandwidth_mbps,
                          bool has_write_bandwidth_mbps,
                          int64_t write_bandwidth_mbps,
                          bool has_parameters, NvmevParameterList *parameters,
                          bool has_nsid, uint32_t nsid, Error **errp)
{
    NvmevState *s = nvmev_find(id, errp);
    g_autofree NvmevParam *changes = NULL;
    size_t n = 0, max = 4;
    char *err = NULL;

    if (!s) {
        return;
    }
    for (NvmevParameterList *l = parameters; l; l = l->next) {
        max++;
    }
    changes = g_new0(NvmevParam, max);
    if (has_read_latency_ns) {
        changes[n++] = (NvmevParam){ "read-latency-ns", read_latency_ns };
    }
    if (has_write_latency_ns) {
        changes[n++] = (NvmevParam){ "write-latency-ns", write_latency_ns };
    }
    if (has_read_bandwidth_mbps) {
        changes[n++] = (NvmevParam){ "read-bandwidth-mbps",
                                     read_bandwidth_mbps };
    }
    if (has_write_bandwidth_mbps) {
        changes[n++] = (NvmevParam){ "write-bandwidth-mbps",
                                     write_bandwidth_mbps };
    }
    for (NvmevParameterList *l = parameters; l; l = l->next) {
        changes[n++] = (NvmevParam){ l->value->name, l->value->value };
    }
    if (nvmev_core_ns_set_timing(s->core, has_nsid ? nsid : 1, changes, n,
                                 &err)) {
        error_setg(errp, "%s", err);
        nvmev_core_free_error(err);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        trace_nvmev_set_timing(id, changes[i].name, changes[i].value);
    }
}

static void nvmev_reset_one(NvmevState *s, void *opaque)
{
    nvmev_core_reset_stats(s->core);
}

void qmp_nvmev_reset_stats(const char *id, Error **errp)
{
    if (id) {
        NvmevState *s = nvmev_find(id, errp);
        if (s) {
            nvmev_core_reset_stats(s->core);
        }
        return;
    }
    nvmev_foreach(nvmev_reset_one, NULL);
}

/*
 * "empty" zeroes a zone's data, so it waits for an IOThread's Read copying
 * that data without the core's lock: microseconds, and such a copy needs no
 * BQL, so it ends while this thread sleeps. Reads that keep the zone busy
 * for all of this long fail the command instead of stalling the monitor.
 */
#define NVMEV_ZONE_WAIT_US (100 * 1000)

void qmp_nvmev_zone_set_state(const char *id, uint64_t zone, const char *state,
                              bool has_nsid, uint32_t nsid, Error **errp)
{
    NvmevState *s = nvmev_find(id, errp);
    int64_t give_up = g_get_monotonic_time() + NVMEV_ZONE_WAIT_US;
    char *err = NULL;
    int rc;

    if (!s) {
        return;
    }
    while ((rc = nvmev_core_ns_zone_set_state(s->core, has_nsid ? nsid : 1,
                                              zone, state, &err)) ==
               NVMEV_CORE_RETRY &&
           g_get_monotonic_time() < give_up) {
        nvmev_core_free_error(err);
        err = NULL;
        g_usleep(20);
    }
    if (rc < 0) {
        error_setg(errp, "nvmev-zone-set-state: %s%s", err ? err : "failed",
                   rc == NVMEV_CORE_RETRY ? " throughout 100 ms; try again" : "");
        nvmev_core_free_error(err);
        return;
    }
    trace_nvmev_zone_set_state(id, zone, state);
}

static void nvmev_ns_set_attached(const char *cmd, const char *id,
                                  uint32_t nsid, bool attach, Error **errp)
{
    NvmevState *s = nvmev_find(id, errp);
    char *err = NULL;

    if (!s) {
        return;
    }
    if (nvmev_core_ns_set_attached(s->core, nsid, attach, &err) < 0) {
        error_setg(errp, "%s: %s", cmd, err ? err : "failed");
        nvmev_core_free_error(err);
    }
}

void qmp_nvmev_ns_attach(const char *id, uint32_t nsid, Error **errp)
{
    nvmev_ns_set_attached("nvmev-ns-attach", id, nsid, true, errp);
}

void qmp_nvmev_ns_detach(const char *id, uint32_t nsid, Error **errp)
{
    nvmev_ns_set_attached("nvmev-ns-detach", id, nsid, false, errp);
}
