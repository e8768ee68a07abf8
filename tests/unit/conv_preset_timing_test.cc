// The worked examples of docs/models.md ("Worked examples", "The conv
// presets in numbers") on the presets as the device resolves them, so the
// published figures are the model's, to the nanosecond.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "../../ftl/conv_ftl.h"
#include "config.h"
#include "config_fixture.h"

using nvmev::ftl::Ftl;
using nvmev::ftl::MediaOp;
using nvmev::ftl::MediaRequest;

namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr int64_t kLater = 1'000'000'000;  // every program long ended

std::unique_ptr<Ftl> preset_ftl(const char *preset)
{
    nvmev::test::Cfg cfg("conv", kGiB, preset);
    return nvmev::ftl::make_conv_ftl(cfg.resolve().conv);
}

// Completion time minus submission time of `nlb` 4 KiB blocks at `slba`.
int64_t took(Ftl &f, MediaOp op, uint64_t slba, uint32_t nlb, int64_t now)
{
    const auto r = f.submit(MediaRequest{op, slba, nlb, uint64_t{nlb} * 4096, false, now});
    EXPECT_EQ(r.status, 0);
    return r.complete_at_ns - now;
}

}  // namespace

TEST(ConvPresetTiming, Samsung970ProWorkedExamples)
{
    auto f = preset_ftl("samsung-970pro");
    // Channel 839 MB/s, PCIe 3523 MB/s (NVMeVirt's 800 and 3360 MiB/s).
    // fw 21500 + PCIe 1,162,646 ps.
    EXPECT_EQ(took(*f, MediaOp::Read, 0, 1, 1000), 22663);  // never written
    // fw 4000 + 32 x 460, 32 x 1,162,646 ps of PCIe.
    EXPECT_EQ(took(*f, MediaOp::Write, 0, 32, 2000), 55925);
    // LPNs 0..31 over 4 partitions: 8 per partition, one 32 KiB LSB page
    // each on its own channel. fw 30490, tR 30010, two 16 KiB chunks of
    // 19,528,010 ps; each chunk crosses PCIe (4,650,582 ps) as it comes
    // in: first chunks in at 80029, second at 99557 (rounded up), and the
    // four second chunks back to back end at 99557 + 18,602,328 ps.
    EXPECT_EQ(took(*f, MediaOp::Read, 0, 32, kLater), 118160);
    // One LPN: fw 21500, 4 KiB tR 29760, 4 KiB on the channel 4,882,003
    // ps (in at 56143), PCIe 1,162,646 ps.
    EXPECT_EQ(took(*f, MediaOp::Read, 0, 1, 2 * kLater), 57306);
}

TEST(ConvPresetTiming, GenericTlcWorkedExamples)
{
    auto f = preset_ftl("generic-tlc");
    EXPECT_EQ(took(*f, MediaOp::Read, 0, 1, 1000), 21343);  // never written
    EXPECT_EQ(took(*f, MediaOp::Write, 0, 32, 2000), 5600 + 32 * 600 + 42975);
    // Still buffered: a partition's 32 KiB fill a third of its 96 KiB
    // unit. fw 13000 + PCIe 42975.
    EXPECT_EQ(took(*f, MediaOp::Read, 0, 32, 100000), 55975);
    // 384 KiB more fill every partition's first unit (LPNs 0..31 are in
    // flash page 0 of each partition's first die).
    for (uint64_t lba = 32; lba < 128; lba += 32) {
        took(*f, MediaOp::Write, lba, 32, 200000);
    }
    // fw 13000, tR 58000, 16 KiB chunks of 36,408,889 ps at 450 MB/s: in
    // at 107409 and 143818 (rounded up); PCIe 5,371,804 ps per chunk: the
    // four second chunks end at 143818 + 21,487,216 ps.
    EXPECT_EQ(took(*f, MediaOp::Read, 0, 32, kLater), 165306);
    EXPECT_EQ(took(*f, MediaOp::Read, 0, 1, 2 * kLater), 80446);
}
