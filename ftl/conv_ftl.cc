// ssd=conv: splits commands over the partitions (LPN striped), and owns
// what they share: the parallel model (channels, PCIe), the write buffer
// and the firmware latencies.
#include "conv_ftl.h"

#include <algorithm>
#include <stdexcept>

#include "conv_partition.h"
#include "nand_timing_fields.h"

namespace nvmev::ftl {

uint32_t conv_blocks_per_plane(const timing::NandGeometry &g, uint64_t logical_bytes,
                               uint32_t op_percent)
{
    const unsigned __int128 need =
        static_cast<unsigned __int128>(logical_bytes) * (100 + op_percent);
    const unsigned __int128 per_block_row =
        static_cast<unsigned __int128>(g.block_bytes()) * g.planes_per_lun * g.dies() * 100;
    return static_cast<uint32_t>((need + per_block_row - 1) / per_block_row);
}

namespace {

// The write buffer's releases and admissions a checkpoint keeps, each list:
// one per 4 KiB page it holds, plus slack (more are merged, WriteBuffer::save).
uint64_t saved_wb_entries(const ConvParams &p)
{
    return p.write_buffer_bytes / 4096 + 2;
}

class ConvFtl final : public Ftl {
public:
    explicit ConvFtl(const ConvParams &p)
        : p_(p), model_(p.geo, p.timing), wb_(p.write_buffer_bytes)
    {
        const uint64_t lpns = (p.logical_bytes + 4095) / 4096;
        for (uint32_t k = 0; k < p.partitions; ++k) {
            std::vector<uint32_t> dies;
            for (uint32_t d = k; d < p.geo.dies(); d += p.partitions) {
                dies.push_back(d);
            }
            const uint64_t n = lpns > k ? (lpns - k + p.partitions - 1) / p.partitions : 0;
            parts_.push_back(
                std::make_unique<ConvPartition>(p_, model_, wb_, std::move(dies), n, stats_));
        }
        stats_.total_lines = uint64_t{p.geo.blocks_per_plane} * p.partitions;
        stats_.write_buffer_capacity = p.write_buffer_bytes;
        stats_.rated_erase_cycles = p.rated_erase_cycles;
    }

    MediaResult submit(const MediaRequest &req) override
    {
        const int64_t now = req.now_ns;
        const uint64_t gc_runs = stats_.gc_runs;
        model_.forget_before(now);
        wb_.forget_before(now);
        MediaResult r;
        switch (req.op) {
            case MediaOp::Read: r.complete_at_ns = read(req); break;
            case MediaOp::Write: r.complete_at_ns = write(req); break;
            case MediaOp::Flush: r.complete_at_ns = flush(now); break;
            case MediaOp::Deallocate:
            case MediaOp::WriteZeroes: r.complete_at_ns = trim(req); break;
        }
        for (auto &part : parts_) {
            part->collect_garbage(now);
        }
        // A read changes nothing the drive state keeps, unless it let
        // background GC run (idle dies): that must reach the next checkpoint.
        changes_ += req.op != MediaOp::Read || stats_.gc_runs != gc_runs;
        return r;
    }

    void set_observer(FtlObserver *o) override
    {
        for (uint32_t k = 0; k < parts_.size(); ++k) {
            parts_[k]->set_observer(o, k);
        }
    }

    std::vector<Param> params() const override { return nand_timing_params(model_.timing()); }

    std::string check_retune(const std::vector<Param> &changes) const override
    {
        return check_nand_retune(changes, "conv");
    }

    void retune(const std::vector<Param> &changes, int64_t) override
    {
        model_.retune(retuned(model_.timing(), changes));
    }

    FtlStats stats(int64_t now) const override
    {
        FtlStats s = stats_;
        s.free_lines = 0;
        s.max_erase_count = 0;
        for (const auto &part : parts_) {
            s.free_lines += part->free_lines();
            s.max_erase_count = std::max<uint64_t>(s.max_erase_count, part->max_erase_count());
        }
        s.write_buffer_bytes = wb_.occupancy(now);
        return s;
    }

    void reset_stats() override
    {
        stats_.host_pages_written = stats_.nand_pages_written = 0;
        stats_.gc_runs = stats_.gc_pages_copied = stats_.erases = 0;
    }

    std::string check_invariants() const override
    {
        for (const auto &part : parts_) {
            if (std::string e = part->check_invariants(); !e.empty()) {
                return e;
            }
        }
        return "";
    }

