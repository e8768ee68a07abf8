// The drive state area of ssd=nvm, zns and kv (docs/persistence.md): the
// namespace state (allocation, attachment, LBA size, capacity) and the
// Write Uncorrectable marks survive a restart on the same memdev; a
// corrupt area or one of another version is an error naming the file and
// reinit-metadata, never a silently reset drive; a checkpoint cut by a
// crash leaves the previous one. NSID 1 is the device's namespace, NSID 2
// an nvmev-ns of the same kind, each on its own memdev.
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
constexpr uint64_t kMemdev = 9 * kMiB;  // 8 MiB of data beside the metadata
constexpr const char *kName1 = "'m0' (file /tmp/ns1.img)";
constexpr const char *kName2 = "'m2' (file /tmp/ns2.img)";
// What reinit-metadata=on loses, as each kind's errors say it.
std::string lost(const std::string &ssd)
{
    return ssd == "zns"  ? "zone states, marks and namespace state are lost"
           : ssd == "kv" ? "keys, marks and namespace state are lost"
                         : "marks and namespace state are lost";
}

class NsStatePersistenceTest : public CoreFixture,
                               public ::testing::WithParamInterface<const char *> {
protected:
    NsStatePersistenceTest() : CoreFixture(32 << 20) {}
    void SetUp() override { ASSERT_EQ(boot(false), ""); }

    std::string ssd() const { return GetParam(); }
    bool has_marks() const { return ssd() != "kv"; }  // kv has no Write Uncorrectable
    std::unique_ptr<Cfg> config(const char *name, bool reinit) const
    {
        auto c = std::make_unique<Cfg>(GetParam(), kMemdev);
        c->c.capacity_from_memdev = 1;
        c->c.backing_name = name;
        c->c.msix_vectors = 4;
        c->set("checkpoint-interval-ms", 0);
        if (ssd() == "zns") {
            c->set("channels", 2).set("luns-per-channel", 1).set("flash-page-size", 16384);
            c->set("program-unit-size", 16384).set("zone-size", 1 << 20).set("zone-dies", 2);
        } else if (ssd() == "kv") {
            c->set("kv-max-keys", 64).set("kv-max-value-size", 4096);
        }
        if (reinit) {
            c->set("reinit-metadata", 1);
        }
        return c;
    }
    // Starts the controller (NSID 1) and adds NSID 2, on the backing stores
    // the last run left (keep) or on zeroed ones; "" or the first error.
    std::string boot(bool keep, bool reinit1 = false)
    {
        cfg1_ = config(kName1, reinit1);
        cfg2_ = config(kName2, false);
        rc1_ = cfg1_->resolve();
        rc2_ = cfg2_->resolve();
        if (!keep) {
            ns2_.assign(kMemdev, 0);
        }
        if (std::string e = start(cfg1_->c, keep); !e.empty()) {
            return e;
        }
        char *err = nullptr;
        if (nvmev_core_add_namespace(core_, 2, &cfg2_->c, ns2_.data(), 1, &err) != 0) {
            std::string e = err ? err : "";
            nvmev_core_free_error(err);
            return e;
        }
        ready_with_io_queue(64, 6);  // CC.CSS 110b: every I/O command set
        return "";
    }
    // A restart: the controller destroyed (its last checkpoint) and
    // started again on the same backing stores.
    std::string restart(bool reinit1 = false)
    {
        nvmev_core_free(core_);
        core_ = nullptr;
        return boot(true, reinit1);
    }
    // allocated, attached, capacity in bytes, LBA size.
    std::vector<uint64_t> state(uint32_t nsid)
    {
        NvmevCoreInfo i{};
        int allocated = -1, attached = -1;
        EXPECT_EQ(nvmev_core_ns_get_info(core_, nsid, &i, &allocated, &attached), 0);
        return {uint64_t(allocated), uint64_t(attached), i.capacity_bytes, i.lba_size};
    }
    std::vector<uint8_t> &store(uint32_t nsid) { return nsid == 1 ? backing_ : ns2_; }
    const ResolvedConfig &rc(uint32_t nsid) const { return nsid == 1 ? rc1_ : rc2_; }
    // The drive state area of a namespace as it is now in its backing store.
    DriveStateArea area(uint32_t nsid)
    {
        std::vector<uint8_t> copy = store(nsid), payload;
        ResolvedConfig load = rc(nsid);
        load.reinit_metadata = false;
        DriveStateArea a;
        EXPECT_EQ(a.open(load, copy.data() + load.metadata_offset, payload), "");
        return a;
    }
    // Slot A (0) or B (1): each half of the area before its header page.
    uint8_t *slot(uint32_t nsid, unsigned index)
    {
        const uint64_t slot_bytes = (rc(nsid).state_bytes - 4096) / 2;
        return store(nsid).data() + rc(nsid).metadata_offset + index * slot_bytes;
    }
    uint8_t *state_header(uint32_t nsid)
    {
        return store(nsid).data() + rc(nsid).metadata_offset + rc(nsid).state_bytes - 4096;
    }
    std::string remedy() const
    {
        return "; start with the same backend and properties, or set reinit-metadata=on to "
               "format the drive state afresh (a new drive over the data: " +
               lost(ssd()) + ")";
    }
    uint16_t read(uint64_t lba) { return io_status(make_rw(nvme_cmd_read, lba, 1, kBuf)); }
    uint16_t flush() { return io_status(make_rw(nvme_cmd_flush, 0, 1, 0)); }

    std::unique_ptr<Cfg> cfg1_, cfg2_;
    ResolvedConfig rc1_, rc2_;
    std::vector<uint8_t> ns2_;
};

