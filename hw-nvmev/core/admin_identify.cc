// Identify (NVMe 2.0c 5.17): controller, namespace, active namespace list,
// namespace identification descriptors and the command-set-specific forms
// for the NVM command set.
#include <bit>
#include <cstring>

#include "controller.h"

namespace nvmev {
namespace {

static_assert(std::endian::native == std::endian::little,
              "spec structures are filled in host order: little-endian hosts only");
static_assert(sizeof(struct nvme_id_ctrl) == 4096);
static_assert(sizeof(struct nvme_id_ns) == 4096);

constexpr uint32_t kNsid = 1;  // this controller exposes one namespace

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
    id.mdts = static_cast<uint8_t>(cfg_.mdts);
    id.cntlid = 1;
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
    id.nn = kNsid;
    id.oncs = NVME_CTRL_ONCS_SAVE_FEATURES | NVME_CTRL_ONCS_TIMESTAMP | NVME_CTRL_ONCS_DSM |
              NVME_CTRL_ONCS_WRITE_ZEROES;
    // A volatile write cache is reported so Flush and FUA are exercised;
    // Flush also accepts the broadcast NSID.
    id.vwc = NVME_CTRL_VWC_PRESENT | (3 << 1);
    id.sgls = 0;
    const std::string nqn = "nqn.2026-11.io.nvmev:ctrl:" + cfg_.serial;
    std::memcpy(id.subnqn, nqn.data(), std::min(sizeof(id.subnqn) - 1, nqn.size()));
    id.psd[0].mp = 2500;  // 25 W in centiwatts
}

void Controller::fill_id_ns(struct nvme_id_ns &id) const
{
    std::memset(&id, 0, sizeof(id));
    id.nsze = cfg_.nlbas();
    id.ncap = cfg_.nlbas();
    id.nuse = cfg_.nlbas();
    id.nlbaf = 1;  // two formats (0-based): 512 B and 4 KiB
    id.flbas = cfg_.lba_size == 4096 ? 1 : 0;
    // Deallocated blocks read as zeros; Write Zeroes clears its range.
    id.dlfeat = 1;
    id.lbaf[0].ds = 9;
    id.lbaf[1].ds = 12;
    const uint64_t a = fnv1a(cfg_.serial, 1), b = fnv1a(cfg_.serial, 2);
    std::memcpy(id.nguid, &a, 8);
    std::memcpy(id.nguid + 8, &b, 8);
    const uint64_t eui = (fnv1a(cfg_.serial, 3) & ~0xffffff0000000000ull) |
                         0x0025380000000000ull;  // any OUI-shaped prefix
    for (int i = 0; i < 8; i++) {
        id.eui64[i] = static_cast<uint8_t>(eui >> (56 - 8 * i));
    }
}

Outcome Controller::admin_identify(const Sqe &sqe)
{
    const uint8_t cns = sqe.cdw10 & 0xff;
    const uint8_t csi = static_cast<uint8_t>(sqe.cdw11 >> 24);
    alignas(8) uint8_t buf[4096] = {};

    switch (cns) {
        case NVME_IDENTIFY_CNS_NS:
            if (sqe.nsid != kNsid) {
                return Outcome::of(kInvalidNamespace);
            }
            fill_id_ns(*reinterpret_cast<struct nvme_id_ns *>(buf));
            break;
        case NVME_IDENTIFY_CNS_CTRL:
            fill_id_ctrl(*reinterpret_cast<struct nvme_id_ctrl *>(buf));
            break;
        case NVME_IDENTIFY_CNS_CSI_NS_ACTIVE_LIST:
            if (csi != NVME_CSI_NVM) {
                return Outcome::of(kInvalidField);
            }
            [[fallthrough]];
        case NVME_IDENTIFY_CNS_NS_ACTIVE_LIST:
            if (sqe.nsid >= 0xfffffffeu) {
                return Outcome::of(kInvalidNamespace);
            }
            if (sqe.nsid < kNsid) {
                const uint32_t list[1] = {kNsid};
                std::memcpy(buf, list, sizeof(list));
            }
            break;
        case NVME_IDENTIFY_CNS_NS_DESC_LIST: {
            if (sqe.nsid != kNsid) {
                return Outcome::of(kInvalidNamespace);
            }
            struct nvme_id_ns ns;
            fill_id_ns(ns);
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
            const uint64_t u1 = fnv1a(cfg_.serial, 4), u2 = fnv1a(cfg_.serial, 5);
            std::memcpy(uuid, &u1, 8);
            std::memcpy(uuid + 8, &u2, 8);
            uuid[6] = static_cast<uint8_t>((uuid[6] & 0x0f) | 0x40);  // RFC 4122 v4 shape
            uuid[8] = static_cast<uint8_t>((uuid[8] & 0x3f) | 0x80);
            add(NVME_NIDT_UUID, uuid, NVME_NIDT_UUID_LEN);
            const uint8_t csi_nvm = NVME_CSI_NVM;
            add(NVME_NIDT_CSI, &csi_nvm, NVME_NIDT_CSI_LEN);
            break;
        }
        case NVME_IDENTIFY_CNS_CSI_NS:
            if (csi != NVME_CSI_NVM) {
                return Outcome::of(kInvalidField);
            }
            if (sqe.nsid != kNsid) {
                return Outcome::of(kInvalidNamespace);
            }
            break;  // NVM Command Set Identify Namespace: no optional fields
        case NVME_IDENTIFY_CNS_CSI_CTRL:
            if (csi != NVME_CSI_NVM) {
                return Outcome::of(kInvalidField);
            }
            break;  // NVM Command Set Identify Controller: no size limits
        default: return Outcome::of(kInvalidField);
    }
    return Outcome::of(to_host(sqe, buf, sizeof(buf)));
}

}  // namespace nvmev
