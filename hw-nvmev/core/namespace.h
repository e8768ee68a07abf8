// One namespace of a controller: its configuration, backing store and FTL,
// and the per-namespace state the commands keep (Write Uncorrectable marks,
// zone metadata, the Changed Zone List). A slot exists for every configured
// NSID; Namespace Management deletes (unallocates) and re-creates it, and
// Namespace Attachment attaches and detaches it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "../ftl/ftl.h"  // via the hw-nvmev/ftl link
#include "config.h"
#include "spec.h"
#include "uncorrectable_ranges.h"
#include "zone_metadata.h"

namespace nvmev {

// Highest NSID a controller offers (ID-CTRL NN of a multi-namespace
// controller), so NSIDs stay stable across attach, detach and re-create.
constexpr uint32_t kMaxNamespaces = 32;

class Namespace {
public:
    // Throws std::invalid_argument when a zns backing store holds zone
    // metadata of another format.
    Namespace(uint32_t nsid, const NamespaceConfig &cfg, uint8_t *backing);

    uint8_t csi() const { return zns ? NVME_CSI_ZNS : NVME_CSI_NVM; }
    bool active() const { return allocated && attached; }
    // Bytes the slot's backing store holds for data: the most a re-created
    // namespace may use.
    uint64_t slot_bytes() const { return slot_bytes_; }
    // Namespace deletion: the data is zeroed, zones become empty (the zone
    // metadata is formatted afresh), marks are forgotten and the FTL starts
    // over; the slot becomes unallocated.
    void discard();

    const uint32_t nsid;
    NamespaceConfig cfg;
    uint8_t *const backing;
    std::unique_ptr<ftl::Ftl> ftl;
    ftl::ZnsFtl *zns = nullptr;         // ftl when ssd=zns
    UncorrectableRanges uncorrectable;  // Write Uncorrectable marks (not persisted)
    ZoneMetadata zone_meta;
    std::vector<ftl::ZoneEffect> zone_effects;
    std::vector<uint8_t> report;          // Zone Management Receive scratch
    std::vector<uint32_t> changed_zones;  // Changed Zone List not yet consumed
    bool changed_overflow = false;
    bool allocated = true;
    bool attached = true;

private:
    void build_ftl();

    uint64_t slot_bytes_;
};

}  // namespace nvmev
