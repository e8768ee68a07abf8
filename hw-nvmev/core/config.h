// Device configuration: presets and the validated, resolved configuration.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../ftl/conv_ftl.h"  // via the hw-nvmev/ftl link
#include "../ftl/zns_ftl.h"
#include "nvmev_core.h"
#include "parameter_registry.h"

namespace nvmev {

enum class SsdKind { Nvm, Conv, Zns, Kv };  // the order of kind_names()

// ssd=zns preset values beyond the NAND ones (bytes unless noted).
struct ZnsPreset {
    ftl::ConvParams nand;  // geometry, timing, global write buffer, cycles
    uint64_t zone_bytes;
    uint64_t zone_capacity_bytes;  // 0: the zone size
    uint32_t zone_dies;
    uint32_t max_open;  // 0: no limit (clamped to the zone count)
    uint32_t max_active;
    uint64_t zone_write_buffer_bytes;  // 0: the global buffer
};

struct Preset {
    const char *name;
    SsdKind kind;
    const char *model;
    int64_t read_latency_ns;
    int64_t write_latency_ns;
    int64_t read_bandwidth_mbps;
    int64_t write_bandwidth_mbps;
    uint32_t lba_size;
    uint32_t mdts;
    const char *source;                     // where the figures come from (docs/properties.md)
    const ftl::ConvParams *conv = nullptr;  // ssd=conv: geometry, FTL, timing
    const ZnsPreset *zns = nullptr;         // ssd=zns
};

// What each namespace has for itself: kind, preset, capacity, LBA size,
// timing and FTL parameters, and where its metadata lives in its backing
// store.
struct NamespaceConfig {
    SsdKind kind = SsdKind::Nvm;
    std::string kind_name;
    std::string preset;
    uint64_t capacity_bytes = 0;
    uint32_t lba_size = 512;
    int64_t read_latency_ns = 0;
    int64_t write_latency_ns = 0;
    int64_t read_bandwidth_mbps = 1;
    int64_t write_bandwidth_mbps = 1;
    ftl::ConvParams conv;     // ssd=conv
    ftl::ZnsParams zns;       // ssd=zns
    uint64_t zasl_bytes = 0;  // ssd=zns: Zone Append size limit (0: MDTS)
    // ssd=kv: command flavour, limits and how the values' media is timed.
    struct Kv {
        bool vendor_opcodes = false;  // NVMeVirt's opcodes on an NVM-looking namespace
        bool parallel = false;        // kv-backend=parallel: values on the NAND model (conv)
        uint32_t max_keys = 0;
        uint32_t max_value_bytes = 0;
        int64_t index_latency_ns = 0;  // each index lookup or update
    } kv;
    // The backing store holds capacity_bytes of data from offset 0 and the
    // metadata area (ssd=zns: zone states and descriptor extensions) at
    // metadata_offset: right after the data, or at the end of a memdev.
    uint64_t metadata_bytes = 0;
    uint64_t metadata_offset = 0;
    // With a memdev, the metadata area begins with the drive state area
    // (docs/persistence.md) of state_bytes: namespace state and marks of
    // every kind, ssd=conv's FTL; zns and kv keep their zone or key
    // metadata after it. 0: none (size=, anonymous memory).
    uint64_t state_bytes = 0;
    // The drive state area: the name errors give the backing store (a
    // memdev's file or id), whether to format the metadata afresh, and how
    // often to checkpoint into it.
    std::string backing_name;
    bool reinit_metadata = false;
    int64_t checkpoint_interval_ms = 5000;

    uint64_t nlbas() const { return capacity_bytes / lba_size; }
    uint32_t lba_shift() const { return lba_size == 4096 ? 12 : 9; }
};

// The controller-wide settings, over the configuration of NSID 1 (the
// nvmev device's own kind properties).
struct ResolvedConfig : NamespaceConfig {
    std::string serial;
    std::string model;
    uint32_t mdts = 0;
    uint32_t max_ioqpairs = 64;
    uint16_t msix_vectors = 1;
    uint8_t *cmb = nullptr;  // the Controller Memory Buffer (cmb_bytes; 0: none)
    uint64_t cmb_bytes = 0;
    uint64_t pmr_bytes = 0;  // the Persistent Memory Region's size (0: none)
    bool dbbuf = true;       // Doorbell Buffer Config offered (dbbuf=on)

    // Maximum data transfer in bytes (0: unlimited).
    uint64_t max_transfer_bytes() const { return mdts ? (uint64_t{4096} << mdts) : 0; }
};

// Resolves presets and validates. On error returns nullopt and sets `error`
// to a message naming the property and the allowed values.
std::optional<ResolvedConfig> resolve_config(const NvmevConfig &cfg, std::string &error);

// The by-name parameters (nvmev_core_param_info), from the registry.
std::span<const NvmevParamInfo> param_table();

// ssd=conv (conv_config.cc): the presets, and the resolution of the conv
// properties over a preset into rc.conv; false with `error` set on a bad
// value. The values have passed check_values().
const ftl::ConvParams &conv_preset_970pro();
const ftl::ConvParams &conv_preset_generic_tlc();
bool resolve_conv(const ParamValues &v, const ftl::ConvParams &preset, ResolvedConfig &rc,
                  std::string &error);
// ssd=conv's drive state area (after resolve_conv): with a memdev it comes
// out of the capacity, at the backend's end; with size= there is none.
bool reserve_drive_state(const NvmevConfig &cfg, const ParamValues &v,
                         const ftl::ConvParams &preset, ResolvedConfig &rc, std::string &error);
// With a memdev, the drive state area of `bytes` at the backend's end
// (ssd=nvm, conv): the capacity is what is left before it, in whole 4 KiB
// pages, and at least 1 MiB; false with `error` set otherwise.
bool reserve_state_at_end(uint64_t bytes, ResolvedConfig &rc, std::string &error);
// Applies the NAND properties both conv and zns have (geometry, timing,
// cell-type, early-completion) over p.
bool apply_nand_properties(const ParamValues &v, ftl::ConvParams &p, std::string &error);

// ssd=zns (zns_config.cc): presets, and resolution (capacity in whole
// zones, metadata area) into rc.zns.
const ZnsPreset &zns_preset_zn540();
const ZnsPreset &zns_preset_prototype();
bool resolve_zns(const NvmevConfig &cfg, const ParamValues &v, const ZnsPreset &preset,
                 ResolvedConfig &rc, std::string &error);

// ssd=kv (kv_config.cc): resolution (limits, backend, data region beside
// the key records) into rc.kv.
bool resolve_kv(const NvmevConfig &cfg, const ParamValues &v, ResolvedConfig &rc,
                std::string &error);

// Every preset, for docs and tools.
std::span<const Preset> presets();

// printf into a std::string, for error messages.
template <typename... Args>
std::string fmt(const char *format, Args... args)
{
    char buf[512];
    std::snprintf(buf, sizeof(buf), format, args...);
    return buf;
}

// min <= v <= max, or false with `error` naming the property and the range.
bool in_range(const char *prop, int64_t v, int64_t min, int64_t max, std::string &error);

// Comma-separated names, for messages.
std::string kind_names();
std::string preset_names();

}  // namespace nvmev
