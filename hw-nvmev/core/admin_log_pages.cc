// Get Log Page (NVMe 2.0c 5.16), dispatched by log identifier through
// AdminTables::log_pages(): Supported Log Pages (derived from that table),
// Error Information, SMART / Health Information, Firmware Slot Information,
// Changed Namespace List, Changed Zone List (ZNS 1.1 5.3). The Commands
// Supported and Effects log is in log_command_effects.cc.
#include <algorithm>
#include <cstring>
#include <vector>

#include "admin_tables.h"
#include "controller.h"

namespace nvmev {
namespace {

void put_u128(uint8_t out[16], uint64_t v)
{
    std::memset(out, 0, 16);
    std::memcpy(out, &v, sizeof(v));
}

// Supported Log Pages entry (5.16.1.1): LSUPP only; no log takes an
// index offset (LPA bit 5 clear) or a LID specific parameter.
constexpr uint32_t kLogSupported = 1;

// SMART "data units": thousands of 512-byte units, rounded up (5.16.1.3).
uint64_t data_units(uint64_t bytes)
{
    const uint64_t units512 = (bytes + 511) / 512;
    return (units512 + 999) / 1000;
}

}  // namespace

void Controller::fill_smart(struct nvme_smart_log &log) const
{
    std::memset(&log, 0, sizeof(log));
    uint8_t warn = 0;
    if (composite_temp_k_ > temp_over_threshold_k_ ||
        (temp_under_threshold_k_ && composite_temp_k_ < temp_under_threshold_k_)) {
        warn |= NVME_SMART_CRIT_TEMPERATURE;
    }
    log.critical_warning = warn;
    log.temperature[0] = static_cast<uint8_t>(composite_temp_k_);
    log.temperature[1] = static_cast<uint8_t>(composite_temp_k_ >> 8);
    log.avail_spare = 100;
    log.spare_thresh = 10;
    // Wear of the most-erased block against its rated cycles (255 caps it,
    // as the spec allows values above 100).
    // With several namespaces, the most worn one's media.
    uint64_t used = 0;
    for (const auto &ns : namespaces_) {
        if (!ns) {
            continue;
        }
        const ftl::FtlStats media = ns->ftl->stats(host_.now_ns());
        if (media.rated_erase_cycles) {
            used = std::max<uint64_t>(used, media.max_erase_count * 100 / media.rated_erase_cycles);
        }
    }
    log.percent_used = static_cast<uint8_t>(std::min<uint64_t>(255, used));
    put_u128(log.data_units_read, data_units(smart_.read_bytes));
    put_u128(log.data_units_written, data_units(smart_.write_bytes));
    put_u128(log.host_reads, smart_.host_read_cmds);
    put_u128(log.host_writes, smart_.host_write_cmds);
    put_u128(log.ctrl_busy_time, smart_.busy_ns / 60000000000ull);
    put_u128(log.power_cycles, 1);
    const int64_t on_ns = host_.now_ns() - created_ns_;
    put_u128(log.power_on_hours, static_cast<uint64_t>(on_ns / 3600000000000ll));
    put_u128(log.unsafe_shutdowns, 0);
    put_u128(log.media_errors, 0);
    put_u128(log.num_err_log_entries, error_count_);
    log.temp_sensor[0] = composite_temp_k_;
}

bool Controller::has_vendor_kv() const
{
    for (const auto &ns : namespaces_) {
        if (ns && ns->kv && ns->cfg.kv.vendor_opcodes) {
            return true;
        }
    }
    return false;
}

std::span<const AdminTables::LogPage> AdminTables::log_pages()
{
    // NVMe 2.0c 5.16.1. The Supported Log Pages log lists exactly these, per CSI.
    static constexpr LogPage kTable[] = {
        {NVME_LOG_LID_SUPPORTED_LOG_PAGES, Offer::kAlways, kAnyCsi, true, false,
         LogScope::kController, &C::log_supported_pages},
        {NVME_LOG_LID_ERROR, Offer::kAlways, kAnyCsi, false, false, LogScope::kController,
         &C::log_errors},
        {NVME_LOG_LID_SMART, Offer::kAlways, kAnyCsi, false, false,
         LogScope::kControllerOrNamespace, &C::log_smart},
        {NVME_LOG_LID_FW_SLOT, Offer::kAlways, kAnyCsi, false, false, LogScope::kController,
         &C::log_firmware_slot},
        {NVME_LOG_LID_CHANGED_NS, Offer::kMultiNamespace, kAnyCsi, false, true,
         LogScope::kController, &C::log_changed_namespaces},
        {NVME_LOG_LID_CMD_EFFECTS, Offer::kAlways, kAnyCsi, true, false, LogScope::kController,
         &C::log_command_effects},
        // ZNS 1.1 5.3: a log of the Zoned Namespace Command Set only.
        {NVME_LOG_LID_ZNS_CHANGED_ZONES, Offer::kZoned, NVME_CSI_ZNS, false, true,
         LogScope::kNamespace, &C::log_changed_zones},
    };
    static_assert(unique_ids(kTable), "one entry per LID");
    return kTable;
}

bool AdminTables::log_listed(const Controller &c, const LogPage &e, uint8_t csi)
{
    return offers(c, e.offer) && (e.csi == kAnyCsi || e.csi == csi);
}

// Whether the log may be read as the command asks: a log not listed for
// the CSI is not supported; the CSI of a per-CSI log and the NSID checked.
Status AdminTables::log_page_ok(const Controller &c, const LogPage *e, const Sqe &sqe)
{
    const uint8_t csi = log_csi(sqe);
    if (!e || !log_listed(c, *e, csi)) {
        return cmd_specific_error(NVME_SC_INVALID_LOG_PAGE);
    }
    if (e->per_csi && !offers_csi(c, csi)) {
        return kInvalidField;
    }
    switch (e->scope) {
        case LogScope::kController: return kSuccess;
        case LogScope::kControllerOrNamespace:
            if (sqe.nsid == 0 || sqe.nsid == 0xffffffffu) {
                return kSuccess;
            }
            [[fallthrough]];
        case LogScope::kNamespace:
            return c.active_namespace(sqe.nsid) ? kSuccess : kInvalidNamespace;
    }
    return kInvalidNamespace;
}

Outcome Controller::admin_get_log_page(Request &req)
{
    const Sqe &sqe = req.sqe;
    const uint8_t lid = sqe.cdw10 & 0xff;
    const bool rae = (sqe.cdw10 >> 15) & 1;
    const uint64_t numd = ((sqe.cdw10 >> 16) | (uint64_t{sqe.cdw11 & 0xffff} << 16)) + 1;
    const uint64_t len = numd * 4;
    const uint64_t offset = sqe.cdw12 | (uint64_t{sqe.cdw13} << 32);
    if ((offset & 3) || (cfg_.mdts && len > cfg_.max_transfer_bytes())) {
        return Outcome::of(kInvalidField);
    }
    const AdminTables::LogPage *e = find_entry(AdminTables::log_pages(), lid);
    std::vector<uint8_t> page;
    Status st = AdminTables::log_page_ok(*this, e, sqe);
    if (st == kSuccess) {
        st = (this->*e->fill)(sqe, e->consumed && !rae, page);
    }
    if (st == kSuccess && offset > page.size()) {
        st = kInvalidField;
    }
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    // Bytes past the end of the log read as zero.
    const uint64_t n = std::min<uint64_t>(len, page.size() - offset);
    st = xfer_.to_host_padded(sqe, page.data() + offset, n, len);
    if (st == kSuccess && !rae) {
        clear_event_mask(lid);
    }
    return Outcome::of(st);
}

// Per command set (CSI): LSUPP for every log the table lists for it.
Status Controller::log_supported_pages(const Sqe &sqe, bool, std::vector<uint8_t> &page)
{
    page.resize(sizeof(struct nvme_supported_log_pages));
    auto *log = reinterpret_cast<struct nvme_supported_log_pages *>(page.data());
    for (const AdminTables::LogPage &e : AdminTables::log_pages()) {
        if (AdminTables::log_listed(*this, e, log_csi(sqe))) {
            log->lid_support[e.id] = htole32(kLogSupported);
        }
    }
    return kSuccess;
}

// The last 64 failed commands, newest first (ELPE 63).
Status Controller::log_errors(const Sqe &, bool, std::vector<uint8_t> &page)
{
    page.resize(64 * sizeof(struct nvme_error_log_page));
    size_t i = 0;
    for (const auto &e : error_log_) {
        std::memcpy(page.data() + i++ * sizeof(e), &e, sizeof(e));
    }
    return kSuccess;
}

// Controller-wide only (LPA bit 0 clear): every NSID reads the aggregate.
Status Controller::log_smart(const Sqe &, bool, std::vector<uint8_t> &page)
{
    page.resize(sizeof(struct nvme_smart_log));
    fill_smart(*reinterpret_cast<struct nvme_smart_log *>(page.data()));
    return kSuccess;
}

Status Controller::log_firmware_slot(const Sqe &, bool, std::vector<uint8_t> &page)
{
    page.resize(sizeof(struct nvme_firmware_slot));
    auto *fw = reinterpret_cast<struct nvme_firmware_slot *>(page.data());
    fw->afi = 1;
    std::memcpy(fw->frs[0], "1.0     ", 8);
    return kSuccess;
}

Status Controller::log_changed_namespaces(const Sqe &, bool consume, std::vector<uint8_t> &page)
{
    fill_changed_ns_log(page, consume);
    return kSuccess;
}

// ZNS 1.1 5.3: zones made read-only or offline since the list was consumed.
Status Controller::log_changed_zones(const Sqe &sqe, bool consume, std::vector<uint8_t> &page)
{
    Namespace *zns_ns = active_namespace(sqe.nsid);  // LogScope::kNamespace
    if (!zns_ns->zns) {
        return kInvalidNamespace;
    }
    std::vector<uint32_t> &changed = zns_ns->changed_zones;
    bool &changed_overflow = zns_ns->changed_overflow;
    page.resize(sizeof(struct nvme_zns_changed_zone_log));
    auto *log = reinterpret_cast<struct nvme_zns_changed_zone_log *>(page.data());
    ftl::ZoneStateMachine &zones = zns_ns->zns->zones();
    bool overflow = false;
    for (uint32_t z : zones.take_changed(overflow)) {
        if (std::find(changed.begin(), changed.end(), z) == changed.end()) {
            changed.push_back(z);
        }
    }
    changed_overflow = changed_overflow || overflow || changed.size() > NVME_ZNS_CHANGED_ZONES_MAX;
    log->nrzid = htole16(changed_overflow ? 0xffff : static_cast<uint16_t>(changed.size()));
    for (size_t i = 0; !changed_overflow && i < changed.size(); ++i) {
        log->zid[i] = htole64(zones.zslba(changed[i]));
    }
    if (consume) {
        changed.clear();
        changed_overflow = false;
    }
    return kSuccess;
}

}  // namespace nvmev
