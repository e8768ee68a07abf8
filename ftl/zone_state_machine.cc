// ssd=zns: the zone state machine of the NVMe ZNS Command Set 1.1: zone
// states, write pointer checks, open/active resources with implicit close,
// ZRWA windows and fault injection.
#include "zone_state_machine.h"

#include <nvme/types.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>

#include "ftl.h"

namespace nvmev::ftl {

namespace {

constexpr uint16_t kSuccess = 0;

constexpr uint16_t generic_status(uint16_t sc)
{
    return static_cast<uint16_t>((NVME_SCT_GENERIC << NVME_SCT_SHIFT) | sc | NVME_SC_DNR);
}

constexpr uint16_t zns_status(uint16_t sc)
{
    return static_cast<uint16_t>((NVME_SCT_CMD_SPECIFIC << NVME_SCT_SHIFT) | sc | NVME_SC_DNR);
}

constexpr uint16_t kInvalidField = generic_status(NVME_SC_INVALID_FIELD);
constexpr uint16_t kInvalidOpRequest = zns_status(NVME_SC_ZNS_INVALID_OP_REQUEST);
constexpr uint16_t kZrwaUnavailable = zns_status(NVME_SC_ZNS_ZRWA_RESOURCES_UNAVAILABLE);
constexpr uint16_t kBoundaryError = zns_status(NVME_SC_ZNS_BOUNDARY_ERROR);
constexpr uint16_t kZoneFull = zns_status(NVME_SC_ZNS_FULL);
constexpr uint16_t kZoneReadOnly = zns_status(NVME_SC_ZNS_READ_ONLY);
constexpr uint16_t kZoneOffline = zns_status(NVME_SC_ZNS_OFFLINE);
constexpr uint16_t kInvalidWrite = zns_status(NVME_SC_ZNS_INVALID_WRITE);
constexpr uint16_t kTooManyActive = zns_status(NVME_SC_ZNS_TOO_MANY_ACTIVE);
constexpr uint16_t kTooManyOpen = zns_status(NVME_SC_ZNS_TOO_MANY_OPENS);
constexpr uint16_t kInvalidTransition = zns_status(NVME_SC_ZNS_INVAL_TRANSITION);

static_assert(kInvalidField == 0x4002);
static_assert(kInvalidOpRequest == 0x41b6);
static_assert(kInvalidTransition == 0x41bf);

constexpr uint8_t kZrwav = NVME_ZNS_ZA_ZRWAV;
constexpr uint8_t kZdev = NVME_ZNS_ZA_ZDEV;

constexpr uint32_t kNone = UINT32_MAX;

// The Changed Zone List log page holds at most 511 identifiers.
constexpr size_t kMaxChanged = 511;

constexpr bool known_state(uint8_t s)
{
    switch (static_cast<ZoneState>(s)) {
        case ZoneState::Empty:
        case ZoneState::ImplicitlyOpen:
        case ZoneState::ExplicitlyOpen:
        case ZoneState::Closed:
        case ZoneState::ReadOnly:
        case ZoneState::Full:
        case ZoneState::Offline: return true;
    }
    return false;
}

constexpr bool open_state(ZoneState s)
{
    return s == ZoneState::ImplicitlyOpen || s == ZoneState::ExplicitlyOpen;
}

constexpr bool active_state(ZoneState s)
{
    return open_state(s) || s == ZoneState::Closed;
}

constexpr bool known_action(ZoneAction a)
{
    switch (a) {
        case ZoneAction::Close:
        case ZoneAction::Finish:
        case ZoneAction::Open:
        case ZoneAction::Reset:
        case ZoneAction::Offline: return true;
    }
    return false;
}

// The zones an action with Select All applies to: Open closed zones, Close
// open ones, Finish active ones, Reset active and full ones, Offline
// read-only ones.
constexpr bool select_all_applies(ZoneAction a, ZoneState s)
{
    switch (a) {
        case ZoneAction::Open: return s == ZoneState::Closed;
        case ZoneAction::Close: return open_state(s);
        case ZoneAction::Finish: return active_state(s);
        case ZoneAction::Reset: return active_state(s) || s == ZoneState::Full;
        case ZoneAction::Offline: return s == ZoneState::ReadOnly;
    }
    return false;
}

// A limit of 0 means no limit.
constexpr bool exceeds(uint64_t count, uint32_t limit)
{
    return limit != 0 && count > limit;
}

void check_config(const ZoneConfig &cfg)
{
    if (cfg.zone_lbas == 0 || cfg.zone_cap_lbas == 0 || cfg.zone_cap_lbas > cfg.zone_lbas) {
        throw std::invalid_argument("zone state machine: zone capacity must be 1..zone size");
    }
    if (cfg.zrwa_lbas != 0 && (cfg.zrwa_fg_lbas == 0 || cfg.zrwa_lbas % cfg.zrwa_fg_lbas != 0)) {
        throw std::invalid_argument(
            "zone state machine: ZRWA flush granularity must divide the ZRWA size");
    }
}

ZoneRecord empty_record(uint64_t start)
{
    ZoneRecord r{};
    r.wp = start;
    r.written_end = start;
    r.state = static_cast<uint8_t>(ZoneState::Empty);
    return r;
}

// Whether a persisted record of the zone [start, cap_end) is consistent.
bool record_trusted(const ZoneRecord &r, uint64_t start, uint64_t cap_end, bool zrwa_supported)
{
    if (!known_state(r.state) || r.wp < start || r.wp > cap_end || r.written_end < start ||
        r.written_end > cap_end) {
        return false;
    }
    const auto s = static_cast<ZoneState>(r.state);
    const bool zrwa = r.attrs & kZrwav;
    if (s == ZoneState::Empty && (r.wp != start || r.written_end != start)) {
        return false;
    }
    if (s == ZoneState::Full && r.wp != cap_end) {
        return false;
    }
    if (zrwa && (!active_state(s) || !zrwa_supported)) {
        return false;
    }
    // Without a ZRWA, writes land at the write pointer.
    return !active_state(s) || (zrwa ? r.written_end >= r.wp : r.written_end == r.wp);
}

// The records live in the backend, so a SIGKILL (or an abort) of QEMU can
// stop a transition between two of its stores. Transitions store in an
// order whose intermediate records are recognised here and completed, so a
// killed transition is either undone or done, and never takes a zone
// offline: a write stores written_end, then wp, then Full at the capacity;
// a finish stores wp at the capacity, then Full; a state that holds no
// ZRWA is stored before the ZRWA is released; a reset marks the zone
// erase_pending, then stores Empty, then the rest, and the caller zeroes
// the data before clearing the mark (an empty zone keeps the mark for the
// caller to finish the erase: pending_erase()).
void complete_interrupted(ZoneRecord &r, uint64_t start, uint64_t cap_end)
{
    if (!known_state(r.state)) {
        return;
    }
    if (r.erase_pending && r.state != static_cast<uint8_t>(ZoneState::Empty)) {
        r.erase_pending = 0;  // killed before the reset changed anything
    }
    if (r.wp < start || r.wp > cap_end || r.written_end < start || r.written_end > cap_end) {
        return;  // no transition stores such a record
    }
    const auto s = static_cast<ZoneState>(r.state);
    if (s == ZoneState::Empty) {
        const uint32_t resets = r.resets;
        const uint8_t erase = r.erase_pending;
        const uint8_t write = r.write_pending;
        r = empty_record(start);
        r.resets = resets;
        r.erase_pending = erase;
        r.write_pending = write;
        return;
    }
    if (!active_state(s)) {
        r.attrs &= static_cast<uint8_t>(~kZrwav);
        return;
    }
    // The data up to written_end was in place before written_end was set.
    if (!(r.attrs & kZrwav) && r.written_end > r.wp) {
        r.wp = r.written_end;
    }
    if (r.wp == cap_end) {
        r.state = static_cast<uint8_t>(ZoneState::Full);
        r.attrs &= static_cast<uint8_t>(~kZrwav);
    }
}

// Orders two stores to the backend for a SIGKILL: a compiler barrier (the
// process dies between instructions; its stores are in the shared mapping).
inline void store_order()
{
    std::atomic_signal_fence(std::memory_order_seq_cst);
}

// A record that cannot be trusted takes the zone offline, clamped so that
// nothing downstream sees wild LBAs.
void take_offline(ZoneRecord &r, uint64_t start, uint64_t cap_end)
{
    r.state = static_cast<uint8_t>(ZoneState::Offline);
    r.wp = std::clamp(r.wp, start, cap_end);
    r.written_end = std::clamp(r.written_end, start, cap_end);
    r.attrs = 0;
    r.open_seq = 0;
}

}  // namespace

ZoneStateMachine::ZoneStateMachine(const ZoneConfig &cfg, ZoneRecord *records, bool fresh)
    : cfg_(cfg), rec_(records)
{
    check_config(cfg_);
    uint64_t max_seq = 0;
    for (uint32_t z = 0; z < cfg_.zones; z++) {
        ZoneRecord &r = rec_[z];
        const uint64_t start = zslba(z);
        const uint64_t cap_end = start + cfg_.zone_cap_lbas;
        if (fresh) {
            r = empty_record(start);
            continue;
        }
        complete_interrupted(r, start, cap_end);
        if (!record_trusted(r, start, cap_end, cfg_.zrwa_lbas != 0)) {
            take_offline(r, start, cap_end);
        }
        const auto s = static_cast<ZoneState>(r.state);
        if (open_state(s)) {
            open_++;
        }
        if (active_state(s)) {
            active_++;
        }
        if (r.attrs & kZrwav) {
            zrwa_used_++;
        }
        max_seq = std::max(max_seq, r.open_seq);
    }
    next_open_seq_ = max_seq + 1;
}

bool ZoneStateMachine::is_open(uint32_t zone) const
{
    return open_state(state(zone));
}

bool ZoneStateMachine::is_active(uint32_t zone) const
{
    return active_state(state(zone));
}

void ZoneStateMachine::set_state(uint32_t zone, ZoneState s)
{
    const bool was_open = is_open(zone);
    const bool was_active = is_active(zone);
    if (observer_ && rec_[zone].state != static_cast<uint8_t>(s)) {
        observer_->zone_state(zone, rec_[zone].state, static_cast<uint8_t>(s));
    }
    rec_[zone].state = static_cast<uint8_t>(s);
    store_order();  // the state first: complete_interrupted() reads it
    if (!active_state(s)) {
        release_zrwa(zone);
    }
    open_ = open_ - (was_open ? 1 : 0) + (open_state(s) ? 1 : 0);
    active_ = active_ - (was_active ? 1 : 0) + (active_state(s) ? 1 : 0);
}

void ZoneStateMachine::release_zrwa(uint32_t zone)
{
    if (rec_[zone].attrs & kZrwav) {
        rec_[zone].attrs &= static_cast<uint8_t>(~kZrwav);
        zrwa_used_--;
    }
}

uint32_t ZoneStateMachine::oldest_implicitly_open() const
{
    uint32_t best = kNone;
    for (uint32_t z = 0; z < cfg_.zones; z++) {
        if (state(z) == ZoneState::ImplicitlyOpen &&
            (best == kNone || rec_[z].open_seq < rec_[best].open_seq)) {
            best = z;
        }
    }
    return best;
}

uint16_t ZoneStateMachine::open_check(uint32_t zone, bool zrwa, uint32_t &close_victim) const
{
    close_victim = kNone;
    if (zrwa && cfg_.zrwa_resources != 0 && zrwa_used_ >= cfg_.zrwa_resources) {
        return kZrwaUnavailable;
    }
    const bool need_active = state(zone) == ZoneState::Empty;
    uint64_t open_after = open_;
    uint64_t active_after = active_;
    if (cfg_.max_open != 0 && open_ >= cfg_.max_open) {
        const uint32_t v = oldest_implicitly_open();
        if (v != kNone) {
            close_victim = v;
            open_after--;
            const ZoneRecord &r = rec_[v];
            if (r.wp == zslba(v) && !(r.attrs & (kZdev | kZrwav))) {
                active_after--;  // the victim goes back to empty
            }
        }
    }
    if (need_active && exceeds(active_after + 1, cfg_.max_active)) {
        close_victim = kNone;
        return kTooManyActive;
    }
    if (exceeds(open_after + 1, cfg_.max_open)) {
        close_victim = kNone;
        return kTooManyOpen;
    }
    return kSuccess;
}

void ZoneStateMachine::do_open(uint32_t zone, bool implicit, bool zrwa)
{
    set_state(zone, implicit ? ZoneState::ImplicitlyOpen : ZoneState::ExplicitlyOpen);
    if (implicit) {
        rec_[zone].open_seq = next_open_seq_++;
    }
    if (zrwa && !(rec_[zone].attrs & kZrwav)) {
        rec_[zone].attrs |= kZrwav;
        zrwa_used_++;
    }
}

void ZoneStateMachine::do_close(uint32_t zone)
{
    const ZoneRecord &r = rec_[zone];
    if (r.wp == zslba(zone) && !(r.attrs & (kZdev | kZrwav))) {
        set_state(zone, ZoneState::Empty);
    } else {
        set_state(zone, ZoneState::Closed);
    }
}

void ZoneStateMachine::advance(uint32_t zone, uint64_t new_wp, std::vector<ZoneEffect> &effects)
{
    ZoneRecord &r = rec_[zone];
    if (new_wp <= r.wp) {
        return;
    }
    effects.push_back({ZoneEffect::Kind::Commit, zone, r.wp, new_wp});
    r.written_end = std::max(r.written_end, new_wp);
    store_order();  // written_end, then wp (complete_interrupted())
    r.wp = new_wp;
}

void ZoneStateMachine::do_finish(uint32_t zone, std::vector<ZoneEffect> &effects)
{
    ZoneRecord &r = rec_[zone];
    if (r.attrs & kZrwav) {
        advance(zone, std::max(r.wp, r.written_end), effects);
    }
    const uint64_t cap_end = zslba(zone) + cfg_.zone_cap_lbas;
    effects.push_back({ZoneEffect::Kind::Finish, zone, r.wp, cap_end});
    r.wp = cap_end;
    store_order();  // wp, then Full (complete_interrupted())
    set_state(zone, ZoneState::Full);
}

void ZoneStateMachine::do_reset(uint32_t zone, std::vector<ZoneEffect> &effects)
{
    ZoneRecord &r = rec_[zone];
    const uint64_t start = zslba(zone);
    effects.push_back({ZoneEffect::Kind::Reset, zone, start, r.written_end});
    r.erase_pending = 1;  // first (complete_interrupted()), cleared by erased()
    store_order();
    set_state(zone, ZoneState::Empty);
    store_order();
    r.wp = start;
    r.written_end = start;
    r.open_seq = 0;
    r.attrs = 0;
    r.resets++;
}

void ZoneStateMachine::erased(uint32_t zone)
{
    store_order();  // after the caller's zeroing
    rec_[zone].erase_pending = 0;
}

void ZoneStateMachine::mark_write(uint32_t zone)
{
    rec_[zone].write_pending = 1;
    store_order();  // before the caller's copy
}

void ZoneStateMachine::unmark_write(uint32_t zone)
{
    store_order();  // after the caller's zeroing
    rec_[zone].write_pending = 0;
}

void ZoneStateMachine::mark_changed(uint32_t zone)
{
    if (std::find(changed_.begin(), changed_.end(), zone) != changed_.end()) {
        return;
    }
    if (changed_.size() >= kMaxChanged) {
        changed_overflow_ = true;
        return;
    }
    changed_.push_back(zone);
}

// ---- I/O.

uint16_t ZoneStateMachine::check_write(uint64_t slba, uint32_t nlb) const
{
    if (nlb == 0 || cfg_.zones == 0) {
        return kInvalidField;
    }
    const uint32_t z = zone_of(slba);
    if (z >= cfg_.zones) {
        return kInvalidField;
    }
    const ZoneRecord &r = rec_[z];
    switch (state(z)) {
        case ZoneState::Full: return kZoneFull;
        case ZoneState::ReadOnly: return kZoneReadOnly;
        case ZoneState::Offline: return kZoneOffline;
        default: break;
    }
    const uint64_t end = slba + nlb;
    if (r.attrs & kZrwav) {
        if (slba < r.wp || end > r.wp + 2 * uint64_t{cfg_.zrwa_lbas}) {
            return kInvalidWrite;
        }
    } else if (slba != r.wp) {
        return kInvalidWrite;
    }
    if (end > zslba(z) + cfg_.zone_cap_lbas) {
        return kBoundaryError;
    }
    const ZoneState s = state(z);
    if (s == ZoneState::Empty || s == ZoneState::Closed) {
        uint32_t victim;
        return open_check(z, false, victim);
    }
    return kSuccess;
}

void ZoneStateMachine::commit_write(uint64_t slba, uint32_t nlb, std::vector<ZoneEffect> &effects)
{
    const uint32_t z = zone_of(slba);
    ZoneRecord &r = rec_[z];
    const ZoneState s = state(z);
    if (s == ZoneState::Empty || s == ZoneState::Closed) {
        uint32_t victim;
        open_check(z, false, victim);
        open_with_victim(z, victim, true, false);
    }
    const uint64_t end = slba + nlb;
    r.written_end = std::max(r.written_end, end);
    store_order();  // written_end, then wp (complete_interrupted())
    if (r.attrs & kZrwav) {
        const uint64_t zrwa = cfg_.zrwa_lbas;
        if (end > r.wp + zrwa) {
            const uint64_t fg = cfg_.zrwa_fg_lbas;
            const uint64_t granules = (end - r.wp - zrwa + fg - 1) / fg;
            advance(z, r.wp + granules * fg, effects);
        }
    } else {
        advance(z, end, effects);
    }
    if (r.wp >= zslba(z) + cfg_.zone_cap_lbas) {
        store_order();  // wp, then Full (complete_interrupted())
        set_state(z, ZoneState::Full);
    }
    store_order();  // the write is committed: its data is no longer beyond wp
    r.write_pending = 0;
}

uint16_t ZoneStateMachine::check_append(uint64_t zslba_in, uint32_t nlb, uint64_t &assigned) const
{
    if (cfg_.zones == 0 || zslba_in % cfg_.zone_lbas != 0 || zone_of(zslba_in) >= cfg_.zones) {
        return kInvalidField;
    }
    const uint32_t z = zone_of(zslba_in);
    if (rec_[z].attrs & kZrwav) {
        return kInvalidOpRequest;
    }
    assigned = rec_[z].wp;
    // The state checks of check_write(), made here: a full zone's write
    // pointer is the next zone's zslba when the capacity is the zone size.
    switch (state(z)) {
        case ZoneState::Full: return kZoneFull;
        case ZoneState::ReadOnly: return kZoneReadOnly;
        case ZoneState::Offline: return kZoneOffline;
        default: break;
    }
    return check_write(assigned, nlb);
}

uint16_t ZoneStateMachine::check_read(uint64_t slba, uint32_t nlb) const
{
    if (cfg_.zones == 0) {
        return kSuccess;
    }
    const uint64_t last_lba = slba + (nlb == 0 ? 0 : nlb - 1);
    const uint64_t first = zone_of(slba);
    const uint64_t last = std::min<uint64_t>(last_lba / cfg_.zone_lbas, cfg_.zones - 1);
    for (uint64_t z = first; z <= last; z++) {
        if (state(static_cast<uint32_t>(z)) == ZoneState::Offline) {
            return kZoneOffline;
        }
    }
    return kSuccess;
}

// ---- Zone Management Send.

uint16_t ZoneStateMachine::send(ZoneAction action, uint64_t slba, bool select_all, bool zrwa,
                                std::vector<ZoneEffect> &effects)
{
    // ZRWAA is defined for Open only: other actions ignore it.
    if (action != ZoneAction::Open) {
        zrwa = false;
    }
    if (select_all) {
        return zrwa ? kInvalidField : send_all(action, effects);
    }
    if (cfg_.zones == 0 || slba % cfg_.zone_lbas != 0 || zone_of(slba) >= cfg_.zones) {
        return kInvalidField;
    }
    return send_one(action, zone_of(slba), zrwa, effects);
}

uint16_t ZoneStateMachine::send_one(ZoneAction action, uint32_t zone, bool zrwa,
                                    std::vector<ZoneEffect> &effects)
{
    switch (action) {
        case ZoneAction::Open: return open_zone(zone, zrwa);
        case ZoneAction::Close: return close_zone(zone);
        case ZoneAction::Finish: return finish_zone(zone, effects);
        case ZoneAction::Reset: return reset_zone(zone, effects);
        case ZoneAction::Offline: return offline_zone(zone);
    }
    return kInvalidField;
}

uint16_t ZoneStateMachine::send_all(ZoneAction action, std::vector<ZoneEffect> &effects)
{
    if (action == ZoneAction::Open) {
        return open_all();  // all or nothing, unlike the others
    }
    if (!known_action(action)) {
        return kInvalidField;
    }
    // Each zone Select All applies to takes the single-zone transition.
    for (uint32_t z = 0; z < cfg_.zones; z++) {
        if (select_all_applies(action, state(z))) {
            send_one(action, z, false, effects);
        }
    }
    return kSuccess;
}

uint16_t ZoneStateMachine::open_all()
{
    // All or nothing: replay the per-zone resource rules on counts first.
    std::vector<uint32_t> closed;
    uint64_t implicit = 0;
    for (uint32_t z = 0; z < cfg_.zones; z++) {
        if (select_all_applies(ZoneAction::Open, state(z))) {
            closed.push_back(z);
        } else if (state(z) == ZoneState::ImplicitlyOpen) {
            implicit++;
        }
    }
    uint64_t open = open_;
    for (size_t i = 0; i < closed.size(); i++) {
        if (cfg_.max_open != 0 && open >= cfg_.max_open && implicit > 0) {
            implicit--;
            open--;
        }
        if (exceeds(open + 1, cfg_.max_open)) {
            return kTooManyOpen;
        }
        open++;
    }
    for (uint32_t z : closed) {
        uint32_t victim;
        open_check(z, false, victim);
        open_with_victim(z, victim, false, false);
    }
    return kSuccess;
}

void ZoneStateMachine::open_with_victim(uint32_t zone, uint32_t victim, bool implicit, bool zrwa)
{
    if (victim != kNone) {
        do_close(victim);
    }
    do_open(zone, implicit, zrwa);
}

uint16_t ZoneStateMachine::open_zone(uint32_t zone, bool zrwa)
{
    const ZoneState s = state(zone);
    if (zrwa && (cfg_.zrwa_lbas == 0 || s != ZoneState::Empty)) {
        return kInvalidOpRequest;
    }
    switch (s) {
        case ZoneState::Empty:
        case ZoneState::Closed: {
            uint32_t victim;
            const uint16_t st = open_check(zone, zrwa, victim);
            if (st == kSuccess) {
                open_with_victim(zone, victim, false, zrwa);
            }
            return st;
        }
        case ZoneState::ImplicitlyOpen: set_state(zone, ZoneState::ExplicitlyOpen); return kSuccess;
        case ZoneState::ExplicitlyOpen: return kSuccess;
        default: return kInvalidTransition;
    }
}

uint16_t ZoneStateMachine::close_zone(uint32_t zone)
{
    switch (state(zone)) {
        case ZoneState::ImplicitlyOpen:
        case ZoneState::ExplicitlyOpen: do_close(zone); return kSuccess;
        case ZoneState::Closed: return kSuccess;
        default: return kInvalidTransition;
    }
}

uint16_t ZoneStateMachine::finish_zone(uint32_t zone, std::vector<ZoneEffect> &effects)
{
    switch (state(zone)) {
        case ZoneState::Empty:
            // Empty -> Full passes through an active state.
            if (exceeds(uint64_t{active_} + 1, cfg_.max_active)) {
                return kTooManyActive;
            }
            do_finish(zone, effects);
            return kSuccess;
        case ZoneState::ImplicitlyOpen:
        case ZoneState::ExplicitlyOpen:
        case ZoneState::Closed: do_finish(zone, effects); return kSuccess;
        case ZoneState::Full: return kSuccess;
        default: return kInvalidTransition;
    }
}

uint16_t ZoneStateMachine::reset_zone(uint32_t zone, std::vector<ZoneEffect> &effects)
{
    switch (state(zone)) {
        case ZoneState::Empty: return kSuccess;
        case ZoneState::ImplicitlyOpen:
        case ZoneState::ExplicitlyOpen:
        case ZoneState::Closed:
        case ZoneState::Full: do_reset(zone, effects); return kSuccess;
        default: return kInvalidTransition;
    }
}

uint16_t ZoneStateMachine::offline_zone(uint32_t zone)
{
    switch (state(zone)) {
        case ZoneState::ReadOnly: set_state(zone, ZoneState::Offline); return kSuccess;
        case ZoneState::Offline: return kSuccess;
        default: return kInvalidTransition;
    }
}

uint16_t ZoneStateMachine::zrwa_flush(uint64_t elba, std::vector<ZoneEffect> &effects)
{
    if (cfg_.zones == 0 || zone_of(elba) >= cfg_.zones) {
        return kInvalidField;
    }
    const uint32_t z = zone_of(elba);
    ZoneRecord &r = rec_[z];
    if (!(r.attrs & kZrwav) || elba < r.wp) {
        return kInvalidField;
    }
    const uint64_t cap_end = zslba(z) + cfg_.zone_cap_lbas;
    if (elba >= r.wp + cfg_.zrwa_lbas || elba >= cap_end) {
        return kBoundaryError;
    }
    if ((elba + 1 - r.wp) % cfg_.zrwa_fg_lbas != 0) {
        return kInvalidField;
    }
    advance(z, elba + 1, effects);
    if (r.wp >= cap_end) {
        set_state(z, ZoneState::Full);
    }
    return kSuccess;
}

uint16_t ZoneStateMachine::set_extension(uint64_t slba)
{
    if (cfg_.zones == 0 || slba % cfg_.zone_lbas != 0 || zone_of(slba) >= cfg_.zones) {
        return kInvalidField;
    }
    const uint32_t z = zone_of(slba);
    if (state(z) != ZoneState::Empty) {
        return kInvalidTransition;
    }
    if (exceeds(uint64_t{active_} + 1, cfg_.max_active)) {
        return kTooManyActive;
    }
    set_state(z, ZoneState::Closed);
    rec_[z].attrs |= kZdev;
    return kSuccess;
}

// ---- Fault injection.

bool ZoneStateMachine::inject(uint32_t zone, ZoneState target, std::vector<ZoneEffect> &effects)
{
    if (zone >= cfg_.zones) {
        return false;
    }
    const ZoneState s = state(zone);
    switch (target) {
        case ZoneState::ReadOnly:
        case ZoneState::Offline:
            set_state(zone, target);
            rec_[zone].attrs &= kZdev;
            break;
        case ZoneState::Empty:
            if (s != ZoneState::ReadOnly && s != ZoneState::Offline) {
                return false;
            }
            do_reset(zone, effects);
            break;
        default: return false;
    }
    mark_changed(zone);
    return true;
}

std::vector<uint32_t> ZoneStateMachine::take_changed(bool &overflow)
{
    overflow = changed_overflow_;
    changed_overflow_ = false;
    std::vector<uint32_t> out;
    out.swap(changed_);
    return out;
}

// ---- Counts.

uint32_t ZoneStateMachine::count(ZoneState s) const
{
    uint32_t n = 0;
    for (uint32_t z = 0; z < cfg_.zones; z++) {
        if (state(z) == s) {
            n++;
        }
    }
    return n;
}

std::string ZoneStateMachine::check_invariants() const
{
    uint32_t open = 0;
    uint32_t active = 0;
    uint32_t zrwa = 0;
    for (uint32_t z = 0; z < cfg_.zones; z++) {
        const ZoneRecord &r = rec_[z];
        const std::string name = "zone " + std::to_string(z) + ": ";
        if (!known_state(r.state)) {
            return name + "unknown state " + std::to_string(r.state);
        }
        const ZoneState s = state(z);
        const uint64_t start = zslba(z);
        const uint64_t cap_end = start + cfg_.zone_cap_lbas;
        if (r.wp < start || r.wp > cap_end) {
            return name + "write pointer " + std::to_string(r.wp) + " outside the zone capacity";
        }
        if (r.written_end < start || r.written_end > cap_end) {
            return name + "written_end " + std::to_string(r.written_end) +
                   " outside the zone capacity";
        }
        if ((s == ZoneState::Empty || active_state(s)) && r.written_end < r.wp) {
            return name + "written_end below the write pointer";
        }
        if (s == ZoneState::Empty && (r.wp != start || r.written_end != start)) {
            return name + "empty but written";
        }
        if (s == ZoneState::Full && r.wp != cap_end) {
            return name + "full but the write pointer is not at the capacity";
        }
        if ((r.attrs & kZrwav) && !active_state(s)) {
            return name + "ZRWA on a zone that is not open or closed";
        }
        if ((r.attrs & kZrwav) && cfg_.zrwa_lbas == 0) {
            return name + "ZRWA without ZRWA support";
        }
        if (active_state(s) && !(r.attrs & kZrwav) && r.written_end != r.wp) {
            return name + "written beyond the write pointer without a ZRWA";
        }
        if (open_state(s)) {
            open++;
        }
        if (active_state(s)) {
            active++;
        }
        if (r.attrs & kZrwav) {
            zrwa++;
        }
    }
    if (open != open_) {
        return "open counter " + std::to_string(open_) + " but " + std::to_string(open) +
               " zones open";
    }
    if (active != active_) {
        return "active counter " + std::to_string(active_) + " but " + std::to_string(active) +
               " zones active";
    }
    if (zrwa != zrwa_used_) {
        return "ZRWA counter " + std::to_string(zrwa_used_) + " but " + std::to_string(zrwa) +
               " zones hold a ZRWA";
    }
    return "";
}

}  // namespace nvmev::ftl
