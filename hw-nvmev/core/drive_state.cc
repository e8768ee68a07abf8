// The drive state area: header page, two checkpoint slots, CRC32s.
#include "drive_state.h"

#include <zlib.h>

#include <algorithm>
#include <cinttypes>
#include <cstring>

#include "config.h"

namespace nvmev {
namespace {

constexpr char kMagic[8] = {'N', 'V', 'M', 'E', 'V', 'D', 'R', 'V'};
constexpr char kSlotMagic[8] = {'N', 'V', 'M', 'E', 'V', 'C', 'K', 'P'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kSlotHeaderBytes = 64;
// The namespace state before the marks and the FTL: allocated, attached,
// LBA size and capacity (namespace.cc).
constexpr uint64_t kNamespaceStateBytes = 1 + 1 + 4 + 8;

// The properties whose values decide the state's layout, as the header
// records them (a difference is named in the error). A kind without FTL
// state records only the first: its data region's size.
constexpr size_t kFields = 10;
const char *const kFieldNames[kFields] = {
    "memdev",           "channels",          "luns-per-channel", "planes-per-lun",
    "blocks-per-plane", "pages-per-block",   "flash-page-size",  "program-unit-size",
    "partitions",       "write-buffer-size",
};

// The last page of the area; host byte order (little-endian hosts only).
struct Header {
    char magic[8];
    uint32_t version;
    uint32_t kind;
    uint64_t fields[kFields];
    uint64_t slot_bytes;
    uint32_t reserved;
    uint32_t crc;  // of the bytes before it
};
static_assert(sizeof(Header) <= kPage);

// The first bytes of each slot; the payload follows it.
struct SlotHeader {
    char magic[8];
    uint64_t generation;
    uint64_t payload_bytes;
    uint32_t payload_crc;
    uint32_t crc;  // of the bytes before it
};
static_assert(sizeof(SlotHeader) <= kSlotHeaderBytes);

uint64_t round_page(uint64_t n)
{
    return (n + kPage - 1) / kPage * kPage;
}

uint32_t crc_of(const void *p, uint64_t len)
{
    return static_cast<uint32_t>(
        crc32_z(crc32_z(0, nullptr, 0), static_cast<const Bytef *>(p), static_cast<z_size_t>(len)));
}

// The header's kind: the SsdKind plus one (nvm 1, conv 2, zns 3, kv 4), so
// a zeroed field is no kind.
uint32_t kind_code(SsdKind kind)
{
    return static_cast<uint32_t>(kind) + 1;
}

Header header_for(const NamespaceConfig &cfg, uint64_t slot_bytes)
{
    const ftl::ConvParams &p = cfg.conv;
    Header h{};
    std::memcpy(h.magic, kMagic, sizeof(kMagic));
    h.version = kVersion;
    h.kind = kind_code(cfg.kind);
    if (cfg.kind == SsdKind::Conv) {
        const uint64_t fields[kFields] = {p.logical_bytes,        p.geo.channels,
                                          p.geo.luns_per_channel, p.geo.planes_per_lun,
                                          p.geo.blocks_per_plane, p.geo.pages_per_block,
                                          p.geo.flash_page_bytes, p.geo.program_unit_bytes,
                                          p.partitions,           p.write_buffer_bytes};
        std::copy(std::begin(fields), std::end(fields), h.fields);
    } else {
        h.fields[0] = cfg.capacity_bytes;  // the slot's, before Namespace Management
    }
    h.slot_bytes = slot_bytes;
    h.crc = crc_of(&h, offsetof(Header, crc));
    return h;
}

// The slot's payload when its header and payload check out, else nullptr.
const uint8_t *valid_slot(const uint8_t *slot, uint64_t slot_bytes, SlotHeader &h)
{
    std::memcpy(&h, slot, sizeof(h));
    if (std::memcmp(h.magic, kSlotMagic, sizeof(kSlotMagic)) != 0 ||
        h.crc != crc_of(&h, offsetof(SlotHeader, crc)) ||
        h.payload_bytes > slot_bytes - kSlotHeaderBytes) {
        return nullptr;
    }
    const uint8_t *payload = slot + kSlotHeaderBytes;
    return crc_of(payload, h.payload_bytes) == h.payload_crc ? payload : nullptr;
}

bool all_zero(const uint8_t *p, uint64_t len)
{
    return std::all_of(p, p + len, [](uint8_t b) { return b == 0; });
}

// What a format loses, for the remedy of each error.
const char *lost_on_reinit(SsdKind kind)
{
    switch (kind) {
        case SsdKind::Conv: return "mapping, wear and marks are lost";
        case SsdKind::Zns: return "zone states, marks and namespace state are lost";
        case SsdKind::Kv: return "keys, marks and namespace state are lost";
        case SsdKind::Nvm: break;
    }
    return "marks and namespace state are lost";
}

}  // namespace

uint64_t persisted_mark_ranges(SsdKind kind)
{
    return kind == SsdKind::Kv ? 0 : kPersistedMarkRanges;
}

uint64_t drive_state_bytes(uint64_t ftl_state_bytes, uint64_t mark_ranges)
{
    const uint64_t payload = kNamespaceStateBytes + 8 + mark_ranges * 16 + ftl_state_bytes;
    return kPage + 2 * round_page(kSlotHeaderBytes + payload);
}

uint64_t drive_state_bytes(const ftl::ConvParams &p)
{
    return drive_state_bytes(ftl::conv_state_bytes(p));
}

std::string backing_store_name(const NamespaceConfig &cfg)
{
    return cfg.backing_name.empty() ? "the backing store" : "memdev backend " + cfg.backing_name;
}

std::string DriveStateArea::open(const NamespaceConfig &cfg, uint8_t *area,
                                 std::vector<uint8_t> &payload)
{
    const uint64_t bytes = cfg.state_bytes;
    slot_bytes_ = (bytes - kPage) / 2 / kPage * kPage;
    uint8_t *header = area + bytes - kPage;
    const Header want = header_for(cfg, slot_bytes_);
    const std::string where = backing_store_name(cfg);
    const std::string remedy =
        std::string(
            "; start with the same backend and properties, or set reinit-metadata=on to "
            "format the drive state afresh (a new drive over the data: ") +
        lost_on_reinit(cfg.kind) + ")";
    const std::string kind = "ssd=" + cfg.kind_name;
    payload.clear();
    if (cfg.reinit_metadata || all_zero(header, kPage)) {
        // No drive state yet (a new or zeroed backend), or asked for: format.
        // The header is written by the first save(), after its slot: killed
        // before that, the area is still (or again) unformatted, never a
        // header over two empty slots.
        std::memset(header, 0, kPage);
        for (uint8_t *slot : {area, area + slot_bytes_}) {
            std::memset(slot, 0, kSlotHeaderBytes);
        }
        const auto *w = reinterpret_cast<const uint8_t *>(&want);
        pending_header_.assign(w, w + sizeof(want));
        header_page_ = header;
        area_ = area;
        generation_ = 0;
        newest_ = 1;
        fresh_ = true;
        return "";
    }
    Header have;
    std::memcpy(&have, header, sizeof(have));
    if (std::memcmp(have.magic, kMagic, sizeof(kMagic)) != 0) {
        // zns and kv: the area's last page, before the zone or key metadata.
        const bool at_end = cfg.kind == SsdKind::Conv || cfg.kind == SsdKind::Nvm;
        return "property 'memdev': " + where + " holds no " + kind + " drive state: " +
               (at_end ? "its last page" : "the page of its drive state header") +
               " is neither zero nor a drive state header (another kind's data or metadata?)" +
               remedy;
    }
    if (have.crc != crc_of(&have, offsetof(Header, crc))) {
        return "property 'memdev': " + where + " holds a corrupt drive state header (CRC32 " +
               fmt("%08x, expected %08x)", have.crc, crc_of(&have, offsetof(Header, crc))) + remedy;
    }
    if (have.version != kVersion || have.kind != want.kind) {
        return "property 'memdev': " + where +
               fmt(" holds drive state of format version %u, kind %u; this nvmev reads version "
                   "%u, kind %u (%s)",
                   have.version, have.kind, kVersion, want.kind, kind.c_str()) +
               remedy;
    }
    for (size_t i = 0; i < kFields; ++i) {
        if (have.fields[i] != want.fields[i]) {
            const char *prop = i == 0 && cfg.backing_name.empty() ? "size" : kFieldNames[i];
            return fmt("property '%s': ", prop) + where +
                   fmt(" holds the drive state of a drive with %s %" PRIu64 ", not %" PRIu64, prop,
                       have.fields[i], want.fields[i]) +
                   remedy;
        }
    }
    if (have.slot_bytes != want.slot_bytes) {
        return "property 'memdev': " + where +
               fmt(" holds drive state slots of %" PRIu64 " bytes, not %" PRIu64, have.slot_bytes,
                   want.slot_bytes) +
               remedy;
    }
    const uint8_t *found = nullptr;
    SlotHeader best{};
    for (unsigned i = 0; i < 2; ++i) {
        SlotHeader h;
        const uint8_t *p = valid_slot(area + i * slot_bytes_, slot_bytes_, h);
        if (p && (!found || h.generation > best.generation)) {
            found = p;
            best = h;
            newest_ = i;
        }
    }
    if (!found) {
        return "property 'memdev': " + where +
               " holds a drive state whose checkpoint slots A and B are both corrupt (CRC32 "
               "mismatch)" +
               remedy;
    }
    payload.assign(found, found + best.payload_bytes);
    area_ = area;
    generation_ = best.generation;
    fresh_ = false;
    return "";
}

void DriveStateArea::save(const std::vector<uint8_t> &payload)
{
    const unsigned slot = newest_ ^ 1;
    uint8_t *at = area_ + slot * slot_bytes_;
    SlotHeader h{};
    std::memcpy(h.magic, kSlotMagic, sizeof(kSlotMagic));
    h.generation = generation_ + 1;
    h.payload_bytes = std::min<uint64_t>(payload.size(), slot_bytes_ - kSlotHeaderBytes);
    h.payload_crc = crc_of(payload.data(), h.payload_bytes);
    h.crc = crc_of(&h, offsetof(SlotHeader, crc));
    // Payload first, header last: a slot is whole only once its header is.
    std::memset(at, 0, kSlotHeaderBytes);
    std::memcpy(at + kSlotHeaderBytes, payload.data(), h.payload_bytes);
    std::memcpy(at, &h, sizeof(h));
    generation_ = h.generation;
    newest_ = slot;
    if (!pending_header_.empty()) {  // the first checkpoint after a format
        std::memcpy(header_page_, pending_header_.data(), pending_header_.size());
        pending_header_.clear();
    }
}

}  // namespace nvmev
