// One independent FTL partition of ssd=conv: its own dies, lines, page map
// and write pointers. Partitions share the channels, the PCIe link and the
// write buffer (ConvFtl owns those), so one partition's GC delays another
// only where they really share hardware.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../timing/parallel_model.h"
#include "../timing/write_buffer.h"
#include "conv_ftl.h"
#include "line_pool.h"

namespace nvmev::ftl {

// Data of a host read in the controller at ready_ns: one channel chunk of
// a NAND read, or the pages read without NAND (unwritten or buffered).
struct ReadPiece {
    uint64_t bytes;  // whole 4 KiB pages' worth
    int64_t ready_ns;
};

class ConvPartition {
public:
    static constexpr uint32_t kUnmapped = ~0u;

    // `dies` lists the global die indices (lun * channels + channel) this
    // partition owns; `lpns` is how many 4 KiB logical pages map to it.
    ConvPartition(const ConvParams &p, timing::ParallelModel &model, timing::WriteBuffer &wb,
                  std::vector<uint32_t> dies, uint64_t lpns, FtlStats &stats);

    // A host page admitted to the write buffer at `at`: placed at the user
    // write pointer; a completed program unit is programmed.
    void write(uint64_t lpn, int64_t at);
    // Programs the open user and GC units now, padded. Returns the end of
    // the last program (or ready when none was open).
    int64_t flush(int64_t ready);
    // When the page's data is on NAND: its unit's program end, or -1 while
    // it waits in an open unit.
    int64_t durable_at(uint64_t lpn) const;

    // Appends the NAND reads that bring `lpns` (sorted, local) into the
    // controller, starting no earlier than ready_ns. Pages that are
    // unmapped or still in the write buffer need no NAND read: they are
    // returned as one piece ready at ready_ns.
    void read(const std::vector<uint64_t> &lpns, int64_t ready_ns, std::vector<ReadPiece> &out);

    // Drops the mapping (deallocate / write zeroes).
    void trim(uint64_t lpn);

    // Garbage collection due at `now`: foreground while free lines are at
    // or below the foreground threshold, one background victim when at or
    // below the background threshold and the partition's dies are idle.
    void collect_garbage(int64_t now);

    // Reports this partition's GC runs as partition `index` (nullptr: none).
    void set_observer(FtlObserver *o, uint32_t index)
    {
        observer_ = o;
        index_ = index;
    }

    // Checkpoint (docs/persistence.md): lines, page map, program ends and
    // write pointers. load() returns "" or what does not fit.
    void save(StateWriter &w) const;
    std::string load(StateReader &r);

    // Test hooks: the invariants of docs/models.md, "" when they hold.
    std::string check_invariants() const;
    uint32_t free_lines() const { return lines_.free_count(); }
    uint32_t max_erase_count() const { return lines_.max_erase_count(); }

private:
    struct WritePointer {
        uint32_t line = kUnmapped;
        uint32_t slot = 0;          // next slot in the line
        uint32_t host_pages = 0;    // in the open unit, held in the write buffer
        int64_t data_ready_ns = 0;  // latest arrival of the open unit's data
        bool open = false;          // the unit at slot - 1 is not programmed
    };

    uint32_t slot_of(uint32_t ppn) const { return ppn % slots_per_line_; }
    uint32_t line_of(uint32_t ppn) const { return ppn / slots_per_line_; }
    uint32_t unit_of(uint32_t ppn) const { return ppn / unit_slots_; }
    timing::FlashAddr flash_addr(uint32_t ppn) const;
    timing::FlashAddr unit_addr(uint32_t line, uint32_t unit_in_line) const;

    // Maps lpn at the write pointer; programs the unit when it fills.
    void place(WritePointer &wp, uint64_t lpn, int64_t ready_ns, bool host);
    // Programs wp's open unit (padded when partial) from ready_ns on.
    int64_t program_open_unit(WritePointer &wp, int64_t ready_ns);
    void invalidate(uint32_t ppn);
    // Copies the victim's valid pages to the GC write pointer and erases it.
    void collect_line(uint32_t victim, int64_t now, bool background);
    static void save_wp(StateWriter &w, const WritePointer &wp);
    bool load_wp(StateReader &r, WritePointer &wp) const;
    bool dies_idle(int64_t now) const;

    const ConvParams &p_;
    timing::ParallelModel &model_;
    timing::WriteBuffer &wb_;
    std::vector<uint32_t> dies_;
    FtlStats &stats_;

    uint32_t slots_per_page_;  // 4 KiB slots per flash page
    uint32_t unit_slots_;      // slots per program unit (all planes of a die)
    uint32_t slots_per_line_;
    LinePool lines_;
    std::vector<uint32_t> l2p_;      // local lpn -> ppn
    std::vector<uint32_t> p2l_;      // ppn -> local lpn (kUnmapped: invalid)
    std::vector<int64_t> unit_end_;  // program end per unit, -1 while open
    WritePointer user_;
    WritePointer gc_;
    // A page read() needs from NAND; kept across calls so reads do not
    // allocate.
    struct NandSlot {
        uint32_t unit;
        uint32_t page;  // flash page within the one-shot program
        uint32_t plane;
        uint32_t ppn;
    };
    std::vector<NandSlot> read_slots_;
    std::vector<timing::ChunkArrival> read_chunks_;
    // collect_line's end of the last read per die, sized once: GC runs in
    // the write path and must not allocate there.
    std::vector<int64_t> gc_reads_done_;
    bool collecting_ = false;
    FtlObserver *observer_ = nullptr;
    uint32_t index_ = 0;
};

}  // namespace nvmev::ftl
