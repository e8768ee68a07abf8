// ssd=conv: the page-mapping FTL on the parallel NAND model, to the
// nanosecond, plus randomized checks of its map invariants and accounting.
#include "../../ftl/conv_ftl.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "small_nand.h"

using nvmev::ftl::ConvParams;
using nvmev::ftl::Ftl;
using nvmev::ftl::FtlStats;
using nvmev::ftl::GcPolicy;
using nvmev::ftl::make_conv_ftl;
using nvmev::ftl::MediaOp;
using nvmev::ftl::MediaRequest;
using nvmev::timing::CellType;

namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;

// small_nand.h: a unit of 32 KiB is 8 slots of 4 KiB, a line is 2 dies x
// 4 pages x 8 = 64 slots, and units alternate die 0 / die 1 (unit u: die
// u % 2, page u / 2, so units 0 and 1 are LSB pages, 2 and 3 MSB pages).
ConvParams params()
{
    ConvParams p;
    nvmev::test::small_nand(p.geo, p.timing);
    p.logical_bytes = 1 * kMiB;
    p.partitions = 1;
    p.write_buffer_bytes = 1 * kMiB;
    p.early_completion = true;
    p.gc_fg_free_lines = 2;
    p.gc_bg_free_lines = 4;
    return p;
}

// Tiny lines for GC: 2 pages per block, so a line is 2 dies x 2 pages x 8
// = 32 slots (units 0, 1 on page 0 of dies 0, 1; units 2, 3 on page 1),
// 8 lines, and a logical space of 64 pages (two lines' worth).
ConvParams gc_params(uint32_t fg, uint32_t bg)
{
    ConvParams p = params();
    p.geo.pages_per_block = 2;
    p.geo.blocks_per_plane = 8;
    p.logical_bytes = 64 * 4096;
    p.gc_fg_free_lines = fg;
    p.gc_bg_free_lines = bg;
    return p;
}

int64_t submit(Ftl &f, MediaOp op, uint64_t slba, uint32_t nlb, int64_t now, bool fua = false,
               uint32_t lba = 4096)
{
    const auto r = f.submit(MediaRequest{op, slba, nlb, uint64_t{nlb} * lba, fua, now});
    EXPECT_EQ(r.status, 0);
    return r.complete_at_ns;
}
int64_t write(Ftl &f, uint64_t slba, uint32_t nlb, int64_t now, bool fua = false)
{
    return submit(f, MediaOp::Write, slba, nlb, now, fua);
}
int64_t read(Ftl &f, uint64_t slba, uint32_t nlb, int64_t now)
{
    return submit(f, MediaOp::Read, slba, nlb, now);
}

}  // namespace

TEST(ConvFtl, Isolated4kReadsOfAnLsbAndAnMsbPage)
{
    auto f = make_conv_ftl(params());
    // LPNs 0..23 fill units 0 (die 0, page 0), 1 (die 1, page 0) and 2
    // (die 0, page 1: MSB); all programs end long before 10 ms.
    write(*f, 0, 24, 0);
    // LPN 0, LSB: fw 10000, sense 30000, one 4 KiB chunk 5120, PCIe 1280.
    EXPECT_EQ(read(*f, 0, 1, 10000000), 10000000 + 10000 + 30000 + 5120 + 1280);
    // LPN 8 is on die 1, also an LSB page.
    EXPECT_EQ(read(*f, 8, 1, 11000000), 11000000 + 46400);
    // LPN 16, MSB: the sense takes 50000.
    EXPECT_EQ(read(*f, 16, 1, 20000000), 20000000 + 10000 + 50000 + 5120 + 1280);
    EXPECT_EQ(f->check_invariants(), "");
}

TEST(ConvFtl, SubPageLbasMoveOnlyTheirBytesOverPcie)
{
    auto f = make_conv_ftl(params());
    // 512-byte LBAs: one LBA is still a 4 KiB page in the buffer, but only
    // 512 bytes cross PCIe (160 ns). fw 3000 + 500 x ceil(512 / 4096).
    EXPECT_EQ(submit(*f, MediaOp::Write, 0, 1, 1000, false, 512), 1000 + 3500 + 160);
    // LBAs 8..63 are LPNs 1..7 and fill unit 0: 28 KiB, fw 3000 + 7 x 500;
    // seven 4 KiB transfers back to back.
    EXPECT_EQ(submit(*f, MediaOp::Write, 8, 56, 100000, false, 512), 100000 + 6500 + 7 * 1280);
    // One LBA of LPN 0 from NAND: the die senses and moves a whole 4 KiB
    // (30000 + 5120), but PCIe carries 512 bytes: 10000 + 35120 + 160.
    EXPECT_EQ(submit(*f, MediaOp::Read, 3, 1, 10000000, false, 512), 10000000 + 45280);
    // Write Zeroes of LBAs 1..2 covers LPN 0 only partly: a zero-filled
    // page is admitted without a transfer, fw 3000 + 500 for its 4 KiB.
    EXPECT_EQ(submit(*f, MediaOp::WriteZeroes, 1, 2, 20000000, false, 512), 20000000 + 3500);
    EXPECT_EQ(f->stats(20000000).host_pages_written, 9u);
    EXPECT_EQ(f->check_invariants(), "");
}

