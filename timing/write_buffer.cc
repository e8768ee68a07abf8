#include "write_buffer.h"

#include <algorithm>
#include <utility>

namespace nvmev::timing {

int64_t WriteBuffer::space_at(uint64_t bytes, int64_t now) const
{
    if (bytes > capacity_) {
        return -1;
    }
    // Releases at or before `now` are already free space.
    auto it = std::upper_bound(pending_.begin(), pending_.end(), now,
                               [](int64_t t, const Release &r) { return t < r.at; });
    uint64_t occupied = held_;
    for (auto r = it; r != pending_.end(); ++r) {
        occupied += r->bytes;
    }
    // Compared as occupied <= capacity - bytes so the sum cannot wrap.
    if (occupied <= capacity_ - bytes) {
        return now;
    }
    for (; it != pending_.end(); ++it) {
        occupied -= it->bytes;
        if (occupied <= capacity_ - bytes) {
            return it->at;
        }
    }
    return -1;
}

void WriteBuffer::admit(uint64_t bytes, int64_t at)
{
    // Nothing is retired at `at`: it may lie ahead of a later caller's
    // `now`, and retiring early would make space_at() see room too soon.
    held_ += bytes;
    // Admissions ahead in time are remembered so that occupancy() does not
    // count them before they happen; forget_before() drops past ones.
    auto it = std::upper_bound(admits_.begin(), admits_.end(), at,
                               [](int64_t t, const Release &r) { return t < r.at; });
    admits_.insert(it, Release{at, bytes});
    future_ += bytes;
}

void WriteBuffer::release(uint64_t bytes, int64_t at)
{
    // Only held bytes can leave; a larger count would corrupt occupancy.
    bytes = std::min(bytes, held_);
    if (bytes == 0) {
        return;
    }
    held_ -= bytes;
    scheduled_ += bytes;
    drained_at_ = std::max(drained_at_, at);
    // Programs may end out of order (different dies): insert in place.
    auto it = std::upper_bound(pending_.begin(), pending_.end(), at,
                               [](int64_t t, const Release &r) { return t < r.at; });
    pending_.insert(it, Release{at, bytes});
}

uint64_t WriteBuffer::occupancy(int64_t now)
{
    forget_before(now);
    // Bytes admitted after `now` are committed (space_at() counts them)
    // but not in the buffer yet. Every admitted byte is held or scheduled
    // for a release after its admission, so subtracting them is exact.
    return held_ + scheduled_ - future_;
}

void WriteBuffer::forget_before(int64_t now)
{
    auto it = std::upper_bound(pending_.begin(), pending_.end(), now,
                               [](int64_t t, const Release &r) { return t < r.at; });
    for (auto r = pending_.begin(); r != it; ++r) {
        scheduled_ -= r->bytes;
    }
    pending_.erase(pending_.begin(), it);
    auto a = std::upper_bound(admits_.begin(), admits_.end(), now,
                              [](int64_t t, const Release &r) { return t < r.at; });
    for (auto r = admits_.begin(); r != a; ++r) {
        future_ -= r->bytes;
    }
    admits_.erase(admits_.begin(), a);
}

namespace {

// At most `most` entries: runs of neighbours summed, at the run's last time
// (`later`) or its first. Both lists are sorted, so the result is too.
std::vector<WriteBuffer::Release> coarsened(const std::vector<WriteBuffer::Release> &v, size_t most,
                                            bool later)
{
    most = std::max<size_t>(most, 1);
    if (v.size() <= most) {
        return v;
    }
    const size_t run = (v.size() + most - 1) / most;
    std::vector<WriteBuffer::Release> out;
    for (size_t i = 0; i < v.size(); i += run) {
        const size_t end = std::min(v.size(), i + run);
        WriteBuffer::Release r{later ? v[end - 1].at : v[i].at, 0};
        for (size_t k = i; k < end; ++k) {
            r.bytes += v[k].bytes;
        }
        out.push_back(r);
    }
    return out;
}

}  // namespace

WriteBuffer::Saved WriteBuffer::save(int64_t now, size_t most)
{
    forget_before(now);
    return {held_, drained_at_, coarsened(pending_, most, true), coarsened(admits_, most, false)};
}

void WriteBuffer::restore(Saved s)
{
    held_ = s.held;
    drained_at_ = s.drained_at;
    pending_ = std::move(s.pending);
    admits_ = std::move(s.admits);
    scheduled_ = future_ = 0;
    for (const Release &r : pending_) {
        scheduled_ += r.bytes;
    }
    for (const Release &r : admits_) {
        future_ += r.bytes;
    }
}

}  // namespace nvmev::timing
