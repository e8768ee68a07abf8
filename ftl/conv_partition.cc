// Page mapping, write pointers and reads of one conv partition. Garbage
// collection is in garbage_collector.cc.
#include "conv_partition.h"

#include <algorithm>
#include <climits>
#include <stdexcept>

namespace nvmev::ftl {

ConvPartition::ConvPartition(const ConvParams &p, timing::ParallelModel &model,
                             timing::WriteBuffer &wb, std::vector<uint32_t> dies, uint64_t lpns,
                             FtlStats &stats)
    : p_(p),
      model_(model),
      wb_(wb),
      dies_(std::move(dies)),
      stats_(stats),
      slots_per_page_(p.geo.flash_page_bytes / 4096),
      unit_slots_(p.geo.program_unit_bytes / 4096 * p.geo.planes_per_lun),
      slots_per_line_(
          static_cast<uint32_t>(p.geo.block_bytes() / 4096 * p.geo.planes_per_lun * dies_.size())),
      lines_(p.geo.blocks_per_plane, slots_per_line_),
      l2p_(lpns, kUnmapped),
      p2l_(uint64_t{slots_per_line_} * p.geo.blocks_per_plane, kUnmapped),
      unit_end_(p2l_.size() / unit_slots_, 0),
      gc_reads_done_(dies_.size(), 0)
{
}

timing::FlashAddr ConvPartition::unit_addr(uint32_t line, uint32_t unit_in_line) const
{
    timing::FlashAddr a = model_.die_addr(dies_[unit_in_line % dies_.size()]);
    a.block = line;
    a.page = static_cast<uint32_t>(unit_in_line / dies_.size()) * p_.geo.pages_per_program();
    return a;
}

// Within a unit, slots run plane by plane, then page by page of the
// one-shot program, then 4 KiB by 4 KiB of the flash page.
timing::FlashAddr ConvPartition::flash_addr(uint32_t ppn) const
{
    const uint32_t slot = slot_of(ppn);
    const uint32_t in_unit = slot % unit_slots_;
    const uint32_t ppp = p_.geo.pages_per_program();
    timing::FlashAddr a = unit_addr(line_of(ppn), slot / unit_slots_);
    a.plane = in_unit / (ppp * slots_per_page_);
    a.page += (in_unit / slots_per_page_) % ppp;
    return a;
}

void ConvPartition::invalidate(uint32_t ppn)
{
    p2l_[ppn] = kUnmapped;
    lines_[line_of(ppn)].valid--;
}

void ConvPartition::place(WritePointer &wp, uint64_t lpn, int64_t ready_ns, bool host)
{
    if (wp.line == kUnmapped) {
        if (lines_.free_count() == 0) {
            // The thresholds keep a free line for each write pointer; only
            // a broken invariant gets here.
            throw std::logic_error("conv FTL: no free line for a write pointer");
        }
        wp.line = lines_.open_free();
        wp.slot = 0;
    }
    const uint32_t ppn = wp.line * slots_per_line_ + wp.slot;
    if (l2p_[lpn] != kUnmapped) {
        invalidate(l2p_[lpn]);
    }
    l2p_[lpn] = ppn;
    p2l_[ppn] = static_cast<uint32_t>(lpn);
    Line &line = lines_[wp.line];
    line.valid++;
    line.last_write_ns = std::max(line.last_write_ns, ready_ns);
    unit_end_[unit_of(ppn)] = -1;
    wp.host_pages += host;
    wp.open = true;
    wp.data_ready_ns = std::max(wp.data_ready_ns, ready_ns);
    wp.slot++;
    if (wp.slot % unit_slots_ == 0) {
        program_open_unit(wp, ready_ns);
    }
}

int64_t ConvPartition::program_open_unit(WritePointer &wp, int64_t ready_ns)
{
    if (!wp.open) {
        return ready_ns;
    }
    wp.open = false;
    // A partial unit is padded: the rest of its slots stay invalid.
    const uint32_t first = (wp.slot - 1) / unit_slots_ * unit_slots_;
    wp.slot = first + unit_slots_;
    const uint32_t line = wp.line;
    const int64_t start = std::max({ready_ns, wp.data_ready_ns, lines_[line].ready_ns});
    const int64_t end =
        model_.program(unit_addr(line, first / unit_slots_), unit_slots_ * 4096u, start);
    unit_end_[unit_of(line * slots_per_line_ + first)] = end;
    wb_.release(uint64_t{wp.host_pages} * 4096, end);
    stats_.nand_pages_written += unit_slots_;
    wp.host_pages = 0;
    wp.data_ready_ns = 0;
    if (wp.slot == slots_per_line_) {
        lines_.close_full(line);
        wp.line = kUnmapped;
        wp.slot = 0;
    }
    return end;
}

void ConvPartition::write(uint64_t lpn, int64_t at)
{
    const bool opens_line = user_.line == kUnmapped;
    place(user_, lpn, at, true);
    if (opens_line) {
        collect_garbage(at);
    }
}

int64_t ConvPartition::flush(int64_t ready)
{
    return std::max(program_open_unit(user_, ready), program_open_unit(gc_, ready));
}

int64_t ConvPartition::durable_at(uint64_t lpn) const
{
    const uint32_t ppn = l2p_[lpn];
    return ppn == kUnmapped ? 0 : unit_end_[unit_of(ppn)];
}

void ConvPartition::trim(uint64_t lpn)
{
    if (l2p_[lpn] != kUnmapped) {
        invalidate(l2p_[lpn]);
        l2p_[lpn] = kUnmapped;
    }
}

void ConvPartition::read(const std::vector<uint64_t> &lpns, int64_t ready_ns,
                         std::vector<ReadPiece> &out)
{
    std::vector<NandSlot> &nand = read_slots_;
    nand.clear();
    uint32_t buffered = 0;
    const uint32_t ppp = p_.geo.pages_per_program();
    for (uint64_t lpn : lpns) {
        const uint32_t ppn = l2p_[lpn];
        if (ppn == kUnmapped) {
            buffered++;  // reads as zeros: firmware and transfer only
            continue;
        }
        const int64_t end = unit_end_[unit_of(ppn)];
        if (end < 0 || end > ready_ns) {
            buffered++;  // still in the write buffer
            continue;
        }
        const uint32_t in_unit = slot_of(ppn) % unit_slots_;
        nand.push_back({unit_of(ppn), (in_unit / slots_per_page_) % ppp,
                        in_unit / (ppp * slots_per_page_), ppn});
    }
    if (buffered) {
        out.push_back({uint64_t{buffered} * 4096, ready_ns});
    }
    std::sort(nand.begin(), nand.end(), [](const NandSlot &a, const NandSlot &b) {
        return std::tie(a.unit, a.page, a.plane) < std::tie(b.unit, b.page, b.plane);
    });
    // One sense per flash page; the same page on several planes of a die is
    // one multi-plane read.
    for (size_t i = 0; i < nand.size();) {
        size_t j = i;
        uint32_t planes = 0;
        uint32_t last_plane = ~0u;
        while (j < nand.size() && nand[j].unit == nand[i].unit && nand[j].page == nand[i].page) {
            if (nand[j].plane != last_plane) {
                planes++;
                last_plane = nand[j].plane;
            }
            j++;
        }
        const uint32_t pages = static_cast<uint32_t>(j - i);
        read_chunks_.clear();
        model_.read(flash_addr(nand[i].ppn), pages * 4096u, ready_ns, planes, &read_chunks_);
        for (const timing::ChunkArrival &c : read_chunks_) {
            out.push_back({c.bytes, c.ready_ns});
        }
        i = j;
    }
}

bool ConvPartition::dies_idle(int64_t now) const
{
    for (uint32_t die : dies_) {
        const timing::FlashAddr a = model_.die_addr(die);
        if (model_.die_busy_until(a.channel, a.lun) > now) {
            return false;
        }
    }
    return true;
}

void ConvPartition::save_wp(StateWriter &w, const WritePointer &wp)
{
    w.put(wp.line);
    w.put(wp.slot);
    w.put(wp.host_pages);
    w.put_time(wp.data_ready_ns);
    w.put(static_cast<uint8_t>(wp.open));
}

bool ConvPartition::load_wp(StateReader &r, WritePointer &wp) const
{
    uint8_t open = 0;
    if (!r.get(wp.line) || !r.get(wp.slot) || !r.get(wp.host_pages) ||
        !r.get_time(wp.data_ready_ns) || !r.get(open)) {
        return false;
    }
    wp.open = open != 0;
    // A write pointer leaves a line as its last slot is programmed, so one
    // on a line always has a slot left in it, on an Open line.
    return (wp.line == kUnmapped && wp.slot == 0) ||
           (wp.line < lines_.size() && wp.slot < slots_per_line_ &&
            lines_[wp.line].state == Line::State::Open);
}

// Program ends: -1 (open) stays -1; a time saves relative to the
// checkpoint and loads no earlier than 0, since < 0 would read as open.
void ConvPartition::save(StateWriter &w) const
{
    lines_.save(w);
    w.put_vector(l2p_);
    w.put_vector(p2l_);
    std::vector<int64_t> ends(unit_end_.size());
    for (size_t i = 0; i < ends.size(); ++i) {
        ends[i] = unit_end_[i] < 0 ? INT64_MIN : unit_end_[i] - w.now();
    }
    w.put_vector(ends);
    save_wp(w, user_);
    save_wp(w, gc_);
}

std::string ConvPartition::load(StateReader &r)
{
    const uint64_t lpns = l2p_.size(), ppns = p2l_.size();
    if (!lines_.load(r)) {
        return "its line table does not fit the geometry";
    }
    if (!r.get_vector(l2p_, lpns) || !r.get_vector(p2l_, ppns) ||
        !r.get_vector(unit_end_, unit_end_.size())) {
        return "its page map does not fit the capacity and geometry";
    }
    for (int64_t &end : unit_end_) {
        end = end == INT64_MIN ? -1 : std::max<int64_t>(0, end + r.now());
    }
    if (!load_wp(r, user_) || !load_wp(r, gc_) ||
        (user_.line != kUnmapped && user_.line == gc_.line)) {
        return "its write pointers lie outside the open lines";
    }
    for (const uint32_t ppn : l2p_) {
        if (ppn != kUnmapped && ppn >= ppns) {
            return "its page map points outside the flash";
        }
    }
    for (const uint32_t lpn : p2l_) {
        if (lpn != kUnmapped && lpn >= lpns) {
            return "its reverse map points outside the capacity";
        }
    }
    return check_invariants();
}

std::string ConvPartition::check_invariants() const
{
    std::vector<uint32_t> valid(lines_.size(), 0);
    for (uint32_t ppn = 0; ppn < p2l_.size(); ++ppn) {
        if (p2l_[ppn] == kUnmapped) {
            continue;
        }
        if (p2l_[ppn] >= l2p_.size() || l2p_[p2l_[ppn]] != ppn) {
            return "ppn " + std::to_string(ppn) + " is valid but its lpn maps elsewhere";
        }
        valid[line_of(ppn)]++;
    }
    for (uint64_t lpn = 0; lpn < l2p_.size(); ++lpn) {
        if (l2p_[lpn] != kUnmapped && p2l_[l2p_[lpn]] != lpn) {
            return "lpn " + std::to_string(lpn) + " maps to a page that is not its own";
        }
    }
    uint32_t free = 0;
    for (uint32_t i = 0; i < lines_.size(); ++i) {
        const Line &l = lines_[i];
        if (l.valid != valid[i]) {
            return "line " + std::to_string(i) + " counts " + std::to_string(l.valid) +
                   " valid pages, the map has " + std::to_string(valid[i]);
        }
        if (l.state == Line::State::Free) {
            free++;
            if (l.valid) {
                return "free line " + std::to_string(i) + " holds valid pages";
            }
        } else if (l.state == Line::State::Open && i != user_.line && i != gc_.line) {
            return "line " + std::to_string(i) + " is open without a write pointer";
        }
    }
    if (free != lines_.free_count()) {
        return "free list holds " + std::to_string(lines_.free_count()) + " lines, " +
               std::to_string(free) + " are free";
    }
    return "";
}

}  // namespace nvmev::ftl
