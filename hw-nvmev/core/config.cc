#include "config.h"

#include <cinttypes>
#include <cstdio>
#include <iterator>

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

std::optional<ResolvedConfig> resolve_config(const NvmevConfig &cfg, std::string &error)
{
    ResolvedConfig rc;
    const std::string kind = cfg.ssd ? cfg.ssd : "nvm";
    const KindInfo *ki = nullptr;
    for (const auto &k : kKinds) {
        if (kind == k.name) {
            ki = &k;
        }
    }
    if (!ki) {
        error = fmt("property 'ssd': unknown kind '%s' (allowed: %s)", kind.c_str(),
                    kind_names().c_str());
        return std::nullopt;
    }
    rc.kind = ki->kind;
    rc.kind_name = ki->name;

    const std::string preset_name = cfg.preset ? cfg.preset : ki->default_preset;
    const Preset *p = find_preset(preset_name);
    if (!p) {
        error = fmt("property 'preset': unknown preset '%s' (allowed: %s)", preset_name.c_str(),
                    preset_names().c_str());
        return std::nullopt;
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
        return std::nullopt;
    }
    rc.preset = p->name;

    for (auto [prop, value] : {std::pair{"lba-size", cfg.lba_size},
                               {"mdts", cfg.mdts},
                               {"max-ioqpairs", cfg.max_ioqpairs}}) {
        if (value < -1) {
            error = fmt("property '%s': %" PRId64 " is negative", prop, value);
            return std::nullopt;
        }
    }
    rc.lba_size = cfg.lba_size < 0 ? p->lba_size : static_cast<uint32_t>(cfg.lba_size);
    if (cfg.lba_size >= 0 && cfg.lba_size != 512 && cfg.lba_size != 4096) {
        error = fmt("property 'lba-size': %" PRId64 " is not supported (allowed: 512, 4096)",
                    cfg.lba_size);
        return std::nullopt;
    }

    // ssd=zns sizes its capacity in whole zones (resolve_zns); 0: default.
    rc.capacity_bytes = cfg.capacity_bytes ? cfg.capacity_bytes : uint64_t{1} << 30;
    const char *cap_prop = cfg.capacity_from_memdev ? "memdev" : "size";
    if (cfg.capacity_from_memdev && cfg.capacity_bytes == 0) {
        error = fmt("property '%s': the capacity must be positive", cap_prop);
        return std::nullopt;
    }
    if (rc.kind != SsdKind::Zns && rc.capacity_bytes % rc.lba_size) {
        error = fmt("property '%s': %" PRIu64
                    " bytes is not a multiple of lba-size %u "
                    "(%" PRIu64 " or %" PRIu64 " would be)",
                    cap_prop, rc.capacity_bytes, rc.lba_size,
                    rc.capacity_bytes / rc.lba_size * rc.lba_size,
                    (rc.capacity_bytes / rc.lba_size + 1) * rc.lba_size);
        return std::nullopt;
    }

    if (cfg.mdts >= 0 && cfg.mdts > 16) {
        error = fmt("property 'mdts': %" PRId64
                    " is out of range (allowed: 0 = no limit, "
                    "1..16 = 2^mdts x 4 KiB)",
                    cfg.mdts);
        return std::nullopt;
    }
    rc.mdts = cfg.mdts < 0 ? p->mdts : static_cast<uint32_t>(cfg.mdts);

    if (cfg.max_ioqpairs >= 0 && (cfg.max_ioqpairs < 1 || cfg.max_ioqpairs > 65535)) {
        error = fmt("property 'max-ioqpairs': %" PRId64 " is out of range (allowed: 1..65535)",
                    cfg.max_ioqpairs);
        return std::nullopt;
    }
    rc.max_ioqpairs = cfg.max_ioqpairs < 0 ? 64 : static_cast<uint32_t>(cfg.max_ioqpairs);
    rc.msix_vectors = cfg.msix_vectors ? cfg.msix_vectors : 1;

    struct {
        const char *prop;
        int64_t value;
        int64_t preset_value;
        bool positive;
        int64_t *out;
    } timing[] = {
        {"read-latency-ns", cfg.read_latency_ns, p->read_latency_ns, false, &rc.read_latency_ns},
        {"write-latency-ns", cfg.write_latency_ns, p->write_latency_ns, false,
         &rc.write_latency_ns},
        {"read-bandwidth-mbps", cfg.read_bandwidth_mbps, p->read_bandwidth_mbps, true,
         &rc.read_bandwidth_mbps},
        {"write-bandwidth-mbps", cfg.write_bandwidth_mbps, p->write_bandwidth_mbps, true,
         &rc.write_bandwidth_mbps},
    };
    // The simple model times ssd=nvm and, by default, ssd=kv's values.
    const bool kv_parallel = cfg.kv_backend && std::string(cfg.kv_backend) == "parallel";
    const bool simple_timed = rc.kind == SsdKind::Nvm || (rc.kind == SsdKind::Kv && !kv_parallel);
    for (auto &t : timing) {
        if (!simple_timed && t.value != -1) {
            error = fmt(
                "property '%s' applies to ssd=nvm and to ssd=kv with kv-backend=simple "
                "(ssd=%s%s is timed by its NAND, channel, PCIe and firmware properties)",
                t.prop, rc.kind_name.c_str(), rc.kind == SsdKind::Kv ? " kv-backend=parallel" : "");
            return std::nullopt;
        }
        if (t.value == 0 && t.positive) {
            error = fmt("property '%s' must be positive (MB/s)", t.prop);
            return std::nullopt;
        }
        if (t.value < -1) {
            error = fmt("property '%s': %" PRId64 " is negative", t.prop, t.value);
            return std::nullopt;
        }
        *t.out = t.value < 0 ? t.preset_value : t.value;
    }

    if (rc.kind != SsdKind::Kv) {
        const auto &table = param_table();
        for (size_t i = kv_param_base(); cfg.params && i < table.size(); ++i) {
            if (cfg.params[i] != -1) {
                error = fmt("property '%s' applies to ssd=kv only", table[i].name);
                return std::nullopt;
            }
        }
        if (cfg.kv_backend || cfg.kv_vendor_opcodes) {
            error = fmt("property '%s' applies to ssd=kv only",
                        cfg.kv_backend ? "kv-backend" : "kv-vendor-opcodes");
            return std::nullopt;
        }
    }
    if (rc.kind == SsdKind::Kv) {
        if (!resolve_kv(cfg, rc, error)) {
            return std::nullopt;
        }
    } else if (rc.kind == SsdKind::Conv) {
        if (!resolve_conv(cfg, *p->conv, rc, error)) {
            return std::nullopt;
        }
    } else if (rc.kind == SsdKind::Zns) {
        if (!resolve_zns(cfg, *p->zns, rc, error)) {
            return std::nullopt;
        }
    } else {
        const auto &table = param_table();
        for (size_t i = 0; cfg.params && i < kv_param_base(); ++i) {
            if (cfg.params[i] != -1) {
                error = fmt("property '%s' applies to ssd=%s only", table[i].name,
                            i < nand_param_count() ? "conv and ssd=zns" : "zns");
                return std::nullopt;
            }
        }
        const char *nand_only = cfg.cell_type               ? "cell-type"
                                : cfg.gc_policy             ? "gc-policy"
                                : cfg.early_completion != 0 ? "early-completion"
                                                            : nullptr;
        if (nand_only) {
            error = fmt("property '%s' applies to ssd=conv%s only", nand_only,
                        cfg.gc_policy && !cfg.cell_type ? "" : " and ssd=zns");
            return std::nullopt;
        }
    }

    rc.serial = cfg.serial ? cfg.serial : "NVMEV0000001";
    if (!check_printable("serial", rc.serial, 20, error)) {
        return std::nullopt;
    }
    rc.model = cfg.model ? cfg.model : p->model;
    if (!check_printable("model", rc.model, 40, error)) {
        return std::nullopt;
    }
    return rc;
}

}  // namespace nvmev
