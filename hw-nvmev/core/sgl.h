// SGL walking (NVMe 2.0c 4.1.2 "Scatter Gather List (SGL)"): turns a data
// SGL into the same guest-physical segments PrpWalker produces.
#pragma once

#include <cstdint>
#include <vector>

#include "host.h"
#include "prp.h"
#include "spec.h"

namespace nvmev {

// SGL descriptor (Figure 116); libnvme describes no SGL structures.
struct SglDescriptor {
    uint64_t addr;
    uint32_t len;
    uint8_t rsvd[3];
    uint8_t id;  // SGL Identifier: type in bits 7:4, sub type in bits 3:0
};
static_assert(sizeof(SglDescriptor) == 16, "SGL descriptor is 16 bytes (NVMe 2.0c 4.1.2)");

// SGL descriptor types (Figure 118).
enum SglType : uint8_t {
    kSglDataBlock = 0x0,
    kSglBitBucket = 0x1,
    kSglSegment = 0x2,
    kSglLastSegment = 0x3,
};

// Direction of a transfer, as seen from the controller.
enum class Dma { ToHost, FromHost };

// Fills DmaSegment lists from the SGL in DPTR. Bit Bucket descriptors
// (reads only) become segments with skip set. Buffers are reused across
// commands: no allocation per command once warm.
class SglWalker {
public:
    // Segments read from host memory per command at most: bounds the walk,
    // so a segment that points at itself ends with an error.
    static constexpr unsigned kMaxSegments = 256;

    explicit SglWalker(const Host &host) : host_(host) { segments_.reserve(64); }

    // Maps `len` bytes described by the descriptor in DPTR (PRP1/PRP2).
    Status map(uint64_t dptr_lo, uint64_t dptr_hi, uint64_t len, Dma dir);
    const std::vector<DmaSegment> &segments() const { return segments_; }

private:
    // Takes one data descriptor; `remaining` shrinks by what it covers.
    Status take_data(const SglDescriptor &d, uint64_t &remaining, Dma dir);
    void push(uint64_t addr, uint64_t len, bool skip);

    const Host &host_;
    std::vector<DmaSegment> segments_;
    SglDescriptor list_[kPageSize / sizeof(SglDescriptor)];
};

}  // namespace nvmev
