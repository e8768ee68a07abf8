#include "engine.h"

#include <sys/mman.h>

#include <nvme/types.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>

#include "admin_queue.h"
#include "backing_store.h"
#include "drive_loop.h"
#include "idle_settle.h"
#include "replay.h"
#include "workload.h"

namespace nvmev::sim {
namespace {

constexpr uint64_t kPage = kPageSize;
constexpr int64_t kStartNs = 1'000'000'000;  // device time at CC.EN

uint64_t pages(uint64_t bytes)
{
    return (bytes + kPage - 1) / kPage * kPage;
}

struct CoreDeleter {
    void operator()(NvmevCore *c) const { nvmev_core_free(c); }
};

}  // namespace

bool run_simulation(const NvmevConfig &in_cfg, const std::vector<JobOptions> &jobs, SimResult &out,
                    std::string &err, const SimOptions &opts)
{
    const bool copy_data = opts.copy_data;
    if (!opts.memdev_file.empty() && !copy_data) {
        err =
            "--no-data with --memdev-file: the drive on the file would keep the FTL's view of "
            "writes whose data never reached it; leave --no-data out";
        return false;
    }
    if (opts.stamp && !copy_data) {
        err = "--data-pattern=stamp with --no-data: no data moves; leave --no-data out";
        return false;
    }
    // Unless max-ioqpairs= is given, offer one queue pair per job clone:
    // every pass of the core scans all its queues, so the preset's 64 cost
    // the simulation a third of its speed and change no model figure.
    NvmevConfig cfg = in_cfg;
    if (cfg.max_ioqpairs < 0) {
        int64_t clones = 0;
        for (const auto &j : jobs) {
            clones += j.numjobs;
        }
        cfg.max_ioqpairs = clones;
    }
    // Traces first: their largest transfer sizes the data buffers.
    std::vector<std::shared_ptr<const Trace>> traces(jobs.size());
    std::vector<uint64_t> xfer(jobs.size());
    for (size_t i = 0; i < jobs.size(); i++) {
        xfer[i] = jobs[i].bs;
        if (jobs[i].replays() && !load_replay(jobs[i], traces[i], xfer[i], err)) {
            err = "job '" + jobs[i].name + "': " + err;
            return false;
        }
    }
    char *cerr = nullptr;
    NvmevLayout layout{};
    Backing backing;
    // As the QEMU adapter passes a memdev: its whole size is the capacity,
    // the kind's drive state goes at its end, and errors name the file.
    const std::string backing_name = "'memdev-file' (file " + opts.memdev_file + ")";
    if (!opts.memdev_file.empty()) {
        if (!backing.map_file(opts.memdev_file, cfg.capacity_bytes, err)) {
            return false;
        }
        cfg.capacity_bytes = backing.bytes;
        cfg.capacity_from_memdev = 1;
        cfg.backing_name = backing_name.c_str();
    }
    if (nvmev_core_layout(&cfg, &layout, &cerr) != 0) {
        err = cerr ? cerr : "bad configuration";
        nvmev_core_free_error(cerr);
        return false;
    }
    if (backing.is_file()) {
        if (layout.data_bytes + layout.metadata_bytes > backing.bytes) {
            err = "--memdev-file " + opts.memdev_file + ": " + std::to_string(backing.bytes) +
                  " bytes hold less than the device's data and metadata (" +
                  std::to_string(layout.data_bytes + layout.metadata_bytes) + " bytes)";
            return false;
        }
    } else if (!backing.map_anonymous(layout.data_bytes + layout.metadata_bytes)) {
        err = "cannot map " + std::to_string(backing.bytes) + " bytes for the namespace";
        return false;
    }

    // Guest RAM: admin queues and an Identify page, then per clone its SQ,
    // CQ and PRP lists, then every data buffer (one range, so that the
    // host can tell data from queues and lists).
    uint64_t meta_bytes = 4 * kPage, data_bytes = 0;
    unsigned clones = 0;
    for (size_t i = 0; i < jobs.size(); i++) {
        const JobOptions &j = jobs[i];
        meta_bytes += (pages((j.iodepth + 1) * 64ull) + pages((j.iodepth + 1) * 16ull) +
                       j.iodepth * kPage + pages(j.iodepth * 16ull)) *
                      j.numjobs;
        data_bytes += j.iodepth * pages(xfer[i]) * j.numjobs;
        clones += j.numjobs;
    }
    const uint64_t ram_bytes = meta_bytes + data_bytes;
    Backing ram;
    if (!ram.map_anonymous(ram_bytes)) {
        err = "cannot map guest memory";
        return false;
    }
    SimHost host;
    host.ram = ram.p;
    host.ram_bytes = ram_bytes;
    host.data_base = meta_bytes;
    host.copy_data = copy_data;
    host.stamp = opts.stamp;
    host.now_ns = kStartNs;
    const NvmevHostOps ops = host.ops();
    std::unique_ptr<NvmevCore, CoreDeleter> core(
        nvmev_core_new(&cfg, &ops, &host, backing.p, &cerr));
    if (!core) {
        err = cerr ? cerr : "bad configuration";
        nvmev_core_free_error(cerr);
        return false;
    }
    AdminQueue admin(host, core.get());
    if (!admin.enable(kPage, 2 * kPage)) {
        err = "the controller did not become ready";
        return false;
    }
    nvmev_core_get_info(core.get(), &out.info);
    if (out.info.is_kv) {
        err =
            "ssd=kv: a key-value namespace has no Read or Write; nvmev-sim drives the block "
            "kinds (nvm, conv, zns)";
        return false;
    }
    // Identify the namespace, as a driver learns its size and LBA format.
    const uint64_t id_page = 3 * kPage;
    Sqe id{};
    id.opcode = nvme_admin_identify;
    id.nsid = 1;
    id.prp1 = id_page;
    id.cdw10 = NVME_IDENTIFY_CNS_NS;
    if (admin.call(id) != 0) {
        err = "Identify Namespace failed";
        return false;
    }
    nvme_id_ns ns;
    std::memcpy(&ns, ram.p + id_page, sizeof ns);
    const uint32_t lba_shift = ns.lbaf[ns.flbas & 0xf].ds;
    const uint64_t capacity = le64toh(ns.nsze) << lba_shift;
    nvmev_core_get_info(core.get(), &out.info);
    out.start_info = out.info;
    const uint32_t max_entries =
        static_cast<uint32_t>(nvmev_core_mmio_read(core.get(), 0, 8) & 0xffff) + 1;

    ZoneTable zones;
    bool any_zbd = false;
    for (size_t i = 0; i < jobs.size(); i++) {
        const JobOptions &j = jobs[i];
        if (j.iodepth + 1 > max_entries) {
            err = "job '" + j.name + "': iodepth=" + std::to_string(j.iodepth) +
                  " needs queues of " + std::to_string(j.iodepth + 1) +
                  " entries; the device's limit is " + std::to_string(max_entries);
            return false;
        }
        if (traces[i]) {
            if (!check_replay(j, *traces[i], capacity, lba_shift, out.info.mdts, err)) {
                err = "job '" + j.name + "': " + err;
                return false;
            }
            continue;  // bs, size and offset are the trace's
        }
        any_zbd |= j.zbd;
        if (j.zbd && !out.info.is_zoned) {
            err = "job '" + j.name + "': zonemode=zbd needs ssd=zns";
            return false;
        }
        if (j.bs % (1u << lba_shift)) {
            err = "job '" + j.name + "': bs=" + std::to_string(j.bs) +
                  " is not a multiple of the LBA size " + std::to_string(1u << lba_shift);
            return false;
        }
        if (out.info.mdts && j.bs > (kPage << out.info.mdts)) {
            err = "job '" + j.name + "': bs=" + std::to_string(j.bs) +
                  " exceeds the device's largest transfer (mdts=" + std::to_string(out.info.mdts) +
                  ": " + std::to_string(kPage << out.info.mdts) + " bytes)";
            return false;
        }
        if (j.bs > 512 * kPage) {
            err = "job '" + j.name + "': bs above 2 MiB is not supported";
            return false;
        }
        const uint64_t from = std::min(j.offset, capacity);
        const uint64_t to = j.size ? std::min(capacity, from + j.size) : capacity;
        if (to - from < j.bs) {
            err = "job '" + j.name + "': offset and size leave less than bs of the namespace (" +
                  std::to_string(capacity) + " bytes)";
            return false;
        }
    }
    if (any_zbd && out.info.zones_in_state[0] != out.info.zone_count) {
        // The workload's zone table starts every zone empty.
        err = "zonemode=zbd on a drive whose zones are not all empty (" +
              std::to_string(out.info.zone_count - out.info.zones_in_state[0]) + " of " +
              std::to_string(out.info.zone_count) +
              ", from --memdev-file) is not supported: nvmev-sim does not read the write "
              "pointers back; reset the zones or use a new file";
        return false;
    }
    if (any_zbd) {
        zones.zone_bytes = out.info.zone_size_bytes;
        zones.cap_bytes = out.info.zone_capacity_bytes;
        zones.zones.resize(out.info.zone_count);
        for (const auto &j : jobs) {
            const uint64_t zb = zones.zone_bytes, first = (j.offset + zb - 1) / zb;
            const uint64_t end = j.size ? std::min(capacity, j.offset + j.size) : capacity;
            if (!j.zbd) {
                continue;
            }
            if (end / zb <= first) {
                err = "job '" + j.name + "': zonemode=zbd: offset and size hold no whole zone (" +
                      std::to_string(zb) + " bytes)";
                return false;
            }
            if (j.bs > zones.cap_bytes) {
                err = "job '" + j.name + "': zonemode=zbd: bs exceeds the zone capacity (" +
                      std::to_string(zones.cap_bytes) + " bytes)";
                return false;
            }
        }
    }

    out.jobs.assign(clones, JobResult{});
    std::vector<Clone> cl(clones);
    uint64_t next = 4 * kPage, data_next = meta_bytes;
    uint16_t qid = 0;
    std::vector<std::shared_ptr<const Trace>> clone_trace(clones);
    for (size_t ji = 0; ji < jobs.size(); ji++) {
        const JobOptions &j = jobs[ji];
        const auto shared = std::make_shared<const JobOptions>(j);
        for (uint32_t c = 0; c < j.numjobs; c++, qid++) {
            Clone &k = cl[qid];
            k.result = &out.jobs[qid];
            k.result->job = shared;
            clone_trace[qid] = traces[ji];
            k.depth = j.iodepth;
            const uint32_t entries = j.iodepth + 1;
            const uint64_t sq = next, cq = sq + pages(entries * 64ull);
            k.prp_base = cq + pages(entries * 16ull);
            k.dsm_base = k.prp_base + j.iodepth * kPage;
            next = k.dsm_base + pages(j.iodepth * 16ull);
            k.buf_base = data_next;
            k.buf_stride = pages(xfer[ji]);
            data_next += j.iodepth * k.buf_stride;
            const uint16_t q = qid + 1;
            Sqe ccq{};
            ccq.opcode = nvme_admin_create_cq;
            ccq.prp1 = cq;
            ccq.cdw10 = q | ((entries - 1) << 16);
            ccq.cdw11 = 1;  // physically contiguous, polled (no interrupts)
            Sqe csq{};
            csq.opcode = nvme_admin_create_sq;
            csq.prp1 = sq;
            csq.cdw10 = q | ((entries - 1) << 16);
            csq.cdw11 = 1 | (uint32_t{q} << 16);
            std::memset(ram.p + cq, 0, entries * 16ull);
            const uint16_t s1 = admin.call(ccq);
            const uint16_t s2 = s1 ? s1 : admin.call(csq);
            if (s1 || s2) {
                char status[8];
                std::snprintf(status, sizeof status, "%x", s1 ? s1 : s2);
                err = "creating I/O queue pair " + std::to_string(q) + " failed (status 0x" +
                      status + "): " + std::to_string(clones) +
                      " job clones need as many queue pairs; max-ioqpairs is " +
                      std::to_string(out.info.max_ioqpairs);
                return false;
            }
            k.qp = std::make_unique<QueuePair>(host, core.get(), q, entries, sq, cq);
            k.slots.resize(j.iodepth);
            for (uint32_t s = j.iodepth; s-- > 0;) {
                k.free_cids.push_back(static_cast<uint16_t>(s));
                // PRP list for transfers over two pages; fixed per slot.
                auto *list = reinterpret_cast<uint64_t *>(ram.p + k.prp_base + s * kPage);
                for (uint64_t p = 1; p * kPage < xfer[ji]; p++) {
                    list[p - 1] = k.buf_base + s * k.buf_stride + p * kPage;
                }
            }
        }
    }

    // Clones of one job get different seeds: count clones within the job.
    std::vector<unsigned> clone_no(clones);
    for (uint16_t i = 1; i < clones; i++) {
        clone_no[i] = cl[i].result->job == cl[i - 1].result->job ? clone_no[i - 1] + 1 : 0;
    }
    const int64_t start = host.now_ns;
    NvmevCore *const cp = core.get();
    // Phases: a job with stonewall starts when every job before it is done.
    for (size_t b = 0, e = 0, phase = 0; b < clones; b = e, phase++) {
        for (e = b + 1; e < clones; e++) {
            const JobOptions *j = cl[e].result->job.get();
            if (j != cl[e - 1].result->job.get() && j->stonewall) {
                break;
            }
        }
        for (size_t i = b; i < e; i++) {
            cl[i].result->group = phase;
            if (clone_trace[i]) {
                cl[i].work =
                    std::make_unique<Replay>(*cl[i].result->job, clone_trace[i], host.now_ns);
            } else {
                cl[i].work = std::make_unique<Workload>(*cl[i].result->job, clone_no[i], capacity,
                                                        any_zbd ? &zones : nullptr, host.now_ns);
            }
        }
        if (!run_phase(host, cp, std::span<Clone>(cl.data() + b, e - b), lba_shift, out, err)) {
            return false;
        }
    }
    for (Clone &k : cl) {
        // From the first submission, or the end of ramp_time, to the last
        // completion counted.
        k.result->runtime_ns =
            k.last_ns < 0 ? 0 : k.last_ns - std::max(k.first_ns, k.work->measure_from_ns());
        k.work->finish(*k.result);
    }
    out.device_ns = host.now_ns - start;
    nvmev_core_get_info(cp, &out.info);
    if (backing.is_file() && std::strcmp(out.info.kind, "conv") == 0) {
        if (!settle(host, cp, cl[0], lba_shift, capacity, out, err)) {
            return false;
        }
        nvmev_core_get_info(cp, &out.info);
    }
    // As QEMU's teardown: freeing the core checkpoints the drive state
    // (docs/persistence.md), then the file's pages are written back.
    core.reset();
    backing.keep();
    return backing.sync(err);
}

}  // namespace nvmev::sim
