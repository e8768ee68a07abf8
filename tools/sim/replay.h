// A job that replays a trace (read_iolog= or read_blkparse=): each I/O is
// issued at its trace time in device time, in the trace's order, with at
// most iodepth in flight; one that finds the queue full is issued when a
// slot frees and counts as late by the difference.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "io_source.h"
#include "trace.h"

namespace nvmev::sim {

// Reads and parses the job's trace; `xfer` is its largest read or write
// (at least a page, at most 2 MiB), for the data buffers. False and `err`
// naming the file (and line) otherwise.
bool load_replay(const JobOptions &job, std::shared_ptr<const Trace> &trace, uint64_t &xfer,
                 std::string &err);
// Checks every I/O of the job's trace against the namespace: inside it, in
// whole logical blocks, within the largest transfer (mdts, 2 MiB).
bool check_replay(const JobOptions &job, const Trace &trace, uint64_t capacity, uint32_t lba_shift,
                  uint32_t mdts, std::string &err);

class Replay : public IoSource {
public:
    Replay(const JobOptions &job, std::shared_ptr<const Trace> trace, int64_t start_ns);

    Io next(int64_t now_ns) override;
    bool done_issuing(int64_t now_ns) const override;
    int64_t wake_ns() const override;
    void finish(JobResult &r) const override;

private:
    // When record `r` is due: the start plus its trace time scaled by
    // replay_time_scale, or the start with replay_no_stall.
    int64_t due_ns(const TraceRecord &r) const;
    void skip_left_out();  // moves pos_ past records replay_skip leaves out

    std::shared_ptr<const Trace> trace_;
    size_t pos_ = 0;
    uint64_t ios_ = 0, late_ios_ = 0;
    int64_t late_max_ns_ = 0, late_sum_ns_ = 0;
};

}  // namespace nvmev::sim
