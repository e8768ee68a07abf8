// Vendor-specific I/O commands (opcodes 80h-FFh, NVMe 2.0c Figure 28): an
// extension point that needs no edit of the dispatcher. A vendor command is
// a free function over VendorIo (the controller services it may use) plus
// one entry in the registry (vendor_commands.cc); the I/O dispatch table and
// the Commands Supported and Effects log both read the registry.
// docs/extending.md walks through the shipped example, opcode 66h.
#pragma once

#include <cstdint>
#include <span>

#include "nvm_command_set.h"

namespace nvmev {

// Data transfer direction, opcode bits 1:0 (NVMe 2.0c Figure 28).
enum class DataDirection : uint8_t {
    None = 0,
    HostToController = 1,
    ControllerToHost = 2,
    Bidirectional = 3,
};
constexpr DataDirection data_direction(uint8_t opcode)
{
    return static_cast<DataDirection>(opcode & 3);
}

// What a vendor command may do with the controller: the same checks and
// data paths Read and Write use, so it gets the same statuses.
class VendorIo {
public:
    VendorIo(NvmCommandSet &c, const Request &req) : c_(c), req_(req) {}

    // Invalid Namespace, or LBA Out of Range unless [slba, slba + nlb) fits.
    Status check_range(const Sqe &sqe, uint64_t slba, uint32_t nlb) const;
    // Invalid Field when a transfer of `bytes` exceeds MDTS.
    Status check_transfer(uint64_t bytes) const;
    // ssd=zns: the zone rules of a Write (at the write pointer, open and
    // active limits) or a Read (offline zones); success on other kinds.
    Status check_zone_write(uint64_t slba, uint32_t nlb) const;
    Status check_zone_read(uint64_t slba, uint32_t nlb) const;
    // Whether any block of the range is marked by Write Uncorrectable.
    bool uncorrectable(uint64_t slba, uint64_t nlb) const;

    // Maps the command's data pointer (PRP1/PRP2) for its whole buffer of
    // `bytes` (PRP2 is a list only when the whole transfer needs one);
    // the PRP errors of Read and Write. Then the two calls below move parts.
    Status map_buffer(const Sqe &sqe, uint64_t bytes);
    // Moves the buffer's bytes [offset, offset + nlb blocks) into the
    // range's media (clearing Write Uncorrectable marks), or the range's
    // media out to them. A failed write transfer leaves a zoned range zeroed.
    Status write_from_host(uint64_t offset, uint64_t slba, uint32_t nlb);
    Status read_to_host(uint64_t offset, uint64_t slba, uint32_t nlb);

    // Submits a media operation starting at start_ns to the FTL (which
    // commits a checked zoned write) and counts it in the statistics and
    // SMART log; returns the FTL's status and completion time.
    ftl::MediaResult media(ftl::MediaOp op, uint64_t slba, uint32_t nlb, bool fua,
                           int64_t start_ns);

    int64_t fetch_ns() const;  // when the command was fetched
    uint32_t lba_shift() const;

private:
    Status transfer(uint64_t offset, uint8_t *media, uint64_t len, bool to_host);
    NvmCommandSet &c_;
    const Request &req_;
    uint64_t mapped_bytes_ = 0;
    const std::vector<DmaSegment> *segments_ = nullptr;
};

struct VendorCommand {
    // 80h-FFh is the vendor-specific range. 66h, NVMeVirt's opcode, is a
    // reserved NVM opcode, kept for compatibility with its tutorial. An
    // opcode a standard command already uses is never dispatched here.
    uint8_t opcode;
    const char *name;
    // Its Commands Supported and Effects entry (NVME_CMD_EFFECTS_*).
    uint32_t effects;
    Outcome (*handler)(VendorIo &io, const Sqe &sqe);
};

// Every vendor I/O command the controller offers.
std::span<const VendorCommand> vendor_commands();
const VendorCommand *find_vendor_command(uint8_t opcode);

// Opcode 66h "fused read-and-write" (vendor_fused_read_write.cc).
constexpr uint8_t kOpcodeFusedReadWrite = 0x66;
Outcome fused_read_write(VendorIo &io, const Sqe &sqe);

}  // namespace nvmev
