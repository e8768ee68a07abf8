// ssd=conv configuration: the conv presets, and the resolution of the
// geometry, FTL and timing parameters over a preset.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <iterator>

#include "../ftl/nand_timing_fields.h"
#include "config.h"
#include "drive_state.h"
#include "parameter_registry.h"

namespace nvmev {
namespace {

using ftl::ConvParams;
using timing::CellType;

// Samsung 970 PRO as NVMeVirt's ssd_config.h models it (design.md, section
// 2), with a real erase time (MQSim's default 3.8 ms; NVMeVirt uses 0) and
// 16-page blocks so that a small emulated drive still has many lines.
ConvParams samsung_970pro()
{
    ConvParams p;
    p.geo = {.channels = 8,
             .luns_per_channel = 2,
             .planes_per_lun = 1,
             .blocks_per_plane = 0,
             .pages_per_block = 16,
             .flash_page_bytes = 32768,
             .program_unit_bytes = 32768,
             .cell = CellType::Mlc};
    auto &t = p.timing;
    t.read_4k_ns = {29760, 0, 41760, 0};
    t.read_page_ns = {30010, 0, 42010, 0};
    t.program_ns = 185000;
    t.erase_ns = 3800000;
    // NVMeVirt's 800 and 3360 "MB/s" are MiB/s (its MB() is 2^20 bytes):
    // 838.86 and 3523.2 in the properties' 10^6 B/s (docs/models.md).
    t.channel_mbps = 839;
    t.channel_chunk_bytes = 16384;
    t.pcie_mbps = 3523;
    t.fw_read_4k_ns = 21500;
    t.fw_read_ns = 30490;
    t.fw_write_ns = 4000;
    t.fw_write_4k_ns = 460;
    p.partitions = 4;
    p.op_percent = 7;
    p.write_buffer_bytes = 8 * 2 * 32768 * 2;  // channels x LUNs x program unit x 2
    p.early_completion = true;
    p.rated_erase_cycles = 3000;
    return p;
}

// A TLC drive with the NAND, channel, PCIe and firmware figures NVMeVirt
// uses for the WD ZN540 (design.md), as a conventional SSD: 32 dies,
// 96 KiB one-shot programs of three 32 KiB pages.
ConvParams generic_tlc()
{
    ConvParams p;
    p.geo = {.channels = 8,
             .luns_per_channel = 4,
             .planes_per_lun = 1,
             .blocks_per_plane = 0,
             .pages_per_block = 48,
             .flash_page_bytes = 32768,
             .program_unit_bytes = 98304,
             .cell = CellType::Tlc};
    auto &t = p.timing;
    t.read_4k_ns = {50000, 50000, 50000, 0};
    t.read_page_ns = {58000, 58000, 58000, 0};
    t.program_ns = 561000;
    t.erase_ns = 3800000;
    t.channel_mbps = 450;
    t.channel_chunk_bytes = 16384;
    t.pcie_mbps = 3050;
    t.fw_read_4k_ns = 20000;
    t.fw_read_ns = 13000;
    t.fw_write_ns = 5600;
    t.fw_write_4k_ns = 600;
    p.partitions = 4;
    p.op_percent = 7;
    p.write_buffer_bytes = 32 * 98304 * 2;  // dies x program unit x 2
    p.early_completion = true;
    p.rated_erase_cycles = 1000;
    return p;
}

// Geometry and FTL values are held here as int64_t while resolving.
struct Wide {
    int64_t channels, luns, planes, blocks, pages, flash_page, program_unit, chunk, op, partitions,
        wbuf, fg, bg, cycles;
};

}  // namespace

const ConvParams &conv_preset_970pro()
{
    static const ConvParams p = samsung_970pro();
    return p;
}
const ConvParams &conv_preset_generic_tlc()
{
    static const ConvParams p = generic_tlc();
    return p;
}

namespace {

// Where each geometry and FTL parameter lands while resolving.
struct GeoField {
    P id;
    int64_t Wide::*field;
};

const GeoField kGeoFields[] = {
    {P::Channels, &Wide::channels},
    {P::LunsPerChannel, &Wide::luns},
    {P::PlanesPerLun, &Wide::planes},
    {P::BlocksPerPlane, &Wide::blocks},
    {P::PagesPerBlock, &Wide::pages},
    {P::FlashPageSize, &Wide::flash_page},
    {P::ProgramUnitSize, &Wide::program_unit},
    {P::ChannelChunkSize, &Wide::chunk},
    {P::OpPercent, &Wide::op},
    {P::Partitions, &Wide::partitions},
    {P::WriteBufferSize, &Wide::wbuf},
    {P::GcThresholdFg, &Wide::fg},
    {P::GcThresholdBg, &Wide::bg},
    {P::EraseCycles, &Wide::cycles},
};

Wide widen(const ConvParams &p)
{
    return {p.geo.channels,
            p.geo.luns_per_channel,
            p.geo.planes_per_lun,
            p.geo.blocks_per_plane,
            p.geo.pages_per_block,
            p.geo.flash_page_bytes,
            p.geo.program_unit_bytes,
            p.timing.channel_chunk_bytes,
            p.op_percent,
            p.partitions,
            static_cast<int64_t>(p.write_buffer_bytes),
            p.gc_fg_free_lines,
            p.gc_bg_free_lines,
            p.rated_erase_cycles};
}

void narrow(const Wide &w, ConvParams &p)
{
    p.geo.channels = static_cast<uint32_t>(w.channels);
    p.geo.luns_per_channel = static_cast<uint32_t>(w.luns);
    p.geo.planes_per_lun = static_cast<uint32_t>(w.planes);
    p.geo.blocks_per_plane = static_cast<uint32_t>(w.blocks);
    p.geo.pages_per_block = static_cast<uint32_t>(w.pages);
    p.geo.flash_page_bytes = static_cast<uint32_t>(w.flash_page);
    p.geo.program_unit_bytes = static_cast<uint32_t>(w.program_unit);
    p.timing.channel_chunk_bytes = static_cast<uint32_t>(w.chunk);
    p.op_percent = static_cast<uint32_t>(w.op);
    p.partitions = static_cast<uint32_t>(w.partitions);
    p.write_buffer_bytes = static_cast<uint64_t>(w.wbuf);
    p.gc_fg_free_lines = static_cast<uint32_t>(w.fg);
    p.gc_bg_free_lines = static_cast<uint32_t>(w.bg);
    p.rated_erase_cycles = static_cast<uint32_t>(w.cycles);
}

// The cross-checks of the geometry the FTL needs.
bool check_conv_geometry(const ConvParams &p, std::string &error)
{
    const auto &g = p.geo;
    if (g.pages_per_block % g.pages_per_program()) {
        error =
            fmt("property 'pages-per-block': %u is not a multiple of the %u flash pages one "
                "program covers (program-unit-size / flash-page-size)",
                g.pages_per_block, g.pages_per_program());
        return false;
    }
    if (g.dies() % p.partitions) {
        error =
            fmt("property 'partitions': %u does not divide the %u dies (channels x "
                "luns-per-channel)",
                p.partitions, g.dies());
        return false;
    }
    const uint64_t min_wbuf = uint64_t{p.partitions} * g.planes_per_lun * g.program_unit_bytes;
    if (p.write_buffer_bytes < min_wbuf) {
        error = fmt("property 'write-buffer-size': %" PRIu64
                    " bytes is smaller than one program unit per partition (%" PRIu64
                    " = partitions x planes-per-lun x program-unit-size)",
                    p.write_buffer_bytes, min_wbuf);
        return false;
    }
    if (p.gc_bg_free_lines < p.gc_fg_free_lines) {
        error = fmt("property 'gc-threshold-bg': %u is below gc-threshold-fg %u",
                    p.gc_bg_free_lines, p.gc_fg_free_lines);
        return false;
    }
    return true;
}

// blocks-per-plane: derived from the capacity, or checked against it; then
// the FTL's limit of 2^32 pages per partition.
bool size_conv_blocks(ConvParams &p, std::string &error)
{
    auto &g = p.geo;
    const uint32_t min_lines = std::max(ftl::kMinLinesPerPartition, p.gc_bg_free_lines + 4);
    // The lines GC keeps free and the two open lines (user and GC write
    // pointers) come on top of over-provisioning, so that op-percent is
    // the spare space GC actually works with.
    const uint32_t need =
        ftl::conv_blocks_per_plane(g, p.logical_bytes, p.op_percent) + p.gc_fg_free_lines + 2;
    if (g.blocks_per_plane == 0) {
        g.blocks_per_plane = std::max(need, min_lines);
    } else if (g.blocks_per_plane < need || g.blocks_per_plane < min_lines) {
        error = fmt("property 'blocks-per-plane': %u blocks are too few: the capacity (%" PRIu64
                    " bytes) plus op-percent %u%% and GC's reserve need %u, and a partition "
                    "needs at least %u lines (gc-threshold-bg + 4); 0 derives it",
                    g.blocks_per_plane, p.logical_bytes, p.op_percent, need, min_lines);
        return false;
    }
    // In 128 bits: the product of in-range properties can pass 2^64.
    const unsigned __int128 slots_per_partition = static_cast<unsigned __int128>(g.block_bytes()) *
                                                  g.blocks_per_plane * g.planes_per_lun * g.dies() /
                                                  4096 / p.partitions;
    if (slots_per_partition >= (static_cast<unsigned __int128>(1) << 32)) {
        error = fmt(
            "property 'partitions': %u partitions of %" PRIu64
            " pages each exceed the FTL's 2^32 pages per partition; use more partitions",
            p.partitions,
            static_cast<uint64_t>(std::min<unsigned __int128>(slots_per_partition, UINT64_MAX)));
        return false;
    }
    return true;
}

}  // namespace

bool apply_nand_properties(const ParamValues &v, ConvParams &p, std::string &error)
{
    Wide w = widen(p);
    for (const GeoField &f : kGeoFields) {
        w.*f.field = v.num(f.id, w.*f.field);
    }
    narrow(w, p);
    const auto &tf = ftl::nand_timing_fields();
    for (size_t i = 0; i < tf.size(); ++i) {
        const P id = static_cast<P>(static_cast<size_t>(P::TimingFirst) + i);
        tf[i].ref(p.timing) = v.num(id, tf[i].ref(p.timing));
    }
    if (v.given(P::CellType)) {
        p.geo.cell = static_cast<CellType>(v.num(P::CellType, 0) + 1);  // slc is 1
    }
    p.early_completion = v.num(P::EarlyCompletion, p.early_completion) != 0;
    p.timing.die_busy_during_transfer =
        v.num(P::DieBusyDuringTransfer, p.timing.die_busy_during_transfer) != 0;
    const auto &g = p.geo;
    if (g.flash_page_bytes % 4096) {
        error = fmt("property 'flash-page-size': %u is not a multiple of 4096", g.flash_page_bytes);
        return false;
    }
    if (g.program_unit_bytes % g.flash_page_bytes) {
        error = fmt("property 'program-unit-size': %u is not a multiple of flash-page-size %u",
                    g.program_unit_bytes, g.flash_page_bytes);
        return false;
    }
    return true;
}

bool resolve_conv(const ParamValues &v, const ConvParams &preset, ResolvedConfig &rc,
                  std::string &error)
{
    ConvParams p = preset;
    if (!apply_nand_properties(v, p, error)) {
        return false;
    }
    p.gc_policy = static_cast<ftl::GcPolicy>(v.num(P::GcPolicy, static_cast<int64_t>(p.gc_policy)));
    p.logical_bytes = rc.capacity_bytes;
    if (!check_conv_geometry(p, error) || !size_conv_blocks(p, error)) {
        return false;
    }
    rc.conv = p;
    return true;
}

bool reserve_drive_state(const NvmevConfig &cfg, const ParamValues &v,
                         const ftl::ConvParams &preset, ResolvedConfig &rc, std::string &error)
{
    if (!cfg.capacity_from_memdev) {
        return true;  // size=: anonymous memory, gone at exit; nothing to keep
    }
    // Sized for the whole backend first: an upper bound, since the state
    // shrinks with the capacity.
    if (!reserve_state_at_end(drive_state_bytes(rc.conv), rc, error)) {
        return false;
    }
    // The FTL sized for the capacity that is left.
    return resolve_conv(v, preset, rc, error);
}

}  // namespace nvmev
