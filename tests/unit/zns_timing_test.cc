// ssd=zns media timing to the nanosecond: admission through per-zone and
// global write buffers, unit programs and padding, reads, striping,
// finish, reset erases, flush and the zone-to-flash mapping.
#include "../../ftl/zns_timing.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>

#include "small_nand.h"

using nvmev::ftl::ZnsTiming;
using nvmev::ftl::ZnsTimingParams;
using nvmev::ftl::ZnsTimingStats;
using nvmev::timing::FlashAddr;

namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;

// small_nand.h, with units U = 32 KiB and blocks of 128 KiB. Zones of
// 256 KiB striped over both dies: a zone's share of a die is one block (4
// units), units alternate die 0 / die 1, and zone z uses block z of both
// dies (base die (2z) % 2 = 0).
ZnsTimingParams params()
{
    ZnsTimingParams p;
    nvmev::test::small_nand(p.geo, p.timing);
    p.zone_bytes = 256 * kKiB;
    p.zones = 8;
    p.dies_per_zone = 2;
    p.zone_write_buffer_bytes = 1 * kMiB;
    p.write_buffer_bytes = 0;
    p.early_completion = true;
    return p;
}

// One die per zone: 128 KiB zones (one block), zone z on die z % 2 at
// block z / 2.
ZnsTimingParams one_die_params()
{
    ZnsTimingParams p = params();
    p.zone_bytes = 128 * kKiB;
    p.dies_per_zone = 1;
    return p;
}

// Writes `bytes` to the zone's stream at `now` and commits it.
int64_t write(ZnsTiming &z, uint32_t zone, uint64_t bytes, int64_t now, bool durable)
{
    const int64_t in = z.admit(zone, bytes, now);
    return z.commit(zone, z.stream_end(zone) + bytes, in, durable);
}

}  // namespace

TEST(ZnsTiming, Buffered4kWriteCompletesAfterFirmwareAndPcie)
{
    ZnsTiming z(params());
    // fw 3000 + 500 x 1, then 4 KiB over PCIe: 1000 + 3500 + 1280.
    EXPECT_EQ(z.admit(0, 4096, 1000), 5780);
    // A non-durable commit of a partial unit programs nothing.
    EXPECT_EQ(z.commit(0, 4096, 5780, false), 5780);
    EXPECT_EQ(z.stream_end(0), 4096u);
    EXPECT_EQ(z.programmed_end(0), 0u);
    // An unbuffered (ZRWA) write takes the same time but no buffer space.
    EXPECT_EQ(z.admit(1, 4096, 10000, false), 10000 + 3500 + 1280);
    const ZnsTimingStats s = z.stats(20000);
    EXPECT_EQ(s.write_buffer_bytes, 4096u);
    EXPECT_EQ(s.write_buffer_capacity, 8 * kMiB);  // 1 MiB per zone x 8 zones
    EXPECT_EQ(s.nand_pages_written, 0u);
    EXPECT_EQ(s.padding_pages, 0u);
}

TEST(ZnsTiming, FullUnitIsProgrammedAndDurableCommitReturnsItsEnd)
{
    ZnsTiming z(params());
    // 32 KiB: fw 3000 + 8 x 500 = 7000, PCIe 10240: 17240.
    EXPECT_EQ(z.admit(0, 32768, 0), 17240);
    // Unit 0 on die 0: channel [17240, 58200), tPROG [58200, 258200).
    EXPECT_EQ(z.commit(0, 32768, 17240, true), 258200);
    EXPECT_EQ(z.programmed_end(0), 32768u);
    EXPECT_EQ(z.stats(258199).write_buffer_bytes, 32768u);
    EXPECT_EQ(z.stats(258200).write_buffer_bytes, 0u);  // released at the program's end
    // Unit 1 (die 1) with a non-durable commit: the commit returns ready,
    // the program is booked anyway: 317240 + 40960 + 200000 = 558200.
    EXPECT_EQ(z.admit(0, 32768, 300000), 317240);
    EXPECT_EQ(z.commit(0, 65536, 317240, false), 317240);
    EXPECT_EQ(z.programmed_end(0), 65536u);
    // A durable commit with nothing new waits for that program.
    EXPECT_EQ(z.commit(0, 65536, 320000, true), 558200);
    const ZnsTimingStats s = z.stats(600000);
    EXPECT_EQ(s.nand_pages_written, 16u);
    EXPECT_EQ(s.padding_pages, 0u);
}

