// nvmev-sim's trace replay (read_iolog=, read_blkparse=): I/Os issued at
// their trace times in device time, iodepth bounding what is in flight,
// trims and flushes reaching the device, errors naming the line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "sim_fixture.h"

namespace nvmev::test {
namespace {

// read-latency-ns=20000 at 1000 MB/s: an isolated 4 KiB read takes 20000
// ns; the pipe moves a 4 KiB unit in 4096 ns (sim_model_test.cc).
const char kNvm[] = "ssd=nvm,read-latency-ns=20000,read-bandwidth-mbps=1000,size=64m";

// Writes `text` to a file of the test's own and returns its path.
std::string trace_file(const std::string &name, const std::string &text)
{
    const std::string path = testing::TempDir() + name;
    std::ofstream(path) << text;
    return path;
}

// Reads at 0, 1 ms and 1 ms (fio's version 3 timestamps are microseconds).
std::string three_reads()
{
    return trace_file("replay_three_reads.log",
                      "fio version 3 iolog\n"
                      "0 /dev/nvme0n1 add\n"
                      "0 /dev/nvme0n1 open\n"
                      "0 /dev/nvme0n1 read 0 4096\n"
                      "1000 /dev/nvme0n1 read 4096 4096\n"
                      "1000 /dev/nvme0n1 read 8192 4096\n"
                      "1000 /dev/nvme0n1 close\n");
}

TEST(SimReplay, Iodepth1MakesTheSecondOfTwoAtOnceWait)
{
    auto r = simulate(kNvm, {job({{"read_iolog", three_reads()}})});
    ASSERT_EQ(r.jobs.size(), 1u);
    const auto &j = r.jobs[0];
    // 0 -> 20 us; 1 ms -> 1.02 ms; the third waits for the slot until
    // 1.02 ms (20 us late) and completes at 1.04 ms.
    EXPECT_EQ(j.read.ios, 3u);
    EXPECT_EQ(j.read.min_ns, 20000);
    EXPECT_EQ(j.read.max_ns, 20000);
    EXPECT_EQ(j.runtime_ns, 1'040'000);
    EXPECT_TRUE(j.replay.on);
    EXPECT_EQ(j.replay.format, "iolog3");
    EXPECT_EQ(j.replay.ios, 3u);
    EXPECT_EQ(j.replay.late_ios, 1u);
    EXPECT_EQ(j.replay.late_max_ns, 20000);
    EXPECT_EQ(j.replay.late_sum_ns, 20000);
}

TEST(SimReplay, Iodepth2IssuesBothAtTheirTime)
{
    auto r = simulate(kNvm, {job({{"read_iolog", three_reads()}, {"iodepth", "2"}})});
    const auto &j = r.jobs[0];
    // The two at 1 ms share the pipe: the second leaves it 4096 ns after
    // the first and completes at 1 ms + 2 x 4096 + 20000 - 4096.
    EXPECT_EQ(j.read.min_ns, 20000);
    EXPECT_EQ(j.read.max_ns, 24096);
    EXPECT_EQ(j.runtime_ns, 1'024'096);
    EXPECT_EQ(j.replay.late_ios, 0u);
}

TEST(SimReplay, NoStallAndTimeScale)
{
    auto r = simulate(kNvm, {job({{"read_iolog", three_reads()}, {"replay_no_stall", "1"}})});
    EXPECT_EQ(r.jobs[0].runtime_ns, 3 * 20000);  // back to back, in order
    EXPECT_EQ(r.jobs[0].replay.late_ios, 0u);
    // 200 %: twice the trace's rate, so the 1 ms I/Os come at 0.5 ms.
    r = simulate(kNvm, {job({{"read_iolog", three_reads()}, {"replay_time_scale", "200"}})});
    EXPECT_EQ(r.jobs[0].runtime_ns, 540'000);
    r = simulate(kNvm, {job({{"read_iolog", three_reads()}, {"replay_skip", "read"}})});
    EXPECT_EQ(r.jobs[0].read.ios + r.jobs[0].replay.ios, 0u);
}

TEST(SimReplay, RuntimeStopsTheReplay)
{
    // The I/Os due at 1 ms come after runtime: the run ends at 0.5 ms.
    auto r = simulate(kNvm, {job({{"read_iolog", three_reads()}, {"runtime", "500us"}})});
    EXPECT_EQ(r.jobs[0].read.ios, 1u);
    EXPECT_EQ(r.jobs[0].replay.ios, 1u);
    EXPECT_EQ(r.device_ns, 500'000);
}

TEST(SimReplay, V2WaitsAndBlkparseSecondsTimeTheIos)
{
    const std::string v2 = trace_file("replay_v2.log",
                                      "fio version 2 iolog\n"
                                      "f add\nf open\n"
                                      "f read 0 4096\n"
                                      "f wait 500 0\n"
                                      "f read 4096 4096\n");
    auto r = simulate(kNvm, {job({{"read_iolog", v2}})});
    EXPECT_EQ(r.jobs[0].runtime_ns, 520'000);
    const std::string bp = trace_file("replay.blkparse",
                                      "259,0 0 1 7.250000000 10 Q R 0 + 8 [fio]\n"
                                      "259,0 0 2 7.250300000 10 Q R 8 + 8 [fio]\n");
    r = simulate(kNvm, {job({{"read_blkparse", bp}})});
    EXPECT_EQ(r.jobs[0].runtime_ns, 320'000);
    EXPECT_EQ(r.jobs[0].replay.format, "blkparse-Q");
}

TEST(SimReplay, TrimAndFlushReachTheDevice)
{
    // 8 KiB of stamped data, then the second 4 KiB deallocated: the file
    // holding the namespace reads zeros there and the stamps before it.
    const std::string tr = trace_file("replay_trim.log",
                                      "fio version 3 iolog\n"
                                      "0 f add\n0 f open\n"
                                      "0 f write 0 8192\n"
                                      "100 f sync 0 0\n"
                                      "200 f trim 4096 4096\n"
                                      "300 f datasync 0 0\n");
    const std::string file = testing::TempDir() + "replay_trim.img";
    unlink(file.c_str());
    sim::DeviceSpec spec;
    std::string err;
    ASSERT_TRUE(spec.parse("ssd=nvm,size=16m", err)) << err;
    sim::SimOptions o;
    o.memdev_file = file;
    o.stamp = true;
    sim::SimResult r;
    ASSERT_TRUE(sim::run_simulation(spec.config(), {job({{"read_iolog", tr}})}, r, err, o)) << err;
    EXPECT_EQ(r.info.write_cmds, 1u);
    // Admin commands count too: Identify, Create I/O CQ and SQ, then two
    // Flushes and one Dataset Management.
    EXPECT_EQ(r.info.other_cmds, 6u);
    EXPECT_EQ(r.info.error_cmds, 0u);
    EXPECT_EQ(r.jobs[0].write.ios, 1u);
    EXPECT_EQ(r.jobs[0].trim.ios, 1u);
    EXPECT_EQ(r.jobs[0].trim.bytes, 4096u);
    EXPECT_EQ(r.jobs[0].sync.ios, 2u);
    std::ifstream f(file, std::ios::binary);
    const std::string data(std::istreambuf_iterator<char>(f), {});
    ASSERT_GE(data.size(), 8192u);
    EXPECT_EQ(data.substr(0, 8), "nvmevsim");
    EXPECT_EQ(data.substr(4096, 4096), std::string(4096, '\0'));
    unlink(file.c_str());

    // In the JSON: fio's "trim" and "sync", the device's counters.
    auto c = cli({"--device", "ssd=nvm,size=16m", "--read_iolog=" + tr, "--no-data",
                  "--output-format=json"});
    ASSERT_EQ(c.rc, 0) << c.err;
    EXPECT_NE(c.out.find("\"trim\" : {\n        \"io_bytes\" : 4096,"), std::string::npos) << c.out;
    EXPECT_NE(c.out.find("\"sync\" : {\n        \"total_ios\" : 2,"), std::string::npos);
    EXPECT_NE(c.out.find("\"other-cmds\" : 6,"), std::string::npos);
    EXPECT_NE(c.out.find("\"error-cmds\" : 0,"), std::string::npos);
}

TEST(SimReplay, OffsetErrorsNameTheLine)
{
    const std::string beyond = trace_file("replay_beyond.log",
                                          "fio version 3 iolog\n0 f add\n0 f open\n"
                                          "0 f read 0 4096\n"
                                          "1 f write 67104768 8192\n");
    auto c = cli({"--device", kNvm, "--read_iolog=" + beyond});
    EXPECT_EQ(c.rc, 1);
    EXPECT_EQ(c.err, "nvmev-sim: job 'job': read_iolog=" + beyond +
                         ": line 5: 8192 bytes at offset 67104768 end beyond the namespace "
                         "(67108864 bytes)\n");
    const std::string odd = trace_file("replay_odd.blkparse",
                                       "8,0 0 1 0.000000000 1 Q W 0 + 8 [a]\n"
                                       "8,0 0 2 0.000001000 1 Q W 9 + 8 [a]\n");
    c = cli({"--device", "ssd=nvm,lba-size=4096,size=64m", "--name=t", "--read_blkparse=" + odd});
    EXPECT_EQ(c.rc, 1);
    EXPECT_EQ(c.err, "nvmev-sim: job 't': read_blkparse=" + odd +
                         ": line 2: offset 4608 or length 4096 is not a multiple of the LBA "
                         "size 4096\n");
    c = cli({"--read_iolog=" + testing::TempDir() + "replay_none.log"});
    EXPECT_EQ(c.rc, 1);
    EXPECT_NE(c.err.find("replay_none.log: cannot read it"), std::string::npos) << c.err;
    c = cli({"--read_iolog=" + beyond, "--zonemode=zbd"});
    EXPECT_NE(c.err.find("zonemode=zbd with a trace: the trace gives the offsets and times"),
              std::string::npos)
        << c.err;
}

TEST(SimReplay, SameTraceSameBytes)
{
    std::string text = "fio version 3 iolog\n0 f add\n0 f open\n";
    for (int i = 0; i < 2000; i++) {
        const char *op = i % 7 == 3 ? "trim" : i % 3 ? "read" : "write";
        text += std::to_string(i * 37 % 5000) + " f " + op + " " +
                std::to_string((i * 7919 % 16000) * 4096) + " " +
                std::to_string(4096 * (1 + i % 4)) + "\n";
    }
    const std::string tr = trace_file("replay_det.log", text);
    const std::vector<std::string> args = {"--device",           "ssd=conv,size=128m",
                                           "--read_iolog=" + tr, "--iodepth=8",
                                           "--numjobs=2",        "--output-format=json"};
    auto a = cli(args), b = cli(args);
    ASSERT_EQ(a.rc, 0) << a.err;
    EXPECT_EQ(a.out, b.out);
    EXPECT_NE(a.out.find("\"late_ios\""), std::string::npos);
}

TEST(SimReplay, JobFileTakesTheTrace)
{
    const std::string jf = trace_file("replay.fio", "[global]\nread_iolog=" + three_reads() +
                                                        "\n[a]\niodepth=1\n[b]\nstonewall\n"
                                                        "iodepth=2\n");
    auto c = cli({"--device", kNvm, jf});
    ASSERT_EQ(c.rc, 0) << c.err;
    EXPECT_NE(c.out.find("a: read_iolog="), std::string::npos) << c.out;
    EXPECT_NE(c.out.find("  replay (iolog3): 3 I/Os, 1 late (max 20000 ns, total 20000 ns)"),
              std::string::npos)
        << c.out;
    EXPECT_NE(c.out.find("  replay (iolog3): 3 I/Os, 0 late"), std::string::npos);
}

}  // namespace
}  // namespace nvmev::test
