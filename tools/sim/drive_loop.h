// The drive loop: job clones submit, the core runs, completions are
// reaped, and when nothing can happen the virtual clock jumps to the next
// armed deadline or rate-cap slot.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine.h"
#include "io_source.h"
#include "sim_host.h"

namespace nvmev::sim {

// One job clone: its queue pair, its workload and its commands in flight.
struct Clone {
    JobResult *result;
    std::unique_ptr<QueuePair> qp;
    std::unique_ptr<IoSource> work;
    uint32_t depth;
    uint64_t buf_base;  // depth buffers of buf_stride bytes
    uint64_t buf_stride;
    uint64_t prp_base;  // depth PRP list pages (bs > 8 KiB)
    uint64_t dsm_base;  // depth Dataset Management ranges (16 bytes), for trims
    struct Slot {
        Io io;
        int64_t submit_ns;
    };
    std::vector<Slot> slots;
    std::vector<uint16_t> free_cids;
    int64_t first_ns = -1, last_ns = -1;
    bool released = false;  // done, its zones given up
};

// Drives the clones of one phase until all are done and have nothing in
// flight. False and `err` on a stall.
bool run_phase(SimHost &host, NvmevCore *core, std::span<Clone> clones, uint32_t lba_shift,
               SimResult &out, std::string &err);

}  // namespace nvmev::sim
