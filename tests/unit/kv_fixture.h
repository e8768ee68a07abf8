// An ssd=kv controller on the fake host (either command flavour), with
// helpers that build KV commands: the fixture of the KV command tests.
#pragma once

#include <cstring>
#include <string>

#include "config_fixture.h"
#include "core_fixture.h"
#include "kv_spec.h"

namespace nvmev::test {

class KvFixture : public CoreFixture {
protected:
    static constexpr uint64_t kData = Driver::kDataBase;
    static constexpr uint32_t kMaxValue = 8192;

    void SetUp() override {}

    // 1 MiB of values, 64 keys, 8 KiB values; simple timing 12/14 us at
    // 4096 MB/s (1000 ns per 4 KiB), 1000 ns per index operation.
    void make_kv(bool vendor = false, const char *backend = nullptr, int64_t max_keys = 64,
                 bool keep_backing = false)
    {
        cfg_ = std::make_unique<Cfg>("kv", 1 << 20);
        cfg_->set("kv-max-keys", max_keys).set("kv-max-value-size", kMaxValue);
        cfg_->set("kv-index-latency-ns", 1000);
        NvmevConfig &c = cfg_->c;
        c.serial = "SN-KV-1";
        c.max_ioqpairs = 4;
        c.msix_vectors = 5;
        c.kv_vendor_opcodes = vendor;
        c.kv_backend = backend;
        if (!backend) {
            c.read_latency_ns = 12000;
            c.write_latency_ns = 14000;
            c.read_bandwidth_mbps = 4096;
            c.write_bandwidth_mbps = 4096;
        }
        ASSERT_EQ(start(c, keep_backing), "");
        // CC.CSS 110b: every I/O command set the controller offers.
        ready_with_io_queue(64, 6);
    }

    // A KV command set command (KV 1.0): key in CDW2-3 and CDW14-15,
    // key length in CDW11 7:0, options in 15:8.
    static Sqe kv(uint8_t opc, const std::string &key, uint32_t cdw10 = 0, uint8_t opts = 0,
                  uint8_t key_len = 0xff)
    {
        Sqe s{};
        s.opcode = opc;
        s.nsid = 1;
        s.prp1 = kData;
        s.prp2 = cdw10 > 4096 ? kData + 4096 : 0;
        s.cdw10 = cdw10;
        s.cdw11 = (key_len == 0xff ? key.size() : key_len) | (uint32_t{opts} << 8);
        uint8_t raw[16] = {};
        std::memcpy(raw, key.data(), std::min<size_t>(16, key.size()));
        std::memcpy(&s.cdw2, raw, 4);
        std::memcpy(&s.cdw3, raw + 4, 4);
        std::memcpy(&s.cdw14, raw + 8, 4);
        std::memcpy(&s.cdw15, raw + 12, 4);
        return s;
    }
    // NVMeVirt's layout: value dwords in CDW10, key length - 1 in CDW11
    // 7:0, option 15:8, pad bytes 17:16, key in CDW12-15, offset in CDW4.
    static Sqe vendor(uint8_t opc, const std::string &key, uint32_t dwords = 0, uint8_t option = 0,
                      uint32_t pad = 0, uint32_t offset = 0)
    {
        Sqe s{};
        s.opcode = opc;
        s.nsid = 1;
        s.prp1 = kData;
        s.prp2 = dwords * 4ull > 4096 ? kData + 4096 : 0;
        s.mptr = offset;
        s.cdw10 = dwords;
        s.cdw11 = static_cast<uint32_t>(key.size() - 1) | (uint32_t{option} << 8) | (pad << 16);
        uint8_t raw[16] = {};
        std::memcpy(raw, key.data(), std::min<size_t>(16, key.size()));
        std::memcpy(&s.cdw12, raw, 16);
        return s;
    }

    Cqe io(const Sqe &s) { return drv_->call(1, s); }
    uint16_t st(const Sqe &s) { return Driver::status(io(s)); }
    // Stores `len` pattern bytes (seed) under key; returns the status.
    uint16_t put(const std::string &key, uint32_t len, uint8_t seed, uint8_t opts = 0)
    {
        fill(kData, len, seed);
        return st(kv(kKvStore, key, len, opts));
    }
    // Retrieves into a cleared buffer of `cap` bytes; checks `len` pattern bytes.
    void expect_value(const std::string &key, uint32_t len, uint8_t seed)
    {
        std::memset(host_.ram.data() + kData, 0, kMaxValue + 64);
        const Cqe c = io(kv(kKvRetrieve, key, kMaxValue));
        ASSERT_EQ(Driver::status(c), 0) << key;
        EXPECT_EQ(c.dw0, len) << key;
        for (uint32_t i = 0; i < len; i++) {
            ASSERT_EQ(host_.ram[kData + i], static_cast<uint8_t>(seed + i * 13 + (i >> 8)))
                << key << " byte " << i;
        }
    }
    NvmevCoreInfo info()
    {
        NvmevCoreInfo i{};
        nvmev_core_get_info(core_, &i);
        return i;
    }

    std::unique_ptr<Cfg> cfg_;
};

}  // namespace nvmev::test
