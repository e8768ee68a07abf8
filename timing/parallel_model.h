// The parallel NAND timing model (ssd=conv, ssd=zns): dies (LUNs) with
// their own timelines for sense (tR), program (tPROG) and erase (tBERS),
// channels that move data in chunks at a fixed bandwidth (so that NAND and
// bus work overlap), the PCIe link (one timeline per direction) and the
// controller firmware's latencies. Pure and deterministic: every operation
// is (state, request, earliest start) -> completion, in nanoseconds.
// docs/models.md gives the formulas.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "resource_timeline.h"

namespace nvmev::timing {

// Bits per cell; the page classes in a block cycle through LSB, CSB, MSB,
// TSB (QLC's top page) in that order, one class per bit.
enum class CellType : uint8_t { Slc = 1, Mlc = 2, Tlc = 3, Qlc = 4 };
enum PageClass : uint8_t { kLsb = 0, kCsb = 1, kMsb = 2, kTsb = 3 };

struct NandGeometry {
    uint32_t channels = 8;
    uint32_t luns_per_channel = 2;
    uint32_t planes_per_lun = 1;
    uint32_t blocks_per_plane = 1024;
    uint32_t pages_per_block = 256;       // flash pages
    uint32_t flash_page_bytes = 32768;    // sensing unit
    uint32_t program_unit_bytes = 32768;  // one-shot program per plane
    CellType cell = CellType::Mlc;

    uint32_t dies() const { return channels * luns_per_channel; }
    uint32_t bits_per_cell() const { return static_cast<uint32_t>(cell); }
    // Flash pages one program covers on one plane.
    uint32_t pages_per_program() const { return program_unit_bytes / flash_page_bytes; }
    uint64_t block_bytes() const { return uint64_t{pages_per_block} * flash_page_bytes; }
};

struct NandTiming {
    // tR by page class (index PageClass): for reads of at most 4 KiB, and
    // for larger reads (up to a flash page).
    std::array<int64_t, 4> read_4k_ns{};
    std::array<int64_t, 4> read_page_ns{};
    int64_t program_ns = 0;                // tPROG of one program (all planes at once)
    int64_t erase_ns = 0;                  // tBERS (all planes at once)
    int64_t channel_mbps = 800;            // MB/s (10^6 B/s), > 0
    uint32_t channel_chunk_bytes = 16384;  // unit of channel transfers, > 0
    int64_t pcie_mbps = 3360;              // per direction, > 0
    int64_t fw_read_4k_ns = 0;             // firmware time of a read of at most 4 KiB
    int64_t fw_read_ns = 0;                // ... of a larger read
    int64_t fw_write_ns = 0;               // write-buffer admission: fixed part
    int64_t fw_write_4k_ns = 0;            // ... plus this per 4 KiB
    // A die is busy while its data crosses the channel, and its operations
    // run in booking order (NVMeVirt's model); false: busy only for tR and
    // tPROG, the data waiting in the cache register (docs/models.md).
    bool die_busy_during_transfer = false;
};

// A flash page address. `page` is the page index inside its block.
struct FlashAddr {
    uint32_t channel = 0;
    uint32_t lun = 0;  // within the channel
    uint32_t plane = 0;
    uint32_t block = 0;
    uint32_t page = 0;
};

enum class PcieDir : uint8_t { ToHost, FromHost };

// One channel chunk of a read: its bytes and when its last byte is in the
// controller (rounded up to ns), so it can cross PCIe from then on.
struct ChunkArrival {
    uint32_t bytes;
    int64_t ready_ns;
};

class ParallelModel {
public:
    ParallelModel(const NandGeometry &g, const NandTiming &t);

    const NandGeometry &geometry() const { return geo_; }
    const NandTiming &timing() const { return timing_; }
    // New timings apply to operations booked from now on.
    void retune(const NandTiming &t) { timing_ = t; }

    PageClass page_class(uint32_t page) const;
    // tR of a read of `bytes` (<= one flash page) from page `page`.
    int64_t sense_ns(uint32_t page, uint32_t bytes) const;
    // Firmware time of a read command of `bytes`, and of admitting a write
    // of `bytes` to the write buffer.
    int64_t fw_read_ns(uint64_t bytes) const;
    int64_t fw_write_ns(uint64_t bytes) const;

    // Reads `bytes` (1 .. flash page) from `a`: the die senses from
    // max(ready_ns, die free), then the data crosses the channel in chunks.
    // `planes` > 1 senses the same page on that many planes of the die in
    // one multi-plane read (bytes then count all planes). Returns when the
    // last byte is in the controller. With `chunks`, appends each channel
    // chunk's arrival there, so the caller sends it to the host as soon as
    // it is in the controller (per chunk, as NVMeVirt does).
    int64_t read(const FlashAddr &a, uint32_t bytes, int64_t ready_ns, uint32_t planes = 1,
                 std::vector<ChunkArrival> *chunks = nullptr);

    // Programs `bytes` (at most planes_per_lun x program unit) at page
    // `a.page` of the die: the data crosses the channel in chunks from
    // ready_ns, then the die programs all planes at once. Returns the end
    // of tPROG.
    int64_t program(const FlashAddr &a, uint32_t bytes, int64_t ready_ns);

    // Erases block `a.block` on every plane of the die. Returns the end.
    int64_t erase(const FlashAddr &a, int64_t ready_ns);

    // Moves `bytes` over the PCIe link in one direction from ready_ns.
    int64_t pcie(PcieDir dir, uint64_t bytes, int64_t ready_ns);

    // Callers promise that no later operation is ready before now_ns.
    void forget_before(int64_t now_ns);

    // When the die is free of every operation booked so far.
    int64_t die_busy_until(uint32_t channel, uint32_t lun) const;

    // Die numbers run lun * channels + channel: the address of die `die`.
    FlashAddr die_addr(uint32_t die) const
    {
        FlashAddr a;
        a.channel = die % geo_.channels;
        a.lun = die / geo_.channels;
        return a;
    }

private:
    uint32_t die_index(const FlashAddr &a) const { return a.lun * geo_.channels + a.channel; }
    // Channel transfer of `bytes` in chunks, the first ready at ready_ps;
    // each chunk's arrival is appended to `chunks` when given.
    int64_t channel_transfer_ps(uint32_t channel, uint64_t bytes, int64_t ready_ps,
                                std::vector<ChunkArrival> *chunks = nullptr);
    int64_t bytes_ps(uint64_t bytes, int64_t mbps) const;

    NandGeometry geo_;
    NandTiming timing_;
    // Timelines in picoseconds, so bandwidth charges do not round per chunk.
    std::vector<ResourceTimeline> dies_;
    std::vector<ResourceTimeline> channels_;
    std::array<ResourceTimeline, 2> pcie_;
};

}  // namespace nvmev::timing
