// The drive state area of a memdev backing store (docs/persistence.md).
// It holds what a restart must find again and what is not in place in the
// data: the namespace's management state and Write Uncorrectable marks of
// every kind, and for ssd=conv the FTL's mapping, line states, erase
// counts and counters. Two checkpoint slots (A, B), each with a generation
// and CRC32s, then a header page naming the format and the kind. nvm and
// conv: the area ends where the backend ends; zns and kv keep their zone
// or key metadata after it. A checkpoint goes to the slot not holding the
// newest one, so a crash while writing it leaves the other slot whole.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../ftl/conv_ftl.h"

namespace nvmev {

struct NamespaceConfig;
enum class SsdKind;

// Write Uncorrectable ranges the area has room for per namespace.
constexpr uint64_t kPersistedMarkRanges = 16384;
// Those of a kind: ssd=kv has no Write Uncorrectable (neither the KV
// command set nor NVMeVirt's opcodes offer it), so its area keeps none.
uint64_t persisted_mark_ranges(SsdKind kind);

// Bytes the area takes (whole 4 KiB pages) for `mark_ranges` marks and
// `ftl_state_bytes` of FTL state (0: a kind without one: nvm, zns, kv).
uint64_t drive_state_bytes(uint64_t ftl_state_bytes = 0,
                           uint64_t mark_ranges = kPersistedMarkRanges);
// ssd=conv: with the FTL state of `p`.
uint64_t drive_state_bytes(const ftl::ConvParams &p);

// The backing store as errors about its metadata name it: "memdev backend
// 'm0' (file drive.img)", or "the backing store" without a memdev.
std::string backing_store_name(const NamespaceConfig &cfg);

class DriveStateArea {
public:
    // Binds the area at `area` (cfg.state_bytes long). A zeroed header
    // page, or cfg.reinit_metadata, formats it (fresh() is true and nothing
    // is loaded; the header is written by the first save(), after its slot);
    // a header of this format loads the newest valid slot into
    // `payload`. Otherwise returns an error naming cfg.backing_name, what
    // is wrong and the property that formats afresh. The header records
    // cfg.kind, so another kind's area is refused, not loaded.
    std::string open(const NamespaceConfig &cfg, uint8_t *area, std::vector<uint8_t> &payload);
    bool bound() const { return area_ != nullptr; }
    bool fresh() const { return fresh_; }
    // Writes `payload` into the older slot with the next generation.
    void save(const std::vector<uint8_t> &payload);
    uint64_t generation() const { return generation_; }
    uint64_t slot_bytes() const { return slot_bytes_; }
    unsigned newest_slot() const { return newest_; }  // 0: A, 1: B

private:
    uint8_t *area_ = nullptr;
    uint64_t slot_bytes_ = 0;
    uint64_t generation_ = 0;  // of the newest slot (0: none yet)
    unsigned newest_ = 1;      // its index: the first save goes to slot A
    bool fresh_ = false;
    uint8_t *header_page_ = nullptr;
    std::vector<uint8_t> pending_header_;  // formatted, not yet written
};

}  // namespace nvmev
