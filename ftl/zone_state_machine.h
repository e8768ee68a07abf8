// ssd=zns: the zone state machine of the NVMe Zoned Namespace Command Set
// 1.1 (section 2.1): zone states and their transitions, write pointer
// checks, open and active resource limits with implicit close, zone random
// write areas (ZRWA) and fault injection. Pure semantics: no timing and no
// data. The per-zone records live in memory the caller owns (the backend's
// metadata area), so zone state survives a restart with the data.
//
// Status values are NVMe status fields as libnvme's NVME_SC_* constants lay
// them out: SC in bits 7:0, SCT in bits 10:8, DNR in bit 14.
#pragma once

#include <nvme/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nvmev::ftl {

class FtlObserver;

// Zone states, in the spec's encoding (Zone Descriptor ZS field, bits 7:4,
// shifted down): libnvme's enum nvme_zns_zs.
enum class ZoneState : uint8_t {
    Empty = NVME_ZNS_ZS_EMPTY,
    ImplicitlyOpen = NVME_ZNS_ZS_IMPL_OPEN,
    ExplicitlyOpen = NVME_ZNS_ZS_EXPL_OPEN,
    Closed = NVME_ZNS_ZS_CLOSED,
    ReadOnly = NVME_ZNS_ZS_READ_ONLY,
    Full = NVME_ZNS_ZS_FULL,
    Offline = NVME_ZNS_ZS_OFFLINE,
};

// One zone as persisted in the metadata area: 32 bytes, host byte order.
struct ZoneRecord {
    uint64_t wp;            // write pointer (LBA); zslba when empty
    uint64_t written_end;   // one past the highest LBA written since the last
                            // reset (ZRWA writes land beyond wp); zslba when none
    uint64_t open_seq;      // order in which zones became implicitly open
    uint32_t resets;        // times reset: the erase count of the zone's blocks
    uint8_t state;          // ZoneState
    uint8_t attrs;          // Zone Attributes: NVME_ZNS_ZA_* bits
    uint8_t erase_pending;  // 1: reset, its data maybe not zeroed yet (erased())
    uint8_t write_pending;  // 1: data may be landing beyond the write pointer
};
static_assert(sizeof(ZoneRecord) == 32, "the metadata layout depends on it");

struct ZoneConfig {
    uint64_t zone_lbas = 0;      // zone size in LBAs (zslba of zone i = i * zone_lbas)
    uint64_t zone_cap_lbas = 0;  // zone capacity in LBAs, 1..zone_lbas
    uint32_t zones = 0;
    uint32_t max_open = 0;        // open resources (0: no limit)
    uint32_t max_active = 0;      // active resources (0: no limit)
    uint32_t zrwa_lbas = 0;       // ZRWA size (0: no ZRWA support)
    uint32_t zrwa_fg_lbas = 0;    // ZRWA flush granularity; divides zrwa_lbas
    uint32_t zrwa_resources = 0;  // zones that may hold a ZRWA at once
};

// Zone Management Send actions (ZSA): libnvme's enum nvme_zns_send_action.
enum class ZoneAction : uint8_t {
    Close = NVME_ZNS_ZSA_CLOSE,
    Finish = NVME_ZNS_ZSA_FINISH,
    Open = NVME_ZNS_ZSA_OPEN,
    Reset = NVME_ZNS_ZSA_RESET,
    Offline = NVME_ZNS_ZSA_OFFLINE,
};

// What a state change means for the media, for the timing model. LBAs are
// absolute; ranges are [from, to).
struct ZoneEffect {
    enum class Kind : uint8_t {
        Commit,  // [from, to) joined the zone's sequential stream: the write
                 // pointer moved over it (a write, a ZRWA flush, or the ZRWA
                 // contents committed by finish)
        Finish,  // zone finished with its write pointer at `from` (before
                 // the finish); the media may need padding from there
        Reset,   // zone reset; [from, to) had been written since the last
                 // reset (from == to: nothing to erase)
    };
    Kind kind;
    uint32_t zone;
    uint64_t from;
    uint64_t to;
};