TEST(ZnsTiming, DurablePartialUnitIsPaddedAndProgrammedAgainWhenItFills)
{
    ZnsTiming z(params());
    // 8 KiB: fw 3000 + 2 x 500, PCIe 2560: 6560.
    EXPECT_EQ(z.admit(0, 8192, 0), 6560);
    // Padded unit 0 on die 0: 6560 + 40960 + 200000.
    EXPECT_EQ(z.commit(0, 8192, 6560, true), 247520);
    ZnsTimingStats s = z.stats(247519);
    EXPECT_EQ(s.nand_pages_written, 8u);
    EXPECT_EQ(s.padding_pages, 6u);  // (32768 - 8192) / 4096
    EXPECT_EQ(s.write_buffer_bytes, 8192u);
    EXPECT_EQ(z.programmed_end(0), 0u);  // not past the last whole unit
    EXPECT_EQ(z.stats(247520).write_buffer_bytes, 0u);
    // Durable again with nothing added: no new program.
    EXPECT_EQ(z.commit(0, 8192, 250000, true), 250000);
    EXPECT_EQ(z.stats(250000).nand_pages_written, 8u);
    // 24 KiB fill the unit: fw 3000 + 6 x 500 = 6000, PCIe 7680: 313680;
    // unit 0 again: channel [313680, 354640), tPROG to 554640.
    EXPECT_EQ(z.admit(0, 24576, 300000), 313680);
    EXPECT_EQ(z.commit(0, 32768, 313680, true), 554640);
    EXPECT_EQ(z.programmed_end(0), 32768u);
    // Until that whole program ends, the unit reads from the buffer (at
    // 400000: fw 10000 + PCIe 1280), though its padded program has ended.
    EXPECT_EQ(z.read(0, 0, 4096, 400000), 400000 + 10000 + 1280);
    s = z.stats(554639);
    EXPECT_EQ(s.nand_pages_written, 16u);
    EXPECT_EQ(s.padding_pages, 6u);
    // Only the 24 KiB held since the padded program leave at its end.
    EXPECT_EQ(s.write_buffer_bytes, 24576u);
    EXPECT_EQ(z.stats(554640).write_buffer_bytes, 0u);
}

TEST(ZnsTiming, PerZoneBufferFullWaitsForTheProgramThatReleasesSpace)
{
    ZnsTimingParams p = params();
    p.zone_write_buffer_bytes = 32 * kKiB;  // one unit per zone
    ZnsTiming z(p);
    // Unit 0: in at 17240, programmed on die 0 until 258200.
    EXPECT_EQ(write(z, 0, 32768, 0, false), 17240);
    // 4 KiB at 20000: fw to 23500, space only at 258200, then PCIe 1280.
    EXPECT_EQ(z.admit(0, 4096, 20000), 259480);
    // Another zone has its own buffer: 20000 + 3500 + 1280.
    EXPECT_EQ(z.admit(1, 4096, 20000), 24780);
    EXPECT_EQ(z.stats(30000).write_buffer_capacity, 8 * 32 * kKiB);
}

