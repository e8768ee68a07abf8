// ssd=zns: the ZNS 1.1 zone state machine: every transition of every Zone
// Management Send action from every state, every status code with its exact
// value, resource limits with implicit close, select-all, ZRWA window
// arithmetic, zone append, persistence of the records, fault injection and
// the changed zone list, and a randomized invariant check.
#include "../../ftl/zone_state_machine.h"

#include <gtest/gtest.h>
#include <nvme/types.h>

#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

using nvmev::ftl::ZoneAction;
using nvmev::ftl::ZoneConfig;
using nvmev::ftl::ZoneEffect;
using nvmev::ftl::ZoneRecord;
using nvmev::ftl::ZoneState;
using nvmev::ftl::ZoneStateMachine;

namespace {

// ---- Status values, from libnvme's constants and as literal numbers.
constexpr uint16_t zns_status(uint16_t sc)
{
    return static_cast<uint16_t>((NVME_SCT_CMD_SPECIFIC << NVME_SCT_SHIFT) | sc | NVME_SC_DNR);
}
constexpr uint16_t kOk = 0;
constexpr uint16_t kInvalidField = static_cast<uint16_t>((NVME_SCT_GENERIC << NVME_SCT_SHIFT) |
                                                         NVME_SC_INVALID_FIELD | NVME_SC_DNR);
constexpr uint16_t kInvalidOp = zns_status(NVME_SC_ZNS_INVALID_OP_REQUEST);
constexpr uint16_t kZrwaUnavailable = zns_status(NVME_SC_ZNS_ZRWA_RESOURCES_UNAVAILABLE);
constexpr uint16_t kBoundary = zns_status(NVME_SC_ZNS_BOUNDARY_ERROR);
constexpr uint16_t kFull = zns_status(NVME_SC_ZNS_FULL);
constexpr uint16_t kReadOnly = zns_status(NVME_SC_ZNS_READ_ONLY);
constexpr uint16_t kOffline = zns_status(NVME_SC_ZNS_OFFLINE);
constexpr uint16_t kInvalidWrite = zns_status(NVME_SC_ZNS_INVALID_WRITE);
constexpr uint16_t kTooManyActive = zns_status(NVME_SC_ZNS_TOO_MANY_ACTIVE);
constexpr uint16_t kTooManyOpen = zns_status(NVME_SC_ZNS_TOO_MANY_OPENS);
constexpr uint16_t kInvalidTransition = zns_status(NVME_SC_ZNS_INVAL_TRANSITION);

static_assert(kInvalidField == 0x4002);
static_assert(kInvalidOp == 0x41b6);
static_assert(kZrwaUnavailable == 0x41b7);
static_assert(kBoundary == 0x41b8);
static_assert(kFull == 0x41b9);
static_assert(kReadOnly == 0x41ba);
static_assert(kOffline == 0x41bb);
static_assert(kInvalidWrite == 0x41bc);
static_assert(kTooManyActive == 0x41bd);
static_assert(kTooManyOpen == 0x41be);
static_assert(kInvalidTransition == 0x41bf);

constexpr uint8_t kZrwav = NVME_ZNS_ZA_ZRWAV;
constexpr uint8_t kZdev = NVME_ZNS_ZA_ZDEV;

constexpr ZoneState E = ZoneState::Empty;
constexpr ZoneState IO = ZoneState::ImplicitlyOpen;
constexpr ZoneState EO = ZoneState::ExplicitlyOpen;
constexpr ZoneState C = ZoneState::Closed;
constexpr ZoneState F = ZoneState::Full;
constexpr ZoneState RO = ZoneState::ReadOnly;
constexpr ZoneState OFF = ZoneState::Offline;
constexpr ZoneState kAllStates[] = {E, IO, EO, C, F, RO, OFF};

const char *name(ZoneState s)
{
    switch (s) {
        case E: return "Empty";
        case IO: return "ImplicitlyOpen";
        case EO: return "ExplicitlyOpen";
        case C: return "Closed";
        case F: return "Full";
        case RO: return "ReadOnly";
        case OFF: return "Offline";
    }
    return "?";
}

const char *name(ZoneAction a)
{
    switch (a) {
        case ZoneAction::Close: return "Close";
        case ZoneAction::Finish: return "Finish";
        case ZoneAction::Open: return "Open";
        case ZoneAction::Reset: return "Reset";
        case ZoneAction::Offline: return "Offline";
    }
    return "?";
}

std::string str(const ZoneEffect &e)
{
    const char *kind = e.kind == ZoneEffect::Kind::Commit   ? "commit"
                       : e.kind == ZoneEffect::Kind::Finish ? "finish"
                                                            : "reset";
    return std::string(kind) + " " + std::to_string(e.zone) + " [" + std::to_string(e.from) + "," +
           std::to_string(e.to) + ")";
}

using Fx = std::vector<std::string>;

// 8 zones of 64 LBAs with capacity 48, at most 2 open and 3 active zones,
// an 8-LBA ZRWA flushed in 4-LBA granules, one ZRWA resource.
ZoneConfig small_config()
{
    ZoneConfig c;
    c.zone_lbas = 64;
    c.zone_cap_lbas = 48;
    c.zones = 8;
    c.max_open = 2;
    c.max_active = 3;
    c.zrwa_lbas = 8;
    c.zrwa_fg_lbas = 4;
    c.zrwa_resources = 1;
    return c;
}

// A machine over its own record storage, with check-then-commit helpers.
struct Zsm {
    explicit Zsm(const ZoneConfig &c = small_config())
        : cfg(c), recs(c.zones), m(cfg, recs.data(), true)
    {
    }

    uint16_t write(uint64_t slba, uint32_t nlb)
    {
        const uint16_t st = m.check_write(slba, nlb);
        if (st == kOk) {
            m.commit_write(slba, nlb, fx);
        }
        return st;
    }
    uint16_t append(uint32_t zone, uint32_t nlb, uint64_t *assigned = nullptr)
    {
        uint64_t lba = ~uint64_t{0};
        const uint16_t st = m.check_append(m.zslba(zone), nlb, lba);
        if (st == kOk) {
            m.commit_write(lba, nlb, fx);
            if (assigned) {
                *assigned = lba;
            }
        }
        return st;
    }
    uint16_t send(ZoneAction a, uint32_t zone, bool zrwa = false)
    {
        return m.send(a, m.zslba(zone), false, zrwa, fx);
    }
    uint16_t send_all(ZoneAction a, uint64_t slba = 0) { return m.send(a, slba, true, false, fx); }
    uint16_t flush(uint64_t elba) { return m.zrwa_flush(elba, fx); }
    bool inject(uint32_t zone, ZoneState s) { return m.inject(zone, s, fx); }
    uint64_t wp(uint32_t zone) const { return m.zone(zone).wp; }

    // The effects since the last take(), as strings.
    Fx take()
    {
        Fx out;
        for (const ZoneEffect &e : fx) {
            out.push_back(str(e));
        }
        fx.clear();
        return out;
    }

    // Brings `zone` to state s through the public interface: implicitly
    // open and closed zones have 4 LBAs written, full zones their whole
    // capacity. Clears the effects and the changed list.
    void put(uint32_t zone, ZoneState s)
    {
        const uint64_t zs = m.zslba(zone);
        switch (s) {
            case E: break;
            case IO: ASSERT_EQ(write(zs, 4), kOk); break;
            case EO: ASSERT_EQ(send(ZoneAction::Open, zone), kOk); break;
            case C:
                ASSERT_EQ(write(zs, 4), kOk);
                ASSERT_EQ(send(ZoneAction::Close, zone), kOk);
                break;
            case F: ASSERT_EQ(write(zs, static_cast<uint32_t>(cfg.zone_cap_lbas)), kOk); break;
            case RO:
            case OFF: ASSERT_TRUE(inject(zone, s)); break;
        }
        ASSERT_EQ(m.state(zone), s);
        fx.clear();
        bool overflow;
        m.take_changed(overflow);
    }

