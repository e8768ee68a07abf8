// Zoned Namespace Command Set I/O (NVMe ZNS 1.1 section 4): Zone Management
// Send, Zone Management Receive and Zone Append. The zone rules for Read,
// Write and Write Zeroes are applied in nvm_io.cc through the same FTL.
#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <vector>

#include "controller.h"
#include "zns_command_set.h"

namespace nvmev {
namespace {

// Largest Zone Management Receive transfer when MDTS sets no limit: a
// report of every zone of a large namespace fits, a hostile NUMD does not
// make the controller write gigabytes.
constexpr uint64_t kMaxReportBytes = 64ull << 20;

bool matches(ftl::ZoneState s, uint8_t filter)
{
    using S = ftl::ZoneState;
    switch (filter) {
        case NVME_ZNS_ZRAS_REPORT_ALL: return true;
        case NVME_ZNS_ZRAS_REPORT_EMPTY: return s == S::Empty;
        case NVME_ZNS_ZRAS_REPORT_IMPL_OPENED: return s == S::ImplicitlyOpen;
        case NVME_ZNS_ZRAS_REPORT_EXPL_OPENED: return s == S::ExplicitlyOpen;
        case NVME_ZNS_ZRAS_REPORT_CLOSED: return s == S::Closed;
        case NVME_ZNS_ZRAS_REPORT_FULL: return s == S::Full;
        case NVME_ZNS_ZRAS_REPORT_READ_ONLY: return s == S::ReadOnly;
        case NVME_ZNS_ZRAS_REPORT_OFFLINE: return s == S::Offline;
        default: return false;
    }
}

}  // namespace

// Zone commands need a zoned namespace and CC.CSS selecting all I/O
// command sets; with CC.CSS = NVM only, a zoned namespace takes the NVM
// commands (under its zone rules) and nothing more.
ftl::ZnsFtl *ZnsCommandSet::zoned(const Request &req, Status &st)
{
    st = check_io_namespace(req);
    if (st != kSuccess) {
        return nullptr;
    }
    if (!req.ns->zns || cc_css(cc_) != NVME_CC_CSS_CSI) {
        st = kInvalidOpcode;
        return nullptr;
    }
    return req.ns->zns;
}

void ZnsCommandSet::apply_zone_effects(Namespace &ns, const std::vector<ftl::ZoneEffect> &effects)
{
    for (const auto &e : effects) {
        if (e.kind == ftl::ZoneEffect::Kind::Reset) {
            // Reset zones read as zeros again, and lose their extension.
            if (e.to > e.from) {
                zero_media(ns, e.from, e.to - e.from);
            }
            ns.zns->zones().erased(e.zone);
            const uint32_t ext = ns.cfg.zns.extension_bytes;
            if (ext) {
                std::memset(ns.zone_meta.extensions + uint64_t{e.zone} * ext, 0, ext);
            }
        }
    }
}

void ZnsCommandSet::finish_interrupted_zone_work(Namespace &ns)
{
    ftl::ZoneStateMachine &zones = ns.zns->zones();
    const uint32_t shift = ns.cfg.lba_shift();
    const uint64_t cap = zones.config().zone_cap_lbas;
    for (uint32_t z = 0; z < zones.config().zones; z++) {
        if (!zones.pending_erase(z) && !zones.pending_write(z)) {
            continue;
        }
        const ftl::ZoneRecord &r = zones.zone(z);
        const uint64_t from =
            zones.pending_erase(z) ? zones.zslba(z) : std::max(r.wp, r.written_end);
        const uint64_t to = zones.zslba(z) + cap;
        // Pages still zero are left alone: a sparse file stays sparse.
        uint8_t *p = ns.backing + (from << shift);
        const uint64_t len = (to - from) << shift;
        for (uint64_t off = 0; off < len; off += kPageSize) {
            const uint64_t n = std::min<uint64_t>(kPageSize, len - off);
            if (std::any_of(p + off, p + off + n, [](uint8_t b) { return b != 0; })) {
                std::memset(p + off, 0, n);
            }
        }
        ns.uncorrectable.clear(from, to - from);
        zones.erased(z);
        zones.unmark_write(z);
    }
}

Outcome ZnsCommandSet::io_zone_mgmt_send(Request &req)
{
    const Sqe &sqe = req.sqe;
    Status st;
    ftl::ZnsFtl *zns = zoned(req, st);
    if (!zns) {
        return Outcome::of(st);
    }
    const uint64_t slba = sqe_slba(sqe);
    const uint8_t action = sqe.cdw13 & 0xff;
    const bool select_all = (sqe.cdw13 >> 8) & 1;
    const bool zrwaa = (sqe.cdw13 >> 9) & 1;
    if (!select_all && slba >= req.ns->cfg.nlbas()) {
        return Outcome::of(kLbaOutOfRange);
    }
    Outcome out;
    switch (action) {
        case NVME_ZNS_ZSA_CLOSE:
        case NVME_ZNS_ZSA_FINISH:
        case NVME_ZNS_ZSA_OPEN:
        case NVME_ZNS_ZSA_RESET:
        case NVME_ZNS_ZSA_OFFLINE: {
            req.ns->zone_effects.clear();
            const ftl::MediaResult r = zns->send(static_cast<ftl::ZoneAction>(action), slba,
                                                 select_all, action == NVME_ZNS_ZSA_OPEN && zrwaa,
                                                 req.fetched_ns, req.ns->zone_effects);
            apply_zone_effects(*req.ns, req.ns->zone_effects);
            out.status = r.status;
            out.complete_at_ns = r.complete_at_ns;
            return out;
        }
        case NVME_ZNS_ZSA_SET_DESC_EXT: {
            const uint32_t ext = req.ns->cfg.zns.extension_bytes;
            if (select_all || ext == 0) {
                return Outcome::of(kInvalidField);
            }
            // The extension lands in a local copy first: the zone changes only
            // if the state machine accepts it.
            std::vector<uint8_t> data(ext);
            st = xfer_.from_host(sqe, data.data(), ext);
            if (st != kSuccess) {
                return Outcome::of(st);
            }
            st = zns->zones().set_extension(slba);
            if (st == kSuccess) {
                std::memcpy(
                    req.ns->zone_meta.extensions + uint64_t{zns->zones().zone_of(slba)} * ext,
                    data.data(), ext);
            }
            out.status = st;
            out.complete_at_ns = req.fetched_ns + req.ns->cfg.zns.media.timing.fw_write_ns;
            return out;
        }
        case NVME_ZNS_ZSA_ZRWA_FLUSH: {
            if (select_all) {
                return Outcome::of(kInvalidField);
            }
            const ftl::MediaResult r = zns->zrwa_flush(slba, req.fetched_ns);
            out.status = r.status;
            out.complete_at_ns = r.complete_at_ns;
            return out;
        }
        default: return Outcome::of(kInvalidField);
    }
}

Outcome ZnsCommandSet::io_zone_mgmt_recv(Request &req)
{
    const Sqe &sqe = req.sqe;
    Status st;
    ftl::ZnsFtl *zns = zoned(req, st);
    if (!zns) {
        return Outcome::of(st);
    }
    const ftl::ZoneStateMachine &zones = zns->zones();
    const uint64_t slba = sqe_slba(sqe);
    const uint64_t len = (uint64_t{sqe.cdw12} + 1) * 4;
    const uint8_t action = sqe.cdw13 & 0xff;
    const uint8_t filter = (sqe.cdw13 >> 8) & 0xff;
    const bool partial = (sqe.cdw13 >> 16) & 1;
    const uint32_t ext = req.ns->cfg.zns.extension_bytes;
    if (action != NVME_ZNS_ZRA_REPORT_ZONES &&
        (action != NVME_ZNS_ZRA_EXTENDED_REPORT_ZONES || ext == 0)) {
        return Outcome::of(kInvalidField);
    }
    if (filter > NVME_ZNS_ZRAS_REPORT_OFFLINE) {
        return Outcome::of(kInvalidField);
    }
    if (slba >= req.ns->cfg.nlbas()) {
        return Outcome::of(kLbaOutOfRange);
    }
    const uint64_t limit = cfg_.mdts ? cfg_.max_transfer_bytes() : kMaxReportBytes;
    if (len > limit) {
        return Outcome::of(kInvalidField);
    }
    const bool extended = action == NVME_ZNS_ZRA_EXTENDED_REPORT_ZONES;
    const uint64_t entry = sizeof(struct nvme_zns_desc) + (extended ? ext : 0);
    const uint64_t header = sizeof(struct nvme_zone_report);
    const uint64_t fit = len > header ? (len - header) / entry : 0;

    req.ns->report.assign(std::min<uint64_t>(len, header + fit * entry), 0);
    uint64_t matched = 0, listed = 0;
    for (uint32_t z = zones.zone_of(slba); z < zones.config().zones; ++z) {
        if (!matches(zones.state(z), filter)) {
            continue;
        }
        ++matched;
        if (listed == fit) {
            if (partial) {
                break;  // the count covers listed zones only
            }
            continue;
        }
        const ftl::ZoneRecord &r = zones.zone(z);
        struct nvme_zns_desc d {};
        d.zt = NVME_ZONE_TYPE_SEQWRITE_REQ;
        d.zs = static_cast<uint8_t>(r.state << 4);
        d.za = r.attrs;
        d.zcap = htole64(zones.config().zone_cap_lbas);
        d.zslba = htole64(zones.zslba(z));
        // A full zone reports zslba + zcap (where its last write ended).
        d.wp = htole64(r.wp);
        uint8_t *p = req.ns->report.data() + header + listed * entry;
        std::memcpy(p, &d, sizeof(d));
        if (extended && (r.attrs & NVME_ZNS_ZA_ZDEV)) {
            std::memcpy(p + sizeof(d), req.ns->zone_meta.extensions + uint64_t{z} * ext, ext);
        }
        ++listed;
    }
    if (req.ns->report.size() >= 8) {
        const uint64_t n = htole64(partial ? listed : matched);
        std::memcpy(req.ns->report.data(), &n, sizeof(n));
    }
    Outcome out;
    out.status = xfer_.to_host_padded(sqe, req.ns->report.data(), req.ns->report.size(), len);
    out.complete_at_ns = req.fetched_ns + req.ns->cfg.zns.media.timing.fw_read_4k_ns;
    return out;
}

Outcome ZnsCommandSet::io_zone_append(Request &req)
{
    const Sqe &sqe = req.sqe;
    Status st;
    ftl::ZnsFtl *zns = zoned(req, st);
    if (!zns) {
        return Outcome::of(st);
    }
    uint64_t zslba = 0;
    uint32_t nlb = 0;
    st = lba_range_of(req, zslba, nlb);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const bool fua = (sqe.cdw12 >> 30) & 1;
    const uint64_t bytes = uint64_t{nlb} << req.ns->cfg.lba_shift();
    const uint64_t zasl =
        req.ns->cfg.zasl_bytes ? req.ns->cfg.zasl_bytes : cfg_.max_transfer_bytes();
    if (zasl && bytes > zasl) {
        return Outcome::of(kInvalidField);  // over ZASL
    }
    uint64_t lba = 0;
    st = zns->zones().check_append(zslba, nlb, lba);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    st = move_write_data(req, lba, bytes);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    Outcome out =
        media_outcome(*req.ns, {ftl::MediaOp::Write, lba, nlb, bytes, fua, req.fetched_ns});
    zns->note_append();
    counters_.write_bytes += bytes;
    smart_.write_bytes += bytes;
    smart_.host_write_cmds++;
    out.dw0 = static_cast<uint32_t>(lba);
    out.dw1 = static_cast<uint32_t>(lba >> 32);
    return out;
}

Outcome ZnsCommandSet::execute(Request &req)
{
    const auto h = table()[req.sqe.opcode];
    return h ? (this->*h)(req) : Outcome::of(kInvalidOpcode);
}

bool ZnsCommandSet::supports(uint8_t opcode)
{
    return table()[opcode] != nullptr;
}

const IoHandlerTable<ZnsCommandSet> &ZnsCommandSet::table()
{
    static const IoHandlerTable<ZnsCommandSet> table = [] {
        IoHandlerTable<ZnsCommandSet> t{};
        t[nvme_zns_cmd_mgmt_send] = &ZnsCommandSet::io_zone_mgmt_send;
        t[nvme_zns_cmd_mgmt_recv] = &ZnsCommandSet::io_zone_mgmt_recv;
        t[nvme_zns_cmd_append] = &ZnsCommandSet::io_zone_append;
        return t;
    }();
    return table;
}

// Fault injection (QMP nvmev-zone-set-state) is the controller's: it raises
// the Zone Descriptor Changed event.

std::string Controller::inject_zone(uint64_t zone, const std::string &state, uint32_t nsid,
                                    bool &in_flight)
{
    in_flight = false;
    Namespace *ns = namespace_slot(nsid);
    if (!ns || !ns->allocated) {
        return fmt("namespace %u does not exist", nsid);
    }
    if (!ns->zns) {
        return nsid == 1
                   ? fmt("the device is ssd=%s, not ssd=zns", ns->cfg.kind_name.c_str())
                   : fmt("namespace %u is ssd=%s, not ssd=zns", nsid, ns->cfg.kind_name.c_str());
    }
    const uint32_t zones = ns->cfg.zns.zones.zones;
    if (zone >= zones) {
        return fmt("zone %" PRIu64 " does not exist (allowed: 0..%u)", zone, zones - 1);
    }
    using S = ftl::ZoneState;
    const S target = state == "read-only" ? S::ReadOnly
                     : state == "offline" ? S::Offline
                     : state == "empty"   ? S::Empty
                                          : S{};
    if (target == S{}) {
        return fmt("unknown zone state '%s' (allowed: read-only, offline, empty)", state.c_str());
    }
    // Empty zeroes the zone's blocks: not while a Read's copy of them, made
    // without the lock, is under way (a torn block, NVMe Base 2.0c 2.1.4.1).
    const uint64_t zone_lbas = ns->cfg.zns.zones.zone_lbas;
    if (target == S::Empty && copies_in_flight(ns, zone * zone_lbas, zone_lbas)) {
        in_flight = true;
        return fmt("zone %" PRIu64 " is being read (a copy of its data is under way)", zone);
    }
    ns->zone_effects.clear();
    if (!ns->zns->inject(static_cast<uint32_t>(zone), target, host_.now_ns(), ns->zone_effects)) {
        return fmt("zone %" PRIu64 " is not read-only or offline: only those can become empty",
                   zone);
    }
    ZnsCommandSet::apply_zone_effects(*ns, ns->zone_effects);
    trace::zone_fault(host_, nsid, zone, target);
    queue_event(NVME_AER_NOTICE, kZoneDescriptorChanged, NVME_LOG_LID_ZNS_CHANGED_ZONES);
    return "";
}

}  // namespace nvmev