const uint16_t kBad = sc(NVME_SCT_MEDIA, NVME_SC_READ_ERROR);

TEST_P(NsStatePersistenceTest, TheAreaTakesTheBackendsEndOrComesBeforeTheKindsMetadata)
{
    // Header page + two slots of a 64-byte slot header, 14 bytes of
    // namespace state, the mark count and 16384 marks of 16 bytes (kv: none).
    const uint64_t bytes = ssd() == "kv" ? 4096 + 2 * 4096 : 4096 + 2 * 266240;
    EXPECT_EQ(rc1_.state_bytes, bytes);
    EXPECT_EQ(rc1_.metadata_offset + rc1_.metadata_bytes, kMemdev);
    if (ssd() == "nvm") {
        EXPECT_EQ(rc1_.metadata_bytes, bytes);
        EXPECT_EQ(rc1_.capacity_bytes, (kMemdev - bytes) / 4096 * 4096);
        EXPECT_EQ(rc1_.capacity_bytes, 8900608u);
    } else if (ssd() == "zns") {
        // Header page and a page of 8 zone records (no extensions).
        EXPECT_EQ(rc1_.metadata_bytes, bytes + 4096 + 4096);
        EXPECT_EQ(rc1_.capacity_bytes, 8 * kMiB);  // 8 whole zones fit, 9 do not
    } else {
        EXPECT_EQ(rc1_.metadata_bytes, bytes + 4096);  // KV header and 64 records
        EXPECT_EQ(rc1_.capacity_bytes, kMemdev - bytes - 4096);
    }
    EXPECT_EQ(state(1), (std::vector<uint64_t>{1, 1, rc1_.capacity_bytes, 512}));
    // size=: anonymous memory, gone at exit: no area.
    Cfg anon(GetParam(), 8 * kMiB);
    if (ssd() == "zns") {
        anon.set("zone-size", 1 << 20);
    }
    EXPECT_EQ(anon.resolve().state_bytes, 0u);
    EXPECT_EQ(anon.resolve().capacity_bytes, 8 * kMiB);
}

