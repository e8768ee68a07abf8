// ssd=conv configuration: presets, overrides through the parameter table,
// and the exact errors that name the offending property.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../ftl/conv_ftl.h"
#include "config.h"
#include "config_fixture.h"

using nvmev::resolve_config;
using nvmev::ResolvedConfig;
using nvmev::SsdKind;

namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kGiB = 1024 * kMiB;

// ssd=conv, 1 GiB unless given.
struct Cfg : nvmev::test::Cfg {
    explicit Cfg(const char *ssd = "conv", uint64_t capacity = kGiB)
        : nvmev::test::Cfg(ssd, capacity)
    {
    }
};

}  // namespace

TEST(ConvConfig, ParameterTableMatchesTheCoreApi)
{
    const auto &table = nvmev::param_table();
    ASSERT_EQ(table.size(), nvmev_core_param_count());
    // 14 geometry/FTL parameters, the 16 timing ones, 11 of ssd=zns, 3 of
    // ssd=kv, 2 of ssd=conv's persistence, die-busy-during-transfer.
    ASSERT_EQ(table.size(), 47u);
    EXPECT_STREQ(table[0].name, "channels");
    EXPECT_STREQ(table[14].name, "nand-read-4k-lsb-ns");
    EXPECT_STREQ(nvmev_core_param_info(29)->name, "fw-write-4k-ns");
    EXPECT_STREQ(nvmev_core_param_info(30)->name, "zone-size");
    EXPECT_STREQ(nvmev_core_param_info(40)->name, "zone-append-size-limit");
    EXPECT_STREQ(nvmev_core_param_info(41)->name, "kv-max-keys");
    EXPECT_STREQ(nvmev_core_param_info(44)->name, "checkpoint-interval-ms");
    EXPECT_STREQ(nvmev_core_param_info(45)->name, "reinit-metadata");
    EXPECT_STREQ(nvmev_core_param_info(46)->name, "die-busy-during-transfer");
    EXPECT_EQ(nvmev_core_param_info(47), nullptr);
}

TEST(ConvConfig, ConvDefaultsToTheSamsung970Pro)
{
    const ResolvedConfig rc = Cfg().resolve();
    EXPECT_EQ(rc.kind, SsdKind::Conv);
    EXPECT_EQ(rc.preset, "samsung-970pro");
    EXPECT_EQ(rc.model, "Samsung SSD 970 PRO (nvmev)");
    EXPECT_EQ(rc.lba_size, 512u);
    EXPECT_EQ(rc.mdts, 6u);
    const auto &p = rc.conv;
    EXPECT_EQ(p.geo.channels, 8u);
    EXPECT_EQ(p.geo.luns_per_channel, 2u);
    EXPECT_EQ(p.geo.pages_per_block, 16u);
    EXPECT_EQ(p.geo.cell, nvmev::timing::CellType::Mlc);
    EXPECT_EQ(p.partitions, 4u);
    EXPECT_EQ(p.logical_bytes, kGiB);
    // 1 GiB x 1.07 over 16 dies x 512 KiB blocks (8 MiB a row):
    // ceil(136.96) = 137, plus GC's reserve: 2 free lines (gc-threshold-fg)
    // and the open user and GC lines.
    EXPECT_EQ(p.geo.blocks_per_plane, 137u + 2 + 2);
    EXPECT_EQ(p.write_buffer_bytes, 1 * kMiB);
    EXPECT_EQ(p.timing.program_ns, 185000);
    EXPECT_EQ(p.timing.read_4k_ns[nvmev::timing::kMsb], 41760);
    EXPECT_EQ(p.gc_policy, nvmev::ftl::GcPolicy::Greedy);
    EXPECT_TRUE(p.early_completion);
}

TEST(ConvConfig, GenericTlcPreset)
{
    Cfg cfg;
    cfg.c.preset = "generic-tlc";
    const ResolvedConfig rc = cfg.resolve();
    EXPECT_EQ(rc.preset, "generic-tlc");
    EXPECT_EQ(rc.conv.geo.dies(), 32u);
    EXPECT_EQ(rc.conv.geo.pages_per_program(), 3u);
    EXPECT_EQ(rc.conv.geo.cell, nvmev::timing::CellType::Tlc);
    // 1 GiB x 1.07 over 32 dies x 1.5 MiB blocks (48 MiB): ceil(22.8),
    // plus the 4 reserve lines.
    EXPECT_EQ(rc.conv.geo.blocks_per_plane, 23u + 4);
}

