// The C ABI (nvmev_core.h) over the C++ controller. Every entry point takes
// the core's lock, so the adapter may call in from vCPU threads and from the
// device's AioContexts alike; only the data copies of a pass run without it.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "config.h"
#include "controller.h"
#include "nvmev_core.h"
#include "parameter_registry.h"

struct NvmevSubsys {
    std::shared_ptr<nvmev::Subsystem> subsys;
};

struct NvmevCore {
    NvmevCore(const nvmev::ResolvedConfig &cfg, const nvmev::Host &host, uint8_t *backing)
        : owned(std::make_unique<nvmev::Controller>(cfg, host, backing)), ctrl(*owned)
    {
    }
    // A subsystem's controller, made with the subsystem's lock held;
    // `error` says whether it joined.
    NvmevCore(const nvmev::ResolvedConfig &cfg, const nvmev::Host &host, uint8_t *backing,
              std::shared_ptr<nvmev::Subsystem> s, uint16_t cntlid, std::string &error)
        : subsys(std::move(s)),
          lock(subsys->lock()),
          owned(std::make_unique<nvmev::Controller>(cfg, host, backing, *subsys, cntlid, error)),
          ctrl(*owned)
    {
    }
    ~NvmevCore()
    {
        // Leaving a subsystem changes what its other controllers share.
        std::lock_guard<std::mutex> g(lock);
        owned.reset();
    }
    std::shared_ptr<nvmev::Subsystem> subsys;  // outlives the controller
    std::mutex own_lock;
    std::mutex &lock = own_lock;  // or the subsystem's
    std::unique_ptr<nvmev::Controller> owned;
    nvmev::Controller &ctrl;
};

