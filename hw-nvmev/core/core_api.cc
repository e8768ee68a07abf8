// The C ABI (nvmev_core.h) over the C++ controller. Every entry point takes
// the core's lock, so the adapter may call in from vCPU threads and from the
// device's AioContext alike.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

#include "config.h"
#include "controller.h"
#include "nvmev_core.h"

struct NvmevCore {
    NvmevCore(const nvmev::ResolvedConfig &cfg, const nvmev::Host &host, uint8_t *backing)
        : ctrl(cfg, host, backing)
    {
    }
    std::mutex lock;
    nvmev::Controller ctrl;
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

}  // namespace

extern "C" {

NvmevCore *nvmev_core_new(const NvmevConfig *cfg, const NvmevHostOps *ops, void *opaque,
                          uint8_t *backing, char **errmsg)
{
    std::string error;
    auto rc = nvmev::resolve_config(*cfg, error);
    if (!rc) {
        *errmsg = dup_error(error);
        return nullptr;
    }
    try {
        return new NvmevCore(*rc, nvmev::Host(*ops, opaque), backing);
    } catch (const std::bad_alloc &) {
        *errmsg = dup_error("out of memory creating the controller");
        return nullptr;
    }
}

void nvmev_core_free(NvmevCore *core)
{
    delete core;
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

void nvmev_core_process(NvmevCore *core)
{
    guarded(core, [&] { core->ctrl.process(); });
}

void nvmev_core_timer(NvmevCore *core)
{
    guarded(core, [&] { core->ctrl.timer(); });
}

void nvmev_core_reset(NvmevCore *core)
{
    guarded(core, [&] { core->ctrl.reset(); });
}

void nvmev_core_set_msix(NvmevCore *core, int enabled)
{
    std::lock_guard<std::mutex> g(core->lock);
    core->ctrl.set_msix(enabled != 0);
}

int nvmev_core_set_timing(NvmevCore *core, const NvmevTimingUpdate *upd, char **errmsg)
{
    std::lock_guard<std::mutex> g(core->lock);
    nvmev::ftl::SimpleTiming t = core->ctrl.ftl().timing();
    if (upd->read_bandwidth_mbps == 0 || upd->write_bandwidth_mbps == 0) {
        *errmsg = dup_error(upd->read_bandwidth_mbps == 0
                                ? "read-bandwidth-mbps must be positive (MB/s)"
                                : "write-bandwidth-mbps must be positive (MB/s)");
        return -1;
    }
    if (upd->read_latency_ns >= 0) {
        t.read_latency_ns = upd->read_latency_ns;
    }
    if (upd->write_latency_ns >= 0) {
        t.write_latency_ns = upd->write_latency_ns;
    }
    if (upd->read_bandwidth_mbps > 0) {
        t.read_bandwidth_mbps = upd->read_bandwidth_mbps;
    }
    if (upd->write_bandwidth_mbps > 0) {
        t.write_bandwidth_mbps = upd->write_bandwidth_mbps;
    }
    core->ctrl.ftl().retune(t, core->ctrl.now());
    return 0;
}

void nvmev_core_get_info(NvmevCore *core, NvmevCoreInfo *info)
{
    std::lock_guard<std::mutex> g(core->lock);
    const nvmev::Controller &c = core->ctrl;
    const nvmev::ResolvedConfig &cfg = c.config();
    std::memset(info, 0, sizeof(*info));
    copy_str(info->kind, sizeof(info->kind), cfg.kind_name);
    copy_str(info->preset, sizeof(info->preset), cfg.preset);
    copy_str(info->serial, sizeof(info->serial), cfg.serial);
    copy_str(info->model, sizeof(info->model), cfg.model);
    info->capacity_bytes = cfg.capacity_bytes;
    info->lba_size = cfg.lba_size;
    info->mdts = cfg.mdts;
    info->max_ioqpairs = cfg.max_ioqpairs;
    info->active_ioqpairs = c.active_io_sqs();
    info->enabled = c.ready();
    const auto t = core->ctrl.ftl().timing();
    info->read_latency_ns = t.read_latency_ns;
    info->write_latency_ns = t.write_latency_ns;
    info->read_bandwidth_mbps = t.read_bandwidth_mbps;
    info->write_bandwidth_mbps = t.write_bandwidth_mbps;
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
}

void nvmev_core_reset_stats(NvmevCore *core)
{
    guarded(core, [&] { core->ctrl.reset_stats(); });
}

const char *nvmev_core_kinds(void)
{
    static const std::string s = nvmev::kind_names();
    return s.c_str();
}

const char *nvmev_core_presets(void)
{
    static const std::string s = nvmev::preset_names();
    return s.c_str();
}

}  // extern "C"
