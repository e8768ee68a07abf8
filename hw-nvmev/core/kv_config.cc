// ssd=kv configuration: the kv properties, the backend that times the
// values' media, and the split of the backing store into the value region
// and the key records (docs/kv.md).
#include <algorithm>
#include <cinttypes>
#include <iterator>

#include "../ftl/kv_store.h"
#include "config.h"

namespace nvmev {
namespace {

constexpr int64_t kDefaultIndexLatencyNs = 2000;
constexpr uint64_t kDefaultMaxValueBytes = uint64_t{1} << 20;
constexpr int64_t kMaxKeysLimit = int64_t{1} << 26;

}  // namespace

const std::vector<NvmevParamInfo> &kv_param_infos()
{
    static const std::vector<NvmevParamInfo> t = {
        {"kv-max-keys",
         "ssd=kv: most keys the namespace holds (default: one per 4 KiB of capacity)", 0},
        {"kv-max-value-size",
         "ssd=kv: largest value in bytes (default: the data transfer limit, at most 1 MiB)", 1},
        {"kv-index-latency-ns",
         "ssd=kv: time of one index lookup or update in the controller (default 2000)", 0},
    };
    return t;
}

size_t kv_param_base()
{
    return nand_param_count() + zns_param_infos().size();
}

std::vector<ftl::Param> kv_config_params(const NamespaceConfig &rc)
{
    return {{"kv-max-keys", rc.kv.max_keys}, {"kv-max-value-size", rc.kv.max_value_bytes}};
}

bool resolve_kv(const NvmevConfig &cfg, ResolvedConfig &rc, std::string &error)
{
    const std::string backend = cfg.kv_backend ? cfg.kv_backend : "simple";
    if (backend != "simple" && backend != "parallel") {
        error = fmt("property 'kv-backend': unknown backend '%s' (allowed: simple, parallel)",
                    backend.c_str());
        return false;
    }
    rc.kv.parallel = backend == "parallel";
    rc.kv.vendor_opcodes = cfg.kv_vendor_opcodes != 0;

    const auto &zt = zns_param_infos();
    for (size_t i = 0; cfg.params && i < zt.size(); ++i) {
        if (cfg.params[nand_param_count() + i] != -1) {
            error = fmt("property '%s' applies to ssd=zns only", zt[i].name);
            return false;
        }
    }
    if (!rc.kv.parallel) {
        const auto &table = param_table();
        for (size_t i = 0; cfg.params && i < nand_param_count(); ++i) {
            if (cfg.params[i] != -1) {
                error =
                    fmt("property '%s' applies to ssd=conv, ssd=zns and ssd=kv with "
                        "kv-backend=parallel",
                        table[i].name);
                return false;
            }
        }
        const char *nand_only = cfg.cell_type               ? "cell-type"
                                : cfg.gc_policy             ? "gc-policy"
                                : cfg.early_completion != 0 ? "early-completion"
                                                            : nullptr;
        if (nand_only) {
            error = fmt("property '%s' applies to ssd=kv only with kv-backend=parallel", nand_only);
            return false;
        }
    }

    const size_t base = kv_param_base();
    const auto param = [&](size_t i) { return cfg.params ? cfg.params[base + i] : -1; };
    const uint64_t total = rc.capacity_bytes;
    int64_t keys = param(0);
    if (keys != -1 && !in_range("kv-max-keys", keys, 1, kMaxKeysLimit, error)) {
        return false;
    }
    if (keys == -1) {
        keys = std::clamp<int64_t>(static_cast<int64_t>(total / 4096), 1, kMaxKeysLimit);
    }
    rc.kv.max_keys = static_cast<uint32_t>(keys);
    rc.metadata_bytes = ftl::KvStore::metadata_bytes(rc.kv.max_keys);
    if (cfg.capacity_from_memdev) {
        // The key records take the end of the memdev; values the rest.
        if (total <= rc.metadata_bytes + 4096) {
            error = fmt("property 'memdev': %" PRIu64
                        " bytes holds no value space beside the "
                        "%" PRIu64 " bytes of key records for kv-max-keys %" PRId64,
                        total, rc.metadata_bytes, keys);
            return false;
        }
        rc.capacity_bytes = (total - rc.metadata_bytes) / 4096 * 4096;
        rc.metadata_offset = total - rc.metadata_bytes;
    } else {
        rc.metadata_offset = rc.capacity_bytes;
    }

    // A value moves in one command: it cannot exceed the transfer limit.
    const uint64_t xfer = rc.max_transfer_bytes() ? rc.max_transfer_bytes() : UINT32_MAX;
    const uint64_t most = std::min<uint64_t>({xfer, rc.capacity_bytes, UINT32_MAX});
    int64_t vmax = param(1);
    if (vmax != -1 && (vmax < 1 || static_cast<uint64_t>(vmax) > most)) {
        error =
            fmt("property 'kv-max-value-size': %" PRId64 " is out of range (allowed: 1..%" PRIu64
                ", the smaller of the data transfer limit (mdts) and the capacity)",
                vmax, most);
        return false;
    }
    rc.kv.max_value_bytes =
        static_cast<uint32_t>(vmax == -1 ? std::min(most, kDefaultMaxValueBytes) : vmax);

    const int64_t lat = param(2);
    if (lat != -1 && !in_range("kv-index-latency-ns", lat, 0, 1'000'000'000, error)) {
        return false;
    }
    rc.kv.index_latency_ns = lat == -1 ? kDefaultIndexLatencyNs : lat;

    if (rc.kv.parallel && !resolve_conv(cfg, conv_preset_970pro(), rc, error)) {
        return false;
    }
    return true;
}

}  // namespace nvmev