TEST_P(NsStatePersistenceTest, NamespaceStateSurvivesARestart)
{
    const uint64_t cap = rc2_.capacity_bytes;
    ASSERT_EQ(restart(), "");
    EXPECT_EQ(state(2), (std::vector<uint64_t>{1, 1, cap, 512}));
    char *err = nullptr;
    ASSERT_EQ(nvmev_core_ns_set_attached(core_, 2, 0, &err), 0);  // nvmev-ns-detach
    ASSERT_EQ(restart(), "");  // asks for NSID 2 attached: the saved state wins
    EXPECT_EQ(state(2), (std::vector<uint64_t>{1, 0, cap, 512}));
    ASSERT_EQ(admin_status(admin(nvme_admin_ns_mgmt, NVME_NS_MGMT_SEL_DELETE, 0, 2)), 0);
    ASSERT_EQ(restart(), "");
    EXPECT_EQ(state(2), (std::vector<uint64_t>{0, 0, cap, 512}));
    if (ssd() != "kv") {  // a KV namespace is not created (CSI 2 is not offered)
        // nvm: half the slot; zns: exactly its zones.
        const uint64_t nsze = ssd() == "nvm" ? cap / 512 / 2 : cap / 512;
        struct nvme_id_ns id {};
        id.nsze = id.ncap = htole64(nsze);
        host_.write(kBuf, id);
        const uint8_t csi = ssd() == "nvm" ? NVME_CSI_NVM : NVME_CSI_ZNS;
        Sqe create = admin(nvme_admin_ns_mgmt, NVME_NS_MGMT_SEL_CREATE, uint32_t{csi} << 24);
        const Cqe made = drv_->call(0, create);
        ASSERT_EQ(Driver::status(made), 0);
        ASSERT_EQ(made.dw0, 2u);
        ASSERT_EQ(restart(), "");
        EXPECT_EQ(state(2), (std::vector<uint64_t>{1, 0, nsze * 512, 512}));
    }
    if (ssd() == "nvm") {
        // Format NVM to 4 KiB blocks (LBA format 1): the capacity in bytes stays.
        ASSERT_EQ(admin_status(admin(nvme_admin_format_nvm, 1, 0, 1)), 0);
        ASSERT_EQ(restart(), "");
        EXPECT_EQ(state(1), (std::vector<uint64_t>{1, 1, rc1_.capacity_bytes, 4096}));
    }
}

TEST_P(NsStatePersistenceTest, WriteUncorrectableMarksSurviveARestart)
{
    if (!has_marks()) {
        GTEST_SKIP() << "ssd=kv has no Write Uncorrectable";
    }
    // A zoned namespace takes a Write Uncorrectable at the write pointer
    // only: marks at LBA 0 (zone 0) and 2048 (zone 1), from `at` on.
    const uint64_t at = ssd() == "zns" ? 0 : 40, far = ssd() == "zns" ? 2048 : 100;
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write_uncor, at, 8, 0)), 0);  // at..at+7
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write, at + 8, 1, kBuf)), 0);
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write_uncor, at + 9, 2, 0)), 0);  // at+9, at+10
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write_uncor, far, 1, 0)), 0);
    if (ssd() == "nvm") {
        ASSERT_EQ(io_status(make_rw(nvme_cmd_write, at + 4, 1, kBuf)), 0);  // clears at+4
    }
    const uint64_t g = area(1).generation();
    ASSERT_EQ(flush(), 0);
    EXPECT_EQ(area(1).generation(), g + 1) << "a Flush checkpoints";
    ASSERT_EQ(restart(), "");
    for (uint64_t lba : {at, at + 3, at + 5, at + 7, at + 9, at + 10, far}) {
        EXPECT_EQ(read(lba), kBad) << lba;
    }
    EXPECT_EQ(read(at + 4), ssd() == "nvm" ? 0 : kBad);
    for (uint64_t lba : {at + 8, at + 11, far + 1}) {
        EXPECT_EQ(read(lba), 0) << lba;
    }
}

