// What one job clone issues next: offsets (sequential or seeded random),
// the read/write mix, the rate cap, the stop rules, and for zonemode=zbd
// the zones it writes (sequentially at their write pointers, resetting a
// full zone before it writes there again).
#pragma once

#include <cstdint>
#include <vector>

#include "io_source.h"

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

class Workload : public IoSource {
public:
    // `clone`: which of the job's numjobs copies (it seeds the RNG);
    // `capacity`: the namespace's bytes; `zones`: non-null for zbd.
    Workload(const JobOptions &job, unsigned clone, uint64_t capacity, ZoneTable *zones,
             int64_t start_ns);

    Io next(int64_t now_ns) override;
    void completed(const Io &io) override;
    void release_zones() override;
    bool done_issuing(int64_t now_ns) const override;
    // When the rate cap next allows an I/O (INT64_MAX: no cap).
    int64_t wake_ns() const override { return job_.rate_iops ? next_rate_ns_ : INT64_MAX; }

private:
    uint64_t rand();
    bool pick_read();
    uint64_t data_offset(bool read);
    Io zbd_write(int64_t now_ns);

    uint64_t rng_;
    uint64_t start_, end_;  // the job's byte range
    uint64_t issued_ = 0, reads_ = 0, issued_bytes_ = 0;
    uint64_t cursor_[2];  // sequential: next offset per direction (read, write)
    int64_t next_rate_ns_;
    ZoneTable *zones_;
    uint32_t zfirst_ = 0, zend_ = 0, zcursor_ = 0;
    std::vector<uint32_t> open_;  // zbd: zones this clone writes
};

}  // namespace nvmev::sim
