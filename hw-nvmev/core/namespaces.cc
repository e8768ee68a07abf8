// The namespaces of a controller (NVMe 2.0c 3.2.1, 5.22, 5.23): the
// namespace lists of Identify, Namespace Management (create and delete),
// Namespace Attachment, and the Changed Namespace List log page with its
// Namespace Attribute Changed notice.
//
// A controller with only the nvmev device's own namespace keeps NN = 1 and
// offers neither management nor attachment; adding an nvmev-ns makes NN =
// kMaxNamespaces, so every NSID keeps its slot while it is deleted,
// re-created, detached or attached. Create takes the lowest-numbered
// unallocated slot of the requested command set whose LBA size matches
// FLBAS and whose backing store holds NSZE blocks (a zoned slot: exactly its
// configured size, since its zones are fixed).
#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "controller.h"

namespace nvmev {
namespace {

constexpr size_t kMaxChangedNsids = NVME_ID_NS_LIST_MAX;

}  // namespace

Namespace *Controller::active_namespace(uint32_t nsid) const
{
    Namespace *ns = nsid <= nn_ ? namespace_slot(nsid) : nullptr;
    return ns && ns->active() ? ns : nullptr;
}

const Namespace *Controller::first_zoned() const
{
    for (const auto &ns : namespaces_) {
        if (ns && ns->zns) {
            return ns.get();
        }
    }
    return nullptr;
}

const Namespace *Controller::first_kv() const
{
    for (const auto &ns : namespaces_) {
        if (ns && ns->kv && ns->csi() == NVME_CSI_KV) {
            return ns.get();
        }
    }
    return nullptr;
}

std::string Controller::add_namespace(uint32_t nsid, const NamespaceConfig &cfg, uint8_t *backing,
                                      bool attached)
{
    if (nsid < 2 || nsid > kMaxNamespaces) {
        return fmt(
            "property 'nsid': %u is out of range (allowed: 2..%u; NSID 1 is the nvmev "
            "device's own namespace)",
            nsid, kMaxNamespaces);
    }
    if (namespaces_[nsid]) {
        return fmt("property 'nsid': namespace %u already exists on this controller", nsid);
    }
    if (subsys_) {
        return fmt(
            "property 'bus': the controller is in subsystem %s, whose controllers share NSID 1 "
            "only (allowed: an nvmev-ns on a controller without 'subsys')",
            subsys_->nqn().c_str());
    }
    try {
        namespaces_[nsid] = std::make_shared<Namespace>(nsid, cfg, backing, &host_);
    } catch (const std::invalid_argument &e) {
        return e.what();
    }
    if (!namespaces_[nsid]->restored()) {
        namespaces_[nsid]->attached = attached;  // else as it was (docs/persistence.md)
        namespaces_[nsid]->checkpoint(host_.now_ns());
    }
    persistent_ = persistent_ || namespaces_[nsid]->persistent();
    nn_ = kMaxNamespaces;
    return "";
}

std::string Controller::set_attached(uint32_t nsid, bool attach)
{
    Namespace *ns = namespace_slot(nsid);
    if (!ns || !ns->allocated) {
        return fmt("namespace %u does not exist", nsid);
    }
    if (!multi_namespace()) {
        return "the controller has one namespace: attachment needs nvmev-ns namespaces";
    }
    if (ns->attached == attach) {
        return fmt("namespace %u is already %s", nsid, attach ? "attached" : "detached");
    }
    ns->attached = attach;
    ns->checkpoint(host_.now_ns());
    note_ns_changed(nsid);
    return "";
}

void Controller::fill_ns_list(uint8_t *buf, uint32_t after, int csi, bool allocated_only) const
{
    size_t n = 0;
    for (uint32_t nsid = after + 1; nsid <= nn_ && n < NVME_ID_NS_LIST_MAX; nsid++) {
        const Namespace *ns = namespace_slot(nsid);
        if (!ns || !(allocated_only ? ns->allocated : ns->active())) {
            continue;
        }
        if (csi >= 0 && ns->csi() != csi) {
            continue;
        }
        const uint32_t v = htole32(nsid);
        std::memcpy(buf + 4 * n++, &v, 4);
    }
}

void Controller::fill_ctrl_list(uint8_t *buf, uint16_t from, bool include) const
{
    auto *list = reinterpret_cast<struct nvme_ctrl_list *>(buf);
    if (!include) {
        return;
    }
    // A subsystem's namespace (NSID 1 only) is attached to every
    // controller of it.
    const std::vector<uint16_t> ids = subsys_ ? subsys_->cntlids() : std::vector<uint16_t>{cntlid_};
    uint16_t n = 0;
    for (const uint16_t id : ids) {
        if (id >= from && n < NVME_ID_CTRL_LIST_MAX) {
            list->identifier[n++] = htole16(id);
        }
    }
    list->num = htole16(n);
}

void Controller::fill_independent_id_ns(const Namespace &ns, uint8_t *buf) const
{
    auto *id = reinterpret_cast<struct nvme_id_independent_id_ns *>(buf);
    (void)ns;
    id->nstat = 1;  // NRDY: the namespace is ready
}

void Controller::note_ns_changed(uint32_t nsid)
{
    if (std::find(changed_nsids_.begin(), changed_nsids_.end(), nsid) == changed_nsids_.end()) {
        changed_nsids_.push_back(nsid);
    }
    trace::ns_changed(host_, nsid);
    queue_event(NVME_AER_NOTICE, NVME_AER_NOTICE_NS_CHANGED, NVME_LOG_LID_CHANGED_NS);
}

void Controller::fill_changed_ns_log(std::vector<uint8_t> &page, bool consume)
{
    page.assign(sizeof(struct nvme_ns_list), 0);
    auto *list = reinterpret_cast<struct nvme_ns_list *>(page.data());
    if (changed_nsids_.size() > kMaxChangedNsids) {
        list->ns[0] = htole32(NVME_NSID_ALL);  // more than the log holds
    } else {
        for (size_t i = 0; i < changed_nsids_.size(); i++) {
            list->ns[i] = htole32(changed_nsids_[i]);
        }
    }
    if (consume) {
        changed_nsids_.clear();
    }
}

Outcome Controller::admin_ns_attachment(Request &req)
{
    const Sqe &sqe = req.sqe;
    if (!multi_namespace()) {
        return Outcome::of(kInvalidOpcode);
    }
    const uint32_t sel = sqe.cdw10 & 0xf;
    if (sel != NVME_NS_ATTACH_SEL_CTRL_ATTACH && sel != NVME_NS_ATTACH_SEL_CTRL_DEATTACH) {
        return Outcome::of(kInvalidField);
    }
    if (sqe.nsid == NVME_NSID_ALL) {
        return Outcome::of(kInvalidField);
    }
    Namespace *ns = sqe.nsid <= nn_ ? namespace_slot(sqe.nsid) : nullptr;
    if (!ns || !ns->allocated) {
        return Outcome::of(kInvalidNamespace);
    }
    struct nvme_ctrl_list list;
    const Status st = xfer_.from_host(sqe, &list, sizeof(list));
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const uint16_t n = le16toh(list.num);
    bool ours = n > 0 && n <= NVME_ID_CTRL_LIST_MAX;
    for (uint16_t i = 0; ours && i < n; i++) {
        ours = le16toh(list.identifier[i]) == cntlid_;  // the only controller
    }
    if (!ours) {
        return Outcome::of(cmd_specific_error(NVME_SC_CTRL_LIST_INVALID));
    }
    const bool attach = sel == NVME_NS_ATTACH_SEL_CTRL_ATTACH;
    if (attach && ns->attached) {
        return Outcome::of(cmd_specific_error(NVME_SC_NS_ALREADY_ATTACHED));
    }
    if (!attach && !ns->attached) {
        return Outcome::of(cmd_specific_error(NVME_SC_NS_NOT_ATTACHED));
    }
    ns->attached = attach;
    ns->checkpoint(host_.now_ns());
    trace::ns_attach(host_, ns->nsid, attach);
    note_ns_changed(ns->nsid);
    return {};
}

Outcome Controller::admin_ns_management(Request &req)
{
    if (!multi_namespace()) {
        return Outcome::of(kInvalidOpcode);
    }
    switch (req.sqe.cdw10 & 0xf) {
        case NVME_NS_MGMT_SEL_CREATE: return ns_create(req);
        case NVME_NS_MGMT_SEL_DELETE: return ns_delete(req);
        default: return Outcome::of(kInvalidField);
    }
}

Outcome Controller::ns_delete(const Request &req)
{
    auto remove = [this](Namespace &ns) {
        if (ns.attached) {
            note_ns_changed(ns.nsid);
        }
        ns.discard();
        trace::ns_delete(host_, ns.nsid);
    };
    const uint32_t nsid = req.sqe.nsid;
    if (nsid == NVME_NSID_ALL) {
        for (auto &ns : namespaces_) {
            if (ns && ns->allocated) {
                remove(*ns);
            }
        }
        return {};
    }
    Namespace *ns = nsid <= nn_ ? namespace_slot(nsid) : nullptr;
    if (!ns || !ns->allocated) {
        return Outcome::of(kInvalidNamespace);
    }
    remove(*ns);
    return {};
}

Outcome Controller::ns_create(const Request &req)
{
    const Sqe &sqe = req.sqe;
    const uint8_t csi = static_cast<uint8_t>(sqe.cdw11 >> 24);
    if (csi != NVME_CSI_NVM && csi != NVME_CSI_ZNS) {
        return Outcome::of(generic_error(NVME_SC_IOCS_NOT_SUPPORTED));
    }
    struct nvme_id_ns id;
    Status st = xfer_.from_host(sqe, &id, sizeof(id));
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const uint64_t nsze = le64toh(id.nsze);
    if (nsze == 0 || le64toh(id.ncap) != nsze) {
        return Outcome::of(kInvalidField);  // no thin provisioning
    }
    const unsigned format = id.flbas & 0xf;
    if (format > 1 || (id.flbas & 0x60)) {
        return Outcome::of(generic_error(NVME_SC_INVALID_FORMAT));
    }
    const uint32_t lba_size = format ? 4096 : 512;
    Namespace *pick = free_slot_for(csi, lba_size, nsze, st);
    if (!pick) {
        return Outcome::of(st);
    }
    pick->cfg.capacity_bytes = nsze * lba_size;
    pick->allocated = true;
    pick->attached = false;  // a created namespace waits for Namespace Attachment
    pick->checkpoint(host_.now_ns());
    trace::ns_create(host_, pick->nsid, nsze);
    Outcome out;
    out.dw0 = pick->nsid;
    return out;
}

// The first unallocated slot of the command set and format that holds nsze
// blocks (a zoned one exactly: its zones are fixed), or nullptr and why.
Namespace *Controller::free_slot_for(uint8_t csi, uint32_t lba_size, uint64_t nsze, Status &why)
{
    bool free_slot = false, format_ok = false, zone_size_wrong = false;
    for (uint32_t nsid = 1; nsid <= nn_; nsid++) {
        Namespace *ns = namespace_slot(nsid);
        if (!ns || ns->allocated || ns->csi() != csi) {
            continue;
        }
        free_slot = true;
        if (ns->cfg.lba_size != lba_size) {
            continue;
        }
        format_ok = true;
        const uint64_t slot_lbas = ns->slot_bytes() / lba_size;
        if (nsze <= slot_lbas) {
            if (!ns->zns || nsze == slot_lbas) {
                return ns;
            }
            zone_size_wrong = true;
        }
    }
    why = !free_slot        ? cmd_specific_error(NVME_SC_NS_ID_UNAVAILABLE)
          : !format_ok      ? generic_error(NVME_SC_INVALID_FORMAT)
          : zone_size_wrong ? kInvalidField
                            : cmd_specific_error(NVME_SC_NS_INSUFFICIENT_CAP);
    return nullptr;
}

}  // namespace nvmev