    ZoneConfig cfg;
    std::vector<ZoneRecord> recs;
    ZoneStateMachine m;
    std::vector<ZoneEffect> fx;
};

// ---------------------------------------------------------------------------
// Every action from every state, one zone (zone 1: zslba 64, capacity end
// 112). Set-up write pointers: implicitly open and closed 68 (4 written),
// full 112, the others 64.

struct TransitionRow {
    ZoneState from;
    ZoneAction action;
    uint16_t status;
    ZoneState to;
    uint32_t open, active;  // counters afterwards
    uint64_t wp;            // afterwards
    uint32_t resets;        // afterwards
    Fx effects;
};

void PrintTo(const TransitionRow &r, std::ostream *os)
{
    *os << name(r.action) << " from " << name(r.from);
}

class ZoneStateMachineTransition : public ::testing::TestWithParam<TransitionRow> {};

TEST_P(ZoneStateMachineTransition, SendOneZone)
{
    const TransitionRow &row = GetParam();
    Zsm t;
    t.put(1, row.from);
    EXPECT_EQ(t.m.check_invariants(), "");
    EXPECT_EQ(t.send(row.action, 1), row.status);
    EXPECT_EQ(t.m.state(1), row.to);
    EXPECT_EQ(t.m.open_zones(), row.open);
    EXPECT_EQ(t.m.active_zones(), row.active);
    EXPECT_EQ(t.wp(1), row.wp);
    EXPECT_EQ(t.m.zone(1).resets, row.resets);
    EXPECT_EQ(t.take(), row.effects);
    EXPECT_EQ(t.m.check_invariants(), "");
    // Zone Management Send never lists a zone as changed.
    EXPECT_FALSE(t.m.has_changed());
}

using A = ZoneAction;
const TransitionRow kTransitions[] = {
    // Open
    {E, A::Open, kOk, EO, 1, 1, 64, 0, {}},
    {IO, A::Open, kOk, EO, 1, 1, 68, 0, {}},
    {EO, A::Open, kOk, EO, 1, 1, 64, 0, {}},
    {C, A::Open, kOk, EO, 1, 1, 68, 0, {}},
    {F, A::Open, kInvalidTransition, F, 0, 0, 112, 0, {}},
    {RO, A::Open, kInvalidTransition, RO, 0, 0, 64, 0, {}},
    {OFF, A::Open, kInvalidTransition, OFF, 0, 0, 64, 0, {}},
    // Close (explicitly open with nothing written goes back to empty)
    {E, A::Close, kInvalidTransition, E, 0, 0, 64, 0, {}},
    {IO, A::Close, kOk, C, 0, 1, 68, 0, {}},
    {EO, A::Close, kOk, E, 0, 0, 64, 0, {}},
    {C, A::Close, kOk, C, 0, 1, 68, 0, {}},
    {F, A::Close, kInvalidTransition, F, 0, 0, 112, 0, {}},
    {RO, A::Close, kInvalidTransition, RO, 0, 0, 64, 0, {}},
    {OFF, A::Close, kInvalidTransition, OFF, 0, 0, 64, 0, {}},
    // Finish
    {E, A::Finish, kOk, F, 0, 0, 112, 0, {"finish 1 [64,112)"}},
    {IO, A::Finish, kOk, F, 0, 0, 112, 0, {"finish 1 [68,112)"}},
    {EO, A::Finish, kOk, F, 0, 0, 112, 0, {"finish 1 [64,112)"}},
    {C, A::Finish, kOk, F, 0, 0, 112, 0, {"finish 1 [68,112)"}},
    {F, A::Finish, kOk, F, 0, 0, 112, 0, {}},
    {RO, A::Finish, kInvalidTransition, RO, 0, 0, 64, 0, {}},
    {OFF, A::Finish, kInvalidTransition, OFF, 0, 0, 64, 0, {}},
    // Reset
    {E, A::Reset, kOk, E, 0, 0, 64, 0, {}},
    {IO, A::Reset, kOk, E, 0, 0, 64, 1, {"reset 1 [64,68)"}},
    {EO, A::Reset, kOk, E, 0, 0, 64, 1, {"reset 1 [64,64)"}},
    {C, A::Reset, kOk, E, 0, 0, 64, 1, {"reset 1 [64,68)"}},
    {F, A::Reset, kOk, E, 0, 0, 64, 1, {"reset 1 [64,112)"}},
    {RO, A::Reset, kInvalidTransition, RO, 0, 0, 64, 0, {}},
    {OFF, A::Reset, kInvalidTransition, OFF, 0, 0, 64, 0, {}},
    // Offline
    {E, A::Offline, kInvalidTransition, E, 0, 0, 64, 0, {}},
    {IO, A::Offline, kInvalidTransition, IO, 1, 1, 68, 0, {}},
    {EO, A::Offline, kInvalidTransition, EO, 1, 1, 64, 0, {}},
    {C, A::Offline, kInvalidTransition, C, 0, 1, 68, 0, {}},
    {F, A::Offline, kInvalidTransition, F, 0, 0, 112, 0, {}},
    {RO, A::Offline, kOk, OFF, 0, 0, 64, 0, {}},
    {OFF, A::Offline, kOk, OFF, 0, 0, 64, 0, {}},
};

INSTANTIATE_TEST_SUITE_P(ZoneStateMachine, ZoneStateMachineTransition,
                         ::testing::ValuesIn(kTransitions),
                         [](const ::testing::TestParamInfo<TransitionRow> &info) {
                             return std::string(name(info.param.action)) + "From" +
                                    name(info.param.from);
                         });

TEST(ZoneStateMachineTransitions, CloseKeepsZonesWithDataExtensionOrZrwa)
{
    Zsm t;
    // Explicitly open with data: closed.
    ASSERT_EQ(t.send(A::Open, 0), kOk);
    ASSERT_EQ(t.write(0, 3), kOk);
    EXPECT_EQ(t.m.state(0), EO);  // a write keeps an explicitly open zone explicit
    EXPECT_EQ(t.send(A::Close, 0), kOk);
    EXPECT_EQ(t.m.state(0), C);
    EXPECT_EQ(t.m.active_zones(), 1u);
    // Descriptor extension valid, nothing written: closed.
    ASSERT_EQ(t.m.set_extension(64), kOk);
    ASSERT_EQ(t.send(A::Open, 1), kOk);
    EXPECT_EQ(t.send(A::Close, 1), kOk);
    EXPECT_EQ(t.m.state(1), C);
    EXPECT_EQ(t.m.zone(1).attrs, kZdev);
    // ZRWA, nothing committed: closed, and the ZRWA stays.
    ASSERT_EQ(t.send(A::Open, 2, true), kOk);
    EXPECT_EQ(t.send(A::Close, 2), kOk);
    EXPECT_EQ(t.m.state(2), C);
    EXPECT_EQ(t.m.zone(2).attrs, kZrwav);
    EXPECT_EQ(t.m.zrwa_in_use(), 1u);
    EXPECT_EQ(t.m.active_zones(), 3u);
    EXPECT_EQ(t.m.open_zones(), 0u);
    // A write to the closed ZRWA zone opens it implicitly, with its ZRWA.
    ASSERT_EQ(t.write(128 + 2, 3), kOk);
    EXPECT_EQ(t.m.state(2), IO);
    EXPECT_EQ(t.m.zone(2).attrs, kZrwav);
    EXPECT_EQ(t.wp(2), 128u);
    EXPECT_EQ(t.m.check_invariants(), "");
}

TEST(ZoneStateMachineTransitions, ZrwaIsIgnoredForActionsOtherThanOpen)
{
    Zsm t;
    t.put(0, IO);
    EXPECT_EQ(t.m.send(A::Close, 0, false, true, t.fx), kOk);
    EXPECT_EQ(t.m.state(0), C);
    EXPECT_EQ(t.m.send(A::Finish, 0, true, true, t.fx), kOk);  // select-all too
    EXPECT_EQ(t.m.state(0), F);
    EXPECT_EQ(t.m.zrwa_in_use(), 0u);
}

TEST(ZoneStateMachineTransitions, FinishFromEmptyNeedsAnActiveResource)
{
    Zsm t;
    t.put(0, C);
    t.put(1, C);
    t.put(2, C);
    EXPECT_EQ(t.send(A::Finish, 3), kTooManyActive);
    EXPECT_EQ(t.m.state(3), E);
    EXPECT_EQ(t.take(), Fx{});
    // Closed zones finish without any new resource; then there is room.
    EXPECT_EQ(t.send(A::Finish, 0), kOk);
    EXPECT_EQ(t.send(A::Finish, 3), kOk);
    EXPECT_EQ(t.m.state(3), F);
    EXPECT_EQ(t.m.active_zones(), 2u);
    EXPECT_EQ(t.take(), (Fx{"finish 0 [4,48)", "finish 3 [192,240)"}));
}

TEST(ZoneStateMachineTransitions, ResetClearsAttributesAndCountsResets)
{
    Zsm t;
    ASSERT_EQ(t.m.set_extension(0), kOk);
    EXPECT_EQ(t.m.zone(0).attrs, kZdev);
    EXPECT_EQ(t.send(A::Reset, 0), kOk);
    EXPECT_EQ(t.m.zone(0).attrs, 0);
    EXPECT_EQ(t.m.zone(0).resets, 1u);
    EXPECT_EQ(t.take(), Fx{"reset 0 [0,0)"});
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(t.write(0, 10), kOk);
        ASSERT_EQ(t.send(A::Reset, 0), kOk);
    }
    EXPECT_EQ(t.m.zone(0).resets, 4u);
    EXPECT_EQ(t.m.zone(0).written_end, 0u);
    // An empty zone's reset is a no-op: no effect, no erase counted.
    t.take();
    EXPECT_EQ(t.send(A::Reset, 0), kOk);
    EXPECT_EQ(t.m.zone(0).resets, 4u);
    EXPECT_EQ(t.take(), Fx{});
}

// ---------------------------------------------------------------------------
// Fault injection from every state to every target.

