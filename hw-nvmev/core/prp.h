// PRP walking (NVMe 2.0c 4.1.1 "Physical Region Page Entry and List").
#pragma once

#include <cstdint>
#include <vector>

#include "host.h"
#include "spec.h"

namespace nvmev {

struct DmaSegment {
    uint64_t addr;
    uint64_t len;
    bool skip = false;  // SGL Bit Bucket: these bytes of a read are dropped
};

// Turns PRP1/PRP2 into guest-physical segments (adjacent pages merged).
// Reuses its buffers across commands: no allocation per command once warm.
class PrpWalker {
public:
    explicit PrpWalker(const Host &host) : host_(host) { segments_.reserve(64); }

    // Fills segments() for a transfer of `len` bytes; returns a status.
    Status map(uint64_t prp1, uint64_t prp2, uint64_t len);
    const std::vector<DmaSegment> &segments() const { return segments_; }

private:
    void push(uint64_t addr, uint64_t len);

    const Host &host_;
    std::vector<DmaSegment> segments_;
    uint64_t list_[kPageSize / sizeof(uint64_t)];
};

}  // namespace nvmev
