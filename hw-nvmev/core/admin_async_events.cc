// Asynchronous Event Request and Keep Alive (NVMe 2.0c 5.2, 5.25). An AER
// is held until an event of an unmasked type is queued; an event type stays
// masked from delivery until the host reads its log page.
#include "controller.h"

namespace nvmev {
namespace {

constexpr size_t kMaxAers = 4;  // ID-CTRL AERL + 1

}  // namespace

Outcome Controller::admin_async_event(Request &req)
{
    const Sqe &sqe = req.sqe;
    if (aer_cids_.size() >= kMaxAers) {
        return Outcome::of(cmd_specific_error(NVME_SC_ASYNC_LIMIT));
    }
    aer_cids_.push_back(sqe.cid);
    Outcome out;
    out.held = true;
    return out;
}

void Controller::queue_event(uint8_t type, uint8_t info, uint8_t log_page)
{
    if (type == NVME_AER_SMART && !(feat_async_event_cfg_ & NVME_SMART_CRIT_TEMPERATURE)) {
        return;  // Asynchronous Event Configuration: SMART warning disabled
    }
    if (type == NVME_AER_NOTICE && info == kZoneDescriptorChanged &&
        !(feat_async_event_cfg_ & NVME_CTRL_OAES_ZD)) {
        return;  // Zone Descriptor Changed notices disabled (bit 27)
    }
    if (type == NVME_AER_NOTICE && info == NVME_AER_NOTICE_NS_CHANGED &&
        !(feat_async_event_cfg_ & NVME_CTRL_OAES_NA)) {
        return;  // Namespace Attribute Notices disabled (bit 8)
    }
    for (const auto &e : events_) {
        if (e.type == type && e.info == info) {
            return;  // already queued
        }
    }
    events_.push_back({type, info, log_page});
    trace::async_event(host_, type, info, log_page);
    host_.kick(0);  // the admin queue's group delivers it
}

void Controller::deliver_events()
{
    CompletionQueue &acq = cqs_[0];
    for (auto it = events_.begin(); it != events_.end() && !aer_cids_.empty();) {
        if (masked_event_types_ & (1u << it->type)) {
            ++it;
            continue;
        }
        if (acq.free_slots() <= acq.reserved) {
            return;  // admin CQ full: deliver once the host frees entries
        }
        Outcome out;
        // Completion dword 0 (Figure 150): type, info, log page identifier.
        out.dw0 = it->type | (uint32_t{it->info} << 8) | (uint32_t{it->log_page} << 16);
        Sqe sqe{};
        sqe.cid = aer_cids_.front();
        sqe.opcode = nvme_admin_async_event;
        aer_cids_.erase(aer_cids_.begin());
        acq.reserved++;
        schedule(0, sqe, out, host_.now_ns());
        masked_event_types_ |= 1u << it->type;
        it = events_.erase(it);
    }
}

void Controller::drop_events(uint8_t log_page)
{
    std::erase_if(events_, [log_page](const AsyncEvent &e) { return e.log_page == log_page; });
}

void Controller::clear_event_mask(uint8_t log_page)
{
    if (log_page == NVME_LOG_LID_ERROR) {
        masked_event_types_ &= ~(1u << NVME_AER_ERROR);
    } else if (log_page == NVME_LOG_LID_ZNS_CHANGED_ZONES || log_page == NVME_LOG_LID_CHANGED_NS) {
        // The host has read what a queued notice would announce: drop it,
        // so the next event reports a change the host has not seen.
        drop_events(log_page);
        masked_event_types_ &= ~(1u << NVME_AER_NOTICE);
    } else if (log_page == NVME_LOG_LID_SMART) {
        masked_event_types_ &= ~(1u << NVME_AER_SMART);
        check_temperature();  // still out of range: report it again
    }
}

void Controller::check_temperature()
{
    const bool over = composite_temp_k_ > temp_over_threshold_k_;
    const bool under = temp_under_threshold_k_ && composite_temp_k_ < temp_under_threshold_k_;
    if (over || under) {
        queue_event(NVME_AER_SMART, NVME_AER_SMART_TEMPERATURE_THRESHOLD, NVME_LOG_LID_SMART);
    }
}

Outcome Controller::admin_keep_alive(Request &)
{
    return {};  // KAS = 0: accepted, nothing to time
}

}  // namespace nvmev
