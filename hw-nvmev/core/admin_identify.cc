// Identify (NVMe 2.0c 5.17): controller, namespace, active namespace list,
// namespace identification descriptors and the command-set-specific forms
// for the NVM and Zoned Namespace command sets, and the I/O Command Set data
// structure; dispatched by CNS through AdminTables::identify().
#include <bit>
#include <cstring>

#include "admin_tables.h"
#include "controller.h"
#include "kv_spec.h"

namespace nvmev {
namespace {

static_assert(std::endian::native == std::endian::little,
              "spec structures are filled in host order: little-endian hosts only");
static_assert(sizeof(struct nvme_id_ctrl) == 4096);
static_assert(sizeof(struct nvme_id_ns) == 4096);

void copy_padded(char *dst, size_t len, const std::string &src)
{
    std::memset(dst, ' ', len);
    std::memcpy(dst, src.data(), std::min(len, src.size()));
}

// Stable 64-bit identifiers derived from the serial (FNV-1a), so EUI64,
// NGUID and UUID stay the same across restarts of the same device.
uint64_t fnv1a(const std::string &s, uint64_t seed)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (unsigned char c : s) {
        h = (h ^ c) * 0x100000001b3ull;
    }
    return h;
}

// The string a namespace's identifiers derive from: NSID 1 keeps the
// identifiers of a one-namespace controller.
std::string id_source(const std::string &serial, uint32_t nsid)
{
    return nsid == 1 ? serial : serial + "/ns" + std::to_string(nsid);
}

constexpr size_t kIdentifyBytes = 4096;

uint8_t cns_of(const Sqe &sqe)
{
    return sqe.cdw10 & 0xff;
}

uint8_t csi_of(const Sqe &sqe)
{
    return static_cast<uint8_t>(sqe.cdw11 >> 24);
}

// The Identify buffer as one of the spec's structures.
template <typename T>
T &as(uint8_t *buf)
{
    static_assert(sizeof(T) == kIdentifyBytes);
    return *reinterpret_cast<T *>(buf);
}

}  // namespace

void Controller::fill_id_ctrl(struct nvme_id_ctrl &id) const
{
    std::memset(&id, 0, sizeof(id));
    id.vid = 0x1b36;
    id.ssvid = 0x1af4;
    copy_padded(id.sn, sizeof(id.sn), cfg_.serial);
    copy_padded(id.mn, sizeof(id.mn), cfg_.model);
    copy_padded(id.fr, sizeof(id.fr), "1.0");
    id.rab = 6;
    id.oacs = htole16((cfg_.dbbuf ? NVME_CTRL_OACS_DBBUF_CFG : 0) |  // shadow doorbells
                      NVME_CTRL_OACS_FORMAT | (multi_namespace() ? NVME_CTRL_OACS_NS_MGMT : 0));
    id.fna = 0;  // per-namespace format and erase; no crypto erase; FFFFFFFFh allowed
    id.mdts = static_cast<uint8_t>(cfg_.mdts);
    id.cntlid = htole16(cntlid_);
    // A subsystem's controllers: CMIC bit 1 (two or more controllers), so
    // hosts look for the same namespace behind each.
    id.cmic = subsys_ ? NVME_CTRL_CMIC_MULTI_CTRL : 0;
    id.ver = kVersion;
    id.cntrltype = NVME_CTRL_CNTRLTYPE_IO;
    id.acl = 3;              // four concurrent Aborts
    id.aerl = 3;             // four outstanding AERs
    id.frmw = (1 << 1) | 1;  // one slot, read-only
    id.lpa = NVME_CTRL_LPA_CMD_EFFECTS | NVME_CTRL_LPA_EXTENDED;
    id.elpe = 63;  // 64 Error Information entries
    id.npss = 0;
    id.wctemp = 343;
    id.cctemp = 358;
    id.sqes = (6 << 4) | 6;
    id.cqes = (4 << 4) | 4;
    id.maxcmd = 0;
    id.nn = nn_;
    if (multi_namespace()) {
        id.mnan = nn_;  // every namespace may be attached at once
    }
    id.fuses = htole16(NVME_CTRL_FUSES_COMPARE_AND_WRITE);
    // Compare and Write pairs run as one step: any length is atomic (0's
    // based, in logical blocks).
    id.acwu = htole16(0xffff);
    id.oncs = NVME_CTRL_ONCS_COMPARE | NVME_CTRL_ONCS_WRITE_UNCORRECTABLE |
              NVME_CTRL_ONCS_SAVE_FEATURES | NVME_CTRL_ONCS_TIMESTAMP | NVME_CTRL_ONCS_DSM |
              NVME_CTRL_ONCS_WRITE_ZEROES | NVME_CTRL_ONCS_VERIFY | NVME_CTRL_ONCS_COPY;
    id.ocfs = htole16(1);  // Copy: Source Range Entries Descriptor Format 0h
    // A volatile write cache is reported so Flush and FUA are exercised;
    // Flush also accepts the broadcast NSID.
    id.vwc = NVME_CTRL_VWC_PRESENT | (3 << 1);
    // SGLs for I/O commands, no alignment or granularity rule for data
    // blocks (bits 1:0 = 01b); Bit Bucket descriptors; SGLs longer than
    // the transfer (the excess is ignored).
    id.sgls = htole32(1 | NVME_CTRL_SGLS_BIT_BUCKET | NVME_CTRL_SGLS_OVERSIZE);
    const std::string nqn = subsys_ ? subsys_->nqn() : "nqn.2026-11.io.nvmev:ctrl:" + cfg_.serial;
    std::memcpy(id.subnqn, nqn.data(), std::min(sizeof(id.subnqn) - 1, nqn.size()));
    id.psd[0].mp = 2500;  // 25 W in centiwatts
    // Zone Descriptor Changed notices; Namespace Attribute Notices.
    id.oaes = htole32((first_zoned() ? NVME_CTRL_OAES_ZD : 0) |
                      (multi_namespace() ? NVME_CTRL_OAES_NA : 0));
}

