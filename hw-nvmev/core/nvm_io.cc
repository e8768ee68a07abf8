// NVM command set I/O: Read, Write, Flush, Write Zeroes, Dataset
// Management (NVMe NVM Command Set 1.0c 3.2).
// Data is copied between guest memory and the backing store when the
// command is fetched (for Reads, and Writes but to zoned namespaces, in an
// I/O queue group's pass: right after, without the lock; queue_groups.cc);
// the FTL and its timing model decide when the completion is posted.
#include <cstring>

#include "nvm_command_set.h"
#include "vendor_commands.h"
#include "zns_command_set.h"

namespace nvmev {

Outcome NvmCommandSet::io_read_write(Request &req, bool write)
{
    const Sqe &sqe = req.sqe;
    uint64_t slba = 0;
    uint32_t nlb = 0;
    Status st = lba_range_of(req, slba, nlb);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const bool fua = (sqe.cdw12 >> 30) & 1;
    const uint64_t bytes = uint64_t{nlb} << req.ns->cfg.lba_shift();
    if (cfg_.mdts && bytes > cfg_.max_transfer_bytes()) {
        return Outcome::of(kInvalidField);
    }
    st = check_media_access(*req.ns, slba, nlb, write);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    if (req.group && !req.ns->kv && !(write && req.ns->zns)) {
        // Moved without the lock; a zoned Write copies under it, since beyond
        // the write pointer a zone must read as zeros even if it is reset
        // while the data moves.
        st = xfer_.stage(req, req.ns->backing + (slba << req.ns->cfg.lba_shift()), slba, nlb, bytes,
                         write);
    } else if (write) {
        st = move_write_data(req, slba, bytes);
    } else {
        st = xfer_.to_host(sqe, req.ns->backing + (slba << req.ns->cfg.lba_shift()), bytes);
    }
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const ftl::MediaResult res = req.ns->ftl->submit(
        {write ? ftl::MediaOp::Write : ftl::MediaOp::Read, slba, nlb, bytes, fua, req.fetched_ns});
    (write ? counters_.write_bytes : counters_.read_bytes) += bytes;
    (write ? smart_.write_bytes : smart_.read_bytes) += bytes;
    (write ? smart_.host_write_cmds : smart_.host_read_cmds)++;
    smart_.busy_ns +=
        static_cast<uint64_t>(std::max<int64_t>(0, res.complete_at_ns - req.fetched_ns));
    // Built in the caller's slot, not copied there (see execute()).
    return {res.status, 0, 0, res.complete_at_ns, false};
}

Outcome NvmCommandSet::io_flush(Request &req)
{
    const Sqe &sqe = req.sqe;
    // The broadcast NSID flushes every namespace (ID-CTRL VWC bits 2:1 = 11b).
    if (sqe.nsid != 0xffffffffu) {
        return flush_namespace(req);
    }
    Outcome out;
    out.complete_at_ns = req.fetched_ns;
    for (const auto &ns : namespaces_) {
        if (ns && ns->active()) {
            const Outcome o =
                media_outcome(*ns, {ftl::MediaOp::Flush, 0, 0, 0, false, req.fetched_ns});
            ns->checkpoint(req.fetched_ns);
            out.complete_at_ns = std::max(out.complete_at_ns, o.complete_at_ns);
            if (o.status != kSuccess) {
                out.status = o.status;
            }
        }
    }
    return out;
}

Outcome NvmCommandSet::io_write_zeroes(Request &req)
{
    const Sqe &sqe = req.sqe;
    uint64_t slba = 0;
    uint32_t nlb = 0;
    Status st = lba_range_of(req, slba, nlb);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    st = check_media_access(*req.ns, slba, nlb, true);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    zero_media(*req.ns, slba, nlb);
    const uint64_t bytes = uint64_t{nlb} << req.ns->cfg.lba_shift();
    return media_outcome(*req.ns, {ftl::MediaOp::WriteZeroes, slba, nlb, bytes,
                                   ((sqe.cdw12 >> 30) & 1) != 0, req.fetched_ns});
}

Outcome NvmCommandSet::io_dataset_management(Request &req)
{
    const Sqe &sqe = req.sqe;
    Status st = check_io_namespace(req);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const uint32_t nr = (sqe.cdw10 & 0xff) + 1;
    const bool deallocate = (sqe.cdw11 >> 2) & 1;
    struct nvme_dsm_range ranges[256];
    st = xfer_.from_host(sqe, ranges, nr * sizeof(ranges[0]));
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    for (uint32_t i = 0; i < nr; i++) {
        if (!lba_range_ok(*req.ns, le64toh(ranges[i].slba), le32toh(ranges[i].nlb))) {
            return Outcome::of(kLbaOutOfRange);
        }
    }
    Outcome out;
    out.complete_at_ns = req.fetched_ns;
    if (!deallocate || req.ns->zns) {
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
        zero_media(*req.ns, slba, nlb);
        const Outcome o = media_outcome(
            *req.ns, {ftl::MediaOp::Deallocate, slba, nlb, uint64_t{nlb} << req.ns->cfg.lba_shift(),
                      false, req.fetched_ns});
        out.complete_at_ns = std::max(out.complete_at_ns, o.complete_at_ns);
        if (o.status != kSuccess) {
            return o;
        }
    }
    return out;
}

Outcome NvmCommandSet::execute(Request &req)
{
    const auto h = table()[req.sqe.opcode];
    return h ? (this->*h)(req) : Outcome::of(kInvalidOpcode);
}

const IoHandlerTable<NvmCommandSet> &NvmCommandSet::table()
{
    static const IoHandlerTable<NvmCommandSet> table = [] {
        IoHandlerTable<NvmCommandSet> t{};
        t[nvme_cmd_flush] = &NvmCommandSet::io_flush;
        t[nvme_cmd_write] = &NvmCommandSet::io_write;
        t[nvme_cmd_read] = &NvmCommandSet::io_read;
        t[nvme_cmd_write_zeroes] = &NvmCommandSet::io_write_zeroes;
        t[nvme_cmd_dsm] = &NvmCommandSet::io_dataset_management;
        t[nvme_cmd_write_uncor] = &NvmCommandSet::io_write_uncorrectable;
        t[nvme_cmd_compare] = &NvmCommandSet::io_compare;
        t[nvme_cmd_verify] = &NvmCommandSet::io_verify;
        t[nvme_cmd_copy] = &NvmCommandSet::io_copy;
        for (const VendorCommand &v : vendor_commands()) {
            // A standard command (of this or the zoned set) keeps its opcode.
            if (!t[v.opcode] && !ZnsCommandSet::supports(v.opcode)) {
                t[v.opcode] = &NvmCommandSet::io_vendor;
            }
        }
        return t;
    }();
    return table;
}

}  // namespace nvmev