// A zone whose descriptor changed without a host command (fault injection):
// what the Changed Zone List log page reports.
class ZoneStateMachine {
public:
    // `records` holds cfg.zones records. fresh: format every zone empty.
    // Otherwise the records are a previous run's: counters are rebuilt
    // from them (open zones stay open, as they were persisted).
    ZoneStateMachine(const ZoneConfig &cfg, ZoneRecord *records, bool fresh);

    const ZoneConfig &config() const { return cfg_; }
    uint32_t zone_of(uint64_t lba) const { return static_cast<uint32_t>(lba / cfg_.zone_lbas); }
    uint64_t zslba(uint32_t zone) const { return uint64_t{zone} * cfg_.zone_lbas; }
    const ZoneRecord &zone(uint32_t zone) const { return rec_[zone]; }
    ZoneState state(uint32_t zone) const { return static_cast<ZoneState>(rec_[zone].state); }

    // ---- I/O. check_* never change state; commit_* cannot fail after a
    // successful check (the caller moves the data in between and commits
    // only if that worked).

    // Write of [slba, slba + nlb), nlb >= 1, inside the namespace.
    // Statuses: Zone Boundary Error (crosses the zone capacity), Zone Is
    // Full / Read Only / Offline, Zone Invalid Write (not at the write
    // pointer; with a ZRWA: below wp or past wp + 2 x ZRWA size), Too Many
    // Active Zones / Too Many Open Zones (after trying to implicitly close
    // the oldest implicitly open zone).
    uint16_t check_write(uint64_t slba, uint32_t nlb) const;
    // Performs a checked write: implicit open (and implicit close of
    // another zone), write pointer, Full at capacity, ZRWA implicit flush.
    // Appends the effects (Commit ranges) to `effects`.
    void commit_write(uint64_t slba, uint32_t nlb, std::vector<ZoneEffect> &effects);

    // Zone Append to the zone starting at zslba: `assigned` gets the LBA it
    // would write (the write pointer). Invalid Field when zslba is not a
    // zone start; Invalid Zone Operation Request when the zone has a ZRWA;
    // then as check_write(). The caller commits with commit_write(assigned, nlb).
    uint16_t check_append(uint64_t zslba, uint32_t nlb, uint64_t &assigned) const;

    // Read of [slba, slba + nlb): Zone Is Offline if any zone in it is
    // offline (reads may cross zone boundaries: OZCS.RAZB = 1).
    uint16_t check_read(uint64_t slba, uint32_t nlb) const;

    // ---- Zone Management Send.

    // One zone (slba must be its zslba, else Invalid Field) or, with
    // select_all, every zone the action applies to:
    //   Open: closed zones (all-or-nothing on resources); Close: open zones;
    //   Finish: open and closed zones; Reset: open, closed and full zones;
    //   Offline: read-only zones.
    // zrwa (Open only, ZRWAA): allocate a ZRWA: Invalid Zone Operation
    // Request without ZRWA support or unless the zone is empty; ZRWA
    // Resources Unavailable when none is free; Invalid Field with select_all.
    // Invalid transitions: Invalid Zone State Transition. Appends effects.
    uint16_t send(ZoneAction action, uint64_t slba, bool select_all, bool zrwa,
                  std::vector<ZoneEffect> &effects);

    // Flush Explicit ZRWA Range: commits [wp, elba]: Invalid Field unless the
    // zone has a ZRWA and (elba + 1 - wp) is a positive multiple of the flush
    // granularity; Zone Boundary Error when elba >= wp + ZRWA size.
    uint16_t zrwa_flush(uint64_t elba, std::vector<ZoneEffect> &effects);

    // Set Zone Descriptor Extension: an empty zone becomes closed with
    // ZDEV set (it then counts as active): Invalid Field when slba is not a
    // zone start; Invalid Zone State Transition unless empty; Too Many
    // Active Zones when no active resource is free.
    uint16_t set_extension(uint64_t slba);

