#include "idle_settle.h"

#include <nvme/types.h>
#include <algorithm>
#include <cstring>

namespace nvmev::sim {
namespace {

// One read of one block at `lba` at the current time on clone k's queue
// pair (idle: no command in flight), driven to its completion. False on a
// stall or error.
bool idle_read(SimHost &host, NvmevCore *core, Clone &k, uint64_t lba, std::string &err)
{
    Sqe &s = k.qp->push();
    s.cid = k.free_cids.back();
    s.nsid = 1;
    s.opcode = nvme_cmd_read;
    s.cdw10 = static_cast<uint32_t>(lba);
    s.cdw11 = static_cast<uint32_t>(lba >> 32);
    s.prp1 = k.buf_base;
    k.qp->ring();
    nvmev_core_process(core, 0);
    for (uint16_t status = 0;;) {
        if (k.qp->reap([&](const Cqe &c) { status = c.status >> 1; })) {
            if (status) {
                err = "idle read: status " + std::to_string(status);
                return false;
            }
            return true;
        }
        if (host.kicked) {
            host.kicked = false;
            nvmev_core_process(core, 0);
            continue;
        }
        if (host.deadline_ns == INT64_MAX) {
            err = "the simulation stalled in the idle time: a read in flight and no deadline";
            return false;
        }
        host.now_ns = std::max(host.now_ns, host.deadline_ns);
        host.deadline_ns = INT64_MAX;
        nvmev_core_timer(core, 0);
    }
}

}  // namespace

bool settle(SimHost &host, NvmevCore *core, Clone &k, uint32_t lba_shift, uint64_t capacity,
            SimResult &out, std::string &err)
{
    constexpr int64_t kIdleStepNs = 10'000'000'000;
    int64_t partitions = 1;
    nvmev_core_foreach_param(
        core,
        [](void *opaque, const char *name, int64_t value) {
            if (std::strcmp(name, "partitions") == 0) {
                *static_cast<int64_t *>(opaque) = value;
            }
        },
        &partitions);
    const uint64_t pages = capacity / kPageSize, lbas_per_page = kPageSize >> lba_shift;
    const int64_t from = host.now_ns;
    NvmevCoreInfo info{};
    nvmev_core_get_info(core, &info);
    const uint64_t gc_before = info.gc_runs;
    uint64_t prev = info.gc_runs;
    for (uint64_t n = 0, quiet = 0; quiet < static_cast<uint64_t>(partitions) + 1; n++) {
        if (n > 4 * (info.total_lines + static_cast<uint64_t>(partitions))) {
            err = "the drive did not settle in the idle time (background GC went on)";
            return false;
        }
        host.now_ns += kIdleStepNs;
        while (host.deadline_ns <= host.now_ns) {
            host.deadline_ns = INT64_MAX;
            nvmev_core_timer(core, 0);
        }
        if (!idle_read(host, core, k, n % pages * lbas_per_page, err)) {
            return false;
        }
        out.idle_reads++;
        nvmev_core_get_info(core, &info);
        quiet = info.gc_runs == prev ? quiet + 1 : 0;
        prev = info.gc_runs;
    }
    out.idled = true;
    out.idle_ns = host.now_ns - from;
    out.idle_gc_runs = info.gc_runs - gc_before;
    return true;
}

}  // namespace nvmev::sim
