// The per-kind FTL interface: decides what a media operation does and, with
// its timing model, when it completes. Data bytes live in the backing store
// at their LBA's offset; the controller moves them, the FTL does not.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "state_stream.h"

namespace nvmev::ftl {

enum class MediaOp {
    Read,
    Write,
    Flush,
    Deallocate,   // Dataset Management deallocate (TRIM): mappings dropped
    WriteZeroes,  // Write Zeroes: no data moves; mappings dropped
};

struct MediaRequest {
    MediaOp op;
    uint64_t slba = 0;
    uint32_t nlb = 0;    // logical blocks (1-based)
    uint64_t bytes = 0;  // nlb * lba size
    bool fua = false;
    int64_t now_ns = 0;  // fetch time
};

struct MediaResult {
    uint16_t status = 0;         // NVMe status field (0: success)
    int64_t complete_at_ns = 0;  // when the completion may be posted
};

// The largest time a timing parameter takes (1000 s: far past any host's
// command timeout). Completion times add several of them to the clock and
// multiply some by a block's pages; unbounded, a huge value would overflow
// into a completion in the past.
constexpr int64_t kMaxTimingNs = 1'000'000'000'000;

// A run-time tunable parameter, named as its device property.
struct Param {
    std::string name;
    int64_t value;
};

// What query-nvmev reports about the media (zero where a kind has none).
struct FtlStats {
    uint64_t host_pages_written = 0;  // 4 KiB pages the host wrote
    uint64_t nand_pages_written = 0;  // 4 KiB pages programmed (host, GC, padding)
    uint64_t gc_runs = 0;             // victim lines collected
    uint64_t gc_pages_copied = 0;
    uint64_t erases = 0;  // block erases
    uint64_t free_lines = 0;
    uint64_t total_lines = 0;
    uint64_t write_buffer_bytes = 0;  // occupancy now
    uint64_t write_buffer_capacity = 0;
    uint64_t max_erase_count = 0;  // of any block
    uint64_t rated_erase_cycles = 0;
};

// What an FTL does on its own, beside the commands it times: garbage
// collection, zone state changes. The controller forwards it to the host's
// trace events. Called from inside the FTL's operations, so it must be cheap
// and must not call back into the FTL; the FTL calls it only when set.
class FtlObserver {
public:
    // ssd=conv GC of `line` in `partition`: `valid` pages to copy, `free_lines`
    // before; background (the dies were idle) or foreground (a write needs
    // space).
    virtual void gc_start(uint32_t partition, uint32_t line, uint32_t valid, uint32_t free_lines,
                          bool background, int64_t now_ns) = 0;
    // The victim's `copied` pages are rewritten and its blocks erased at
    // erased_ns; `free_lines` after.
    virtual void gc_end(uint32_t partition, uint32_t line, uint32_t copied, uint32_t free_lines,
                        int64_t erased_ns) = 0;
    // ssd=zns: a zone moved between states (ZoneState values).
    virtual void zone_state(uint32_t zone, uint8_t from, uint8_t to) = 0;

protected:
    ~FtlObserver() = default;
};

class Ftl {
public:
    virtual ~Ftl() = default;
    // nullptr: report nothing. The observer outlives the FTL.
    virtual void set_observer(FtlObserver *) {}
    virtual MediaResult submit(const MediaRequest &req) = 0;
    // The tunable parameters and their values.
    virtual std::vector<Param> params() const = 0;
    // Checks a retune without applying it: "" or an error naming the
    // parameter and its allowed values.
    virtual std::string check_retune(const std::vector<Param> &changes) const = 0;
    // Applies a checked retune to operations submitted from now on.
    virtual void retune(const std::vector<Param> &changes, int64_t now_ns) = 0;
    virtual FtlStats stats(int64_t now_ns) const = 0;
    virtual void reset_stats() {}
    // Self-check of the FTL's invariants for tests: "" when they hold.
    virtual std::string check_invariants() const { return ""; }

    // Persistence (docs/persistence.md), for an FTL with state a restart
    // keeps (ssd=conv): save_state() appends it (times relative to the
    // writer's now), load_state() takes it back and returns "" or what does
    // not fit, and changes() counts the operations that changed it, so a
    // checkpoint with nothing new is skipped.
    virtual void save_state(StateWriter &) {}
    virtual std::string load_state(StateReader &) { return ""; }
    virtual uint64_t changes() const { return 0; }
};

// Simple-model parameters (ssd=nvm).
struct SimpleTiming {
    int64_t read_latency_ns;
    int64_t write_latency_ns;
    int64_t read_bandwidth_mbps;
    int64_t write_bandwidth_mbps;
};

// ssd=nvm: in-place updates, no GC, the simple latency + bandwidth model.
std::unique_ptr<Ftl> make_simple_ftl(const SimpleTiming &t, uint32_t unit_bytes);

}  // namespace nvmev::ftl
