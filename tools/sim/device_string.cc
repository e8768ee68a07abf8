#include "device_string.h"

#include <cstring>

#include "units.h"

namespace nvmev::sim {
namespace {

// Adapter properties with no meaning without QEMU: host threads, host
// scheduling and PCI placement. The simulation's clock is exact, so
// wake-ahead-ns (how early the adapter's timer fires) changes nothing.
const char *const kIgnored[] = {"id",        "bus",          "addr",     "multifunction",
                                "romfile",   "rombar",       "iothread", "iothread-vq-mapping",
                                "ioeventfd", "wake-ahead-ns"};

// Adapter properties that need what nvmev-sim does not build yet.
const struct {
    const char *name;
    const char *why;
} kRefused[] = {
    {"memdev", "no memory backends; a file holds the drive with --memdev-file PATH"},
    {"cmb-size", "no Controller Memory Buffer"},
    {"cmb-memdev", "no Controller Memory Buffer"},
    {"pmr-memdev", "no Persistent Memory Region"},
    {"subsys", "no NVM subsystem: one controller"},
    {"cntlid", "no NVM subsystem: one controller"},
};

// The device string split at commas, ",," being a literal comma.
std::vector<std::string> split_commas(const std::string &text)
{
    std::vector<std::string> out(1);
    for (size_t i = 0; i < text.size(); i++) {
        if (text[i] == ',' && i + 1 < text.size() && text[i + 1] == ',') {
            out.back() += ',';
            i++;
        } else if (text[i] == ',') {
            out.emplace_back();
        } else {
            out.back() += text[i];
        }
    }
    return out;
}

}  // namespace

const char *DeviceSpec::keep(const std::string &s)
{
    return strings_.emplace_back(s).c_str();
}

bool DeviceSpec::set(const std::string &key, const std::string &value, std::string &err)
{
    for (const char *name : kIgnored) {
        if (key == name) {
            ignored_.push_back(key + ": a QEMU host setting, no effect on the model");
            return true;
        }
    }
    for (const auto &r : kRefused) {
        if (key == r.name) {
            err = "property '" + key + "': not supported by nvmev-sim (" + r.why + ")";
            return false;
        }
    }
    const auto bad = [&](const char *what) {
        err = "Parameter '" + key + "' expects " + what;
        return false;
    };
    if (key == "size") {
        auto v = parse_size(value);
        if (!v) {
            return bad("a size (a number with an optional K, M, G, T, P or E suffix)");
        }
        cfg_.capacity_bytes = *v;
        return true;
    }
    if (key == "serial" || key == "model") {
        (key == "serial" ? cfg_.serial : cfg_.model) = keep(value);
        return true;
    }
    if (key == "dbbuf") {
        auto v = parse_bool(value);
        if (!v) {
            return bad("'on' or 'off'");
        }
        cfg_.dbbuf_off = !*v;
        return true;
    }
    if (key == "mdts" || key == "max-ioqpairs") {
        auto v = parse_int(value);
        if (!v) {
            return bad("int64");
        }
        (key == "mdts" ? cfg_.mdts : cfg_.max_ioqpairs) = *v;
        return true;
    }
    for (size_t i = 0; i < nvmev_core_property_count(); i++) {
        const NvmevParamInfo *info = nvmev_core_property_info(i);
        if (key != info->name) {
            continue;
        }
        NvmevPropValue pv{info->name, 0, nullptr};
        switch (info->type) {
            case NVMEV_PARAM_INT: {
                auto v = parse_int(value);
                if (!v) {
                    return bad("int64");
                }
                pv.value = *v;
                break;
            }
            case NVMEV_PARAM_SIZE: {
                auto v = parse_size(value);
                if (!v) {
                    return bad("a size (a number with an optional K, M, G, T, P or E suffix)");
                }
                pv.value = static_cast<int64_t>(*v);
                break;
            }
            case NVMEV_PARAM_BOOL: {
                auto v = parse_bool(value);
                if (!v) {
                    return bad("'on' or 'off'");
                }
                pv.value = *v;
                break;
            }
            case NVMEV_PARAM_ON_OFF_AUTO:
                if (value == "auto") {
                    return true;  // the "not given" value, as the adapter passes it
                }
                if (value != "on" && value != "off") {
                    return bad("'on', 'off' or 'auto'");
                }
                pv.text = keep(value);
                break;
            default: pv.text = keep(value); break;
        }
        // A repeated key: the last value wins, as in QEMU.
        for (auto &p : params_) {
            if (std::strcmp(p.name, info->name) == 0) {
                p = pv;
                return true;
            }
        }
        params_.push_back(pv);
        return true;
    }
    err = "Property 'nvmev." + key + "' not found";
    return false;
}

bool DeviceSpec::parse(const std::string &text, std::string &err)
{
    cfg_ = NvmevConfig{};
    cfg_.lba_size = cfg_.mdts = cfg_.max_ioqpairs = -1;
    cfg_.read_latency_ns = cfg_.write_latency_ns = -1;
    cfg_.read_bandwidth_mbps = cfg_.write_bandwidth_mbps = -1;
    cfg_.msix_vectors = 1;
    params_.clear();
    ignored_.clear();
    std::vector<std::string> items = split_commas(text);
    for (size_t i = 0; i < items.size(); i++) {
        const std::string &item = items[i];
        const size_t eq = item.find('=');
        if (i == 0 && eq == std::string::npos) {
            if (item != "nvmev" && !item.empty()) {
                err = "device '" + item + "': nvmev-sim builds only the nvmev device";
                return false;
            }
            continue;
        }
        if (item.empty()) {
            continue;
        }
        // A bare name is name=on, as QEMU's option syntax has it.
        const std::string key = item.substr(0, eq);
        const std::string value = eq == std::string::npos ? "on" : item.substr(eq + 1);
        if (!set(key, value, err)) {
            return false;
        }
    }
    return true;
}

NvmevConfig DeviceSpec::config() const
{
    NvmevConfig c = cfg_;
    c.params = params_.data();
    c.n_params = params_.size();
    return c;
}

}  // namespace nvmev::sim
