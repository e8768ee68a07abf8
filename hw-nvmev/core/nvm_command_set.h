// The NVM command set's I/O commands (NVM Command Set 1.0c): Read, Write,
// Flush, Write Zeroes, Dataset Management (nvm_io.cc), Compare, Verify,
// Write Uncorrectable (nvm_io_integrity.cc), Copy (nvm_io_copy.cc) and the
// vendor command registry (vendor_commands.cc).
#pragma once

#include <array>
#include <memory>

#include "io_command_set.h"

namespace nvmev {

class NvmCommandSet : public IoCommandSet {
public:
    // Copy limits (ID-NS MSRC + 1, MSSRL, MCL), in ranges and logical blocks.
    static constexpr uint32_t kCopyMaxRanges = 128;
    static constexpr uint32_t kCopyMaxRangeLbas = 2048;
    static constexpr uint32_t kCopyMaxLbas = 8192;
    using Namespaces = std::array<std::shared_ptr<Namespace>, kMaxNamespaces + 1>;

    NvmCommandSet(const IoContext &io, const Namespaces &namespaces)
        : IoCommandSet(io), namespaces_(namespaces)
    {
    }
    Outcome execute(Request &req);
    // An opcode this set executes; one the vendor registry serves.
    static bool supports(uint8_t opcode) { return table()[opcode] != nullptr; }
    static bool is_vendor(uint8_t opcode) { return table()[opcode] == &NvmCommandSet::io_vendor; }

private:
    friend class VendorIo;  // vendor_io.cc: what vendor commands may use

    static const IoHandlerTable<NvmCommandSet> &table();
    // nvm_io.cc
    Outcome io_read(Request &req) { return io_read_write(req, false); }
    Outcome io_write(Request &req) { return io_read_write(req, true); }
    Outcome io_read_write(Request &req, bool write);
    Outcome io_flush(Request &req);
    Outcome io_write_zeroes(Request &req);
    Outcome io_dataset_management(Request &req);
    // nvm_io_integrity.cc
    Outcome io_compare(Request &req);
    Outcome io_verify(Request &req);
    Outcome io_write_uncorrectable(Request &req);
    // The checks Compare and Verify share with Read.
    Status check_readable(const Request &req, uint64_t &slba, uint32_t &nlb) const;
    // nvm_io_copy.cc
    Outcome io_copy(Request &req);
    Status check_copy_sources(const Namespace &ns, uint32_t nr, uint64_t &total) const;
    // vendor_commands.cc: opcodes of the vendor command registry
    Outcome io_vendor(Request &req);

    const Namespaces &namespaces_;                                    // Flush to the broadcast NSID
    std::array<struct nvme_copy_range, kCopyMaxRanges> copy_ranges_;  // Copy scratch
};

}  // namespace nvmev