    void save_state(StateWriter &w) override
    {
        w.put(stats_.host_pages_written);
        w.put(stats_.nand_pages_written);
        w.put(stats_.gc_runs);
        w.put(stats_.gc_pages_copied);
        w.put(stats_.erases);
        const timing::WriteBuffer::Saved wb = wb_.save(w.now(), saved_wb_entries(p_));
        w.put(wb.held);
        w.put_time(wb.drained_at);
        for (const auto *list : {&wb.pending, &wb.admits}) {
            w.put(uint64_t{list->size()});
            for (const auto &r : *list) {
                w.put_time(r.at);
                w.put(r.bytes);
            }
        }
        w.put(static_cast<uint32_t>(parts_.size()));
        for (const auto &part : parts_) {
            part->save(w);
        }
    }

    std::string load_state(StateReader &r) override
    {
        FtlStats s = stats_;
        r.get(s.host_pages_written);
        r.get(s.nand_pages_written);
        r.get(s.gc_runs);
        r.get(s.gc_pages_copied);
        r.get(s.erases);
        timing::WriteBuffer::Saved wb;
        r.get(wb.held);
        r.get_time(wb.drained_at);
        const uint64_t most = saved_wb_entries(p_);
        for (auto *list : {&wb.pending, &wb.admits}) {
            uint64_t n = 0;
            if (!r.get(n) || n > most) {
                return "its write buffer does not fit write-buffer-size";
            }
            list->resize(n);
            for (auto &e : *list) {
                r.get_time(e.at);
                r.get(e.bytes);
            }
        }
        uint32_t parts = 0;
        if (!r.get(parts) || parts != parts_.size() || wb.held > p_.write_buffer_bytes) {
            return "its partitions or write buffer do not fit the properties";
        }
        for (auto &part : parts_) {
            if (std::string e = part->load(r); !e.empty()) {
                return e;
            }
        }
        if (!r.ok() || !r.at_end()) {
            return "its length does not match the properties";
        }
        wb_.restore(std::move(wb));
        stats_ = s;
        return "";
    }

    uint64_t changes() const override { return changes_; }

private:
    struct Span {
        uint64_t first, last;  // 4 KiB logical pages, inclusive
        uint64_t lba_bytes;
    };
    static Span span(const MediaRequest &req)
    {
        const uint64_t lba = req.bytes / req.nlb;
        return {req.slba * lba / 4096, ((req.slba + req.nlb) * lba - 1) / 4096, lba};
    }
    ConvPartition &part(uint64_t lpn) { return *parts_[lpn % p_.partitions]; }
    uint64_t local(uint64_t lpn) const { return lpn / p_.partitions; }

    int64_t read(const MediaRequest &req)
    {
        const Span s = span(req);
        const int64_t start = req.now_ns + model_.fw_read_ns(req.bytes);
        pieces_.clear();
        for (uint32_t k = 0; k < p_.partitions; ++k) {
            lpns_.clear();
            for (uint64_t lpn =
                     s.first + (k + p_.partitions - s.first % p_.partitions) % p_.partitions;
                 lpn <= s.last; lpn += p_.partitions) {
                lpns_.push_back(local(lpn));
            }
            if (!lpns_.empty()) {
                parts_[k]->read(lpns_, start, pieces_);
            }
        }
        // Each piece (a channel chunk) crosses PCIe as soon as it is in the
        // controller; the request's bytes are shared out so partial pages
        // are not charged.
        std::sort(pieces_.begin(), pieces_.end(),
                  [](const ReadPiece &a, const ReadPiece &b) { return a.ready_ns < b.ready_ns; });
        uint64_t left = req.bytes;
        int64_t done = start;
        for (const ReadPiece &piece : pieces_) {
            const uint64_t bytes = std::min<uint64_t>(left, piece.bytes);
            left -= bytes;
            done = std::max(done, model_.pcie(timing::PcieDir::ToHost, bytes, piece.ready_ns));
        }
        return done;
    }

    // Admits pages [first, last] to the write buffer one by one (waiting
    // for space), moves their share of bytes [byte_begin, byte_end) over
    // PCIe after the firmware's admission work (nothing when !transfer),
    // and places them at their partition's write pointer.
    int64_t admit_pages(uint64_t first, uint64_t last, uint64_t byte_begin, uint64_t byte_end,
                        bool transfer, int64_t now)
    {
        const int64_t fw_end = now + model_.fw_write_ns(byte_end - byte_begin);
        int64_t t = now;
        int64_t done = fw_end;
        for (uint64_t lpn = first; lpn <= last; ++lpn) {
            int64_t space = wb_.space_at(4096, t);
            if (space < 0) {
                // Only unprogrammed partial units hold the buffer: program them.
                for (auto &part : parts_) {
                    part->flush(t);
                }
                space = wb_.space_at(4096, t);
                if (space < 0) {
                    throw std::logic_error("conv FTL: write buffer smaller than a page");
                }
            }
            t = space;
            wb_.admit(4096, t);
            int64_t arrived = std::max(t, fw_end);
            if (transfer) {
                const uint64_t share =
                    std::min(byte_end, (lpn + 1) * 4096) - std::max(byte_begin, lpn * 4096);
                arrived = model_.pcie(timing::PcieDir::FromHost, share, arrived);
            }
            done = std::max(done, arrived);
            part(lpn).write(local(lpn), arrived);
            stats_.host_pages_written++;
        }
        return done;
    }

