// ssd=zns: a zoned namespace: the zone state machine (what a command may
// do) joined to the zone timing model (when it completes). The controller
// checks a command, moves its data, then commits it here.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ftl.h"
#include "zns_timing.h"
#include "zone_state_machine.h"

namespace nvmev::ftl {

struct ZnsParams {
    ZoneConfig zones;
    ZnsTimingParams media;
    uint32_t lba_shift = 9;
    uint32_t extension_bytes = 0;        // zone descriptor extension per zone
    uint32_t rated_erase_cycles = 1000;  // SMART Percentage Used
};

struct ZnsCounters {
    uint64_t resets = 0;    // zones reset (by command or select all)
    uint64_t finishes = 0;  // zones finished
    uint64_t appends = 0;   // Zone Append commands completed successfully
};

class ZnsFtl : public Ftl {
public:
    // `records` is the metadata area's zone table (see ZoneStateMachine).
    ZnsFtl(const ZnsParams &p, ZoneRecord *records, bool fresh);

    ZoneStateMachine &zones() { return zsm_; }
    const ZoneStateMachine &zones() const { return zsm_; }
    const ZnsCounters &counters() const { return counters_; }

    // Read: timing only (check_read first). Write / WriteZeroes: commits a
    // checked write (check_write or check_append first) and times it.
    // Flush: pads and drains every buffer. Deallocate: a no-op (zones are
    // only freed by reset).
    MediaResult submit(const MediaRequest &req) override;
    // A Zone Append completed (the controller counts them).
    void note_append() { counters_.appends++; }

    // Zone Management Send: state change and its media time. `effects`
    // receives what changed (the controller clears reset zones' data).
    MediaResult send(ZoneAction action, uint64_t slba, bool select_all, bool zrwa, int64_t now_ns,
                     std::vector<ZoneEffect> &effects);
    MediaResult zrwa_flush(uint64_t elba, int64_t now_ns);
    // Fault injection; false if the target state is not allowed.
    bool inject(uint32_t zone, ZoneState target, int64_t now_ns, std::vector<ZoneEffect> &effects);

    std::vector<Param> params() const override;
    std::string check_retune(const std::vector<Param> &changes) const override;
    void retune(const std::vector<Param> &changes, int64_t now_ns) override;
    FtlStats stats(int64_t now_ns) const override;
    void reset_stats() override;
    std::string check_invariants() const override { return zsm_.check_invariants(); }
    void set_observer(FtlObserver *o) override { zsm_.set_observer(o); }

private:
    // Times the media work of state effects from now_ns; returns the end.
    int64_t apply(std::span<const ZoneEffect> effects, int64_t now_ns, bool durable);
    uint64_t zone_offset(uint32_t zone, uint64_t lba) const
    {
        return (lba - zsm_.zslba(zone)) << p_.lba_shift;
    }

    ZnsParams p_;
    ZoneStateMachine zsm_;
    mutable ZnsTiming media_;  // stats() reads buffer occupancy, which prunes history
    ZnsCounters counters_;
    uint64_t host_pages_written_ = 0;
    std::vector<ZoneEffect> scratch_;
};

}  // namespace nvmev::ftl
