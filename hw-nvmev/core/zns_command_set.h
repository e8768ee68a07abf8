// The Zoned Namespace command set's commands (NVMe ZNS 1.1 4): Zone
// Management Send and Receive, Zone Append (zns_io.cc). On a zoned
// namespace the NVM commands run too, under the zone rules (nvm_io.cc).
#pragma once

#include <vector>

#include "io_command_set.h"

namespace nvmev {

class ZnsCommandSet : public IoCommandSet {
public:
    // cc: the controller's CC register (zone commands need CC.CSS to select
    // all I/O command sets).
    ZnsCommandSet(const IoContext &io, const uint32_t &cc) : IoCommandSet(io), cc_(cc) {}
    Outcome execute(Request &req);
    static bool supports(uint8_t opcode);
    // Zone resets (by command, format or fault injection) make the zones
    // read as zeros and clear their descriptor extensions.
    static void apply_zone_effects(Namespace &ns, const std::vector<ftl::ZoneEffect> &effects);
    // On open, after a QEMU killed mid-command: zones a reset emptied
    // whose zeroing did not finish (erase_pending), and zones a write was
    // landing in (write_pending), read as zeros beyond their write
    // pointer again.
    static void finish_interrupted_zone_work(Namespace &ns);

private:
    static const IoHandlerTable<ZnsCommandSet> &table();
    Outcome io_zone_mgmt_send(Request &req);
    Outcome io_zone_mgmt_recv(Request &req);
    Outcome io_zone_append(Request &req);
    ftl::ZnsFtl *zoned(const Request &req, Status &st);

    const uint32_t &cc_;
};

}  // namespace nvmev
