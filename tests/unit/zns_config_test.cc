// ssd=zns configuration: presets, capacity in whole zones (size= and
// memdev), the metadata area, and the errors that name the property.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config.h"
#include "config_fixture.h"
#include "drive_state.h"
#include "zone_metadata.h"

using nvmev::resolve_config;
using nvmev::ResolvedConfig;

namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kGiB = 1024 * kMiB;

// ssd=zns; capacity 0: the kind's default.
struct Cfg : nvmev::test::Cfg {
    explicit Cfg(uint64_t capacity = 0, const char *preset = nullptr)
        : nvmev::test::Cfg("zns", capacity, preset)
    {
    }
};

TEST(ZnsConfig, Zn540PresetByDefault)
{
    const ResolvedConfig rc = Cfg().resolve();
    EXPECT_EQ(rc.preset, "wd-zn540");
    // Default capacity: max(1 GiB, 4 zones) = 4 x 2 GiB.
    EXPECT_EQ(rc.capacity_bytes, 8 * kGiB);
    const auto &z = rc.zns;
    EXPECT_EQ(z.zones.zones, 4u);
    EXPECT_EQ(z.zones.zone_lbas, 2 * kGiB / 512);
    EXPECT_EQ(z.zones.zone_cap_lbas, z.zones.zone_lbas);
    EXPECT_EQ(z.zones.max_open, 4u);  // the drive's 14, clamped to 4 zones
    EXPECT_EQ(z.zones.max_active, 4u);
    EXPECT_EQ(z.media.dies_per_zone, 32u);
    EXPECT_EQ(z.media.zone_write_buffer_bytes, 960 * 1024u);
    EXPECT_EQ(z.media.write_buffer_bytes, 0u);
    EXPECT_TRUE(z.media.early_completion);
    EXPECT_EQ(z.media.timing.program_ns, 561000);
    // 2 GiB / 96 KiB = 21845.3 units, 683 per die: a block of 683 programs
    // of 3 pages; the zone's last unit is partial.
    EXPECT_EQ(z.media.geo.pages_per_block, 2049u);
    EXPECT_EQ(z.media.geo.blocks_per_plane, 4u);
    // Metadata: header page, 4 records in one page, no extensions.
    EXPECT_EQ(rc.metadata_bytes, 8192u);
}

TEST(ZnsConfig, PrototypePreset)
{
    const ResolvedConfig rc = Cfg(256 * kMiB, "zns-prototype").resolve();
    const auto &z = rc.zns;
    EXPECT_EQ(z.zones.zones, 8u);
    EXPECT_EQ(z.zones.max_open, 0u);
    EXPECT_EQ(z.media.dies_per_zone, 1u);
    EXPECT_EQ(z.media.zone_write_buffer_bytes, 0u);
    EXPECT_EQ(z.media.write_buffer_bytes, 32 * kMiB);
    EXPECT_FALSE(z.media.early_completion);
    EXPECT_EQ(z.media.timing.program_ns, 1913640);
    EXPECT_EQ(z.media.geo.pages_per_block, 512u);
}

TEST(ZnsConfig, MemdevCapacityIsWholeZonesBesideTheMetadata)
{
    // The drive state area (536576 bytes), the zone header and records.
    EXPECT_EQ(nvmev::drive_state_bytes(), 536576u);
    Cfg cfg(64 * kMiB + 536576 + 8192, "zns-prototype");
    cfg.c.capacity_from_memdev = 1;
    cfg.set("zone-size", 16 * kMiB);
    EXPECT_EQ(cfg.resolve().capacity_bytes, 64 * kMiB);
    Cfg tight(64 * kMiB, "zns-prototype");
    tight.c.capacity_from_memdev = 1;
    tight.set("zone-size", 16 * kMiB);
    EXPECT_EQ(tight.resolve().capacity_bytes, 48 * kMiB);
    Cfg tiny(4 * kMiB, "zns-prototype");
    tiny.c.capacity_from_memdev = 1;
    tiny.set("zone-size", 16 * kMiB);
    EXPECT_EQ(tiny.error(),
              "property 'memdev': a backend of 4194304 bytes holds no whole zone of zone-size "
              "16M beside the zone metadata (544768 bytes); use at least 17321984 bytes");
    EXPECT_EQ(nvmev::zone_metadata_bytes(200, 64), 4096u + 8192u + 16384u);
}

