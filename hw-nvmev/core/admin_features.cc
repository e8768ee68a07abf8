// Get Features and Set Features (NVMe 2.0c 5.15, 5.27). No feature is
// saveable: Set Features with SV fails, and SEL = saved reports the default.
// The features and their statuses are listed in docs/commands.md.
#include <algorithm>
#include <cstring>

#include "controller.h"

namespace nvmev {
namespace {

enum Select : uint8_t { kCurrent = 0, kDefault = 1, kSaved = 2, kSupported = 3 };

// SEL = 3 capabilities (Figure 329): saveable, namespace specific, changeable.
constexpr uint32_t kNamespaceSpecific = 1u << 1;
constexpr uint32_t kChangeable = 1u << 2;

// No feature is saveable (Set Features with SV fails).
uint32_t feature_capabilities(uint8_t fid)
{
    switch (fid) {
        case NVME_FEAT_FID_KATO: return 0;  // not changeable: KAS = 0
        case NVME_FEAT_FID_ERR_RECOVERY: return kChangeable | kNamespaceSpecific;
        default: return kChangeable;
    }
}

constexpr uint16_t kDefaultOverTempK = 343;

}  // namespace

Outcome Controller::admin_get_features(Request &req)
{
    const Sqe &sqe = req.sqe;
    const uint8_t fid = sqe.cdw10 & 0xff;
    const auto sel = static_cast<Select>((sqe.cdw10 >> 8) & 7);
    if (sel > kSupported) {
        return Outcome::of(kInvalidField);
    }
    const bool dflt = sel == kDefault || sel == kSaved;
    Outcome out;
    switch (fid) {
        case NVME_FEAT_FID_ARBITRATION: out.dw0 = dflt ? 0 : feat_arbitration_; break;
        case NVME_FEAT_FID_POWER_MGMT: out.dw0 = dflt ? 0 : feat_power_state_; break;
        case NVME_FEAT_FID_TEMP_THRESH: {
            const uint32_t tmpsel = (sqe.cdw11 >> 16) & 0xf;
            const uint32_t thsel = (sqe.cdw11 >> 20) & 3;
            if (tmpsel != 0 || thsel > 1) {
                return Outcome::of(kInvalidField);  // only the composite sensor
            }
            if (thsel == 0) {
                out.dw0 = dflt ? kDefaultOverTempK : temp_over_threshold_k_;
            } else {
                out.dw0 = dflt ? 0 : temp_under_threshold_k_;
            }
            break;
        }
        case NVME_FEAT_FID_ERR_RECOVERY: out.dw0 = dflt ? 0 : feat_error_recovery_; break;
        case NVME_FEAT_FID_VOLATILE_WC: out.dw0 = dflt ? 1 : volatile_write_cache_; break;
        case NVME_FEAT_FID_NUM_QUEUES: {
            const uint32_t n = cfg_.max_ioqpairs - 1;
            out.dw0 =
                dflt ? (n | n << 16) : (uint32_t(alloc_sqs_ - 1) | uint32_t(alloc_cqs_ - 1) << 16);
            break;
        }
        case NVME_FEAT_FID_IRQ_COALESCE: out.dw0 = dflt ? 0 : feat_irq_coalescing_; break;
        case NVME_FEAT_FID_IRQ_CONFIG: {
            const auto iv = static_cast<uint16_t>(sqe.cdw11 & 0xffff);
            if (iv >= feat_irq_config_.size()) {
                return Outcome::of(kInvalidField);
            }
            out.dw0 = iv | (dflt ? 0 : feat_irq_config_[iv]);
            break;
        }
        case NVME_FEAT_FID_WRITE_ATOMIC: out.dw0 = dflt ? 0 : feat_write_atomicity_; break;
        case NVME_FEAT_FID_ASYNC_EVENT: out.dw0 = dflt ? 0 : feat_async_event_cfg_; break;
        case NVME_FEAT_FID_IOCS_PROFILE: out.dw0 = dflt ? 0 : feat_iocs_profile_; break;
        case NVME_FEAT_FID_TIMESTAMP: {
            if (sel == kSupported) {
                break;
            }
            // Timestamp data (5.27.1.10): milliseconds since the epoch in bytes
            // 5:0; byte 6 bit 0 Synch, bits 3:1 origin (1: set by the host).
            uint64_t ms = 0;
            uint8_t attr = 0;
            if (timestamp_set_at_ns_ >= 0 && !dflt) {
                ms = timestamp_base_ms_ +
                     static_cast<uint64_t>((host_.now_ns() - timestamp_set_at_ns_) / 1000000);
                attr = 1 << 1;
            } else {
                ms = static_cast<uint64_t>((host_.now_ns() - created_ns_) / 1000000);
            }
            uint8_t data[8] = {};
            for (int i = 0; i < 6; i++) {
                data[i] = static_cast<uint8_t>(ms >> (8 * i));
            }
            data[6] = attr;
            return Outcome::of(to_host(sqe, data, sizeof(data)));
        }
        case NVME_FEAT_FID_KATO:
            out.dw0 = 0;  // keep alive is not required on PCIe (KAS = 0)
            break;
        case NVME_FEAT_FID_HOST_BEHAVIOR: {
            if (sel == kSupported) {
                break;
            }
            const struct nvme_feat_host_behavior zero {
            };
            return Outcome::of(to_host(sqe, dflt ? &zero : &host_behavior_, sizeof(zero)));
        }
        default: return Outcome::of(kInvalidField);
    }
    if (sel == kSupported) {
        out.dw0 = feature_capabilities(fid);
    }
    return out;
}

Outcome Controller::admin_set_features(Request &req)
{
    const Sqe &sqe = req.sqe;
    const uint8_t fid = sqe.cdw10 & 0xff;
    const bool save = sqe.cdw10 >> 31;
    const uint32_t v = sqe.cdw11;
    if (save) {
        return Outcome::of(cmd_specific_error(NVME_SC_FEATURE_NOT_SAVEABLE));
    }
    Outcome out;
    switch (fid) {
        case NVME_FEAT_FID_ARBITRATION: feat_arbitration_ = v & 0xffffff07u; break;
        case NVME_FEAT_FID_POWER_MGMT:
            if ((v & 0x1f) != 0) {
                return Outcome::of(kInvalidField);  // NPSS = 0: only state 0
            }
            feat_power_state_ = v & 0xff;
            break;
        case NVME_FEAT_FID_TEMP_THRESH: {
            const uint32_t tmpsel = (v >> 16) & 0xf;
            const uint32_t thsel = (v >> 20) & 3;
            if (tmpsel != 0 || thsel > 1) {
                return Outcome::of(kInvalidField);
            }
            (thsel == 0 ? temp_over_threshold_k_ : temp_under_threshold_k_) =
                static_cast<uint16_t>(v & 0xffff);
            check_temperature();
            break;
        }
        case NVME_FEAT_FID_ERR_RECOVERY:
            if (v & (1u << 16)) {
                return Outcome::of(kInvalidField);  // DULBE is not supported
            }
            feat_error_recovery_ = v & 0xffff;
            break;
        case NVME_FEAT_FID_VOLATILE_WC: volatile_write_cache_ = v & 1; break;
        case NVME_FEAT_FID_NUM_QUEUES: {
            const uint32_t nsqr = v & 0xffff, ncqr = v >> 16;
            if (nsqr == 0xffff || ncqr == 0xffff) {
                return Outcome::of(kInvalidField);
            }
            for (size_t i = 1; i < sqs_.size(); i++) {
                if (sqs_[i].valid || cqs_[i].valid) {
                    return Outcome::of(kCommandSequenceError);
                }
            }
            alloc_sqs_ = static_cast<uint16_t>(std::min<uint32_t>(nsqr + 1, cfg_.max_ioqpairs));
            alloc_cqs_ = static_cast<uint16_t>(std::min<uint32_t>(ncqr + 1, cfg_.max_ioqpairs));
            out.dw0 = uint32_t(alloc_sqs_ - 1) | uint32_t(alloc_cqs_ - 1) << 16;
            break;
        }
        case NVME_FEAT_FID_IRQ_COALESCE: feat_irq_coalescing_ = v & 0xffff; break;
        case NVME_FEAT_FID_IRQ_CONFIG: {
            const auto iv = static_cast<uint16_t>(v & 0xffff);
            if (iv >= feat_irq_config_.size()) {
                return Outcome::of(kInvalidField);
            }
            feat_irq_config_[iv] = v & (1u << 16);
            break;
        }
        case NVME_FEAT_FID_WRITE_ATOMIC: feat_write_atomicity_ = v & 1; break;
        case NVME_FEAT_FID_ASYNC_EVENT:
            feat_async_event_cfg_ = v;
            if (!(v & NVME_CTRL_OAES_ZD)) {
                drop_events(NVME_LOG_LID_ZNS_CHANGED_ZONES);  // notices now disabled
            }
            if (!(v & NVME_CTRL_OAES_NA)) {
                drop_events(NVME_LOG_LID_CHANGED_NS);
            }
            check_temperature();
            break;
        case NVME_FEAT_FID_TIMESTAMP: {
            uint8_t data[8];
            const Status st = from_host(sqe, data, sizeof(data));
            if (st != kSuccess) {
                return Outcome::of(st);
            }
            uint64_t ms = 0;
            for (int i = 0; i < 6; i++) {
                ms |= uint64_t{data[i]} << (8 * i);
            }
            timestamp_base_ms_ = ms;
            timestamp_set_at_ns_ = host_.now_ns();
            break;
        }
        case NVME_FEAT_FID_IOCS_PROFILE:
            // One combination (index 0) in the I/O Command Set data
            // structure; the profile applies while CC.CSS = 110b.
            if (cc_css(cc_) != NVME_CC_CSS_CSI) {
                return Outcome::of(generic_error(NVME_SC_CMD_SEQ_ERROR));
            }
            if ((v & 0x1ff) != 0) {
                return Outcome::of(generic_error(NVME_SC_IOCS_COMBINATION_REJECTED));
            }
            feat_iocs_profile_ = 0;
            break;
        case NVME_FEAT_FID_HOST_BEHAVIOR: {
            struct nvme_feat_host_behavior hb {};
            const Status st = from_host(sqe, &hb, sizeof(hb));
            if (st != kSuccess) {
                return Outcome::of(st);
            }
            // Only ACRE (byte 0, 0 or 1) is defined by this controller; it
            // never returns a Command Retry Delay (ID-CTRL CRDT = 0), so
            // enabling it changes nothing.
            const bool rest_zero = std::all_of(hb.rsvd1, hb.rsvd1 + sizeof(hb.rsvd1),
                                               [](uint8_t b) { return b == 0; });
            if (hb.acre > NVME_ENABLE_ACRE || !rest_zero) {
                return Outcome::of(kInvalidField);
            }
            host_behavior_ = hb;
            break;
        }
        // Not offered: Keep Alive (KAS = 0: PCIe needs none), Autonomous
        // Power State Transition (APSTA = 0), Host Memory Buffer (HMPRE = 0).
        case NVME_FEAT_FID_KATO: return Outcome::of(kInvalidField);
        default: return Outcome::of(kInvalidField);
    }
    return out;
}

}  // namespace nvmev
