// The steps the I/O command sets share: the namespace and LBA range
// checks, moving a write's data in, zeroing blocks, and submitting a
// media operation to the namespace's FTL.
#include <cstring>

#include "io_command_set.h"

namespace nvmev {

Status IoCommandSet::check_io_namespace(const Request &req)
{
    // execute() looked the namespace up: an inactive NSID (unallocated or
    // detached) or an invalid one has none.
    return req.ns ? kSuccess : kInvalidNamespace;
}

// [slba, slba + nlb) lies in the namespace (an empty range may sit at its end).
bool IoCommandSet::lba_range_ok(const Namespace &ns, uint64_t slba, uint64_t nlb)
{
    const uint64_t nlbas = ns.cfg.nlbas();
    return slba <= nlbas && nlb <= nlbas - slba;
}

Status IoCommandSet::lba_range_of(const Request &req, uint64_t &slba, uint32_t &nlb)
{
    const Status st = check_io_namespace(req);
    if (st != kSuccess) {
        return st;
    }
    slba = sqe_slba(req.sqe);
    nlb = sqe_nlb(req.sqe);
    return lba_range_ok(*req.ns, slba, nlb) ? kSuccess : kLbaOutOfRange;
}

Status IoCommandSet::move_write_data(const Request &req, uint64_t slba, uint64_t bytes)
{
    if (req.ns->zns) {
        req.ns->zns->zones().mark_write(req.ns->zns->zones().zone_of(slba));
    }
    const Status st =
        xfer_.from_host(req.sqe, req.ns->backing + (slba << req.ns->cfg.lba_shift()), bytes);
    if (st != kSuccess && req.ns->zns) {
        // Beyond the write pointer a zone must read as zeros.
        zero_media(*req.ns, slba, bytes >> req.ns->cfg.lba_shift());
    }
    if (st == kSuccess) {
        req.ns->uncorrectable.clear(slba,
                                    bytes >> req.ns->cfg.lba_shift());  // rewritten: readable again
    }
    return st;
}

Outcome IoCommandSet::media_outcome(Namespace &ns, const ftl::MediaRequest &mr)
{
    const ftl::MediaResult res = ns.ftl->submit(mr);
    Outcome out;
    out.status = res.status;
    out.complete_at_ns = res.complete_at_ns;
    return out;
}

// Reads of deallocated or zeroed blocks return zeros (ID-NS DLFEAT = 001b),
// so the backing store is cleared as well as the mapping.
void IoCommandSet::zero_media(Namespace &ns, uint64_t slba, uint64_t nlb)
{
    ns.uncorrectable.clear(slba, nlb);
    std::memset(ns.backing + (slba << ns.cfg.lba_shift()), 0, nlb << ns.cfg.lba_shift());
}

Status IoCommandSet::check_media_access(const Namespace &ns, uint64_t slba, uint32_t nlb,
                                        bool write)
{
    if (ns.zns) {
        const Status st =
            write ? ns.zns->zones().check_write(slba, nlb) : ns.zns->zones().check_read(slba, nlb);
        if (st != kSuccess) {
            return st;
        }
    }
    return !write && ns.uncorrectable.any(slba, nlb) ? kUnrecoveredReadError : kSuccess;
}

Outcome IoCommandSet::flush_namespace(const Request &req)
{
    if (check_io_namespace(req) != kSuccess) {
        return Outcome::of(kInvalidNamespace);
    }
    const Outcome out =
        media_outcome(*req.ns, {ftl::MediaOp::Flush, 0, 0, 0, false, req.fetched_ns});
    req.ns->checkpoint(req.fetched_ns);  // what a Flush makes durable (docs/persistence.md)
    return out;
}

}  // namespace nvmev
