// ssd=kv configuration: the kv properties, the backend that times the
// values' media, and the split of the backing store into the value region
// and the key records (docs/kv.md).
#include <algorithm>
#include <cinttypes>
#include <iterator>

#include "../ftl/kv_store.h"
#include "config.h"
#include "drive_state.h"
#include "parameter_registry.h"

namespace nvmev {
namespace {

constexpr int64_t kDefaultIndexLatencyNs = 2000;
constexpr uint64_t kDefaultMaxValueBytes = uint64_t{1} << 20;

// The key records take kv-max-keys' share of the backing store: after the
// values, or at the end of a memdev.
bool kv_layout(const NvmevConfig &cfg, const ParamValues &v, ResolvedConfig &rc, std::string &error)
{
    const uint64_t total = rc.capacity_bytes;
    const int64_t keys = v.num(P::KvMaxKeys, std::clamp<int64_t>(static_cast<int64_t>(total / 4096),
                                                                 1, spec(P::KvMaxKeys).max));
    rc.kv.max_keys = static_cast<uint32_t>(keys);
    rc.metadata_bytes = ftl::KvStore::metadata_bytes(rc.kv.max_keys);
    if (!cfg.capacity_from_memdev) {
        rc.metadata_offset = rc.capacity_bytes;
        return true;
    }
    // The drive state area (namespace state; no marks: kv has no Write
    // Uncorrectable) before the key records, so their header stays where
    // version 1 had it: a version 1 store is recognised, not misread.
    rc.state_bytes = drive_state_bytes(0, persisted_mark_ranges(SsdKind::Kv));
    rc.metadata_bytes += rc.state_bytes;
    if (total <= rc.metadata_bytes + 4096) {
        error = fmt("property 'memdev': %" PRIu64
                    " bytes holds no value space beside the "
                    "%" PRIu64 " bytes of key records and drive state for kv-max-keys %" PRId64,
                    total, rc.metadata_bytes, keys);
        return false;
    }
    rc.capacity_bytes = (total - rc.metadata_bytes) / 4096 * 4096;
    rc.metadata_offset = total - rc.metadata_bytes;
    return true;
}

// A value moves in one command: it cannot exceed the transfer limit.
bool kv_value_limit(const ParamValues &v, ResolvedConfig &rc, std::string &error)
{
    const uint64_t xfer = rc.max_transfer_bytes() ? rc.max_transfer_bytes() : UINT32_MAX;
    const uint64_t most = std::min<uint64_t>({xfer, rc.capacity_bytes, UINT32_MAX});
    const int64_t vmax = v.num(P::KvMaxValueSize, -1);
    if (vmax != -1 && (vmax < 1 || static_cast<uint64_t>(vmax) > most)) {
        error =
            fmt("property 'kv-max-value-size': %" PRId64 " is out of range (allowed: 1..%" PRIu64
                ", the smaller of the data transfer limit (mdts) and the capacity)",
                vmax, most);
        return false;
    }
    rc.kv.max_value_bytes =
        static_cast<uint32_t>(vmax == -1 ? std::min(most, kDefaultMaxValueBytes) : vmax);
    return true;
}

}  // namespace

bool resolve_kv(const NvmevConfig &cfg, const ParamValues &v, ResolvedConfig &rc,
                std::string &error)
{
    rc.kv.parallel = v.num(P::KvBackend, 0) == 1;  // simple, parallel
    rc.kv.vendor_opcodes = v.given(P::KvVendorOpcodes);
    rc.kv.index_latency_ns = v.num(P::KvIndexLatency, kDefaultIndexLatencyNs);
    if (!kv_layout(cfg, v, rc, error) || !kv_value_limit(v, rc, error)) {
        return false;
    }
    return !rc.kv.parallel || resolve_conv(v, conv_preset_970pro(), rc, error);
}

}  // namespace nvmev