TEST_P(NsStatePersistenceTest, InterruptedCheckpointLeavesThePreviousOne)
{
    // Checkpoint g: NSID 2 attached (and NSID 1's LBA `at` marked; zns:
    // at the write pointer).
    const uint64_t at = ssd() == "zns" ? 0 : 40;
    if (has_marks()) {
        ASSERT_EQ(io_status(make_rw(nvme_cmd_write_uncor, at, 1, 0)), 0);
        ASSERT_EQ(flush(), 0);
    }
    const uint64_t g1 = area(1).generation(), g2 = area(2).generation();
    // Checkpoint g + 1: NSID 2 detached (and LBA at + 1 marked too).
    char *err = nullptr;
    ASSERT_EQ(nvmev_core_ns_set_attached(core_, 2, 0, &err), 0);
    if (has_marks()) {
        ASSERT_EQ(io_status(make_rw(nvme_cmd_write_uncor, at + 1, 1, 0)), 0);
        ASSERT_EQ(flush(), 0);
        ASSERT_EQ(area(1).generation(), g1 + 1);
    }
    ASSERT_EQ(area(2).generation(), g2 + 1);
    nvmev_core_free(core_);  // no checkpoint left to write at the stop
    core_ = nullptr;
    ASSERT_EQ(area(2).generation(), g2 + 1);
    // The crash: NSID 2's newest slot has its payload but not its slot
    // header (save() zeroes it first, writes it last); NSID 1's newest slot
    // is torn in its payload.
    std::memset(slot(2, area(2).newest_slot()), 0, 64);
    if (has_marks()) {
        slot(1, area(1).newest_slot())[64 + 20] ^= 0xff;
    }
    ASSERT_EQ(area(2).generation(), g2);
    ASSERT_EQ(boot(true), "");
    EXPECT_EQ(state(2), (std::vector<uint64_t>{1, 1, rc2_.capacity_bytes, 512}));
    if (has_marks()) {
        EXPECT_EQ(read(at), kBad);
        EXPECT_EQ(read(at + 1), 0);
    }
}

TEST_P(NsStatePersistenceTest, BothSlotsCorruptIsAnErrorUntilReinitMetadata)
{
    const uint64_t at = ssd() == "zns" ? 0 : 40;  // zns: at the write pointer
    if (has_marks()) {
        ASSERT_EQ(io_status(make_rw(nvme_cmd_write_uncor, at, 8, 0)), 0);
    }
    nvmev_core_free(core_);
    core_ = nullptr;
    for (unsigned s = 0; s < 2; s++) {
        slot(1, s)[64 + 2] ^= 0xff;  // a payload byte (both slots hold one)
    }
    EXPECT_EQ(boot(true),
              std::string("property 'memdev': memdev backend ") + kName1 +
                  " holds a drive state whose checkpoint slots A and B are both corrupt (CRC32 "
                  "mismatch)" +
                  remedy());
    // reinit-metadata=on: a fresh drive state (no marks, allocated and
    // attached), the data kept.
    ASSERT_EQ(boot(true, true), "");
    EXPECT_EQ(area(1).generation(), 1u);
    EXPECT_EQ(state(1), (std::vector<uint64_t>{1, 1, rc1_.capacity_bytes, 512}));
    if (has_marks()) {
        EXPECT_EQ(read(at), 0);
    }
    // And the next start without it loads that drive state.
    ASSERT_EQ(restart(), "");
}

