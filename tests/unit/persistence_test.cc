// ssd=conv's drive state area (docs/persistence.md) through the fake host:
// a drive aged until GC ran is checkpointed, its controller destroyed and a
// new one started on the same backing store; it must continue exactly as a
// drive that never stopped (same completion times, counters and state).
// Corrupt slots, other formats and properties, reinit-metadata, Write
// Uncorrectable marks, namespace management and the checkpoint moments.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "config_fixture.h"
#include "core_fixture.h"
#include "drive_state.h"

using namespace nvmev;
using namespace nvmev::test;

namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kBuf = Driver::kDataBase;
constexpr const char *kName = "'m0' (file /tmp/drive.img)";

// 2 dies, 32 KiB programs, 4-page blocks: lines fill fast and GC runs
// after a few MiB of writes.
void small_conv(Cfg &c, int64_t interval_ms = 0)
{
    c.c.capacity_from_memdev = 1;
    c.c.backing_name = kName;
    c.c.msix_vectors = 4;
    c.set("channels", 2).set("luns-per-channel", 1).set("pages-per-block", 4);
    c.set("flash-page-size", 32768).set("program-unit-size", 32768).set("partitions", 2);
    c.set("write-buffer-size", 256 * 1024).set("checkpoint-interval-ms", interval_ms);
}

struct Media {
    uint64_t host, nand, gc_runs, gc_copied, erases, free_lines;
    bool operator==(const Media &) const = default;
};

class PersistenceTest : public CoreFixture {
protected:
    PersistenceTest() : CoreFixture(32 << 20) {}
    void SetUp() override
    {
        small_conv(cfg_);
        ASSERT_EQ(start(cfg_.c), "");
        ready_with_io_queue(64);
        rc_ = cfg_.resolve();
        nlbas_ = rc_.capacity_bytes / rc_.lba_size;
    }