TEST(ConvConfig, PropertiesOverrideThePreset)
{
    Cfg cfg;
    cfg.set("channels", 4).set("partitions", 2).set("nand-program-ns", 1000);
    cfg.set("blocks-per-plane", 300);
    cfg.c.cell_type = "tlc";
    cfg.c.gc_policy = "cost-benefit";
    cfg.c.early_completion = 2;  // off
    const ResolvedConfig rc = cfg.resolve();
    EXPECT_EQ(rc.conv.geo.channels, 4u);
    EXPECT_EQ(rc.conv.partitions, 2u);
    EXPECT_EQ(rc.conv.geo.blocks_per_plane, 300u);
    EXPECT_EQ(rc.conv.timing.program_ns, 1000);
    EXPECT_EQ(rc.conv.timing.erase_ns, 3800000);  // still the preset's
    EXPECT_EQ(rc.conv.geo.cell, nvmev::timing::CellType::Tlc);
    EXPECT_EQ(rc.conv.gc_policy, nvmev::ftl::GcPolicy::CostBenefit);
    EXPECT_FALSE(rc.conv.early_completion);
    EXPECT_FALSE(rc.conv.timing.die_busy_during_transfer);
    cfg.set("die-busy-during-transfer", 1);
    EXPECT_TRUE(cfg.resolve().conv.timing.die_busy_during_transfer);
}

TEST(ConvConfig, GeometryErrorsNameTheProperty)
{
    {
        Cfg cfg;
        cfg.set("partitions", 3);
        EXPECT_EQ(cfg.error(),
                  "property 'partitions': 3 does not divide the 16 dies (channels x "
                  "luns-per-channel)");
    }
    {
        Cfg cfg;  // 4 partitions x 1 plane x 32 KiB
        cfg.set("write-buffer-size", 65536);
        EXPECT_EQ(cfg.error(),
                  "property 'write-buffer-size': 65536 bytes is smaller than one program unit "
                  "per partition (131072 = partitions x planes-per-lun x program-unit-size)");
    }
    {
        Cfg cfg;
        cfg.set("channels", 0);
        EXPECT_EQ(cfg.error(), "property 'channels': 0 is out of range (allowed: 1..64)");
    }
    {
        Cfg cfg;
        cfg.set("op-percent", 0);
        EXPECT_EQ(cfg.error(), "property 'op-percent': 0 is out of range (allowed: 1..100)");
    }
    {
        Cfg cfg;
        cfg.set("op-percent", 101);
        EXPECT_EQ(cfg.error(), "property 'op-percent': 101 is out of range (allowed: 1..100)");
    }
    {
        Cfg cfg;
        cfg.set("blocks-per-plane", 100);
        EXPECT_EQ(cfg.error(),
                  "property 'blocks-per-plane': 100 blocks are too few: the capacity "
                  "(1073741824 bytes) plus op-percent 7% and GC's reserve need 141, and a "
                  "partition needs at least 8 lines (gc-threshold-bg + 4); 0 derives it");
    }
    {
        // 8 MiB needs 2 blocks a plane, plus the reserve: 6; but
        // gc-threshold-bg 6 needs 6 + 4 lines.
        Cfg cfg("conv", 8 * kMiB);
        cfg.set("blocks-per-plane", 8).set("gc-threshold-bg", 6);
        EXPECT_EQ(cfg.error(),
                  "property 'blocks-per-plane': 8 blocks are too few: the capacity (8388608 "
                  "bytes) plus op-percent 7% and GC's reserve need 6, and a partition needs at "
                  "least 10 lines (gc-threshold-bg + 4); 0 derives it");
    }
    {
        Cfg cfg;
        cfg.set("flash-page-size", 6144);
        EXPECT_EQ(cfg.error(), "property 'flash-page-size': 6144 is not a multiple of 4096");
    }
    {
        Cfg cfg;
        cfg.set("program-unit-size", 49152);
        EXPECT_EQ(cfg.error(),
                  "property 'program-unit-size': 49152 is not a multiple of flash-page-size "
                  "32768");
    }
    {
        Cfg cfg;
        cfg.set("program-unit-size", 3 * 32768);  // 16 pages a block
        EXPECT_EQ(cfg.error(),
                  "property 'pages-per-block': 16 is not a multiple of the 3 flash pages one "
                  "program covers (program-unit-size / flash-page-size)");
    }
    {
        Cfg cfg;
        cfg.set("gc-threshold-fg", 3).set("gc-threshold-bg", 2);
        EXPECT_EQ(cfg.error(), "property 'gc-threshold-bg': 2 is below gc-threshold-fg 3");
    }
    {
        // 2^24 blocks of 512 KiB on 16 dies: 2^35 pages in 4 partitions.
        Cfg cfg;
        cfg.set("blocks-per-plane", 1 << 24);
        EXPECT_EQ(cfg.error(),
                  "property 'partitions': 4 partitions of 8589934592 pages each exceed the "
                  "FTL's 2^32 pages per partition; use more partitions");
    }
}

