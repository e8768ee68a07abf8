// Get Log Page (NVMe 2.0c 5.16): Supported Log Pages, Error Information, SMART / Health
// Information, Firmware Slot Information, Commands Supported and Effects,
// Changed Namespace List, Changed Zone List (ZNS 1.1 5.3).
#include <algorithm>
#include <cstring>
#include <vector>

#include "controller.h"
#include "kv_spec.h"
#include "vendor_commands.h"

namespace nvmev {
namespace {

void put_u128(uint8_t out[16], uint64_t v)
{
    std::memset(out, 0, 16);
    std::memcpy(out, &v, sizeof(v));
}

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

// The KV commands of `table` in an effects log: the admin commands, and
// which I/O commands change the namespace's contents.
void Controller::fill_kv_effects(struct nvme_cmd_effects_log &log,
                                 const std::array<Handler, 256> &table)
{
    for (unsigned op = 0; op < 256; op++) {
        if (admin_table()[op]) {
            log.acs[op] = NVME_CMD_EFFECTS_CSUPP;
        }
        if (table[op]) {
            log.iocs[op] = NVME_CMD_EFFECTS_CSUPP;
        }
    }
    log.acs[nvme_admin_format_nvm] |= NVME_CMD_EFFECTS_NCC | (1u << 16);  // CSE 001b
    for (unsigned op :
         {unsigned{kKvStore}, unsigned{kKvDelete}, unsigned{kKvVendorStore},
          unsigned{kKvVendorAppend}, unsigned{kKvVendorBatch}, unsigned{kKvVendorDelete}}) {
        if (table[op] && op != nvme_cmd_flush) {
            log.iocs[op] |= NVME_CMD_EFFECTS_LBCC;
        }
    }
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

Outcome Controller::admin_get_log_page(Request &req)
{
    const Sqe &sqe = req.sqe;
    const uint8_t lid = sqe.cdw10 & 0xff;
    const bool rae = (sqe.cdw10 >> 15) & 1;
    const uint64_t numd = ((sqe.cdw10 >> 16) | (uint64_t{sqe.cdw11 & 0xffff} << 16)) + 1;
    const uint64_t len = numd * 4;
    const uint64_t offset = sqe.cdw12 | (uint64_t{sqe.cdw13} << 32);
    const uint8_t csi = static_cast<uint8_t>(sqe.cdw14 >> 24);

    if (offset & 3) {
        return Outcome::of(kInvalidField);
    }
    if (cfg_.mdts && len > cfg_.max_transfer_bytes()) {
        return Outcome::of(kInvalidField);
    }
    std::vector<uint8_t> page;
    switch (lid) {
        case NVME_LOG_LID_SUPPORTED_LOG_PAGES: {
            // Per command set (CSI): the Changed Zone List belongs to CSI 2.
            if (csi != NVME_CSI_NVM && !(csi == NVME_CSI_ZNS && first_zoned()) &&
                !(csi == NVME_CSI_KV && first_kv())) {
                return Outcome::of(kInvalidField);
            }
            page.resize(sizeof(struct nvme_supported_log_pages));
            auto *log = reinterpret_cast<struct nvme_supported_log_pages *>(page.data());
            for (unsigned id :
                 {NVME_LOG_LID_SUPPORTED_LOG_PAGES, NVME_LOG_LID_ERROR, NVME_LOG_LID_SMART,
                  NVME_LOG_LID_FW_SLOT, NVME_LOG_LID_CMD_EFFECTS}) {
                log->lid_support[id] = htole32(1);  // LSUPP
            }
            if (multi_namespace()) {
                log->lid_support[NVME_LOG_LID_CHANGED_NS] = htole32(1);
            }
            if (csi == NVME_CSI_ZNS) {
                log->lid_support[NVME_LOG_LID_ZNS_CHANGED_ZONES] = htole32(1);
            }
            break;
        }
        case NVME_LOG_LID_ERROR: {
            page.resize(64 * sizeof(struct nvme_error_log_page));
            size_t i = 0;
            for (const auto &e : error_log_) {
                std::memcpy(page.data() + i++ * sizeof(e), &e, sizeof(e));
            }
            break;
        }
        case NVME_LOG_LID_SMART: {
            // Controller-wide only (LPA bit 0 clear): NSID 0, FFFFFFFFh, or
            // an active namespace, which reads the same aggregate.
            if (sqe.nsid != 0 && sqe.nsid != 0xffffffffu && !active_namespace(sqe.nsid)) {
                return Outcome::of(kInvalidNamespace);
            }
            page.resize(sizeof(struct nvme_smart_log));
            fill_smart(*reinterpret_cast<struct nvme_smart_log *>(page.data()));
            break;
        }
        case NVME_LOG_LID_FW_SLOT: {
            page.resize(sizeof(struct nvme_firmware_slot));
            auto *fw = reinterpret_cast<struct nvme_firmware_slot *>(page.data());
            fw->afi = 1;
            std::memcpy(fw->frs[0], "1.0     ", 8);
            break;
        }
        case NVME_LOG_LID_CMD_EFFECTS: {
            if (csi != NVME_CSI_NVM && !(csi == NVME_CSI_ZNS && first_zoned()) &&
                !(csi == NVME_CSI_KV && first_kv())) {
                return Outcome::of(kInvalidField);
            }
            page.resize(sizeof(struct nvme_cmd_effects_log));
            auto *log = reinterpret_cast<struct nvme_cmd_effects_log *>(page.data());
            if (csi == NVME_CSI_KV) {
                fill_kv_effects(*log, kv_table());
                break;
            }
            if (csi == NVME_CSI_NVM && has_vendor_kv()) {
                fill_kv_effects(*log, kv_vendor_table());  // then the NVM commands on top
            }
            const auto zoned_op = [](unsigned op) {
                return op == nvme_zns_cmd_mgmt_send || op == nvme_zns_cmd_mgmt_recv ||
                       op == nvme_zns_cmd_append;
            };
            for (unsigned op = 0; op < 256; op++) {
                if (admin_table()[op]) {
                    log->acs[op] = NVME_CMD_EFFECTS_CSUPP;
                }
                if (io_table()[op] && (csi == NVME_CSI_ZNS || !zoned_op(op))) {
                    log->iocs[op] = NVME_CMD_EFFECTS_CSUPP;
                }
            }
            // Format changes the block size and contents of the namespace
            // and runs alone on it.
            log->acs[nvme_admin_format_nvm] |=
                NVME_CMD_EFFECTS_LBCC | NVME_CMD_EFFECTS_NCC | (1u << 16);  // CSE 001b
            for (unsigned op :
                 {nvme_cmd_write, nvme_cmd_write_zeroes, nvme_cmd_write_uncor, nvme_cmd_copy}) {
                log->iocs[op] |= NVME_CMD_EFFECTS_LBCC;
            }
            if (csi == NVME_CSI_ZNS) {
                log->iocs[nvme_zns_cmd_mgmt_send] |= NVME_CMD_EFFECTS_LBCC;
                log->iocs[nvme_zns_cmd_append] |= NVME_CMD_EFFECTS_LBCC;
            }
            for (const VendorCommand &v : vendor_commands()) {
                if (io_table()[v.opcode] == &Controller::io_vendor) {
                    log->iocs[v.opcode] = htole32(v.effects);
                }
            }
            break;
        }
        case NVME_LOG_LID_ZNS_CHANGED_ZONES: {
            if (!first_zoned() || csi != NVME_CSI_ZNS) {
                return Outcome::of(cmd_specific_error(NVME_SC_INVALID_LOG_PAGE));
            }
            Namespace *zns_ns = active_namespace(sqe.nsid);
            if (!zns_ns || !zns_ns->zns) {
                return Outcome::of(kInvalidNamespace);
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
            changed_overflow =
                changed_overflow || overflow || changed.size() > NVME_ZNS_CHANGED_ZONES_MAX;
            log->nrzid = htole16(changed_overflow ? 0xffff : static_cast<uint16_t>(changed.size()));
            for (size_t i = 0; !changed_overflow && i < changed.size(); ++i) {
                log->zid[i] = htole64(zones.zslba(changed[i]));
            }
            if (!rae) {  // read with RAE clear: the list is consumed
                changed.clear();
                changed_overflow = false;
            }
            break;
        }
        case NVME_LOG_LID_CHANGED_NS:
            if (!multi_namespace()) {
                return Outcome::of(cmd_specific_error(NVME_SC_INVALID_LOG_PAGE));
            }
            fill_changed_ns_log(page, !rae);
            break;
        default: return Outcome::of(cmd_specific_error(NVME_SC_INVALID_LOG_PAGE));
    }
    if (offset > page.size()) {
        return Outcome::of(kInvalidField);
    }
    // Bytes past the end of the log read as zero.
    const uint64_t n = std::min<uint64_t>(len, page.size() - offset);
    const Status st = to_host_padded(sqe, page.data() + offset, n, len);
    if (st == kSuccess && !rae) {
        clear_event_mask(lid);
    }
    return Outcome::of(st);
}

}  // namespace nvmev