TEST(ZoneStateMachineInject, EveryStateToEveryTarget)
{
    for (ZoneState from : kAllStates) {
        for (ZoneState target : kAllStates) {
            SCOPED_TRACE(std::string(name(from)) + " -> " + name(target));
            Zsm t;
            t.put(2, from);
            const uint64_t wp_before = t.wp(2);
            const uint32_t open_before = t.m.open_zones();
            const uint32_t active_before = t.m.active_zones();
            const bool allowed =
                target == RO || target == OFF || (target == E && (from == RO || from == OFF));
            EXPECT_EQ(t.inject(2, target), allowed);
            bool overflow = true;
            const std::vector<uint32_t> changed = t.m.take_changed(overflow);
            EXPECT_FALSE(overflow);
            if (!allowed) {
                EXPECT_EQ(t.m.state(2), from);
                EXPECT_EQ(t.wp(2), wp_before);
                EXPECT_EQ(t.m.open_zones(), open_before);
                EXPECT_EQ(t.m.active_zones(), active_before);
                EXPECT_TRUE(changed.empty());
                EXPECT_EQ(t.take(), Fx{});
                continue;
            }
            EXPECT_EQ(t.m.state(2), target);
            EXPECT_EQ(changed, std::vector<uint32_t>{2});
            EXPECT_EQ(t.m.open_zones(), 0u);
            EXPECT_EQ(t.m.active_zones(), 0u);
            if (target == E) {
                EXPECT_EQ(t.wp(2), 128u);
                EXPECT_EQ(t.m.zone(2).resets, 1u);
                EXPECT_EQ(t.take(), Fx{"reset 2 [128,128)"});
            } else {
                EXPECT_EQ(t.wp(2), wp_before);  // the write pointer stays
                EXPECT_EQ(t.m.zone(2).resets, 0u);
                EXPECT_EQ(t.take(), Fx{});
            }
            EXPECT_EQ(t.m.check_invariants(), "");
        }
    }
}

TEST(ZoneStateMachineInject, ReleasesZrwaKeepsOnlyZdevAndRecoversByReset)
{
    Zsm t;
    ASSERT_EQ(t.send(A::Open, 0, true), kOk);
    ASSERT_EQ(t.write(0, 6), kOk);  // in the ZRWA: wp stays 0, written_end 6
    ASSERT_EQ(t.m.set_extension(64), kOk);
    ASSERT_TRUE(t.inject(0, RO));
    ASSERT_TRUE(t.inject(1, OFF));
    EXPECT_EQ(t.m.zone(0).attrs, 0);
    EXPECT_EQ(t.m.zone(1).attrs, kZdev);
    EXPECT_EQ(t.m.zrwa_in_use(), 0u);
    EXPECT_EQ(t.m.active_zones(), 0u);
    EXPECT_EQ(t.m.check_invariants(), "");
    // The freed ZRWA resource can be used by another zone.
    EXPECT_EQ(t.send(A::Open, 2, true), kOk);
    // Back to empty: a reset that erases what had been written.
    ASSERT_TRUE(t.inject(0, E));
    EXPECT_EQ(t.take(), Fx{"reset 0 [0,6)"});
    EXPECT_EQ(t.m.zone(0).resets, 1u);
    EXPECT_EQ(t.m.zone(0).attrs, 0);
    ASSERT_TRUE(t.inject(1, E));
    EXPECT_EQ(t.m.zone(1).attrs, 0);
    // Offline can also go back to read-only by injection.
    ASSERT_TRUE(t.inject(3, OFF));
    EXPECT_TRUE(t.inject(3, RO));
    EXPECT_EQ(t.m.state(3), RO);
    bool overflow;
    EXPECT_EQ(t.m.take_changed(overflow), (std::vector<uint32_t>{0, 1, 3}));
    EXPECT_FALSE(t.inject(8, RO));  // no such zone
    EXPECT_EQ(t.m.check_invariants(), "");
}

// ---------------------------------------------------------------------------
// Every status code with its exact value.

TEST(ZoneStateMachineStatus, InvalidField)
{
    Zsm t;
    uint64_t assigned = 0;
    EXPECT_EQ(t.m.send(A::Open, 65, false, false, t.fx), 0x4002);       // not a zone start
    EXPECT_EQ(t.m.send(A::Reset, 8 * 64, false, false, t.fx), 0x4002);  // beyond the last zone
    EXPECT_EQ(t.m.check_append(1, 1, assigned), 0x4002);
    EXPECT_EQ(t.m.check_append(8 * 64, 1, assigned), 0x4002);
    EXPECT_EQ(t.m.set_extension(3), 0x4002);
    EXPECT_EQ(t.m.send(A::Open, 0, true, true, t.fx), 0x4002);  // ZRWA with select-all
    EXPECT_EQ(t.flush(3), 0x4002);                              // no ZRWA on the zone
    ASSERT_EQ(t.send(A::Open, 0, true), kOk);
    ASSERT_EQ(t.write(0, 12), kOk);  // wp 4
    EXPECT_EQ(t.flush(3), 0x4002);   // below the write pointer
    EXPECT_EQ(t.flush(5), 0x4002);   // 2 LBAs: not a whole granule
    EXPECT_EQ(t.m.state(0), EO);
    EXPECT_EQ(t.wp(0), 4u);
    EXPECT_EQ(t.take(), Fx{"commit 0 [0,4)"});
    EXPECT_EQ(kInvalidField, 0x4002);
}

TEST(ZoneStateMachineStatus, InvalidZoneOperationRequest)
{
    Zsm t;
    uint64_t assigned = 0;
    ASSERT_EQ(t.send(A::Open, 0, true), kOk);
    EXPECT_EQ(t.m.check_append(0, 1, assigned), 0x41b6);  // append to a ZRWA zone
    t.put(1, IO);
    EXPECT_EQ(t.send(A::Open, 1, true), 0x41b6);  // ZRWA only for an empty zone
    t.put(2, F);
    EXPECT_EQ(t.send(A::Open, 2, true), 0x41b6);
    EXPECT_EQ(t.send(A::Open, 0, true), 0x41b6);  // already has one
    ZoneConfig no_zrwa = small_config();
    no_zrwa.zrwa_lbas = 0;
    no_zrwa.zrwa_fg_lbas = 0;
    Zsm u(no_zrwa);
    EXPECT_EQ(u.send(A::Open, 0, true), 0x41b6);
    EXPECT_EQ(u.m.state(0), E);
    EXPECT_EQ(kInvalidOp, 0x41b6);
}

TEST(ZoneStateMachineStatus, ZrwaResourcesUnavailable)
{
    Zsm t;
    ASSERT_EQ(t.send(A::Open, 0, true), kOk);
    EXPECT_EQ(t.send(A::Open, 1, true), 0x41b7);
    EXPECT_EQ(t.m.state(1), E);
    EXPECT_EQ(t.m.zrwa_in_use(), 1u);
    EXPECT_EQ(t.m.open_zones(), 1u);
    // Finishing the first zone frees the resource.
    ASSERT_EQ(t.send(A::Finish, 0), kOk);
    EXPECT_EQ(t.m.zrwa_in_use(), 0u);
    EXPECT_EQ(t.send(A::Open, 1, true), kOk);
    EXPECT_EQ(kZrwaUnavailable, 0x41b7);
}

TEST(ZoneStateMachineStatus, ZoneBoundaryError)
{
    Zsm t;
    uint64_t assigned = 0;
    EXPECT_EQ(t.m.check_write(0, 49), 0x41b8);  // past the capacity (48)
    EXPECT_EQ(t.m.check_append(0, 49, assigned), 0x41b8);
    ASSERT_EQ(t.write(0, 40), kOk);
    EXPECT_EQ(t.m.check_write(40, 9), 0x41b8);  // [40,49) crosses 48
    EXPECT_EQ(t.m.check_write(40, 8), kOk);     // [40,48) ends at it
    // ZRWA: explicit flush past the ZRWA.
    ASSERT_EQ(t.send(A::Open, 1, true), kOk);
    EXPECT_EQ(t.flush(64 + 8), 0x41b8);
    EXPECT_EQ(t.flush(64 + 11), 0x41b8);
    EXPECT_EQ(t.m.state(0), IO);
    EXPECT_EQ(t.wp(0), 40u);
    EXPECT_EQ(t.wp(1), 64u);
    EXPECT_EQ(kBoundary, 0x41b8);
}

TEST(ZoneStateMachineStatus, ZoneIsFull)
{
    Zsm t;
    uint64_t assigned = 0;
    t.put(0, F);
    EXPECT_EQ(t.m.check_write(48, 1), 0x41b9);
    EXPECT_EQ(t.m.check_write(10, 1), 0x41b9);  // state before position
    EXPECT_EQ(t.m.check_append(0, 1, assigned), 0x41b9);
    EXPECT_EQ(kFull, 0x41b9);
}

TEST(ZoneStateMachineStatus, ZoneIsReadOnly)
{
    Zsm t;
    uint64_t assigned = 0;
    t.put(0, RO);
    EXPECT_EQ(t.m.check_write(0, 1), 0x41ba);
    EXPECT_EQ(t.m.check_append(0, 1, assigned), 0x41ba);
    EXPECT_EQ(t.m.check_read(0, 64), kOk);  // read-only zones are readable
    EXPECT_EQ(kReadOnly, 0x41ba);
}

