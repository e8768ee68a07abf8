#include "error_location.h"

namespace nvmev {
namespace {

constexpr uint16_t location(unsigned byte, unsigned bit = 0)
{
    return static_cast<uint16_t>(byte | (bit << 8));
}

// Byte offsets in the SQE (Figure 88).
constexpr unsigned kFlagsByte = 1;  // FUSE bits 1:0, PSDT bits 7:6
constexpr unsigned kNsidByte = 4;
constexpr unsigned kDptrByte = 24;
constexpr unsigned kCdw10Byte = 40;

}  // namespace

bool has_slba(const Sqe &sqe, uint16_t sqid)
{
    if (sqid == 0) {
        return false;
    }
    switch (sqe.opcode) {
        case nvme_cmd_read:
        case nvme_cmd_write:
        case nvme_cmd_compare:
        case nvme_cmd_write_zeroes:
        case nvme_cmd_write_uncor:
        case nvme_cmd_verify:
        case nvme_zns_cmd_append: return true;
        default: return false;
    }
}

uint16_t parameter_error_location(const Sqe &sqe, uint16_t sqid, Status status)
{
    switch (status) {
        case kInvalidOpcode: return location(0);
        case kInvalidNamespace: return location(kNsidByte);
        case kLbaOutOfRange: return has_slba(sqe, sqid) ? location(kCdw10Byte) : 0xffff;
        case kInvalidPrpOffset:
        case kSglInvalidSegment:
        case kSglInvalidCount:
        case kSglDataLengthInvalid:
        case kSglTypeInvalid: return location(kDptrByte);
        case kFusedMissing: return location(kFlagsByte, 0);
        case kInvalidField:
            // The common fields execute() checks; handler-specific fields
            // are not tracked.
            if ((sqe.flags & 3) == 3) {
                return location(kFlagsByte, 0);
            }
            if ((sqe.flags >> 6) != 0) {
                return location(kFlagsByte, 6);
            }
            return 0xffff;
        default: return 0xffff;
    }
}

}  // namespace nvmev
