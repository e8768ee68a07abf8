// nvmev-sim's figures are the model's (docs/models.md, the simple model):
// exact completion times, the read/write mix, device-time stop rules.
#include <gtest/gtest.h>

#include "group_reporting.h"
#include "sim_fixture.h"

namespace nvmev::test {
namespace {

// read-latency-ns=20000 at 1000 MB/s: transfer_ns(4096) = 4096 ns.
const char kNvm[] = "ssd=nvm,read-latency-ns=20000,read-bandwidth-mbps=1000";

TEST(SimModel, Qd1ReadsTakeExactlyTheLatency)
{
    auto r = simulate(kNvm, {job({{"rw", "randread"}, {"io_size", "4m"}})});
    ASSERT_EQ(r.jobs.size(), 1u);
    const auto &rd = r.jobs[0].read;
    EXPECT_EQ(rd.ios, 1024u);
    EXPECT_EQ(rd.bytes, 4u << 20);
    EXPECT_EQ(rd.min_ns, 20000);
    EXPECT_EQ(rd.max_ns, 20000);
    // Back to back: 1024 x 20000 ns, so 50000 IOPS exactly.
    EXPECT_EQ(r.jobs[0].runtime_ns, 1024 * 20000);
    EXPECT_EQ(r.jobs[0].write.ios, 0u);
    EXPECT_EQ(r.info.read_cmds, 1024u);
}

TEST(SimModel, LargeIsolatedReadAddsTheExtraUnitsTransfer)
{
    // latency + transfer_ns(128 KiB) - transfer_ns(4 KiB) = 20000 + 131072 - 4096.
    auto r = simulate(kNvm, {job({{"rw", "read"}, {"bs", "128k"}, {"io_size", "1m"}})});
    EXPECT_EQ(r.jobs[0].read.ios, 8u);
    EXPECT_EQ(r.jobs[0].read.min_ns, 146976);
    EXPECT_EQ(r.jobs[0].read.max_ns, 146976);
}

TEST(SimModel, SaturatedQueueRunsAtTheBandwidth)
{
    // One busy period from the first fetch: the N-th 4 KiB read leaves the
    // pipe at N x 4096 ns and completes 20000 - 4096 ns later.
    auto r = simulate(kNvm, {job({{"rw", "randread"}, {"iodepth", "32"}, {"io_size", "4m"}})});
    EXPECT_EQ(r.jobs[0].read.ios, 1024u);
    EXPECT_EQ(r.jobs[0].runtime_ns, 1024 * 4096 + 20000 - 4096);
    EXPECT_EQ(r.jobs[0].read.min_ns, 20000);  // the first, on an idle pipe
}

TEST(SimModel, RwmixreadIsTheExactRatio)
{
    // After n I/Os, ceil(n x rwmixread / 100) were reads.
    auto r = simulate(kNvm, {job({{"rw", "randrw"}, {"rwmixread", "70"}, {"io_size", "4000k"}})});
    EXPECT_EQ(r.jobs[0].read.ios, 700u);
    EXPECT_EQ(r.jobs[0].write.ios, 300u);
    r = simulate(kNvm, {job({{"rw", "rw"}, {"rwmixread", "33"}, {"io_size", "404k"}})});
    EXPECT_EQ(r.jobs[0].read.ios, 34u);  // ceil(101 x 0.33)
    EXPECT_EQ(r.jobs[0].write.ios, 67u);
}

TEST(SimModel, RuntimeStopsInDeviceTime)
{
    // I/Os start at 0, 20 us, ...; the last one starts at 9.98 ms and ends
    // at exactly 10 ms, where issuing stops.
    auto r = simulate(kNvm, {job({{"rw", "randread"}, {"runtime", "10ms"}})});
    EXPECT_EQ(r.jobs[0].read.ios, 500u);
    EXPECT_EQ(r.jobs[0].runtime_ns, 10'000'000);
    EXPECT_EQ(r.device_ns, 10'000'000);
}

TEST(SimModel, TimeBasedRunsPastIoSize)
{
    auto r = simulate(kNvm, {job({{"rw", "read"},
                                  {"size", "8k"},
                                  {"io_size", "4k"},
                                  {"runtime", "1ms"},
                                  {"time_based", "1"}})});
    EXPECT_EQ(r.jobs[0].read.ios, 50u);  // 1 ms / 20 us, wrapping over 8 KiB
    EXPECT_EQ(r.jobs[0].runtime_ns, 1'000'000);
}

TEST(SimModel, RampTimeIsNotCounted)
{
    // 1 ms of ramp (50 reads), then 2 ms counted (100 reads).
    auto r = simulate(kNvm, {job({{"rw", "randread"}, {"ramp_time", "1ms"}, {"runtime", "2ms"}})});
    EXPECT_EQ(r.jobs[0].read.ios, 100u);
    EXPECT_EQ(r.jobs[0].runtime_ns, 2'000'000);
    EXPECT_EQ(r.info.read_cmds, 150u);
}

TEST(SimModel, RateIopsSpacesSubmissions)
{
    // 1000 IOPS: submissions at 0, 1 ms, ..., 9 ms; the last ends 20 us later.
    auto r = simulate(kNvm, {job({{"rw", "randread"}, {"rate_iops", "1000"}, {"io_size", "40k"}})});
    EXPECT_EQ(r.jobs[0].read.ios, 10u);
    EXPECT_EQ(r.jobs[0].runtime_ns, 9'000'000 + 20000);
    EXPECT_EQ(r.jobs[0].read.max_ns, 20000);
}

TEST(SimModel, NumjobsGivesAQueuePairAndAResultPerClone)
{
    auto r = simulate(kNvm, {job({{"rw", "randread"}, {"numjobs", "3"}, {"io_size", "40k"}})});
    ASSERT_EQ(r.jobs.size(), 3u);
    for (const auto &j : r.jobs) {
        EXPECT_EQ(j.read.ios, 10u);
    }
    EXPECT_EQ(r.info.read_cmds, 30u);
}

TEST(SimModel, GroupReportingMergesTheClones)
{
    auto r = simulate(
        kNvm,
        {job(
            {{"rw", "randread"}, {"numjobs", "3"}, {"io_size", "40k"}, {"group_reporting", "1"}})});
    const auto g = sim::reported_jobs(r);
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g[0].read.ios, 30u);
    EXPECT_EQ(g[0].read.samples.size(), 30u);
    EXPECT_EQ(g[0].read.min_ns, 20000);
    // The longest clone's runtime: the third waits for two transfers at
    // the start (2 x 4096 ns), then its 10 reads are 20 us apart.
    EXPECT_EQ(g[0].runtime_ns, 2 * 4096 + 10 * 20000);
}

TEST(SimModel, StonewallRunsJobsOneAfterAnother)
{
    auto a = job({{"rw", "read"}, {"io_size", "40k"}});
    a.name = "a";
    auto b = job({{"rw", "read"}, {"io_size", "40k"}, {"stonewall", "1"}});
    b.name = "b";
    auto r = simulate(kNvm, {a, b});
    EXPECT_EQ(r.jobs[0].runtime_ns, 10 * 20000);
    EXPECT_EQ(r.jobs[1].runtime_ns, 10 * 20000);
    EXPECT_EQ(r.device_ns, 20 * 20000);  // not overlapped
}

TEST(SimModel, ConvOverwriteReachesGarbageCollection)
{
    auto fill = job({{"rw", "write"}, {"bs", "128k"}, {"iodepth", "8"}});
    auto over =
        job({{"rw", "randwrite"}, {"iodepth", "32"}, {"io_size", "256m"}, {"stonewall", "1"}});
    auto r = simulate("ssd=conv,size=128m", {fill, over});
    EXPECT_EQ(r.info.error_cmds, 0u);
    EXPECT_EQ(r.jobs[1].write.ios, 65536u);
    EXPECT_GT(r.info.gc_runs, 0u);
    EXPECT_GT(r.info.nand_pages_written, r.info.host_pages_written);  // WAF > 1
}

TEST(SimModel, ZbdWritesOnZnsNeverFail)
{
    // 4 zones of 16 MiB written 4 times over: full zones are reset first.
    for (const char *rw : {"write", "randwrite", "randrw"}) {
        auto r = simulate("ssd=zns,size=64m,zone-size=16m", {job({{"rw", rw},
                                                                  {"zonemode", "zbd"},
                                                                  {"iodepth", "4"},
                                                                  {"max_open_zones", "2"},
                                                                  {"io_size", "256m"}})});
        SCOPED_TRACE(rw);
        EXPECT_EQ(r.info.error_cmds, 0u);
        EXPECT_EQ(r.jobs[0].write.errors + r.jobs[0].read.errors, 0u);
        EXPECT_GT(r.jobs[0].zone_resets, 0u);
        EXPECT_EQ(r.info.zone_resets, r.jobs[0].zone_resets);
    }
}

TEST(SimModel, ZbdClonesShareTheZones)
{
    // 4 clones want 2 open zones each of 4: a clone waits for zones the
    // others fill or give up when done; 96 MiB over 64 MiB needs resets.
    auto r = simulate("ssd=zns,size=64m,zone-size=16m", {job({{"rw", "randwrite"},
                                                              {"zonemode", "zbd"},
                                                              {"numjobs", "4"},
                                                              {"iodepth", "8"},
                                                              {"max_open_zones", "2"},
                                                              {"io_size", "24m"}})});
    ASSERT_EQ(r.jobs.size(), 4u);
    uint64_t resets = 0;
    for (const auto &j : r.jobs) {
        EXPECT_EQ(j.write.ios, 6144u);
        EXPECT_EQ(j.write.errors, 0u);
        resets += j.zone_resets;
    }
    EXPECT_EQ(r.info.error_cmds, 0u);
    EXPECT_GE(resets, 2u);
    EXPECT_EQ(r.info.zone_resets, resets);
}

TEST(SimModel, RandomWritesOnZnsWithoutZbdFailAsOnTheDevice)
{
    auto r = simulate("ssd=zns,size=64m,zone-size=16m",
                      {job({{"rw", "randwrite"}, {"io_size", "400k"}, {"randseed", "7"}})});
    EXPECT_GT(r.jobs[0].write.errors, 0u);
}

}  // namespace
}  // namespace nvmev::test
