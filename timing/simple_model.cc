#include "simple_model.h"

#include <algorithm>

namespace nvmev::timing {

int64_t SimplePipe::transfer_ns(uint64_t bytes) const
{
    // bytes / (mbps * 10^6 B/s) in ns = bytes * 1000 / mbps, rounded up.
    const auto bw64 = static_cast<uint64_t>(params_.bandwidth_mbps);
    if (bytes < (uint64_t{1} << 53)) {
        // Any real request: 64-bit arithmetic cannot overflow (a 128-bit
        // division is a library call on the I/O path).
        return static_cast<int64_t>((bytes * 1000u + bw64 - 1) / bw64);
    }
    const unsigned __int128 num = static_cast<unsigned __int128>(bytes) * 1000u;
    const auto bw = static_cast<unsigned __int128>(params_.bandwidth_mbps);
    return static_cast<int64_t>((num + bw - 1) / bw);
}

int64_t SimplePipe::submit(int64_t now_ns, uint64_t bytes)
{
    if (now_ns >= busy_until_ns_) {
        // Idle pipe: start a new busy period at the request's arrival.
        epoch_ns_ = now_ns;
        epoch_bytes_ = 0;
    }
    epoch_bytes_ += bytes;
    busy_until_ns_ = epoch_ns_ + transfer_ns(epoch_bytes_);

    return busy_until_ns_ + overhead_ns_;
}

int64_t SimplePipe::overhead_ns() const
{
    // The latency of an isolated unit includes its own transfer; the rest of
    // the latency is pipelined behind the transfer, so it does not reduce
    // throughput. When the latency is below one unit's transfer time, the
    // transfer alone sets the completion.
    const int64_t unit_ns = transfer_ns(params_.unit_bytes);
    return std::max<int64_t>(0, params_.latency_ns - unit_ns);
}

void SimplePipe::retune(const SimpleParams &params, int64_t now_ns)
{
    // Close the current busy period so that queued bytes keep the bandwidth
    // they were admitted at and new bytes use the new one.
    if (busy_until_ns_ > now_ns) {
        epoch_ns_ = busy_until_ns_;
    } else {
        epoch_ns_ = now_ns;
        busy_until_ns_ = now_ns;
    }
    epoch_bytes_ = 0;
    params_ = params;
    overhead_ns_ = overhead_ns();
}

}  // namespace nvmev::timing