TEST(ZoneStateMachineStatus, ZoneIsOffline)
{
    Zsm t;
    uint64_t assigned = 0;
    t.put(1, OFF);
    EXPECT_EQ(t.m.check_write(64, 1), 0x41bb);
    EXPECT_EQ(t.m.check_append(64, 1, assigned), 0x41bb);
    EXPECT_EQ(t.m.check_read(64, 1), 0x41bb);
    EXPECT_EQ(t.m.check_read(127, 1), 0x41bb);
    EXPECT_EQ(t.m.check_read(60, 8), 0x41bb);  // crosses into the offline zone
    EXPECT_EQ(t.m.check_read(100, 40), 0x41bb);
    EXPECT_EQ(t.m.check_read(0, 64), kOk);  // reads may cross zones...
    EXPECT_EQ(t.m.check_read(128, 128), kOk);
    EXPECT_EQ(t.m.check_read(0, 3 * 64), 0x41bb);  // ...but not through an offline one
    EXPECT_EQ(kOffline, 0x41bb);
}

TEST(ZoneStateMachineStatus, ZoneInvalidWrite)
{
    Zsm t;
    EXPECT_EQ(t.m.check_write(1, 1), 0x41bc);  // empty zone: wp is its start
    ASSERT_EQ(t.write(0, 8), kOk);
    EXPECT_EQ(t.m.check_write(7, 1), 0x41bc);   // below wp
    EXPECT_EQ(t.m.check_write(9, 1), 0x41bc);   // above wp
    EXPECT_EQ(t.m.check_write(47, 9), 0x41bc);  // position before boundary
    // ZRWA: below wp, or ending past wp + 2 x ZRWA size.
    ASSERT_EQ(t.send(A::Open, 1, true), kOk);
    EXPECT_EQ(t.m.check_write(64 + 13, 4), 0x41bc);  // ends at 81 > 64 + 16
    EXPECT_EQ(t.m.check_write(64 + 16, 1), 0x41bc);
    EXPECT_EQ(t.m.check_write(64 + 12, 4), kOk);  // ends at 80 exactly
    ASSERT_EQ(t.write(64, 12), kOk);              // wp 68
    EXPECT_EQ(t.m.check_write(64 + 3, 1), 0x41bc);
    EXPECT_EQ(kInvalidWrite, 0x41bc);
}

TEST(ZoneStateMachineStatus, TooManyActiveZones)
{
    Zsm t;
    t.put(0, C);
    t.put(1, C);
    t.put(2, IO);
    const std::vector<ZoneRecord> before = t.recs;
    EXPECT_EQ(t.m.check_write(3 * 64, 1), 0x41bd);
    uint64_t assigned = 0;
    EXPECT_EQ(t.m.check_append(3 * 64, 1, assigned), 0x41bd);
    EXPECT_EQ(t.send(A::Open, 3), 0x41bd);
    EXPECT_EQ(t.send(A::Finish, 3), 0x41bd);
    EXPECT_EQ(t.m.set_extension(3 * 64), 0x41bd);
    EXPECT_EQ(0, std::memcmp(before.data(), t.recs.data(), before.size() * sizeof(ZoneRecord)));
    // Position and boundary are checked before resources.
    EXPECT_EQ(t.m.check_write(3 * 64 + 1, 1), 0x41bc);
    EXPECT_EQ(t.m.check_write(3 * 64, 49), 0x41b8);
    // Closed zones reopen without a new active resource.
    EXPECT_EQ(t.m.check_write(4, 1), kOk);
    EXPECT_EQ(kTooManyActive, 0x41bd);
}

TEST(ZoneStateMachineStatus, TooManyOpenZones)
{
    Zsm t;
    t.put(0, EO);
    t.put(1, EO);
    EXPECT_EQ(t.m.check_write(128, 1), 0x41be);
    EXPECT_EQ(t.send(A::Open, 2), 0x41be);
    EXPECT_EQ(t.m.state(2), E);
    EXPECT_EQ(t.m.open_zones(), 2u);
    EXPECT_EQ(t.m.active_zones(), 2u);
    EXPECT_EQ(kTooManyOpen, 0x41be);
}

TEST(ZoneStateMachineStatus, InvalidZoneStateTransition)
{
    Zsm t;
    EXPECT_EQ(t.send(A::Close, 0), 0x41bf);
    EXPECT_EQ(t.send(A::Offline, 0), 0x41bf);
    t.put(1, F);
    EXPECT_EQ(t.m.set_extension(64), 0x41bf);  // only from empty
    EXPECT_EQ(kInvalidTransition, 0x41bf);
}

// ---------------------------------------------------------------------------
// Open and active limits.

TEST(ZoneStateMachineLimits, ImplicitCloseOfTheOldestImplicitlyOpenZone)
{
    Zsm t;
    ASSERT_EQ(t.write(0, 4), kOk);    // zone 0 implicitly open first
    ASSERT_EQ(t.write(64, 4), kOk);   // zone 1
    ASSERT_EQ(t.write(4, 4), kOk);    // rewriting zone 0 does not refresh its age
    ASSERT_EQ(t.write(128, 4), kOk);  // zone 2: zone 0 is implicitly closed
    EXPECT_EQ(t.m.state(0), C);
    EXPECT_EQ(t.m.state(1), IO);
    EXPECT_EQ(t.m.state(2), IO);
    EXPECT_EQ(t.m.open_zones(), 2u);
    EXPECT_EQ(t.m.active_zones(), 3u);
    EXPECT_EQ(t.m.check_invariants(), "");
    // Three active: a fourth zone cannot open, and nothing is closed trying.
    EXPECT_EQ(t.write(192, 4), kTooManyActive);
    EXPECT_EQ(t.m.state(1), IO);
    // A closed zone only needs an open resource: zone 1 is now the oldest.
    ASSERT_EQ(t.write(8, 4), kOk);
    EXPECT_EQ(t.m.state(0), IO);
    EXPECT_EQ(t.m.state(1), C);
    EXPECT_EQ(t.m.state(2), IO);
    // Explicit open also implicitly closes the oldest implicitly open zone.
    ASSERT_EQ(t.send(A::Reset, 1), kOk);
    ASSERT_EQ(t.send(A::Open, 4), kOk);
    EXPECT_EQ(t.m.state(2), C);  // opened before zone 0's reopening
    EXPECT_EQ(t.m.state(0), IO);
    EXPECT_EQ(t.m.state(4), EO);
    ASSERT_EQ(t.send(A::Open, 2), kOk);  // closed -> explicitly open, zone 0 closed
    EXPECT_EQ(t.m.state(0), C);
    EXPECT_EQ(t.m.state(2), EO);
    EXPECT_EQ(t.m.open_zones(), 2u);
    EXPECT_EQ(t.m.active_zones(), 3u);
    // Every open zone explicit: no implicit close, Too Many Open Zones.
    EXPECT_EQ(t.write(12, 4), kTooManyOpen);
    EXPECT_EQ(t.send(A::Open, 0), kTooManyOpen);
    EXPECT_EQ(t.m.state(0), C);
    EXPECT_EQ(t.m.check_invariants(), "");
}

TEST(ZoneStateMachineLimits, ImplicitlyOpenToExplicitlyOpenNeedsNoResource)
{
    Zsm t;
    t.put(0, IO);
    t.put(1, IO);
    EXPECT_EQ(t.send(A::Open, 0), kOk);
    EXPECT_EQ(t.send(A::Open, 1), kOk);
    EXPECT_EQ(t.m.open_zones(), 2u);
    EXPECT_EQ(t.m.count(EO), 2u);
    EXPECT_EQ(t.m.count(IO), 0u);
}

TEST(ZoneStateMachineLimits, NoLimits)
{
    ZoneConfig c = small_config();
    c.max_open = 0;
    c.max_active = 0;
    Zsm t(c);
    for (uint32_t z = 0; z < c.zones; z++) {
        ASSERT_EQ(t.write(t.m.zslba(z), 1), kOk);
    }
    EXPECT_EQ(t.m.open_zones(), 8u);
    EXPECT_EQ(t.m.active_zones(), 8u);
    EXPECT_EQ(t.m.count(IO), 8u);
}

TEST(ZoneStateMachineLimits, OpenLimitOnlyWithoutActiveLimit)
{
    ZoneConfig c = small_config();
    c.max_active = 0;
    Zsm t(c);
    for (uint32_t z = 0; z < 6; z++) {
        ASSERT_EQ(t.write(t.m.zslba(z), 1), kOk);
    }
    EXPECT_EQ(t.m.open_zones(), 2u);
    EXPECT_EQ(t.m.active_zones(), 6u);
    EXPECT_EQ(t.m.count(C), 4u);
    EXPECT_EQ(t.m.state(4), IO);
    EXPECT_EQ(t.m.state(5), IO);
}

// ---------------------------------------------------------------------------
// Select all.

