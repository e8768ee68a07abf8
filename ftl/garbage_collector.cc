// Garbage collection of one conv partition: victim lines' valid pages are
// read and rewritten at the GC write pointer (charged to the dies and
// channels they use), then the victim's blocks are erased (tBERS).
#include <algorithm>

#include "conv_partition.h"

namespace nvmev::ftl {

void ConvPartition::collect_garbage(int64_t now)
{
    if (collecting_) {
        return;
    }
    while (lines_.free_count() <= p_.gc_fg_free_lines) {
        const auto victim = lines_.pick_victim(p_.gc_policy, now);
        if (!victim) {
            return;
        }
        collect_line(*victim, now, false);
    }
    // Background GC starts only when the partition's dies are idle, so it
    // runs in time the host leaves unused; commands arriving later queue
    // behind its work as they would on a real drive.
    if (lines_.free_count() <= p_.gc_bg_free_lines && dies_idle(now)) {
        if (const auto victim = lines_.pick_victim(p_.gc_policy, now)) {
            collect_line(*victim, now, true);
        }
    }
}

void ConvPartition::collect_line(uint32_t victim, int64_t now, bool background)
{
    collecting_ = true;
    if (observer_) {
        observer_->gc_start(index_, victim, lines_[victim].valid, lines_.free_count(), background,
                            now);
    }
    std::vector<int64_t> &die_reads_done = gc_reads_done_;
    die_reads_done.assign(dies_.size(), now);
    uint64_t copied = 0;
    const uint32_t base = victim * slots_per_line_;
    // Flash page by flash page: one sense for the valid slots it holds.
    for (uint32_t first = 0; first < slots_per_line_; first += slots_per_page_) {
        uint32_t valid = 0;
        for (uint32_t s = first; s < first + slots_per_page_; ++s) {
            valid += p2l_[base + s] != kUnmapped;
        }
        if (!valid) {
            continue;
        }
        const uint32_t ppn = base + first;
        // A unit still being programmed is read once its program ends.
        const int64_t ready = std::max(now, unit_end_[unit_of(ppn)]);
        const int64_t done = model_.read(flash_addr(ppn), valid * 4096u, ready);
        const size_t die_pos = (first / unit_slots_) % dies_.size();
        die_reads_done[die_pos] = std::max(die_reads_done[die_pos], done);
        for (uint32_t s = first; s < first + slots_per_page_; ++s) {
            if (p2l_[base + s] != kUnmapped) {
                place(gc_, p2l_[base + s], done, false);
                copied++;
            }
        }
    }
    int64_t ready = now;
    for (size_t d = 0; d < dies_.size(); ++d) {
        timing::FlashAddr a = model_.die_addr(dies_[d]);
        a.block = victim;
        ready = std::max(ready, model_.erase(a, die_reads_done[d]));
    }
    lines_.release(victim, ready);
    stats_.gc_runs++;
    stats_.gc_pages_copied += copied;
    stats_.erases += dies_.size() * p_.geo.planes_per_lun;
    if (observer_) {
        observer_->gc_end(index_, victim, static_cast<uint32_t>(copied), lines_.free_count(),
                          ready);
    }
    collecting_ = false;
}

}  // namespace nvmev::ftl
