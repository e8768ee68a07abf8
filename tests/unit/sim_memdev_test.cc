// nvmev-sim --memdev-file: the drive lives in a file as with QEMU's
// memory-backend-file (docs/sim.md#aged-drives): its errors, real data,
// and a second run that continues the first one's drive state.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "data_pattern.h"
#include "sim_fixture.h"

namespace nvmev::test {
namespace {

std::string temp_path(const std::string &name)
{
    const std::string path = testing::TempDir() + name;
    unlink(path.c_str());
    return path;
}

bool exists(const std::string &path)
{
    struct stat st {};
    return stat(path.c_str(), &st) == 0;
}

uint64_t file_size(const std::string &path)
{
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return static_cast<uint64_t>(st.st_size);
}

std::string read_all(const std::string &path)
{
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

// Runs `jobs` on `device` with its data in `file`; the run must succeed.
sim::SimResult on_file(const std::string &device, const std::string &file,
                       const std::vector<sim::JobOptions> &jobs, bool stamp = false)
{
    sim::DeviceSpec spec;
    std::string err;
    EXPECT_TRUE(spec.parse(device, err)) << err;
    sim::SimOptions o;
    o.memdev_file = file;
    o.stamp = stamp;
    sim::SimResult r;
    EXPECT_TRUE(sim::run_simulation(spec.config(), jobs, r, err, o)) << err;
    return r;
}

// The figures query-nvmev's media reports, which the drive state carries.
void expect_same_media(const NvmevCoreInfo &a, const NvmevCoreInfo &b)
{
    EXPECT_EQ(a.host_pages_written, b.host_pages_written);
    EXPECT_EQ(a.nand_pages_written, b.nand_pages_written);
    EXPECT_EQ(a.gc_runs, b.gc_runs);
    EXPECT_EQ(a.gc_pages_copied, b.gc_pages_copied);
    EXPECT_EQ(a.erases, b.erases);
    EXPECT_EQ(a.free_lines, b.free_lines);
    EXPECT_EQ(a.total_lines, b.total_lines);
    EXPECT_EQ(a.write_buffer_bytes, b.write_buffer_bytes);
}

const char kConv[] = "ssd=conv,preset=samsung-970pro";

TEST(SimMemdev, Errors)
{
    const std::string f = temp_path("memdev_errors.img");
    auto r = cli({"--device", kConv, "--memdev-file", f, "--io_size=4k"});
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err, "nvmev-sim: --memdev-file " + f +
                         " does not exist: give size= in --device to create the drive (the "
                         "backend's size, as memory-backend-file's size=)\n");
    EXPECT_FALSE(exists(f));

    r = cli({"--device", std::string(kConv) + ",size=128m", "--memdev-file", f, "--no-data",
             "--io_size=4k"});
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err,
              "nvmev-sim: --no-data with --memdev-file: the drive on the file would keep the "
              "FTL's view of writes whose data never reached it; leave --no-data out\n");
    EXPECT_FALSE(exists(f));

    // A run that fails removes the file it created.
    r = cli({"--device", std::string(kConv) + ",size=128m", "--memdev-file=" + f, "--bs=1000"});
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err, "nvmev-sim: job 'job': bs=1000 is not a multiple of the LBA size 512\n");
    EXPECT_FALSE(exists(f));

    r = cli({"--device", std::string(kConv) + ",size=128m", "--memdev-file", f, "--io_size=4k"});
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(file_size(f), 128u << 20);
    r = cli({"--device", std::string(kConv) + ",size=256m", "--memdev-file", f, "--io_size=4k"});
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err, "nvmev-sim: --memdev-file " + f +
                         " holds 134217728 bytes, but --device gives size=268435456: with a "
                         "memdev file the capacity is the file's size; leave size= out or give "
                         "size=134217728\n");
    // The same size given again is fine; so is none.
    EXPECT_EQ(
        cli({"--device", std::string(kConv) + ",size=128m", "--memdev-file", f, "--io_size=4k"}).rc,
        0);

    r = cli({"--device", kConv, "--memdev-file", testing::TempDir(), "--io_size=4k"});
    EXPECT_EQ(r.err, "nvmev-sim: --memdev-file " + testing::TempDir() + ": not a regular file\n");
    r = cli({"--memdev-file"});
    EXPECT_EQ(r.rc, 2);
    EXPECT_EQ(r.err, "nvmev-sim: --memdev-file needs a path\n");
    r = cli({"--data-pattern=ones"});
    EXPECT_EQ(r.err, "nvmev-sim: --data-pattern: 'zeros' or 'stamp'\n");
    unlink(f.c_str());
}