TEST(ZoneStateMachineSelectAll, CloseFinishResetOffline)
{
    ZoneConfig c = small_config();
    c.max_open = 4;
    c.max_active = 6;
    Zsm t(c);
    t.put(0, IO);
    t.put(1, EO);
    ASSERT_EQ(t.write(64, 2), kOk);
    t.put(2, C);
    t.put(3, F);
    t.put(4, RO);
    t.put(5, OFF);
    // Close: every open zone; a non-zone-start slba is ignored.
    EXPECT_EQ(t.send_all(A::Close, 17), kOk);
    EXPECT_EQ(t.m.state(0), C);
    EXPECT_EQ(t.m.state(1), C);
    EXPECT_EQ(t.m.state(2), C);
    EXPECT_EQ(t.m.state(3), F);
    EXPECT_EQ(t.m.open_zones(), 0u);
    EXPECT_EQ(t.m.active_zones(), 3u);
    // Finish: every open and closed zone.
    ASSERT_EQ(t.write(4, 4), kOk);  // zone 0 open again
    t.take();
    EXPECT_EQ(t.send_all(A::Finish), kOk);
    EXPECT_EQ(t.take(), (Fx{"finish 0 [8,48)", "finish 1 [66,112)", "finish 2 [132,176)"}));
    for (uint32_t z = 0; z < 4; z++) {
        EXPECT_EQ(t.m.state(z), F);
    }
    EXPECT_EQ(t.m.state(6), E);
    EXPECT_EQ(t.m.active_zones(), 0u);
    // Reset: every open, closed and full zone (empty ones skipped).
    t.put(6, IO);
    t.put(7, C);
    EXPECT_EQ(t.send_all(A::Reset), kOk);
    EXPECT_EQ(t.take(), (Fx{"reset 0 [0,8)", "reset 1 [64,66)", "reset 2 [128,132)",
                            "reset 3 [192,240)", "reset 6 [384,388)", "reset 7 [448,452)"}));
    EXPECT_EQ(t.m.count(E), 6u);
    EXPECT_EQ(t.m.state(4), RO);
    EXPECT_EQ(t.m.state(5), OFF);
    // Offline: every read-only zone.
    EXPECT_EQ(t.send_all(A::Offline), kOk);
    EXPECT_EQ(t.m.state(4), OFF);
    EXPECT_EQ(t.m.count(OFF), 2u);
    EXPECT_EQ(t.m.check_invariants(), "");
    // Nothing matches: still success.
    EXPECT_EQ(t.send_all(A::Offline), kOk);
    EXPECT_EQ(t.send_all(A::Close), kOk);
    EXPECT_EQ(t.send_all(A::Finish), kOk);
    EXPECT_EQ(t.send_all(A::Open), kOk);
    EXPECT_EQ(t.take(), Fx{});
    EXPECT_EQ(t.m.count(E), 6u);
}

TEST(ZoneStateMachineSelectAll, OpenIsAllOrNothing)
{
    Zsm t;
    t.put(0, C);
    t.put(1, C);
    t.put(2, C);
    // Three closed zones, two open resources.
    EXPECT_EQ(t.send_all(A::Open), kTooManyOpen);
    EXPECT_EQ(t.m.count(C), 3u);
    EXPECT_EQ(t.m.open_zones(), 0u);
    // Two closed plus one explicitly open: still too many.
    ASSERT_EQ(t.send(A::Open, 2), kOk);
    EXPECT_EQ(t.send_all(A::Open), kTooManyOpen);
    EXPECT_EQ(t.m.state(0), C);
    EXPECT_EQ(t.m.state(1), C);
    EXPECT_EQ(t.m.state(2), EO);
    EXPECT_EQ(t.m.check_invariants(), "");
}

TEST(ZoneStateMachineSelectAll, OpenImplicitlyClosesImplicitlyOpenZones)
{
    Zsm t;
    t.put(0, C);
    t.put(1, C);
    t.put(2, IO);
    // Two closed zones fit once the implicitly open zone is closed.
    EXPECT_EQ(t.send_all(A::Open), kOk);
    EXPECT_EQ(t.m.state(0), EO);
    EXPECT_EQ(t.m.state(1), EO);
    EXPECT_EQ(t.m.state(2), C);  // implicitly closed, not reopened
    EXPECT_EQ(t.m.open_zones(), 2u);
    EXPECT_EQ(t.m.active_zones(), 3u);
    EXPECT_EQ(t.m.check_invariants(), "");
}

// ---------------------------------------------------------------------------
// ZRWA: size 8, flush granularity 4, zone 0 (capacity end 48).

TEST(ZoneStateMachineZrwa, WindowArithmetic)
{
    Zsm t;
    ASSERT_EQ(t.send(A::Open, 0, true), kOk);
    EXPECT_EQ(t.m.zone(0).attrs, kZrwav);
    EXPECT_EQ(t.m.zrwa_in_use(), 1u);
    // Inside [wp, wp + 8): the write pointer stays.
    ASSERT_EQ(t.write(0, 4), kOk);
    ASSERT_EQ(t.write(2, 4), kOk);  // overwrite inside the ZRWA
    ASSERT_EQ(t.write(4, 4), kOk);  // ends exactly at wp + 8
    EXPECT_EQ(t.wp(0), 0u);
    EXPECT_EQ(t.m.zone(0).written_end, 8u);
    EXPECT_EQ(t.take(), Fx{});
    // Ending in the implicit flush region [wp + 8, wp + 16): wp moves by
    // whole granules until the write ends inside the ZRWA.
    ASSERT_EQ(t.write(4, 6), kOk);  // ends at 10: 2 past -> one granule
    EXPECT_EQ(t.wp(0), 4u);
    EXPECT_EQ(t.take(), Fx{"commit 0 [0,4)"});
    ASSERT_EQ(t.write(4, 12), kOk);  // ends at 16: 4 past -> one granule
    EXPECT_EQ(t.wp(0), 8u);
    EXPECT_EQ(t.take(), Fx{"commit 0 [4,8)"});
    ASSERT_EQ(t.write(16, 8), kOk);  // ends at 24 = wp + 16: 8 past -> two
    EXPECT_EQ(t.wp(0), 16u);
    EXPECT_EQ(t.take(), Fx{"commit 0 [8,16)"});
    ASSERT_EQ(t.write(30, 1), kOk);  // ends at 31: 7 past -> two granules
    EXPECT_EQ(t.wp(0), 24u);
    EXPECT_EQ(t.m.zone(0).written_end, 31u);
    EXPECT_EQ(t.take(), Fx{"commit 0 [16,24)"});
    // Beyond 2 x ZRWA size from wp: invalid.
    EXPECT_EQ(t.write(39, 2), kInvalidWrite);  // ends at 41 > 40
    EXPECT_EQ(t.write(23, 1), kInvalidWrite);  // below wp
    EXPECT_EQ(t.m.state(0), EO);               // explicitly open throughout
    EXPECT_EQ(t.m.check_invariants(), "");
    // Explicit flush: wp 24, ZRWA [24, 32).
    EXPECT_EQ(t.flush(23), kInvalidField);
    EXPECT_EQ(t.flush(32), kBoundary);
    EXPECT_EQ(t.flush(24), kInvalidField);  // 1 LBA
    EXPECT_EQ(t.flush(26), kInvalidField);  // 3 LBAs
    EXPECT_EQ(t.take(), Fx{});
    EXPECT_EQ(t.flush(27), kOk);  // 4 LBAs
    EXPECT_EQ(t.wp(0), 28u);
    EXPECT_EQ(t.take(), Fx{"commit 0 [24,28)"});
    EXPECT_EQ(t.flush(35), kOk);  // 8 LBAs, past what was written (31)
    EXPECT_EQ(t.wp(0), 36u);
    EXPECT_EQ(t.m.zone(0).written_end, 36u);
    EXPECT_EQ(t.take(), Fx{"commit 0 [28,36)"});
    EXPECT_EQ(t.m.check_invariants(), "");
}

TEST(ZoneStateMachineZrwa, FinishCommitsWhatWasWritten)
{
    Zsm t;
    ASSERT_EQ(t.send(A::Open, 0, true), kOk);
    ASSERT_EQ(t.write(0, 10), kOk);  // wp 4, written_end 10
    EXPECT_EQ(t.take(), Fx{"commit 0 [0,4)"});
    EXPECT_EQ(t.send(A::Finish, 0), kOk);
    EXPECT_EQ(t.take(), (Fx{"commit 0 [4,10)", "finish 0 [10,48)"}));
    EXPECT_EQ(t.m.state(0), F);
    EXPECT_EQ(t.wp(0), 48u);
    EXPECT_EQ(t.m.zone(0).attrs, 0);
    EXPECT_EQ(t.m.zrwa_in_use(), 0u);
    EXPECT_EQ(t.m.open_zones(), 0u);
    EXPECT_EQ(t.m.active_zones(), 0u);
    EXPECT_EQ(t.send(A::Reset, 0), kOk);
    EXPECT_EQ(t.take(), Fx{"reset 0 [0,10)"});
    // Finish of a ZRWA zone with nothing beyond wp: no commit.
    ASSERT_EQ(t.send(A::Open, 0, true), kOk);
    EXPECT_EQ(t.send(A::Finish, 0), kOk);
    EXPECT_EQ(t.take(), Fx{"finish 0 [0,48)"});
    EXPECT_EQ(t.m.check_invariants(), "");
}

