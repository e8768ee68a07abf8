// NVM command set data-integrity commands (NVM Command Set 1.0c 3.2):
// Compare, Verify and Write Uncorrectable. Reads of LBAs marked by Write
// Uncorrectable fail until a write covers them (nvm_io.cc clears marks).
#include <cstring>

#include "controller.h"

namespace nvmev {
// The checks Compare and Verify share with Read: namespace, range, zone
// state and marked LBAs. Returns the status; sets slba and nlb.
Status NvmCommandSet::check_readable(const Request &req, uint64_t &slba, uint32_t &nlb) const
{
    const Status st = lba_range_of(req, slba, nlb);
    return st != kSuccess ? st : check_media_access(*req.ns, slba, nlb, false);
}

Outcome NvmCommandSet::io_compare(Request &req)
{
    const Sqe &sqe = req.sqe;
    uint64_t slba = 0;
    uint32_t nlb = 0;
    Status st = check_readable(req, slba, nlb);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const uint64_t bytes = uint64_t{nlb} << req.ns->cfg.lba_shift();
    if (cfg_.mdts && bytes > cfg_.max_transfer_bytes()) {
        return Outcome::of(kInvalidField);
    }
    const std::vector<DmaSegment> *segments = nullptr;
    st = xfer_.map(sqe, bytes, Dma::FromHost, segments);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    // Compare page by page through a bounce buffer: no allocation.
    uint8_t chunk[kPageSize];
    const uint8_t *media = req.ns->backing + (slba << req.ns->cfg.lba_shift());
    bool equal = true;
    for (const auto &seg : *segments) {
        for (uint64_t done = 0; done < seg.len;) {
            const uint64_t n = std::min<uint64_t>(seg.len - done, sizeof(chunk));
            if (!host_.dma_read(seg.addr + done, chunk, n)) {
                return Outcome::of(kDataTransferError);
            }
            equal = equal && std::memcmp(chunk, media, n) == 0;
            media += n;
            done += n;
        }
    }
    Outcome out =
        media_outcome(*req.ns, {ftl::MediaOp::Read, slba, nlb, bytes, false, req.fetched_ns});
    smart_.host_read_cmds++;
    if (!equal && out.status == kSuccess) {
        out.status = kCompareFailure;
    }
    return out;
}

Outcome NvmCommandSet::io_verify(Request &req)
{
    uint64_t slba = 0;
    uint32_t nlb = 0;
    const Status st = check_readable(req, slba, nlb);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    // Timed as a read of the range (the data is checked, not transferred;
    // the model charges the PCIe transfer too).
    smart_.host_read_cmds++;
    return media_outcome(
        *req.ns, {ftl::MediaOp::Read, slba, nlb, uint64_t{nlb} << req.ns->cfg.lba_shift(), false,
                  req.fetched_ns});
}

Outcome NvmCommandSet::io_write_uncorrectable(Request &req)
{
    uint64_t slba = 0;
    uint32_t nlb = 0;
    Status st = lba_range_of(req, slba, nlb);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    if (!req.ns->uncorrectable.can_mark(slba, nlb)) {
        // The drive state area's table of marks is full (docs/persistence.md).
        return Outcome::of(generic_error(NVME_SC_INTERNAL, false));
    }
    Outcome out;
    out.complete_at_ns = req.fetched_ns;
    if (req.ns->zns) {
        // A zone takes it as a write at the write pointer (of no data).
        st = req.ns->zns->zones().check_write(slba, nlb);
        if (st != kSuccess) {
            return Outcome::of(st);
        }
        zero_media(*req.ns, slba, nlb);
        out = media_outcome(*req.ns,
                            {ftl::MediaOp::WriteZeroes, slba, nlb,
                             uint64_t{nlb} << req.ns->cfg.lba_shift(), false, req.fetched_ns});
    }
    req.ns->uncorrectable.mark(slba, nlb);
    return out;
}

}  // namespace nvmev