void Controller::fill_zns_id_ns(const Namespace &ns, struct nvme_zns_id_ns &id) const
{
    std::memset(&id, 0, sizeof(id));
    const ftl::ZoneConfig &z = ns.cfg.zns.zones;
    // No variable capacity, no active excursions (Linux requires ZOC = 0).
    id.zoc = 0;
    id.ozcs = htole16(1 | (z.zrwa_lbas ? 2 : 0));  // RAZB; ZRWASUP
    // Limits are 0's based; all ones: no limit.
    id.mar = htole32(z.max_active ? z.max_active - 1 : 0xffffffffu);
    id.mor = htole32(z.max_open ? z.max_open - 1 : 0xffffffffu);
    if (z.zrwa_lbas) {
        id.numzrwa = htole32(z.zrwa_resources - 1);
        id.zrwafg = htole16(static_cast<uint16_t>(z.zrwa_fg_lbas));
        id.zrwasz = htole16(static_cast<uint16_t>(z.zrwa_lbas));
        id.zrwacap = 1;  // explicit ZRWA flush
    }
    // One extension per LBA format: the zone size in that format's LBAs.
    const uint64_t zone_bytes = z.zone_lbas << ns.cfg.lba_shift();
    const uint8_t zdes = static_cast<uint8_t>(ns.cfg.zns.extension_bytes / 64);
    id.lbafe[0].zsze = htole64(zone_bytes >> 9);
    id.lbafe[0].zdes = zdes;
    id.lbafe[1].zsze = htole64(zone_bytes >> 12);
    id.lbafe[1].zdes = zdes;
}

void Controller::fill_id_ns(const Namespace &ns, struct nvme_id_ns &id) const
{
    std::memset(&id, 0, sizeof(id));
    id.nsze = ns.cfg.nlbas();
    id.ncap = ns.cfg.nlbas();
    id.nuse = ns.cfg.nlbas();
    id.mssrl = htole16(NvmCommandSet::kCopyMaxRangeLbas);
    id.mcl = htole32(NvmCommandSet::kCopyMaxLbas);
    id.msrc = NvmCommandSet::kCopyMaxRanges - 1;  // 0's based
    id.nlbaf = 1;                                 // two formats (0-based): 512 B and 4 KiB
    id.flbas = ns.cfg.lba_size == 4096 ? 1 : 0;
    // Deallocated blocks read as zeros; Write Zeroes clears its range. A
    // zoned namespace does not deallocate (only zone reset frees blocks).
    id.dlfeat = ns.zns ? 0 : 1;
    // A subsystem's namespace may be attached to all its controllers (NMIC
    // bit 0); its identifiers derive from the subsystem's serial.
    id.nmic = subsys_ ? NVME_NS_NMIC_SHARED : 0;
    id.lbaf[0].ds = 9;
    id.lbaf[1].ds = 12;
    const std::string src = id_source(cfg_.serial, ns.nsid);
    const uint64_t a = fnv1a(src, 1), b = fnv1a(src, 2);
    std::memcpy(id.nguid, &a, 8);
    std::memcpy(id.nguid + 8, &b, 8);
    const uint64_t eui =
        (fnv1a(src, 3) & ~0xffffff0000000000ull) | 0x0025380000000000ull;  // any OUI-shaped prefix
    for (int i = 0; i < 8; i++) {
        id.eui64[i] = static_cast<uint8_t>(eui >> (56 - 8 * i));
    }
}

