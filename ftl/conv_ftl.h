// ssd=conv: a conventional NAND SSD. Page-level mapping at 4 KiB over
// superblock lines, independent partitions striped by LPN, a shared write
// buffer, garbage collection, on the parallel timing model.
#pragma once

#include <memory>
#include <vector>

#include "../timing/parallel_model.h"
#include "ftl.h"

namespace nvmev::ftl {

enum class GcPolicy : uint8_t { Greedy, CostBenefit };

struct ConvParams {
    timing::NandGeometry geo;  // blocks_per_plane already resolved
    timing::NandTiming timing;
    uint64_t logical_bytes = 0;  // what the host sees
    uint32_t partitions = 1;     // divides geo.dies()
    uint32_t op_percent = 7;
    uint64_t write_buffer_bytes = 1 << 20;
    bool early_completion = true;
    uint32_t gc_fg_free_lines = 2;  // foreground GC at or below this many
    uint32_t gc_bg_free_lines = 4;  // background GC at or below this many
    GcPolicy gc_policy = GcPolicy::Greedy;
    uint32_t rated_erase_cycles = 3000;  // for SMART Percentage Used
};

// Lines (superblocks) each partition needs at least: the foreground
// threshold, the open user and GC lines, and one to collect into.
constexpr uint32_t kMinLinesPerPartition = 8;

// Blocks per plane that hold logical_bytes plus op_percent, rounded up.
uint32_t conv_blocks_per_plane(const timing::NandGeometry &g, uint64_t logical_bytes,
                               uint32_t op_percent);

std::unique_ptr<Ftl> make_conv_ftl(const ConvParams &p);

// The most bytes ConvFtl::save_state() writes for `p` (the drive state
// area's slot size, docs/persistence.md).
uint64_t conv_state_bytes(const ConvParams &p);

}  // namespace nvmev::ftl
