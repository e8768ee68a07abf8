// Copy (NVM Command Set 1.0c 3.3.1): copies up to kCopyMaxRanges source
// ranges, in order, to consecutive LBAs from SDLBA within one namespace.
// Only Source Range Entries Descriptor Format 0h is offered (ID-CTRL OCFS
// bit 0). Everything is checked before any data moves, so a failed Copy
// leaves the destination untouched. The timing is that of reading every
// source range, then writing the destination once the reads are done.
#include <algorithm>
#include <cstring>

#include "controller.h"

namespace nvmev {

// The source ranges in copy_ranges_: each within the limits, readable (in
// range, zone not offline, no Write Uncorrectable mark); total: their blocks.
Status NvmCommandSet::check_copy_sources(const Namespace &ns, uint32_t nr, uint64_t &total) const
{
    for (uint32_t i = 0; i < nr; i++) {
        const uint64_t slba = le64toh(copy_ranges_[i].slba);
        const uint32_t nlb = le16toh(copy_ranges_[i].nlb) + 1u;
        if (nlb > kCopyMaxRangeLbas) {
            return kCommandSizeLimitExceeded;
        }
        total += nlb;
        if (total > kCopyMaxLbas) {
            return kCommandSizeLimitExceeded;
        }
        if (!lba_range_ok(ns, slba, nlb)) {
            return kLbaOutOfRange;
        }
        if (const Status st = check_media_access(ns, slba, nlb, false); st != kSuccess) {
            return st;
        }
    }
    return kSuccess;
}

Outcome NvmCommandSet::io_copy(Request &req)
{
    const Sqe &sqe = req.sqe;
    Status st = check_io_namespace(req);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const uint64_t sdlba = sqe_slba(sqe);
    const uint32_t nr = (sqe.cdw12 & 0xff) + 1;
    const uint32_t format = (sqe.cdw12 >> 8) & 0xf;
    const bool fua = (sqe.cdw12 >> 30) & 1;
    if (format != 0) {
        return Outcome::of(kInvalidField);  // descriptor formats 1h-3h carry 64-bit guards (PI)
    }
    if (nr > kCopyMaxRanges) {
        return Outcome::of(kCommandSizeLimitExceeded);
    }
    st = xfer_.from_host(sqe, copy_ranges_.data(), nr * sizeof(struct nvme_copy_range));
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    uint64_t total = 0;
    st = check_copy_sources(*req.ns, nr, total);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const auto dest_nlb = static_cast<uint32_t>(total);
    if (!lba_range_ok(*req.ns, sdlba, dest_nlb)) {
        return Outcome::of(kLbaOutOfRange);
    }
    st = check_media_access(*req.ns, sdlba, dest_nlb, true);
    if (st != kSuccess) {
        return Outcome::of(st);
    }

    // Ranges are copied in order; a destination that overlaps a later
    // source range is read after it was written (the spec leaves overlap
    // undefined).
    const uint32_t shift = req.ns->cfg.lba_shift();
    if (req.ns->zns) {
        req.ns->zns->zones().mark_write(req.ns->zns->zones().zone_of(sdlba));
    }
    int64_t reads_done = req.fetched_ns;
    uint64_t dlba = sdlba;
    for (uint32_t i = 0; i < nr; i++) {
        const uint64_t slba = le64toh(copy_ranges_[i].slba);
        const uint32_t nlb = le16toh(copy_ranges_[i].nlb) + 1u;
        const uint64_t bytes = uint64_t{nlb} << shift;
        std::memmove(req.ns->backing + (dlba << shift), req.ns->backing + (slba << shift), bytes);
        const Outcome r =
            media_outcome(*req.ns, {ftl::MediaOp::Read, slba, nlb, bytes, false, req.fetched_ns});
        if (r.status != kSuccess) {
            return r;
        }
        reads_done = std::max(reads_done, r.complete_at_ns);
        dlba += nlb;
    }
    req.ns->uncorrectable.clear(sdlba, dest_nlb);
    const uint64_t bytes = uint64_t{dest_nlb} << shift;
    const Outcome out =
        media_outcome(*req.ns, {ftl::MediaOp::Write, sdlba, dest_nlb, bytes, fua, reads_done});
    if (out.status == kSuccess) {
        smart_.host_write_cmds++;
        smart_.write_bytes += bytes;
    }
    return out;
}

}  // namespace nvmev