TEST(ZnsTiming, PerZoneBufferBlockedByItsPartialUnitPadsIt)
{
    ZnsTimingParams p = params();
    p.zone_write_buffer_bytes = 32 * kKiB;
    ZnsTiming z(p);
    EXPECT_EQ(write(z, 0, 8192, 0, false), 6560);  // 8 KiB held, nothing programmed
    // 28 KiB at 100000: fw 3000 + 7 x 500 = 6500 to 106500. 8 + 28 KiB do
    // not fit and nothing is scheduled to leave: the partial unit is padded
    // from 106500 (die 0: channel to 147460, tPROG to 347460) and its
    // 8 KiB leave then. PCIe of 28 KiB: 8960: 356420.
    EXPECT_EQ(z.admit(0, 28672, 100000), 356420);
    EXPECT_EQ(z.stats(106500).padding_pages, 6u);
    // The commit completes unit 0 (programmed again, die 0: channel
    // [356420, 397380), tPROG to 597380; its new 24 KiB leave then) and
    // pads unit 1 (4 KiB) on die 1, also to 597380.
    EXPECT_EQ(z.commit(0, 36864, 356420, true), 597380);
    ZnsTimingStats s = z.stats(597379);
    EXPECT_EQ(s.nand_pages_written, 24u);
    EXPECT_EQ(s.padding_pages, 6u + 7u);
    EXPECT_EQ(s.write_buffer_bytes, 28672u);
    EXPECT_EQ(z.stats(597380).write_buffer_bytes, 0u);
}

TEST(ZnsTiming, GlobalBufferBlockedPadsTheZoneHoldingMost)
{
    ZnsTimingParams p = params();
    p.zone_write_buffer_bytes = 0;
    p.write_buffer_bytes = 32 * kKiB;
    ZnsTiming z(p);
    // Zone 0: 24 KiB, fw 6000 + PCIe 7680. Zone 1: 4 KiB at 20000.
    EXPECT_EQ(write(z, 0, 24576, 0, false), 13680);
    EXPECT_EQ(write(z, 1, 4096, 20000, false), 24780);
    // Zone 2: 8 KiB at 30000, fw to 34000; 28 + 8 KiB do not fit. Zone 0
    // holds most: its unit is padded from 34000 on die 0 (channel to
    // 74960, tPROG to 274960) and its 24 KiB leave then; PCIe 2560.
    EXPECT_EQ(z.admit(2, 8192, 30000), 277520);
    ZnsTimingStats s = z.stats(277520);
    EXPECT_EQ(s.nand_pages_written, 8u);
    EXPECT_EQ(s.padding_pages, 2u);                  // (32768 - 24576) / 4096
    EXPECT_EQ(s.write_buffer_bytes, 4096u + 8192u);  // zone 1's and zone 2's
    EXPECT_EQ(s.write_buffer_capacity, 32 * kKiB);
}

TEST(ZnsTiming, ReadOfProgrammedDataSensesMovesAndTransfers)
{
    ZnsTiming z(params());
    EXPECT_EQ(write(z, 0, 32768, 0, true), 258200);  // unit 0: die 0, page 0 (LSB)
    // 4 KiB: fw 10000, 4 KiB sense 30000, channel 5120, PCIe 1280.
    EXPECT_EQ(z.read(0, 0, 4096, 300000), 300000 + 10000 + 30000 + 5120 + 1280);
    // 32 KiB: fw 20000, page sense 40000, channel 40960 in two chunks,
    // each on PCIe (5120) as it comes in: the second chunk's adds.
    EXPECT_EQ(z.read(0, 0, 32768, 400000), 400000 + 20000 + 40000 + 40960 + 5120);
    // 512 B: a whole 4 KiB is sensed and moved, 512 B cross PCIe (160).
    EXPECT_EQ(z.read(0, 512, 512, 600000), 600000 + 10000 + 30000 + 5120 + 160);
}