// KV 1.0 Figure 40: sizes in bytes, one KV format.
void Controller::fill_kv_id_ns(const Namespace &ns, uint8_t *buf) const
{
    auto *id = reinterpret_cast<KvIdNs *>(buf);
    struct nvme_id_ns nvm;
    fill_id_ns(ns, nvm);
    id->nsze = htole64(ns.cfg.capacity_bytes);
    id->nuse = htole64(ns.kv->stats().allocated_bytes);
    id->nkvf = 1;
    id->novg = htole32(ftl::KvStore::kUnitBytes);
    std::memcpy(id->nguid, nvm.nguid, sizeof(id->nguid));
    std::memcpy(id->eui64, nvm.eui64, sizeof(id->eui64));
    id->kvf[0].kml = htole16(ftl::kKvMaxKeyBytes);
    id->kvf[0].vml = htole32(ns.cfg.kv.max_value_bytes);
    id->kvf[0].mnk = htole32(ns.cfg.kv.max_keys);
}

std::span<const AdminTables::Identify> AdminTables::identify()
{
    constexpr uint8_t kNvm = csi_bit(NVME_CSI_NVM), kZns = csi_bit(NVME_CSI_ZNS);
    // NVMe 2.0c 5.17.1. The namespace lists answer for CSI 02h without a zoned
    // namespace (an empty list); the namespace management CNS values need
    // nvmev-ns namespaces.
    static constexpr Identify kTable[] = {
        {NVME_IDENTIFY_CNS_NS, Offer::kAlways, 0, NsidRule::kValid, &C::identify_ns},
        {NVME_IDENTIFY_CNS_CTRL, Offer::kAlways, 0, NsidRule::kIgnored, &C::identify_ctrl},
        {NVME_IDENTIFY_CNS_NS_ACTIVE_LIST, Offer::kAlways, 0, NsidRule::kListStart,
         &C::identify_ns_list},
        {NVME_IDENTIFY_CNS_NS_DESC_LIST, Offer::kAlways, 0, NsidRule::kActive,
         &C::identify_ns_descriptors},
        {NVME_IDENTIFY_CNS_CSI_NS, Offer::kAlways, kNvm, NsidRule::kValid, &C::identify_csi_ns},
        {NVME_IDENTIFY_CNS_CSI_CTRL, Offer::kAlways, kNvm, NsidRule::kIgnored,
         &C::identify_csi_ctrl},
        {NVME_IDENTIFY_CNS_CSI_NS_ACTIVE_LIST, Offer::kAlways, kNvm | kZns, NsidRule::kListStart,
         &C::identify_csi_ns_list},
        // Linux identifies a KV namespace through this structure.
        {NVME_IDENTIFY_CNS_CSI_INDEPENDENT_ID_NS, Offer::kMultiNamespaceOrKv, 0, NsidRule::kValid,
         &C::identify_independent_ns},
        {NVME_IDENTIFY_CNS_ALLOCATED_NS_LIST, Offer::kMultiNamespace, 0, NsidRule::kListStart,
         &C::identify_ns_list},
        {NVME_IDENTIFY_CNS_ALLOCATED_NS, Offer::kMultiNamespace, 0, NsidRule::kValid,
         &C::identify_allocated_ns},
        {NVME_IDENTIFY_CNS_NS_CTRL_LIST, Offer::kMultiController, 0, NsidRule::kValid,
         &C::identify_ctrl_list},
        {NVME_IDENTIFY_CNS_CTRL_LIST, Offer::kMultiController, 0, NsidRule::kIgnored,
         &C::identify_ctrl_list},
        {NVME_IDENTIFY_CNS_CSI_ALLOCATED_NS_LIST, Offer::kMultiNamespace, kNvm | kZns,
         NsidRule::kListStart, &C::identify_csi_ns_list},
        {NVME_IDENTIFY_CNS_COMMAND_SET_STRUCTURE, Offer::kAlways, 0, NsidRule::kIgnored,
         &C::identify_command_sets},
    };
    static_assert(unique_ids(kTable), "one entry per CNS");
    return kTable;
}