TEST(ConvFtl, StripedReadOverFourChannelsRunsInParallel)
{
    ConvParams p = params();
    p.geo.channels = 4;
    auto f = make_conv_ftl(p);
    // 128 KiB = 4 units, one per die (units rotate over the 4 dies), all
    // LSB pages.
    write(*f, 0, 32, 0);
    // fw 20000 (> 4 KiB); each die senses its 32 KiB page (40000) and moves
    // two 16 KiB chunks on its own channel (20480 each). Each chunk crosses
    // PCIe (16 KiB = 5120) as soon as it is in: the four first chunks at
    // +60480 take turns to +80960, while the second chunks cross the
    // channels; those are in at +80960: 20000 + 80960 + 4 x 5120.
    EXPECT_EQ(read(*f, 0, 32, 10000000), 10000000 + 121440);
}

TEST(ConvFtl, StripedReadOverTwoChannelsSensesTwicePerDie)
{
    auto f = make_conv_ftl(params());
    write(*f, 0, 32, 0);
    // Dies 0 and 1 each hold an LSB unit (page 0) and an MSB unit (page 1).
    // Per die: sense LSB [s, s+40000), chunks in at s+60480 and s+80960;
    // sense MSB [s+40000, s+100000), chunks in at s+120480 and s+140960.
    // PCIe takes each pair of chunks (5120 each) as they come in: the last
    // pair from s+140960 to s+151200. s = now + 20000.
    EXPECT_EQ(read(*f, 0, 32, 10000000), 10000000 + 20000 + 151200);
}

TEST(ConvFtl, WriteAdmittedToTheBufferCompletesAfterFirmwareAndPcie)
{
    auto f = make_conv_ftl(params());
    // fw 3000 + 500, then 4 KiB over PCIe.
    EXPECT_EQ(write(*f, 0, 1, 1000), 1000 + 3500 + 1280);
    FtlStats s = f->stats(6000);
    EXPECT_EQ(s.write_buffer_bytes, 4096u);
    EXPECT_EQ(s.write_buffer_capacity, 1 * kMiB);
    EXPECT_EQ(s.host_pages_written, 1u);
    EXPECT_EQ(s.nand_pages_written, 0u);  // the unit is still open
    // 16 KiB: fw 3000 + 4 x 500, then four transfers back to back.
    EXPECT_EQ(write(*f, 1, 4, 100000), 100000 + 5000 + 4 * 1280);
    EXPECT_EQ(f->stats(200000).write_buffer_bytes, 5 * 4096u);
}

TEST(ConvFtl, WriteWaitsForBufferSpace)
{
    ConvParams p = params();
    p.write_buffer_bytes = 32 * kKiB;  // one program unit
    auto f = make_conv_ftl(p);
    // Unit 0: fw 3000 + 8 x 500 = 7000, eight transfers to 17240; then the
    // program on die 0: channel [17240, 58200), tPROG [58200, 258200). Its
    // 32 KiB come back at 258200.
    EXPECT_EQ(write(*f, 0, 8, 0), 17240);
    // Unit 1 at 20000: its first page waits for that space (258200), the
    // rest fit at once; eight transfers from 258200: 258200 + 8 x 1280.
    EXPECT_EQ(write(*f, 8, 8, 20000), 268440);
    // Die 1 programs it: 268440 + 40960 + 200000. The buffer is full again
    // until then, so a 4 KiB write waits for 509400.
    EXPECT_EQ(write(*f, 16, 1, 300000), 509400 + 1280);
    EXPECT_EQ(f->check_invariants(), "");
}

TEST(ConvFtl, WriteBufferOccupancyNeverExceedsItsCapacity)
{
    ConvParams p = params();
    p.write_buffer_bytes = 32 * kKiB;
    auto f = make_conv_ftl(p);
    write(*f, 0, 8, 0);      // unit 0 holds the buffer until 258200
    write(*f, 8, 8, 20000);  // unit 1 enters it at 258200
    // Unit 1's pages are committed at 20000 but enter only at 258200:
    // they are not counted before then.
    EXPECT_EQ(f->stats(30000).write_buffer_bytes, 32 * kKiB);
    EXPECT_EQ(f->stats(258200).write_buffer_bytes, 32 * kKiB);
}

