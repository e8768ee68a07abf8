// A workload in fio's option names, from the command line or a job file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace nvmev::sim {

struct JobOptions {
    std::string name = "job";
    bool reads = true, writes = false;  // rw=: which directions
    bool random = false;
    uint64_t bs = 4096;
    uint32_t iodepth = 1;
    uint32_t numjobs = 1;
    uint64_t size = 0;        // bytes of the namespace the job covers; 0: to its end
    uint64_t offset = 0;      // where that range starts
    uint64_t io_size = 0;     // bytes to transfer per job; 0: size
    int64_t runtime_ns = 0;   // device time; 0: no limit
    bool time_based = false;  // run for runtime_ns even past io_size
    int64_t ramp_ns = 0;      // device time run before results count (and runtime starts)
    uint64_t rate_iops = 0;   // per job, reads and writes together; 0: no cap
    uint32_t rwmixread = 50;  // percent of reads in rw/randrw
    bool randrepeat = true;
    uint64_t randseed = 0x89;      // fio's default seed
    bool zbd = false;              // zonemode=zbd
    uint32_t max_open_zones = 1;   // zbd: zones a job writes at once
    bool stonewall = false;        // start when every earlier job is done
    bool group_reporting = false;  // one result per group, not per clone
    // Replay (replay.h): the job issues a trace's I/Os, not generated ones.
    std::string read_iolog;     // fio's iolog, version 2 or 3
    std::string read_blkparse;  // blkparse's text output
    char blkparse_action = 'Q';
    bool replay_no_stall = false;      // as fast as possible, in order
    uint32_t replay_time_scale = 100;  // percent of the trace's rate
    uint8_t replay_skip = 0;           // bit 1 << TraceRecord::Op: not replayed
    bool replays() const { return !read_iolog.empty() || !read_blkparse.empty(); }
    // The options as given, in order (the JSON's "job options").
    std::vector<std::pair<std::string, std::string>> given;
};

// Applies key=value to `job`. False and `err` on an unknown key or a bad
// value. A few fio options with no meaning here (ioengine, direct, ...)
// are accepted and listed in `ignored`.
bool apply_option(JobOptions &job, const std::string &key, const std::string &value,
                  std::string &err, std::vector<std::string> *ignored = nullptr);

// Jobs in fio's ini format: [global] sets every later job's defaults, each
// other [section] is a job of that name. '#' and ';' start comments.
bool parse_job_file(const std::string &text, std::vector<JobOptions> &jobs, std::string &err,
                    std::vector<std::string> *ignored = nullptr);

}  // namespace nvmev::sim