TEST(ZoneStateMachineZrwa, FullAtCapacityReleasesTheZrwa)
{
    Zsm t;
    ASSERT_EQ(t.send(A::Open, 0, true), kOk);
    ASSERT_EQ(t.write(0, 44), kInvalidWrite);  // beyond wp + 16
    for (uint64_t lba = 0; lba < 48; lba += 8) {
        ASSERT_EQ(t.write(lba, 8), kOk) << lba;
    }
    EXPECT_EQ(t.wp(0), 40u);  // [40, 48) still in the ZRWA
    EXPECT_EQ(t.m.state(0), EO);
    EXPECT_EQ(t.write(44, 8), kBoundary);  // past the capacity
    EXPECT_EQ(t.flush(51), kBoundary);     // past the capacity (and the ZRWA)
    t.take();
    EXPECT_EQ(t.flush(47), kOk);
    EXPECT_EQ(t.take(), Fx{"commit 0 [40,48)"});
    EXPECT_EQ(t.m.state(0), F);
    EXPECT_EQ(t.m.zone(0).attrs, 0);
    EXPECT_EQ(t.m.zrwa_in_use(), 0u);
    EXPECT_EQ(t.m.open_zones(), 0u);
    EXPECT_EQ(t.m.active_zones(), 0u);
    EXPECT_EQ(t.flush(47), kInvalidField);  // no ZRWA any more
    EXPECT_EQ(t.m.check_invariants(), "");
}

TEST(ZoneStateMachineZrwa, ResetReleasesTheZrwa)
{
    Zsm t;
    ASSERT_EQ(t.send(A::Open, 3, true), kOk);
    ASSERT_EQ(t.write(192 + 5, 2), kOk);
    EXPECT_EQ(t.send(A::Reset, 3), kOk);
    EXPECT_EQ(t.take(), Fx{"reset 3 [192,199)"});
    EXPECT_EQ(t.m.zone(3).attrs, 0);
    EXPECT_EQ(t.m.zrwa_in_use(), 0u);
    EXPECT_EQ(t.m.state(3), E);
    EXPECT_EQ(t.m.check_invariants(), "");
}

TEST(ZoneStateMachineZrwa, ZrwaOpenNeedsOpenAndActiveResources)
{
    ZoneConfig c = small_config();
    c.zrwa_resources = 4;
    Zsm t(c);
    t.put(0, EO);
    t.put(1, EO);
    EXPECT_EQ(t.send(A::Open, 2, true), kTooManyOpen);
    EXPECT_EQ(t.m.zrwa_in_use(), 0u);
    ASSERT_EQ(t.send(A::Close, 1), kOk);  // back to empty
    t.put(1, C);
    t.put(3, IO);
    EXPECT_EQ(t.send(A::Open, 2, true), kTooManyActive);
    EXPECT_EQ(t.m.zrwa_in_use(), 0u);
    EXPECT_EQ(t.m.state(3), IO);
}

// ---------------------------------------------------------------------------
// Zone Append.

TEST(ZoneStateMachineAppend, InterleavedWritersGetContiguousDistinctLbas)
{
    Zsm t;
    t.put(4, E);
    const uint64_t zs = t.m.zslba(4);
    std::vector<std::pair<uint64_t, uint32_t>> got;
    const uint32_t sizes[2] = {5, 7};  // 12 per round: 4 rounds fill 48
    for (int i = 0; i < 8; i++) {
        uint64_t lba = 0;
        const uint32_t nlb = sizes[i % 2];
        ASSERT_EQ(t.m.check_append(zs, nlb, lba), kOk) << i;
        EXPECT_EQ(lba, t.wp(4));
        t.m.commit_write(lba, nlb, t.fx);
        got.emplace_back(lba, nlb);
        EXPECT_EQ(t.m.state(4), i == 7 ? F : IO) << i;
    }
    uint64_t next = zs;
    for (const auto &[lba, nlb] : got) {
        EXPECT_EQ(lba, next);  // contiguous, so distinct
        next += nlb;
    }
    EXPECT_EQ(next, zs + 48);
    EXPECT_EQ(t.wp(4), zs + 48);
    EXPECT_EQ(t.m.open_zones(), 0u);
    EXPECT_EQ(t.m.active_zones(), 0u);
    uint64_t lba = 0;
    EXPECT_EQ(t.m.check_append(zs, 1, lba), kFull);
    EXPECT_EQ(t.take().size(), 8u);
    EXPECT_EQ(t.m.check_invariants(), "");
}

TEST(ZoneStateMachineAppend, AssignsTheWritePointerAndChecksLikeAWrite)
{
    Zsm t;
    uint64_t lba = 0;
    ASSERT_EQ(t.append(1, 40, &lba), kOk);
    EXPECT_EQ(lba, 64u);
    EXPECT_EQ(t.take(), Fx{"commit 1 [64,104)"});
    EXPECT_EQ(t.m.check_append(64, 9, lba), kBoundary);
    EXPECT_EQ(lba, 104u);
    ASSERT_EQ(t.append(1, 8, &lba), kOk);
    EXPECT_EQ(lba, 104u);
    EXPECT_EQ(t.m.state(1), F);
    EXPECT_EQ(t.m.check_append(64, 1, lba), kFull);
}

TEST(ZoneStateMachineAppend, FullZoneWithCapacityEqualToSize)
{
    ZoneConfig c = small_config();
    c.zone_cap_lbas = 64;  // a full zone's wp is the next zone's zslba
    Zsm t(c);
    ASSERT_EQ(t.append(0, 64), kOk);
    EXPECT_EQ(t.m.state(0), F);
    EXPECT_EQ(t.wp(0), 64u);
    uint64_t lba = 0;
    EXPECT_EQ(t.m.check_append(0, 1, lba), kFull);
    EXPECT_EQ(t.m.state(1), E);
    EXPECT_EQ(t.m.check_invariants(), "");
}

// ---------------------------------------------------------------------------
// Plain writes.

TEST(ZoneStateMachineWrite, SequentialWritesToFullAndCommitEffects)
{
    Zsm t;
    ASSERT_EQ(t.write(128, 16), kOk);
    ASSERT_EQ(t.write(144, 31), kOk);
    EXPECT_EQ(t.m.state(2), IO);
    EXPECT_EQ(t.write(175, 2), kBoundary);
    ASSERT_EQ(t.write(175, 1), kOk);
    EXPECT_EQ(t.m.state(2), F);
    EXPECT_EQ(t.wp(2), 176u);
    EXPECT_EQ(t.m.zone(2).written_end, 176u);
    EXPECT_EQ(t.take(), (Fx{"commit 2 [128,144)", "commit 2 [144,175)", "commit 2 [175,176)"}));
    EXPECT_EQ(t.m.open_zones(), 0u);
    EXPECT_EQ(t.m.active_zones(), 0u);
    EXPECT_EQ(t.m.check_invariants(), "");
}

TEST(ZoneStateMachineWrite, ChecksDoNotChangeState)
{
    Zsm t;
    t.put(0, C);
    t.put(1, IO);
    t.put(2, IO);
    const std::vector<ZoneRecord> before = t.recs;
    uint64_t lba = 0;
    EXPECT_EQ(t.m.check_write(4, 4), kOk);  // would implicitly close zone 1
    EXPECT_EQ(t.m.check_write(68, 4), kOk);
    EXPECT_EQ(t.m.check_append(128, 4, lba), kOk);
    EXPECT_EQ(lba, 132u);
    EXPECT_EQ(t.m.check_read(0, 500), kOk);
    EXPECT_EQ(0, std::memcmp(before.data(), t.recs.data(), before.size() * sizeof(ZoneRecord)));
    EXPECT_EQ(t.m.open_zones(), 2u);
    EXPECT_EQ(t.m.state(0), C);
    EXPECT_EQ(t.m.state(1), IO);
}

// ---------------------------------------------------------------------------
// Set Zone Descriptor Extension.

TEST(ZoneStateMachineExtension, EmptyBecomesClosedWithZdev)
{
    Zsm t;
    EXPECT_EQ(t.m.set_extension(0), kOk);
    EXPECT_EQ(t.m.state(0), C);
    EXPECT_EQ(t.m.zone(0).attrs, kZdev);
    EXPECT_EQ(t.m.active_zones(), 1u);
    EXPECT_EQ(t.m.open_zones(), 0u);
    EXPECT_EQ(t.m.set_extension(0), kInvalidTransition);
    // A write implicitly opens it; ZDEV stays until reset.
    ASSERT_EQ(t.write(0, 2), kOk);
    EXPECT_EQ(t.m.state(0), IO);
    EXPECT_EQ(t.m.zone(0).attrs, kZdev);
    ASSERT_EQ(t.send(A::Finish, 0), kOk);
    EXPECT_EQ(t.m.zone(0).attrs, kZdev);
    EXPECT_EQ(t.m.check_invariants(), "");
}

// ---------------------------------------------------------------------------
// Persistence.

void expect_same_records(const std::vector<ZoneRecord> &a, const std::vector<ZoneRecord> &b)
{
    ASSERT_EQ(a.size(), b.size());
    for (size_t z = 0; z < a.size(); z++) {
        SCOPED_TRACE("zone " + std::to_string(z));
        EXPECT_EQ(a[z].state, b[z].state);
        EXPECT_EQ(a[z].wp, b[z].wp);
        EXPECT_EQ(a[z].written_end, b[z].written_end);
        EXPECT_EQ(a[z].open_seq, b[z].open_seq);
        EXPECT_EQ(a[z].resets, b[z].resets);
        EXPECT_EQ(a[z].attrs, b[z].attrs);
    }
}