TEST(ConvFtl, WriteBufferOccupancyWithABacklogOfAdmissions)
{
    ConvParams p = params();
    p.write_buffer_bytes = 32 * kKiB;
    auto f = make_conv_ftl(p);
    write(*f, 0, 8, 0);  // in the buffer [0, 258200)
    // Unit 1 (die 1) enters at 258200: transfers to 268440, programmed to
    // 268440 + 240960 = 509400.
    EXPECT_EQ(write(*f, 8, 8, 20000), 268440);
    // Unit 2 (die 0, page 1) enters at 509400: transfers to 519640.
    EXPECT_EQ(write(*f, 16, 8, 30000), 519640);
    // At 40000 only unit 0 is in the buffer.
    // Units 1 and 2 are committed but enter later: not counted yet.
    EXPECT_EQ(f->stats(40000).write_buffer_bytes, 32 * kKiB);
    EXPECT_EQ(f->stats(300000).write_buffer_bytes, 32 * kKiB);
}

TEST(ConvFtl, ReadQueuesBehindAProgramOnTheSameDie)
{
    auto f = make_conv_ftl(params());
    write(*f, 0, 16, 0);  // units 0 (die 0) and 1 (die 1), done by 272440
    // Unit 2 (die 0, page 1) at 1 ms: transfers to 1007000 + 10240 =
    // 1017240, channel [1017240, 1058200), tPROG [1058200, 1258200).
    EXPECT_EQ(write(*f, 16, 8, 1000000), 1017240);
    // LPN 0 (die 0) at 1.1 ms: sense waits for tPROG, [1258200, 1288200),
    // chunk to 1293320, PCIe to 1294600.
    EXPECT_EQ(read(*f, 0, 1, 1100000), 1294600);
    // LPN 8 on idle die 1: 1110000 + 30000 + 5120 + 1280; its PCIe slot
    // comes before the one booked for LPN 0.
    EXPECT_EQ(read(*f, 8, 1, 1100000), 1146400);
    // LPN 16 is in the unit being programmed: served from the buffer.
    EXPECT_EQ(read(*f, 16, 1, 1100000), 1110000 + 1280);
}

namespace {

// Records what the FTL reports to its observer (trace events, through the
// controller).
struct GcRecorder final : nvmev::ftl::FtlObserver {
    struct Run {
        uint32_t partition, line, pages, free_lines;
        bool background;
        int64_t time_ns;
        bool end;
    };
    std::vector<Run> runs;
    void gc_start(uint32_t partition, uint32_t line, uint32_t valid, uint32_t free_lines,
                  bool background, int64_t now_ns) override
    {
        runs.push_back({partition, line, valid, free_lines, background, now_ns, false});
    }
    void gc_end(uint32_t partition, uint32_t line, uint32_t copied, uint32_t free_lines,
                int64_t erased_ns) override
    {
        runs.push_back({partition, line, copied, free_lines, false, erased_ns, true});
    }
    void zone_state(uint32_t, uint8_t, uint8_t) override {}
};

}  // namespace

TEST(ConvFtl, GcRunsReachTheObserver)
{
    auto f = make_conv_ftl(gc_params(2, 2));
    GcRecorder rec;
    f->set_observer(&rec);
    for (int i = 0; i < 5; i++) {
        write(*f, i % 2 * 32, 32, i * 10000000);
    }
    EXPECT_TRUE(rec.runs.empty());
    // As in GarbageCollectionErasesAndTheDieWaitsForTbers: when LPN 32
    // opens line 5 (50000000 + 3500 + 1280), 2 free lines are left: line 0
    // (no valid page) is collected then and erased until 51004780.
    write(*f, 32, 1, 50000000);
    ASSERT_EQ(rec.runs.size(), 2u);
    EXPECT_FALSE(rec.runs[0].end);
    EXPECT_EQ(rec.runs[0].partition, 0u);
    EXPECT_EQ(rec.runs[0].line, 0u);
    EXPECT_EQ(rec.runs[0].pages, 0u);
    EXPECT_EQ(rec.runs[0].free_lines, 2u);
    EXPECT_FALSE(rec.runs[0].background);
    EXPECT_EQ(rec.runs[0].time_ns, 50004780);
    EXPECT_TRUE(rec.runs[1].end);
    EXPECT_EQ(rec.runs[1].line, 0u);
    EXPECT_EQ(rec.runs[1].pages, 0u);
    EXPECT_EQ(rec.runs[1].free_lines, 3u);
    EXPECT_EQ(rec.runs[1].time_ns, 51004780);
    f->set_observer(nullptr);
}

