// ssd=zns: media timing of a zoned namespace on the parallel NAND model.
// Each zone is striped over `dies_per_zone` dies in program units; host
// writes pass through a per-zone or a global write buffer; a unit is
// programmed once the zone's sequential stream covers it; finish pads the
// open unit; reset erases the blocks that were written. Pure and
// deterministic like the parallel model: times are passed in, completions
// returned. docs/models.md gives the formulas.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "../timing/parallel_model.h"
#include "../timing/write_buffer.h"

namespace nvmev::ftl {

struct ZnsTimingParams {
    // pages_per_block is such that a zone's share of one die is a whole
    // number of blocks on each plane; blocks_per_plane holds every zone.
    timing::NandGeometry geo;
    timing::NandTiming timing;
    uint64_t zone_bytes = 0;  // zone size in bytes (not capacity)
    uint32_t zones = 0;
    uint32_t dies_per_zone = 1;  // divides geo.dies()
    // Per-zone write buffer in bytes; 0: every zone shares the global one.
    uint64_t zone_write_buffer_bytes = 0;
    uint64_t write_buffer_bytes = 0;  // global buffer (when per-zone is 0)
    bool early_completion = true;     // writes complete once buffered
};

// Where a zone's byte lands: zone z uses dies base(z) .. base(z) +
// dies_per_zone - 1 (mod dies), base(z) = (z * dies_per_zone) % dies.
// Program unit k of the zone (U = program_unit_bytes x planes bytes) goes
// to the zone's die k % dies_per_zone, at unit row k / dies_per_zone of the
// zone's blocks on that die.
struct ZnsTimingStats {
    uint64_t nand_pages_written = 0;  // 4 KiB pages programmed, padding included
    uint64_t padding_pages = 0;       // 4 KiB pages of padding programmed
    uint64_t erases = 0;              // block erases (per plane)
    uint64_t write_buffer_bytes = 0;  // occupancy now (all buffers)
    uint64_t write_buffer_capacity = 0;
};

// The now_ns passed to admit, read, finish, reset, flush and stats must
// not decrease from call to call (commands' fetch times): timeline history
// before it is dropped, as the conv FTL does per command.
class ZnsTiming {
public:
    explicit ZnsTiming(const ZnsTimingParams &p);

    const ZnsTimingParams &params() const { return p_; }
    // New timings apply to operations booked from now on.
    void retune(const timing::NandTiming &t, int64_t now_ns);

    // Program unit size U in bytes (program_unit_bytes x planes_per_lun).
    uint64_t unit_bytes() const;
    // The flash address of zone byte `offset` of `zone`.
    timing::FlashAddr addr_of(uint32_t zone, uint64_t offset) const;

    // A host write of `bytes` fetched at now_ns: firmware time, then
    // buffer space (when `buffered`: ZRWA writes use the ZRWA's own memory
    // and pass buffered = false), overlapped with the PCIe transfer from the
    // host. Returns when the data is in the device. The bytes stay held
    // in the buffer until commit() programs the unit they belong to.
    int64_t admit(uint32_t zone, uint64_t bytes, int64_t now_ns, bool buffered = true);

    // The zone's sequential stream now ends at zone byte `end` (a Commit
    // effect; end never decreases until reset()). Every program unit that
    // `end` completes is programmed from ready_ns (channel transfer, then
    // tPROG on its die) and its buffered bytes leave the buffer at the
    // program's end. With `durable`, a partial unit at the end is also
    // programmed now, padded (counted as padding; it is programmed again
    // when it fills). Returns when every byte below `end` is programmed if
    // `durable`, else ready_ns.
    int64_t commit(uint32_t zone, uint64_t end, int64_t ready_ns, bool durable);

    // A read of `bytes` at zone byte `offset` fetched at now_ns: firmware
    // time to start = now_ns + fw_read; then each flash-page piece below
    // the zone's programmed end whose unit is programmed by `start` (its
    // latest program, whole or padded, ends at or before start) is a NAND
    // read (sense on its die, channel); the rest is "buffered", with no
    // NAND access: unwritten, still in the buffer, or in a unit whose
    // program ends after start (as the conv FTL times it). Then PCIe to the
    // host per piece. Returns when the last byte reached the host.
    int64_t read(uint32_t zone, uint64_t offset, uint64_t bytes, int64_t now_ns);

    // Finish: the open partial unit, if any, is padded and programmed
    // after the firmware's fixed write time. Returns the end of that
    // program, or now_ns + fw_write_ns.
    int64_t finish(uint32_t zone, int64_t now_ns);