TEST(ZnsTiming, ReadOfBufferedOrUnwrittenDataCostsFirmwareAndPcie)
{
    ZnsTiming z(params());
    write(z, 0, 4096, 0, false);  // buffered
    EXPECT_EQ(z.read(0, 0, 4096, 100000), 100000 + 10000 + 1280);
    // Unwritten, 8 KiB: fw 20000, PCIe 2560.
    EXPECT_EQ(z.read(0, 65536, 8192, 200000), 200000 + 20000 + 2560);
    // Fill unit 0 (28 KiB at 300000: fw 6500, PCIe 8960 to 315460; die 0:
    // channel to 356420, tPROG to 556420), then 4 KiB into unit 1.
    EXPECT_EQ(write(z, 0, 28672, 300000, true), 556420);
    write(z, 0, 4096, 600000, false);
    // 8 KiB across both: fw 20000 to 1020000; the buffered 4 KiB cross
    // PCIe first (to 1021280); unit 0's last 4 KiB: sense 30000, channel
    // 5120 to 1055120, PCIe to 1056400.
    EXPECT_EQ(z.read(0, 28672, 8192, 1000000), 1056400);
}

TEST(ZnsTiming, ReadOfAUnitBeingProgrammedIsBuffered)
{
    ZnsTiming z(params());
    EXPECT_EQ(write(z, 0, 32768, 0, true), 258200);  // zone 0 unit 0: die 0
    // Zone 1's unit 0 is on die 0 too (block 1): in at 317240, channel to
    // 358200, tPROG [358200, 558200).
    EXPECT_EQ(write(z, 1, 32768, 300000, true), 558200);
    // A read of that unit at 360000: fw to 370000; its program ends later,
    // so it is read from the buffer, without waiting for the die: PCIe
    // 1280 only.
    EXPECT_EQ(z.read(1, 0, 4096, 360000), 360000 + 10000 + 1280);
}

TEST(ZnsTiming, ReadOfAProgrammedUnitWaitsForItsDieBusyWithAProgram)
{
    ZnsTiming z(params());
    EXPECT_EQ(write(z, 0, 32768, 0, true), 258200);  // zone 0 unit 0: die 0
    // Zone 1's unit 0 is on die 0 too: tPROG [358200, 558200).
    EXPECT_EQ(write(z, 1, 32768, 300000, true), 558200);
    // A read of zone 0's unit (programmed at 258200) at 360000: fw to
    // 370000, the sense waits for the die: [558200, 588200), channel 5120
    // to 593320, PCIe 1280.
    EXPECT_EQ(z.read(0, 0, 4096, 360000), 594600);

    // The same within one zone: a one-die zone's units 0 and 1 are both on
    // die 0. 64 KiB in at 31480; unit 0 channel [31480, 72440), tPROG to
    // 272440; unit 1 channel [72440, 113400), tPROG [272440, 472440).
    ZnsTiming o(one_die_params());
    EXPECT_EQ(write(o, 0, 65536, 0, true), 472440);
    // At 300000, fw to 310000. Unit 1 is still being programmed: buffered,
    // PCIe 1280 only.
    EXPECT_EQ(o.read(0, 32768, 4096, 300000), 300000 + 10000 + 1280);
    // Unit 0 is programmed: its sense waits for unit 1's program,
    // [472440, 502440), channel 5120, PCIe 1280.
    EXPECT_EQ(o.read(0, 0, 4096, 300000), 472440 + 30000 + 5120 + 1280);
}

TEST(ZnsTiming, ReadOfAUnitIsBufferedUntilItsProgramEnds)
{
    ZnsTiming z(params());
    // Unit 0 on die 0: in at 17240, channel [17240, 58200), tPROG to
    // P = 258200.
    EXPECT_EQ(write(z, 0, 32768, 0, true), 258200);
    // At 100000: start = 100000 + fw 10000 = 110000 < P: buffered, PCIe
    // 1280 only.
    EXPECT_EQ(z.read(0, 0, 4096, 100000), 110000 + 1280);
    // At 248199: start 258199, one ns before P: still buffered.
    EXPECT_EQ(z.read(0, 4096, 4096, 248199), 258199 + 1280);
    // At 248200: start 258200 = P, the unit is programmed: sense [258200,
    // 288200), channel 5120 to 293320, PCIe 1280 to 294600.
    EXPECT_EQ(z.read(0, 8192, 4096, 248200), 258200 + 30000 + 5120 + 1280);
    // At 300000, long after P: start 310000, sense 30000, channel 5120,
    // PCIe 1280.
    EXPECT_EQ(z.read(0, 0, 4096, 300000), 310000 + 30000 + 5120 + 1280);
}