TEST(ConvFtl, GarbageCollectionErasesAndTheDieWaitsForTbers)
{
    // fg = bg = 2: only foreground GC, when a partition has 2 free lines.
    auto f = make_conv_ftl(gc_params(2, 2));
    // Each 128 KiB write fills one line; 10 ms apart, so every program is
    // over before the next. Lines 0..4 get LPNs 0..31, 32..63, 0..31,
    // 32..63, 0..31: lines 0, 1, 2 end up with no valid page.
    for (int i = 0; i < 5; i++) {
        write(*f, i % 2 * 32, 32, i * 10000000);
    }
    FtlStats s = f->stats(50000000);
    EXPECT_EQ(s.free_lines, 3u);
    EXPECT_EQ(s.gc_runs, 0u);
    // LPN 32 opens line 5 when it arrives (50000000 + 3500 + 1280): 2 free
    // lines are left, so GC collects line 0 (greedy, 0 valid: no copies)
    // and erases its blocks on dies 0 and 1 at once: [50004780, 51004780).
    EXPECT_EQ(write(*f, 32, 1, 50000000), 50004780);
    s = f->stats(50004780);
    EXPECT_EQ(s.gc_runs, 1u);
    EXPECT_EQ(s.gc_pages_copied, 0u);
    EXPECT_EQ(s.erases, 2u);  // one block on each die's single plane
    EXPECT_EQ(s.free_lines, 3u);
    EXPECT_EQ(s.total_lines, 8u);
    EXPECT_EQ(s.max_erase_count, 1u);
    EXPECT_EQ(s.host_pages_written, 161u);
    EXPECT_EQ(s.nand_pages_written, 160u);
    // LPN 0 (line 4, unit 0: die 0, LSB) right after: ready at 50020000,
    // the sense waits for tBERS: [51004780, 51034780), chunk to 51039900,
    // PCIe to 51041180.
    EXPECT_EQ(read(*f, 0, 1, 50010000), 51041180);
    // Once the erase is over, die 1 reads at the usual 46400.
    EXPECT_EQ(read(*f, 8, 1, 52000000), 52046400);
    EXPECT_EQ(f->check_invariants(), "");
}

TEST(ConvFtl, GarbageCollectionCopiesValidPagesBeforeErasing)
{
    // Background GC at 4 free lines when the dies are idle: one victim.
    auto f = make_conv_ftl(gc_params(2, 4));
    write(*f, 0, 32, 0);          // line 0: LPNs 0..31
    write(*f, 32, 32, 10000000);  // line 1: LPNs 32..63
    // Line 2 slots 0..23; line 0 keeps LPNs 24..31 valid, in its unit 3
    // (die 1, page 1: MSB).
    write(*f, 0, 24, 20000000);
    write(*f, 32, 8, 30000000);  // line 2 slots 24..31; line 1 keeps 24
    EXPECT_EQ(f->stats(30000000).free_lines, 5u);
    // LPN 40 arrives at 40000000 + 7000 + 1280 = 40008280 and opens line 3:
    // 4 free lines, dies idle, so GC collects line 0 (8 valid; line 1 has
    // 23). It reads the MSB page on die 1: sense [40008280, 40068280),
    // chunks to 40109240; the 8 pages fill unit 0 of GC line 4 (die 0),
    // programmed: channel 0 [40109240, 40150200), tPROG to 40350200. The
    // erase on die 0 (no reads there) cannot fit before that tPROG:
    // [40350200, 41350200); on die 1 it follows the read:
    // [40109240, 41109240). LPNs 41..47 reach 40017240 and fill unit 0 of
    // line 3 (die 0): its chunks fill channel 0's gap before the GC
    // program, and its tPROG waits for the erase: [41350200, 41550200).
    EXPECT_EQ(write(*f, 40, 8, 40000000), 40017240);
    FtlStats s = f->stats(40017240);
    EXPECT_EQ(s.gc_runs, 1u);
    EXPECT_EQ(s.gc_pages_copied, 8u);
    EXPECT_EQ(s.erases, 2u);
    EXPECT_EQ(s.free_lines, 4u);  // line 4 opened for GC, line 0 freed
    EXPECT_EQ(s.host_pages_written, 32u + 32 + 24 + 8 + 8);
    // Host units 4 + 4 + 3 + 1 + 1, plus the GC unit.
    EXPECT_EQ(s.nand_pages_written, 8u * 14);
    EXPECT_EQ(f->check_invariants(), "");
    // LPN 8 (line 2, unit 1: die 1) at 40100000: the sense waits for the
    // erase on die 1: [41109240, 41139240), chunk to 41144360, PCIe 1280.
    EXPECT_EQ(read(*f, 8, 1, 40100000), 41145640);
    // The copied LPN 24 is now on die 0, page 0 of line 4: an LSB read.
    EXPECT_EQ(read(*f, 24, 1, 45000000), 45046400);
}

