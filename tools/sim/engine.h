// Runs jobs against one controller core: builds the device, enables it,
// creates one I/O queue pair per job clone and drives them in device time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "job_options.h"
#include "latency_stats.h"
#include "nvmev_core.h"

namespace nvmev::sim {

struct JobResult {
    // Shared by a job's clones and owned here, so a result outlives the
    // job list it was simulated from.
    std::shared_ptr<const JobOptions> job;
    DirectionStats read, write, trim;
    DirectionStats sync;     // Flushes (fio's "sync": latencies, no bytes)
    int64_t runtime_ns = 0;  // first submission to last completion
    uint32_t group = 0;      // fio's groupid: a stonewall starts the next
    uint64_t zone_resets = 0;
    // A replayed trace: I/Os issued, and those issued after their time
    // (the queue was full) with how late.
    struct Replay {
        bool on = false;
        std::string format;
        uint64_t ios = 0, late_ios = 0;
        int64_t late_max_ns = 0, late_sum_ns = 0;
    } replay;
};

struct SimResult {
    std::vector<JobResult> jobs;  // one per clone, in job order
    NvmevCoreInfo info{};         // the device at the end
    NvmevCoreInfo start_info{};   // and before the first I/O (as loaded)
    int64_t device_ns = 0;        // device time the run took
    uint64_t commands = 0;        // I/O commands completed
    // --memdev-file, ssd=conv: the idle time after the jobs (settle()),
    // its reads and the background GC they let run; `info` is after it.
    bool idled = false;
    int64_t idle_ns = 0;
    uint64_t idle_reads = 0, idle_gc_runs = 0;
};

struct SimOptions {
    // Off: DMA of data buffers moves no bytes (SimHost::copy_data).
    bool copy_data = true;
    // --data-pattern=stamp: writes carry stamp_block() data (data_pattern.h).
    bool stamp = false;
    // --memdev-file: the namespace's backing store is this file, mapped
    // shared as QEMU's memory-backend-file,share=on, created with size= if
    // absent; the drive state the kind keeps is loaded from its end and
    // checkpointed there when the run ends (docs/sim.md#aged-drives).
    std::string memdev_file;
};

// False and `err` on a bad configuration (the core's message), a job the
// device cannot take, a memdev file that cannot be used, or a stall.
bool run_simulation(const NvmevConfig &cfg, const std::vector<JobOptions> &jobs, SimResult &out,
                    std::string &err, const SimOptions &opts);
inline bool run_simulation(const NvmevConfig &cfg, const std::vector<JobOptions> &jobs,
                           SimResult &out, std::string &err, bool copy_data = true)
{
    SimOptions o;
    o.copy_data = copy_data;
    return run_simulation(cfg, jobs, out, err, o);
}

}  // namespace nvmev::sim
