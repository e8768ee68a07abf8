// ssd=zns media timing: zone striping over dies, write buffers (per zone or
// global), unit programs on the sequential stream, padding, finish, reset
// erases and reads, on the parallel NAND model. The formulas mirror the
// conv FTL's (ftl/conv_ftl.cc) so that both kinds are timed alike.
#include "zns_timing.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

namespace nvmev::ftl {

namespace {

constexpr uint32_t kNoZone = ~0u;

uint64_t round_up(uint64_t v, uint64_t m)
{
    return (v + m - 1) / m * m;
}

}  // namespace

ZnsTiming::ZnsTiming(const ZnsTimingParams &p)
    : p_(p), model_(p.geo, p.timing), global_wb_(p.write_buffer_bytes)
{
    const timing::NandGeometry &g = p.geo;
    auto fail = [](const std::string &why) { throw std::invalid_argument("zns timing: " + why); };
    if (g.dies() == 0 || g.planes_per_lun == 0 || g.pages_per_block == 0 ||
        g.flash_page_bytes == 0 || g.program_unit_bytes == 0) {
        fail("empty NAND geometry");
    }
    if (g.program_unit_bytes % g.flash_page_bytes != 0 ||
        g.pages_per_block % g.pages_per_program() != 0) {
        fail("a program unit must be whole flash pages, and a block whole program units");
    }
    if (p.dies_per_zone == 0 || g.dies() % p.dies_per_zone != 0) {
        fail("dies_per_zone must divide the number of dies");
    }
    unit_ = uint64_t{g.program_unit_bytes} * g.planes_per_lun;
    const uint64_t block_row = uint64_t{g.planes_per_lun} * g.block_bytes();
    const uint64_t zone_block_row = block_row * p.dies_per_zone;
    if (p.zone_bytes == 0) {
        fail("empty zone");
    }
    // A zone need not fill its blocks: the last unit may be partial (2 GiB
    // zones of 96 KiB units), and it is padded when the zone fills.
    blocks_per_zone_die_ =
        static_cast<uint32_t>((p.zone_bytes + zone_block_row - 1) / zone_block_row);
    zones_.resize(p.zones);
    if (p.zone_write_buffer_bytes > 0) {
        zone_wb_.resize(p.zones);
    }
}

void ZnsTiming::retune(const timing::NandTiming &t, int64_t)
{
    model_.retune(t);
}

uint64_t ZnsTiming::unit_bytes() const
{
    return unit_;
}

uint64_t ZnsTiming::programmed_end(uint32_t zone) const
{
    return zones_.at(zone).programmed_end;
}

uint64_t ZnsTiming::stream_end(uint32_t zone) const
{
    return zones_.at(zone).stream_end;
}

// Unit k of zone z: die (base(z) + k % dies_per_zone) mod dies, unit row
// r = k / dies_per_zone on it. The zone's share of that die starts at block
// (z * dies_per_zone / dies) * blocks_per_zone_die and holds its rows one
// after the other, pages_per_program flash pages each.
timing::FlashAddr ZnsTiming::addr_of(uint32_t zone, uint64_t offset) const
{
    const timing::NandGeometry &g = p_.geo;
    const uint32_t dpz = p_.dies_per_zone;
    const uint64_t unit = offset / unit_;
    const uint64_t in_unit = offset % unit_;
    const auto die = static_cast<uint32_t>((uint64_t{zone} * dpz + unit % dpz) % g.dies());
    timing::FlashAddr a = model_.die_addr(die);
    a.plane = static_cast<uint32_t>(in_unit / g.program_unit_bytes);
    const uint64_t index =
        unit / dpz * g.pages_per_program() + in_unit % g.program_unit_bytes / g.flash_page_bytes;
    const uint64_t base_block = uint64_t{zone} * dpz / g.dies() * blocks_per_zone_die_;
    a.block = static_cast<uint32_t>(base_block + index / g.pages_per_block);
    a.page = static_cast<uint32_t>(index % g.pages_per_block);
    return a;
}

timing::WriteBuffer *ZnsTiming::buffer(uint32_t zone, bool create)
{
    if (p_.zone_write_buffer_bytes == 0) {
        return &global_wb_;
    }
    std::unique_ptr<timing::WriteBuffer> &b = zone_wb_[zone];
    if (!b && create) {
        b = std::make_unique<timing::WriteBuffer>(p_.zone_write_buffer_bytes);
    }
    return b.get();
}

void ZnsTiming::programmed(Zone &z, uint64_t unit, int64_t end)
{
    // Units are programmed in stream order: a unit is the last one listed,
    // or after it (a padded unit is programmed again when it fills).
    if (!z.in_flight.empty() && z.in_flight.back().unit == unit) {
        z.in_flight.back().end = std::max(z.in_flight.back().end, end);
    } else {
        z.in_flight.push_back({unit, end});
    }
}

int64_t ZnsTiming::program_end(const Zone &z, uint64_t unit)
{
    const auto it = std::lower_bound(z.in_flight.begin(), z.in_flight.end(), unit,
                                     [](const InFlight &f, uint64_t u) { return f.unit < u; });
    return it != z.in_flight.end() && it->unit == unit ? it->end : 0;
}

void ZnsTiming::forget_before(uint32_t zone, int64_t now_ns)
{
    model_.forget_before(now_ns);
    if (zone != kNoZone) {
        // Programs ended by now_ns are over for every later read too.
        std::erase_if(zones_[zone].in_flight,
                      [now_ns](const InFlight &f) { return f.end <= now_ns; });
    }
    if (p_.zone_write_buffer_bytes == 0) {
        global_wb_.forget_before(now_ns);
    } else if (zone != kNoZone) {
        if (timing::WriteBuffer *wb = buffer(zone, false)) {
            wb->forget_before(now_ns);
        }
    }
}

void ZnsTiming::release(uint32_t zone, uint64_t bytes, int64_t at)
{
    Zone &z = zones_[zone];
    bytes = std::min(bytes, z.held);
    if (bytes == 0) {
        return;
    }
    buffer(zone, false)->release(bytes, at);
    z.held -= bytes;
    if (z.held == 0) {
        holders_.erase(std::find(holders_.begin(), holders_.end(), zone));
    }
}

void ZnsTiming::program_units(uint32_t zone, int64_t ready_ns)
{
    Zone &z = zones_[zone];
    // A program starts no earlier than the zone's data is in the device.
    const int64_t ready = std::max(ready_ns, z.data_ready);
    const uint64_t whole = z.stream_end / unit_ * unit_;
    for (uint64_t off = z.programmed_end; off < whole; off += unit_) {
        const int64_t end = model_.program(addr_of(zone, off), static_cast<uint32_t>(unit_), ready);
        // A padded program may already have released the unit's first
        // bytes: only the rest leave now.
        release(zone, off + unit_ - z.nand_end, end);
        z.programmed_end = z.nand_end = off + unit_;
        programmed(z, off / unit_, end);
        z.units = std::max(z.units, off / unit_ + 1);
        z.last_program = std::max(z.last_program, end);
        stats_.nand_pages_written += unit_ / 4096;
    }
}

int64_t ZnsTiming::pad(uint32_t zone, int64_t ready_ns)
{
    Zone &z = zones_[zone];
    if (z.finished || z.stream_end % unit_ == 0 || z.stream_end <= z.nand_end) {
        return -1;
    }
    const uint64_t off = z.stream_end / unit_ * unit_;
    const int64_t ready = std::max(ready_ns, z.data_ready);
    const int64_t end = model_.program(addr_of(zone, off), static_cast<uint32_t>(unit_), ready);
    stats_.nand_pages_written += unit_ / 4096;
    stats_.padding_pages += (unit_ - (z.stream_end - off)) / 4096;
    release(zone, z.stream_end - z.nand_end, end);
    // programmed_end stays at the last whole unit: the unit is programmed
    // again, whole, when the stream fills it.
    z.nand_end = z.stream_end;
    programmed(z, off / unit_, end);
    z.units = std::max(z.units, off / unit_ + 1);
    z.last_program = std::max(z.last_program, end);
    return end;
}

// The firmware's admission work comes first; then the data needs buffer
// space before it can move: a full buffer cannot take it, so the PCIe
// transfer starts once space is available (max(fw end, space), as in the
// conv FTL, where a page's transfer starts at max(its space, fw end)).
int64_t ZnsTiming::admit(uint32_t zone, uint64_t bytes, int64_t now_ns, bool buffered)
{
    Zone &z = zones_.at(zone);
    forget_before(zone, now_ns);
    int64_t t = now_ns + model_.fw_write_ns(bytes);
    if (buffered && bytes > 0) {
        timing::WriteBuffer *wb = buffer(zone, true);
        int64_t space = wb->space_at(bytes, t);
        while (space < 0) {
            // Held bytes of partial units block it: pad-program the
            // partial unit of the zone that holds most in this buffer.
            uint32_t victim = kNoZone;
            for (uint32_t h : holders_) {
                const Zone &hz = zones_[h];
                const bool paddable =
                    !hz.finished && hz.stream_end % unit_ != 0 && hz.stream_end > hz.nand_end;
                if (paddable && buffer(h, false) == wb &&
                    (victim == kNoZone || hz.held > zones_[victim].held)) {
                    victim = h;
                }
            }
            if (victim == kNoZone) {
                break;
            }
            pad(victim, t);
            space = wb->space_at(bytes, t);
        }
        if (space < 0) {
            // Nothing left to program: the write is larger than the buffer,
            // or held bytes are not in the stream yet. The data enters once
            // everything scheduled has left (the buffer overcommits).
            space = std::max(t, wb->drained_at());
        }
        wb->admit(bytes, space);
        if (z.held == 0) {
            holders_.push_back(zone);
        }
        z.held += bytes;
        t = space;
    }
    const int64_t done = model_.pcie(timing::PcieDir::FromHost, bytes, t);
    z.data_ready = std::max(z.data_ready, done);
    return done;
}

int64_t ZnsTiming::commit(uint32_t zone, uint64_t end, int64_t ready_ns, bool durable)
{
    Zone &z = zones_.at(zone);
    if (!z.finished) {
        z.stream_end = std::max(z.stream_end, std::min(end, p_.zone_bytes));
        program_units(zone, ready_ns);
        if (durable) {
            pad(zone, ready_ns);
        }
    }
    // Every byte below the end is on NAND once the zone's last program
    // (whole or padded) has ended.
    return durable ? std::max(ready_ns, z.last_program) : ready_ns;
}

int64_t ZnsTiming::read(uint32_t zone, uint64_t offset, uint64_t bytes, int64_t now_ns)
{
    const Zone &z = zones_.at(zone);
    forget_before(zone, now_ns);
    const timing::NandGeometry &g = p_.geo;
    const int64_t start = now_ns + model_.fw_read_ns(bytes);
    const uint64_t fp = g.flash_page_bytes;
    parts_.clear();
    pieces_.clear();
    uint64_t other = 0;  // bytes read without NAND: buffered, being programmed or unwritten
    const uint64_t end = offset + bytes;
    for (uint64_t off = offset; off < end;) {
        const uint64_t next = std::min(end, (off / fp + 1) * fp);
        // programmed_end is unit-aligned, so a flash page is all below it
        // or all above. A unit whose program ends after start is read from
        // the buffer, as in the conv FTL.
        if (off < z.programmed_end && program_end(z, off / unit_) <= start) {
            // Whole 4 KiB pieces are sensed and cross the channel; only the
            // requested bytes cross PCIe (as in the conv FTL).
            const uint64_t page = off / fp * fp;
            const uint64_t lo = (off - page) / 4096 * 4096;
            const uint64_t hi = std::min(fp, round_up(next - page, 4096));
            const uint64_t in_unit = off % unit_;
            parts_.push_back(
                {off / unit_, static_cast<uint32_t>(in_unit % g.program_unit_bytes / fp),
                 static_cast<uint32_t>(in_unit / g.program_unit_bytes), hi - lo, next - off, off});
        } else {
            other += next - off;
        }
        off = next;
    }
    // One sense per flash page; the same page of a unit on several planes
    // is one multi-plane read.
    std::sort(parts_.begin(), parts_.end(), [](const ReadPart &a, const ReadPart &b) {
        return std::tie(a.unit, a.page, a.plane, a.offset) <
               std::tie(b.unit, b.page, b.plane, b.offset);
    });
    for (size_t i = 0; i < parts_.size();) {
        uint64_t nand = 0;
        uint64_t host = 0;
        uint32_t planes = 0;
        size_t j = i;
        for (; j < parts_.size() && parts_[j].unit == parts_[i].unit &&
               parts_[j].page == parts_[i].page;
             ++j) {
            planes += j == i || parts_[j].plane != parts_[j - 1].plane;
            nand += parts_[j].nand;
            host += parts_[j].bytes;
        }
        chunks_.clear();
        model_.read(addr_of(zone, parts_[i].offset), static_cast<uint32_t>(nand), start, planes,
                    &chunks_);
        // The host's bytes of this page go with its chunks in arrival order.
        for (const timing::ChunkArrival &c : chunks_) {
            const uint64_t share = std::min<uint64_t>(host, c.bytes);
            host -= share;
            pieces_.push_back({c.ready_ns, share, pieces_.size()});
        }
        i = j;
    }
    if (other > 0) {
        pieces_.push_back({start, other, pieces_.size()});
    }
    // Each piece (a channel chunk) crosses PCIe as soon as it is in the
    // controller. (A stable_sort would allocate its buffer on every read.)
    std::sort(pieces_.begin(), pieces_.end(), [](const Piece &a, const Piece &b) {
        return std::tie(a.ready, a.order) < std::tie(b.ready, b.order);
    });
    int64_t done = start;
    for (const Piece &piece : pieces_) {
        done = std::max(done, model_.pcie(timing::PcieDir::ToHost, piece.bytes, piece.ready));
    }
    return done;
}

int64_t ZnsTiming::finish(uint32_t zone, int64_t now_ns)
{
    Zone &z = zones_.at(zone);
    forget_before(zone, now_ns);
    const int64_t t = now_ns + model_.timing().fw_write_ns;
    int64_t done = t;
    if (!z.finished) {
        // Whole units are programmed by commit(); only the partial one is
        // left, unless a durable commit padded it with nothing added since.
        done = std::max(done, pad(zone, t));
        // Anything still held (never committed) leaves with it.
        release(zone, z.held, std::max(done, z.data_ready));
        z.programmed_end = z.nand_end = round_up(z.stream_end, unit_);
        z.stream_end = p_.zone_bytes;
        z.finished = true;
    }
    return done;
}

int64_t ZnsTiming::reset(uint32_t zone, int64_t now_ns)
{
    Zone &z = zones_.at(zone);
    forget_before(zone, now_ns);
    // Dropped data leaves the buffer now (or when it has arrived, if its
    // transfer is still under way).
    release(zone, z.held, std::max(now_ns, z.data_ready));
    const timing::NandGeometry &g = p_.geo;
    const uint32_t dpz = p_.dies_per_zone;
    const uint64_t block_row = uint64_t{g.planes_per_lun} * g.block_bytes();
    const int64_t t = now_ns + model_.timing().fw_write_ns;
    int64_t done = t;
    for (uint32_t i = 0; i < dpz && z.units > 0; ++i) {
        // Die i of the zone received units i, i + dpz, ...
        const uint64_t units = z.units / dpz + (i < z.units % dpz ? 1 : 0);
        if (units == 0) {
            continue;
        }
        const uint64_t blocks = (units * unit_ + block_row - 1) / block_row;
        timing::FlashAddr a = addr_of(zone, i * unit_);  // row 0: the share's first block
        const uint32_t first = a.block;
        // Erases queue behind the die's booked work and behind each other.
        int64_t ready = std::max(t, model_.die_busy_until(a.channel, a.lun));
        for (uint64_t b = 0; b < blocks; ++b) {
            a.block = first + static_cast<uint32_t>(b);
            ready = model_.erase(a, ready);
        }
        done = std::max(done, ready);
        stats_.erases += blocks * g.planes_per_lun;
    }
    // Start afresh, keeping the in-flight list's capacity.
    std::vector<InFlight> in_flight = std::move(z.in_flight);
    in_flight.clear();
    z = Zone{};
    z.in_flight = std::move(in_flight);
    return done;
}

int64_t ZnsTiming::flush(int64_t now_ns)
{
    forget_before(kNoZone, now_ns);
    int64_t done = now_ns;
    // pad() may take a zone off holders_: walk a copy.
    const std::vector<uint32_t> zones = holders_;
    for (uint32_t zone : zones) {
        done = std::max(done, pad(zone, now_ns));
    }
    if (p_.zone_write_buffer_bytes == 0) {
        return std::max(done, global_wb_.drained_at());
    }
    for (const auto &wb : zone_wb_) {
        if (wb) {
            done = std::max(done, wb->drained_at());
        }
    }
    return done;
}

ZnsTimingStats ZnsTiming::stats(int64_t now_ns)
{
    ZnsTimingStats s = stats_;
    if (p_.zone_write_buffer_bytes == 0) {
        s.write_buffer_bytes = global_wb_.occupancy(now_ns);
        s.write_buffer_capacity = p_.write_buffer_bytes;
    } else {
        s.write_buffer_bytes = 0;
        for (const auto &wb : zone_wb_) {
            if (wb) {
                s.write_buffer_bytes += wb->occupancy(now_ns);
            }
        }
        s.write_buffer_capacity = p_.zone_write_buffer_bytes * p_.zones;
    }
    return s;
}

void ZnsTiming::reset_stats()
{
    stats_.nand_pages_written = 0;
    stats_.padding_pages = 0;
    stats_.erases = 0;
}

}  // namespace nvmev::ftl