    Media media()
    {
        NvmevCoreInfo i{};
        nvmev_core_get_info(core_, &i);
        return {i.host_pages_written, i.nand_pages_written, i.gc_runs, i.gc_pages_copied, i.erases,
                i.free_lines};
    }
    // 4 KiB writes: the whole drive in order, then `overwrites` at
    // pseudo-random 4 KiB offsets from `seed`.
    void age(uint32_t overwrites, uint32_t seed, bool fill = true)
    {
        const uint64_t pages = rc_.capacity_bytes / 4096;
        const uint32_t nlb = 4096 / rc_.lba_size;
        fill_guest(seed);
        for (uint64_t p = 0; fill && p < pages; p++) {
            ASSERT_EQ(io_status(make_rw(nvme_cmd_write, p * nlb, nlb, kBuf)), 0);
        }
        uint64_t x = seed;
        for (uint32_t i = 0; i < overwrites; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            ASSERT_EQ(io_status(make_rw(nvme_cmd_write, (x >> 33) % pages * nlb, nlb, kBuf)), 0);
        }
    }
    void fill_guest(uint8_t seed) { fill(kBuf, 4096, seed); }
    // Lets every program and erase end, so the NAND is idle.
    void idle() { host_.now_ns += 1'000'000'000; }
    // The newest valid checkpoint in the backing store, and its generation.
    std::vector<uint8_t> newest(uint64_t *generation = nullptr)
    {
        std::vector<uint8_t> copy = backing_, payload;
        ResolvedConfig rc = rc_;
        rc.reinit_metadata = false;
        DriveStateArea a;
        EXPECT_EQ(a.open(rc, copy.data() + rc.metadata_offset, payload), "");
        if (generation) {
            *generation = a.generation();
        }
        return payload;
    }
    uint64_t generation()
    {
        uint64_t g = 0;
        newest(&g);
        return g;
    }
    // Destroys the controller and starts one on `image` at time `at`.
    std::string restart(const std::vector<uint8_t> &image, int64_t at, const NvmevConfig &c)
    {
        nvmev_core_free(core_);
        core_ = nullptr;
        backing_ = image;
        host_.now_ns = at;
        return start(c, true);
    }
    std::vector<int64_t> completion_times() const
    {
        std::vector<int64_t> t;
        for (const auto &c : drv_->log) {
            t.push_back(c.posted_at_ns);
        }
        return t;
    }
    // Flips a payload byte of the newest checkpoint slot (or of both), as
    // a write torn by a crash would leave it.
    void corrupt(bool both = false)
    {
        DriveStateArea a;
        std::vector<uint8_t> copy = backing_, payload;
        ASSERT_EQ(a.open(rc_, copy.data() + rc_.metadata_offset, payload), "");
        for (unsigned s = 0; s < 2; s++) {
            if (both || s == a.newest_slot()) {
                backing_[rc_.metadata_offset + s * a.slot_bytes() + 64 + 100] ^= 0xff;
            }
        }
    }
    uint8_t *header() { return backing_.data() + rc_.metadata_offset + rc_.metadata_bytes - 4096; }

    Cfg cfg_{"conv", 8 * kMiB};
    ResolvedConfig rc_;
    uint64_t nlbas_ = 0;
};

TEST_F(PersistenceTest, LayoutReservesTheAreaAtTheBackendsEnd)
{
    // Whole 4 KiB pages: header + two slots, each a 64-byte slot header and
    // the largest payload (namespace state, 16384 mark ranges, FTL state).
    // Sized for the FTL of the whole 8 MiB first (an upper bound): two
    // slots of 290816 bytes and the header page.
    EXPECT_EQ(rc_.metadata_bytes, 585728u);
    EXPECT_GE(rc_.metadata_bytes, drive_state_bytes(rc_.conv));
    EXPECT_EQ(rc_.metadata_offset + rc_.metadata_bytes, 8 * kMiB);
    EXPECT_EQ(rc_.capacity_bytes, (8 * kMiB - rc_.metadata_bytes) / 4096 * 4096);
    EXPECT_EQ(rc_.conv.logical_bytes, rc_.capacity_bytes);
    NvmevLayout layout{};
    char *err = nullptr;
    ASSERT_EQ(nvmev_core_layout(&cfg_.c, &layout, &err), 0);
    EXPECT_EQ(layout.data_bytes, rc_.capacity_bytes);
    EXPECT_EQ(layout.metadata_bytes, rc_.metadata_bytes);
    // size= keeps no area: anonymous memory is gone at exit.
    Cfg anon("conv", 8 * kMiB);
    small_conv(anon);
    anon.c.capacity_from_memdev = 0;
    EXPECT_EQ(anon.resolve().metadata_bytes, 0u);
    EXPECT_EQ(anon.resolve().capacity_bytes, 8 * kMiB);
}

TEST_F(PersistenceTest, RestartContinuesExactlyLikeAnUninterruptedDrive)
{
    age(3000, 7);
    idle();
    const Media aged = media();
    ASSERT_GT(aged.gc_runs, 0u) << "the workload must make GC run";
    ASSERT_GT(aged.nand, aged.host);
    EXPECT_EQ(nvmev_core_checkpoint(core_), 1u);
    EXPECT_EQ(nvmev_core_checkpoint(core_), 0u) << "nothing changed since";
    const std::vector<uint8_t> image = backing_;
    const int64_t t1 = host_.now_ns;

    // The control: the same controller goes on (after a reset, which the
    // restarted one also goes through to get its queues).
    nvmev_core_reset(core_);
    drv_ = std::make_unique<Driver>(host_, core_);
    nvmev_core_set_msix(core_, 1);
    ready_with_io_queue(64);
    drv_->log.clear();
    age(2000, 99, false);
    const std::vector<int64_t> control_times = completion_times();
    idle();
    const Media control = media();
    EXPECT_GT(control.gc_runs, aged.gc_runs);
    EXPECT_EQ(nvmev_core_checkpoint(core_), 1u);
    const std::vector<uint8_t> control_state = newest();

    // The restart: a new controller over the image saved at t1.
    ASSERT_EQ(restart(image, t1, cfg_.c), "");
    EXPECT_EQ(media(), aged) << "WAF and GC counters continue, free lines as they were";
    ready_with_io_queue(64);
    drv_->log.clear();
    age(2000, 99, false);
    EXPECT_EQ(completion_times(), control_times);
    idle();
    EXPECT_EQ(media(), control);
    EXPECT_EQ(nvmev_core_checkpoint(core_), 1u);
    // Mapping, line states, erase counts, write pointers, write buffer and
    // counters: byte for byte what the uninterrupted drive saved.
    EXPECT_EQ(newest(), control_state);
}

// Writes queued far past a full write buffer have more admissions and
// releases ahead than the buffer has pages: the checkpoint merges them
// (WriteBuffer::save) instead of writing a list the restart would refuse.
TEST_F(PersistenceTest, ACheckpointUnderADeepWriteQueueLoads)
{
    cfg_.set("write-buffer-size", 64 * 1024);  // 16 pages: 18 entries kept
    ASSERT_EQ(start(cfg_.c), "");
    ready_with_io_queue(64);
    const uint32_t nlb = 8192 / rc_.lba_size;  // 2 pages: PRP1 and PRP2
    fill(kBuf, 8192, 3);
    for (uint32_t i = 0; i < 63; i++) {  // 126 pages into a 16-page buffer
        drv_->submit(1, make_rw(nvme_cmd_write, uint64_t{i} * nlb, nlb, kBuf, kBuf + 4096));
    }
    drv_->run(false);  // fetched and admitted; the buffer's worth completed
    ASSERT_LT(drv_->log.size(), 20u) << "most writes wait for buffer space";
    EXPECT_EQ(nvmev_core_checkpoint(core_), 1u);
    ASSERT_EQ(restart(backing_, host_.now_ns, cfg_.c), "");
    ready_with_io_queue(64);
    EXPECT_EQ(io_status(make_rw(nvme_cmd_write, 0, nlb, kBuf, kBuf + 4096)), 0);
}

TEST_F(PersistenceTest, ACorruptNewestSlotFallsBackToTheOlderOne)
{
    age(500, 3);
    idle();
    ASSERT_EQ(nvmev_core_checkpoint(core_), 1u);
    const Media first = media();
    const uint64_t g = generation();
    age(500, 4, false);
    idle();
    ASSERT_EQ(nvmev_core_checkpoint(core_), 1u);
    ASSERT_EQ(generation(), g + 1);
    ASSERT_NE(media(), first);
    corrupt();  // generation g + 1 was torn by a crash
    EXPECT_EQ(generation(), g);
    ASSERT_EQ(restart(backing_, host_.now_ns, cfg_.c), "");
    EXPECT_EQ(media(), first);
}

TEST_F(PersistenceTest, BothSlotsCorruptIsAnErrorNamingTheFileAndTheReinitProperty)
{
    age(100, 5);
    ASSERT_EQ(nvmev_core_checkpoint(core_), 1u);
    corrupt(true);
    const std::vector<uint8_t> image = backing_;
    EXPECT_EQ(restart(image, host_.now_ns, cfg_.c),
              "property 'memdev': memdev backend 'm0' (file /tmp/drive.img) holds a drive state "
              "whose checkpoint slots A and B are both corrupt (CRC32 mismatch); start with the "
              "same backend and properties, or set reinit-metadata=on to format the drive state "
              "afresh (a new drive over the data: mapping, wear and marks are lost)");
    // reinit-metadata=on formats afresh on purpose: a new drive, the data kept.
    Cfg reinit("conv", 8 * kMiB);
    small_conv(reinit);
    reinit.set("reinit-metadata", 1);
    ASSERT_EQ(restart(image, host_.now_ns, reinit.c), "");
    EXPECT_EQ(media(), (Media{0, 0, 0, 0, 0, media().free_lines}));
    EXPECT_EQ(media().free_lines, rc_.conv.geo.blocks_per_plane * 2u);
    EXPECT_EQ(std::memcmp(backing_.data(), image.data(), rc_.capacity_bytes), 0);
    EXPECT_EQ(generation(), 1u) << "the fresh drive's first checkpoint";
    // And the next start without the property loads that fresh drive.
    ASSERT_EQ(restart(backing_, host_.now_ns, cfg_.c), "");
    EXPECT_EQ(media().host, 0u);
}

TEST_F(PersistenceTest, OtherVersionOrPropertiesOrDataIsAnErrorNotAReset)
{
    ASSERT_EQ(nvmev_core_checkpoint(core_), 0u) << "formatted at start, nothing new";
    const std::vector<uint8_t> image = backing_;
    // Version 2 with a valid header CRC (offset 8; the CRC at 108).
    uint8_t *h = header();
    const uint32_t v2 = 2;
    std::memcpy(h + 8, &v2, 4);
    const uint32_t crc = static_cast<uint32_t>(crc32(0, h, 108));
    std::memcpy(h + 108, &crc, 4);
    EXPECT_EQ(restart(backing_, host_.now_ns, cfg_.c),
              "property 'memdev': memdev backend 'm0' (file /tmp/drive.img) holds drive state of "
              "format version 2, kind 2; this nvmev reads version 1, kind 2 (ssd=conv); start "
              "with the same backend and properties, or set reinit-metadata=on to format the "
              "drive state afresh (a new drive over the data: mapping, wear and marks are lost)");
    // A header byte flipped: its CRC names it corrupt.
    backing_ = image;
    header()[20] ^= 1;
    EXPECT_NE(
        restart(backing_, host_.now_ns, cfg_.c).find("holds a corrupt drive state header (CRC32 "),
        std::string::npos);
    // Another write buffer: the property is named.
    Cfg other("conv", 8 * kMiB);
    small_conv(other);
    other.set("write-buffer-size", 512 * 1024);
    EXPECT_EQ(restart(image, host_.now_ns, other.c),
              "property 'write-buffer-size': memdev backend 'm0' (file /tmp/drive.img) holds the "
              "drive state of a drive with write-buffer-size 262144, not 524288; start with the "
              "same backend and properties, or set reinit-metadata=on to format the drive state "
              "afresh (a new drive over the data: mapping, wear and marks are lost)");
    // A last page that is neither zero nor a header (another kind's data).
    backing_ = image;
    std::memset(header(), 0x5a, 4096);
    EXPECT_EQ(restart(backing_, host_.now_ns, cfg_.c),
              "property 'memdev': memdev backend 'm0' (file /tmp/drive.img) holds no ssd=conv "
              "drive state: its last page is neither zero nor a drive state header (another "
              "kind's data or metadata?); start with the same backend and properties, or set "
              "reinit-metadata=on to format the drive state afresh (a new drive over the data: "
              "mapping, wear and marks are lost)");
}

TEST_F(PersistenceTest, WriteUncorrectableMarksSurvive)
{
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write_uncor, 40, 8, 0)), 0);   // LBAs 40..47
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write_uncor, 100, 1, 0)), 0);  // LBA 100
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write, 44, 1, kBuf)), 0);      // clears LBA 44
    ASSERT_EQ(nvmev_core_checkpoint(core_), 1u);
    ASSERT_EQ(restart(backing_, host_.now_ns, cfg_.c), "");
    ready_with_io_queue(64);
    const uint16_t bad = sc(NVME_SCT_MEDIA, NVME_SC_READ_ERROR);
    for (uint64_t lba : {40, 43, 45, 47, 100}) {
        EXPECT_EQ(io_status(make_rw(nvme_cmd_read, lba, 1, kBuf)), bad) << lba;
    }
    for (uint64_t lba : {39, 44, 48, 99, 101}) {
        EXPECT_EQ(io_status(make_rw(nvme_cmd_read, lba, 1, kBuf)), 0) << lba;
    }
}

