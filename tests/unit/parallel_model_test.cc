// The parallel NAND model (docs/models.md), to the nanosecond.
#include "../../timing/parallel_model.h"

#include <gtest/gtest.h>

#include <vector>

using nvmev::timing::CellType;
using nvmev::timing::FlashAddr;
using nvmev::timing::kCsb;
using nvmev::timing::kLsb;
using nvmev::timing::kMsb;
using nvmev::timing::kTsb;
using nvmev::timing::NandGeometry;
using nvmev::timing::NandTiming;
using nvmev::timing::ParallelModel;
using nvmev::timing::PcieDir;

namespace {

// MLC, 4 channels x 2 LUNs, 32 KiB flash pages.
NandGeometry geometry(CellType cell = CellType::Mlc)
{
    NandGeometry g;
    g.channels = 4;
    g.luns_per_channel = 2;
    g.planes_per_lun = 1;
    g.cell = cell;
    return g;
}

// NAND timing in the style of a Samsung 970 PRO (MLC). At 800 MB/s a
// 4 KiB chunk takes 4096 * 10^6 / 800 = 5,120,000 ps = 5120 ns and a
// 16 KiB chunk 20480 ns.
NandTiming timing()
{
    NandTiming t;
    t.read_4k_ns = {29760, 0, 41760, 0};
    t.read_page_ns = {30010, 0, 42010, 0};
    t.program_ns = 185000;
    t.erase_ns = 3000000;
    t.channel_mbps = 800;
    t.channel_chunk_bytes = 16384;
    t.pcie_mbps = 3360;
    t.fw_read_4k_ns = 21500;
    t.fw_read_ns = 30490;
    t.fw_write_ns = 1000;
    t.fw_write_4k_ns = 200;
    return t;
}

FlashAddr at(uint32_t channel, uint32_t lun, uint32_t page = 0)
{
    FlashAddr a;
    a.channel = channel;
    a.lun = lun;
    a.page = page;
    return a;
}

}  // namespace

TEST(ParallelModel, PageClassCyclesThroughTheCellsBits)
{
    ParallelModel slc(geometry(CellType::Slc), timing());
    EXPECT_EQ(slc.page_class(0), kLsb);
    EXPECT_EQ(slc.page_class(1), kLsb);

    ParallelModel mlc(geometry(CellType::Mlc), timing());
    EXPECT_EQ(mlc.page_class(0), kLsb);
    EXPECT_EQ(mlc.page_class(1), kMsb);  // MLC has no CSB
    EXPECT_EQ(mlc.page_class(2), kLsb);

    ParallelModel tlc(geometry(CellType::Tlc), timing());
    EXPECT_EQ(tlc.page_class(0), kLsb);
    EXPECT_EQ(tlc.page_class(1), kCsb);
    EXPECT_EQ(tlc.page_class(2), kMsb);
    EXPECT_EQ(tlc.page_class(3), kLsb);

    ParallelModel qlc(geometry(CellType::Qlc), timing());
    EXPECT_EQ(qlc.page_class(0), kLsb);
    EXPECT_EQ(qlc.page_class(1), kCsb);
    EXPECT_EQ(qlc.page_class(2), kMsb);
    EXPECT_EQ(qlc.page_class(3), kTsb);
    EXPECT_EQ(qlc.page_class(4), kLsb);
}

TEST(ParallelModel, SenseTimeDependsOnPageClassAndSize)
{
    ParallelModel m(geometry(), timing());
    EXPECT_EQ(m.sense_ns(0, 4096), 29760);
    EXPECT_EQ(m.sense_ns(0, 4097), 30010);
    EXPECT_EQ(m.sense_ns(1, 4096), 41760);
    EXPECT_EQ(m.sense_ns(1, 32768), 42010);
}

TEST(ParallelModel, FirmwareTimes)
{
    ParallelModel m(geometry(), timing());
    EXPECT_EQ(m.fw_read_ns(512), 21500);
    EXPECT_EQ(m.fw_read_ns(4096), 21500);
    EXPECT_EQ(m.fw_read_ns(4097), 30490);
    EXPECT_EQ(m.fw_write_ns(0), 1000);
    EXPECT_EQ(m.fw_write_ns(1), 1000 + 200);  // one started 4 KiB unit
    EXPECT_EQ(m.fw_write_ns(4096), 1000 + 200);
    EXPECT_EQ(m.fw_write_ns(4097), 1000 + 2 * 200);
    EXPECT_EQ(m.fw_write_ns(131072), 1000 + 32 * 200);  // 7400
}

