// Device configuration: presets and the validated, resolved configuration.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "../ftl/conv_ftl.h"  // via the hw-nvmev/ftl link
#include "nvmev_core.h"

namespace nvmev {

enum class SsdKind { Nvm, Conv };

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
};

struct ResolvedConfig {
    SsdKind kind = SsdKind::Nvm;
    std::string kind_name;
    std::string preset;
    std::string serial;
    std::string model;
    uint64_t capacity_bytes = 0;
    uint32_t lba_size = 512;
    uint32_t mdts = 0;
    uint32_t max_ioqpairs = 64;
    uint16_t msix_vectors = 1;
    int64_t read_latency_ns = 0;
    int64_t write_latency_ns = 0;
    int64_t read_bandwidth_mbps = 1;
    int64_t write_bandwidth_mbps = 1;
    ftl::ConvParams conv;  // ssd=conv

    uint64_t nlbas() const { return capacity_bytes / lba_size; }
    uint32_t lba_shift() const { return lba_size == 4096 ? 12 : 9; }
    // Maximum data transfer in bytes (0: unlimited).
    uint64_t max_transfer_bytes() const { return mdts ? (uint64_t{4096} << mdts) : 0; }
};

// Resolves presets and validates. On error returns nullopt and sets `error`
// to a message naming the property and the allowed values.
std::optional<ResolvedConfig> resolve_config(const NvmevConfig &cfg, std::string &error);

// The integer parameters of the C ABI's table (nvmev_core_param_info).
const std::vector<NvmevParamInfo> &param_table();
// Effective geometry and FTL values (not timing) of a conv device.
std::vector<ftl::Param> conv_config_params(const ftl::ConvParams &p);

// ssd=conv (conv_config.cc): the presets, and the resolution of the conv
// properties over a preset into rc.conv; false with `error` set on a bad
// value.
const ftl::ConvParams &conv_preset_970pro();
const ftl::ConvParams &conv_preset_generic_tlc();
bool resolve_conv(const NvmevConfig &cfg, const ftl::ConvParams &preset, ResolvedConfig &rc,
                  std::string &error);

// printf into a std::string, for error messages.
template <typename... Args>
std::string fmt(const char *format, Args... args)
{
    char buf[512];
    std::snprintf(buf, sizeof(buf), format, args...);
    return buf;
}

// Comma-separated names, for messages.
std::string kind_names();
std::string preset_names();

}  // namespace nvmev