TEST_P(NsStatePersistenceTest, AnotherFormatVersionIsAnErrorUntilReinitMetadata)
{
    nvmev_core_free(core_);
    core_ = nullptr;
    const std::vector<uint8_t> image = backing_;
    // The drive state header of version 2 with a valid CRC (the version at
    // offset 8, the CRC at 108).
    uint8_t *h = state_header(1);
    const uint32_t v2 = 2;
    std::memcpy(h + 8, &v2, 4);
    const uint32_t crc = static_cast<uint32_t>(crc32(0, h, 108));
    std::memcpy(h + 108, &crc, 4);
    const unsigned kind = ssd() == "nvm" ? 1 : ssd() == "zns" ? 3 : 4;
    EXPECT_EQ(boot(true), std::string("property 'memdev': memdev backend ") + kName1 +
                              " holds drive state of format version 2, kind " +
                              std::to_string(kind) + "; this nvmev reads version 1, kind " +
                              std::to_string(kind) + " (ssd=" + ssd() + ")" + remedy());
    // The kind's own metadata of the version before the drive state area.
    backing_ = image;
    const uint32_t v1 = 1;
    if (ssd() == "zns") {
        std::memcpy(backing_.data() + kMemdev - 4096 + 8, &v1, 4);  // zone header: last page
        EXPECT_EQ(boot(true),
                  std::string("property 'memdev': memdev backend ") + kName1 +
                      " holds zone metadata of format version 1; this nvmev reads version 2 "
                      "(which keeps the namespace state and marks beside the zones); set "
                      "reinit-metadata=on to format the metadata afresh (a new drive over the "
                      "data: zone states, marks and namespace state are lost), or use a new "
                      "backend");
    } else if (ssd() == "kv") {
        // The KV header: the first bytes after the drive state area.
        std::memcpy(backing_.data() + rc1_.metadata_offset + rc1_.state_bytes + 8, &v1, 4);
        EXPECT_EQ(boot(true), std::string("memdev backend ") + kName1 +
                                  " holds a KV store formatted with format version 1; this "
                                  "device reads version 2; set reinit-metadata=on to format "
                                  "the key store afresh (every key is lost)");
    } else {
        // ssd=nvm had no metadata: a last page of data is not a drive state.
        std::memset(state_header(1), 0x5a, 4096);
        EXPECT_EQ(boot(true), std::string("property 'memdev': memdev backend ") + kName1 +
                                  " holds no ssd=nvm drive state: its last page is neither zero "
                                  "nor a drive state header (another kind's data or "
                                  "metadata?)" +
                                  remedy());
    }
    ASSERT_EQ(boot(true, true), "");
    EXPECT_EQ(state(1), (std::vector<uint64_t>{1, 1, rc1_.capacity_bytes, 512}));
    ASSERT_EQ(restart(), "");
}

INSTANTIATE_TEST_SUITE_P(Kinds, NsStatePersistenceTest, ::testing::Values("nvm", "zns", "kv"),
                         [](const auto &info) { return std::string(info.param); });

// ssd=nvm on a file the version before wrote (data up to the backend's end,
// no area): with a zeroed last page it formats and keeps the data before
// the area; the limit of persisted mark ranges is conv's.
class NvmStateTest : public CoreFixture {
protected:
    NvmStateTest() : CoreFixture(32 << 20) {}
    void SetUp() override {}
    static std::unique_ptr<Cfg> nvm(uint64_t bytes)
    {
        auto c = std::make_unique<Cfg>("nvm", bytes);
        c->c.capacity_from_memdev = 1;
        c->c.backing_name = kName1;
        c->c.msix_vectors = 4;
        c->set("checkpoint-interval-ms", 0);
        return c;
    }
};

TEST_F(NvmStateTest, AnOldFileWithAZeroLastPageFormatsAndKeepsItsData)
{
    auto c = nvm(kMemdev);
    const ResolvedConfig rc = c->resolve();
    backing_.assign(kMemdev, 0);
    for (uint64_t i = 0; i < kMemdev - 4096; i++) {
        backing_[i] = static_cast<uint8_t>(i * 7 + 1);
    }
    const std::vector<uint8_t> image = backing_;
    ASSERT_EQ(start(c->c, true), "");
    ready_with_io_queue(64);
    EXPECT_EQ(std::memcmp(backing_.data(), image.data(), rc.capacity_bytes), 0);
    ASSERT_EQ(io_status(make_rw(nvme_cmd_read, 0, 8, kBuf)), 0);
    EXPECT_EQ(std::memcmp(host_.ram.data() + kBuf, image.data(), 4096), 0);
}