TEST(ParallelModel, Isolated4kReadOfAnLsbPage)
{
    ParallelModel m(geometry(), timing());
    // Sense [1000, 30760), then one 4 KiB chunk: 30760 + 5120.
    EXPECT_EQ(m.read(at(0, 0, 0), 4096, 1000), 35880);
    // The die is free once the data sits in its cache register.
    EXPECT_EQ(m.die_busy_until(0, 0), 30760);
}

TEST(ParallelModel, Isolated4kReadOfAnMsbPage)
{
    ParallelModel m(geometry(), timing());
    // 41760 of sense + 5120 of transfer.
    EXPECT_EQ(m.read(at(0, 0, 1), 4096, 0), 46880);
}

TEST(ParallelModel, FullPageReadMovesTwoChunks)
{
    ParallelModel m(geometry(), timing());
    // 30010 of sense + 2 x 20480 for the two 16 KiB chunks.
    EXPECT_EQ(m.read(at(0, 0, 0), 32768, 0), 70970);
}

TEST(ParallelModel, ChannelTimeIsKeptInPicoseconds)
{
    NandTiming t = timing();
    t.channel_mbps = 3000;
    t.channel_chunk_bytes = 4096;
    ParallelModel m(geometry(), t);
    // Eight 4 KiB chunks of ceil(4096 * 10^6 / 3000) = 1,365,334 ps each:
    // 30,010,000 + 8 x 1,365,334 = 40,932,672 ps -> 40933 ns. Rounding each
    // chunk to 1366 ns would give 30010 + 8 x 1366 = 40938.
    EXPECT_EQ(m.read(at(0, 0, 0), 32768, 0), 40933);
}

TEST(ParallelModel, SameDieSerializesSensesButOverlapsTheTransfer)
{
    ParallelModel m(geometry(), timing());
    // First: sense [0, 30010), chunks [30010, 50490) [50490, 70970).
    EXPECT_EQ(m.read(at(0, 0, 0), 32768, 0), 70970);
    // Second: sense [30010, 60020), during the first transfer; its chunks
    // wait for the channel: [70970, 91450) [91450, 111930).
    EXPECT_EQ(m.read(at(0, 0, 2), 32768, 0), 111930);
    EXPECT_EQ(m.die_busy_until(0, 0), 60020);
}

TEST(ParallelModel, TwoDiesOfOneChannelShareTheChannel)
{
    ParallelModel m(geometry(), timing());
    // Both sense [0, 29760) at once; the chunks take turns on channel 0:
    // [29760, 34880) then [34880, 40000).
    EXPECT_EQ(m.read(at(0, 0, 0), 4096, 0), 34880);
    EXPECT_EQ(m.read(at(0, 1, 0), 4096, 0), 40000);
    EXPECT_EQ(m.die_busy_until(0, 0), 29760);
    EXPECT_EQ(m.die_busy_until(0, 1), 29760);
}

TEST(ParallelModel, StripedReadOverFourChannelsRunsInParallel)
{
    ParallelModel m(geometry(), timing());
    // 128 KiB as 4 x 32 KiB pages on channels 0..3: each is 30010 of sense
    // + 2 x 20480 on its own channel, so all end at 70970.
    for (uint32_t ch = 0; ch < 4; ch++) {
        EXPECT_EQ(m.read(at(ch, 0, 0), 32768, 0), 70970) << ch;
    }
}

TEST(ParallelModel, MultiPlaneReadSensesOncePerPlaneSize)
{
    NandGeometry g = geometry();
    g.planes_per_lun = 2;
    ParallelModel m(g, timing());
    // 8 KiB over 2 planes: 4 KiB per plane -> tR 29760; one 8 KiB chunk of
    // 8192 * 10^6 / 800 ps = 10240 ns: 29760 + 10240.
    EXPECT_EQ(m.read(at(0, 0, 0), 8192, 0, 2), 40000);
    // 64 KiB over 2 planes on another die: 32 KiB per plane -> tR 30010;
    // four 16 KiB chunks: 30010 + 4 x 20480.
    EXPECT_EQ(m.read(at(1, 0, 0), 65536, 0, 2), 111930);
}

TEST(ParallelModel, ReadQueuesBehindAProgramOnTheSameDie)
{
    ParallelModel m(geometry(), timing());
    // 32 KiB in: 2 x 20480 = 40960 on the channel, then tPROG
    // [40960, 225960).
    EXPECT_EQ(m.program(at(0, 0, 0), 32768, 0), 225960);
    EXPECT_EQ(m.die_busy_until(0, 0), 225960);
    // Ready during tPROG: sense [225960, 255720), chunk +5120.
    EXPECT_EQ(m.read(at(0, 0, 2), 4096, 100000), 260840);
    // Another die of the channel is not held by the program.
    EXPECT_EQ(m.read(at(0, 1, 0), 4096, 100000), 100000 + 29760 + 5120);
}