TEST_F(PersistenceTest, WriteUncorrectableBeyondThePersistedRangesFails)
{
    Cfg big("conv", 32 * kMiB);  // room for 2 x 16384 + 1 LBAs
    small_conv(big);
    ASSERT_EQ(start(big.c), "");
    ready_with_io_queue(64);
    // Every other LBA: disjoint ranges until the area's table is full.
    for (uint64_t i = 0; i < kPersistedMarkRanges; i++) {
        ASSERT_EQ(io_status(make_rw(nvme_cmd_write_uncor, 2 * i, 1, 0)), 0) << i;
    }
    EXPECT_EQ(io_status(make_rw(nvme_cmd_write_uncor, 2 * kPersistedMarkRanges, 1, 0)),
              sc(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false));
    // Touching an existing range merges into it: no new range, accepted.
    EXPECT_EQ(io_status(make_rw(nvme_cmd_write_uncor, 1, 1, 0)), 0);
    ASSERT_EQ(nvmev_core_checkpoint(core_), 1u);
    ASSERT_EQ(restart(backing_, host_.now_ns, big.c), "");
    ready_with_io_queue(64);
    const uint16_t bad = sc(NVME_SCT_MEDIA, NVME_SC_READ_ERROR);
    EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 1, 1, kBuf)), bad);
    EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 2 * kPersistedMarkRanges - 2, 1, kBuf)), bad);
    EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 2 * kPersistedMarkRanges - 1, 1, kBuf)), 0);
}