    // The caller has zeroed the data of a zone reset emptied (a Reset
    // effect): clears its erase_pending mark. A record loaded with the mark
    // (QEMU was killed in between) stays marked until the caller zeroes
    // the zone and calls this: pending_erase() lists such zones.
    void erased(uint32_t zone);
    bool pending_erase(uint32_t zone) const { return rec_[zone].erase_pending != 0; }
    // The caller is about to move a write's data into `zone`, before
    // commit_write(), which clears the mark: a record loaded with it may
    // have data past max(wp, written_end) that no write committed, which
    // the caller zeroes (a zone reads as zeros beyond its write pointer),
    // then calls unmark_write().
    void mark_write(uint32_t zone);
    bool pending_write(uint32_t zone) const { return rec_[zone].write_pending != 0; }
    void unmark_write(uint32_t zone);

    // ---- Fault injection (QMP): the zone becomes read-only or offline
    // whatever its state (releasing its resources and ZRWA), or, from
    // read-only or offline, is brought back: empty after a reset. Returns
    // false for any other target state. The zone joins the changed list.
    bool inject(uint32_t zone, ZoneState target, std::vector<ZoneEffect> &effects);

    // Zones changed by inject() since the last take_changed() (at most 511
    // are listed; more set `overflow`).
    std::vector<uint32_t> take_changed(bool &overflow);
    bool has_changed() const { return !changed_.empty() || changed_overflow_; }

    // ---- Counts.
    uint32_t open_zones() const { return open_; }
    uint32_t active_zones() const { return active_; }
    uint32_t zrwa_in_use() const { return zrwa_used_; }
    uint32_t count(ZoneState s) const;

    // Reports every state transition (nullptr: none).
    void set_observer(FtlObserver *o) { observer_ = o; }

    // "" when the counters match the records and every record is sane.
    std::string check_invariants() const;

private:
    bool is_open(uint32_t zone) const;
    bool is_active(uint32_t zone) const;
    void set_state(uint32_t zone, ZoneState s);
    // Resources to bring `zone` to an open state (from empty or closed):
    // success, or the status; sets close_victim when an implicitly open
    // zone must be closed first (UINT32_MAX when none).
    uint16_t open_check(uint32_t zone, bool zrwa, uint32_t &close_victim) const;
    uint32_t oldest_implicitly_open() const;
    void do_open(uint32_t zone, bool implicit, bool zrwa);
    void do_close(uint32_t zone);
    void do_finish(uint32_t zone, std::vector<ZoneEffect> &effects);
    void do_reset(uint32_t zone, std::vector<ZoneEffect> &effects);
    void advance(uint32_t zone, uint64_t new_wp, std::vector<ZoneEffect> &effects);
    void release_zrwa(uint32_t zone);
    void mark_changed(uint32_t zone);
    // Closes victim (UINT32_MAX: none), as open_check() asked, then opens zone.
    void open_with_victim(uint32_t zone, uint32_t victim, bool implicit, bool zrwa);

    // Zone Management Send, one step per action: send_all() for Select
    // All (open_all() is all or nothing), send_one() for one zone, which
    // runs the action's transition rules on it.
    uint16_t send_all(ZoneAction action, std::vector<ZoneEffect> &effects);
    uint16_t open_all();
    uint16_t send_one(ZoneAction action, uint32_t zone, bool zrwa,
                      std::vector<ZoneEffect> &effects);
    uint16_t open_zone(uint32_t zone, bool zrwa);
    uint16_t close_zone(uint32_t zone);
    uint16_t finish_zone(uint32_t zone, std::vector<ZoneEffect> &effects);
    uint16_t reset_zone(uint32_t zone, std::vector<ZoneEffect> &effects);
    uint16_t offline_zone(uint32_t zone);

    ZoneConfig cfg_;
    ZoneRecord *rec_;
    uint32_t open_ = 0;
    uint32_t active_ = 0;
    uint32_t zrwa_used_ = 0;
    uint64_t next_open_seq_ = 1;
    std::vector<uint32_t> changed_;
    bool changed_overflow_ = false;
    FtlObserver *observer_ = nullptr;
};

}  // namespace nvmev::ftl
