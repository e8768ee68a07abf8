#include "sgl.h"

#include <algorithm>
#include <cstring>

namespace nvmev {
namespace {

constexpr uint8_t sgl_type(const SglDescriptor &d)
{
    return d.id >> 4;
}
constexpr uint8_t sgl_subtype(const SglDescriptor &d)
{
    return d.id & 0xf;
}

}  // namespace

void SglWalker::push(uint64_t addr, uint64_t len, bool skip)
{
    if (!segments_.empty()) {
        DmaSegment &last = segments_.back();
        if (last.skip == skip && (skip || last.addr + last.len == addr)) {
            last.len += len;
            return;
        }
    }
    segments_.push_back({addr, len, skip});
}

Status SglWalker::take_data(const SglDescriptor &d, uint64_t &remaining, Dma dir)
{
    const uint8_t type = sgl_type(d);
    // Keyed and transport data blocks belong to fabrics; a Bit Bucket has
    // no meaning for data the controller takes from the host. Sub type 0h
    // (address) is the only one defined for PCIe.
    if ((type != kSglDataBlock && type != kSglBitBucket) || sgl_subtype(d) != 0 ||
        (type == kSglBitBucket && dir == Dma::FromHost)) {
        return kSglTypeInvalid;
    }
    // Data past the transfer length is ignored (ID-CTRL SGLS bit 18).
    const uint64_t n = std::min<uint64_t>(le32toh(d.len), remaining);
    if (n > 0) {
        push(le64toh(d.addr), n, type == kSglBitBucket);
        remaining -= n;
    }
    return kSuccess;
}

Status SglWalker::map(uint64_t dptr_lo, uint64_t dptr_hi, uint64_t len, Dma dir)
{
    segments_.clear();
    SglDescriptor d;
    std::memcpy(&d, &dptr_lo, sizeof(dptr_lo));
    std::memcpy(reinterpret_cast<uint8_t *>(&d) + sizeof(dptr_lo), &dptr_hi, sizeof(dptr_hi));
    uint64_t remaining = len;
    for (unsigned segments = 0;; segments++) {
        const uint8_t type = sgl_type(d);
        if (type != kSglSegment && type != kSglLastSegment) {
            // DPTR holds the only data descriptor of the SGL.
            const Status st = take_data(d, remaining, dir);
            if (st != kSuccess) {
                return st;
            }
            break;
        }
        if (sgl_subtype(d) != 0) {
            return kSglTypeInvalid;
        }
        if (remaining == 0) {
            break;  // every byte mapped: the rest of the SGL is not read
        }
        const uint64_t addr = le64toh(d.addr);
        const uint32_t bytes = le32toh(d.len);
        // A segment is a whole number of 16-byte descriptors, 16-byte aligned.
        if (bytes == 0 || bytes % sizeof(SglDescriptor) || addr % sizeof(SglDescriptor)) {
            return kSglInvalidSegment;
        }
        if (segments == kMaxSegments) {
            return kSglInvalidCount;  // a chain this long is a loop
        }
        const bool last = type == kSglLastSegment;
        bool chained = false;
        uint64_t left = bytes / sizeof(SglDescriptor);
        for (uint64_t at = addr; left > 0 && remaining > 0;) {
            const uint64_t n = std::min<uint64_t>(left, std::size(list_));
            if (!host_.dma_read(at, list_, n * sizeof(SglDescriptor))) {
                return kDataTransferError;
            }
            for (uint64_t i = 0; i < n; i++) {
                const SglDescriptor &e = list_[i];
                const uint8_t t = sgl_type(e);
                if (t == kSglSegment || t == kSglLastSegment) {
                    // Only the last descriptor of a segment may chain, and
                    // a Last Segment chains nowhere.
                    if (left - i != 1) {
                        return kSglInvalidCount;
                    }
                    if (last) {
                        return kSglInvalidSegment;
                    }
                    d = e;
                    chained = true;
                    continue;
                }
                const Status st = take_data(e, remaining, dir);
                if (st != kSuccess) {
                    return st;
                }
            }
            at += n * sizeof(SglDescriptor);
            left -= n;
        }
        if (!chained) {
            break;
        }
    }
    return remaining == 0 ? kSuccess : kSglDataLengthInvalid;
}

}  // namespace nvmev
