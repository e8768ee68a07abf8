// The NVM subsystem: CNTLIDs, members, the shared namespaces and the check
// that a joining controller describes them alike.
#include "subsystem.h"

#include <algorithm>

#include "parameter_registry.h"

namespace nvmev {
namespace {

// NVMe 2.0c 5.17.2.1: CNTLID FFF0h..FFFFh are reserved.
constexpr uint32_t kMaxCntlid = 0xffef;

}  // namespace

std::string Subsystem::pick_cntlid(uint16_t want, uint16_t &got) const
{
    auto used = [this](uint32_t id) {
        return std::any_of(members_.begin(), members_.end(),
                           [id](const Member &m) { return m.cntlid == id; });
    };
    if (want > kMaxCntlid) {
        return fmt(
            "property 'cntlid': %u is out of range (allowed: 1..%u, or 0 for the lowest free)",
            want, kMaxCntlid);
    }
    if (want) {
        if (used(want)) {
            return fmt(
                "property 'cntlid': %u is already used in subsystem %s (allowed: a CNTLID no "
                "other controller of the subsystem has, or 0 for the lowest free)",
                want, nqn_.c_str());
        }
        got = want;
        return "";
    }
    for (uint32_t id = 1; id <= kMaxCntlid; id++) {
        if (!used(id)) {
            got = static_cast<uint16_t>(id);
            return "";
        }
    }
    return "property 'cntlid': no CNTLID is free";
}

void Subsystem::add(Controller *c, uint16_t cntlid, const Host *host)
{
    members_.push_back({c, cntlid, host});
}

void Subsystem::remove(const Controller *c)
{
    const auto it = std::find_if(members_.begin(), members_.end(),
                                 [c](const Member &m) { return m.ctrl == c; });
    if (it == members_.end()) {
        return;
    }
    const Host *gone = it->host;
    members_.erase(it);
    const Host *next = members_.empty() ? nullptr : members_.front().host;
    for (const auto &ns : namespaces_) {
        if (ns && ns->host() == gone) {
            ns->set_host(next);
        }
    }
}

std::vector<uint16_t> Subsystem::cntlids() const
{
    std::vector<uint16_t> ids;
    for (const Member &m : members_) {
        ids.push_back(m.cntlid);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

std::string Subsystem::check_shared(const NamespaceConfig &have, const NamespaceConfig &want)
{
    auto differs = [](const char *property, const std::string &got, const std::string &shared) {
        return fmt(
            "property '%s': %s differs from the shared namespace's %s (allowed: %s; every "
            "controller of a subsystem describes NSID 1 alike)",
            property, got.c_str(), shared.c_str(), shared.c_str());
    };
    if (want.kind != have.kind) {
        return differs("ssd", want.kind_name, have.kind_name);
    }
    if (want.capacity_bytes != have.capacity_bytes) {
        return differs("size", std::to_string(want.capacity_bytes) + " bytes",
                       std::to_string(have.capacity_bytes) + " bytes");
    }
    if (want.lba_size != have.lba_size) {
        return differs("lba-size", std::to_string(want.lba_size), std::to_string(have.lba_size));
    }
    if (want.preset != have.preset) {
        return differs("preset", want.preset, have.preset);
    }
    const unsigned scope = scope_bit(have.kind, have.kv.parallel);
    for (const ParamSpec &s : param_registry()) {
        if (!applies(s, scope)) {
            continue;
        }
        const auto a = effective_value(s, want), b = effective_value(s, have);
        if (a != b) {
            return differs(s.name, a ? std::to_string(*a) : "(none)",
                           b ? std::to_string(*b) : "(none)");
        }
    }
    return "";
}

}  // namespace nvmev
