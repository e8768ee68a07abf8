// A controller on the fake host, ready for commands: the fixture the
// command-family tests (SGL, fused, abort, format, features) share.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "fake_host.h"
#include "nvmev_core.h"

namespace nvmev::test {

class CoreFixture : public ::testing::Test {
protected:
    void SetUp() override { make(); }
    void TearDown() override { nvmev_core_free(core_); }

    // An ssd=nvm controller of `capacity` bytes with `lba_size` (-1: default).
    void make(uint64_t capacity = 8 << 20, int64_t lba_size = -1, int64_t mdts = -1)
    {
        if (core_) {
            nvmev_core_free(core_);
        }
        backing_.assign(capacity, 0);
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
        ops_ = host_.ops();
        char *err = nullptr;
        core_ = nvmev_core_new(&c, &ops_, &host_, backing_.data(), &err);
        ASSERT_NE(core_, nullptr) << err;
        nvmev_core_set_msix(core_, 1);
        drv_ = std::make_unique<Driver>(host_, core_);
    }

    void ready_with_io_queue(uint32_t entries = 64)
    {
        ASSERT_EQ(drv_->enable() & 1, 1u);
        ASSERT_EQ(drv_->create_io_queues(1, entries, 1), 0);
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
};

// A status field value: SCT, SC and DNR as the completion carries them.
constexpr uint16_t sc(uint16_t sct, uint16_t code, bool dnr = true)
{
    return static_cast<uint16_t>((sct << 8) | code | (dnr ? 0x4000 : 0));
}

}  // namespace nvmev::test
