// What an Error Information log entry (NVMe 2.0c 5.16.1.2) says about the
// command that failed: the parameter at fault and the LBA involved.
#pragma once

#include <cstdint>

#include "spec.h"

namespace nvmev {

// Parameter Error Location: the byte of the SQE in bits 7:0 and the bit in
// bits 10:8, for the statuses whose field is known; FFFFh otherwise.
uint16_t parameter_error_location(const Sqe &sqe, uint16_t sqid, Status status);

// True if the I/O command carries a starting LBA in CDW10-11 (the entry's
// LBA field is then filled).
bool has_slba(const Sqe &sqe, uint16_t sqid);

}  // namespace nvmev
