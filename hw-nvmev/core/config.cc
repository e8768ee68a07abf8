#include "config.h"

#include <cinttypes>
#include <cstdio>
#include <iterator>
#include <utility>

#include "drive_state.h"

namespace nvmev {

namespace {

// Figures cited in docs/properties.md ("Presets").
const Preset kPresets[] = {
    {"intel-p4800x", SsdKind::Nvm, "INTEL SSDPED1K375GA (nvmev)", 12000, 14000, 2577, 2147, 512, 7,
     "NVMeVirt ssd_config.h (Optane) and Intel product brief"},
    {"intel-p5800x", SsdKind::Nvm, "INTEL SSDPF21Q400GB (nvmev)", 6000, 6000, 7200, 6200, 512, 7,
     "Intel Optane SSD P5800X product brief"},
    {"samsung-970pro", SsdKind::Conv, "Samsung SSD 970 PRO (nvmev)", 0, 0, 0, 0, 512, 6,
     "NVMeVirt ssd_config.h (SAMSUNG_970PRO); erase time from MQSim's ssdconfig.xml",
     &conv_preset_970pro()},
    {"generic-tlc", SsdKind::Conv, "nvmev generic TLC SSD", 0, 0, 0, 0, 512, 6,
     "NVMeVirt ssd_config.h (WD ZN540 NAND figures); erase time from MQSim's ssdconfig.xml",
     &conv_preset_generic_tlc()},
    {"wd-zn540", SsdKind::Zns, "WDC ZN540 (nvmev)", 0, 0, 0, 0, 512, 6,
     "NVMeVirt ssd_config.h (WD_ZN540); erase time from MQSim's ssdconfig.xml", nullptr,
     &zns_preset_zn540()},
    {"zns-prototype", SsdKind::Zns, "nvmev ZNS prototype", 0, 0, 0, 0, 512, 6,
     "NVMeVirt ssd_config.h (ZNS_PROTOTYPE); erase time from MQSim's ssdconfig.xml", nullptr,
     &zns_preset_prototype()},
    {"kv-prototype", SsdKind::Kv, "nvmev KV SSD", 12000, 14000, 2577, 2147, 512, 5,
     "NVMeVirt ssd_config.h (KV_PROTOTYPE: MDTS 5); latency and bandwidth as intel-p4800x "
     "(NVMeVirt times its KV SSD with the simple model)"},
};

struct KindInfo {
    const char *name;
    SsdKind kind;
    const char *default_preset;
};
constexpr KindInfo kKinds[] = {
    {"nvm", SsdKind::Nvm, "intel-p4800x"},
    {"conv", SsdKind::Conv, "samsung-970pro"},
    {"zns", SsdKind::Zns, "wd-zn540"},
    {"kv", SsdKind::Kv, "kv-prototype"},
};

std::string join_names(const auto &table)
{
    std::string out;
    for (const auto &e : table) {
        if (!out.empty()) {
            out += ", ";
        }
        out += e.name;
    }
    return out;
}

bool check_printable(const char *prop, const std::string &value, size_t max_len, std::string &error)
{
    if (value.empty() || value.size() > max_len) {
        error =
            fmt("property '%s' must be 1 to %zu characters (got %zu)", prop, max_len, value.size());
        return false;
    }
    for (char c : value) {
        if (c < 0x20 || c > 0x7e) {
            error = fmt("property '%s' must be printable ASCII", prop);
            return false;
        }
    }
    return true;
}

const Preset *find_preset(const std::string &name)
{
    for (const auto &p : kPresets) {
        if (name == p.name) {
            return &p;
        }
    }
    return nullptr;
}

}  // namespace

bool in_range(const char *prop, int64_t v, int64_t min, int64_t max, std::string &error)
{
    if (v >= min && v <= max) {
        return true;
    }
    error = fmt("property '%s': %" PRId64 " is out of range (allowed: %" PRId64 "..%" PRId64 ")",
                prop, v, min, max);
    return false;
}

std::string kind_names()
{
    return join_names(kKinds);
}
std::string preset_names()
{
    return join_names(kPresets);
}

std::span<const Preset> presets()
{
    return kPresets;
}

std::span<const NvmevParamInfo> param_table()
{
    return param_infos().subspan(kFirstByName);
}

namespace {

// ssd= and preset=: the kind, and a preset of that kind.
bool resolve_kind(const ParamValues &v, ResolvedConfig &rc, const Preset *&p, std::string &error)
{
    const std::string kind = v.given(P::Ssd) ? v.text(P::Ssd) : "nvm";
    const KindInfo *ki = nullptr;
    for (const auto &k : kKinds) {
        if (kind == k.name) {
            ki = &k;
        }
    }
    if (!ki) {
        error = fmt("property 'ssd': unknown kind '%s' (allowed: %s)", kind.c_str(),
                    kind_names().c_str());
        return false;
    }
    rc.kind = ki->kind;
    rc.kind_name = ki->name;
    const std::string preset_name = v.given(P::Preset) ? v.text(P::Preset) : ki->default_preset;
    p = find_preset(preset_name);
    if (!p) {
        error = fmt("property 'preset': unknown preset '%s' (allowed: %s)", preset_name.c_str(),
                    preset_names().c_str());
        return false;
    }
    if (p->kind != rc.kind) {
        std::string same;
        for (const auto &q : kPresets) {
            if (q.kind == rc.kind) {
                same += same.empty() ? q.name : std::string(", ") + q.name;
            }
        }
        error = fmt("property 'preset': '%s' is not a preset for ssd=%s (allowed: %s)", p->name,
                    rc.kind_name.c_str(), same.c_str());
        return false;
    }
    rc.preset = p->name;
    return true;
}

// The CMB and the PMR. The adapter checks its properties (and says which
// of cmb-size or cmb-memdev was given); these are the core's own limits.
bool resolve_memory_regions(const NvmevConfig &cfg, ResolvedConfig &rc, std::string &error)
{
    if (cfg.cmb_bytes && (!cfg.cmb || cfg.cmb_bytes % 4096)) {
        error = fmt("property 'cmb-size': %" PRIu64
                    " bytes is not a multiple of 4 KiB (allowed: 4K..1G in 4 KiB steps)",
                    cfg.cmb_bytes);
        return false;
    }
    if (cfg.pmr_bytes && (cfg.pmr_bytes & (cfg.pmr_bytes - 1))) {
        error = fmt("property 'pmr-memdev': %" PRIu64
                    " bytes is not a power of two (allowed: 4K..256M, a power of two)",
                    cfg.pmr_bytes);
        return false;
    }
    rc.cmb = cfg.cmb_bytes ? cfg.cmb : nullptr;
    rc.cmb_bytes = cfg.cmb_bytes;
    rc.dbbuf = !cfg.dbbuf_off;
    rc.pmr_bytes = cfg.pmr_bytes;
    return true;
}

// The controller-wide integers, before the kinds' resolution (ssd=zns and
// ssd=kv bound sizes by the transfer limit).
bool resolve_controller_limits(const NvmevConfig &cfg, const Preset &p, ResolvedConfig &rc,
                               std::string &error)
{
    for (auto [prop, value] : {std::pair{"mdts", cfg.mdts}, {"max-ioqpairs", cfg.max_ioqpairs}}) {
        if (value < -1) {
            error = fmt("property '%s': %" PRId64 " is negative", prop, value);
            return false;
        }
    }
    if (cfg.mdts > 16) {
        error = fmt("property 'mdts': %" PRId64
                    " is out of range (allowed: 0 = no limit, 1..16 = 2^mdts x 4 KiB)",
                    cfg.mdts);
        return false;
    }
    rc.mdts = cfg.mdts < 0 ? p.mdts : static_cast<uint32_t>(cfg.mdts);
    if (cfg.max_ioqpairs >= 0 && !in_range("max-ioqpairs", cfg.max_ioqpairs, 1, 65535, error)) {
        return false;
    }
    rc.max_ioqpairs = cfg.max_ioqpairs < 0 ? 64 : static_cast<uint32_t>(cfg.max_ioqpairs);
    rc.msix_vectors = cfg.msix_vectors ? cfg.msix_vectors : 1;
    return resolve_memory_regions(cfg, rc, error);
}

// lba-size, the capacity (ssd=zns sizes it in whole zones later) and the
// simple model's timing.
bool resolve_basics(const NvmevConfig &cfg, const ParamValues &v, const Preset &p,
                    ResolvedConfig &rc, std::string &error)
{
    rc.lba_size = static_cast<uint32_t>(v.num(P::LbaSize, p.lba_size));
    rc.capacity_bytes = cfg.capacity_bytes ? cfg.capacity_bytes : uint64_t{1} << 30;
    const char *cap_prop = cfg.capacity_from_memdev ? "memdev" : "size";
    if (cfg.capacity_from_memdev && cfg.capacity_bytes == 0) {
        error = fmt("property '%s': the capacity must be positive", cap_prop);
        return false;
    }
    if (rc.kind != SsdKind::Zns && rc.capacity_bytes % rc.lba_size) {
        error = fmt("property '%s': %" PRIu64 " bytes is not a multiple of lba-size %u (%" PRIu64
                    " or %" PRIu64 " would be)",
                    cap_prop, rc.capacity_bytes, rc.lba_size,
                    rc.capacity_bytes / rc.lba_size * rc.lba_size,
                    (rc.capacity_bytes / rc.lba_size + 1) * rc.lba_size);
        return false;
    }
    rc.backing_name = cfg.backing_name ? cfg.backing_name : "";
    // The drive state area's properties (every kind, with a memdev).
    rc.checkpoint_interval_ms = v.num(P::CheckpointInterval, rc.checkpoint_interval_ms);
    rc.reinit_metadata = v.num(P::ReinitMetadata, 0) != 0;
    rc.read_latency_ns = v.num(P::ReadLatency, p.read_latency_ns);
    rc.write_latency_ns = v.num(P::WriteLatency, p.write_latency_ns);
    rc.read_bandwidth_mbps = v.num(P::ReadBandwidth, p.read_bandwidth_mbps);
    rc.write_bandwidth_mbps = v.num(P::WriteBandwidth, p.write_bandwidth_mbps);
    return true;
}

// ssd=nvm keeps only the drive state area (namespace state and marks).
bool reserve_nvm_state(const NvmevConfig &cfg, ResolvedConfig &rc, std::string &error)
{
    // size=: anonymous memory, gone at exit; nothing to keep.
    return !cfg.capacity_from_memdev || reserve_state_at_end(drive_state_bytes(), rc, error);
}

bool resolve_kind_specific(const NvmevConfig &cfg, const ParamValues &v, const Preset &p,
                           ResolvedConfig &rc, std::string &error)
{
    switch (rc.kind) {
        case SsdKind::Kv: return resolve_kv(cfg, v, rc, error);
        case SsdKind::Conv:
            return resolve_conv(v, *p.conv, rc, error) &&
                   reserve_drive_state(cfg, v, *p.conv, rc, error);
        case SsdKind::Zns: return resolve_zns(cfg, v, *p.zns, rc, error);
        case SsdKind::Nvm: return reserve_nvm_state(cfg, rc, error);
    }
    return true;
}

bool resolve_identity(const NvmevConfig &cfg, const Preset &p, ResolvedConfig &rc,
                      std::string &error)
{
    rc.serial = cfg.serial ? cfg.serial : "NVMEV0000001";
    rc.model = cfg.model ? cfg.model : p.model;
    return check_printable("serial", rc.serial, 20, error) &&
           check_printable("model", rc.model, 40, error);
}

}  // namespace

bool reserve_state_at_end(uint64_t bytes, ResolvedConfig &rc, std::string &error)
{
    const uint64_t total = rc.capacity_bytes;
    if (total < bytes + (uint64_t{1} << 20)) {
        error = fmt("property 'memdev': %" PRIu64
                    " bytes do not hold 1 MiB of data beside the drive state area of %" PRIu64
                    " bytes (%" PRIu64 " bytes would)",
                    total, bytes, bytes + (uint64_t{1} << 20));
        return false;
    }
    rc.metadata_bytes = rc.state_bytes = bytes;
    rc.metadata_offset = total - bytes;
    rc.capacity_bytes = (total - bytes) / 4096 * 4096;
    return true;
}

std::optional<ResolvedConfig> resolve_config(const NvmevConfig &cfg, std::string &error)
{
    ResolvedConfig rc;
    ParamValues values;
    const Preset *p = nullptr;
    if (!gather_values(cfg, values, error) || !resolve_kind(values, rc, p, error)) {
        return std::nullopt;
    }
    // The simple model times ssd=nvm and, by default, ssd=kv's values.
    const bool kv_parallel = values.given(P::KvBackend) && values.text(P::KvBackend) == "parallel";
    const unsigned scope = scope_bit(rc.kind, kv_parallel);
    if (!check_values(values, scope, rc.kind_name.c_str(), error) ||
        !resolve_controller_limits(cfg, *p, rc, error) ||
        !resolve_basics(cfg, values, *p, rc, error) ||
        !resolve_kind_specific(cfg, values, *p, rc, error) ||
        !resolve_identity(cfg, *p, rc, error)) {
        return std::nullopt;
    }
    return rc;
}

}  // namespace nvmev