    int64_t write(const MediaRequest &req)
    {
        const Span s = span(req);
        const uint64_t begin = req.slba * s.lba_bytes;
        int64_t done = admit_pages(s.first, s.last, begin, begin + req.bytes, true, req.now_ns);
        if (req.fua || !p_.early_completion) {
            done = std::max(done, durable(s.first, s.last, done));
        }
        return done;
    }

    // Programs the open units holding [first, last] and returns when every
    // page of it is on NAND.
    int64_t durable(uint64_t first, uint64_t last, int64_t ready)
    {
        int64_t done = ready;
        for (uint64_t lpn = first; lpn <= last; ++lpn) {
            int64_t at = part(lpn).durable_at(local(lpn));
            if (at < 0) {
                part(lpn).flush(ready);
                at = part(lpn).durable_at(local(lpn));
            }
            done = std::max(done, at);
        }
        return done;
    }

    int64_t flush(int64_t now)
    {
        int64_t done = now;
        for (auto &part : parts_) {
            done = std::max(done, part->flush(now));
        }
        return std::max(done, wb_.drained_at());
    }

    // Deallocate and Write Zeroes drop the mappings of the pages they cover
    // whole (a map update in firmware); Write Zeroes writes the partly
    // covered pages at the ends as zero-filled pages, with no transfer.
    int64_t trim(const MediaRequest &req)
    {
        const Span s = span(req);
        const bool head_partial = (req.slba * s.lba_bytes) % 4096 != 0;
        const bool tail_partial = ((req.slba + req.nlb) * s.lba_bytes) % 4096 != 0;
        int64_t done = req.now_ns + model_.fw_write_ns(0);
        for (uint64_t lpn = s.first; lpn <= s.last; ++lpn) {
            const bool partial =
                (lpn == s.first && head_partial) || (lpn == s.last && tail_partial);
            if (!partial) {
                part(lpn).trim(local(lpn));
            } else if (req.op == MediaOp::WriteZeroes) {
                done = std::max(done, admit_pages(lpn, lpn, 0, 4096, false, req.now_ns));
                if (req.fua || !p_.early_completion) {
                    done = std::max(done, durable(lpn, lpn, done));
                }
            }
        }
        return done;
    }

    ConvParams p_;
    timing::ParallelModel model_;
    mutable timing::WriteBuffer wb_;
    FtlStats stats_;
    std::vector<std::unique_ptr<ConvPartition>> parts_;
    std::vector<ReadPiece> pieces_;
    std::vector<uint64_t> lpns_;
    uint64_t changes_ = 0;
};

}  // namespace

std::unique_ptr<Ftl> make_conv_ftl(const ConvParams &p)
{
    return std::make_unique<ConvFtl>(p);
}

// Mirrors ConvFtl::save_state(): counters, write buffer (at most one entry
// per 4 KiB it holds, plus slack), then per partition its lines (25 bytes
// each, and 4 in the free list), page map, reverse map, program ends and
// two write pointers (21 bytes each; 25 are reserved, as when this was
// first written, so that the area, and with it a drive's capacity, keeps
// its size).
uint64_t conv_state_bytes(const ConvParams &p)
{
    const auto &g = p.geo;
    const uint64_t lpns = (p.logical_bytes + 4095) / 4096;
    const uint64_t per_part_lpns = (lpns + p.partitions - 1) / p.partitions;
    const uint64_t lines = g.blocks_per_plane;
    const uint64_t slots_per_line =
        g.block_bytes() / 4096 * g.planes_per_lun * (g.dies() / p.partitions);
    const uint64_t ppns = slots_per_line * lines;
    const uint64_t units = ppns / (g.program_unit_bytes / 4096 * g.planes_per_lun);
    const uint64_t wb_entries = saved_wb_entries(p);
    const uint64_t part = 4 + lines * 25 + 8 + lines * 4 + 8 + 8 + per_part_lpns * 4 + 8 +
                          ppns * 4 + 8 + units * 8 + 2 * 25;
    return 5 * 8 + 8 + 8 + 2 * (8 + wb_entries * 16) + 4 + p.partitions * part;
}

}  // namespace nvmev::ftl
