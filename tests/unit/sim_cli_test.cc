// nvmev-sim's command line: job files, fio's JSON layout, determinism and
// the device's own configuration errors.
#include <gtest/gtest.h>

#include <fstream>

#include "sim_fixture.h"

namespace nvmev::test {
namespace {

std::string write_temp(const std::string &name, const std::string &text)
{
    const std::string path = testing::TempDir() + name;
    std::ofstream(path) << text;
    return path;
}

TEST(SimCli, JobFileEqualsCommandLine)
{
    const std::string file = write_temp("sim_jobs.fio",
                                        "; two jobs\n"
                                        "[global]\n"
                                        "rw=randrw\n"
                                        "rwmixread=60   # percent\n"
                                        "io_size=1m\n"
                                        "[one]\n"
                                        "iodepth=4\n"
                                        "[two]\n"
                                        "bs=8k\n"
                                        "rw=randread\n");
    const auto a = cli({"--device", "ssd=conv,size=256m", "--output-format=json", file});
    const auto b = cli({"--device", "ssd=conv,size=256m", "--output-format=json", "--rw=randrw",
                        "--rwmixread=60", "--io_size=1m", "--name=one", "--iodepth=4", "--name=two",
                        "--bs=8k", "--rw=randread"});
    ASSERT_EQ(a.rc, 0) << a.err;
    ASSERT_EQ(b.rc, 0) << b.err;
    EXPECT_EQ(a.out, b.out);
    EXPECT_NE(a.out.find("\"jobname\" : \"two\""), std::string::npos);
}

TEST(SimCli, SameCommandSameBytes)
{
    const std::vector<std::string> args = {
        "--device",     "ssd=conv,size=128m", "--output-format=json", "--rw=randrw",
        "--iodepth=16", "--numjobs=2",        "--io_size=16m"};
    const auto a = cli(args), b = cli(args);
    ASSERT_EQ(a.rc, 0) << a.err;
    EXPECT_EQ(a.out, b.out);
    const auto c = cli({"--rw=randread", "--io_size=1m", "--iodepth=8"});
    const auto d = cli({"--rw=randread", "--io_size=1m", "--iodepth=8"});
    EXPECT_EQ(c.out, d.out);
}

TEST(SimCli, NoDataChangesNoFigure)
{
    std::vector<std::string> args = {"--device",    "ssd=conv,size=128m", "--output-format=json",
                                     "--rw=randrw", "--iodepth=8",        "--io_size=8m"};
    const auto a = cli(args);
    args.push_back("--no-data");
    const auto b = cli(args);
    ASSERT_EQ(b.rc, 0) << b.err;
    EXPECT_EQ(a.out, b.out);
}

TEST(SimCli, RandseedChangesTheOffsets)
{
    const auto a = cli({"--device", "ssd=conv,size=128m", "--rw=randwrite", "--io_size=8m",
                        "--iodepth=8", "--output-format=json"});
    const auto b = cli({"--device", "ssd=conv,size=128m", "--rw=randwrite", "--io_size=8m",
                        "--iodepth=8", "--output-format=json", "--randseed=12345"});
    EXPECT_NE(a.out, b.out);
}

TEST(SimCli, JsonHasFiosLayoutAndTheDevice)
{
    const auto r = cli({"--device", "ssd=nvm,read-latency-ns=20000", "--output-format=json",
                        "--name=qd1", "--rw=randread", "--io_size=400k"});
    ASSERT_EQ(r.rc, 0) << r.err;
    for (const char *s :
         {"\"fio version\" : \"nvmev-sim-", "\"jobs\" : [", "\"jobname\" : \"qd1\"",
          "\"io_bytes\" : 409600", "\"bw\" : 200000", "\"bw_bytes\" : 204800000",
          "\"iops\" : 50000.000000", "\"runtime\" : 2", "\"total_ios\" : 100", "\"clat_ns\" : {",
          "\"min\" : 20000", "\"50.000000\" : 20000", "\"99.000000\" : 20000",
          "\"99.990000\" : 20000", "\"write\" : {", "\"nvmev\" : {", "\"kind\" : \"nvm\"",
          "\"read-cmds\" : 100", "\"read-latency-ns\" : 20000"}) {
        EXPECT_NE(r.out.find(s), std::string::npos) << s;
    }
}

TEST(SimCli, ConvJsonHasTheMedia)
{
    const auto r = cli(
        {"--device", "ssd=conv,size=128m", "--output-format=json", "--rw=write", "--io_size=1m"});
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_NE(r.out.find("\"media\" : {"), std::string::npos);
    EXPECT_NE(r.out.find("\"waf\" : 1.000000"), std::string::npos);
    EXPECT_NE(r.out.find("\"host-pages-written\" : 256"), std::string::npos);
}

TEST(SimCli, ConfigErrorsAreTheCoresMessages)
{
    // The same messages as tests/unit/config_test.cc's for the device.
    auto r = cli({"--device", "ssd=nvm,lba-size=1024", "--io_size=4k"});
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err,
              "nvmev-sim: property 'lba-size': 1024 is not supported (allowed: 512, 4096)\n");
    r = cli({"--device", "ssd=floppy"});
    EXPECT_EQ(r.err,
              "nvmev-sim: property 'ssd': unknown kind 'floppy' (allowed: nvm, conv, zns, kv)\n");
    r = cli({"--device", "nvmev,ssd=nvm,preset=nope"});
    EXPECT_EQ(r.err,
              "nvmev-sim: property 'preset': unknown preset 'nope' (allowed: intel-p4800x, "
              "intel-p5800x, samsung-970pro, generic-tlc, wd-zn540, zns-prototype, "
              "kv-prototype)\n");
}

TEST(SimCli, DeviceStringRules)
{
    auto r = cli({"--device", "nvmev,ssd=nvm,nonsense=1"});
    EXPECT_EQ(r.err, "nvmev-sim: --device: Property 'nvmev.nonsense' not found\n");
    r = cli({"--device", "ssd=nvm,memdev=m0"});
    EXPECT_EQ(r.rc, 1);
    EXPECT_NE(r.err.find("property 'memdev': not supported by nvmev-sim"), std::string::npos);
    r = cli({"--device", "virtio-blk,ssd=nvm"});
    EXPECT_EQ(r.err,
              "nvmev-sim: --device: device 'virtio-blk': nvmev-sim builds only the nvmev "
              "device\n");
    r = cli({"--device", "nvmev,id=nvme0,iothread=io0,ssd=nvm", "--io_size=4k"});
    EXPECT_EQ(r.rc, 0);
    EXPECT_NE(r.err.find("note: id: a QEMU host setting"), std::string::npos);
    EXPECT_NE(r.err.find("note: iothread: a QEMU host setting"), std::string::npos);
}

TEST(SimCli, OptionErrors)
{
    auto r = cli({"--rw=sideways"});
    EXPECT_EQ(r.rc, 2);
    EXPECT_EQ(r.err,
              "nvmev-sim: option 'rw': 'sideways' is not one of read, write, randread, "
              "randwrite, rw, readwrite, randrw\n");
    r = cli({"--bogus=1"});
    EXPECT_EQ(r.err, "nvmev-sim: unknown option 'bogus'\n");
    r = cli({"--rw=write", "--zonemode=zbd"});
    EXPECT_EQ(r.err, "nvmev-sim: job 'job': zonemode=zbd needs ssd=zns\n");
    r = cli({"--device", "ssd=kv", "--rw=write"});
    EXPECT_EQ(r.err,
              "nvmev-sim: ssd=kv: a key-value namespace has no Read or Write; nvmev-sim "
              "drives the block kinds (nvm, conv, zns)\n");
    r = cli({"--device", "ssd=zns,size=64m,zone-size=16m", "--rw=write", "--zonemode=zbd",
             "--size=8m"});
    EXPECT_EQ(r.err,
              "nvmev-sim: job 'job': zonemode=zbd: offset and size hold no whole zone "
              "(16777216 bytes)\n");
    r = cli({"--help"});
    EXPECT_EQ(r.rc, 0);
    EXPECT_NE(r.out.find("--rate_iops"), std::string::npos);
}

}  // namespace
}  // namespace nvmev::test
