// The Commands Supported and Effects log (NVMe 2.0c 5.16.1.6), derived from
// the controller's opcode dispatch tables: CSUPP for every opcode with a
// handler, plus the effects listed here per opcode, for the command sets
// the log's CSI names.
#include <algorithm>

#include "admin_tables.h"
#include "controller.h"
#include "kv_spec.h"
#include "vendor_commands.h"

namespace nvmev {
namespace {

constexpr uint32_t kLbcc = NVME_CMD_EFFECTS_LBCC;
// CSE 001b (5.16.1.6, bits 18:16): runs alone on its namespace.
constexpr uint32_t kCseNamespace = 1u << 16;
static_assert((kCseNamespace & ~uint32_t{NVME_CMD_EFFECTS_CSE_MASK}) == 0);

using OpcodeEffects = AdminTables::OpcodeEffects;

uint32_t effects_of(std::span<const OpcodeEffects> list, unsigned op)
{
    for (const OpcodeEffects &e : list) {
        if (e.opcode == op) {
            return e.effects;
        }
    }
    return 0;
}

bool contains(std::span<const uint8_t> ops, unsigned op)
{
    return std::find(ops.begin(), ops.end(), op) != ops.end();
}

}  // namespace

std::span<const AdminTables::OpcodeEffects> AdminTables::admin_effects()
{
    // Format changes the block size and contents of the namespace and runs
    // alone on it.
    static constexpr OpcodeEffects kAdmin[] = {
        {nvme_admin_format_nvm, kLbcc | NVME_CMD_EFFECTS_NCC | kCseNamespace},
    };
    return kAdmin;
}

std::span<const AdminTables::EffectsView> AdminTables::effects_views()
{
    // Commands that change what the namespace stores.
    static constexpr OpcodeEffects kNvm[] = {
        {nvme_cmd_write, kLbcc},
        {nvme_cmd_write_zeroes, kLbcc},
        {nvme_cmd_write_uncor, kLbcc},
        {nvme_cmd_copy, kLbcc},
    };
    // ZNS 1.1 builds on the NVM command set's commands.
    static constexpr OpcodeEffects kZns[] = {
        {nvme_cmd_write, kLbcc}, {nvme_cmd_write_zeroes, kLbcc},  {nvme_cmd_write_uncor, kLbcc},
        {nvme_cmd_copy, kLbcc},  {nvme_zns_cmd_mgmt_send, kLbcc}, {nvme_zns_cmd_append, kLbcc},
    };
    static constexpr uint8_t kZoneOpcodes[] = {nvme_zns_cmd_mgmt_send, nvme_zns_cmd_mgmt_recv,
                                               nvme_zns_cmd_append};
    static constexpr OpcodeEffects kKv[] = {{kKvStore, kLbcc}, {kKvDelete, kLbcc}};
    static constexpr OpcodeEffects kKvVendor[] = {
        {kKvVendorStore, kLbcc},
        {kKvVendorAppend, kLbcc},
        {kKvVendorBatch, kLbcc},
        {kKvVendorDelete, kLbcc},
    };
    // An NVM or zoned namespace dispatches the NVM, zoned and vendor
    // opcodes alike; a KV namespace its own.
    constexpr auto io = [](uint8_t op) {
        return NvmCommandSet::supports(op) || ZnsCommandSet::supports(op);
    };
    constexpr auto kv = [](uint8_t op) { return KvCommandSet::supports(op, false); };
    constexpr auto kv_vendor = [](uint8_t op) { return KvCommandSet::supports(op, true); };
    // NVMeVirt's KV opcodes are vendor opcodes of the NVM command set's log.
    static constexpr EffectsView kViews[] = {
        {NVME_CSI_NVM, Offer::kAlways, io, kNvm, kZoneOpcodes, true, true},
        {NVME_CSI_NVM, Offer::kVendorKv, kv_vendor, kKvVendor, {}, false, false},
        {NVME_CSI_ZNS, Offer::kAlways, io, kZns, {}, true, true},
        {NVME_CSI_KV, Offer::kAlways, kv, kKv, {}, false, false},
    };
    return kViews;
}

void AdminTables::add_effects(struct nvme_cmd_effects_log &log, const EffectsView &v)
{
    // A key-value namespace has no logical blocks whose content could change.
    const uint32_t admin_mask = v.logical_blocks ? ~0u : ~kLbcc;
    const std::array<C::Handler, 256> &admin = C::admin_table();
    for (unsigned op = 0; op < 256; op++) {
        if (admin[op]) {
            const uint32_t e = effects_of(admin_effects(), op) & admin_mask;
            log.acs[op] |= htole32(NVME_CMD_EFFECTS_CSUPP | e);
        }
        if (!v.supports(static_cast<uint8_t>(op)) || contains(v.not_in_set, op)) {
            continue;
        }
        uint32_t e = NVME_CMD_EFFECTS_CSUPP | effects_of(v.io_effects, op);
        if (v.vendor_registry && NvmCommandSet::is_vendor(static_cast<uint8_t>(op))) {
            const VendorCommand *vc = find_vendor_command(static_cast<uint8_t>(op));
            e |= vc ? vc->effects : 0;  // the registry states its commands' effects
        }
        log.iocs[op] |= htole32(e);
    }
}

Status Controller::log_command_effects(const Sqe &sqe, bool, std::vector<uint8_t> &page)
{
    page.resize(sizeof(struct nvme_cmd_effects_log));
    auto *log = reinterpret_cast<struct nvme_cmd_effects_log *>(page.data());
    for (const AdminTables::EffectsView &v : AdminTables::effects_views()) {
        if (v.csi == log_csi(sqe) && AdminTables::offers(*this, v.offer)) {
            AdminTables::add_effects(*log, v);
        }
    }
    if (!cfg_.dbbuf) {
        log->acs[nvme_admin_dbbuf] = 0;  // dbbuf=off: not supported
    }
    return kSuccess;
}

}  // namespace nvmev
