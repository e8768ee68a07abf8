#include "prp.h"

#include <algorithm>

namespace nvmev {

void PrpWalker::push(uint64_t addr, uint64_t len)
{
    if (!segments_.empty()) {
        DmaSegment &last = segments_.back();
        if (last.addr + last.len == addr) {
            last.len += len;
            return;
        }
    }
    segments_.push_back({addr, len});
}

Status PrpWalker::map(uint64_t prp1, uint64_t prp2, uint64_t len)
{
    segments_.clear();
    if (len == 0) {
        return kSuccess;
    }
    constexpr uint64_t page_mask = kPageSize - 1;
    if (prp1 & 3) {
        return kInvalidPrpOffset;  // data pointers are dword aligned (4.1.1)
    }
    const uint64_t first = std::min<uint64_t>(len, kPageSize - (prp1 & page_mask));
    push(prp1, first);
    uint64_t remaining = len - first;
    if (remaining == 0) {
        return kSuccess;
    }
    if (remaining <= kPageSize) {
        // PRP2 is a second data page: it must start on a page boundary.
        if (prp2 & page_mask) {
            return kInvalidPrpOffset;
        }
        push(prp2, remaining);
        return kSuccess;
    }
    // PRP2 points at a PRP list; a list may start mid-page (qword aligned)
    // and its last entry chains to the next list page when more follow.
    if (prp2 & 7) {
        return kInvalidPrpOffset;
    }
    uint64_t list_addr = prp2;
    while (remaining > 0) {
        const uint64_t slots = (kPageSize - (list_addr & page_mask)) / sizeof(uint64_t);
        const uint64_t pages_left = (remaining + kPageSize - 1) / kPageSize;
        // Read only the entries this transfer needs (plus a chain pointer).
        const uint64_t n = std::min<uint64_t>(slots, pages_left);
        const bool chains = pages_left > slots;
        const uint64_t read_n = chains ? slots : n;
        if (!host_.dma_read(list_addr, list_, read_n * sizeof(uint64_t))) {
            return kDataTransferError;
        }
        const uint64_t data_n = chains ? slots - 1 : n;
        for (uint64_t i = 0; i < data_n; i++) {
            const uint64_t entry = list_[i];  // little-endian host assumed
            if (entry & page_mask) {
                return kInvalidPrpOffset;
            }
            const uint64_t chunk = std::min<uint64_t>(remaining, kPageSize);
            push(entry, chunk);
            remaining -= chunk;
        }
        if (chains) {
            list_addr = list_[slots - 1];
            if (list_addr & page_mask) {
                return kInvalidPrpOffset;
            }
        }
    }
    return kSuccess;
}

}  // namespace nvmev
