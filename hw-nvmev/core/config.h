// Device configuration: presets and the validated, resolved configuration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nvmev_core.h"

namespace nvmev {

enum class SsdKind { Nvm };

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
    const char *source;  // where the figures come from (docs/properties.md)
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

    uint64_t nlbas() const { return capacity_bytes / lba_size; }
    uint32_t lba_shift() const { return lba_size == 4096 ? 12 : 9; }
    // Maximum data transfer in bytes (0: unlimited).
    uint64_t max_transfer_bytes() const { return mdts ? (uint64_t{4096} << mdts) : 0; }
};

// Resolves presets and validates. On error returns nullopt and sets `error`
// to a message naming the property and the allowed values.
std::optional<ResolvedConfig> resolve_config(const NvmevConfig &cfg, std::string &error);

// Comma-separated names, for messages.
std::string kind_names();
std::string preset_names();

}  // namespace nvmev