TEST(SimMemdev, MismatchedOrCorruptDriveStateIsTheCoresErrorNamingTheFile)
{
    const std::string f = temp_path("memdev_mismatch.img");
    ASSERT_EQ(cli({"--device", std::string(kConv) + ",size=128m", "--memdev-file", f, "--rw=write",
                   "--io_size=1m"})
                  .rc,
              0);
    const std::string before = read_all(f);
    // Another write buffer: the drive state area, and so the capacity,
    // differ from the file's.
    auto r = cli({"--device", std::string(kConv) + ",write-buffer-size=512k", "--memdev-file", f,
                  "--io_size=4k"});
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err.rfind("nvmev-sim: property 'memdev': memdev backend 'memdev-file' (file " + f +
                              ") holds the drive state of a drive with memdev ",
                          0),
              0u)
        << r.err;
    // A refused start leaves the file as it was.
    EXPECT_TRUE(read_all(f) == before);

    // The header is the file's last page: one flipped byte breaks its CRC.
    {
        std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
        io.seekp(static_cast<std::streamoff>(file_size(f) - 4096 + 20));
        io.put('\x5a');
    }
    r = cli({"--device", kConv, "--memdev-file", f, "--io_size=4k"});
    EXPECT_EQ(r.rc, 1);
    EXPECT_NE(r.err.find("memdev backend 'memdev-file' (file " + f +
                         ") holds a corrupt drive state header"),
              std::string::npos)
        << r.err;
    unlink(f.c_str());
}

TEST(SimMemdev, ASecondRunContinuesTheDrive)
{
    // Fill, then overwrite twice the capacity at random: GC steady state.
    const std::string f = temp_path("memdev_aged.img");
    auto fill = job({{"rw", "write"}, {"iodepth", "32"}});
    auto over = job({{"rw", "randwrite"}, {"iodepth", "32"}, {"io_size", "512m"}});
    over.stonewall = true;
    auto first = on_file(std::string(kConv) + ",size=256m", f, {fill, over});
    ASSERT_EQ(first.info.error_cmds, 0u);
    ASSERT_GT(first.info.gc_runs, 0u);
    // Left idle, the drive collected in the background until its free
    // lines passed the threshold (samsung-970pro: 12 of 156 at the end of
    // the overwrite).
    ASSERT_TRUE(first.idled);
    EXPECT_GT(first.idle_gc_runs, 0u);
    EXPECT_GT(first.info.free_lines, 12u);
    EXPECT_EQ(file_size(f), 256u << 20);

    // Reads leave the drive state as it was: the restart shows it whole.
    auto reader = job({{"rw", "randread"}, {"io_size", "4m"}});
    auto second = on_file(kConv, f, {reader});
    EXPECT_EQ(second.jobs[0].read.ios, 1024u);
    EXPECT_EQ(second.info.error_cmds, 0u);
    {
        SCOPED_TRACE("as loaded");
        expect_same_media(second.start_info, first.info);
    }
    expect_same_media(second.info, first.info);
    EXPECT_EQ(second.info.capacity_bytes, first.info.capacity_bytes);

    // The idle time found nothing more to do: the first run's settled
    // drive was saved (the background GC its idle reads let run included).
    ASSERT_TRUE(second.idled);
    EXPECT_EQ(second.idle_gc_runs, 0u);

    // Writes continue from there.
    auto more =
        job({{"rw", "randwrite"}, {"iodepth", "32"}, {"io_size", "64m"}, {"randseed", "99"}});
    auto third = on_file(kConv, f, {more});
    EXPECT_EQ(third.info.host_pages_written, first.info.host_pages_written + 16384);
    EXPECT_GT(third.info.gc_runs, first.info.gc_runs);
    EXPECT_GT(third.info.nand_pages_written - first.info.nand_pages_written, 16384u);
    unlink(f.c_str());
}