TEST_F(NvmStateTest, AnotherKindsDriveStateIsRefusedNamingBothKinds)
{
    Cfg conv("conv", 8 * kMiB);  // a small ssd=conv drive (persistence_test.cc's)
    conv.c.capacity_from_memdev = 1;
    conv.c.backing_name = kName1;
    conv.c.msix_vectors = 4;
    conv.set("channels", 2).set("luns-per-channel", 1).set("pages-per-block", 4);
    conv.set("flash-page-size", 32768).set("program-unit-size", 32768).set("partitions", 2);
    conv.set("write-buffer-size", 256 * 1024);
    ASSERT_EQ(start(conv.c), "");
    auto c = nvm(8 * kMiB);
    EXPECT_EQ(start(c->c, true),
              std::string("property 'memdev': memdev backend ") + kName1 +
                  " holds drive state of format version 1, kind 2; this nvmev reads version 1, "
                  "kind 1 (ssd=nvm); start with the same backend and properties, or set "
                  "reinit-metadata=on to format the drive state afresh (a new drive over the "
                  "data: marks and namespace state are lost)");
}

// ssd=zns keeps its zone format header in the backend's last page, where an
// nvm or conv image keeps its drive state header: a zns start on such an
// image is refused, not formatted over it (which destroyed the image).
TEST_F(NvmStateTest, AZnsStartOnAnotherKindsImageIsRefusedNotFormatted)
{
    auto c = nvm(kMemdev);
    ASSERT_EQ(start(c->c), "");
    ready_with_io_queue(64);
    fill(kBuf, 4096, 9);
    ASSERT_EQ(io_status(make_rw(nvme_cmd_write_uncor, 100, 1, 0)), 0);  // a mark to keep
    ASSERT_EQ(nvmev_core_checkpoint(core_), 1u);
    const std::vector<uint8_t> image = backing_;
    Cfg zns("zns", kMemdev);
    zns.c.capacity_from_memdev = 1;
    zns.c.backing_name = kName1;
    zns.c.msix_vectors = 4;
    zns.set("channels", 2).set("luns-per-channel", 1).set("flash-page-size", 16384);
    zns.set("program-unit-size", 16384).set("zone-size", 1 << 20).set("zone-dies", 2);
    EXPECT_EQ(start(zns.c, true),
              std::string("property 'memdev': memdev backend ") + kName1 +
                  " holds no zone metadata: its last page is neither zero nor a zone format "
                  "header (another kind's drive state or data?); start with the kind and "
                  "properties it was made with, or set reinit-metadata=on to format the "
                  "metadata afresh (a new drive over the data: zone states, marks and "
                  "namespace state are lost)");
    EXPECT_EQ(backing_, image) << "nothing written";
    ASSERT_EQ(start(c->c, true), "") << "the nvm drive starts as it was";
    ready_with_io_queue(64);
    EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 100, 1, kBuf)),
              sc(NVME_SCT_MEDIA, NVME_SC_READ_ERROR));
}

// A kill after a format (or reinit-metadata=on) but before its first
// checkpoint: the header is written only after the first slot, so the next
// start formats again instead of finding a header over two empty slots.
TEST_F(NvmStateTest, AKillBeforeTheFirstCheckpointLeavesTheAreaUnformatted)
{
    auto c = nvm(kMemdev);
    ResolvedConfig rc = c->resolve();
    backing_.assign(kMemdev, 0);
    uint8_t *area = backing_.data() + rc.metadata_offset;
    std::vector<uint8_t> payload;
    DriveStateArea a;
    ASSERT_EQ(a.open(rc, area, payload), "");
    EXPECT_TRUE(a.fresh());
    DriveStateArea b;  // the restart after the kill
    ASSERT_EQ(b.open(rc, area, payload), "");
    EXPECT_TRUE(b.fresh()) << "formats again";
    b.save({1, 2, 3});
    DriveStateArea loaded;
    ASSERT_EQ(loaded.open(rc, area, payload), "");
    EXPECT_FALSE(loaded.fresh());
    EXPECT_EQ(payload, (std::vector<uint8_t>{1, 2, 3}));
    // reinit-metadata=on over that state, killed before its first save:
    // the old state is gone (as asked) and the next start formats.
    rc.reinit_metadata = true;
    DriveStateArea reinit;
    ASSERT_EQ(reinit.open(rc, area, payload), "");
    rc.reinit_metadata = false;
    DriveStateArea after;
    ASSERT_EQ(after.open(rc, area, payload), "");
    EXPECT_TRUE(after.fresh());
}

