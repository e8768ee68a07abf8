#include "parallel_model.h"

#include <algorithm>

namespace nvmev::timing {

namespace {

constexpr int64_t kPsPerNs = 1000;

// Completions are reported in whole nanoseconds, never early.
int64_t ps_to_ns_ceil(int64_t ps)
{
    // Division truncates toward zero, which is already the ceiling below 0.
    return ps > 0 ? (ps + kPsPerNs - 1) / kPsPerNs : ps / kPsPerNs;
}

}  // namespace

ParallelModel::ParallelModel(const NandGeometry &g, const NandTiming &t)
    : geo_(g), timing_(t), dies_(g.dies()), channels_(g.channels)
{
}

int64_t ParallelModel::bytes_ps(uint64_t bytes, int64_t mbps) const
{
    // bytes / (mbps * 10^6 B/s) in ps = bytes * 10^6 / mbps, rounded up.
    // Unvalidated zero or negative bandwidth must not divide by zero.
    const auto bw = static_cast<unsigned __int128>(std::max<int64_t>(mbps, 1));
    const unsigned __int128 num = static_cast<unsigned __int128>(bytes) * 1'000'000u;
    return static_cast<int64_t>((num + bw - 1) / bw);
}

PageClass ParallelModel::page_class(uint32_t page) const
{
    // Clamped so that an out-of-range cell type cannot index past the
    // four timing entries or divide by zero.
    const uint32_t bits = std::clamp<uint32_t>(geo_.bits_per_cell(), 1, 4);
    const uint32_t c = page % bits;
    // MLC has no CSB: its upper page is the MSB.
    if (bits == 2 && c == 1) {
        return kMsb;
    }
    return static_cast<PageClass>(c);
}

int64_t ParallelModel::sense_ns(uint32_t page, uint32_t bytes) const
{
    const PageClass c = page_class(page);
    return bytes <= 4096 ? timing_.read_4k_ns[c] : timing_.read_page_ns[c];
}

int64_t ParallelModel::fw_read_ns(uint64_t bytes) const
{
    return bytes <= 4096 ? timing_.fw_read_4k_ns : timing_.fw_read_ns;
}

int64_t ParallelModel::fw_write_ns(uint64_t bytes) const
{
    const auto units = static_cast<int64_t>((bytes + 4095) / 4096);
    return timing_.fw_write_ns + timing_.fw_write_4k_ns * units;
}

int64_t ParallelModel::channel_transfer_ps(uint32_t channel, uint64_t bytes, int64_t ready_ps,
                                           std::vector<ChunkArrival> *chunks)
{
    ResourceTimeline &ch = channels_[channel];
    // A zero chunk size would never make progress: move it all at once.
    const uint64_t chunk = timing_.channel_chunk_bytes > 0 ? timing_.channel_chunk_bytes : bytes;
    int64_t end = ready_ps;
    // Every chunk may take the first gap that fits, so chunks of one
    // transfer can interleave with other dies' chunks on the channel.
    for (uint64_t left = bytes; left > 0;) {
        const uint64_t n = std::min(chunk, left);
        const int64_t d = bytes_ps(n, timing_.channel_mbps);
        const int64_t chunk_end = ch.reserve(ready_ps, d) + d;
        end = std::max(end, chunk_end);
        if (chunks) {
            chunks->push_back({static_cast<uint32_t>(n), ps_to_ns_ceil(chunk_end)});
        }
        left -= n;
    }
    return end;
}

int64_t ParallelModel::read(const FlashAddr &a, uint32_t bytes, int64_t ready_ns, uint32_t planes,
                            std::vector<ChunkArrival> *chunks)
{
    const uint32_t np = std::max<uint32_t>(planes, 1);
    const uint32_t per_plane = (bytes + np - 1) / np;
    const int64_t sense = sense_ns(a.page, per_plane) * kPsPerNs;
    ResourceTimeline &die = dies_[die_index(a)];
    if (timing_.die_busy_during_transfer) {
        // After every booking on the die, so the whole span is free.
        const int64_t start = std::max(ready_ns * kPsPerNs, die.busy_until());
        const int64_t end = channel_transfer_ps(a.channel, bytes, start + sense, chunks);
        die.reserve(start, end - start);
        return ps_to_ns_ceil(end);
    }
    // The die is busy only while sensing: the data then waits in its cache
    // register, so the channel transfer does not hold the die.
    const int64_t sense_end = die.reserve(ready_ns * kPsPerNs, sense) + sense;
    return ps_to_ns_ceil(channel_transfer_ps(a.channel, bytes, sense_end, chunks));
}

int64_t ParallelModel::program(const FlashAddr &a, uint32_t bytes, int64_t ready_ns)
{
    const int64_t prog = timing_.program_ns * kPsPerNs;
    if (timing_.die_busy_during_transfer) {
        // The data moves in once the die is free, and the die stays busy
        // from then to the end of tPROG.
        ResourceTimeline &die = dies_[die_index(a)];
        const int64_t start = std::max(ready_ns * kPsPerNs, die.busy_until());
        const int64_t in_die = channel_transfer_ps(a.channel, bytes, start);
        die.reserve(start, in_die + prog - start);
        return ps_to_ns_ceil(in_die + prog);
    }
    const int64_t in_die = channel_transfer_ps(a.channel, bytes, ready_ns * kPsPerNs);
    return ps_to_ns_ceil(dies_[die_index(a)].reserve(in_die, prog) + prog);
}

int64_t ParallelModel::erase(const FlashAddr &a, int64_t ready_ns)
{
    const int64_t bers = timing_.erase_ns * kPsPerNs;
    ResourceTimeline &die = dies_[die_index(a)];
    // In booking order when the die is held for transfers, as its reads
    // and programs are.
    const int64_t ready = timing_.die_busy_during_transfer
                              ? std::max(ready_ns * kPsPerNs, die.busy_until())
                              : ready_ns * kPsPerNs;
    return ps_to_ns_ceil(die.reserve(ready, bers) + bers);
}

int64_t ParallelModel::pcie(PcieDir dir, uint64_t bytes, int64_t ready_ns)
{
    if (bytes == 0) {
        return ready_ns;
    }
    const int64_t d = bytes_ps(bytes, timing_.pcie_mbps);
    return ps_to_ns_ceil(pcie_[static_cast<size_t>(dir)].reserve(ready_ns * kPsPerNs, d) + d);
}

void ParallelModel::forget_before(int64_t now_ns)
{
    const int64_t horizon = now_ns * kPsPerNs;
    for (ResourceTimeline &t : dies_) {
        t.forget_before(horizon);
    }
    for (ResourceTimeline &t : channels_) {
        t.forget_before(horizon);
    }
    for (ResourceTimeline &t : pcie_) {
        t.forget_before(horizon);
    }
}

int64_t ParallelModel::die_busy_until(uint32_t channel, uint32_t lun) const
{
    FlashAddr a;
    a.channel = channel;
    a.lun = lun;
    return ps_to_ns_ceil(dies_[die_index(a)].busy_until());
}

}  // namespace nvmev::timing
