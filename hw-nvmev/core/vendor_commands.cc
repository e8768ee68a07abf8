// The vendor I/O command registry and the controller's entry into it.
// Add a command here: one line, plus its handler in a file of its own.
#include "vendor_commands.h"

#include <array>

namespace nvmev {
namespace {

constexpr std::array kVendorCommands = {
    VendorCommand{kOpcodeFusedReadWrite, "fused read-and-write",
                  NVME_CMD_EFFECTS_CSUPP | NVME_CMD_EFFECTS_LBCC, &fused_read_write},
};

constexpr bool valid_registry()
{
    for (size_t i = 0; i < kVendorCommands.size(); i++) {
        if (!kVendorCommands[i].handler || !(kVendorCommands[i].effects & NVME_CMD_EFFECTS_CSUPP)) {
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (kVendorCommands[j].opcode == kVendorCommands[i].opcode) {
                return false;
            }
        }
    }
    return true;
}
static_assert(valid_registry(), "vendor opcodes are unique, with a handler and CSUPP set");

}  // namespace

std::span<const VendorCommand> vendor_commands()
{
    return kVendorCommands;
}

const VendorCommand *find_vendor_command(uint8_t opcode)
{
    for (const VendorCommand &v : kVendorCommands) {
        if (v.opcode == opcode) {
            return &v;
        }
    }
    return nullptr;
}

Outcome NvmCommandSet::io_vendor(Request &req)
{
    const Sqe &sqe = req.sqe;
    const VendorCommand *v = find_vendor_command(sqe.opcode);
    if (!v) {
        return Outcome::of(kInvalidOpcode);
    }
    VendorIo io(*this, req);
    return v->handler(io, sqe);
}

}  // namespace nvmev