TEST(ZnsTiming, UnitsOfAStripedZoneProgramInParallel)
{
    ZnsTiming z(params());
    // 64 KiB: fw 3000 + 16 x 500 = 11000, PCIe 20480: 31480. Unit 0 on
    // die 0 (channel 0), unit 1 on die 1 (channel 1): both move 31480 to
    // 72440 and program to 272440.
    EXPECT_EQ(z.admit(0, 65536, 0), 31480);
    EXPECT_EQ(z.commit(0, 65536, 31480, true), 272440);
    // Reading both at 300000: fw 20000, then each die senses (40000) and
    // moves two chunks (20480 each) on its own channel; each chunk crosses
    // PCIe (5120) as it comes in: the second chunks, in at +80960, one
    // after the other.
    EXPECT_EQ(z.read(0, 0, 65536, 300000), 300000 + 20000 + 80960 + 2 * 5120);
}

TEST(ZnsTiming, UnitsOfAOneDieZoneProgramBackToBack)
{
    ZnsTiming z(one_die_params());
    EXPECT_EQ(z.admit(0, 65536, 0), 31480);
    // Both units on die 0: unit 0 channel [31480, 72440), tPROG to 272440;
    // unit 1 channel [72440, 113400), tPROG [272440, 472440).
    EXPECT_EQ(z.commit(0, 65536, 31480, true), 472440);
    // Zone 1 is on die 1: at 100000, fw 11000 and PCIe 20480 to 131480;
    // its two units program back to back on die 1: channel [131480,
    // 172440), tPROG [172440, 372440) and [372440, 572440).
    EXPECT_EQ(z.admit(1, 65536, 100000), 131480);
    EXPECT_EQ(z.commit(1, 65536, 131480, true), 131480 + 40960 + 2 * 200000);
}

TEST(ZnsTiming, FinishPadsTheOpenUnit)
{
    ZnsTiming z(params());
    // 12 KiB: fw 4500, PCIe 3840: 8340.
    EXPECT_EQ(write(z, 0, 12288, 0, false), 8340);
    // fw 3000 from 10000; unit 0 padded on die 0: 13000 + 40960 + 200000.
    EXPECT_EQ(z.finish(0, 10000), 253960);
    // Until that padded program ends, the unit reads from the buffer: a
    // read at 20000 (start 30000) costs fw + PCIe only.
    EXPECT_EQ(z.read(0, 0, 4096, 20000), 20000 + 10000 + 1280);
    ZnsTimingStats s = z.stats(253960);
    EXPECT_EQ(s.padding_pages, 5u);  // (32768 - 12288) / 4096
    EXPECT_EQ(s.nand_pages_written, 8u);
    EXPECT_EQ(s.write_buffer_bytes, 0u);
    EXPECT_EQ(z.stream_end(0), 256 * kKiB);  // the zone end
    EXPECT_EQ(z.programmed_end(0), 32768u);
    // The unwritten tail reads as unwritten: fw + PCIe.
    EXPECT_EQ(z.read(0, 65536, 4096, 300000), 311280);
    // After its program, the padded unit reads from NAND.
    EXPECT_EQ(z.read(0, 0, 4096, 400000), 400000 + 10000 + 30000 + 5120 + 1280);
    // Commits after finish change nothing.
    EXPECT_EQ(z.commit(0, 16384, 500000, false), 500000);
    EXPECT_EQ(z.stats(500000).nand_pages_written, 8u);
    // An empty zone and a unit-aligned one finish in fw time.
    EXPECT_EQ(z.finish(1, 500000), 503000);
    write(z, 2, 32768, 600000, false);
    EXPECT_EQ(z.finish(2, 700000), 703000);
    EXPECT_EQ(z.stats(700000).padding_pages, 5u);
}