TEST(ZnsConfig, ErrorsNameThePropertyAndWhatWouldFit)
{
    {
        Cfg cfg(1 * kGiB, "zns-prototype");
        cfg.set("zone-size", 96 * kMiB);
        EXPECT_EQ(cfg.error(),
                  "property 'zone-size': 96M does not divide the capacity 1G (size); zone sizes "
                  "that would: 64M, 128M; or size=960M or size=1056M");
    }
    {
        Cfg cfg(1 * kGiB);
        cfg.set("zone-size", 16 * kMiB + 512);
        EXPECT_EQ(cfg.error().rfind("property 'zone-size': 16777728 does not divide the capacity "
                                    "1G (size); zone sizes that would: 16M, 32M;",
                                    0),
                  0u);
    }
    {
        Cfg cfg(1 * kGiB);
        cfg.set("zone-size", 16 * kMiB + 100);
        EXPECT_EQ(cfg.error(),
                  "property 'zone-size': 16777316 is not a multiple of lba-size 512 (16M or "
                  "16777728 would be)");
    }
    {
        Cfg cfg(1 * kGiB, "zns-prototype");
        cfg.set("zone-size", 64 * kMiB).set("max-open-zones", 17);
        EXPECT_EQ(cfg.error(),
                  "property 'max-open-zones': 17 is larger than the zone count 16 (allowed: 0 = "
                  "no limit, 1..16)");
    }
    {
        Cfg cfg(1 * kGiB, "zns-prototype");
        cfg.set("zone-size", 64 * kMiB).set("max-open-zones", 8).set("max-active-zones", 4);
        EXPECT_EQ(cfg.error(),
                  "property 'max-open-zones': 8 exceeds max-active-zones 4 (an open zone is also "
                  "active)");
    }
    {
        Cfg cfg(1 * kGiB, "zns-prototype");
        cfg.set("zone-size", 64 * kMiB).set("zone-capacity", 96 * kMiB);
        EXPECT_EQ(cfg.error(),
                  "property 'zone-capacity': 96M must be a multiple of lba-size 512 and at most "
                  "zone-size 64M");
    }
    {
        Cfg cfg(1 * kGiB, "zns-prototype");
        cfg.set("zone-size", 64 * kMiB).set("zone-capacity", 32 * kMiB).set("zrwa-size", 48 * kMiB);
        EXPECT_EQ(cfg.error(),
                  "property 'zrwa-size': 48M must be a multiple of lba-size 512 and at most "
                  "65535 LBAs");
    }
    {
        Cfg cfg(256 * kMiB, "zns-prototype");
        cfg.set("zone-capacity", 16 * 1024).set("zrwa-size", 64 * 1024);
        EXPECT_EQ(cfg.error(),
                  "property 'zrwa-size': 64K is larger than a zone (zone-capacity 16K)");
    }
    {
        Cfg cfg(256 * kMiB, "zns-prototype");
        cfg.set("zrwa-size", 64 * 1024).set("zrwa-flush-granularity", 24 * 1024);
        EXPECT_EQ(cfg.error(),
                  "property 'zrwa-flush-granularity': 24K must be a multiple of lba-size 512 "
                  "that divides zrwa-size 64K");
    }
    {
        Cfg cfg(256 * kMiB, "zns-prototype");
        cfg.set("zone-dies", 3);
        EXPECT_EQ(cfg.error(),
                  "property 'zone-dies': 3 does not divide the 128 dies (channels x "
                  "luns-per-channel)");
    }
    {
        Cfg cfg(256 * kMiB, "zns-prototype");
        cfg.set("op-percent", 10);
        EXPECT_EQ(cfg.error().rfind("property 'op-percent' applies to ssd=conv only", 0), 0u);
    }
    {
        Cfg cfg(256 * kMiB, "zns-prototype");
        cfg.set("zone-append-size-limit", 12 * 1024);
        EXPECT_EQ(cfg.error(),
                  "property 'zone-append-size-limit': 12K is not 4K times a power of two");
    }
    {
        Cfg cfg(256 * kMiB, "zns-prototype");
        cfg.set("zone-extension-size", 100);
        EXPECT_EQ(cfg.error(), "property 'zone-extension-size': 100 is not a multiple of 64");
    }
}

TEST(ZnsConfig, ZrwaAndGlobalBufferOverrides)
{
    Cfg cfg(960 * kMiB);
    cfg.set("zone-size", 96 * kMiB)
        .set("zrwa-size", 64 * 1024)
        .set("zrwa-flush-granularity", 16 * 1024)
        .set("max-active-zones", 6)
        .set("write-buffer-size", 8 * kMiB);
    const ResolvedConfig rc = cfg.resolve();
    EXPECT_EQ(rc.zns.zones.zrwa_lbas, 128u);
    EXPECT_EQ(rc.zns.zones.zrwa_fg_lbas, 32u);
    EXPECT_EQ(rc.zns.zones.zrwa_resources, 6u);  // one per active zone
    EXPECT_EQ(rc.zns.zones.max_open, 6u);        // the preset's 14 follows the active limit
    // write-buffer-size given, zone-write-buffer-size not: one global buffer.
    EXPECT_EQ(rc.zns.media.zone_write_buffer_bytes, 0u);
    EXPECT_EQ(rc.zns.media.write_buffer_bytes, 8 * kMiB);
}

}  // namespace