TEST(ParallelModel, EraseHoldsOnlyItsDie)
{
    ParallelModel m(geometry(), timing());
    EXPECT_EQ(m.erase(at(1, 0), 1000), 1000 + 3000000);
    // Same die: sense [3001000, 3030760), chunk +5120.
    EXPECT_EQ(m.read(at(1, 0, 0), 4096, 2000), 3035880);
    // Other die on the same channel: 2000 + 29760 + 5120.
    EXPECT_EQ(m.read(at(1, 1, 0), 4096, 2000), 36880);
}

TEST(ParallelModel, PcieBackToBackTransfersDoNotDrift)
{
    ParallelModel m(geometry(), timing());
    // One 4 KiB transfer at 3360 MB/s: ceil(4096 * 10^6 / 3360) =
    // 1,219,048 ps -> 1220 ns.
    EXPECT_EQ(m.pcie(PcieDir::ToHost, 4096, 0), 1220);
    int64_t last = 0;
    for (int i = 1; i < 1000; i++) {
        last = m.pcie(PcieDir::ToHost, 4096, 0);
    }
    // All 1000 as one sum: ceil(4,096,000 * 10^6 / 3360) = 1,219,047,620 ps
    // -> 1,219,048 ns. Per-transfer picosecond rounding adds 0.381 ps each
    // (381 ps in all), well under a nanosecond; rounding each transfer to
    // whole ns would give 1000 x 1220 = 1,220,000.
    const uint64_t total_ps = (uint64_t{4096000} * 1000000 + 3359) / 3360;
    const auto expect_ns = static_cast<int64_t>((total_ps + 999) / 1000);
    EXPECT_EQ(expect_ns, 1219048);
    EXPECT_EQ(last, expect_ns);
    // The other direction is a separate link.
    EXPECT_EQ(m.pcie(PcieDir::FromHost, 4096, 0), 1220);
    EXPECT_EQ(m.pcie(PcieDir::FromHost, 0, 7), 7);
}

TEST(ParallelModel, TransferReadyInThePastPaysItsFullDuration)
{
    ParallelModel m(geometry(), timing());
    // [0, 1,219,048) ps.
    EXPECT_EQ(m.pcie(PcieDir::ToHost, 4096, 0), 1220);
    // Ready at 500 ns, while the link is busy: no credit for the idle time
    // it missed; [1,219,048, 2,438,096) ps -> 2439 ns.
    EXPECT_EQ(m.pcie(PcieDir::ToHost, 4096, 500), 2439);
    // Ready long ago: [2,438,096, 3,657,144) ps -> 3658 ns.
    EXPECT_EQ(m.pcie(PcieDir::ToHost, 4096, 0), 3658);
}

TEST(ParallelModel, EarlierChunkFillsTheGapBeforeABookedOne)
{
    ParallelModel m(geometry(), timing());
    // MSB read on LUN 0: sense [0, 41760), chunk [41760, 46880).
    EXPECT_EQ(m.read(at(0, 0, 1), 4096, 0), 46880);
    // LSB read on LUN 1 booked later but ready earlier: its chunk takes the
    // idle channel at [29760, 34880) instead of queueing after 46880.
    EXPECT_EQ(m.read(at(0, 1, 0), 4096, 0), 34880);
    // 8 KiB (10240 ns) ready at 30000 fits neither [34880, 41760) nor any
    // earlier gap: [46880, 57120), then tPROG on LUN 1 (free since 29760):
    // 57120 + 185000.
    EXPECT_EQ(m.program(at(0, 1, 2), 8192, 30000), 242120);
}

TEST(ParallelModel, RetuneChangesLaterOperationsOnly)
{
    ParallelModel m(geometry(), timing());
    EXPECT_EQ(m.read(at(0, 0, 0), 4096, 0), 34880);  // 29760 + 5120
    NandTiming t = timing();
    t.read_4k_ns[kLsb] = 50000;
    t.channel_mbps = 400;  // 4 KiB: 4096 * 10^6 / 400 ps = 10240 ns
    m.retune(t);
    EXPECT_EQ(m.timing().channel_mbps, 400);
    // The booked sense keeps its old length.
    EXPECT_EQ(m.die_busy_until(0, 0), 29760);
    // Sense [29760, 79760), chunk [79760, 90000).
    EXPECT_EQ(m.read(at(0, 0, 2), 4096, 0), 90000);
}

