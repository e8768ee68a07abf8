// ssd=zns: joins the zone state machine to the zone timing model.
#include "zns_ftl.h"

#include <algorithm>

#include "nand_timing_fields.h"

namespace nvmev::ftl {

ZnsFtl::ZnsFtl(const ZnsParams &p, ZoneRecord *records, bool fresh)
    : p_(p), zsm_(p.zones, records, fresh), media_(p.media)
{
}

int64_t ZnsFtl::apply(std::span<const ZoneEffect> effects, int64_t now_ns, bool durable)
{
    int64_t end = now_ns;
    for (const auto &e : effects) {
        switch (e.kind) {
            case ZoneEffect::Kind::Commit:
                end = std::max(end,
                               media_.commit(e.zone, zone_offset(e.zone, e.to), now_ns, durable));
                break;
            case ZoneEffect::Kind::Finish:
                counters_.finishes++;
                end = std::max(end, media_.finish(e.zone, now_ns));
                break;
            case ZoneEffect::Kind::Reset:
                counters_.resets++;
                end = std::max(end, media_.reset(e.zone, now_ns));
                break;
        }
    }
    return end;
}

MediaResult ZnsFtl::submit(const MediaRequest &req)
{
    MediaResult r;
    r.complete_at_ns = req.now_ns;
    switch (req.op) {
        case MediaOp::Read: {
            // Reads may cross zone boundaries (OZCS.RAZB): time each zone's part.
            uint64_t lba = req.slba;
            const uint64_t end = req.slba + req.nlb;
            while (lba < end) {
                const uint32_t z = zsm_.zone_of(lba);
                const uint64_t piece_end = std::min(end, zsm_.zslba(z) + p_.zones.zone_lbas);
                r.complete_at_ns = std::max(
                    r.complete_at_ns, media_.read(z, zone_offset(z, lba),
                                                  (piece_end - lba) << p_.lba_shift, req.now_ns));
                lba = piece_end;
            }
            break;
        }
        case MediaOp::Write:
        case MediaOp::WriteZeroes: {
            const uint32_t z = zsm_.zone_of(req.slba);
            // ZRWA writes land in the ZRWA's own memory; the buffer sees
            // them when a flush commits them.
            const bool zrwa = zsm_.zone(z).attrs & NVME_ZNS_ZA_ZRWAV;
            const int64_t in = media_.admit(z, req.bytes, req.now_ns, !zrwa);
            scratch_.clear();
            zsm_.commit_write(req.slba, req.nlb, scratch_);
            const bool durable = req.fua || !p_.media.early_completion;
            r.complete_at_ns = std::max(in, apply(scratch_, in, durable));
            if (zsm_.state(z) == ZoneState::Full) {
                // The zone filled: its last unit, if partial, is padded.
                const int64_t pad = media_.finish(z, in);
                r.complete_at_ns = std::max(r.complete_at_ns, durable ? pad : in);
            }
            host_pages_written_ += (req.bytes + 4095) / 4096;
            break;
        }
        case MediaOp::Flush: r.complete_at_ns = media_.flush(req.now_ns); break;
        case MediaOp::Deallocate: break;
    }
    return r;
}

MediaResult ZnsFtl::send(ZoneAction action, uint64_t slba, bool select_all, bool zrwa,
                         int64_t now_ns, std::vector<ZoneEffect> &effects)
{
    MediaResult r;
    const size_t first = effects.size();
    r.status = zsm_.send(action, slba, select_all, zrwa, effects);
    r.complete_at_ns = now_ns;
    if (r.status == 0) {
        const std::span<const ZoneEffect> mine(effects.begin() + static_cast<ptrdiff_t>(first),
                                               effects.end());
        // Zone management is firmware work even when no media is touched.
        const int64_t fw = now_ns + media_.params().timing.fw_write_ns;
        r.complete_at_ns = std::max(fw, apply(mine, now_ns, false));
    }
    return r;
}

MediaResult ZnsFtl::zrwa_flush(uint64_t elba, int64_t now_ns)
{
    MediaResult r;
    scratch_.clear();
    r.status = zsm_.zrwa_flush(elba, scratch_);
    r.complete_at_ns = now_ns;
    if (r.status == 0) {
        const int64_t fw = now_ns + media_.params().timing.fw_write_ns;
        r.complete_at_ns = std::max(fw, apply(scratch_, fw, !p_.media.early_completion));
        const uint32_t z = zsm_.zone_of(elba);
        if (zsm_.state(z) == ZoneState::Full) {
            r.complete_at_ns = std::max(r.complete_at_ns, media_.finish(z, fw));
        }
    }
    return r;
}

bool ZnsFtl::inject(uint32_t zone, ZoneState target, int64_t now_ns,
                    std::vector<ZoneEffect> &effects)
{
    const size_t first = effects.size();
    if (!zsm_.inject(zone, target, effects)) {
        return false;
    }
    const std::span<const ZoneEffect> mine(effects.begin() + static_cast<ptrdiff_t>(first),
                                           effects.end());
    apply(mine, now_ns, false);
    return true;
}

std::vector<Param> ZnsFtl::params() const
{
    return nand_timing_params(media_.params().timing);
}

std::string ZnsFtl::check_retune(const std::vector<Param> &changes) const
{
    return check_nand_retune(changes, "zns");
}

void ZnsFtl::retune(const std::vector<Param> &changes, int64_t now_ns)
{
    media_.retune(retuned(media_.params().timing, changes), now_ns);
}

FtlStats ZnsFtl::stats(int64_t now_ns) const
{
    const ZnsTimingStats m = media_.stats(now_ns);
    FtlStats s;
    s.host_pages_written = host_pages_written_;
    s.nand_pages_written = m.nand_pages_written;
    s.erases = m.erases;
    s.write_buffer_bytes = m.write_buffer_bytes;
    s.write_buffer_capacity = m.write_buffer_capacity;
    for (uint32_t z = 0; z < p_.zones.zones; ++z) {
        s.max_erase_count = std::max<uint64_t>(s.max_erase_count, zsm_.zone(z).resets);
    }
    s.rated_erase_cycles = p_.rated_erase_cycles;
    return s;
}

void ZnsFtl::reset_stats()
{
    media_.reset_stats();
    counters_ = {};
    host_pages_written_ = 0;
}

}  // namespace nvmev::ftl
