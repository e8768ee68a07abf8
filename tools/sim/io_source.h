// What a job clone issues: the generated workload (workload.h) or a
// replayed trace (replay.h). The drive loop asks it for the next command
// at the current device time and tells it about completions.
#pragma once

#include <cstdint>

#include "job_options.h"

namespace nvmev::sim {

struct JobResult;

struct Io {
    enum Kind : uint8_t { None, Read, Write, ZoneReset, Trim, Flush } kind = None;
    uint64_t offset = 0, bytes = 0;  // in the namespace
    uint32_t zone = 0;               // zbd: the zone written or reset
};

class IoSource {
public:
    IoSource(const JobOptions &job, int64_t start_ns) : job_(job), start_ns_(start_ns) {}
    virtual ~IoSource() = default;

    // The next command to issue at now_ns, or kind None: nothing now
    // (rate cap, a trace's next timestamp, zones busy) or nothing more
    // (done_issuing()).
    virtual Io next(int64_t now_ns) = 0;
    virtual void completed(const Io &) {}
    // zbd: gives up the zones this clone holds open (it is done), so that
    // other clones may write them.
    virtual void release_zones() {}
    virtual bool done_issuing(int64_t now_ns) const = 0;
    // When the source next has something to issue, if a slot is free
    // (INT64_MAX: only a completion can change that).
    virtual int64_t wake_ns() const = 0;
    // Adds what only the source knows to the clone's result (a replay's
    // lateness).
    virtual void finish(JobResult &) const {}

    // When ramp_time ends; completions after it count.
    int64_t measure_from_ns() const { return start_ns_ + job_.ramp_ns; }
    bool counts(int64_t now_ns) const { return job_.ramp_ns == 0 || now_ns > measure_from_ns(); }

protected:
    // runtime= has passed (it starts after ramp_time).
    bool out_of_time(int64_t now_ns) const
    {
        return job_.runtime_ns && now_ns >= start_ns_ + job_.ramp_ns + job_.runtime_ns;
    }

    const JobOptions &job_;
    int64_t start_ns_;
};

}  // namespace nvmev::sim
