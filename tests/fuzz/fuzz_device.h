// A small device of each kind for the fuzzer: a controller over a fake host
// with 1 MiB of guest RAM, small geometry so that one input runs in well
// under a millisecond.
#pragma once

#include <cstdint>
#include <memory>

#include "config.h"
#include "controller.h"
#include "fake_host.h"

namespace nvmev::fuzz {

constexpr uint64_t kRamBytes = 1 << 20;

// Guest memory layout the harness uses (all page aligned).
constexpr uint64_t kSqBase = 0x10000;       // + qid * 0x2000 (64 entries of 64 B)
constexpr uint64_t kCqBase = 0x20000;       // + qid * 0x1000 (64 entries of 16 B)
constexpr uint64_t kPrpListBase = 0x30000;  // 16 pages for PRP lists
constexpr uint64_t kDataBase = 0x40000;     // data buffers up to the end of RAM
constexpr uint32_t kMaxQueues = 5;          // admin + 4 I/O queue pairs
constexpr uint32_t kMaxEntries = 64;

inline uint64_t sq_base(uint16_t qid)
{
    return kSqBase + qid * 0x2000ull;
}
inline uint64_t cq_base(uint16_t qid)
{
    return kCqBase + qid * 0x1000ull;
}

struct DeviceChoice {
    SsdKind kind = SsdKind::Nvm;
    bool msix = true;
    uint32_t lba_size = 512;
    int64_t mdts = 0;
    bool kv_vendor = false;  // ssd=kv: NVMeVirt's opcodes
    unsigned groups = 1;     // queue groups (1 or 2)
};

// What a device needs to outlive: its configuration, backing store and host.
class Device {
public:
    // Host callbacks the fuzzer wraps (to check every CQE write and vector).
    Device(const DeviceChoice &choice, const NvmevHostOps &ops, void *opaque);
    Device(const Device &) = delete;

    Controller &ctrl() { return *ctrl_; }

private:
    std::unique_ptr<Controller> ctrl_;
};

}  // namespace nvmev::fuzz
