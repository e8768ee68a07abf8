#include "line_pool.h"

#include <algorithm>
#include <numeric>

namespace nvmev::ftl {

LinePool::LinePool(uint32_t lines, uint32_t slots_per_line)
    : lines_(lines), free_(lines), free_count_(lines), slots_per_line_(slots_per_line)
{
    std::iota(free_.begin(), free_.end(), 0u);
}

uint32_t LinePool::open_free()
{
    const uint32_t line = free_[free_head_];
    free_head_ = (free_head_ + 1) % size();
    free_count_--;
    lines_[line].state = Line::State::Open;
    lines_[line].valid = 0;
    return line;
}

void LinePool::release(uint32_t line, int64_t ready_ns)
{
    Line &l = lines_[line];
    l.state = Line::State::Free;
    l.valid = 0;
    l.erase_count++;
    l.ready_ns = ready_ns;
    free_[(free_head_ + free_count_) % size()] = line;
    free_count_++;
}

std::optional<uint32_t> LinePool::pick_victim(GcPolicy policy, int64_t now_ns) const
{
    std::optional<uint32_t> best;
    double best_score = 0;
    for (uint32_t i = 0; i < size(); ++i) {
        const Line &l = lines_[i];
        if (l.state != Line::State::Full || l.valid >= slots_per_line_) {
            continue;
        }
        double score;
        if (policy == GcPolicy::Greedy) {
            score = -static_cast<double>(l.valid);
        } else {
            const double u = static_cast<double>(l.valid) / slots_per_line_;
            // +1 ns keeps a line written this instant comparable; an empty
            // line (u = 0) is free space for nothing and always wins.
            const double age =
                static_cast<double>(std::max<int64_t>(0, now_ns - l.last_write_ns)) + 1;
            score = u == 0 ? 1e300 : age * (1 - u) / (2 * u);
        }
        if (!best || score > best_score) {
            best = i;
            best_score = score;
        }
    }
    return best;
}

uint32_t LinePool::max_erase_count() const
{
    uint32_t m = 0;
    for (const Line &l : lines_) {
        m = std::max(m, l.erase_count);
    }
    return m;
}

void LinePool::save(StateWriter &w) const
{
    w.put(size());
    for (const Line &l : lines_) {
        w.put(static_cast<uint8_t>(l.state));
        w.put(l.valid);
        w.put(l.erase_count);
        w.put_time(l.ready_ns);
        w.put_time(l.last_write_ns);
    }
    w.put_vector(free_);
    w.put(free_head_);
    w.put(free_count_);
}

bool LinePool::load(StateReader &r)
{
    uint32_t n = 0;
    if (!r.get(n) || n != size()) {
        return false;
    }
    for (Line &l : lines_) {
        uint8_t state = 0;
        r.get(state);
        r.get(l.valid);
        r.get(l.erase_count);
        r.get_time(l.ready_ns);
        r.get_time(l.last_write_ns);
        if (state > static_cast<uint8_t>(Line::State::Full) || l.valid > slots_per_line_) {
            return false;
        }
        l.state = static_cast<Line::State>(state);
    }
    if (!r.get_vector(free_, n) || !r.get(free_head_) || !r.get(free_count_) || free_head_ >= n ||
        free_count_ > n) {
        return false;
    }
    for (uint32_t line : free_) {
        if (line >= n) {
            return false;
        }
    }
    // The free list proper (free_count_ entries from the head): distinct
    // lines, each Free; a line twice or a used one would be reopened over
    // its live pages.
    std::vector<bool> listed(n, false);
    for (uint32_t i = 0; i < free_count_; ++i) {
        const uint32_t line = free_[(free_head_ + i) % n];
        if (listed[line] || lines_[line].state != Line::State::Free) {
            return false;
        }
        listed[line] = true;
    }
    return r.ok();
}

}  // namespace nvmev::ftl