bool AdminTables::identify_csi_ok(const Controller &c, const Identify &e, uint8_t csi)
{
    return !e.csi_always || (csi < 8 && (e.csi_always & csi_bit(csi))) || offers_csi(c, csi);
}

// A valid NSID names a slot (1..NN); an inactive one (unallocated or
// detached) reads as zeros where the spec says so (5.17.1).
Status AdminTables::identify_nsid_ok(const Controller &c, NsidRule rule, uint32_t nsid)
{
    switch (rule) {
        case NsidRule::kIgnored: return kSuccess;
        case NsidRule::kValid: return nsid >= 1 && nsid <= c.nn_ ? kSuccess : kInvalidNamespace;
        case NsidRule::kActive: return c.active_namespace(nsid) ? kSuccess : kInvalidNamespace;
        case NsidRule::kListStart: return nsid < 0xfffffffeu ? kSuccess : kInvalidNamespace;
    }
    return kInvalidNamespace;
}

Outcome Controller::admin_identify(Request &req)
{
    const Sqe &sqe = req.sqe;
    const AdminTables::Identify *e = find_entry(AdminTables::identify(), cns_of(sqe));
    if (!e || !AdminTables::offers(*this, e->offer) ||
        !AdminTables::identify_csi_ok(*this, *e, csi_of(sqe))) {
        return Outcome::of(kInvalidField);
    }
    if (const Status st = AdminTables::identify_nsid_ok(*this, e->nsid, sqe.nsid); st != kSuccess) {
        return Outcome::of(st);
    }
    alignas(8) uint8_t buf[kIdentifyBytes] = {};
    if (const Status st = (this->*e->fill)(sqe, buf); st != kSuccess) {
        return Outcome::of(st);
    }
    return Outcome::of(xfer_.to_host(sqe, buf, sizeof(buf)));
}

Status Controller::identify_ns(const Sqe &sqe, uint8_t *buf) const
{
    const Namespace *ns = active_namespace(sqe.nsid);
    if (ns && ns->csi() == NVME_CSI_KV) {
        // The NVM structure does not describe a KV namespace (CNS 05h does).
        return generic_error(NVME_SC_INVALID_IOCS);
    }
    if (ns) {
        fill_id_ns(*ns, as<struct nvme_id_ns>(buf));
    }
    return kSuccess;
}

Status Controller::identify_allocated_ns(const Sqe &sqe, uint8_t *buf) const
{
    const Namespace *slot = namespace_slot(sqe.nsid);
    if (slot && slot->allocated) {
        fill_id_ns(*slot, as<struct nvme_id_ns>(buf));
    }
    return kSuccess;
}

Status Controller::identify_ctrl(const Sqe &, uint8_t *buf) const
{
    fill_id_ctrl(as<struct nvme_id_ctrl>(buf));
    return kSuccess;
}

// CNS 02h and 10h: active or allocated NSIDs of any command set.
Status Controller::identify_ns_list(const Sqe &sqe, uint8_t *buf) const
{
    fill_ns_list(buf, sqe.nsid, -1, cns_of(sqe) == NVME_IDENTIFY_CNS_ALLOCATED_NS_LIST);
    return kSuccess;
}

// CNS 07h and 1Ah: those of one command set.
Status Controller::identify_csi_ns_list(const Sqe &sqe, uint8_t *buf) const
{
    fill_ns_list(buf, sqe.nsid, csi_of(sqe),
                 cns_of(sqe) == NVME_IDENTIFY_CNS_CSI_ALLOCATED_NS_LIST);
    return kSuccess;
}

// CNS 13h: every controller (ours) from CNTID; CNS 12h: those the
// namespace is attached to.
Status Controller::identify_ctrl_list(const Sqe &sqe, uint8_t *buf) const
{
    const auto from = static_cast<uint16_t>(sqe.cdw10 >> 16);  // CNTID
    if (cns_of(sqe) == NVME_IDENTIFY_CNS_CTRL_LIST) {
        fill_ctrl_list(buf, from, true);
        return kSuccess;
    }
    const Namespace *slot = namespace_slot(sqe.nsid);
    fill_ctrl_list(buf, from, slot && slot->active());
    return kSuccess;
}