TEST(ConvFtl, ReadsOfUnwrittenAndTrimmedPagesCostFirmwareAndPcieOnly)
{
    auto f = make_conv_ftl(params());
    EXPECT_EQ(read(*f, 5, 1, 1000), 1000 + 10000 + 1280);
    // 128 KiB never written: fw 20000 + 128 KiB over PCIe (40960).
    EXPECT_EQ(read(*f, 64, 32, 100000), 100000 + 20000 + 40960);

    write(*f, 0, 8, 1000000);  // unit 0, programmed by 1258200
    // Deallocate of LPNs 0..3: a map update, fw_write_ns only.
    EXPECT_EQ(submit(*f, MediaOp::Deallocate, 0, 4, 2000000), 2000000 + 3000);
    EXPECT_EQ(read(*f, 0, 1, 3000000), 3000000 + 10000 + 1280);
    EXPECT_EQ(read(*f, 4, 1, 4000000), 4000000 + 46400);  // still on NAND
    // Write Zeroes of whole pages drops their mappings the same way.
    EXPECT_EQ(submit(*f, MediaOp::WriteZeroes, 4, 4, 5000000), 5000000 + 3000);
    EXPECT_EQ(read(*f, 4, 1, 6000000), 6000000 + 11280);
    // 32 KiB over LPNs 0..7, all trimmed: fw 20000 + 10240.
    EXPECT_EQ(read(*f, 0, 8, 7000000), 7000000 + 30240);
    EXPECT_EQ(f->stats(7000000).host_pages_written, 8u);
    EXPECT_EQ(f->check_invariants(), "");
}

TEST(ConvFtl, FuaWaitsForTheProgramOfItsPaddedUnit)
{
    auto f = make_conv_ftl(params());
    // 4 KiB at 0 reaches the controller at 4780; its unit is padded and
    // programmed at once on die 0: 4780 + 40960 + 200000.
    EXPECT_EQ(write(*f, 0, 1, 0, true), 245740);
    FtlStats s = f->stats(245740);
    EXPECT_EQ(s.host_pages_written, 1u);
    EXPECT_EQ(s.nand_pages_written, 8u);  // 1 page + 7 of padding
    EXPECT_EQ(s.write_buffer_bytes, 0u);
    // The next page opens unit 1, on die 1.
    EXPECT_EQ(write(*f, 1, 1, 1000000, true), 1245740);
    // Without FUA: early completion.
    EXPECT_EQ(write(*f, 2, 1, 2000000), 2004780);
    // Write Zeroes with FUA over part of LPN 3 (512-byte LBAs 25..26):
    // the zero-filled page is admitted at 3000000 + 3500 (no transfer)
    // next to LPN 2 in unit 2 (die 0, page 1), which is then programmed:
    // 3003500 + 40960 + 200000.
    EXPECT_EQ(submit(*f, MediaOp::WriteZeroes, 25, 2, 3000000, true, 512), 3244460);
    EXPECT_EQ(f->check_invariants(), "");
}

TEST(ConvFtl, WithoutEarlyCompletionWritesWaitForTheirProgram)
{
    ConvParams p = params();
    p.early_completion = false;
    auto f = make_conv_ftl(p);
    EXPECT_EQ(write(*f, 0, 1, 0), 245740);  // as FUA above
    // A whole unit (unit 1, die 1) at 1 ms: transfers to 1017240, then
    // 40960 + 200000; no padding needed.
    EXPECT_EQ(write(*f, 8, 8, 1000000), 1258200);
    EXPECT_EQ(f->stats(1258200).nand_pages_written, 16u);
}

TEST(ConvFtl, FlushCompletesWhenTheBufferDrains)
{
    auto f = make_conv_ftl(params());
    // Three pages: fw 3000 + 1500, transfers to 8340.
    EXPECT_EQ(write(*f, 0, 3, 0), 8340);
    // Flush programs the open unit (padded) on die 0 from 10000:
    // 10000 + 40960 + 200000.
    EXPECT_EQ(submit(*f, MediaOp::Flush, 0, 0, 10000), 250960);
    EXPECT_EQ(f->stats(250960).nand_pages_written, 8u);
    EXPECT_EQ(f->stats(250960).write_buffer_bytes, 0u);
    // Nothing left: a later flush completes at once.
    EXPECT_EQ(submit(*f, MediaOp::Flush, 0, 0, 300000), 300000);
    // A full unit (die 1) at 1 ms is programmed at 1017240 + 240960 =
    // 1258200 without a flush; a flush meanwhile waits for that drain.
    EXPECT_EQ(write(*f, 8, 8, 1000000), 1017240);
    EXPECT_EQ(submit(*f, MediaOp::Flush, 0, 0, 1020000), 1258200);
    EXPECT_EQ(f->stats(1258200).nand_pages_written, 16u);
}