TEST(ZnsTiming, ResetErasesAfterTheDiesBookedPrograms)
{
    ZnsTiming z(params());
    EXPECT_EQ(write(z, 0, 65536, 0, true), 272440);  // a unit on each die
    // fw to 103000; each die erases its one block after its program:
    // [272440, 1272440) on both dies.
    EXPECT_EQ(z.reset(0, 100000), 1272440);
    EXPECT_EQ(z.stats(100000).erases, 2u);
    EXPECT_EQ(z.stream_end(0), 0u);
    EXPECT_EQ(z.programmed_end(0), 0u);
    // A never-written zone: fw only, no erase.
    EXPECT_EQ(z.reset(3, 2000000), 2003000);
    EXPECT_EQ(z.stats(2000000).erases, 2u);
    // The reset zone is written again from offset 0 (die 0, block 0).
    EXPECT_EQ(z.admit(0, 4096, 3000000), 3004780);
    EXPECT_EQ(z.commit(0, 4096, 3004780, true), 3004780 + 40960 + 200000);
}

TEST(ZnsTiming, ResetErasesEveryTouchedBlockOneAfterAnother)
{
    ZnsTimingParams p = params();
    p.geo.pages_per_block = 2;  // 64 KiB blocks: a zone has 2 per die
    ZnsTiming z(p);
    // 160 KiB = 5 units: fw 3000 + 40 x 500 = 23000, PCIe 51200: 74200.
    // Die 0 gets units 0, 2, 4, die 1 units 1, 3. Channel 0 moves units
    // 0, 2, 4 back to back ([74200, 115160), to 156120, to 197080), die 0
    // programs [115160, 315160), [315160, 515160), [515160, 715160).
    EXPECT_EQ(write(z, 0, 160 * kKiB, 0, true), 715160);
    // Die 0: 3 units = 96 KiB = 2 blocks, erased back to back from
    // 803000 (fw; the die is idle by then): to 1803000, to 2803000.
    // Die 1: 2 units = 1 block: to 1803000.
    EXPECT_EQ(z.reset(0, 800000), 2803000);
    EXPECT_EQ(z.stats(800000).erases, 3u);
}

TEST(ZnsTiming, ResetDropsHeldBytesAndErasesPaddedUnits)
{
    ZnsTiming z(params());
    write(z, 4, 8192, 0, false);
    EXPECT_EQ(z.stats(10000).write_buffer_bytes, 8192u);
    // Nothing programmed: fw only; the held bytes leave now.
    EXPECT_EQ(z.reset(4, 10000), 13000);
    EXPECT_EQ(z.stats(10000).write_buffer_bytes, 0u);
    EXPECT_EQ(z.stats(10000).erases, 0u);
    // A padded partial unit counts. 8 KiB at 100000: fw 4000, PCIe 2560
    // to 106560; padded on die 0 (block 5): channel to 147520, tPROG to
    // 347520. The reset (fw to 203000) erases that block after it.
    EXPECT_EQ(write(z, 5, 8192, 100000, true), 347520);
    EXPECT_EQ(z.reset(5, 200000), 1347520);
    EXPECT_EQ(z.stats(200000).erases, 1u);
}

