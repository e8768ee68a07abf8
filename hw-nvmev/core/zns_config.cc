// ssd=zns configuration: the zns presets, and the validation of the zone
// properties into the zone state machine's and the zone timing model's
// parameters. The NAND properties are shared with ssd=conv (conv_config.cc).
#include <algorithm>
#include <bit>
#include <cinttypes>

#include "config.h"
#include "drive_state.h"
#include "parameter_registry.h"
#include "zone_metadata.h"

namespace nvmev {
namespace {

using timing::CellType;

constexpr uint64_t kKiB = 1024, kMiB = 1024 * kKiB, kGiB = 1024 * kMiB;

// WD Ultrastar DC ZN540 as NVMeVirt's ssd_config.h (WD_ZN540) models it:
// 2 GiB zones over all 32 dies, a 960 KiB buffer per zone; tBERS 3.8 ms
// from MQSim's default ssdconfig.xml (NVMeVirt uses 0). 14 open/active
// zones as the drive reports (MOR = MAR = 13, 0's based).
ZnsPreset wd_zn540()
{
    ZnsPreset z;
    auto &p = z.nand;
    p.geo = {.channels = 8,
             .luns_per_channel = 4,
             .planes_per_lun = 1,
             .blocks_per_plane = 0,
             .pages_per_block = 0,
             .flash_page_bytes = 32768,
             .program_unit_bytes = 3 * 32768,
             .cell = CellType::Tlc};
    auto &t = p.timing;
    t.read_4k_ns = {50000, 50000, 50000, 0};
    t.read_page_ns = {58000, 58000, 58000, 0};
    t.program_ns = 561000;
    t.erase_ns = 3800000;
    t.channel_mbps = 450;
    t.channel_chunk_bytes = 32768;
    t.pcie_mbps = 3050;
    t.fw_read_4k_ns = 20000;
    t.fw_read_ns = 13000;
    t.fw_write_ns = 5600;
    t.fw_write_4k_ns = 600;
    p.write_buffer_bytes = 0;
    p.early_completion = true;
    p.rated_erase_cycles = 1000;
    z.zone_bytes = 2 * kGiB;
    z.zone_capacity_bytes = 0;
    z.zone_dies = 32;
    z.max_open = 14;
    z.max_active = 14;
    z.zone_write_buffer_bytes = 10 * 3 * 32768;  // ten one-shot programs
    return z;
}

// NVMeVirt's ZNS_PROTOTYPE: 32 MiB zones on one die each, 128 KiB programs,
// writes complete when programmed, a 32 MiB global buffer.
ZnsPreset zns_prototype()
{
    ZnsPreset z;
    auto &p = z.nand;
    p.geo = {.channels = 8,
             .luns_per_channel = 16,
             .planes_per_lun = 1,
             .blocks_per_plane = 0,
             .pages_per_block = 0,
             .flash_page_bytes = 65536,
             .program_unit_bytes = 2 * 65536,
             .cell = CellType::Tlc};
    auto &t = p.timing;
    t.read_4k_ns = {25485, 25485, 25485, 0};
    t.read_page_ns = {40950, 40950, 40950, 0};
    t.program_ns = 1913640;
    t.erase_ns = 3800000;
    t.channel_mbps = 800;
    t.channel_chunk_bytes = 65536;
    t.pcie_mbps = 3200;
    t.fw_read_4k_ns = 32150;
    t.fw_read_ns = 32150;
    t.fw_write_ns = 0;
    t.fw_write_4k_ns = 0;
    p.write_buffer_bytes = 8 * 16 * 2 * 65536 * 2;  // dies x program unit x 2 = 32 MiB
    p.early_completion = false;
    p.rated_erase_cycles = 1000;
    z.zone_bytes = 32 * kMiB;
    z.zone_capacity_bytes = 0;
    z.zone_dies = 1;
    z.max_open = 0;
    z.max_active = 0;
    z.zone_write_buffer_bytes = 0;
    return z;
}

// Zone properties while resolving (-1: not given).
struct ZoneWide {
    int64_t zone_size, zone_cap, zone_dies, max_open, max_active, zrwa_size, zrwa_fg, zrwa_zones,
        zone_wbuf, ext_size, zasl;
};

std::string size_str(uint64_t b)
{
    if (b && b % kGiB == 0) {
        return fmt("%" PRIu64 "G", b / kGiB);
    }
    if (b && b % kMiB == 0) {
        return fmt("%" PRIu64 "M", b / kMiB);
    }
    if (b && b % kKiB == 0) {
        return fmt("%" PRIu64 "K", b / kKiB);
    }
    return fmt("%" PRIu64, b);
}

// Nearest zone sizes below and above `zone` that are multiples of `unit`
// and divide `capacity`, for the error message.
std::string dividing_zone_sizes(uint64_t capacity, uint64_t zone, uint64_t unit)
{
    std::string out;
    for (uint64_t d = zone / unit * unit, steps = 0; d >= unit && steps < 4096 * 64;
         d -= unit, ++steps) {
        if (capacity % d == 0) {
            out = size_str(d);
            break;
        }
    }
    for (uint64_t d = (zone / unit + 1) * unit, steps = 0; d <= capacity && steps < 4096 * 64;
         d += unit, ++steps) {
        if (capacity % d == 0) {
            out += (out.empty() ? "" : ", ") + size_str(d);
            break;
        }
    }
    return out.empty() ? "none" : out;
}

}  // namespace

const ZnsPreset &zns_preset_zn540()
{
    static const ZnsPreset p = wd_zn540();
    return p;
}
const ZnsPreset &zns_preset_prototype()
{
    static const ZnsPreset p = zns_prototype();
    return p;
}

namespace {

ZoneWide zone_values(const ParamValues &v)
{
    return {v.num(P::ZoneSize, -1),
            v.num(P::ZoneCapacity, -1),
            v.num(P::ZoneDies, -1),
            v.num(P::MaxOpenZones, -1),
            v.num(P::MaxActiveZones, -1),
            v.num(P::ZrwaSize, -1),
            v.num(P::ZrwaFlushGranularity, -1),
            v.num(P::ZrwaZones, -1),
            v.num(P::ZoneWriteBufferSize, -1),
            v.num(P::ZoneExtensionSize, -1),
            v.num(P::ZoneAppendSizeLimit, -1)};
}

// A zone's shape in bytes, and the zones the capacity holds.
struct ZoneShape {
    uint64_t lba = 512;
    uint64_t zone = 0;  // zone size
    uint64_t cap = 0;   // zone capacity
    uint32_t zone_dies = 1;
    uint64_t unit = 0;      // planes x program unit: what one die takes in turn
    uint32_t ext = 0;       // descriptor extension
    uint64_t capacity = 0;  // whole zones
    uint64_t zones = 0;
};

bool zone_shape(const ZoneWide &w, const ZnsPreset &preset, const timing::NandGeometry &g0,
                ZoneShape &z, std::string &error)
{
    const uint64_t lba = z.lba;
    z.zone = w.zone_size < 0 ? preset.zone_bytes : static_cast<uint64_t>(w.zone_size);
    z.zone_dies = w.zone_dies < 0 ? std::min(preset.zone_dies, g0.dies())
                                  : static_cast<uint32_t>(w.zone_dies);
    if (z.zone % lba) {
        error = fmt("property 'zone-size': %s is not a multiple of lba-size %" PRIu64
                    " (%s or %s would be)",
                    size_str(z.zone).c_str(), lba, size_str(z.zone / lba * lba).c_str(),
                    size_str((z.zone / lba + 1) * lba).c_str());
        return false;
    }
    if (g0.dies() % z.zone_dies) {
        error =
            fmt("property 'zone-dies': %u does not divide the %u dies (channels x "
                "luns-per-channel)",
                z.zone_dies, g0.dies());
        return false;
    }
    // Units of U = planes x program unit go to the zone's dies in turn; the
    // zone's last unit may be partial (2 GiB over 32 dies of 96 KiB units).
    z.unit = uint64_t{g0.planes_per_lun} * g0.program_unit_bytes;
    z.cap = w.zone_cap < 0 ? (preset.zone_capacity_bytes ? preset.zone_capacity_bytes : z.zone)
                           : static_cast<uint64_t>(w.zone_cap);
    if (z.cap % lba || z.cap > z.zone) {
        error = fmt("property 'zone-capacity': %s must be a multiple of lba-size %" PRIu64
                    " and at most zone-size %s",
                    size_str(z.cap).c_str(), lba, size_str(z.zone).c_str());
        return false;
    }
    z.ext = w.ext_size < 0 ? 0 : static_cast<uint32_t>(w.ext_size);
    if (z.ext % 64) {
        error = fmt("property 'zone-extension-size': %u is not a multiple of 64", z.ext);
        return false;
    }
    return true;
}

// Capacity: whole zones. With a memdev the metadata area comes out of the
// backend; with size= it is allocated beside the data.
bool zone_count(const NvmevConfig &cfg, ZoneShape &z, std::string &error)
{
    const uint64_t zone = z.zone;
    uint64_t capacity = cfg.capacity_bytes;
    if (cfg.capacity_from_memdev) {
        // The drive state area (namespace state, marks) and the zone metadata.
        auto meta = [&](uint64_t zones) {
            return drive_state_bytes() + zone_metadata_bytes(zones, z.ext);
        };
        uint64_t n = capacity / zone;
        while (n > 0 && n * zone + meta(n) > capacity) {
            --n;
        }
        if (n == 0) {
            error = fmt("property 'memdev': a backend of %" PRIu64
                        " bytes holds no whole zone of zone-size %s beside the zone metadata "
                        "(%" PRIu64 " bytes); use at least %" PRIu64 " bytes",
                        capacity, size_str(zone).c_str(), meta(1), zone + meta(1));
            return false;
        }
        capacity = n * zone;
    } else if (capacity == 0) {
        capacity = std::max<uint64_t>(kGiB, 4 * zone);
        capacity = (capacity + zone - 1) / zone * zone;
    } else if (capacity % zone) {
        error =
            fmt("property 'zone-size': %s does not divide the capacity %s (size); zone sizes "
                "that would: %s; or size=%s or size=%s",
                size_str(zone).c_str(), size_str(capacity).c_str(),
                dividing_zone_sizes(capacity, zone, z.lba).c_str(),
                size_str(std::max(zone, capacity / zone * zone)).c_str(),
                size_str((capacity / zone + 1) * zone).c_str());
        return false;
    }
    z.capacity = capacity;
    z.zones = capacity / zone;
    if (z.zones > UINT32_MAX) {
        error = fmt("property 'zone-size': %s makes %" PRIu64 " zones (at most 2^32 - 1)",
                    size_str(zone).c_str(), z.zones);
        return false;
    }
    return true;
}

// A preset's limit is clamped to the zone count; a given one must fit.
bool zone_limit(const char *prop, int64_t given, uint32_t preset_value, uint64_t zones,
                uint32_t &out, std::string &error)
{
    if (given < 0) {
        out = static_cast<uint32_t>(std::min<uint64_t>(preset_value, zones));
        return true;
    }
    if (static_cast<uint64_t>(given) > zones) {
        error = fmt("property '%s': %" PRId64 " is larger than the zone count %" PRIu64
                    " (allowed: 0 = no limit, 1..%" PRIu64 ")",
                    prop, given, zones, zones);
        return false;
    }
    out = static_cast<uint32_t>(given);
    return true;
}

bool zone_limits(const ZoneWide &w, const ZnsPreset &preset, const ZoneShape &z,
                 ftl::ZoneConfig &zc, std::string &error)
{
    zc.zone_lbas = z.zone / z.lba;
    zc.zone_cap_lbas = z.cap / z.lba;
    zc.zones = static_cast<uint32_t>(z.zones);
    if (!zone_limit("max-open-zones", w.max_open, preset.max_open, z.zones, zc.max_open, error) ||
        !zone_limit("max-active-zones", w.max_active, preset.max_active, z.zones, zc.max_active,
                    error)) {
        return false;
    }
    // An open zone is active: under an active limit, the open limit is at
    // most that (no limit or a preset's larger one becomes it).
    if (zc.max_active && (zc.max_open == 0 || zc.max_open > zc.max_active)) {
        if (w.max_open > 0) {
            error =
                fmt("property 'max-open-zones': %u exceeds max-active-zones %u (an open zone "
                    "is also active)",
                    zc.max_open, zc.max_active);
            return false;
        }
        zc.max_open = zc.max_active;
    }
    return true;
}

// ZRWA: sizes in bytes, multiples of the LBA size; the spec's fields are
// 16-bit LBA counts.
bool zone_zrwa(const ZoneWide &w, const ZoneShape &z, ftl::ZoneConfig &zc, std::string &error)
{
    const uint64_t lba = z.lba;
    if (w.zrwa_size <= 0) {
        if (w.zrwa_fg > 0 || w.zrwa_zones > 0) {
            error = fmt("property '%s' needs zrwa-size",
                        w.zrwa_fg > 0 ? "zrwa-flush-granularity" : "zrwa-zones");
            return false;
        }
        return true;
    }
    const uint64_t zs = static_cast<uint64_t>(w.zrwa_size);
    const uint64_t fg = w.zrwa_fg < 0 ? lba : static_cast<uint64_t>(w.zrwa_fg);
    if (zs % lba || zs / lba > UINT16_MAX) {
        error = fmt("property 'zrwa-size': %s must be a multiple of lba-size %" PRIu64
                    " and at most 65535 LBAs",
                    size_str(zs).c_str(), lba);
        return false;
    }
    if (zs > z.cap) {
        error = fmt("property 'zrwa-size': %s is larger than a zone (zone-capacity %s)",
                    size_str(zs).c_str(), size_str(z.cap).c_str());
        return false;
    }
    if (fg % lba || zs % fg) {
        error = fmt("property 'zrwa-flush-granularity': %s must be a multiple of lba-size %" PRIu64
                    " that divides zrwa-size %s",
                    size_str(fg).c_str(), lba, size_str(zs).c_str());
        return false;
    }
    if (z.cap % fg) {
        error = fmt("property 'zrwa-flush-granularity': %s does not divide zone-capacity %s",
                    size_str(fg).c_str(), size_str(z.cap).c_str());
        return false;
    }
    zc.zrwa_lbas = static_cast<uint32_t>(zs / lba);
    zc.zrwa_fg_lbas = static_cast<uint32_t>(fg / lba);
    const uint64_t res = w.zrwa_zones > 0 ? static_cast<uint64_t>(w.zrwa_zones)
                         : zc.max_active  ? zc.max_active
                                          : std::min<uint64_t>(z.zones, 16);
    if (res > z.zones || (zc.max_active && res > zc.max_active)) {
        error = fmt("property 'zrwa-zones': %" PRIu64
                    " is larger than the zone count or max-active-zones",
                    res);
        return false;
    }
    zc.zrwa_resources = static_cast<uint32_t>(res);
    return true;
}

// Zone Append size limit: 4 KiB x 2^n, within MDTS.
bool zone_append_limit(const ZoneWide &w, ResolvedConfig &rc, std::string &error)
{
    const uint64_t zasl = w.zasl < 0 ? 0 : static_cast<uint64_t>(w.zasl);
    if (zasl) {
        if (zasl % 4096 || !std::has_single_bit(zasl / 4096) || zasl / 4096 > (1u << 31)) {
            error = fmt("property 'zone-append-size-limit': %s is not 4K times a power of two",
                        size_str(zasl).c_str());
            return false;
        }
        if (rc.mdts && zasl > rc.max_transfer_bytes()) {
            error = fmt("property 'zone-append-size-limit': %s exceeds mdts (%s)",
                        size_str(zasl).c_str(), size_str(rc.max_transfer_bytes()).c_str());
            return false;
        }
    }
    rc.zasl_bytes = zasl;
    return true;
}

// Write buffers: per zone, unless write-buffer-size is given and
// zone-write-buffer-size is not (then one global buffer).
bool zone_write_buffer(const ParamValues &v, const ZnsPreset &preset, const ftl::ConvParams &nand,
                       const ZoneShape &z, uint64_t &zone_wbuf, std::string &error)
{
    zone_wbuf = v.given(P::ZoneWriteBufferSize)
                    ? static_cast<uint64_t>(v.num(P::ZoneWriteBufferSize, 0))
                : v.given(P::WriteBufferSize) ? 0
                                              : preset.zone_write_buffer_bytes;
    if (zone_wbuf && zone_wbuf < z.unit) {
        error =
            fmt("property 'zone-write-buffer-size': %s is smaller than one program unit (%s = "
                "planes-per-lun x program-unit-size)",
                size_str(zone_wbuf).c_str(), size_str(z.unit).c_str());
        return false;
    }
    if (!zone_wbuf && nand.write_buffer_bytes < 2 * z.unit) {
        error =
            fmt("property 'write-buffer-size': %s is smaller than two program units (%s); "
                "give it, or zone-write-buffer-size",
                size_str(nand.write_buffer_bytes).c_str(), size_str(2 * z.unit).c_str());
        return false;
    }
    return true;
}

// NAND geometry: a zone's share of a die is one block on each plane.
bool zone_blocks(const ZoneShape &z, timing::NandGeometry &g, std::string &error)
{
    const uint64_t units_per_die = ((z.zone + z.unit - 1) / z.unit + z.zone_dies - 1) / z.zone_dies;
    if (units_per_die * g.pages_per_program() > UINT32_MAX) {
        error =
            fmt("property 'zone-size': %s needs more than 2^32 pages per block; use more "
                "zone-dies",
                size_str(z.zone).c_str());
        return false;
    }
    g.pages_per_block = static_cast<uint32_t>(units_per_die * g.pages_per_program());
    g.blocks_per_plane = static_cast<uint32_t>((z.zones * z.zone_dies + g.dies() - 1) / g.dies());
    return true;
}

void store_zns(const NvmevConfig &cfg, const ZoneShape &z, const ftl::ZoneConfig &zc,
               uint64_t zone_wbuf, ftl::ConvParams nand, ResolvedConfig &rc)
{
    nand.logical_bytes = z.capacity;
    rc.capacity_bytes = z.capacity;
    ftl::ZnsParams &zp = rc.zns;
    zp.zones = zc;
    zp.media.geo = nand.geo;
    zp.media.timing = nand.timing;
    zp.media.zone_bytes = z.zone;
    zp.media.zones = zc.zones;
    zp.media.dies_per_zone = z.zone_dies;
    zp.media.zone_write_buffer_bytes = zone_wbuf;
    zp.media.write_buffer_bytes = zone_wbuf ? 0 : nand.write_buffer_bytes;
    zp.media.early_completion = nand.early_completion;
    zp.lba_shift = rc.lba_shift();
    zp.extension_bytes = z.ext;
    zp.rated_erase_cycles = nand.rated_erase_cycles;
    nand.write_buffer_bytes = zp.media.write_buffer_bytes;
    rc.conv = nand;  // the NAND part, for parameter reporting
    rc.state_bytes = cfg.capacity_from_memdev ? drive_state_bytes() : 0;
    rc.metadata_bytes = rc.state_bytes + zone_metadata_bytes(zc.zones, z.ext);
    // The metadata ends where the backing store ends, so its header sits in
    // the backend's last page whatever the zone format (a memdev written
    // with another zone size is recognised, not misread).
    rc.metadata_offset =
        cfg.capacity_from_memdev ? cfg.capacity_bytes - rc.metadata_bytes : z.capacity;
}

}  // namespace

bool resolve_zns(const NvmevConfig &cfg, const ParamValues &v, const ZnsPreset &preset,
                 ResolvedConfig &rc, std::string &error)
{
    ftl::ConvParams nand = preset.nand;
    if (!apply_nand_properties(v, nand, error)) {
        return false;
    }
    const ZoneWide w = zone_values(v);
    ZoneShape z;
    z.lba = rc.lba_size;
    ftl::ZoneConfig zc;
    uint64_t zone_wbuf = 0;
    if (!zone_shape(w, preset, nand.geo, z, error) || !zone_count(cfg, z, error) ||
        !zone_limits(w, preset, z, zc, error) || !zone_zrwa(w, z, zc, error) ||
        !zone_append_limit(w, rc, error) ||
        !zone_write_buffer(v, preset, nand, z, zone_wbuf, error) ||
        !zone_blocks(z, nand.geo, error)) {
        return false;
    }
    store_zns(cfg, z, zc, zone_wbuf, nand, rc);
    return true;
}

}  // namespace nvmev
