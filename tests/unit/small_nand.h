// The small NAND that the FTL timing tests (conv_ftl_test.cc,
// zns_timing_test.cc) run on, in round numbers so that expected times can
// be worked out by hand.
//
// 2 channels x 1 LUN (die 0 on channel 0, die 1 on channel 1), 1 plane,
// MLC, 32 KiB flash page = program unit, 4 pages per block, 16 blocks per
// plane. Channel 800 MB/s moves a 16 KiB chunk in 20480 ns, 4 KiB in
// 5120 ns, a 32 KiB unit in 40960 ns; PCIe 3200 MB/s moves 4 KiB in
// 4096 * 10^6 / 3200 ps = 1280 ns (512 B: 160 ns, 32 KiB: 10240 ns); tPROG
// 200 us, tBERS 1 ms; fw write 3000 + 500 ns per 4 KiB.
#pragma once

#include "../../timing/parallel_model.h"

namespace nvmev::test {

inline void small_nand(timing::NandGeometry &geo, timing::NandTiming &t)
{
    geo.channels = 2;
    geo.luns_per_channel = 1;
    geo.planes_per_lun = 1;
    geo.blocks_per_plane = 16;
    geo.pages_per_block = 4;
    geo.flash_page_bytes = 32768;
    geo.program_unit_bytes = 32768;
    geo.cell = timing::CellType::Mlc;
    t.read_4k_ns = {30000, 0, 50000, 0};
    t.read_page_ns = {40000, 0, 60000, 0};
    t.program_ns = 200000;
    t.erase_ns = 1000000;
    t.channel_mbps = 800;
    t.channel_chunk_bytes = 16384;
    t.pcie_mbps = 3200;
    t.fw_read_4k_ns = 10000;
    t.fw_read_ns = 20000;
    t.fw_write_ns = 3000;
    t.fw_write_4k_ns = 500;
}

}  // namespace nvmev::test
