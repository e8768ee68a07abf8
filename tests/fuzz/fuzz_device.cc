#include "fuzz_device.h"

#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace nvmev::fuzz {
namespace {

// 8 zones of 64 KiB over 2 dies, 2 open / 3 active, ZRWA on 2 zones;
// a conventional FTL of 1 MiB over 2 channels.
const std::map<std::string, int64_t> &params_for(SsdKind kind)
{
    static const std::map<std::string, int64_t> conv = {{"channels", 2},
                                                        {"luns-per-channel", 1},
                                                        {"flash-page-size", 16384},
                                                        {"program-unit-size", 16384},
                                                        {"pages-per-block", 4},
                                                        {"partitions", 2}};
    static const std::map<std::string, int64_t> zns = {{"channels", 2},
                                                       {"luns-per-channel", 1},
                                                       {"flash-page-size", 16384},
                                                       {"program-unit-size", 16384},
                                                       {"zone-size", 65536},
                                                       {"zone-dies", 2},
                                                       {"max-open-zones", 2},
                                                       {"max-active-zones", 3},
                                                       {"zone-extension-size", 64},
                                                       {"zone-append-size-limit", 8192}};
    // 32 keys, 2 KiB values: full stores and key limits come quickly.
    static const std::map<std::string, int64_t> kv = {{"kv-max-keys", 32},
                                                      {"kv-max-value-size", 2048}};
    static const std::map<std::string, int64_t> none;
    return kind == SsdKind::Conv  ? conv
           : kind == SsdKind::Zns ? zns
           : kind == SsdKind::Kv  ? kv
                                  : none;
}

}  // namespace

Device::Device(const DeviceChoice &choice, const NvmevHostOps &ops, void *opaque)
{
    std::vector<NvmevPropValue> params;
    for (const auto &[name, value] : params_for(choice.kind)) {
        params.push_back({name.c_str(), value, nullptr});
    }
    NvmevConfig c{};
    c.ssd = choice.kind == SsdKind::Conv  ? "conv"
            : choice.kind == SsdKind::Zns ? "zns"
            : choice.kind == SsdKind::Kv  ? "kv"
                                          : "nvm";
    c.kv_vendor_opcodes = choice.kv_vendor;
    c.serial = "FUZZ";
    c.capacity_bytes =
        choice.kind == SsdKind::Nvm || choice.kind == SsdKind::Kv ? 256 << 10 : 512 << 10;
    c.lba_size = choice.lba_size;
    c.mdts = choice.mdts;
    c.max_ioqpairs = kMaxQueues - 1;
    c.read_latency_ns = c.write_latency_ns = -1;
    c.read_bandwidth_mbps = c.write_bandwidth_mbps = -1;
    c.msix_vectors = 4;
    c.params = params.data();
    c.n_params = params.size();
    // A small CMB and PMR: register writes that set CMBMSC route the
    // controller's accesses in its range to this memory instead.
    static std::vector<uint8_t> cmb(64 << 10);
    std::memset(cmb.data(), 0, cmb.size());
    c.cmb = cmb.data();
    c.cmb_bytes = cmb.size();
    c.pmr_bytes = 4096;
    std::string error;
    auto rc = resolve_config(c, error);
    if (!rc) {
        throw std::invalid_argument("fuzz device config: " + error);
    }
    // One backing store for all inputs, zeroed for each: a fresh allocation
    // per input costs page faults that dominate a run.
    static std::vector<uint8_t> backing;
    const uint64_t bytes = rc->capacity_bytes + rc->metadata_bytes;
    if (backing.size() < bytes) {
        backing.resize(bytes);
    }
    std::memset(backing.data(), 0, bytes);
    ctrl_ = std::make_unique<Controller>(*rc, Host(ops, opaque), backing.data());
    ctrl_->set_msix(choice.msix);
    if (choice.groups == 2) {
        static constexpr uint16_t kPairGroup[kMaxQueues - 1] = {0, 1, 0, 1};
        const std::string err = ctrl_->map_queues(2, kPairGroup, kMaxQueues - 1);
        if (!err.empty()) {
            throw std::invalid_argument("fuzz device queue groups: " + err);
        }
    }
}

}  // namespace nvmev::fuzz