TEST(ParallelModel, ForgetBeforeDropsFinishedWork)
{
    ParallelModel m(geometry(), timing());
    EXPECT_EQ(m.erase(at(2, 1), 0), 3000000);
    m.forget_before(2999999);  // still erasing
    EXPECT_EQ(m.die_busy_until(2, 1), 3000000);
    m.forget_before(3000000);
    EXPECT_EQ(m.die_busy_until(2, 1), 0);
    EXPECT_EQ(m.read(at(2, 1, 0), 4096, 3000000), 3000000 + 29760 + 5120);
}

TEST(ParallelModel, ZeroParametersDoNotDivideByZero)
{
    NandTiming t;  // all latencies 0
    t.channel_mbps = 0;
    t.channel_chunk_bytes = 0;
    t.pcie_mbps = -5;
    NandGeometry g = geometry();
    g.cell = static_cast<CellType>(0);
    ParallelModel m(g, t);
    EXPECT_EQ(m.page_class(7), kLsb);
    // Bandwidth taken as 1 MB/s: 4096 * 10^6 ps = 4,096,000 ns, one chunk.
    EXPECT_EQ(m.read(at(0, 0, 0), 4096, 0, 0), 4096000);
    EXPECT_EQ(m.pcie(PcieDir::ToHost, 4096, 0), 4096000);
}

// A 128 KiB flash page piece: every 16 KiB chunk reports its own arrival,
// so the FTL can send it over PCIe at once.
TEST(ParallelModel, ReadReportsEachChunksArrival)
{
    NandGeometry g = geometry();
    g.flash_page_bytes = 65536;
    ParallelModel m(g, timing());
    std::vector<nvmev::timing::ChunkArrival> chunks;
    // tR 30010 (LSB), then four chunks of 20480 back to back.
    EXPECT_EQ(m.read(at(0, 0), 65536, 0, 1, &chunks), 30010 + 4 * 20480);
    ASSERT_EQ(chunks.size(), 4u);
    for (size_t i = 0; i < chunks.size(); ++i) {
        EXPECT_EQ(chunks[i].bytes, 16384u);
        EXPECT_EQ(chunks[i].ready_ns, 30010 + 20480 * int64_t(i + 1));
    }
}

// die-busy-during-transfer: two 4 KiB reads of one die ready at once. Off,
// the second senses while the first's data crosses the channel; on, it
// waits until that data is out.
TEST(ParallelModel, DieBusyDuringTransferHoldsTheDieForTheReadsData)
{
    ParallelModel off(geometry(), timing());
    EXPECT_EQ(off.read(at(0, 0), 4096, 0), 29760 + 5120);
    EXPECT_EQ(off.read(at(0, 0), 4096, 0), 2 * 29760 + 5120);
    NandTiming t = timing();
    t.die_busy_during_transfer = true;
    ParallelModel on(geometry(), t);
    EXPECT_EQ(on.read(at(0, 0), 4096, 0), 29760 + 5120);
    EXPECT_EQ(on.die_busy_until(0, 0), 29760 + 5120);
    EXPECT_EQ(on.read(at(0, 0), 4096, 0), 2 * (29760 + 5120));
}

// A program holds the die from its first chunk in to the end of tPROG when
// on; off, a read fits in the die's idle gap before tPROG starts.
TEST(ParallelModel, DieBusyDuringTransferHoldsTheDieForTheProgramsData)
{
    ParallelModel off(geometry(), timing());
    // 32 KiB in two chunks [0, 40960), tPROG to 225960.
    EXPECT_EQ(off.program(at(0, 0), 32768, 0), 40960 + 185000);
    // The sense fits before tPROG: [0, 29760); its chunk waits for the
    // channel, free at 40960.
    EXPECT_EQ(off.read(at(0, 0), 4096, 0), 40960 + 5120);
    NandTiming t = timing();
    t.die_busy_during_transfer = true;
    ParallelModel on(geometry(), t);
    EXPECT_EQ(on.program(at(0, 0), 32768, 0), 40960 + 185000);
    EXPECT_EQ(on.die_busy_until(0, 0), 40960 + 185000);
    EXPECT_EQ(on.read(at(0, 0), 4096, 0), 225960 + 29760 + 5120);
    // A program after a busy die moves its data only once the die is free.
    EXPECT_EQ(on.program(at(0, 0), 32768, 0), 225960 + 29760 + 5120 + 40960 + 185000);
    // Erases also wait for the die in booking order.
    EXPECT_EQ(on.erase(at(0, 0), 0), 225960 + 29760 + 5120 + 40960 + 185000 + 3000000);
}