TEST(ZoneStateMachinePersistence, ReloadKeepsStatesWritePointersAndCounters)
{
    ZoneConfig c = small_config();
    c.max_active = 5;
    c.max_open = 3;
    Zsm t(c);
    for (int i = 0; i < 2; i++) {  // 7: reset twice
        ASSERT_EQ(t.write(448, 1), kOk);
        ASSERT_EQ(t.send(A::Reset, 7), kOk);
    }
    ASSERT_EQ(t.write(0, 4), kOk);             // 0: implicitly open
    ASSERT_EQ(t.send(A::Open, 1, true), kOk);  // 1: explicitly open with ZRWA
    ASSERT_EQ(t.write(64, 11), kOk);           //    wp 68, written_end 75
    ASSERT_EQ(t.m.set_extension(128), kOk);    // 2: closed, ZDEV
    ASSERT_EQ(t.write(192, 20), kOk);          // 3: closed with data
    ASSERT_EQ(t.send(A::Close, 3), kOk);
    ASSERT_EQ(t.send(A::Finish, 4), kOk);  // 4: full
    ASSERT_TRUE(t.inject(5, RO));          // 5: read-only
    ASSERT_TRUE(t.inject(6, OFF));         // 6: offline
    ASSERT_EQ(t.m.check_invariants(), "");
    const std::vector<ZoneRecord> saved = t.recs;

    ZoneStateMachine again(c, t.recs.data(), false);
    expect_same_records(saved, t.recs);
    EXPECT_EQ(again.check_invariants(), "");
    EXPECT_EQ(again.open_zones(), t.m.open_zones());
    EXPECT_EQ(again.active_zones(), t.m.active_zones());
    EXPECT_EQ(again.zrwa_in_use(), t.m.zrwa_in_use());
    EXPECT_EQ(again.open_zones(), 2u);
    EXPECT_EQ(again.active_zones(), 4u);
    EXPECT_EQ(again.zrwa_in_use(), 1u);
    for (ZoneState s : kAllStates) {
        EXPECT_EQ(again.count(s), t.m.count(s)) << name(s);
    }
    EXPECT_EQ(again.zone(1).wp, 68u);
    EXPECT_EQ(again.zone(1).written_end, 75u);
    EXPECT_EQ(again.zone(7).resets, 2u);
    EXPECT_EQ(again.state(4), F);
    // The reloaded machine goes on from there: the ZRWA is still in use.
    std::vector<ZoneEffect> fx;
    EXPECT_EQ(again.send(A::Open, 7 * 64, false, true, fx), kZrwaUnavailable);
    EXPECT_EQ(again.send(A::Finish, 64, false, false, fx), kOk);
    ASSERT_EQ(fx.size(), 2u);
    EXPECT_EQ(str(fx[0]), "commit 1 [68,75)");
    EXPECT_EQ(str(fx[1]), "finish 1 [75,112)");
}

TEST(ZoneStateMachinePersistence, ReloadKeepsImplicitOpenOrder)
{
    Zsm t;
    ASSERT_EQ(t.write(64, 1), kOk);  // zone 1 first
    ASSERT_EQ(t.write(0, 1), kOk);   // then zone 0
    ZoneStateMachine again(t.cfg, t.recs.data(), false);
    std::vector<ZoneEffect> fx;
    ASSERT_EQ(again.check_write(128, 1), kOk);
    again.commit_write(128, 1, fx);
    EXPECT_EQ(again.state(1), C);  // the oldest
    EXPECT_EQ(again.state(0), IO);
    EXPECT_GT(again.zone(2).open_seq, again.zone(0).open_seq);
    ASSERT_EQ(again.check_write(65, 1), kOk);
    again.commit_write(65, 1, fx);
    EXPECT_EQ(again.state(0), C);
    EXPECT_EQ(again.state(1), IO);
    EXPECT_EQ(again.check_invariants(), "");
}

TEST(ZoneStateMachinePersistence, CorruptRecordsBecomeOffline)
{
    Zsm t;
    ASSERT_EQ(t.write(0, 4), kOk);
    ASSERT_EQ(t.write(64, 4), kOk);
    t.recs[1].state = 0x7;       // unknown state (was implicitly open)
    t.recs[2].wp = 2 * 64 + 49;  // beyond the capacity
    t.recs[3].state = static_cast<uint8_t>(C);
    t.recs[3].wp = 3 * 64 - 1;  // below the zone start
    t.recs[3].written_end = 3 * 64 - 1;
    t.recs[4].wp = ~uint64_t{0};  // wild
    t.recs[4].state = static_cast<uint8_t>(IO);
    t.recs[5].state = 0xff;
    t.recs[6].state = static_cast<uint8_t>(E);  // empty with a wild write pointer
    t.recs[6].wp = 6 * 64 + 49;
    t.recs[6].written_end = 6 * 64 + 3;
    ZoneStateMachine again(t.cfg, t.recs.data(), false);
    EXPECT_EQ(again.state(0), IO);
    for (uint32_t z = 1; z <= 6; z++) {
        EXPECT_EQ(again.state(z), OFF) << z;
    }
    EXPECT_EQ(again.state(7), E);
    EXPECT_EQ(again.open_zones(), 1u);
    EXPECT_EQ(again.active_zones(), 1u);
    EXPECT_EQ(again.check_invariants(), "");
    std::vector<ZoneEffect> fx;
    uint64_t lba = 0;
    EXPECT_EQ(again.check_write(4 * 64, 1), kOffline);
    EXPECT_EQ(again.check_append(2 * 64, 1, lba), kOffline);
    EXPECT_EQ(again.check_read(3 * 64, 1), kOffline);
    EXPECT_EQ(again.send(A::Reset, 64, false, false, fx), kInvalidTransition);
    EXPECT_EQ(again.send(A::Reset, 0, true, false, fx), kOk);
    EXPECT_EQ(again.state(1), OFF);
    // Injection brings a corrupt zone back.
    EXPECT_TRUE(again.inject(4, E, fx));
    EXPECT_EQ(again.state(4), E);
    EXPECT_EQ(again.zone(4).wp, 4u * 64);
    EXPECT_EQ(again.check_invariants(), "");
}

// A QEMU killed (SIGKILL) in the middle of a transition leaves the record
// as the transition's stores had got: each such record loads as the
// transition undone or done, never as an offline zone (they all took their
// zone offline before the store order and complete_interrupted()).
TEST(ZoneStateMachinePersistence, TransitionsCutByAKillCompleteOnReload)
{
    ZoneConfig c = small_config();
    c.max_open = 0;  // no implicit closes in the set-up
    c.max_active = 0;
    Zsm t(c);
    // Zone 0, a write of 4 LBAs cut after written_end: the data is there.
    ASSERT_EQ(t.write(0, 4), kOk);
    t.recs[0].written_end = 8;
    // Zone 1, a write that reached the capacity cut before Full.
    ASSERT_EQ(t.write(64, 44), kOk);
    t.recs[1].written_end = 64 + 48;
    t.recs[1].wp = 64 + 48;
    // Zone 2, a finish cut after the write pointer moved.
    ASSERT_EQ(t.write(128, 4), kOk);
    ASSERT_EQ(t.send(A::Close, 2), kOk);
    t.recs[2].wp = 128 + 48;
    // Zone 3, a reset cut after the state went empty.
    ASSERT_EQ(t.send(A::Finish, 3), kOk);
    t.recs[3].erase_pending = 1;
    t.recs[3].state = static_cast<uint8_t>(E);
    // Zone 5, a reset cut before the state changed.
    ASSERT_EQ(t.send(A::Finish, 5), kOk);
    t.recs[5].erase_pending = 1;
    // Zone 4, a finish of a zone with a ZRWA cut before the ZRWA's release.
    ASSERT_EQ(t.send(A::Open, 4, true), kOk);
    ASSERT_EQ(t.write(4 * 64, 4), kOk);
    t.recs[4].state = static_cast<uint8_t>(F);
    t.recs[4].wp = 4 * 64 + 48;
    ZoneStateMachine again(t.cfg, t.recs.data(), false);
    EXPECT_EQ(again.check_invariants(), "");
    EXPECT_EQ(again.state(0), IO);
    EXPECT_EQ(again.zone(0).wp, 8u);
    EXPECT_EQ(again.state(1), F);
    EXPECT_EQ(again.zone(1).wp, 64u + 48);
    EXPECT_EQ(again.state(2), F);
    EXPECT_EQ(again.zone(2).wp, 128u + 48);
    EXPECT_EQ(again.state(3), E);
    EXPECT_EQ(again.zone(3).wp, 192u);
    EXPECT_EQ(again.zone(3).written_end, 192u);
    EXPECT_EQ(again.zone(3).resets, 0u);
    EXPECT_TRUE(again.pending_erase(3));  // the caller zeroes the data, then:
    again.erased(3);
    EXPECT_FALSE(again.pending_erase(3));
    EXPECT_EQ(again.state(5), F);
    EXPECT_FALSE(again.pending_erase(5));
    EXPECT_EQ(again.state(4), F);
    EXPECT_EQ(again.zone(4).attrs, 0);
    EXPECT_EQ(again.zrwa_in_use(), 0u);
    EXPECT_EQ(again.open_zones(), 1u);
    EXPECT_EQ(again.active_zones(), 1u);
    uint64_t lba = 0;
    EXPECT_EQ(again.check_append(0, 1, lba), kOk);
    EXPECT_EQ(lba, 8u);
}