TEST(ConvConfig, TimingErrorsNameTheProperty)
{
    {
        Cfg cfg;
        cfg.set("channel-mbps", 0);
        EXPECT_EQ(cfg.error(), "property 'channel-mbps': 0 is out of range (allowed: >= 1)");
    }
    {
        Cfg cfg;
        cfg.set("nand-program-ns", -5);
        EXPECT_EQ(cfg.error(),
                  "property 'nand-program-ns': -5 is out of range (allowed: 0..1000000000000)");
    }
    {
        Cfg cfg;
        cfg.set("nand-erase-ns", 1'000'000'000'001);
        EXPECT_EQ(cfg.error(),
                  "property 'nand-erase-ns': 1000000000001 is out of range (allowed: "
                  "0..1000000000000)");
    }
}

TEST(ConvConfig, StringPropertiesRejectUnknownValues)
{
    {
        Cfg cfg;
        cfg.c.cell_type = "plc";
        EXPECT_EQ(cfg.error(),
                  "property 'cell-type': unknown cell type 'plc' (allowed: slc, mlc, tlc, qlc)");
    }
    {
        Cfg cfg;
        cfg.c.gc_policy = "fifo";
        EXPECT_EQ(cfg.error(),
                  "property 'gc-policy': unknown policy 'fifo' (allowed: greedy, cost-benefit)");
    }
}

TEST(ConvConfig, PropertiesOfTheOtherKindAreRejected)
{
    {
        Cfg cfg;
        cfg.c.read_latency_ns = 1000;
        EXPECT_EQ(cfg.error(),
                  "property 'read-latency-ns' applies to ssd=nvm and to ssd=kv with "
                  "kv-backend=simple (ssd=conv is timed by its NAND, channel, PCIe and firmware "
                  "properties)");
    }
    {
        Cfg cfg("nvm");
        cfg.set("channels", 4);
        EXPECT_EQ(cfg.error(), "property 'channels' applies to ssd=conv and ssd=zns only");
    }
    {
        Cfg cfg("nvm");
        cfg.c.cell_type = "tlc";
        EXPECT_EQ(cfg.error(), "property 'cell-type' applies to ssd=conv and ssd=zns only");
    }
    {
        Cfg cfg("nvm");
        cfg.c.preset = "generic-tlc";
        EXPECT_EQ(cfg.error(),
                  "property 'preset': 'generic-tlc' is not a preset for ssd=nvm (allowed: "
                  "intel-p4800x, intel-p5800x)");
    }
}