TEST_F(PersistenceTest, CheckpointMoments)
{
    const uint64_t g0 = generation();
    EXPECT_EQ(g0, 1u) << "a formatted area holds the fresh drive";
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write, 0, 8, kBuf)), 0);
    EXPECT_EQ(generation(), g0) << "checkpoint-interval-ms=0: writes alone do not";
    Sqe flush = make_rw(nvme_cmd_flush, 0, 1, 0);
    ASSERT_EQ(io_status(flush), 0);
    EXPECT_EQ(generation(), g0 + 1) << "Flush";
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write, 8, 8, kBuf)), 0);
    nvmev_core_reset(core_);
    EXPECT_EQ(generation(), g0 + 2) << "controller reset";
    drv_ = std::make_unique<Driver>(host_, core_);
    ready_with_io_queue(64);
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write, 16, 8, kBuf)), 0);
    drv_->write32(NVME_REG_CC, drv_->reg32(NVME_REG_CC) | (1u << 14));  // CC.SHN normal
    EXPECT_EQ(generation(), g0 + 3) << "shutdown";
    nvmev_core_free(core_);
    core_ = nullptr;
    EXPECT_EQ(generation(), g0 + 3) << "nothing new since the shutdown";
    ASSERT_EQ(start(cfg_.c, true), "");
    ready_with_io_queue(64);
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write, 24, 8, kBuf)), 0);
    nvmev_core_free(core_);  // unrealize
    core_ = nullptr;
    EXPECT_EQ(generation(), g0 + 4) << "controller destroyed";
    ASSERT_EQ(start(cfg_.c, true), "");
}

