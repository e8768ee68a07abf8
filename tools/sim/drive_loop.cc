#include "drive_loop.h"

#include <nvme/types.h>
#include <algorithm>

#include "data_pattern.h"

namespace nvmev::sim {
namespace {

constexpr uint64_t kPage = kPageSize;

void fill_rw(Sqe &s, const Io &io, uint32_t lba_shift)
{
    s.opcode = io.kind == Io::Read ? nvme_cmd_read : nvme_cmd_write;
    const uint64_t slba = io.offset >> lba_shift;
    s.cdw10 = static_cast<uint32_t>(slba);
    s.cdw11 = static_cast<uint32_t>(slba >> 32);
    s.cdw12 = static_cast<uint32_t>((io.bytes >> lba_shift) - 1);
}

// The SQE for `io` in slot `cid`: its buffer, PRPs, range or zone.
void fill_command(SimHost &host, Clone &k, uint16_t cid, const Io &io, uint32_t lba_shift, Sqe &s)
{
    if (io.kind == Io::ZoneReset) {
        s.opcode = nvme_zns_cmd_mgmt_send;
        const uint64_t slba = io.offset >> lba_shift;
        s.cdw10 = static_cast<uint32_t>(slba);
        s.cdw11 = static_cast<uint32_t>(slba >> 32);
        s.cdw13 = NVME_ZNS_ZSA_RESET;
        return;
    }
    if (io.kind == Io::Flush) {
        s.opcode = nvme_cmd_flush;
        return;
    }
    if (io.kind == Io::Trim) {
        // One range, deallocate: the Dataset Management a
        // driver sends for a discard. The range lives in queue
        // memory, which --no-data still moves.
        auto *range = reinterpret_cast<nvme_dsm_range *>(host.ram + k.dsm_base +
                                                         cid * sizeof(nvme_dsm_range));
        *range = {};
        range->nlb = htole32(static_cast<uint32_t>(io.bytes >> lba_shift));
        range->slba = htole64(io.offset >> lba_shift);
        s.opcode = nvme_cmd_dsm;
        s.prp1 = k.dsm_base + cid * sizeof(nvme_dsm_range);
        s.cdw11 = NVME_DSMGMT_AD;
        return;
    }
    fill_rw(s, io, lba_shift);
    const uint64_t buf = k.buf_base + cid * k.buf_stride;
    if (host.stamp && io.kind == Io::Write) {
        const uint32_t block = 1u << lba_shift;
        const uint64_t seq = host.writes++;
        for (uint64_t b = 0; b < io.bytes; b += block) {
            stamp_block(host.ram + buf + b, block, (io.offset + b) >> lba_shift, seq);
        }
    }
    s.prp1 = buf;
    if (io.bytes > 2 * kPage) {
        s.prp2 = k.prp_base + cid * kPage;
    } else if (io.bytes > kPage) {
        s.prp2 = buf + kPage;
    }
}

}  // namespace

bool run_phase(SimHost &host, NvmevCore *cp, std::span<Clone> ph, uint32_t lba_shift,
               SimResult &out, std::string &err)
{
    for (unsigned stalls = 0;;) {
        bool rang = false;
        for (Clone &k : ph) {
            const int64_t now = host.now_ns;
            while (!k.free_cids.empty()) {
                const Io io = k.work->next(now);
                if (io.kind == Io::None) {
                    break;
                }
                const uint16_t cid = k.free_cids.back();
                k.free_cids.pop_back();
                k.slots[cid] = {io, now};
                if (k.first_ns < 0 && io.kind != Io::ZoneReset) {
                    k.first_ns = now;  // a zbd job's runtime starts at its first write
                }
                Sqe &s = k.qp->push();
                s.cid = cid;
                s.nsid = 1;
                fill_command(host, k, cid, io, lba_shift, s);
            }
            rang |= k.qp->ring();
        }
        if (rang || host.kicked) {
            host.kicked = false;
            nvmev_core_process(cp, 0);
        }
        bool reaped = false;
        bool all_done = true;
        for (Clone &k : ph) {
            const int64_t now = host.now_ns;
            reaped |= k.qp->reap([&](const Cqe &c) {
                Clone::Slot &slot = k.slots[c.cid];
                const uint16_t status = c.status >> 1;
                JobResult &r = *k.result;
                if (slot.io.kind == Io::ZoneReset) {
                    r.zone_resets++;
                } else {
                    DirectionStats &d = slot.io.kind == Io::Read    ? r.read
                                        : slot.io.kind == Io::Write ? r.write
                                        : slot.io.kind == Io::Trim  ? r.trim
                                                                    : r.sync;
                    if (status) {
                        d.errors++;
                    } else if (k.work->counts(now)) {  // past ramp_time
                        d.add(now - slot.submit_ns, slot.io.bytes);
                        k.last_ns = now;
                    }
                    out.commands++;
                }
                k.work->completed(slot.io);
                k.free_cids.push_back(c.cid);
            }) != 0;
            const bool done = k.free_cids.size() == k.depth && k.work->done_issuing(host.now_ns);
            if (done && !k.released) {
                k.work->release_zones();
                k.released = true;
                reaped = true;  // another clone may issue now
            }
            all_done &= done;
        }
        if (reaped || rang) {
            stalls = 0;
            continue;
        }
        if (all_done) {
            break;
        }
        // Nothing can happen now: jump to the next deadline or rate slot.
        int64_t wake = host.deadline_ns;
        for (const Clone &k : ph) {
            // A rate-capped clone with a free slot wakes at its next slot.
            if (!k.free_cids.empty() && !k.work->done_issuing(host.now_ns)) {
                wake = std::min(wake, k.work->wake_ns());
            }
        }
        if (wake == INT64_MAX) {
            if (++stalls > 2) {
                err = "the simulation stalled: commands in flight and no deadline armed";
                return false;
            }
            continue;
        }
        host.now_ns = std::max(host.now_ns, wake);
        if (host.deadline_ns <= host.now_ns) {
            host.deadline_ns = INT64_MAX;
            nvmev_core_timer(cp, 0);
        }
    }
    return true;
}

}  // namespace nvmev::sim