TEST(SimMemdev, StampedDataIsInTheFileAtItsLba)
{
    const std::string f = temp_path("memdev_stamp.img");
    // 8 KiB sequential writes: write n covers LBAs 2n and 2n + 1.
    auto seq = job({{"rw", "write"}, {"bs", "8k"}, {"iodepth", "4"}, {"io_size", "1m"}});
    auto over = job({{"rw", "randwrite"},
                     {"iodepth", "8"},
                     {"size", "1m"},
                     {"io_size", "2m"},
                     {"stonewall", "1"}});
    auto r = on_file("ssd=conv,size=128m,lba-size=4096", f, {seq, over}, true);
    ASSERT_EQ(r.info.error_cmds, 0u);
    const std::string data = read_all(f);
    std::vector<uint8_t> want(4096);
    unsigned overwritten = 0;
    for (uint64_t lba = 0; lba < 256; lba++) {
        const uint8_t *b = reinterpret_cast<const uint8_t *>(data.data()) + lba * 4096;
        uint64_t head[3];
        std::memcpy(head, b, sizeof head);
        ASSERT_EQ(head[0], sim::kStampMagic) << lba;
        ASSERT_EQ(head[1], lba);
        // The last write of the block: the fill's (n = lba / 2) or one of
        // the 512 random writes after the fill's 128.
        ASSERT_TRUE(head[2] == lba / 2 || (head[2] >= 128 && head[2] < 128 + 512)) << head[2];
        overwritten += head[2] >= 128;
        sim::stamp_block(want.data(), 4096, lba, head[2]);
        ASSERT_EQ(std::memcmp(b, want.data(), 4096), 0) << lba;
    }
    // 512 random 4 KiB writes over 256 blocks leave about 256 x (1 - e^-2).
    EXPECT_GT(overwritten, 180u);
    EXPECT_LT(overwritten, 256u);
    // Beyond the written 1 MiB the namespace holds zeros; the drive state
    // follows it.
    const size_t nonzero = data.find_first_not_of('\0', 1u << 20);
    EXPECT_GE(nonzero, r.info.capacity_bytes);
    EXPECT_NE(nonzero, std::string::npos);
    unlink(f.c_str());
}

TEST(SimMemdev, ZnsZoneStatesPersist)
{
    const std::string f = temp_path("memdev_zns.img");
    const std::string dev = "ssd=zns,zone-size=16m";
    // Two whole zones written, a third half.
    auto w = job({{"rw", "write"}, {"zonemode", "zbd"}, {"bs", "64k"}, {"io_size", "40m"}});
    auto first = on_file(dev + ",size=80m", f, {w});
    ASSERT_EQ(first.info.error_cmds, 0u);
    auto second = on_file(dev, f, {job({{"rw", "read"}, {"io_size", "64k"}})});
    EXPECT_EQ(second.info.zone_count, first.info.zone_count);
    EXPECT_EQ(second.info.zones_in_state[4], 2u);  // full
    const uint32_t open_or_closed = second.info.zones_in_state[1] + second.info.zones_in_state[2] +
                                    second.info.zones_in_state[3];
    EXPECT_EQ(open_or_closed, 1u);
    EXPECT_EQ(second.info.zones_in_state[0], first.info.zone_count - 3);
    EXPECT_FALSE(second.idled);  // no idle time: ssd=zns has no background GC

    // The zbd workload starts every zone empty: refused on this drive.
    const auto r = cli({"--device", dev, "--memdev-file", f, "--rw=write", "--zonemode=zbd"});
    EXPECT_EQ(r.rc, 1);
    EXPECT_EQ(r.err,
              "nvmev-sim: zonemode=zbd on a drive whose zones are not all empty (3 of 4, from "
              "--memdev-file) is not supported: nvmev-sim does not read the write pointers "
              "back; reset the zones or use a new file\n");
    unlink(f.c_str());
}

}  // namespace
}  // namespace nvmev::test
