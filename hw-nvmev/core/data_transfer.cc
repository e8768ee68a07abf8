// Data movement between guest memory and controller buffers through the
// command's data pointer: PRPs or an SGL, as PSDT selects. Every command
// that moves data goes through map_data.
#include <algorithm>

#include "data_transfer.h"

#include "namespace.h"
#include "queue_group.h"

namespace nvmev {

Status DataTransfer::map(const Sqe &sqe, uint64_t len, Dma dir,
                         const std::vector<DmaSegment> *&segments)
{
    // PSDT (CDW0 bits 7:6): 00b PRPs; 01b an SGL (execute() has refused
    // the values this controller does not take).
    if ((sqe.flags >> 6) == 0) {
        segments = &prp_.segments();
        return prp_.map(sqe.prp1, sqe.prp2, len);
    }
    segments = &sgl_.segments();
    return sgl_.map(sqe.prp1, sqe.prp2, len, dir);
}

Status DataTransfer::to_host(const Sqe &sqe, const void *data, uint64_t len)
{
    return to_host_padded(sqe, data, len, len);
}

Status DataTransfer::to_host_padded(const Sqe &sqe, const void *data, uint64_t data_len,
                                    uint64_t len)
{
    static const uint8_t zeros[kPageSize] = {};
    const std::vector<DmaSegment> *segments = nullptr;
    Status st = map(sqe, len, Dma::ToHost, segments);
    if (st != kSuccess) {
        return st;
    }
    const auto *src = static_cast<const uint8_t *>(data);
    for (const auto &seg : *segments) {
        uint64_t addr = seg.addr, left = seg.len;
        while (left) {
            const bool have_data = data_len > 0;
            const uint64_t n = std::min<uint64_t>(left, have_data ? data_len : kPageSize);
            if (!seg.skip && !host_.dma_write(addr, have_data ? src : zeros, n)) {
                return kDataTransferError;
            }
            if (have_data) {
                src += n;
                data_len -= n;
            }
            addr += n;
            left -= n;
        }
    }
    return kSuccess;
}

Status DataTransfer::to_host_part(const Sqe &sqe, const void *data, uint64_t data_len,
                                  uint64_t buffer_len)
{
    // PRP2 is a list pointer or a page pointer depending on the buffer's
    // length, so the whole buffer is mapped; only data_len bytes are written.
    const std::vector<DmaSegment> *segments = nullptr;
    Status st = map(sqe, buffer_len, Dma::ToHost, segments);
    if (st != kSuccess) {
        return st;
    }
    const auto *src = static_cast<const uint8_t *>(data);
    for (const auto &seg : *segments) {
        if (data_len == 0) {
            break;
        }
        const uint64_t n = std::min<uint64_t>(seg.len, data_len);
        if (!seg.skip && !host_.dma_write(seg.addr, src, n)) {
            return kDataTransferError;
        }
        src += n;
        data_len -= n;
    }
    return kSuccess;
}

Status DataTransfer::from_host(const Sqe &sqe, void *data, uint64_t len)
{
    const std::vector<DmaSegment> *segments = nullptr;
    Status st = map(sqe, len, Dma::FromHost, segments);
    if (st != kSuccess) {
        return st;
    }
    auto *dst = static_cast<uint8_t *>(data);
    for (const auto &seg : *segments) {
        if (!host_.dma_read(seg.addr, dst, seg.len)) {
            return kDataTransferError;
        }
        dst += seg.len;
    }
    return kSuccess;
}

Status DataTransfer::stage(Request &req, uint8_t *data, uint64_t slba, uint32_t nlb, uint64_t bytes,
                           bool write)
{
    const std::vector<DmaSegment> *segments = nullptr;
    const Status st = map(req.sqe, bytes, write ? Dma::FromHost : Dma::ToHost, segments);
    if (st != kSuccess) {
        return st;
    }
    std::vector<DmaSegment> &all = req.group->segments;
    StagedCopy &c = req.copy;
    c.data = data;
    c.seg_begin = static_cast<uint32_t>(all.size());
    c.seg_count = static_cast<uint32_t>(segments->size());
    c.nsid = req.ns->nsid;
    c.slba = slba;
    c.nlb = nlb;
    c.write = write;
    all.insert(all.end(), segments->begin(), segments->end());
    req.group->staged_ranges.push_back({req.ns, write, slba, nlb});
    req.group->staged_writes += write;
    return kSuccess;
}

}  // namespace nvmev
