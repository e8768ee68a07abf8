// What one job clone issues next: offsets (sequential or seeded random),
// the read/write mix, the rate cap, the stop rules, and for zonemode=zbd
// the zones it writes (sequentially at their write pointers, resetting a
// full zone before it writes there again).
#pragma once

#include <cstdint>
#include <vector>

#include "job_options.h"

namespace nvmev::sim {

// The zones of a zoned namespace, shared by every job: the host's view
// of each zone's write pointer and who is writing it.
struct ZoneTable {
    uint64_t zone_bytes = 0, cap_bytes = 0;
    struct Zone {
        uint64_t wp = 0;        // bytes written (issued) from the zone start
        uint32_t inflight = 0;  // writes and resets not yet completed
        bool owned = false;     // a job has it open
        bool resetting = false;
    };
    std::vector<Zone> zones;
};

struct Io {
    enum Kind : uint8_t { None, Read, Write, ZoneReset } kind = None;
    uint64_t offset = 0, bytes = 0;  // in the namespace
    uint32_t zone = 0;               // zbd: the zone written or reset
};

class Workload {
public:
    // `clone`: which of the job's numjobs copies (it seeds the RNG);
    // `capacity`: the namespace's bytes; `zones`: non-null for zbd.
    Workload(const JobOptions &job, unsigned clone, uint64_t capacity, ZoneTable *zones,
             int64_t start_ns);

    // The next command to issue at now_ns, or kind None: nothing now
    // (rate cap, zones busy) or nothing more (done_issuing()).
    Io next(int64_t now_ns);
    void completed(const Io &io);
    // zbd: gives up the zones this clone holds open (it is done), so that
    // other clones may write them.
    void release_zones();
    bool done_issuing(int64_t now_ns) const;
    // When ramp_time ends; completions after it count.
    int64_t measure_from_ns() const { return start_ns_ + job_.ramp_ns; }
    bool counts(int64_t now_ns) const { return job_.ramp_ns == 0 || now_ns > measure_from_ns(); }
    // When the rate cap next allows an I/O (INT64_MAX: no cap).
    int64_t wake_ns() const { return job_.rate_iops ? next_rate_ns_ : INT64_MAX; }

private:
    uint64_t rand();
    bool pick_read();
    uint64_t data_offset(bool read);
    Io zbd_write(int64_t now_ns);

    const JobOptions &job_;
    uint64_t rng_;
    uint64_t start_, end_;  // the job's byte range
    int64_t start_ns_;
    uint64_t issued_ = 0, reads_ = 0, issued_bytes_ = 0;
    uint64_t cursor_[2];  // sequential: next offset per direction (read, write)
    int64_t next_rate_ns_;
    ZoneTable *zones_;
    uint32_t zfirst_ = 0, zend_ = 0, zcursor_ = 0;
    std::vector<uint32_t> open_;  // zbd: zones this clone writes
};

}  // namespace nvmev::sim