namespace {

char *dup_error(const std::string &msg)
{
    char *p = static_cast<char *>(std::malloc(msg.size() + 1));
    if (p) {
        std::memcpy(p, msg.c_str(), msg.size() + 1);
    }
    return p;
}

void copy_str(char *dst, size_t len, const std::string &src)
{
    std::strncpy(dst, src.c_str(), len - 1);
    dst[len - 1] = '\0';
}

// Runs `f` under the core's lock. Nothing may unwind into QEMU's C code:
// an exception marks the controller failed (CSTS.CFS) instead.
template <typename F>
auto guarded(NvmevCore *core, F f) -> decltype(f())
{
    std::lock_guard<std::mutex> g(core->lock);
    try {
        return f();
    } catch (const std::exception &e) {
        core->ctrl.internal_error(e.what());
    } catch (...) {
        core->ctrl.internal_error("unknown exception");
    }
    return decltype(f())();
}

// For the entry points that run without a controller (or before one
// exists): an exception becomes the returned error instead of unwinding
// into C.
template <typename F>
std::string caught(F f, const char *out_of_memory = "out of memory")
{
    try {
        f();
        return "";
    } catch (const std::bad_alloc &) {
        return out_of_memory;
    } catch (const std::exception &e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

// Sets *errmsg from a non-empty error; returns 0 or -1.
int report(const std::string &error, char **errmsg)
{
    if (error.empty()) {
        return 0;
    }
    *errmsg = dup_error(error);
    return -1;
}

// The registry's C view, or its by-name tail; empty if building it threw.
std::span<const NvmevParamInfo> info_table(bool by_name)
{
    std::span<const NvmevParamInfo> t;
    caught([&] { t = by_name ? nvmev::param_table() : nvmev::param_infos(); });
    return t;
}

// The retunable parameters of a namespace: what nvmev-set-timing takes.
std::string check_retunable(const nvmev::NamespaceConfig &cfg,
                            const std::vector<nvmev::ftl::Param> &changes)
{
    const unsigned scope = nvmev::scope_bit(cfg.kind, cfg.kv.parallel);
    for (const auto &c : changes) {
        const nvmev::ParamSpec *s = nvmev::find_spec(c.name);
        if (s && s->retunable && nvmev::applies(*s, scope)) {
            continue;
        }
        std::string names;
        for (const nvmev::ParamSpec &t : nvmev::param_registry()) {
            if (t.retunable && nvmev::applies(t, scope)) {
                names += (names.empty() ? "" : ", ") + std::string(t.name);
            }
        }
        return "'" + c.name + "' is not a timing parameter of ssd=" + cfg.kind_name +
               " (allowed: " + names + ")";
    }
    return "";
}

// What query-nvmev lists for a namespace: the registry's reported
// parameters that apply to it, timing at its current (retuned) value.
std::vector<nvmev::ftl::Param> reported_params(const nvmev::Namespace &ns)
{
    const nvmev::NamespaceConfig &cfg = ns.cfg;
    const unsigned scope = nvmev::scope_bit(cfg.kind, cfg.kv.parallel);
    const std::vector<nvmev::ftl::Param> current = ns.ftl->params();
    std::vector<nvmev::ftl::Param> out;
    for (const nvmev::ParamSpec &s : nvmev::param_registry()) {
        if (!s.reported || !nvmev::applies(s, scope)) {
            continue;
        }
        const auto it = std::find_if(current.begin(), current.end(),
                                     [&](const auto &p) { return p.name == s.name; });
        if (it != current.end()) {
            out.push_back(*it);
        } else if (const auto v = nvmev::effective_value(s, cfg)) {
            out.push_back({s.name, *v});
        }
    }
    return out;
}

// The namespace fields of NvmevCoreInfo: kind, capacity, timing, media
// and zones.
void fill_namespace_info(const nvmev::Namespace &ns, int64_t now, NvmevCoreInfo *info)
{
    const nvmev::NamespaceConfig &cfg = ns.cfg;
    copy_str(info->kind, sizeof(info->kind), cfg.kind_name);
    copy_str(info->preset, sizeof(info->preset), cfg.preset);
    info->capacity_bytes = cfg.capacity_bytes;
    info->lba_size = cfg.lba_size;
    if (cfg.kind == nvmev::SsdKind::Nvm || (cfg.kind == nvmev::SsdKind::Kv && !cfg.kv.parallel)) {
        info->simple_timing = 1;
        for (const auto &p : ns.ftl->params()) {
            int64_t *field = p.name == "read-latency-ns"        ? &info->read_latency_ns
                             : p.name == "write-latency-ns"     ? &info->write_latency_ns
                             : p.name == "read-bandwidth-mbps"  ? &info->read_bandwidth_mbps
                             : p.name == "write-bandwidth-mbps" ? &info->write_bandwidth_mbps
                                                                : nullptr;  // kv-index-latency-ns
            if (field) {
                *field = p.value;
            }
        }
    } else {
        const nvmev::ftl::FtlStats m = ns.ftl->stats(now);
        info->has_media = 1;
        info->host_pages_written = m.host_pages_written;
        info->nand_pages_written = m.nand_pages_written;
        info->gc_runs = m.gc_runs;
        info->gc_pages_copied = m.gc_pages_copied;
        info->erases = m.erases;
        info->free_lines = m.free_lines;
        info->total_lines = m.total_lines;
        info->write_buffer_bytes = m.write_buffer_bytes;
        info->write_buffer_capacity = m.write_buffer_capacity;
    }
    if (ns.kv) {
        const nvmev::ftl::KvStats k = ns.kv->stats();
        info->is_kv = 1;
        info->kv_vendor_opcodes = cfg.kv.vendor_opcodes;
        info->kv_parallel = cfg.kv.parallel;
        info->kv_keys = k.keys;
        info->kv_value_bytes = k.value_bytes;
        info->kv_allocated_bytes = k.allocated_bytes;
        info->kv_free_bytes = k.free_bytes;
        info->kv_max_keys = cfg.kv.max_keys;
        info->kv_max_value_bytes = cfg.kv.max_value_bytes;
        info->kv_compactions = k.compactions;
        info->kv_compacted_bytes = k.compacted_bytes;
        info->kv_stores = ns.kv_ops.stores;
        info->kv_retrieves = ns.kv_ops.retrieves;
        info->kv_deletes = ns.kv_ops.deletes;
        info->kv_exists = ns.kv_ops.exists;
        info->kv_lists = ns.kv_ops.lists;
    }
    if (const nvmev::ftl::ZnsFtl *zns = ns.zns) {
        using S = nvmev::ftl::ZoneState;
        const auto &zones = zns->zones();
        info->is_zoned = 1;
        info->zone_size_bytes = zones.config().zone_lbas * cfg.lba_size;
        info->zone_capacity_bytes = zones.config().zone_cap_lbas * cfg.lba_size;
        info->zone_count = zones.config().zones;
        const S states[7] = {S::Empty, S::ImplicitlyOpen, S::ExplicitlyOpen, S::Closed,
                             S::Full,  S::ReadOnly,       S::Offline};
        for (int i = 0; i < 7; ++i) {
            info->zones_in_state[i] = zones.count(states[i]);
        }
        info->zone_resets = zns->counters().resets;
        info->zone_finishes = zns->counters().finishes;
        info->zone_appends = zns->counters().appends;
    }
}

}  // namespace

extern "C" {

NvmevCore *nvmev_core_new(const NvmevConfig *cfg, const NvmevHostOps *ops, void *opaque,
                          uint8_t *backing, char **errmsg)
{
    NvmevCore *core = nullptr;
    std::string error;
    const std::string thrown = caught(
        [&] {
            auto rc = nvmev::resolve_config(*cfg, error);
            if (!rc) {
                return;
            }
            if (!cfg->subsys) {
                core = new NvmevCore(*rc, nvmev::Host(*ops, opaque), backing);
                return;
            }
            const std::shared_ptr<nvmev::Subsystem> &sub = cfg->subsys->subsys;
            std::unique_lock<std::mutex> g(sub->lock());
            core = new NvmevCore(*rc, nvmev::Host(*ops, opaque), backing, sub, cfg->cntlid, error);
            if (!error.empty()) {
                g.unlock();  // the core's destructor takes it
                delete core;
                core = nullptr;
            }
        },
        "out of memory creating the controller");
    // An exception: out of memory, or a memdev with another zone format.
    report(error.empty() ? thrown : error, errmsg);
    return core;
}

int nvmev_core_layout(const NvmevConfig *cfg, NvmevLayout *layout, char **errmsg)
{
    std::string error;
    const std::string thrown = caught([&] {
        if (auto rc = nvmev::resolve_config(*cfg, error)) {
            layout->data_bytes = rc->capacity_bytes;
            layout->metadata_bytes = rc->metadata_bytes;
        }
    });
    return report(error.empty() ? thrown : error, errmsg);
}

int nvmev_core_zone_set_state(NvmevCore *core, uint64_t zone, const char *state, char **errmsg)
{
    return nvmev_core_ns_zone_set_state(core, 1, zone, state, errmsg);
}

int nvmev_core_ns_zone_set_state(NvmevCore *core, uint32_t nsid, uint64_t zone, const char *state,
                                 char **errmsg)
{
    std::string error;
    bool in_flight = false;
    guarded(core, [&] { error = core->ctrl.inject_zone(zone, state, nsid, in_flight); });
    const int rc = report(error, errmsg);
    return in_flight ? NVMEV_CORE_RETRY : rc;
}

void nvmev_core_free(NvmevCore *core)
{
    delete core;
}

NvmevSubsys *nvmev_subsys_new(const char *nqn)
{
    NvmevSubsys *s = nullptr;
    caught([&] { s = new NvmevSubsys{std::make_shared<nvmev::Subsystem>(nqn ? nqn : "")}; });
    return s;
}

void nvmev_subsys_free(NvmevSubsys *subsys)
{
    delete subsys;
}

unsigned nvmev_subsys_controllers(NvmevSubsys *subsys)
{
    std::lock_guard<std::mutex> g(subsys->subsys->lock());
    return static_cast<unsigned>(subsys->subsys->controllers());
}

int nvmev_subsys_has_namespace(NvmevSubsys *subsys)
{
    std::lock_guard<std::mutex> g(subsys->subsys->lock());
    return subsys->subsys->shared(1) != nullptr;
}

uint16_t nvmev_core_cntlid(NvmevCore *core)
{
    return guarded(core, [&] { return core->ctrl.cntlid(); });
}

void nvmev_core_free_error(char *errmsg)
{
    std::free(errmsg);
}

uint64_t nvmev_core_bar_size(const NvmevCore *core)
{
    return core->ctrl.bar_size();
}

uint64_t nvmev_core_mmio_read(NvmevCore *core, uint64_t offset, unsigned size)
{
    return guarded(core, [&] { return core->ctrl.mmio_read(offset, size); });
}

void nvmev_core_mmio_write(NvmevCore *core, uint64_t offset, uint64_t value, unsigned size)
{
    guarded(core, [&] { core->ctrl.mmio_write(offset, value, size); });
}

int nvmev_core_map_queues(NvmevCore *core, unsigned groups, const uint16_t *pair_group,
                          size_t pairs, char **errmsg)
{
    std::string error;
    guarded(core, [&] { error = core->ctrl.map_queues(groups, pair_group, pairs); });
    return report(error, errmsg);
}

void nvmev_core_process(NvmevCore *core, unsigned group)
{
    if (group >= core->ctrl.groups()) {
        return;
    }
    guarded(core, [&] { core->ctrl.fetch_pass(group); });
    // Without the lock: only this group's thread touches its staged
    // commands, and other groups fetch and copy meanwhile.
    const std::string thrown = caught([&] { core->ctrl.copy_staged(group); });
    if (!thrown.empty()) {
        guarded(core, [&] { core->ctrl.internal_error(thrown.c_str()); });
    }
    guarded(core, [&] { core->ctrl.complete_pass(group); });
}

void nvmev_core_timer(NvmevCore *core, unsigned group)
{
    if (group < core->ctrl.groups()) {
        guarded(core, [&] { core->ctrl.timer(group); });
    }
}

int nvmev_core_poll(NvmevCore *core, unsigned group)
{
    if (group >= core->ctrl.groups()) {
        return 0;
    }
    return guarded(core, [&] { return core->ctrl.poll(group, core->ctrl.now()) ? 1 : 0; });
}

void nvmev_core_set_polling(NvmevCore *core, unsigned group, int on)
{
    if (group < core->ctrl.groups()) {
        guarded(core, [&] { core->ctrl.set_polling(group, on != 0); });
    }
}

int nvmev_core_shadow_doorbells(NvmevCore *core)
{
    return guarded(core, [&] { return core->ctrl.shadow_doorbells() ? 1 : 0; });
}

unsigned nvmev_core_checkpoint(NvmevCore *core)
{
    unsigned n = 0;
    guarded(core, [&] { n = core->ctrl.checkpoint(); });
    return n;
}

void nvmev_core_reset(NvmevCore *core)
{
    guarded(core, [&] { core->ctrl.reset(); });
}

void nvmev_core_set_msix(NvmevCore *core, int enabled)
{
    guarded(core, [&] { core->ctrl.set_msix(enabled != 0); });
}

int nvmev_core_set_timing(NvmevCore *core, const NvmevParam *changes, size_t n, char **errmsg)
{
    return nvmev_core_ns_set_timing(core, 1, changes, n, errmsg);
}

int nvmev_core_ns_set_timing(NvmevCore *core, uint32_t nsid, const NvmevParam *changes, size_t n,
                             char **errmsg)
{
    std::string error = "failed";  // stays so if the retune threw
    guarded(core, [&] {
        nvmev::Namespace *ns = core->ctrl.namespace_slot(nsid);
        if (!ns || !ns->allocated) {
            error = nvmev::fmt("namespace %u does not exist", nsid);
            return;
        }
        std::vector<nvmev::ftl::Param> list;
        for (size_t i = 0; i < n; i++) {
            list.push_back({changes[i].name ? changes[i].name : "", changes[i].value});
        }
        std::string e = check_retunable(ns->cfg, list);
        if (e.empty()) {
            e = ns->ftl->check_retune(list);
        }
        if (e.empty()) {
            ns->ftl->retune(list, core->ctrl.now());
        }
        error = e;
    });
    return report(error, errmsg);
}

int nvmev_core_add_namespace(NvmevCore *core, uint32_t nsid, const NvmevConfig *cfg,
                             uint8_t *backing, int attached, char **errmsg)
{
    std::string error;
    const std::string thrown = caught([&] {
        auto rc = nvmev::resolve_config(*cfg, error);
        if (!rc) {
            return;
        }
        guarded(core, [&] {
            // Before the guest runs: a failure refuses the namespace rather
            // than failing the controller.
            std::string added;
            const std::string t =
                caught([&] { added = core->ctrl.add_namespace(nsid, *rc, backing, attached != 0); },
                       "out of memory creating the namespace");
            error = t.empty() ? added : t;
        });
    });
    return report(error.empty() ? thrown : error, errmsg);
}

int nvmev_core_ns_set_attached(NvmevCore *core, uint32_t nsid, int attached, char **errmsg)
{
    std::string error;
    guarded(core, [&] { error = core->ctrl.set_attached(nsid, attached != 0); });
    return report(error, errmsg);
}

int nvmev_core_ns_get_info(NvmevCore *core, uint32_t nsid, NvmevCoreInfo *info, int *allocated,
                           int *attached)
{
    std::memset(info, 0, sizeof(*info));
    *allocated = *attached = 0;
    return guarded(core, [&] {
        const nvmev::Namespace *ns = core->ctrl.namespace_slot(nsid);
        if (!ns) {
            return -1;
        }
        fill_namespace_info(*ns, core->ctrl.now(), info);
        *allocated = ns->allocated;
        *attached = ns->attached;
        return 0;
    });
}

void nvmev_core_foreach_param(NvmevCore *core,
                              void (*fn)(void *opaque, const char *name, int64_t value),
                              void *opaque)
{
    // Collected under the lock, reported without it: fn is the host's.
    const auto params =
        guarded(core, [&] { return reported_params(*core->ctrl.namespace_slot(1)); });
    for (const auto &p : params) {
        fn(opaque, p.name.c_str(), p.value);
    }
}

size_t nvmev_core_property_count(void)
{
    return info_table(false).size();
}

const NvmevParamInfo *nvmev_core_property_info(size_t i)
{
    const auto t = info_table(false);
    return i < t.size() ? &t[i] : nullptr;
}

size_t nvmev_core_param_count(void)
{
    return info_table(true).size();
}

const NvmevParamInfo *nvmev_core_param_info(size_t i)
{
    const auto t = info_table(true);
    return i < t.size() ? &t[i] : nullptr;
}

void nvmev_core_get_info(NvmevCore *core, NvmevCoreInfo *info)
{
    std::memset(info, 0, sizeof(*info));
    guarded(core, [&] {
        const nvmev::Controller &c = core->ctrl;
        const nvmev::ResolvedConfig &cfg = c.config();
        fill_namespace_info(*c.namespace_slot(1), c.now(), info);  // NSID 1
        copy_str(info->serial, sizeof(info->serial), cfg.serial);
        copy_str(info->model, sizeof(info->model), cfg.model);
        info->mdts = cfg.mdts;
        info->max_ioqpairs = cfg.max_ioqpairs;
        info->active_ioqpairs = c.active_io_sqs();
        info->enabled = c.ready();
        const auto &n = c.counters();
        info->read_cmds = n.read_cmds;
        info->write_cmds = n.write_cmds;
        info->other_cmds = n.other_cmds;
        info->read_bytes = n.read_bytes;
        info->write_bytes = n.write_bytes;
        info->error_cmds = n.error_cmds;
        info->completions = n.completions;
        const auto &h = c.lateness();
        info->lateness_p50_ns = h.percentile(50);
        info->lateness_p99_ns = h.percentile(99);
        info->lateness_p999_ns = h.percentile(99.9);
        info->lateness_max_ns = h.max();
        info->lateness_samples = h.count();
        info->cmb_bytes = c.cmb().size();
        info->cmb_enabled = (c.cmb().cmbmsc() >> NVME_CMBMSC_CMSE_SHIFT) & 1;
        info->cmb_read_bytes = c.cmb().read_bytes();
        info->cmb_write_bytes = c.cmb().write_bytes();
        info->pmr_bytes = cfg.pmr_bytes;
        info->pmr_enabled = static_cast<int>(c.pmr().pmrctl() & 1);
    });
}

void nvmev_core_reset_stats(NvmevCore *core)
{
    guarded(core, [&] { core->ctrl.reset_stats(); });
}

const char *nvmev_core_kinds(void)
{
    const char *names = "";
    caught([&] {
        static const std::string s = nvmev::kind_names();
        names = s.c_str();
    });
    return names;
}

const char *nvmev_core_presets(void)
{
    const char *names = "";
    caught([&] {
        static const std::string s = nvmev::preset_names();
        names = s.c_str();
    });
    return names;
}

}  // extern "C"

// Trace events: the mask is an atomic the trace points read without the
// lock, so the host may refresh it from any thread, as often as it likes.
void nvmev_core_set_trace_mask(NvmevCore *core, uint64_t mask)
{
    core->ctrl.set_trace_mask(mask);
}
