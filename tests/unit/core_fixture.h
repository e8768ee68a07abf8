// A controller on the fake host, ready for commands: the fixture the
// command-family tests (SGL, fused, abort, format, features) share.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fake_host.h"
#include "nvmev_core.h"

namespace nvmev::test {

class CoreFixture : public ::testing::Test {
protected:
    explicit CoreFixture(uint64_t guest_ram_bytes = 16 << 20) : host_(guest_ram_bytes) {}
    void SetUp() override { make(); }
    void TearDown() override { nvmev_core_free(core_); }

    // Starts a controller from `c` in place of the current one, on the
    // backing store c's layout asks for (data and metadata; with
    // capacity_from_memdev a memdev of capacity_bytes): zeroed, or with
    // keep_backing the store the last controller left (a restart).
    // Returns the core's error, "" once it runs (MSI-X on, a Driver on it).
    std::string start(const NvmevConfig &c, bool keep_backing = false)
    {
        if (core_) {
            nvmev_core_free(core_);
            core_ = nullptr;
        }
        NvmevLayout layout{};
        char *err = nullptr;
        if (nvmev_core_layout(&c, &layout, &err) < 0) {
            return take_error(err);
        }
        const uint64_t bytes =
            c.capacity_from_memdev ? c.capacity_bytes : layout.data_bytes + layout.metadata_bytes;
        if (!keep_backing) {
            backing_.assign(bytes, 0);
        }
        EXPECT_EQ(backing_.size(), bytes) << "a restart keeps the backing store's size";
        ops_ = host_.ops();
        core_ = nvmev_core_new(&c, &ops_, &host_, backing_.data(), &err);
        if (!core_) {
            return take_error(err);
        }
        nvmev_core_set_msix(core_, 1);
        drv_ = std::make_unique<Driver>(host_, core_);
        return "";
    }

public:
    // ssd=nvm of `capacity` bytes with `lba_size` and `mdts` (-1: default);
    // 12/14 us read/write latency, 4096 MB/s (1000 ns per 4 KiB).
    static NvmevConfig nvm_config(uint64_t capacity, int64_t lba_size = -1, int64_t mdts = -1)
    {
        NvmevConfig c{};
        c.ssd = "nvm";
        c.serial = "SN-TEST-1";
        c.model = "nvmev test model";
        c.capacity_bytes = capacity;
        c.lba_size = lba_size;
        c.mdts = mdts;
        c.max_ioqpairs = 4;
        c.read_latency_ns = 12000;
        c.write_latency_ns = 14000;
        c.read_bandwidth_mbps = 4096;
        c.write_bandwidth_mbps = 4096;
        c.msix_vectors = 5;
        return c;
    }

protected:
    void make(uint64_t capacity = 8 << 20, int64_t lba_size = -1, int64_t mdts = -1)
    {
        ASSERT_EQ(start(nvm_config(capacity, lba_size, mdts)), "");
    }

    // Enabled (CC.CSS = css) with I/O queue pair 1 on vector 1.
    void ready_with_io_queue(uint32_t entries = 64, uint32_t css = 0)
    {
        ASSERT_EQ(drv_->enable(32, css) & 1, 1u);
        ASSERT_EQ(drv_->create_io_queues(1, entries, 1), 0);
    }

    // An admin command (make_admin) for namespace nsid.
    static Sqe admin(uint8_t opcode, uint32_t cdw10 = 0, uint32_t cdw11 = 0, uint32_t nsid = 0)
    {
        Sqe s = make_admin(opcode, cdw10, cdw11);
        s.nsid = nsid;
        return s;
    }
    uint16_t admin_status(const Sqe &s) { return Driver::status(drv_->call(0, s)); }
    uint16_t io_status(const Sqe &s) { return Driver::status(drv_->call(1, s)); }

    // Fills guest memory [addr, addr + len) with a pattern derived from seed.
    void fill(uint64_t addr, uint64_t len, uint8_t seed)
    {
        for (uint64_t i = 0; i < len; i++) {
            host_.ram[addr + i] = static_cast<uint8_t>(seed + i * 13 + (i >> 8));
        }
    }

    FakeHost host_;
    NvmevHostOps ops_{};
    std::vector<uint8_t> backing_;
    NvmevCore *core_ = nullptr;
    std::unique_ptr<Driver> drv_;

private:
    static std::string take_error(char *err)
    {
        std::string e = err ? err : "";
        nvmev_core_free_error(err);
        return e;
    }
};

// A status field value: SCT, SC and DNR as the completion carries them.
constexpr uint16_t sc(uint16_t sct, uint16_t code, bool dnr = true)
{
    return static_cast<uint16_t>((sct << 8) | code | (dnr ? 0x4000 : 0));
}

}  // namespace nvmev::test
