#include "workload.h"

#include <algorithm>
#include <random>

namespace nvmev::sim {

Workload::Workload(const JobOptions &job, unsigned clone, uint64_t capacity, ZoneTable *zones,
                   int64_t start_ns)
    : IoSource(job, start_ns), next_rate_ns_(start_ns), zones_(zones)
{
    // Seeded per clone, as fio's clones draw different offsets.
    rng_ = job.randrepeat ? job.randseed + clone * 0x9e3779b97f4a7c15ull : std::random_device{}();
    start_ = std::min(job.offset, capacity);
    end_ = job.size ? std::min(capacity, start_ + job.size) : capacity;
    if (zones_) {
        const uint64_t zb = zones_->zone_bytes;
        zfirst_ = static_cast<uint32_t>((start_ + zb - 1) / zb);
        zend_ = static_cast<uint32_t>(end_ / zb);
        zcursor_ = zfirst_;
        start_ = uint64_t{zfirst_} * zb;
        end_ = uint64_t{zend_} * zb;
    }
    cursor_[0] = cursor_[1] = start_;
}

// splitmix64: small, fast and the same on every platform.
uint64_t Workload::rand()
{
    uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

bool Workload::done_issuing(int64_t now_ns) const
{
    if (end_ - start_ < job_.bs || out_of_time(now_ns)) {
        return true;
    }
    if (job_.time_based && job_.runtime_ns) {
        return false;
    }
    const uint64_t budget = job_.io_size ? job_.io_size : end_ - start_;
    return issued_bytes_ >= budget;
}

// The mix as a running ratio: after n I/Os, ceil(n * rwmixread / 100)
// were reads, so short runs have the exact proportion too.
bool Workload::pick_read()
{
    if (!job_.writes) {
        return true;
    }
    if (!job_.reads) {
        return false;
    }
    return reads_ * 100 < uint64_t{job_.rwmixread} * (issued_ + 1);
}

uint64_t Workload::data_offset(bool read)
{
    const uint64_t bs = job_.bs;
    if (zones_) {
        // Reads stay inside zone capacities: the gap up to the zone size
        // holds no data.
        const uint64_t per_zone = zones_->cap_bytes / bs;
        const uint64_t nzones = zend_ - zfirst_;
        if (job_.random) {
            const uint64_t r = rand() % (per_zone * nzones);
            return start_ + (r / per_zone) * zones_->zone_bytes + (r % per_zone) * bs;
        }
        uint64_t &c = cursor_[0];
        if ((c - start_) % zones_->zone_bytes + bs > per_zone * bs) {
            c = c - (c - start_) % zones_->zone_bytes + zones_->zone_bytes;
        }
        if (c >= end_) {
            c = start_;
        }
        const uint64_t off = c;
        c += bs;
        return off;
    }
    if (job_.random) {
        return start_ + (rand() % ((end_ - start_) / bs)) * bs;
    }
    uint64_t &c = cursor_[read ? 0 : 1];
    if (c + bs > end_) {
        c = start_;
    }
    const uint64_t off = c;
    c += bs;
    return off;
}

Io Workload::zbd_write(int64_t)
{
    ZoneTable &t = *zones_;
    std::erase_if(open_, [&](uint32_t z) {
        if (t.zones[z].resetting || t.zones[z].wp < t.cap_bytes) {
            return false;
        }
        t.zones[z].owned = false;
        return true;
    });
    // Open zones up to max_open_zones; a full zone is reset first.
    const uint32_t nzones = zend_ - zfirst_;
    for (uint32_t tried = 0; open_.size() < job_.max_open_zones && tried < nzones; tried++) {
        const uint32_t z = zcursor_;
        zcursor_ = zcursor_ + 1 == zend_ ? zfirst_ : zcursor_ + 1;
        ZoneTable::Zone &zone = t.zones[z];
        if (zone.owned || zone.resetting || zone.inflight) {
            continue;
        }
        zone.owned = true;
        open_.push_back(z);
        if (zone.wp >= t.cap_bytes) {
            zone.resetting = true;
            zone.inflight++;
            Io io;
            io.kind = Io::ZoneReset;
            io.zone = z;
            io.offset = uint64_t{z} * t.zone_bytes;
            return io;
        }
    }
    uint32_t usable[64];
    unsigned n = 0;
    for (uint32_t z : open_) {
        if (!t.zones[z].resetting && n < 64) {
            usable[n++] = z;
        }
    }
    if (n == 0) {
        return Io{};
    }
    const uint32_t z = usable[job_.random && n > 1 ? rand() % n : 0];
    ZoneTable::Zone &zone = t.zones[z];
    Io io;
    io.kind = Io::Write;
    io.zone = z;
    io.offset = uint64_t{z} * t.zone_bytes + zone.wp;
    io.bytes = std::min<uint64_t>(job_.bs, t.cap_bytes - zone.wp);
    zone.wp += io.bytes;
    zone.inflight++;
    return io;
}

Io Workload::next(int64_t now_ns)
{
    if (done_issuing(now_ns) || (job_.rate_iops && now_ns < next_rate_ns_)) {
        return Io{};
    }
    const bool read = pick_read();
    Io io;
    if (!read && zones_) {
        io = zbd_write(now_ns);
        if (io.kind != Io::Write) {
            return io;  // a reset (not a workload I/O), or zones busy
        }
    } else {
        io.kind = read ? Io::Read : Io::Write;
        io.offset = data_offset(read);
        io.bytes = job_.bs;
    }
    issued_++;
    reads_ += read;
    issued_bytes_ += io.bytes;
    if (job_.rate_iops) {
        // Evenly spaced from the start, as fio's default rate process.
        next_rate_ns_ = start_ns_ + static_cast<int64_t>(issued_ * 1000000000ull / job_.rate_iops);
    }
    return io;
}

void Workload::completed(const Io &io)
{
    if (!zones_ || (io.kind != Io::Write && io.kind != Io::ZoneReset)) {
        return;
    }
    ZoneTable::Zone &zone = zones_->zones[io.zone];
    zone.inflight--;
    if (io.kind == Io::ZoneReset) {
        zone.resetting = false;
        zone.wp = 0;
    }
}

void Workload::release_zones()
{
    for (uint32_t z : open_) {
        zones_->zones[z].owned = false;
    }
    open_.clear();
}

}  // namespace nvmev::sim