TEST_F(NvmStateTest, TooSmallAMemdevIsNamed)
{
    // As ssd=conv: at least 1 MiB of data beside the area.
    EXPECT_EQ(nvm(536576 + kMiB - 2048)->error(),
              "property 'memdev': 1583104 bytes do not hold 1 MiB of data beside the drive state "
              "area of 536576 bytes (1585152 bytes would)");
    EXPECT_EQ(nvm(536576 + kMiB)->resolve().capacity_bytes, kMiB);
}

TEST_F(NvmStateTest, WriteUncorrectableBeyondThePersistedRangesFails)
{
    auto c = nvm(24 * kMiB);  // room for 2 x 16384 + 1 LBAs
    ASSERT_EQ(start(c->c), "");
    ready_with_io_queue(64);
    for (uint64_t i = 0; i < kPersistedMarkRanges; i++) {
        ASSERT_EQ(io_status(make_rw(nvme_cmd_write_uncor, 2 * i, 1, 0)), 0) << i;
    }
    EXPECT_EQ(io_status(make_rw(nvme_cmd_write_uncor, 2 * kPersistedMarkRanges, 1, 0)),
              sc(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false));
    EXPECT_EQ(io_status(make_rw(nvme_cmd_write_uncor, 1, 1, 0)), 0);  // merges: accepted
    ASSERT_EQ(start(c->c, true), "");
    ready_with_io_queue(64);
    const uint16_t bad = sc(NVME_SCT_MEDIA, NVME_SC_READ_ERROR);
    EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 1, 1, kBuf)), bad);
    EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 2 * kPersistedMarkRanges - 2, 1, kBuf)), bad);
    EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 2 * kPersistedMarkRanges - 1, 1, kBuf)), 0);
    EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 2 * kPersistedMarkRanges, 1, kBuf)), 0);
}

// A write into the middle of a mark splits it; with the area full, only the
// longer part keeps its mark, so the checkpoint still fits and loads.
TEST_F(NvmStateTest, AWriteSplittingAMarkWithTheAreaFullStillCheckpoints)
{
    auto c = nvm(40 * kMiB);  // 16384 ranges of 3 LBAs, 4 apart
    ASSERT_EQ(start(c->c), "");
    ready_with_io_queue(64);
    for (uint64_t i = 0; i < kPersistedMarkRanges; i++) {
        ASSERT_EQ(io_status(make_rw(nvme_cmd_write_uncor, 4 * i, 3, 0)), 0) << i;
    }
    fill(kBuf, 512, 5);
    EXPECT_EQ(io_status(make_rw(nvme_cmd_write, 1, 1, kBuf)), 0);  // LBA 1 of [0, 3)
    const uint16_t bad = sc(NVME_SCT_MEDIA, NVME_SC_READ_ERROR);
    for (bool restarted : {false, true}) {
        if (restarted) {
            ASSERT_EQ(start(c->c, true), "") << "the checkpoint loads";
            ready_with_io_queue(64);
        }
        // A tie (1 LBA each side): the later part keeps its mark.
        EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 0, 1, kBuf)), 0) << "LBA 0's mark dropped";
        EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 1, 1, kBuf)), 0);
        EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 2, 1, kBuf)), bad);
        for (uint64_t lba = 4; lba < 7; lba++) {  // the next range untouched
            EXPECT_EQ(io_status(make_rw(nvme_cmd_read, lba, 1, kBuf)), bad) << lba;
        }
        EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 4 * (kPersistedMarkRanges - 1) + 2, 1, kBuf)),
                  bad);
    }
}

}  // namespace
