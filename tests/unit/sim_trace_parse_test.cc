// nvmev-sim's trace readers: fio's iolog (versions 2 and 3) and blkparse's
// text output, record by record, and their errors naming the line.
#include <gtest/gtest.h>

#include "blkparse_trace.h"
#include "fio_iolog.h"
#include "job_options.h"

namespace nvmev::sim {
namespace {

TraceRecord rec(TraceRecord::Op op, uint64_t offset, uint64_t bytes, int64_t at_ns, uint32_t line)
{
    TraceRecord r;
    r.op = op;
    r.offset = offset;
    r.bytes = bytes;
    r.at_ns = at_ns;
    r.line = line;
    return r;
}

std::string iolog_error(const std::string &text)
{
    Trace t;
    std::string err;
    EXPECT_FALSE(parse_fio_iolog(text, t, err));
    return err;
}

TEST(SimTraceParse, IologV3TimestampsAreMicrosecondsFromTheFirstLine)
{
    // As fio's write_iolog writes it: the file added and opened, then I/Os.
    const std::string text =
        "fio version 3 iolog\n"
        "5000 /dev/nvme0n1 add\n"
        "5000 /dev/nvme0n1 open\n"
        "5000 /dev/nvme0n1 read 4096 4096\n"
        "6000 /dev/nvme0n1 write 8192 16384\n"
        "\n"
        "6500 /dev/nvme0n1 trim 0 1048576\n"
        "6400 /dev/nvme0n1 sync 0 0\n"  // earlier than the line before: kept in order
        "7000 /dev/nvme0n1 datasync 0 0\n"
        "7000 /dev/nvme0n1 close\n";
    Trace t;
    std::string err;
    ASSERT_TRUE(parse_fio_iolog(text, t, err)) << err;
    EXPECT_EQ(t.format, "iolog3");
    const std::vector<TraceRecord> want = {
        rec(TraceRecord::Read, 4096, 4096, 0, 4),
        rec(TraceRecord::Write, 8192, 16384, 1'000'000, 5),
        rec(TraceRecord::Trim, 0, 1048576, 1'500'000, 7),
        rec(TraceRecord::Flush, 0, 0, 1'500'000, 8),
        rec(TraceRecord::Flush, 0, 0, 2'000'000, 9),
    };
    EXPECT_EQ(t.records, want);
}

TEST(SimTraceParse, IologV2WaitsAddUp)
{
    const std::string text =
        "fio version 2 iolog\n"
        "/mnt/f add\n"
        "/mnt/f open\n"
        "/mnt/f write 0 4096\n"
        "/mnt/f wait 250 0\n"
        "/mnt/f read 0 4096\n"
        "/mnt/f read 4096 4096\n"
        "/mnt/f wait 50 0\n"  // below 100 us: kept (current fio keeps it too)
        "/mnt/f trim 4096 4096\n"
        "/mnt/f close\n";
    Trace t;
    std::string err;
    ASSERT_TRUE(parse_fio_iolog(text, t, err)) << err;
    EXPECT_EQ(t.format, "iolog2");
    const std::vector<TraceRecord> want = {
        rec(TraceRecord::Write, 0, 4096, 0, 4),
        rec(TraceRecord::Read, 0, 4096, 250'000, 6),
        rec(TraceRecord::Read, 4096, 4096, 250'000, 7),
        rec(TraceRecord::Trim, 4096, 4096, 300'000, 9),
    };
    EXPECT_EQ(t.records, want);
}

TEST(SimTraceParse, IologErrorsNameTheLine)
{
    const std::string v3 = "fio version 3 iolog\n0 f add\n0 f open\n";
    EXPECT_EQ(iolog_error("fio version 1 iolog\n"),
              "line 1: not 'fio version 2 iolog' or 'fio version 3 iolog' (version 1 is not "
              "supported, as in fio; a blkparse text trace is read with read_blkparse=)");
    EXPECT_EQ(iolog_error(v3 + "1 g read 0 4096\n"),
              "line 4: a second file 'g' (the trace's file is 'f'; the namespace stands for one "
              "file)");
    EXPECT_EQ(iolog_error(v3 + "1 g add\n"),
              "line 4: a second file 'g' (the trace's file is 'f'; the namespace stands for one "
              "file)");
    EXPECT_EQ(iolog_error("fio version 3 iolog\n0 f add\n1 f read 0 4096\n"),
              "line 3: 'read' on 'f', which is not open");
    EXPECT_EQ(iolog_error("fio version 2 iolog\nf read 0 4096\n"),
              "line 2: 'f' is used before an 'add' action");
    EXPECT_EQ(iolog_error(v3 + "1 f wait 100 0\n"),
              "line 4: 'wait' is not allowed in version 3 (its timestamps give the timing)");
    EXPECT_EQ(iolog_error(v3 + "1 f read 0x10 4096\n"),
              "line 4: offset '0x10' or length '4096' is not a decimal number");
    EXPECT_EQ(iolog_error(v3 + "x f read 0 4096\n"),
              "line 4: 'x' is not a timestamp (microseconds)");
    EXPECT_EQ(iolog_error(v3 + "1 f erase 0 4096\n"),
              "line 4: unknown action 'erase' (read, write, trim, sync, datasync)");
    EXPECT_EQ(iolog_error(v3 + "1 f write 0 0\n"), "line 4: a write of length 0");
    EXPECT_EQ(iolog_error(v3 + "1 f read 0\n"),
              "line 4: expected 'timestamp file action' or 'timestamp file action offset "
              "length'");
    EXPECT_EQ(iolog_error("fio version 2 iolog\nf add\nf open\nf close\nf close\n"),
              "line 5: 'close' of 'f', which is not open");
    EXPECT_EQ(iolog_error(v3), "no I/O in the trace (read, write, trim, sync or datasync)");
    EXPECT_EQ(iolog_error(""),
              "line 1: empty file: no 'fio version 2 iolog' or 'fio version 3 iolog' line");
}

// blkparse's default output: events, then its per-CPU and total summary.
const char kBlkparse[] =
    "259,0    1        1     0.000000000  4162  Q   R 2048 + 8 [fio]\n"
    "259,0    1        2     0.000001200  4162  G   R 2048 + 8 [fio]\n"
    "259,0    1        3     0.000002000  4162  D   R 2048 + 8 [fio]\n"
    "259,0    1        4     0.000120000     0  C   R 2048 + 8 [0]\n"
    "259,0    0        5     0.001000000  4163  Q  WS 4096 + 16 [fio]\n"
    "259,0    0        6     0.001500000   211  Q FWS [kworker/0:1H]\n"
    "259,0    0        7     0.002000000  4163  Q FWFS 8 + 8 [jbd2/nvme0n1-8]\n"
    "259,0    0        8     0.003000000  4163  Q  DS 100000 + 2048 [fstrim]\n"
    "259,0    0        9     0.003100000  4163  Q  WS 0 + 0 [fio]\n"
    "259,0    0       10     0.003500000  4163  D  WS 4096 + 16 [fio]\n"
    "CPU0 (259,0):\n"
    " Reads Queued:           1,        4KiB\t Writes Queued:           3,       12KiB\n"
    "Total (259,0):\n"
    "Throughput (R/W): 33KiB/s / 100KiB/s\n";

TEST(SimTraceParse, BlkparseQueuedEvents)
{
    Trace t;
    std::string err;
    ASSERT_TRUE(parse_blkparse(kBlkparse, 'Q', t, err)) << err;
    EXPECT_EQ(t.format, "blkparse-Q");
    const std::vector<TraceRecord> want = {
        rec(TraceRecord::Read, 2048 * 512, 4096, 0, 1),
        rec(TraceRecord::Write, 4096 * 512, 8192, 1'000'000, 5),
        rec(TraceRecord::Flush, 0, 0, 1'500'000, 6),
        rec(TraceRecord::Flush, 0, 0, 2'000'000, 7),  // the preflush, then the write
        rec(TraceRecord::Write, 8 * 512, 4096, 2'000'000, 7),
        rec(TraceRecord::Trim, 100000ull * 512, 2048 * 512, 3'000'000, 8),
    };
    EXPECT_EQ(t.records, want);
}

TEST(SimTraceParse, BlkparseDispatchedEvents)
{
    Trace t;
    std::string err;
    ASSERT_TRUE(parse_blkparse(kBlkparse, 'D', t, err)) << err;
    EXPECT_EQ(t.format, "blkparse-D");
    const std::vector<TraceRecord> want = {
        rec(TraceRecord::Read, 2048 * 512, 4096, 0, 3),
        rec(TraceRecord::Write, 4096 * 512, 8192, 3'498'000, 10),
    };
    EXPECT_EQ(t.records, want);
}

TEST(SimTraceParse, BlkparseErrorsNameTheLine)
{
    Trace t;
    std::string err;
    EXPECT_FALSE(
        parse_blkparse("8,0 0 1 0.000000000 1 Q R 0 + 8 [a]\n"
                       "8,16 0 2 0.000000100 1 Q R 0 + 8 [a]\n",
                       'Q', t, err));
    EXPECT_EQ(err,
              "line 2: an event of device 8,16 (the trace's device is 8,0; the namespace stands "
              "for one device)");
    EXPECT_FALSE(parse_blkparse("8,0 0 1 0.000000000 1 Q R 0 + x [a]\n", 'Q', t, err));
    EXPECT_EQ(err, "line 1: '0 + x' is not 'sector + blocks'");
    EXPECT_FALSE(parse_blkparse("\n8,0 0 1 0.0000000001 1 Q R 0 + 8 [a]\n", 'Q', t, err));
    EXPECT_EQ(err, "line 2: '0.0000000001' is not a time (seconds.nanoseconds)");
    EXPECT_FALSE(parse_blkparse("8,0 0 1 0.5 1 Q WS [a]\n", 'Q', t, err));
    EXPECT_EQ(err, "line 1: a WS event without 'sector + blocks'");
    EXPECT_FALSE(parse_blkparse("8,0 0 1 0.5 1 C R 0 + 8 [0]\n", 'Q', t, err));
    EXPECT_EQ(err, "no 'Q' events with a read, write, discard or flush");
}

TEST(SimTraceParse, ReplayOptions)
{
    JobOptions j;
    std::string err;
    ASSERT_TRUE(apply_option(j, "replay_skip", "write,sync", err)) << err;
    EXPECT_EQ(j.replay_skip, (1u << TraceRecord::Write) | (1u << TraceRecord::Flush));
    EXPECT_FALSE(apply_option(j, "replay_skip", "write,erase", err));
    EXPECT_EQ(err, "option 'replay_skip': 'write,erase' is not a list of read, write, trim, sync");
    EXPECT_FALSE(apply_option(j, "blkparse_action", "C", err));
    EXPECT_EQ(err, "option 'blkparse_action': 'C' is not Q (queued) or D (dispatched)");
    EXPECT_FALSE(apply_option(j, "replay_time_scale", "0", err));
    ASSERT_TRUE(apply_option(j, "read_iolog", "t.log", err)) << err;
    EXPECT_TRUE(j.replays());
}

}  // namespace
}  // namespace nvmev::sim