Status Controller::identify_independent_ns(const Sqe &sqe, uint8_t *buf) const
{
    if (const Namespace *ns = active_namespace(sqe.nsid)) {
        fill_independent_id_ns(*ns, buf);
    }
    return kSuccess;
}

// Namespace identification descriptors (5.17.2): EUI64, NGUID, UUID, CSI.
Status Controller::identify_ns_descriptors(const Sqe &sqe, uint8_t *buf) const
{
    const Namespace &active = *active_namespace(sqe.nsid);  // NsidRule::kActive
    struct nvme_id_ns ns;
    fill_id_ns(active, ns);
    uint8_t *p = buf;
    auto add = [&p](uint8_t type, const void *data, uint8_t len) {
        auto *d = reinterpret_cast<struct nvme_ns_id_desc *>(p);
        d->nidt = type;
        d->nidl = len;
        std::memcpy(d->nid, data, len);
        p += sizeof(*d) + len;
    };
    add(NVME_NIDT_EUI64, ns.eui64, NVME_NIDT_EUI64_LEN);
    add(NVME_NIDT_NGUID, ns.nguid, NVME_NIDT_NGUID_LEN);
    uint8_t uuid[16];
    const std::string src = id_source(cfg_.serial, active.nsid);
    const uint64_t u1 = fnv1a(src, 4), u2 = fnv1a(src, 5);
    std::memcpy(uuid, &u1, 8);
    std::memcpy(uuid + 8, &u2, 8);
    uuid[6] = static_cast<uint8_t>((uuid[6] & 0x0f) | 0x40);  // RFC 4122 v4 shape
    uuid[8] = static_cast<uint8_t>((uuid[8] & 0x3f) | 0x80);
    add(NVME_NIDT_UUID, uuid, NVME_NIDT_UUID_LEN);
    const uint8_t ns_csi_value = active.csi();
    add(NVME_NIDT_CSI, &ns_csi_value, NVME_NIDT_CSI_LEN);
    return kSuccess;
}

// CNS 05h: the structure of the CSI the host names, which must be the
// namespace's own (Invalid I/O Command Set otherwise, for KV).
Status Controller::identify_csi_ns(const Sqe &sqe, uint8_t *buf) const
{
    const Namespace *ns = active_namespace(sqe.nsid);
    const uint8_t csi = csi_of(sqe);
    if (!ns) {
        return kSuccess;
    }
    if ((ns->csi() == NVME_CSI_KV) != (csi == NVME_CSI_KV)) {
        return generic_error(NVME_SC_INVALID_IOCS);
    }
    if (csi == NVME_CSI_KV) {
        fill_kv_id_ns(*ns, buf);
    } else if (csi == NVME_CSI_ZNS) {
        if (!ns->zns) {
            return kInvalidField;  // not a zoned namespace
        }
        fill_zns_id_ns(*ns, as<struct nvme_zns_id_ns>(buf));
    }
    return kSuccess;  // NVM Command Set Identify Namespace: no optional fields
}

// CNS 06h: NVM and KV have no fields we set; ZNS has ZASL.
Status Controller::identify_csi_ctrl(const Sqe &sqe, uint8_t *buf) const
{
    if (csi_of(sqe) == NVME_CSI_ZNS) {
        // ZASL: log2 of the limit in 4 KiB units; 0: MDTS applies. The
        // controller has one: the first zoned namespace's (offered, so
        // there is one).
        const uint64_t zasl = first_zoned()->cfg.zasl_bytes;
        buf[0] = zasl ? static_cast<uint8_t>(std::countr_zero(zasl / 4096)) : 0;
    }
    return kSuccess;
}

// CNS 1Ch: I/O Command Set combinations (one 64-bit vector each): index 0
// offers NVM, plus Zoned and Key Value where such namespaces exist.
Status Controller::identify_command_sets(const Sqe &, uint8_t *buf) const
{
    const uint64_t vec = (uint64_t{1} << NVME_CSI_NVM) |
                         (first_zoned() ? uint64_t{1} << NVME_CSI_ZNS : 0) |
                         (first_kv() ? uint64_t{1} << NVME_CSI_KV : 0);
    std::memcpy(buf, &vec, sizeof(vec));
    return kSuccess;
}

}  // namespace nvmev
