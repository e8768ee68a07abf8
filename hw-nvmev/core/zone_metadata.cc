// ssd=zns metadata area: header, zone records, descriptor extensions.
#include "zone_metadata.h"

#include <algorithm>
#include <cinttypes>
#include <cstring>

#include "config.h"
#include "drive_state.h"

namespace nvmev {
namespace {

constexpr char kMagic[8] = {'N', 'V', 'M', 'E', 'V', 'Z', 'N', 'S'};
// Version 2: with a memdev, the drive state area (namespace state, Write
// Uncorrectable marks; drive_state.h) lies before the zone records.
constexpr uint32_t kVersion = 2;
constexpr uint64_t kPage = 4096;

// The last page of the area; host byte order (little-endian hosts only).
struct Header {
    char magic[8];
    uint32_t version;
    uint32_t lba_size;
    uint64_t zone_lbas;
    uint64_t zone_cap_lbas;
    uint64_t zones;
    uint32_t extension_bytes;
    uint32_t reserved;
};
static_assert(sizeof(Header) <= kPage);

uint64_t round_page(uint64_t n)
{
    return (n + kPage - 1) / kPage * kPage;
}

}  // namespace

uint64_t zone_metadata_bytes(uint64_t zones, uint32_t extension_bytes)
{
    return kPage + round_page(zones * sizeof(ftl::ZoneRecord)) +
           round_page(zones * extension_bytes);
}

std::string open_zone_metadata(const NamespaceConfig &rc, uint8_t *area, ZoneMetadata &out)
{
    const ftl::ZoneConfig &z = rc.zns.zones;
    Header want{};
    std::memcpy(want.magic, kMagic, sizeof(kMagic));
    want.version = kVersion;
    want.lba_size = rc.lba_size;
    want.zone_lbas = z.zone_lbas;
    want.zone_cap_lbas = z.zone_cap_lbas;
    want.zones = z.zones;
    want.extension_bytes = rc.zns.extension_bytes;

    // Records, then extensions, then the header in the area's last page.
    const uint64_t bytes = zone_metadata_bytes(z.zones, rc.zns.extension_bytes);
    uint8_t *header = area + bytes - kPage;
    Header have;
    std::memcpy(&have, header, sizeof(have));
    out.records = reinterpret_cast<ftl::ZoneRecord *>(area);
    out.extensions = area + round_page(uint64_t{z.zones} * sizeof(ftl::ZoneRecord));
    const bool ours = std::memcmp(have.magic, kMagic, sizeof(kMagic)) == 0;
    if (!rc.reinit_metadata && !ours &&
        std::any_of(header, header + kPage, [](uint8_t b) { return b != 0; })) {
        // Another kind's drive state or data (an ssd=nvm or conv image keeps
        // its drive state header here): formatting would destroy it.
        return "property 'memdev': " + backing_store_name(rc) +
               " holds no zone metadata: its last page is neither zero nor a zone format "
               "header (another kind's drive state or data?); start with the kind and "
               "properties it was made with, or set reinit-metadata=on to format the "
               "metadata afresh (a new drive over the data: zone states, marks and namespace "
               "state are lost)";
    }
    if (rc.reinit_metadata || !ours) {
        // No zone format yet (a new or zeroed backend), or asked for: format it.
        std::memset(area, 0, bytes);
        std::memcpy(header, &want, sizeof(want));
        out.fresh = true;
        return "";
    }
    const struct {
        const char *prop;
        uint64_t have, want;
    } fields[] = {
        {"lba-size", have.lba_size, want.lba_size},
        {"zone-size", have.zone_lbas * have.lba_size, want.zone_lbas * want.lba_size},
        {"zone-capacity", have.zone_cap_lbas * have.lba_size, want.zone_cap_lbas * want.lba_size},
        {"memdev", have.zones, want.zones},
        {"zone-extension-size", have.extension_bytes, want.extension_bytes},
    };
    if (have.version != kVersion) {
        // Version 1 had no drive state area: where it now lies were zones.
        return "property 'memdev': " + backing_store_name(rc) +
               fmt(" holds zone metadata of format version %u; this nvmev reads version %u "
                   "(which keeps the namespace state and marks beside the zones); set "
                   "reinit-metadata=on to format the metadata afresh (a new drive over the "
                   "data: zone states, marks and namespace state are lost), or use a new backend",
                   have.version, kVersion);
    }
    for (const auto &f : fields) {
        if (f.have != f.want) {
            return fmt(
                "property '%s': the memdev backend holds a zoned namespace formatted "
                "with %s %" PRIu64 " (zones: %" PRIu64 "), not %" PRIu64
                "; start with the same properties and backend size, or a new backend",
                f.prop, std::strcmp(f.prop, "memdev") ? f.prop : "zone count", f.have, have.zones,
                f.want);
        }
    }
    out.fresh = false;
    return "";
}

}  // namespace nvmev
