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
    DirectionStats read, write;
    int64_t runtime_ns = 0;  // first submission to last completion
    uint32_t group = 0;      // fio's groupid: a stonewall starts the next
    uint64_t zone_resets = 0;
};

struct SimResult {
    std::vector<JobResult> jobs;  // one per clone, in job order
    NvmevCoreInfo info{};         // the device at the end
    int64_t device_ns = 0;        // device time the run took
    uint64_t commands = 0;        // I/O commands completed
};

// False and `err` on a bad configuration (the core's message), a job the
// device cannot take, or a stall. copy_data off: DMA of data buffers moves
// no bytes (SimHost::copy_data).
bool run_simulation(const NvmevConfig &cfg, const std::vector<JobOptions> &jobs, SimResult &out,
                    std::string &err, bool copy_data = true);

}  // namespace nvmev::sim