TEST(ZnsTiming, FlushPadsEveryPartialUnitAndDrainsTheBuffers)
{
    ZnsTiming z(one_die_params());
    EXPECT_EQ(write(z, 0, 4096, 0, false), 4780);  // zone 0: die 0
    // Zone 1 (die 1): fw to 4000; PCIe waits for zone 0's transfer
    // [3500, 4780): 4780 + 2560.
    EXPECT_EQ(write(z, 1, 8192, 0, false), 7340);
    // Both padded from 10000 on their own dies: 10000 + 40960 + 200000.
    EXPECT_EQ(z.flush(10000), 250960);
    ZnsTimingStats s = z.stats(250960);
    EXPECT_EQ(s.padding_pages, 7u + 6u);
    EXPECT_EQ(s.nand_pages_written, 16u);
    EXPECT_EQ(s.write_buffer_bytes, 0u);
    EXPECT_EQ(z.flush(300000), 300000);  // nothing left
    z.reset_stats();
    s = z.stats(300000);
    EXPECT_EQ(s.nand_pages_written, 0u);
    EXPECT_EQ(s.padding_pages, 0u);
    EXPECT_EQ(s.erases, 0u);
}

TEST(ZnsTiming, FlushWaitsForBookedPrograms)
{
    ZnsTiming z(params());
    EXPECT_EQ(write(z, 0, 32768, 0, false), 17240);  // programmed until 258200
    EXPECT_EQ(z.flush(20000), 258200);
}

TEST(ZnsTimingMapping, AddrOfStripesUnitsPlanesAndPages)
{
    // 2 channels x 2 LUNs = 4 dies (die = lun x 2 + channel), 2 planes,
    // 16 KiB flash pages, 32 KiB program unit (2 pages per program), 4
    // pages per block (64 KiB): U = 64 KiB. 512 KiB zones on 2 dies: 256
    // KiB per die = 2 blocks per plane.
    ZnsTimingParams p = params();
    p.geo.luns_per_channel = 2;
    p.geo.planes_per_lun = 2;
    p.geo.flash_page_bytes = 16384;
    p.geo.program_unit_bytes = 32768;
    p.geo.pages_per_block = 4;
    p.zone_bytes = 512 * kKiB;
    p.zones = 4;
    ZnsTiming z(p);
    EXPECT_EQ(z.unit_bytes(), 65536u);
    auto expect = [&](uint32_t zone, uint64_t off, uint32_t ch, uint32_t lun, uint32_t plane,
                      uint32_t block, uint32_t page) {
        const FlashAddr a = z.addr_of(zone, off);
        EXPECT_EQ(a.channel, ch) << "zone " << zone << " offset " << off;
        EXPECT_EQ(a.lun, lun) << "zone " << zone << " offset " << off;
        EXPECT_EQ(a.plane, plane) << "zone " << zone << " offset " << off;
        EXPECT_EQ(a.block, block) << "zone " << zone << " offset " << off;
        EXPECT_EQ(a.page, page) << "zone " << zone << " offset " << off;
    };
    // Zone 0: dies 0 (ch 0, lun 0) and 1 (ch 1, lun 0), blocks 0-1.
    expect(0, 0, 0, 0, 0, 0, 0);
    expect(0, 16 * kKiB, 0, 0, 0, 0, 1);               // plane 0, 2nd page of the program
    expect(0, 32 * kKiB, 0, 0, 1, 0, 0);               // plane 1
    expect(0, 48 * kKiB + 100, 0, 0, 1, 0, 1);         // plane 1, page 1
    expect(0, 64 * kKiB, 1, 0, 0, 0, 0);               // unit 1: die 1
    expect(0, 128 * kKiB, 0, 0, 0, 0, 2);              // unit 2: die 0, row 1
    expect(0, 256 * kKiB + 16 * kKiB, 0, 0, 0, 1, 1);  // unit 4: row 2 = page 4: block 1
    // Zone 1: dies 2 (ch 0, lun 1) and 3 (ch 1, lun 1), blocks 0-1.
    expect(1, 0, 0, 1, 0, 0, 0);
    expect(1, 64 * kKiB, 1, 1, 0, 0, 0);
    // Zone 2: base die 4 % 4 = 0 again, blocks 2-3. Unit 7 (448 KiB) is
    // on die 1, row 3: page 6 of the share = block 3, page 2; 40 KiB into
    // the unit is plane 1, its first page.
    expect(2, 0, 0, 0, 0, 2, 0);
    expect(2, 448 * kKiB + 40 * kKiB, 1, 0, 1, 3, 2);
    // Zone 3: dies 2 and 3, blocks 2-3.
    expect(3, 0, 0, 1, 0, 2, 0);
    expect(3, 511 * kKiB, 1, 1, 1, 3, 3);
}

