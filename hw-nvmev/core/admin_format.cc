// Format NVM (NVMe 2.0c 5.23; NVM Command Set 1.0c 4.1.4.1). Two LBA
// formats are offered (ID-NS NLBAF = 1): 512 B and 4 KiB, no metadata and
// no protection information. A format keeps the capacity in bytes, so the
// number of blocks follows the block size. User data is always erased
// (reads return zeros, as for deallocated blocks), which also satisfies a
// User Data Erase (SES 001b). Cryptographic erase is not offered (ID-CTRL
// FNA bit 2 clear): SES 010b is refused. FNA = 0: each namespace formats
// on its own and NSID FFFFFFFFh formats every namespace.
#include <algorithm>

#include "controller.h"

namespace nvmev {
namespace {

constexpr uint32_t kLbaSizes[] = {512, 4096};  // LBA format index -> size

}  // namespace

Outcome Controller::admin_format_nvm(Request &req)
{
    const Sqe &sqe = req.sqe;
    const uint32_t v = sqe.cdw10;
    // LBAF: lower bits 3:0, upper bits 13:12 (Figure 322).
    const uint32_t lbaf = (v & 0xf) | (((v >> 12) & 3) << 4);
    const uint32_t mset = (v >> 4) & 1, pi = (v >> 5) & 7, pil = (v >> 8) & 1;
    const uint32_t ses = (v >> 9) & 7;
    const bool all = sqe.nsid == NVME_NSID_ALL;
    if (!all && !active_namespace(sqe.nsid)) {
        return Outcome::of(kInvalidNamespace);
    }
    if (ses != NVME_FORMAT_SES_NONE && ses != NVME_FORMAT_SES_USER_DATA_ERASE) {
        return Outcome::of(kInvalidField);  // crypto erase not offered; others reserved
    }
    if (lbaf >= std::size(kLbaSizes) || mset || pi || pil) {
        return Outcome::of(kInvalidFormat);  // no metadata, no protection information
    }
    Outcome out;
    out.complete_at_ns = req.fetched_ns;
    for (uint32_t nsid = 1; nsid <= kMaxNamespaces && out.status == kSuccess; nsid++) {
        Namespace *ns = all || nsid == sqe.nsid ? active_namespace(nsid) : nullptr;
        if (ns) {
            out.status = format_namespace(*ns, static_cast<uint8_t>(lbaf), req.fetched_ns,
                                          out.complete_at_ns);
            ns->checkpoint(req.fetched_ns);
        }
    }
    return out;
}

// Every access to namespace state a format makes is here, on ns. Both SES
// values accepted (none, user data erase) erase the user data.
Status Controller::format_namespace(Namespace &ns, uint8_t lbaf, int64_t now, int64_t &done_ns)
{
    const uint32_t lba_size = kLbaSizes[lbaf];
    if (ns.kv) {
        // One KV format (NKVF 1); the block size of the NVM view stays.
        if (lba_size != ns.cfg.lba_size) {
            return kInvalidFormat;
        }
        ns.kv->erase_all();
        ns.kv_iterators = {};
        done_ns = now + ns.kv_timing->index_latency_ns();
        return kSuccess;
    }
    if (ns.zns) {
        // The zone geometry is fixed when the device is created (zoned.*
        // properties): a zoned namespace keeps its format; its zones are all
        // reset, which erases them.
        if (lba_size != ns.cfg.lba_size) {
            return kInvalidFormat;
        }
        ns.zone_effects.clear();
        const ftl::MediaResult r =
            ns.zns->send(ftl::ZoneAction::Reset, 0, true, false, now, ns.zone_effects);
        ZnsCommandSet::apply_zone_effects(ns, ns.zone_effects);
        done_ns = r.complete_at_ns;
        return r.status;
    }
    if (ns.cfg.capacity_bytes % lba_size) {
        return kInvalidFormat;
    }
    // Deallocate everything in the old format (the FTL forgets its
    // mapping), then switch the block size.
    const uint64_t nlbas = ns.cfg.nlbas();
    IoCommandSet::zero_media(ns, 0, nlbas);
    constexpr uint64_t kChunk = uint64_t{1} << 24;  // a request's NLB is 32-bit
    for (uint64_t slba = 0; slba < nlbas; slba += kChunk) {
        const auto nlb = static_cast<uint32_t>(std::min(kChunk, nlbas - slba));
        const Outcome o = IoCommandSet::media_outcome(
            ns,
            {ftl::MediaOp::Deallocate, slba, nlb, uint64_t{nlb} << ns.cfg.lba_shift(), false, now});
        if (o.status != kSuccess) {
            return o.status;
        }
        done_ns = std::max(done_ns, o.complete_at_ns);
    }
    ns.cfg.lba_size = lba_size;
    return kSuccess;
}

}  // namespace nvmev