// ---------------------------------------------------------------------------
// Changed zone list.

TEST(ZoneStateMachineChanged, ListAndOverflow)
{
    ZoneConfig c = small_config();
    c.zones = 600;
    c.max_open = 0;
    c.max_active = 0;
    Zsm t(c);
    bool overflow = true;
    EXPECT_FALSE(t.m.has_changed());
    EXPECT_TRUE(t.m.take_changed(overflow).empty());
    EXPECT_FALSE(overflow);
    for (uint32_t z = 0; z < 511; z++) {
        ASSERT_TRUE(t.inject(z, RO));
    }
    ASSERT_TRUE(t.inject(7, OFF));  // already listed: not twice
    EXPECT_TRUE(t.m.has_changed());
    std::vector<uint32_t> list = t.m.take_changed(overflow);
    EXPECT_FALSE(overflow);
    ASSERT_EQ(list.size(), 511u);
    for (uint32_t z = 0; z < 511; z++) {
        EXPECT_EQ(list[z], z);
    }
    EXPECT_FALSE(t.m.has_changed());
    // 512 distinct zones: the list keeps 511 and overflows.
    for (uint32_t z = 0; z < 512; z++) {
        ASSERT_TRUE(t.inject(z, OFF));
    }
    EXPECT_TRUE(t.m.has_changed());
    list = t.m.take_changed(overflow);
    EXPECT_TRUE(overflow);
    EXPECT_EQ(list.size(), 511u);
    EXPECT_EQ(list.front(), 0u);
    EXPECT_EQ(list.back(), 510u);
    EXPECT_FALSE(t.m.has_changed());
    list = t.m.take_changed(overflow);
    EXPECT_FALSE(overflow);
    EXPECT_TRUE(list.empty());
    // Only injection lists zones; failed injections do not.
    ASSERT_EQ(t.write(599 * 64, 1), kOk);
    ASSERT_EQ(t.send(A::Finish, 598), kOk);
    EXPECT_FALSE(t.inject(598, E));
    EXPECT_FALSE(t.m.has_changed());
    EXPECT_EQ(t.m.check_invariants(), "");
}

// ---------------------------------------------------------------------------
// Randomized: invariants and limits after every operation.

TEST(ZoneStateMachineRandom, InvariantsHoldUnderRandomOperations)
{
    ZoneConfig c;
    c.zone_lbas = 64;
    c.zone_cap_lbas = 48;
    c.zones = 16;
    c.max_open = 3;
    c.max_active = 5;
    c.zrwa_lbas = 8;
    c.zrwa_fg_lbas = 4;
    c.zrwa_resources = 2;
    Zsm t(c);
    std::mt19937_64 rng(20240611);
    auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
    std::map<uint16_t, int> seen;      // statuses returned
    std::map<std::string, int> moves;  // state transitions observed

    auto same = [&](const std::vector<ZoneRecord> &before, uint32_t o, uint32_t a, uint32_t r) {
        return std::memcmp(before.data(), t.recs.data(), before.size() * sizeof(ZoneRecord)) == 0 &&
               o == t.m.open_zones() && a == t.m.active_zones() && r == t.m.zrwa_in_use();
    };

    for (int i = 0; i < 5000; i++) {
        const uint32_t z = static_cast<uint32_t>(pick(c.zones));
        const uint64_t zs = t.m.zslba(z);
        const ZoneState before_state = t.m.state(z);
        const std::vector<ZoneRecord> before = t.recs;
        const uint32_t o = t.m.open_zones(), a = t.m.active_zones(), r = t.m.zrwa_in_use();
        uint16_t st = kOk;
        const uint64_t op = pick(20);
        if (op < 8) {  // write, mostly at the write pointer
            const ZoneRecord &rec = t.m.zone(z);
            uint64_t slba = rec.wp;
            const uint64_t how = pick(10);
            if (how == 0) {
                slba = zs + pick(c.zone_lbas);
            } else if (how < 4) {
                slba = rec.wp + pick(20);
            }
            if (slba >= c.zones * c.zone_lbas) {
                slba = zs;
            }
            const uint32_t nlb = static_cast<uint32_t>(1 + pick(how == 9 ? 48 : 12));
            st = t.m.check_write(slba, nlb);
            ASSERT_TRUE(same(before, o, a, r)) << "check_write changed state at op " << i;
            if (st == kOk) {
                t.m.commit_write(slba, nlb, t.fx);
            }
        } else if (op < 10) {  // append
            uint64_t lba = 0;
            const uint32_t nlb = static_cast<uint32_t>(1 + pick(16));
            st = t.m.check_append(zs, nlb, lba);
            ASSERT_TRUE(same(before, o, a, r)) << "check_append changed state at op " << i;
            if (st == kOk) {
                EXPECT_EQ(lba, t.m.zone(z).wp);
                t.m.commit_write(lba, nlb, t.fx);
            }
        } else if (op < 11) {  // read
            st = t.m.check_read(pick(c.zones * c.zone_lbas - 100),
                                static_cast<uint32_t>(1 + pick(100)));
            ASSERT_TRUE(same(before, o, a, r));
        } else if (op < 17) {  // Zone Management Send
            // Weighted: opens (half with a ZRWA) and resets keep zones moving.
            static constexpr ZoneAction kActions[] = {A::Open,   A::Open,   A::Open,  A::Reset,
                                                      A::Reset,  A::Reset,  A::Close, A::Close,
                                                      A::Finish, A::Offline};
            const ZoneAction action = kActions[pick(std::size(kActions))];
            const bool all = pick(15) == 0;
            const bool zrwa = pick(2) == 0;
            const uint64_t slba = pick(30) == 0 ? zs + 1 : zs;
            st = t.m.send(action, slba, all, zrwa, t.fx);
            moves[std::string(name(action)) + (all ? "*" : "") + ":" + name(before_state) + "->" +
                  name(t.m.state(z))]++;
        } else if (op < 18) {  // explicit ZRWA flush
            const uint64_t elba = t.m.zone(z).wp + pick(12) - (pick(8) == 0 ? 1 : 0);
            if (elba < c.zones * c.zone_lbas) {
                st = t.m.zrwa_flush(elba, t.fx);
            }
        } else if (op < 19) {
            st = t.m.set_extension(pick(10) == 0 ? zs + 3 : zs);
        } else {  // fault injection, rarely
            if (pick(8) == 0) {
                static constexpr ZoneState kTargets[] = {RO, RO, OFF, E, E, E, IO, C, F};
                const ZoneState target = kTargets[pick(std::size(kTargets))];
                t.m.inject(z, target, t.fx);
            }
        }
        seen[st]++;
        // Effects are well-formed: inside the zone's capacity, commits
        // contiguous from the previous write pointer.
        for (const ZoneEffect &e : t.fx) {
            const uint64_t lo = t.m.zslba(e.zone), hi = lo + c.zone_cap_lbas;
            ASSERT_LE(lo, e.from) << str(e);
            ASSERT_LE(e.from, e.to) << str(e);
            ASSERT_LE(e.to, hi) << str(e);
            if (e.kind == ZoneEffect::Kind::Commit) {
                ASSERT_LT(e.from, e.to) << str(e);
                ASSERT_EQ(e.from, before[e.zone].wp) << str(e);
            }
        }
        t.fx.clear();
        ASSERT_EQ(t.m.check_invariants(), "") << "after op " << i;
        ASSERT_LE(t.m.open_zones(), c.max_open) << i;
        ASSERT_LE(t.m.active_zones(), c.max_active) << i;
        ASSERT_LE(t.m.zrwa_in_use(), c.zrwa_resources) << i;
        if (i % 500 == 499) {  // a reload sees the same machine
            std::vector<ZoneRecord> copy = t.recs;
            ZoneStateMachine again(c, copy.data(), false);
            expect_same_records(t.recs, copy);
            ASSERT_EQ(again.open_zones(), t.m.open_zones());
            ASSERT_EQ(again.active_zones(), t.m.active_zones());
            ASSERT_EQ(again.zrwa_in_use(), t.m.zrwa_in_use());
        }
    }
    bool overflow;
    t.m.take_changed(overflow);
    // The run exercised the interesting outcomes.
    for (uint16_t code :
         {kOk, kInvalidField, kInvalidOp, kZrwaUnavailable, kBoundary, kFull, kReadOnly, kOffline,
          kInvalidWrite, kTooManyActive, kTooManyOpen, kInvalidTransition}) {
        EXPECT_GT(seen[code], 0) << std::hex << code;
    }
    EXPECT_GT(moves.size(), 25u);
}

}  // namespace