TEST(ConvConfig, SizeOverflowIsCaughtByTheValidation)
{
    // Every value is in its property's range: 1 MiB flash pages and
    // program units, 2^16 pages a block, 2^24 blocks a plane, 16 planes,
    // 64 x 64 dies in 4096 partitions, a 64 GiB write buffer (the
    // minimum: 4096 x 16 x 1 MiB). The NAND is 2^76 bytes: 2^52 pages per
    // partition.
    Cfg cfg;
    cfg.set("flash-page-size", 1 << 20).set("program-unit-size", 1 << 20);
    cfg.set("pages-per-block", 1 << 16).set("blocks-per-plane", 1 << 24);
    cfg.set("planes-per-lun", 16).set("channels", 64).set("luns-per-channel", 64);
    cfg.set("partitions", 4096).set("write-buffer-size", int64_t{1} << 36);
    // The product passes 2^64: the check must not wrap.
    EXPECT_EQ(cfg.error(),
              "property 'partitions': 4096 partitions of 4503599627370496 pages each exceed the "
              "FTL's 2^32 pages per partition; use more partitions");
}

TEST(ConvConfig, DerivedBlocksLeaveGarbageCollectionItsSpareLines)
{
    // The preset at 64 MiB (the size the guest tests use): 64 MiB x 1.07
    // over 8 MiB block rows = 8.56 -> 9 blocks a plane, i.e. 9 lines of
    // 2 MiB per partition for 8 lines of data. That 0.56 spare line is
    // less than what GC keeps (2 free lines, the open user and GC lines),
    // so the derivation adds those: 13.
    const ResolvedConfig rc = Cfg("conv", 64 * kMiB).resolve();
    ASSERT_EQ(rc.conv.geo.blocks_per_plane, 9u + 4);
    // Fill the drive, then overwrite at random. Without the reserve the
    // first overwrite threw "no free line for a write pointer" (the
    // controller then fails), and slightly larger drives ran at a WAF in
    // the hundreds.
    auto f = nvmev::ftl::make_conv_ftl(rc.conv);
    using nvmev::ftl::MediaOp;
    int64_t now = 0;
    const uint64_t pages = 64 * kMiB / 4096;
    for (uint64_t lpn = 0; lpn < pages; lpn += 32, now += 1000000) {
        f->submit({MediaOp::Write, lpn * 8, 256, 32 * 4096, false, now});
    }
    std::mt19937_64 rng(1);
    for (int i = 0; i < 20000; ++i, now += 20000) {
        const uint64_t lpn = rng() % pages;
        ASSERT_NO_THROW(f->submit({MediaOp::Write, lpn * 8, 8, 4096, false, now})) << i;
    }
    EXPECT_EQ(f->check_invariants(), "");
    const auto s = f->stats(now);
    EXPECT_GT(s.gc_runs, 0u);
    EXPECT_GT(s.free_lines, 0u);
    // Random overwrites of a full drive with 7 % spare: about 5 (the
    // textbook greedy estimate is near 1 / (2 x 0.07) = 7).
    EXPECT_LT(static_cast<double>(s.nand_pages_written) / s.host_pages_written, 10.0);
}

TEST(ConvConfig, KindErrorsFollowTheRegistryScopes)
{
    {
        Cfg cfg("nvm");
        cfg.c.gc_policy = "greedy";
        EXPECT_EQ(cfg.error(), "property 'gc-policy' applies to ssd=conv only");
    }
    {
        Cfg cfg("zns");
        cfg.c.gc_policy = "greedy";
        EXPECT_EQ(cfg.error(),
                  "property 'gc-policy' applies to ssd=conv only (ssd=zns derives it from the "
                  "zone geometry or has no such policy)");
    }
    {
        Cfg cfg("kv");
        cfg.set("op-percent", 10);
        EXPECT_EQ(cfg.error(),
                  "property 'op-percent' applies to ssd=conv and ssd=kv with kv-backend=parallel");
    }
    {
        Cfg cfg;
        cfg.set("blocks-per-plane", 1 << 25);
        EXPECT_EQ(cfg.error(),
                  "property 'blocks-per-plane': 33554432 is out of range (allowed: 0..16777216)");
    }
    {
        Cfg cfg;
        cfg.set("channel-chunk-size", 256);
        EXPECT_EQ(cfg.error(),
                  "property 'channel-chunk-size': 256 is out of range (allowed: 512..4194304)");
    }
}
