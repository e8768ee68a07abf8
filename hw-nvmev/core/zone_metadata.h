// ssd=zns: the zone metadata of the backing store: the zone records
// (ZoneRecord), the zone descriptor extensions, and in its last page a
// header naming the zone format (version 2). It ends where the backend
// ends; with a memdev the drive state area (drive_state.h) comes before it.
// With a file-backed memdev it persists, so zones come back after a
// restart exactly as they were.
#pragma once

#include <cstdint>
#include <string>

#include "../ftl/zone_state_machine.h"

namespace nvmev {

struct NamespaceConfig;

// Bytes the metadata area of `zones` zones with `extension_bytes` of
// descriptor extension each takes (whole 4 KiB pages).
uint64_t zone_metadata_bytes(uint64_t zones, uint32_t extension_bytes);

struct ZoneMetadata {
    ftl::ZoneRecord *records = nullptr;
    uint8_t *extensions = nullptr;  // zones x extension_bytes
    bool fresh = false;             // just formatted: zones start empty
};

// Binds the zone metadata at `area` (zone_metadata_bytes() long): formats
// it when it holds no zone format or rc.reinit_metadata is set, loads it
// when it holds this one, and returns an error naming the property that
// differs otherwise (another version: naming reinit-metadata).
std::string open_zone_metadata(const NamespaceConfig &rc, uint8_t *area, ZoneMetadata &out);

}  // namespace nvmev
