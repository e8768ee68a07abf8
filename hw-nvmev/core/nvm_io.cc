// NVM command set I/O: Read, Write, Flush, Write Zeroes, Dataset
// Management (NVMe NVM Command Set 1.0c 3.2).
// Data is copied between guest memory and the backing store when the
// command is fetched (for Reads, and Writes but to zoned namespaces, in an
// I/O queue group's pass: right after, without the lock; queue_groups.cc);
// the FTL and its timing model decide when the completion is posted.
#include <cstring>

#include "controller.h"

namespace nvmev {

Status Controller::check_io_namespace(const Sqe &sqe) const
{
    // execute() looked the namespace up: an inactive NSID (unallocated or
    // detached) or an invalid one has none.
    (void)sqe;
    return ns_ ? kSuccess : kInvalidNamespace;
}

// [slba, slba + nlb) lies in the namespace (an empty range may sit at its end).
bool Controller::lba_range_ok(uint64_t slba, uint64_t nlb) const
{
    const uint64_t nlbas = ns_->cfg.nlbas();
    return slba <= nlbas && nlb <= nlbas - slba;
}

Status Controller::lba_range_of(const Sqe &sqe, uint64_t &slba, uint32_t &nlb) const
{
    const Status st = check_io_namespace(sqe);
    if (st != kSuccess) {
        return st;
    }
    slba = sqe_slba(sqe);
    nlb = sqe_nlb(sqe);
    return lba_range_ok(slba, nlb) ? kSuccess : kLbaOutOfRange;
}

Outcome Controller::io_read_write(const Sqe &sqe, bool write)
{
    uint64_t slba = 0;
    uint32_t nlb = 0;
    Status st = lba_range_of(sqe, slba, nlb);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const bool fua = (sqe.cdw12 >> 30) & 1;
    const uint64_t bytes = uint64_t{nlb} << ns_->cfg.lba_shift();
    if (cfg_.mdts && bytes > cfg_.max_transfer_bytes()) {
        return Outcome::of(kInvalidField);
    }
    if (ns_->zns) {
        st = write ? ns_->zns->zones().check_write(slba, nlb)
                   : ns_->zns->zones().check_read(slba, nlb);
        if (st != kSuccess) {
            return Outcome::of(st);
        }
    }
    if (!write && ns_->uncorrectable.any(slba, nlb)) {
        return Outcome::of(kUnrecoveredReadError);
    }
    if (staging_ && !ns_->kv && !(write && ns_->zns)) {
        // Moved without the lock; a zoned Write copies under it, since beyond
        // the write pointer a zone must read as zeros even if it is reset
        // while the data moves.
        st = stage_copy(sqe, slba, nlb, bytes, write);
    } else if (write) {
        st = move_write_data(sqe, slba, bytes);
    } else {
        st = to_host(sqe, ns_->backing + (slba << ns_->cfg.lba_shift()), bytes);
    }
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const ftl::MediaResult res = ns_->ftl->submit(
        {write ? ftl::MediaOp::Write : ftl::MediaOp::Read, slba, nlb, bytes, fua, fetch_ns_});
    (write ? counters_.write_bytes : counters_.read_bytes) += bytes;
    (write ? smart_.write_bytes : smart_.read_bytes) += bytes;
    (write ? smart_.host_write_cmds : smart_.host_read_cmds)++;
    smart_.busy_ns += static_cast<uint64_t>(std::max<int64_t>(0, res.complete_at_ns - fetch_ns_));
    // Built in the caller's slot, not copied there (see execute()).
    return {res.status, 0, 0, res.complete_at_ns, false};
}

Status Controller::move_write_data(const Sqe &sqe, uint64_t slba, uint64_t bytes)
{
    const Status st = from_host(sqe, ns_->backing + (slba << ns_->cfg.lba_shift()), bytes);
    if (st != kSuccess && ns_->zns) {
        // Beyond the write pointer a zone must read as zeros.
        zero_media(slba, bytes >> ns_->cfg.lba_shift());
    }
    if (st == kSuccess) {
        ns_->uncorrectable.clear(slba, bytes >> ns_->cfg.lba_shift());  // rewritten: readable again
    }
    return st;
}

Outcome Controller::io_flush(const Sqe &sqe)
{
    // The broadcast NSID flushes every namespace (ID-CTRL VWC bits 2:1 = 11b).
    if (sqe.nsid != 0xffffffffu) {
        if (check_io_namespace(sqe) != kSuccess) {
            return Outcome::of(kInvalidNamespace);
        }
        return media_outcome({ftl::MediaOp::Flush, 0, 0, 0, false, fetch_ns_});
    }
    Outcome out;
    out.complete_at_ns = fetch_ns_;
    for (const auto &ns : namespaces_) {
        if (ns && ns->active()) {
            ns_ = ns.get();
            const Outcome o = media_outcome({ftl::MediaOp::Flush, 0, 0, 0, false, fetch_ns_});
            out.complete_at_ns = std::max(out.complete_at_ns, o.complete_at_ns);
            if (o.status != kSuccess) {
                out.status = o.status;
            }
        }
    }
    return out;
}

Outcome Controller::media_outcome(const ftl::MediaRequest &req)
{
    const ftl::MediaResult res = ns_->ftl->submit(req);
    Outcome out;
    out.status = res.status;
    out.complete_at_ns = res.complete_at_ns;
    return out;
}

// Reads of deallocated or zeroed blocks return zeros (ID-NS DLFEAT = 001b),
// so the backing store is cleared as well as the mapping.
void Controller::zero_media(uint64_t slba, uint64_t nlb)
{
    ns_->uncorrectable.clear(slba, nlb);
    std::memset(ns_->backing + (slba << ns_->cfg.lba_shift()), 0, nlb << ns_->cfg.lba_shift());
}

Outcome Controller::io_write_zeroes(const Sqe &sqe)
{
    uint64_t slba = 0;
    uint32_t nlb = 0;
    Status st = lba_range_of(sqe, slba, nlb);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    if (ns_->zns) {
        st = ns_->zns->zones().check_write(slba, nlb);
        if (st != kSuccess) {
            return Outcome::of(st);
        }
    }
    zero_media(slba, nlb);
    const uint64_t bytes = uint64_t{nlb} << ns_->cfg.lba_shift();
    return media_outcome(
        {ftl::MediaOp::WriteZeroes, slba, nlb, bytes, ((sqe.cdw12 >> 30) & 1) != 0, fetch_ns_});
}

Outcome Controller::io_dataset_management(const Sqe &sqe)
{
    Status st = check_io_namespace(sqe);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const uint32_t nr = (sqe.cdw10 & 0xff) + 1;
    const bool deallocate = (sqe.cdw11 >> 2) & 1;
    struct nvme_dsm_range ranges[256];
    st = from_host(sqe, ranges, nr * sizeof(ranges[0]));
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    for (uint32_t i = 0; i < nr; i++) {
        if (!lba_range_ok(le64toh(ranges[i].slba), le32toh(ranges[i].nlb))) {
            return Outcome::of(kLbaOutOfRange);
        }
    }
    Outcome out;
    out.complete_at_ns = fetch_ns_;
    if (!deallocate || ns_->zns) {
        // Integral read/write hints are advisory; a zoned namespace frees
        // blocks only by zone reset (its DLFEAT reports no deallocation).
        return out;
    }
    for (uint32_t i = 0; i < nr; i++) {
        const uint64_t slba = le64toh(ranges[i].slba);
        const uint32_t nlb = le32toh(ranges[i].nlb);
        if (nlb == 0) {
            continue;
        }
        zero_media(slba, nlb);
        const Outcome o = media_outcome({ftl::MediaOp::Deallocate, slba, nlb,
                                         uint64_t{nlb} << ns_->cfg.lba_shift(), false, fetch_ns_});
        out.complete_at_ns = std::max(out.complete_at_ns, o.complete_at_ns);
        if (o.status != kSuccess) {
            return o;
        }
    }
    return out;
}

}  // namespace nvmev
