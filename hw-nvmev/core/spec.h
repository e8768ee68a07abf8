// Wire formats the controller exchanges with the host that libnvme's
// <nvme/types.h> does not define (it describes data structures, not queue
// entries), plus status helpers. NVMe Base Specification 2.0c references.
#pragma once

#include <nvme/types.h>
#include <cstdint>

namespace nvmev {

// Submission Queue Entry, Figure 88 "Common Command Format".
struct Sqe {
    uint8_t opcode;
    uint8_t flags;  // FUSE (bits 1:0), PSDT (bits 7:6)
    uint16_t cid;
    uint32_t nsid;
    uint32_t cdw2;
    uint32_t cdw3;
    uint64_t mptr;
    uint64_t prp1;
    uint64_t prp2;
    uint32_t cdw10;
    uint32_t cdw11;
    uint32_t cdw12;
    uint32_t cdw13;
    uint32_t cdw14;
    uint32_t cdw15;
};
static_assert(sizeof(Sqe) == 64, "SQE is 64 bytes (NVMe 2.0c 4.2)");

// Completion Queue Entry, Figure 92 "Common Completion Queue Entry Layout".
struct Cqe {
    uint32_t dw0;
    uint32_t dw1;
    uint16_t sq_head;
    uint16_t sq_id;
    uint16_t cid;
    uint16_t status;  // phase tag in bit 0, status field in bits 15:1
};
static_assert(sizeof(Cqe) == 16, "CQE is 16 bytes (NVMe 2.0c 4.2.1)");

// A status field value without the phase tag, laid out as libnvme's
// NVME_SC_* constants: SC in bits 7:0, SCT in bits 10:8, DNR in bit 14.
using Status = uint16_t;

constexpr Status kSuccess = NVME_SC_SUCCESS;

constexpr Status generic_error(uint16_t sc, bool dnr = true)
{
    return static_cast<Status>((NVME_SCT_GENERIC << NVME_SCT_SHIFT) | sc | (dnr ? NVME_SC_DNR : 0));
}
constexpr Status cmd_specific_error(uint16_t sc, bool dnr = true)
{
    return static_cast<Status>((NVME_SCT_CMD_SPECIFIC << NVME_SCT_SHIFT) | sc |
                               (dnr ? NVME_SC_DNR : 0));
}
constexpr Status kInvalidOpcode = generic_error(NVME_SC_INVALID_OPCODE);
constexpr Status kInvalidField = generic_error(NVME_SC_INVALID_FIELD);
constexpr Status kDataTransferError = generic_error(NVME_SC_DATA_XFER_ERROR, false);
constexpr Status kInvalidNamespace = generic_error(NVME_SC_INVALID_NS);
constexpr Status kCommandSequenceError = generic_error(NVME_SC_CMD_SEQ_ERROR);
constexpr Status kInvalidPrpOffset = generic_error(NVME_SC_PRP_INVALID_OFFSET);
constexpr Status kLbaOutOfRange = generic_error(NVME_SC_LBA_RANGE);
constexpr Status kAbortRequested = generic_error(NVME_SC_ABORT_REQ, false);
constexpr Status kFusedFailed = generic_error(NVME_SC_FUSED_FAIL, false);
constexpr Status kFusedMissing = generic_error(NVME_SC_FUSED_MISSING);
// SGL statuses (NVMe 2.0c Figure 102); libnvme names 0Dh after its
// "Last Segment" case, the spec calls it Invalid SGL Segment Descriptor.
constexpr Status kSglInvalidSegment = generic_error(NVME_SC_SGL_INVALID_LAST);
constexpr Status kSglInvalidCount = generic_error(NVME_SC_SGL_INVALID_COUNT);
constexpr Status kSglDataLengthInvalid = generic_error(NVME_SC_SGL_INVALID_DATA);
constexpr Status kSglTypeInvalid = generic_error(NVME_SC_SGL_INVALID_TYPE);
constexpr Status kInvalidFormat = cmd_specific_error(NVME_SC_INVALID_FORMAT);
constexpr Status kCommandSizeLimitExceeded = cmd_specific_error(NVME_SC_CMD_SIZE_LIMIT_EXCEEDED);
constexpr Status kAbortLimitExceeded = cmd_specific_error(NVME_SC_ABORT_LIMIT);
constexpr Status media_error(uint16_t sc)
{
    return static_cast<Status>((NVME_SCT_MEDIA << NVME_SCT_SHIFT) | sc | NVME_SC_DNR);
}
constexpr Status kUnrecoveredReadError = media_error(NVME_SC_READ_ERROR);
constexpr Status kCompareFailure = media_error(NVME_SC_COMPARE_FAILED);

// Controller register values we implement (NVMe 2.0c 3.1.3).
constexpr uint32_t kVersion = 0x00010400;    // 1.4.0
constexpr uint32_t kPageSize = 4096;         // CAP.MPSMIN = CAP.MPSMAX = 0
constexpr uint32_t kMaxQueueEntries = 4096;  // CAP.MQES + 1
constexpr uint64_t kDoorbellBase = 0x1000;

// Starting LBA of an LBA-range command (CDW10-11).
constexpr uint64_t sqe_slba(const Sqe &sqe)
{
    return sqe.cdw10 | (uint64_t{sqe.cdw11} << 32);
}
// Number of logical blocks of a Read-like command (CDW12 bits 15:0, 0's based).
constexpr uint32_t sqe_nlb(const Sqe &sqe)
{
    return (sqe.cdw12 & 0xffff) + 1;
}

// CC fields.
constexpr uint32_t cc_en(uint32_t cc)
{
    return cc & 1;
}
constexpr uint32_t cc_css(uint32_t cc)
{
    return (cc >> 4) & 7;
}
constexpr uint32_t cc_mps(uint32_t cc)
{
    return (cc >> 7) & 0xf;
}
constexpr uint32_t cc_shn(uint32_t cc)
{
    return (cc >> 14) & 3;
}
constexpr uint32_t cc_iosqes(uint32_t cc)
{
    return (cc >> 16) & 0xf;
}
constexpr uint32_t cc_iocqes(uint32_t cc)
{
    return (cc >> 20) & 0xf;
}

// CSTS bits.
constexpr uint32_t kCstsRdy = 1u << 0;
constexpr uint32_t kCstsCfs = 1u << 1;
constexpr uint32_t kCstsShstComplete = 2u << 2;

}  // namespace nvmev
