// Get Features and Set Features (NVMe 2.0c 5.15, 5.27), dispatched by
// feature identifier through AdminTables::features(): the table states each
// feature's default and capabilities, its entries read and change the
// value. No feature is saveable: Set Features with SV fails, and SEL = saved
// reports the default. The features and their statuses are listed in
// docs/commands.md.
#include <algorithm>
#include <cstring>

#include "admin_tables.h"
#include "controller.h"

namespace nvmev {
namespace {

enum Select : uint8_t { kCurrent = 0, kDefault = 1, kSaved = 2, kSupported = 3 };

constexpr uint16_t kDefaultOverTempK = 343;  // ID-CTRL WCTEMP

// Temperature Threshold CDW11 (5.27.1): THSEL 0 over, 1 under.
bool over_threshold(const Sqe &sqe)
{
    return ((sqe.cdw11 >> 20) & 3) == 0;
}

// Interrupt Vector Configuration CDW11 bits 15:0.
uint16_t irq_vector(const Sqe &sqe)
{
    return static_cast<uint16_t>(sqe.cdw11 & 0xffff);
}

// Number of Queues dw0: NSQA and NCQA, 0's based.
uint32_t queue_counts(uint32_t sqs, uint32_t cqs)
{
    return (sqs - 1) | (cqs - 1) << 16;
}

}  // namespace

std::span<const AdminTables::Feature> AdminTables::features()
{
    using F = Feature;
    constexpr uint8_t kNone = 0;
    // NVMe 2.0c 5.27.1. Not offered: LBA Range Type, Autonomous Power State
    // Transition (APSTA = 0), Host Memory Buffer (HMPRE = 0). Keep Alive
    // is not changeable: KAS = 0, PCIe needs none.
    static constexpr F kTable[] = {
        // Stored; arbitration is always round robin.
        {NVME_FEAT_FID_ARBITRATION, Offer::kAlways, kNone, 0, &C::feat_arbitration_, 0xffffff07u,
         nullptr, nullptr, nullptr, nullptr},
        {NVME_FEAT_FID_POWER_MGMT, Offer::kAlways, kNone, 0, &C::feat_power_state_, 0, nullptr,
         nullptr, nullptr, &C::set_power_mgmt},
        {NVME_FEAT_FID_TEMP_THRESH, Offer::kAlways, kNone, 0, nullptr, 0, &C::feature_temp_select,
         &C::get_temp_threshold, &C::default_temp_threshold, &C::set_temp_threshold},
        {NVME_FEAT_FID_ERR_RECOVERY, Offer::kAlways, kFeatureNamespaceSpecific, 0,
         &C::feat_error_recovery_, 0, nullptr, nullptr, nullptr, &C::set_error_recovery},
        {NVME_FEAT_FID_VOLATILE_WC, Offer::kAlways, kNone, 1, nullptr, 0, nullptr,
         &C::get_volatile_wc, nullptr, &C::set_volatile_wc},
        {NVME_FEAT_FID_NUM_QUEUES, Offer::kAlways, kNone, 0, nullptr, 0, nullptr,
         &C::get_num_queues, &C::default_num_queues, &C::set_num_queues},
        // Stored; not applied.
        {NVME_FEAT_FID_IRQ_COALESCE, Offer::kAlways, kNone, 0, &C::feat_irq_coalescing_, 0xffff,
         nullptr, nullptr, nullptr, nullptr},
        {NVME_FEAT_FID_IRQ_CONFIG, Offer::kAlways, kNone, 0, nullptr, 0, &C::feature_irq_vector,
         &C::get_irq_config, &C::default_irq_config, &C::set_irq_config},
        // Stored: commands execute one at a time, so writes are atomic anyway.
        {NVME_FEAT_FID_WRITE_ATOMIC, Offer::kAlways, kNone, 0, &C::feat_write_atomicity_, 1,
         nullptr, nullptr, nullptr, nullptr},
        {NVME_FEAT_FID_ASYNC_EVENT, Offer::kAlways, kNone, 0, &C::feat_async_event_cfg_, 0, nullptr,
         nullptr, nullptr, &C::set_async_event_cfg},
        {NVME_FEAT_FID_TIMESTAMP, Offer::kAlways, kNone, 0, nullptr, 0, nullptr, &C::get_timestamp,
         &C::default_timestamp, &C::set_timestamp},
        {NVME_FEAT_FID_KATO, Offer::kAlways, kNone, 0, nullptr, 0, nullptr, nullptr, nullptr,
         nullptr},
        {NVME_FEAT_FID_HOST_BEHAVIOR, Offer::kAlways, kNone, 0, nullptr, 0, nullptr,
         &C::get_host_behavior, &C::default_host_behavior, &C::set_host_behavior},
        {NVME_FEAT_FID_IOCS_PROFILE, Offer::kAlways, kNone, 0, &C::feat_iocs_profile_, 0, nullptr,
         nullptr, nullptr, &C::set_iocs_profile},
    };
    static_assert(unique_ids(kTable), "one entry per FID");
    // Saving needs a store for saved values, which the device does not have.
    static_assert(std::none_of(std::begin(kTable), std::end(kTable),
                               [](const F &f) { return f.caps & kFeatureSaveable; }));
    return kTable;
}

// SEL 011b (Figure 329): saveable and namespace specific as the table says;
// changeable when Set Features can change it.
uint32_t AdminTables::feature_capabilities(const Feature &f)
{
    return f.caps | (f.set || f.value ? kFeatureChangeable : 0);
}

// The offered feature with the FID of CDW10 and its selector fields
// checked; nullptr and st set otherwise.
const AdminTables::Feature *AdminTables::feature_for(const Controller &c, const Sqe &sqe,
                                                     Status &st)
{
    const Feature *f = find_entry(features(), static_cast<uint8_t>(sqe.cdw10 & 0xff));
    if (!f || !offers(c, f->offer)) {
        st = kInvalidField;
        return nullptr;
    }
    st = f->check ? (c.*f->check)(sqe) : kSuccess;
    return st == kSuccess ? f : nullptr;
}

Outcome Controller::admin_get_features(Request &req)
{
    const Sqe &sqe = req.sqe;
    const auto sel = static_cast<Select>((sqe.cdw10 >> 8) & 7);
    if (sel > kSupported) {
        return Outcome::of(kInvalidField);
    }
    Status st = kSuccess;
    const AdminTables::Feature *f = AdminTables::feature_for(*this, sqe, st);
    if (!f) {
        return Outcome::of(st);
    }
    Outcome out;
    if (sel == kSupported) {
        out.dw0 = AdminTables::feature_capabilities(*f);
    } else if (sel == kCurrent && f->get) {
        out.status = (this->*f->get)(sqe, out.dw0);
    } else if (sel == kCurrent && f->value) {
        out.dw0 = this->*f->value;
    } else {
        // The default; also for SEL saved, as no feature is saveable, and
        // the current value of a feature that never changes.
        out.dw0 = f->dflt;
        out.status = f->get_default ? (this->*f->get_default)(sqe, out.dw0) : kSuccess;
    }
    return out.status == kSuccess ? out : Outcome::of(out.status);
}

Outcome Controller::admin_set_features(Request &req)
{
    const Sqe &sqe = req.sqe;
    const bool save = sqe.cdw10 >> 31;
    const AdminTables::Feature *entry =
        find_entry(AdminTables::features(), static_cast<uint8_t>(sqe.cdw10 & 0xff));
    if (save && !(entry && (entry->caps & kFeatureSaveable))) {
        return Outcome::of(cmd_specific_error(NVME_SC_FEATURE_NOT_SAVEABLE));
    }
    Status st = kSuccess;
    const AdminTables::Feature *f = AdminTables::feature_for(*this, sqe, st);
    Outcome out;
    if (f && f->set) {
        st = (this->*f->set)(sqe, out.dw0);
    } else if (f && f->value) {
        this->*f->value = sqe.cdw11 & f->mask;
    } else if (f) {
        st = kInvalidField;  // not changeable
    }
    return st == kSuccess ? out : Outcome::of(st);
}

// Only the composite sensor (TMPSEL 0), over or under threshold.
Status Controller::feature_temp_select(const Sqe &sqe) const
{
    const uint32_t tmpsel = (sqe.cdw11 >> 16) & 0xf;
    const uint32_t thsel = (sqe.cdw11 >> 20) & 3;
    return tmpsel != 0 || thsel > 1 ? kInvalidField : kSuccess;
}

Status Controller::feature_irq_vector(const Sqe &sqe) const
{
    return irq_vector(sqe) < feat_irq_config_.size() ? kSuccess : kInvalidField;
}

Status Controller::set_power_mgmt(const Sqe &sqe, uint32_t &)
{
    if ((sqe.cdw11 & 0x1f) != 0) {
        return kInvalidField;  // NPSS = 0: only state 0
    }
    feat_power_state_ = sqe.cdw11 & 0xff;
    return kSuccess;
}

Status Controller::get_temp_threshold(const Sqe &sqe, uint32_t &dw0)
{
    dw0 = over_threshold(sqe) ? temp_over_threshold_k_ : temp_under_threshold_k_;
    return kSuccess;
}

Status Controller::default_temp_threshold(const Sqe &sqe, uint32_t &dw0)
{
    dw0 = over_threshold(sqe) ? kDefaultOverTempK : 0;  // under: off
    return kSuccess;
}

Status Controller::set_temp_threshold(const Sqe &sqe, uint32_t &)
{
    (over_threshold(sqe) ? temp_over_threshold_k_ : temp_under_threshold_k_) =
        static_cast<uint16_t>(sqe.cdw11 & 0xffff);
    check_temperature();
    return kSuccess;
}

Status Controller::set_error_recovery(const Sqe &sqe, uint32_t &)
{
    if (sqe.cdw11 & (1u << 16)) {
        return kInvalidField;  // DULBE is not supported
    }
    feat_error_recovery_ = sqe.cdw11 & 0xffff;
    return kSuccess;
}

Status Controller::get_volatile_wc(const Sqe &, uint32_t &dw0)
{
    dw0 = volatile_write_cache_;
    return kSuccess;
}

Status Controller::set_volatile_wc(const Sqe &sqe, uint32_t &)
{
    volatile_write_cache_ = sqe.cdw11 & 1;
    return kSuccess;
}

Status Controller::get_num_queues(const Sqe &, uint32_t &dw0)
{
    dw0 = queue_counts(alloc_sqs_, alloc_cqs_);
    return kSuccess;
}

Status Controller::default_num_queues(const Sqe &, uint32_t &dw0)
{
    dw0 = queue_counts(cfg_.max_ioqpairs, cfg_.max_ioqpairs);
    return kSuccess;
}

// Grants min(requested, max-ioqpairs); only before any I/O queue exists.
Status Controller::set_num_queues(const Sqe &sqe, uint32_t &dw0)
{
    const uint32_t nsqr = sqe.cdw11 & 0xffff, ncqr = sqe.cdw11 >> 16;
    if (nsqr == 0xffff || ncqr == 0xffff) {
        return kInvalidField;
    }
    for (size_t i = 1; i < sqs_.size(); i++) {
        if (sqs_[i].valid || cqs_[i].valid) {
            return kCommandSequenceError;
        }
    }
    alloc_sqs_ = static_cast<uint16_t>(std::min<uint32_t>(nsqr + 1, cfg_.max_ioqpairs));
    alloc_cqs_ = static_cast<uint16_t>(std::min<uint32_t>(ncqr + 1, cfg_.max_ioqpairs));
    dw0 = queue_counts(alloc_sqs_, alloc_cqs_);
    return kSuccess;
}

Status Controller::get_irq_config(const Sqe &sqe, uint32_t &dw0)
{
    dw0 = irq_vector(sqe) | feat_irq_config_[irq_vector(sqe)];
    return kSuccess;
}

Status Controller::default_irq_config(const Sqe &sqe, uint32_t &dw0)
{
    dw0 = irq_vector(sqe);  // coalescing not disabled
    return kSuccess;
}

Status Controller::set_irq_config(const Sqe &sqe, uint32_t &)
{
    feat_irq_config_[irq_vector(sqe)] = sqe.cdw11 & (1u << 16);
    return kSuccess;
}

Status Controller::set_async_event_cfg(const Sqe &sqe, uint32_t &)
{
    const uint32_t v = sqe.cdw11;
    feat_async_event_cfg_ = v;
    if (!(v & NVME_CTRL_OAES_ZD)) {
        drop_events(NVME_LOG_LID_ZNS_CHANGED_ZONES);  // notices now disabled
    }
    if (!(v & NVME_CTRL_OAES_NA)) {
        drop_events(NVME_LOG_LID_CHANGED_NS);
    }
    check_temperature();
    return kSuccess;
}

// Timestamp data (5.27.1.10): milliseconds since the epoch in bytes 5:0;
// byte 6 bit 0 Synch, bits 3:1 origin (1: set by the host).
Status Controller::timestamp_to_host(const Sqe &sqe, uint64_t ms, uint8_t attr)
{
    uint8_t data[8] = {};
    for (int i = 0; i < 6; i++) {
        data[i] = static_cast<uint8_t>(ms >> (8 * i));
    }
    data[6] = attr;
    return xfer_.to_host(sqe, data, sizeof(data));
}

Status Controller::get_timestamp(const Sqe &sqe, uint32_t &dw0)
{
    if (timestamp_set_at_ns_ < 0) {
        return default_timestamp(sqe, dw0);
    }
    const auto since_set = static_cast<uint64_t>((host_.now_ns() - timestamp_set_at_ns_) / 1000000);
    return timestamp_to_host(sqe, timestamp_base_ms_ + since_set, 1 << 1);
}

// Never set: the time since the device was created.
Status Controller::default_timestamp(const Sqe &sqe, uint32_t &)
{
    return timestamp_to_host(sqe, static_cast<uint64_t>((host_.now_ns() - created_ns_) / 1000000),
                             0);
}

Status Controller::set_timestamp(const Sqe &sqe, uint32_t &)
{
    uint8_t data[8];
    if (const Status st = xfer_.from_host(sqe, data, sizeof(data)); st != kSuccess) {
        return st;
    }
    uint64_t ms = 0;
    for (int i = 0; i < 6; i++) {
        ms |= uint64_t{data[i]} << (8 * i);
    }
    timestamp_base_ms_ = ms;
    timestamp_set_at_ns_ = host_.now_ns();
    return kSuccess;
}

// One combination (index 0) in the I/O Command Set data structure; the
// profile applies while CC.CSS = 110b.
Status Controller::set_iocs_profile(const Sqe &sqe, uint32_t &)
{
    if (cc_css(cc_) != NVME_CC_CSS_CSI) {
        return generic_error(NVME_SC_CMD_SEQ_ERROR);
    }
    if ((sqe.cdw11 & 0x1ff) != 0) {
        return generic_error(NVME_SC_IOCS_COMBINATION_REJECTED);
    }
    feat_iocs_profile_ = 0;
    return kSuccess;
}

Status Controller::get_host_behavior(const Sqe &sqe, uint32_t &)
{
    return xfer_.to_host(sqe, &host_behavior_, sizeof(host_behavior_));
}

Status Controller::default_host_behavior(const Sqe &sqe, uint32_t &)
{
    const struct nvme_feat_host_behavior zero {
    };
    return xfer_.to_host(sqe, &zero, sizeof(zero));
}

Status Controller::set_host_behavior(const Sqe &sqe, uint32_t &)
{
    struct nvme_feat_host_behavior hb {};
    if (const Status st = xfer_.from_host(sqe, &hb, sizeof(hb)); st != kSuccess) {
        return st;
    }
    // Only ACRE (byte 0, 0 or 1) is defined by this controller; it never
    // returns a Command Retry Delay (ID-CTRL CRDT = 0), so enabling it
    // changes nothing.
    const bool rest_zero =
        std::all_of(hb.rsvd1, hb.rsvd1 + sizeof(hb.rsvd1), [](uint8_t b) { return b == 0; });
    if (hb.acre > NVME_ENABLE_ACRE || !rest_zero) {
        return kInvalidField;
    }
    host_behavior_ = hb;
    return kSuccess;
}

}  // namespace nvmev