TEST(ConvFtl, LpnsAreStripedOverPartitions)
{
    ConvParams p = params();
    p.partitions = 2;  // partition 0 owns die 0, partition 1 die 1
    auto f = make_conv_ftl(p);
    // Even LPNs go to partition 0, odd ones to partition 1: 16 pages fill
    // one unit in each. fw 3000 + 16 x 500, then 16 transfers.
    EXPECT_EQ(write(*f, 0, 16, 0), 11000 + 16 * 1280);
    // LPN 14 (the 8th even page) arrives at 11000 + 15 x 1280 = 30200:
    // die 0 programs to 30200 + 40960 + 200000; LPN 15 at 31480 fills die
    // 1's unit: 31480 + 240960. A flush waits for both.
    EXPECT_EQ(submit(*f, MediaOp::Flush, 0, 0, 40000), 272440);
    // LPNs 0 and 1 are on different dies: two 4 KiB reads in parallel
    // (30000 + 5120 each), then 2 x 1280 on PCIe. fw 20000 (8 KiB).
    EXPECT_EQ(read(*f, 0, 2, 1000000), 1000000 + 20000 + 35120 + 2560);

    // One partition puts both in the same flash page: one 8 KiB sense
    // (tR 40000 above 4 KiB) and one 8 KiB chunk (10240), one piece
    // of 8 KiB on PCIe (2560).
    auto g = make_conv_ftl(params());
    write(*g, 0, 16, 0);
    EXPECT_EQ(read(*g, 0, 2, 1000000), 1000000 + 20000 + 50240 + 2560);
}

TEST(ConvFtl, TlcOneShotProgramCoversThreePageClasses)
{
    ConvParams p = params();
    p.geo.cell = CellType::Tlc;
    p.geo.pages_per_block = 6;
    p.geo.program_unit_bytes = 3 * 32768;  // 24 slots: pages 0, 1, 2
    p.timing.read_4k_ns = {30000, 40000, 50000, 0};
    auto f = make_conv_ftl(p);
    // fw 3000 + 24 x 500 = 15000, transfers to 15000 + 24 x 1280 = 45720;
    // 96 KiB cross channel 0 in 6 chunks (122880), then tPROG.
    EXPECT_EQ(write(*f, 0, 24, 0), 45720);
    EXPECT_EQ(submit(*f, MediaOp::Flush, 0, 0, 50000), 45720 + 122880 + 200000);
    // LSB, CSB, MSB: fw 10000 + tR + 5120 + 1280.
    EXPECT_EQ(read(*f, 0, 1, 1000000), 1000000 + 16400 + 30000);
    EXPECT_EQ(read(*f, 8, 1, 2000000), 2000000 + 16400 + 40000);
    EXPECT_EQ(read(*f, 16, 1, 3000000), 3000000 + 16400 + 50000);
}

TEST(ConvFtl, TwoPlanesProgramAndReadTogether)
{
    ConvParams p = params();
    p.geo.planes_per_lun = 2;  // a unit: 8 slots on plane 0, 8 on plane 1
    auto f = make_conv_ftl(p);
    // fw 3000 + 16 x 500, transfers to 11000 + 20480 = 31480; 64 KiB on
    // channel 0 (4 chunks, 81920), one tPROG for both planes.
    EXPECT_EQ(write(*f, 0, 16, 0), 31480);
    EXPECT_EQ(submit(*f, MediaOp::Flush, 0, 0, 40000), 31480 + 81920 + 200000);
    // 64 KiB: one multi-plane read, 32 KiB per plane (tR 40000), four
    // chunks on the channel (81920), each on PCIe (5120) as it comes in:
    // only the last chunk's PCIe transfer adds to the channel's; fw 20000.
    EXPECT_EQ(read(*f, 0, 16, 1000000), 1000000 + 20000 + 40000 + 81920 + 5120);
    // LPNs 7 (plane 0) and 8 (plane 1) share page 0: one multi-plane read
    // of 4 KiB per plane (tR 30000), 8 KiB on the channel (10240) and PCIe
    // (2560).
    EXPECT_EQ(read(*f, 7, 2, 2000000), 2000000 + 20000 + 30000 + 10240 + 2560);
}

TEST(ConvFtl, RetuneChecksNamesAndAppliesToLaterCommands)
{
    auto f = make_conv_ftl(params());
    const auto ps = f->params();
    ASSERT_EQ(ps.size(), 16u);
    EXPECT_EQ(ps[0].name, "nand-read-4k-lsb-ns");
    EXPECT_EQ(ps[0].value, 30000);
    EXPECT_EQ(ps[8].name, "nand-program-ns");
    EXPECT_EQ(ps[8].value, 200000);
    EXPECT_EQ(f->check_retune({{"nand-program-ns", -1}}), "'nand-program-ns' must be at least 0");
    EXPECT_EQ(f->check_retune({{"pcie-mbps", 0}}), "'pcie-mbps' must be at least 1");
    EXPECT_EQ(f->check_retune({{"nand-erase-ns", 1'000'000'000'001}}),
              "'nand-erase-ns' must be at most 1000000000000");
    EXPECT_EQ(f->check_retune({{"nand-erase-ns", 1'000'000'000'000}, {"pcie-mbps", INT64_MAX}}),
              "");
    EXPECT_EQ(f->check_retune({{"bogus", 1}})
                  .rfind("'bogus' is not a timing parameter of ssd=conv (allowed: "
                         "nand-read-4k-lsb-ns, nand-read-4k-csb-ns, ",
                         0),
              0u);
    EXPECT_EQ(f->check_retune({{"fw-read-4k-ns", 0}, {"channel-mbps", 1}}), "");

    write(*f, 0, 8, 0);
    f->retune({{"fw-read-4k-ns", 20000}, {"nand-read-4k-lsb-ns", 10000}}, 500000);
    // fw 20000 + tR 10000 + 5120 + 1280.
    EXPECT_EQ(read(*f, 0, 1, 1000000), 1000000 + 36400);
    f->reset_stats();
    EXPECT_EQ(f->stats(1000000).host_pages_written, 0u);
    EXPECT_EQ(f->stats(1000000).nand_pages_written, 0u);
}

