// What an I/O command set (NVM, zoned, key-value) uses of its controller,
// and the namespace, range and media steps the sets share. A set sees only
// this: the configuration, data transfer, host memory and the statistics,
// never the queues, registers or admin state.
#pragma once

#include <cstdint>

#include "../ftl/ftl.h"  // via the hw-nvmev/ftl link
#include "config.h"
#include "data_transfer.h"
#include "host.h"
#include "namespace.h"
#include "request.h"
#include "stats.h"

namespace nvmev {

struct IoContext {
    const ResolvedConfig &cfg;
    const Host &host;
    DataTransfer &xfer;
    DeviceCounters &counters;
    SmartCounters &smart;
};

class IoCommandSet {
public:
    // execute() looked the namespace up: Invalid Namespace unless it is
    // active.
    static Status check_io_namespace(const Request &req);
    // [slba, slba + nlb) lies in the namespace.
    static bool lba_range_ok(const Namespace &ns, uint64_t slba, uint64_t nlb);
    // The namespace and the LBA range (SLBA, NLB) of a Read-like command,
    // checked: Invalid Namespace or LBA Out of Range.
    static Status lba_range_of(const Request &req, uint64_t &slba, uint32_t &nlb);
    // Blocks that must read as zeros again: the backing store is cleared
    // as well as their Write Uncorrectable marks.
    static void zero_media(Namespace &ns, uint64_t slba, uint64_t nlb);
    static Outcome media_outcome(Namespace &ns, const ftl::MediaRequest &mr);
    // The zone rules of a Write (at the write pointer, open and active
    // limits) or a Read (not offline) on a zoned namespace, and for a read the
    // Write Uncorrectable marks: Unrecovered Read Error.
    static Status check_media_access(const Namespace &ns, uint64_t slba, uint32_t nlb, bool write);
    // Flush of one namespace (the KV sets' Flush; NVM's for a single NSID).
    static Outcome flush_namespace(const Request &req);

protected:
    explicit IoCommandSet(const IoContext &io)
        : cfg_(io.cfg), host_(io.host), xfer_(io.xfer), counters_(io.counters), smart_(io.smart)
    {
    }
    // Moves a write's data from the host into the backing store at slba;
    // on a failed transfer a zoned range is zeroed again (nothing
    // half-written stays readable) and the status returned.
    Status move_write_data(const Request &req, uint64_t slba, uint64_t bytes);

    const ResolvedConfig &cfg_;
    const Host &host_;
    DataTransfer &xfer_;
    DeviceCounters &counters_;
    SmartCounters &smart_;
};

// Dispatch through a set's opcode table: Invalid Opcode where it has none.
template <typename Set>
using IoHandlerTable = std::array<Outcome (Set::*)(Request &), 256>;

}  // namespace nvmev