TEST_F(PersistenceTest, PeriodicCheckpointAfterActivity)
{
    Cfg periodic("conv", 8 * kMiB);
    small_conv(periodic, 1000);
    ASSERT_EQ(restart(backing_, host_.now_ns, periodic.c), "");
    ready_with_io_queue(64);
    const uint64_t g0 = generation();
    const int64_t t0 = host_.now_ns;
    drv_->submit(1, make_rw(nvme_cmd_write, 0, 8, kBuf));
    nvmev_core_process(core_, 0);
    // In flight: the timer fires for the completion first, then once more
    // one interval after the write was fetched, for the checkpoint.
    drv_->run();
    EXPECT_EQ(host_.now_ns, t0 + 1'000'000'000);
    EXPECT_EQ(generation(), g0 + 1);
    EXPECT_EQ(host_.timer_deadline, INT64_MAX) << "idle: no more wake-ups";
}

// The periodic checkpoint is armed by any namespace with a drive state
// area, not only by NSID 1: here NSID 1 is on anonymous memory and an
// nvmev-ns (NSID 2) on a file memdev.
TEST_F(PersistenceTest, PeriodicCheckpointOfAnotherNamespaceWhenNsid1HasNoArea)
{
    Cfg anon("conv", 8 * kMiB);
    small_conv(anon, 1000);
    anon.c.capacity_from_memdev = 0;
    anon.c.backing_name = nullptr;
    ASSERT_EQ(start(anon.c), "");
    Cfg c2("conv", 8 * kMiB);
    small_conv(c2, 1000);
    c2.c.backing_name = "'m2'";
    std::vector<uint8_t> ns2(8 * kMiB, 0);
    char *err = nullptr;
    ASSERT_EQ(nvmev_core_add_namespace(core_, 2, &c2.c, ns2.data(), 1, &err), 0) << err;
    ready_with_io_queue(64);
    const ResolvedConfig rc2 = c2.resolve();
    auto generation2 = [&] {
        std::vector<uint8_t> copy = ns2, payload;
        DriveStateArea a;
        EXPECT_EQ(a.open(rc2, copy.data() + rc2.metadata_offset, payload), "");
        return a.generation();
    };
    const uint64_t g0 = generation2();
    const int64_t t0 = host_.now_ns;
    Sqe w = make_rw(nvme_cmd_write, 0, 8, kBuf);
    w.nsid = 2;
    drv_->submit(1, w);
    nvmev_core_process(core_, 0);
    drv_->run();
    EXPECT_EQ(host_.now_ns, t0 + 1'000'000'000);
    EXPECT_EQ(generation2(), g0 + 1);
}

TEST_F(PersistenceTest, NamespaceStateSurvives)
{
    Cfg c2("conv", 8 * kMiB);
    small_conv(c2);
    c2.c.backing_name = "'m2'";
    std::vector<uint8_t> ns2(8 * kMiB, 0);
    char *err = nullptr;
    auto add2 = [&] {
        ASSERT_EQ(nvmev_core_add_namespace(core_, 2, &c2.c, ns2.data(), 1, &err), 0) << err;
    };
    auto state2 = [&] {
        NvmevCoreInfo i{};
        int allocated = -1, attached = -1;
        EXPECT_EQ(nvmev_core_ns_get_info(core_, 2, &i, &allocated, &attached), 0);
        return std::vector<uint64_t>{uint64_t(allocated), uint64_t(attached), i.capacity_bytes,
                                     i.lba_size};
    };
    auto again = [&] {
        ASSERT_EQ(restart(backing_, host_.now_ns, cfg_.c), "");
        add2();  // asks for attached: the saved state wins
        ready_with_io_queue(64);
    };
    const uint64_t cap = rc_.capacity_bytes;
    again();
    EXPECT_EQ(state2(), (std::vector<uint64_t>{1, 1, cap, 512}));
    ASSERT_EQ(nvmev_core_ns_set_attached(core_, 2, 0, &err), 0);
    again();
    EXPECT_EQ(state2(), (std::vector<uint64_t>{1, 0, cap, 512}));
    ASSERT_EQ(admin_status(admin(nvme_admin_ns_mgmt, NVME_NS_MGMT_SEL_DELETE, 0, 2)), 0);
    again();
    EXPECT_EQ(state2(), (std::vector<uint64_t>{0, 0, cap, 512}));
    // Re-created with half the slot's blocks (its format, 512 B LBAs).
    struct nvme_id_ns id {};
    id.nsze = id.ncap = cap / 512 / 2;
    host_.write(kBuf, id);
    const Cqe made =
        drv_->call(0, admin(nvme_admin_ns_mgmt, NVME_NS_MGMT_SEL_CREATE, NVME_CSI_NVM << 24));
    ASSERT_EQ(Driver::status(made), 0);
    ASSERT_EQ(made.dw0, 2u);
    again();
    EXPECT_EQ(state2(), (std::vector<uint64_t>{1, 0, cap / 2, 512}));
}

}  // namespace