namespace {

// 2 channels x 2 LUNs, 4 pages per block: 128-slot lines, an 8 MiB
// logical space with 25 % over-provisioning (20 lines per partition when
// there is one partition).
ConvParams random_params(uint32_t partitions, GcPolicy policy)
{
    ConvParams p = params();
    p.geo.luns_per_channel = 2;
    p.logical_bytes = 8 * kMiB;
    p.op_percent = 25;
    p.geo.blocks_per_plane = nvmev::ftl::conv_blocks_per_plane(p.geo, p.logical_bytes, 25);
    p.partitions = partitions;
    // The buffer only runs out (and admission then programs partial units,
    // padded) when the open units alone fill it. They hold less than one
    // unit per partition, so with >= partitions x 32 KiB nothing is padded.
    p.write_buffer_bytes = 256 * kKiB;
    p.gc_policy = policy;
    return p;
}

struct RandomRun {
    FtlStats stats;
    std::vector<uint64_t> host_pages;  // per partition
    uint64_t host_total = 0;
};

// Fills 90 % of the logical space sequentially, then random 4 KiB
// overwrites within it, with a trim now and then; checks the invariants
// every 1024 operations and at the end.
RandomRun random_overwrites(const ConvParams &p, uint64_t overwrites, uint64_t seed)
{
    auto f = make_conv_ftl(p);
    const uint64_t lpns = p.logical_bytes / 4096;
    const uint64_t live = lpns * 9 / 10;
    RandomRun run;
    run.host_pages.assign(p.partitions, 0);
    int64_t now = 0;
    for (uint64_t lpn = 0; lpn < live; lpn += 32) {
        const auto n = static_cast<uint32_t>(std::min<uint64_t>(32, live - lpn));
        write(*f, lpn, n, now);
        for (uint64_t l = lpn; l < lpn + n; ++l) {
            run.host_pages[l % p.partitions]++;
        }
        run.host_total += n;
        now += 50000;
    }
    std::mt19937_64 rng(seed);
    for (uint64_t i = 0; i < overwrites; ++i) {
        const uint64_t lpn = rng() % live;
        if (rng() % 64 == 0) {
            submit(*f, MediaOp::Deallocate, lpn, 1, now);
        } else {
            write(*f, lpn, 1, now);
            run.host_pages[lpn % p.partitions]++;
            run.host_total++;
        }
        now += 2000 + static_cast<int64_t>(rng() % 4000);
        if (i % 1024 == 0) {
            const std::string e = f->check_invariants();
            EXPECT_EQ(e, "") << "after " << i << " operations";
            EXPECT_GT(f->stats(now).free_lines, 0u) << "after " << i << " operations";
            if (!e.empty()) {
                break;
            }
        }
    }
    EXPECT_EQ(f->check_invariants(), "");
    run.stats = f->stats(now);
    return run;
}

}  // namespace

TEST(ConvFtl, RandomOverwritesAtNinetyPercentKeepTheAccounting)
{
    const ConvParams p = random_params(1, GcPolicy::Greedy);
    ASSERT_EQ(p.geo.blocks_per_plane, 20u);
    const uint64_t lpns = p.logical_bytes / 4096;
    const RandomRun run = random_overwrites(p, 20 * lpns, 42);
    const FtlStats &s = run.stats;
    EXPECT_EQ(s.host_pages_written, run.host_total);
    EXPECT_GT(s.gc_runs, 0u);
    EXPECT_GT(s.gc_pages_copied, 0u);
    EXPECT_GT(s.free_lines, 0u);
    EXPECT_EQ(s.erases, s.gc_runs * 4);  // 4 dies x 1 plane per line
    // Without flushes, FUA or a buffer that runs out with units open,
    // nothing is padded: every programmed unit is full. The user write
    // pointer takes only host pages in order, the GC one only copies, so
    // each has programmed all but the last partial unit of what it took:
    // nand = U x floor(host / U) + U x floor(copied / U), U = 8. Equivalently
    // nand = host + copied + padded(0) - pages still in the open units.
    // Trims invalidate slots but do not give them back, so they change
    // neither side.
    const uint64_t u = 8;
    EXPECT_EQ(s.nand_pages_written, u * (run.host_total / u) + u * (s.gc_pages_copied / u));
    const double waf = static_cast<double>(s.nand_pages_written) / s.host_pages_written;
    const double expect_waf =
        static_cast<double>(u * (run.host_total / u) + u * (s.gc_pages_copied / u)) /
        run.host_total;
    EXPECT_DOUBLE_EQ(waf, expect_waf);
    EXPECT_GT(waf, 1.0);
}