    // Reset: buffered data of the zone is dropped; each die of the zone
    // erases the blocks (on all planes at once) that hold programmed units,
    // after its booked work. The zone's stream restarts at 0. Returns when
    // the last erase ends (now_ns + fw_write_ns when nothing was
    // programmed).
    int64_t reset(uint32_t zone, int64_t now_ns);

    // Flush: every zone's partial unit is padded and programmed; returns
    // when every buffer has drained.
    int64_t flush(int64_t now_ns);

    // Bytes of the zone programmed (or booked) on NAND; the stream end.
    uint64_t programmed_end(uint32_t zone) const;
    uint64_t stream_end(uint32_t zone) const;

    ZnsTimingStats stats(int64_t now_ns);
    void reset_stats();

private:
    // A unit of a zone and the end of its latest program.
    struct InFlight {
        uint64_t unit;
        int64_t end;
    };
    // Per-zone state, kept small: 30000 zones cost a few MiB.
    struct Zone {
        uint64_t stream_end = 0;      // the sequential stream's end (commit)
        uint64_t programmed_end = 0;  // whole units programmed (booked), unit-aligned
        // Bytes on NAND, whose buffer space is released: programmed_end, or
        // the stream end that a padded program of the partial unit covered.
        uint64_t nand_end = 0;
        uint64_t held = 0;         // bytes admitted to the buffer, not yet released
        int64_t last_program = 0;  // latest end of the zone's programs since reset
        int64_t data_ready = 0;    // latest arrival of the zone's written data
        uint64_t units = 0;        // units programmed since reset (padded ones too)
        bool finished = false;     // finish(): the stream end reads as the zone end
        // Units whose latest program may still be under way, in increasing
        // unit order (programs are booked in stream order); a unit not
        // listed is programmed (or never was). Pruned of programs ended by
        // each call's now_ns, so it holds at most the units in flight; its
        // capacity is kept, so steady state allocates nothing.
        std::vector<InFlight> in_flight;
    };
    // The part of a read that lies in one flash page below programmed_end.
    struct ReadPart {
        uint64_t unit;  // zone unit index
        uint32_t page;  // flash page within the one-shot program
        uint32_t plane;
        uint64_t nand;    // bytes sensed and moved on the channel (4 KiB-aligned)
        uint64_t bytes;   // bytes to the host
        uint64_t offset;  // zone byte of the piece (for its address)
    };
    struct Piece {
        int64_t ready;
        uint64_t bytes;
        size_t order;  // ties on `ready` keep this order (no stable_sort buffer)
    };

    // The buffer zone `zone` writes into (created when `create`), or null.
    timing::WriteBuffer *buffer(uint32_t zone, bool create);
    // Buffer space of `bytes` of the zone leaves the buffer at `at`.
    void release(uint32_t zone, uint64_t bytes, int64_t at);
    // Programs the zone's whole units below its stream end from ready_ns.
    void program_units(uint32_t zone, int64_t ready_ns);
    // Programs the zone's partial unit padded, if it holds bytes not yet
    // on NAND; returns the program's end, or -1 when there was nothing.
    int64_t pad(uint32_t zone, int64_t ready_ns);
    // Records that unit `unit` of the zone is programmed until `end`.
    static void programmed(Zone &z, uint64_t unit, int64_t end);
    // The end of the latest program of the zone's unit, if it may still be
    // under way; else 0 (programmed long ago, or never).
    static int64_t program_end(const Zone &z, uint64_t unit);
    // Drops timeline history before now_ns (callers pass nondecreasing
    // fetch times to admit/read/finish/reset/flush), and the zone's
    // programs that ended by then.
    void forget_before(uint32_t zone, int64_t now_ns);

    ZnsTimingParams p_;
    timing::ParallelModel model_;
    uint64_t unit_ = 0;                 // U
    uint32_t blocks_per_zone_die_ = 0;  // blocks per plane of a zone on one die
    std::vector<Zone> zones_;
    timing::WriteBuffer global_wb_;
    // Per-zone buffers (zone_write_buffer_bytes > 0), created on first use.
    std::vector<std::unique_ptr<timing::WriteBuffer>> zone_wb_;
    std::vector<uint32_t> holders_;             // zones with held > 0
    ZnsTimingStats stats_;                      // counters (occupancy filled in by stats())
    std::vector<ReadPart> parts_;               // read scratch
    std::vector<Piece> pieces_;                 // read scratch
    std::vector<timing::ChunkArrival> chunks_;  // read scratch
};

}  // namespace nvmev::ftl
