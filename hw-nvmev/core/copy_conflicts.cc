// Media conflicts between queue groups. A group's Reads and Writes move
// their data after the core's lock is dropped (queue_groups.cc), so another
// group's command on the same blocks could otherwise run while that data
// moves: two copies into one block at once, a Write Zeroes clearing blocks
// a Read is copying out, a torn block. NVMe requires a write of up to AWUN
// + 1 blocks (AWUN = 0h: one block) to be atomic with respect to every
// other command (NVMe Base 2.0c 2.1.4.1), so a command whose blocks overlap
// another group's copy in flight, with either of them changing the media,
// is left in its SQ until that copy ends; the other group then wakes this
// one. Checked under the lock before the command has any effect, so a
// waiting command is simply fetched again later, and no thread ever waits
// for another while holding anything (a copy may be waiting for the BQL in
// a DMA to a device's MMIO). One queue group: nothing to check.
//
// A subsystem's controllers share NSID 1 and take the subsystem's lock, so
// the same holds between them: a command waits for another controller's
// copy of the same namespace's blocks. That controller cannot wake this one
// (its bottom halves are not ours to schedule, and may be freed while it is
// unplugged), so the waiting group fetches again a short while later on its
// own timer; conflicts between hosts are rare and a copy lasts microseconds.
#include <algorithm>

#include "controller.h"

namespace nvmev {
namespace {

constexpr uint64_t kAllBlocks = UINT64_MAX;
// How soon a group waiting for another controller's copy fetches again.
constexpr int64_t kSiblingRetryNs = 20'000;

// The blocks a command touches on the media; nlb 0: none.
struct MediaRange {
    uint32_t nsid = 0;  // NVME_NSID_ALL: every namespace
    uint64_t slba = 0;
    uint64_t nlb = 0;
    bool write = false;
};

MediaRange io_range(const Sqe &sqe)
{
    const uint64_t slba = sqe.cdw10 | (uint64_t{sqe.cdw11} << 32);
    const uint64_t nlb = (sqe.cdw12 & 0xffff) + 1ull;
    switch (sqe.opcode) {
        case nvme_cmd_flush:
        case nvme_zns_cmd_mgmt_recv: return {};  // no data blocks
        case nvme_cmd_read:
        case nvme_cmd_compare:
        case nvme_cmd_verify: return {sqe.nsid, slba, nlb, false};
        case nvme_cmd_write:
        case nvme_cmd_write_zeroes:
        case nvme_cmd_write_uncor: return {sqe.nsid, slba, nlb, true};
        default:
            // Dataset Management, Copy, zone management and appends, KV and
            // vendor commands: their blocks are in a data buffer or zone-sized;
            // taken as changing the whole namespace.
            return {sqe.nsid, 0, kAllBlocks, true};
    }
}

MediaRange admin_range(const Sqe &sqe)
{
    switch (sqe.opcode) {
        case nvme_admin_format_nvm:
        case nvme_admin_ns_mgmt:
        case nvme_admin_sanitize_nvm: return {sqe.nsid, 0, kAllBlocks, true};
        default: return {};
    }
}

bool blocks_meet(const MediaRange &r, const QueueGroup::StagedRange &c)
{
    return r.nlb == kAllBlocks || (r.slba < c.slba + c.nlb && c.slba < r.slba + r.nlb);
}

}  // namespace

bool Controller::waits_for_other_copies(const Sqe &sqe, uint16_t sqid)
{
    const bool siblings = subsys_ && subsys_->controllers() > 1;
    if (groups_.size() < 2 && !siblings) {
        return false;
    }
    MediaRange r = sqid == 0 ? admin_range(sqe) : io_range(sqe);
    if (sqid != 0 && (sqe.flags & 3) != 0) {
        // A fused Compare and Write: its Write changes these blocks under the
        // lock, not staged, while another group's copy may be reading them.
        r.write = true;
    }
    if (r.nlb == 0) {
        return false;
    }
    // The namespace the command names here; nullptr with NVME_NSID_ALL
    // (every namespace here) or an NSID without one (no conflict:
    // the command fails).
    const bool all = r.nsid == NVME_NSID_ALL;
    const Namespace *ns = all ? nullptr : namespace_slot(r.nsid);
    if (!all && !ns) {
        return false;
    }
    // Whether `other`'s groups (but `self`) copy blocks r touches, either
    // side changing them. A namespace is one object wherever it is attached.
    const auto meets = [&](const Controller &other, const QueueGroup *self) {
        for (const QueueGroup &g : other.groups_) {
            if (&g == self || (!r.write && g.staged_writes == 0)) {
                continue;  // reads never wait for reads
            }
            for (const QueueGroup::StagedRange &c : g.staged_ranges) {
                if ((r.write || c.write) && (all ? has_namespace(c.ns) : c.ns == ns) &&
                    blocks_meet(r, c)) {
                    return true;
                }
            }
        }
        return false;
    };
    const unsigned g = group_of_[sqid];
    QueueGroup &self = groups_[g];
    if (groups_.size() > 1 && meets(*this, &self)) {
        self.waits_for_copies = true;
        return true;
    }
    bool sibling = false;
    if (siblings) {
        subsys_->for_each_other(
            this, [&](const Controller &c) { sibling = sibling || meets(c, nullptr); });
    }
    if (sibling) {
        self.sibling_retry_ns = std::min(self.sibling_retry_ns, host_.now_ns() + kSiblingRetryNs);
        rearm(g);
    }
    return sibling;
}

bool Controller::copies_in_flight(const Namespace *ns, uint64_t slba, uint64_t nlb) const
{
    const MediaRange r{0, slba, nlb, true};
    const auto meets = [&](const Controller &c) {
        for (const QueueGroup &g : c.groups_) {
            for (const QueueGroup::StagedRange &s : g.staged_ranges) {
                if (s.ns == ns && blocks_meet(r, s)) {
                    return true;
                }
            }
        }
        return false;
    };
    bool found = meets(*this);
    if (!found && subsys_) {
        subsys_->for_each_other(this, [&](const Controller &c) { found = found || meets(c); });
    }
    return found;
}

bool Controller::has_namespace(const Namespace *ns) const
{
    return std::any_of(namespaces_.begin(), namespaces_.end(),
                       [ns](const std::shared_ptr<Namespace> &n) { return n.get() == ns; });
}

void Controller::wake_copy_waiters(const QueueGroup &finished)
{
    for (unsigned g = 0; g < groups_.size(); g++) {
        // A group waits only for the others' copies.
        if (&groups_[g] != &finished && groups_[g].waits_for_copies) {
            groups_[g].waits_for_copies = false;
            host_.kick(g);
        }
    }
}

}  // namespace nvmev
