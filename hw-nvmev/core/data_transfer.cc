// Data movement between guest memory (through the command's PRPs) and
// controller buffers, for admin commands that return or take data.
#include <algorithm>

#include "controller.h"

namespace nvmev {

Status Controller::to_host(const Sqe &sqe, const void *data, uint64_t len)
{
    return to_host_padded(sqe, data, len, len);
}

Status Controller::to_host_padded(const Sqe &sqe, const void *data, uint64_t data_len, uint64_t len)
{
    static const uint8_t zeros[kPageSize] = {};
    Status st = prp_.map(sqe.prp1, sqe.prp2, len);
    if (st != kSuccess) {
        return st;
    }
    const auto *src = static_cast<const uint8_t *>(data);
    for (const auto &seg : prp_.segments()) {
        uint64_t addr = seg.addr, left = seg.len;
        while (left) {
            const bool have_data = data_len > 0;
            const uint64_t n = std::min<uint64_t>(left, have_data ? data_len : kPageSize);
            if (!host_.dma_write(addr, have_data ? src : zeros, n)) {
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

Status Controller::from_host(const Sqe &sqe, void *data, uint64_t len)
{
    Status st = prp_.map(sqe.prp1, sqe.prp2, len);
    if (st != kSuccess) {
        return st;
    }
    auto *dst = static_cast<uint8_t *>(data);
    for (const auto &seg : prp_.segments()) {
        if (!host_.dma_read(seg.addr, dst, seg.len)) {
            return kDataTransferError;
        }
        dst += seg.len;
    }
    return kSuccess;
}

}  // namespace nvmev