class ConvGcPolicy : public testing::TestWithParam<GcPolicy> {};

TEST_P(ConvGcPolicy, KeepsTheInvariantsOverTwoPartitions)
{
    const ConvParams p = random_params(2, GetParam());
    const uint64_t lpns = p.logical_bytes / 4096;
    const RandomRun run = random_overwrites(p, 8 * lpns, 7);
    const FtlStats &s = run.stats;
    EXPECT_EQ(s.host_pages_written, run.host_total);
    EXPECT_GT(s.gc_runs, 0u);
    EXPECT_GT(s.free_lines, 0u);
    EXPECT_EQ(s.total_lines, 2u * p.geo.blocks_per_plane);
    EXPECT_EQ(s.erases, s.gc_runs * 2);  // a partition's line: 2 dies x 1 plane
    // Per partition as above; only the split of the copies between the two
    // partitions is unknown, so their open GC units hold 0..2 x 7 pages.
    const uint64_t u = 8;
    uint64_t host_programmed = 0;
    for (uint64_t h : run.host_pages) {
        host_programmed += u * (h / u);
    }
    ASSERT_GE(s.nand_pages_written, host_programmed);
    const uint64_t gc_programmed = s.nand_pages_written - host_programmed;
    EXPECT_EQ(gc_programmed % u, 0u);
    EXPECT_LE(gc_programmed, s.gc_pages_copied);
    EXPECT_GE(gc_programmed + 2 * (u - 1), s.gc_pages_copied);
}

INSTANTIATE_TEST_SUITE_P(Conv, ConvGcPolicy,
                         testing::Values(GcPolicy::Greedy, GcPolicy::CostBenefit),
                         [](const testing::TestParamInfo<GcPolicy> &info) {
                             return info.param == GcPolicy::Greedy ? "Greedy" : "CostBenefit";
                         });

// A hostile or damaged drive state the FTL could not have saved is refused
// on load, not written through: a write pointer with no slot left in its
// line (the next write would land past the page maps), on a line that is
// not open, or sharing the other's line; a free list that repeats a line
// or lists one in use (it would be reopened over live pages).
TEST(ConvFtl, LoadRefusesWritePointersAndFreeListsItCannotHaveSaved)
{
    const ConvParams p = params();
    auto f = make_conv_ftl(p);
    write(*f, 0, 3, 0);  // the user write pointer: line 0, slot 3
    std::vector<uint8_t> state;
    nvmev::ftl::StateWriter w(state, 0);
    f->save_state(w);
    auto load = [&](const std::vector<uint8_t> &s) {
        auto g = make_conv_ftl(p);
        nvmev::ftl::StateReader r(s.data(), s.size(), 0);
        return g->load_state(r);
    };
    auto with = [&](size_t at, uint32_t v) {
        std::vector<uint8_t> s = state;
        std::memcpy(s.data() + at, &v, sizeof(v));
        return s;
    };
    ASSERT_EQ(load(state), "");
    // The payload ends with the user then the GC write pointer, 21 bytes
    // each (line, slot, host pages, data-ready time, open).
    const size_t user = state.size() - 42, gc = state.size() - 21;
    const uint32_t slots_per_line = 64;  // small_nand.h
    const std::string wps = "its write pointers lie outside the open lines";
    EXPECT_EQ(load(with(user + 4, slots_per_line)), wps);
    EXPECT_EQ(load(with(user + 4, slots_per_line - 1)), "") << "the last slot is a slot";
    EXPECT_EQ(load(with(user, 1)), wps) << "line 1 is free";
    EXPECT_EQ(load(with(gc, 0)), wps) << "both on line 0";
    // Counters (40), write buffer (held, drained, two empty lists: 32),
    // partitions (4); then the line pool: its size (4), 25 bytes a line,
    // the free ring (8 + 4 a line). Line 0 is open: the list is 1..15.
    const size_t ring = 40 + 32 + 4 + 4 + p.geo.blocks_per_plane * 25 + 8;
    const std::string lines = "its line table does not fit the geometry";
    EXPECT_EQ(load(with(ring + 2 * 4, 1)), lines) << "line 1 twice";
    EXPECT_EQ(load(with(ring + 1 * 4, 0)), lines) << "line 0 is open";
    EXPECT_EQ(load(with(ring + 0 * 4, 0)), "") << "outside the list: not a free entry";
}
