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
    info->timing = g_new0(NvmevTiming, 1);
    info->timing->read_latency_ns = core.read_latency_ns;
    info->timing->write_latency_ns = core.write_latency_ns;
    info->timing->read_bandwidth_mbps = core.read_bandwidth_mbps;
    info->timing->write_bandwidth_mbps = core.write_bandwidth_mbps;
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
                          int64_t write_bandwidth_mbps, Error **errp)
{
    NvmevState *s = nvmev_find(id, errp);
    NvmevTimingUpdate upd = { -1, -1, -1, -1 };
    char *err = NULL;

    if (!s) {
        return;
    }
    if ((has_read_latency_ns && read_latency_ns < 0) ||
        (has_write_latency_ns && write_latency_ns < 0)) {
        error_setg(errp, "%s must be >= 0",
                   has_read_latency_ns && read_latency_ns < 0 ?
                   "read-latency-ns" : "write-latency-ns");
        return;
    }
    if ((has_read_bandwidth_mbps && read_bandwidth_mbps <= 0) ||
        (has_write_bandwidth_mbps && write_bandwidth_mbps <= 0)) {
        error_setg(errp, "%s must be positive (MB/s)",
                   has_read_bandwidth_mbps && read_bandwidth_mbps <= 0 ?
                   "read-bandwidth-mbps" : "write-bandwidth-mbps");
        return;
    }
    if (has_read_latency_ns) {
        upd.read_latency_ns = read_latency_ns;
    }
    if (has_write_latency_ns) {
        upd.write_latency_ns = write_latency_ns;
    }
    if (has_read_bandwidth_mbps) {
        upd.read_bandwidth_mbps = read_bandwidth_mbps;
    }
    if (has_write_bandwidth_mbps) {
        upd.write_bandwidth_mbps = write_bandwidth_mbps;
    }
    if (nvmev_core_set_timing(s->core, &upd, &err)) {
        error_setg(errp, "%s", err);
        nvmev_core_free_error(err);
        return;
    }
    trace_nvmev_set_timing(id, upd.read_latency_ns, upd.write_latency_ns,
                           upd.read_bandwidth_mbps, upd.write_bandwidth_mbps);
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
