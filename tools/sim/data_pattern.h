// --data-pattern=stamp: what a write puts in each logical block, so that
// whoever reads the namespace later (a second run, a guest booted on the
// --memdev-file) can tell which write left every block (docs/sim.md).
#pragma once

#include <cstdint>

namespace nvmev::sim {

// "nvmevsim" in the first 8 bytes of a stamped block (little-endian word).
constexpr uint64_t kStampMagic = 0x6d697376656d766eull;

// Fills one logical block of `bytes` (a multiple of 8, at least 24) as the
// write number `seq` of the run (counted from 0 over all jobs, in
// submission order) leaves block `lba`: 64-bit little-endian words
// kStampMagic, lba, seq, then splitmix64 outputs seeded from lba and seq.
void stamp_block(uint8_t *block, uint32_t bytes, uint64_t lba, uint64_t seq);

}  // namespace nvmev::sim
