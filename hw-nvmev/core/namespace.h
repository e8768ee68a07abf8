// One namespace of a controller: its configuration, backing store and FTL,
// and the per-namespace state the commands keep (Write Uncorrectable marks,
// zone metadata, the Changed Zone List). A slot exists for every configured
// NSID; Namespace Management deletes (unallocates) and re-creates it, and
// Namespace Attachment attaches and detaches it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "../ftl/ftl.h"  // via the hw-nvmev/ftl link
#include "../ftl/kv_store.h"
#include "../ftl/kv_timing.h"
#include "config.h"
#include "drive_state.h"
#include "spec.h"
#include "trace.h"
#include "uncorrectable_ranges.h"
#include "zone_metadata.h"

namespace nvmev {

// Highest NSID a controller offers (ID-CTRL NN of a multi-namespace
// controller), so NSIDs stay stable across attach, detach and re-create.
constexpr uint32_t kMaxNamespaces = 32;

class Namespace {
public:
    // Throws std::invalid_argument when a zns backing store holds zone
    // metadata of another format, a kv one key records of another format,
    // or any a drive state area it cannot load (docs/persistence.md). host: where the FTL's events
    // (GC, zone states) go, and its clock; nullptr: nowhere.
    Namespace(uint32_t nsid, const NamespaceConfig &cfg, uint8_t *backing,
              const Host *host = nullptr);

    // A KV namespace with NVMeVirt's opcodes reports the NVM command set, as
    // NVMeVirt does, so Linux gives it a block device to send them through.
    uint8_t csi() const
    {
        return zns ? NVME_CSI_ZNS : kv && !cfg.kv.vendor_opcodes ? NVME_CSI_KV : NVME_CSI_NVM;
    }
    bool active() const { return allocated && attached; }
    // Bytes the slot's backing store holds for data: the most a re-created
    // namespace may use.
    uint64_t slot_bytes() const { return slot_bytes_; }
    // Namespace deletion: the data is zeroed, zones become empty (the zone
    // metadata is formatted afresh), marks are forgotten and the FTL starts
    // over; the slot becomes unallocated.
    void discard();
    // Where the FTL's events go: the host of the controller that created
    // the namespace, or of another one sharing it once that one is gone
    // (subsystem.h).
    const Host *host() const { return host_; }
    void set_host(const Host *host);

    // With a memdev (docs/persistence.md): writes a checkpoint of the
    // drive state (allocation, attachment, format, marks; ssd=conv: FTL)
    // when anything changed since the last one; true if it wrote one.
    bool checkpoint(int64_t now_ns);
    // Whether the namespace keeps a drive state area, and whether it was
    // loaded from one (a restart) rather than formatted.
    bool persistent() const { return state_.bound(); }
    bool restored() const { return restored_; }
    const DriveStateArea &drive_state() const { return state_; }

    const uint32_t nsid;
    NamespaceConfig cfg;
    uint8_t *const backing;
    std::unique_ptr<ftl::Ftl> ftl;
    ftl::ZnsFtl *zns = nullptr;         // ftl when ssd=zns
    UncorrectableRanges uncorrectable;  // Write Uncorrectable marks (memdev: persisted)
    ZoneMetadata zone_meta;
    std::vector<ftl::ZoneEffect> zone_effects;
    std::vector<uint8_t> report;          // Zone Management Receive scratch
    std::vector<uint32_t> changed_zones;  // Changed Zone List not yet consumed
    bool changed_overflow = false;
    // ssd=kv: the key records and values, the timing (ftl), commands by
    // type, NVMeVirt iterators (by handle - 1) and a value scratch buffer.
    std::unique_ptr<ftl::KvStore> kv;
    ftl::KvTiming *kv_timing = nullptr;
    struct KvOps {
        uint64_t stores = 0, retrieves = 0, deletes = 0, exists = 0, lists = 0;
    } kv_ops;
    struct KvIterator {
        bool open = false;
        uint32_t prefix = 0, mask = 0;
        ftl::KvKey last;  // last key returned (len 0: none yet)
        bool done = false;
    };
    std::array<KvIterator, 16> kv_iterators;
    std::vector<uint8_t> kv_buffer;
    bool allocated = true;
    bool attached = true;

private:
    void build_ftl();
    // Binds the drive state area and loads it (or checkpoints the fresh
    // drive); throws std::invalid_argument with the area's error.
    void open_drive_state();
    void load_drive_state(const std::vector<uint8_t> &payload, int64_t now);
    int64_t clock() const;

    // What the last checkpoint saved, to skip one with nothing new.
    struct Saved {
        uint64_t ftl_changes = ~uint64_t{0}, mark_changes = 0, capacity = 0;
        uint32_t lba_size = 0;
        bool allocated = false, attached = false;
        bool operator==(const Saved &) const = default;
    };
    Saved current() const;
    DriveStateArea state_;
    Saved saved_;
    bool restored_ = false;
    std::vector<uint8_t> payload_;  // checkpoint scratch

    uint64_t slot_bytes_;
    const Host *host_;
    trace::FtlTracer tracer_;
};

}  // namespace nvmev
