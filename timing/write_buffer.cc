#include "write_buffer.h"

#include <algorithm>

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
    // Admissions still ahead in time are remembered only so that
    // occupancy() does not count them; ones before this admission are
    // forgotten (same-time ones kept), which keeps the list as short as the backlog.
    auto keep = std::lower_bound(admits_.begin(), admits_.end(), at,
                                 [](const Release &r, int64_t t) { return r.at < t; });
    admits_.erase(admits_.begin(), keep);
    admits_.push_back(Release{at, bytes});
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
    retire(now);
    // Bytes admitted after `now` are committed (space_at() counts them)
    // but not in the buffer yet. Every admitted byte is held or scheduled
    // for a release after its admission, so subtracting them is exact.
    uint64_t future = 0;
    for (const Release &a : admits_) {
        future += a.at > now ? a.bytes : 0;
    }
    return held_ + scheduled_ - future;
}

void WriteBuffer::retire(int64_t now)
{
    auto it = std::upper_bound(pending_.begin(), pending_.end(), now,
                               [](int64_t t, const Release &r) { return t < r.at; });
    for (auto r = pending_.begin(); r != it; ++r) {
        scheduled_ -= r->bytes;
    }
    pending_.erase(pending_.begin(), it);
}

}  // namespace nvmev::timing
