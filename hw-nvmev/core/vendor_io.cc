// VendorIo: the controller services a vendor command uses, forwarded to the
// same helpers Read and Write use (nvm_io.cc).
#include <algorithm>

#include "vendor_commands.h"

namespace nvmev {

Status VendorIo::check_range(const Sqe &sqe, uint64_t slba, uint32_t nlb) const
{
    (void)sqe;  // the request's own; kept in the signature vendor commands use
    const Status st = IoCommandSet::check_io_namespace(req_);
    if (st != kSuccess) {
        return st;
    }
    return IoCommandSet::lba_range_ok(*req_.ns, slba, nlb) ? kSuccess : kLbaOutOfRange;
}

Status VendorIo::check_transfer(uint64_t bytes) const
{
    return c_.cfg_.mdts && bytes > c_.cfg_.max_transfer_bytes() ? kInvalidField : kSuccess;
}

Status VendorIo::check_zone_write(uint64_t slba, uint32_t nlb) const
{
    return req_.ns->zns ? req_.ns->zns->zones().check_write(slba, nlb) : kSuccess;
}

Status VendorIo::check_zone_read(uint64_t slba, uint32_t nlb) const
{
    return req_.ns->zns ? req_.ns->zns->zones().check_read(slba, nlb) : kSuccess;
}

bool VendorIo::uncorrectable(uint64_t slba, uint64_t nlb) const
{
    return nlb && req_.ns->uncorrectable.any(slba, nlb);
}

Status VendorIo::map_buffer(const Sqe &sqe, uint64_t bytes)
{
    // One buffer carries data both ways (write data, then the read), so it
    // is mapped as a write: an SGL Bit Bucket is refused.
    const Status st = c_.xfer_.map(sqe, bytes, Dma::FromHost, segments_);
    mapped_bytes_ = st == kSuccess ? bytes : 0;
    return st;
}

Status VendorIo::transfer(uint64_t offset, uint8_t *media, uint64_t len, bool to_host)
{
    if (offset > mapped_bytes_ || len > mapped_bytes_ - offset) {
        return kInvalidField;  // outside the mapped buffer: a handler bug
    }
    uint64_t skip = offset;
    for (const auto &seg : *segments_) {
        if (len == 0) {
            break;
        }
        if (skip >= seg.len) {
            skip -= seg.len;
            continue;
        }
        const uint64_t addr = seg.addr + skip;
        const uint64_t n = std::min(seg.len - skip, len);
        skip = 0;
        const bool ok =
            to_host ? c_.host_.dma_write(addr, media, n) : c_.host_.dma_read(addr, media, n);
        if (!ok) {
            return kDataTransferError;
        }
        media += n;
        len -= n;
    }
    return kSuccess;
}

Status VendorIo::write_from_host(uint64_t offset, uint64_t slba, uint32_t nlb)
{
    const uint32_t shift = req_.ns->cfg.lba_shift();
    if (req_.ns->zns) {
        req_.ns->zns->zones().mark_write(req_.ns->zns->zones().zone_of(slba));
    }
    const Status st =
        transfer(offset, req_.ns->backing + (slba << shift), uint64_t{nlb} << shift, false);
    if (st != kSuccess && req_.ns->zns) {
        IoCommandSet::zero_media(*req_.ns, slba,
                                 nlb);  // beyond the write pointer a zone reads as zeros
    }
    if (st == kSuccess) {
        req_.ns->uncorrectable.clear(slba, nlb);
    }
    return st;
}

Status VendorIo::read_to_host(uint64_t offset, uint64_t slba, uint32_t nlb)
{
    const uint32_t shift = req_.ns->cfg.lba_shift();
    return transfer(offset, req_.ns->backing + (slba << shift), uint64_t{nlb} << shift, true);
}

ftl::MediaResult VendorIo::media(ftl::MediaOp op, uint64_t slba, uint32_t nlb, bool fua,
                                 int64_t start_ns)
{
    const uint64_t bytes = uint64_t{nlb} << req_.ns->cfg.lba_shift();
    const ftl::MediaResult r = req_.ns->ftl->submit({op, slba, nlb, bytes, fua, start_ns});
    if (r.status == kSuccess && (op == ftl::MediaOp::Read || op == ftl::MediaOp::Write)) {
        const bool write = op == ftl::MediaOp::Write;
        (write ? c_.counters_.write_bytes : c_.counters_.read_bytes) += bytes;
        (write ? c_.smart_.write_bytes : c_.smart_.read_bytes) += bytes;
        (write ? c_.smart_.host_write_cmds : c_.smart_.host_read_cmds)++;
        c_.smart_.busy_ns +=
            static_cast<uint64_t>(std::max<int64_t>(0, r.complete_at_ns - start_ns));
    }
    return r;
}

int64_t VendorIo::fetch_ns() const
{
    return req_.fetched_ns;
}

uint32_t VendorIo::lba_shift() const
{
    return req_.ns->cfg.lba_shift();
}

}  // namespace nvmev