TEST(ZnsTimingMapping, OneDieZonesTakeTheDiesInTurn)
{
    ZnsTiming z(one_die_params());
    // Zone z: die z % 2, block z / 2.
    EXPECT_EQ(z.addr_of(0, 32768).channel, 0u);
    EXPECT_EQ(z.addr_of(0, 32768).page, 1u);
    EXPECT_EQ(z.addr_of(1, 0).channel, 1u);
    EXPECT_EQ(z.addr_of(1, 0).block, 0u);
    EXPECT_EQ(z.addr_of(2, 0).channel, 0u);
    EXPECT_EQ(z.addr_of(2, 0).block, 1u);
    EXPECT_EQ(z.addr_of(5, 98304).channel, 1u);
    EXPECT_EQ(z.addr_of(5, 98304).block, 2u);
    EXPECT_EQ(z.addr_of(5, 98304).page, 3u);
}

TEST(ZnsTimingRead, SamePageOnTwoPlanesIsOneMultiPlaneRead)
{
    ZnsTimingParams p = params();
    p.geo.planes_per_lun = 2;
    p.geo.flash_page_bytes = 16384;
    p.zone_bytes = 2 * 2 * 2 * 4 * 16 * kKiB;  // 2 dies x 2 planes x 1 block of 64 KiB
    ZnsTiming z(p);
    // U = 64 KiB: fw 11000, PCIe 20480: 31480; channel 4 chunks (81920) to
    // 113400, tPROG to 313400.
    EXPECT_EQ(write(z, 0, 65536, 0, true), 313400);
    // fw 20000 to 420000. Page 0 (LSB) on both planes: one sense of 16 KiB
    // per plane [420000, 460000), 32 KiB on the channel to 500960. Page 1
    // (MSB): sensed [460000, 520000), then the channel [520000, 560960).
    // Each 16 KiB chunk crosses PCIe (5120) as it comes in: the last one
    // from 560960 to 566080. (Four single-plane reads would sense four
    // times.)
    EXPECT_EQ(z.read(0, 0, 65536, 400000), 566080);
}

TEST(ZnsTiming, RetuneAppliesToLaterPrograms)
{
    ZnsTiming z(params());
    EXPECT_EQ(z.admit(0, 32768, 0), 17240);
    nvmev::timing::NandTiming t = z.params().timing;
    t.program_ns = 100000;
    z.retune(t, 17240);
    EXPECT_EQ(z.commit(0, 32768, 17240, true), 17240 + 40960 + 100000);
}

TEST(ZnsTimingConfig, RejectsBadGeometry)
{
    ZnsTimingParams p = params();
    p.zone_bytes = 0;
    EXPECT_THROW(ZnsTiming{p}, std::invalid_argument);
    p = params();
    p.dies_per_zone = 3;
    EXPECT_THROW(ZnsTiming{p}, std::invalid_argument);
}

TEST(ZnsTiming, WriteLargerThanTheZoneBufferWaitsForItToDrain)
{
    ZnsTimingParams p = params();
    p.zone_write_buffer_bytes = 32 * kKiB;
    ZnsTiming z(p);
    // Unit 0 holds the buffer until its program ends (258200).
    EXPECT_EQ(write(z, 0, 32768, 0, false), 17240);
    // 64 KiB never fit in 32 KiB: the data enters once the buffer has
    // drained (258200; fw ends at 31000), then PCIe 20480.
    EXPECT_EQ(z.admit(0, 65536, 20000), 258200 + 20480);
    EXPECT_EQ(z.commit(0, 98304, 278680, true), 278680 + 40960 + 200000);
}
