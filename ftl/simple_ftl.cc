// ssd=nvm: an Optane-like device. Media is updated in place, so there is no
// mapping or GC; each direction is one SimplePipe.
#include <algorithm>

#include "../timing/simple_model.h"
#include "ftl.h"

namespace nvmev::ftl {
namespace {

class SimpleFtl final : public Ftl {
public:
    SimpleFtl(const SimpleTiming &t, uint32_t unit_bytes)
        : unit_bytes_(unit_bytes),
          read_(params(t.read_latency_ns, t.read_bandwidth_mbps)),
          write_(params(t.write_latency_ns, t.write_bandwidth_mbps))
    {
    }

    MediaResult submit(const MediaRequest &req) override
    {
        MediaResult r;
        switch (req.op) {
            case MediaOp::Read: r.complete_at_ns = read_.submit(req.now_ns, req.bytes); break;
            case MediaOp::Write:
                r.complete_at_ns = write_.submit(req.now_ns, req.bytes);
                last_write_done_ns_ = std::max(last_write_done_ns_, r.complete_at_ns);
                break;
            case MediaOp::Flush:
                // Media is persistent once a write completes: a flush waits only
                // for writes still in flight.
                r.complete_at_ns = std::max(req.now_ns, last_write_done_ns_);
                break;
        }
        return r;
    }

    SimpleTiming timing() const override
    {
        return {read_.params().latency_ns, write_.params().latency_ns,
                read_.params().bandwidth_mbps, write_.params().bandwidth_mbps};
    }

    void retune(const SimpleTiming &t, int64_t now_ns) override
    {
        read_.retune(params(t.read_latency_ns, t.read_bandwidth_mbps), now_ns);
        write_.retune(params(t.write_latency_ns, t.write_bandwidth_mbps), now_ns);
    }

private:
    timing::SimpleParams params(int64_t latency_ns, int64_t bandwidth_mbps) const
    {
        return {latency_ns, bandwidth_mbps, unit_bytes_};
    }

    uint32_t unit_bytes_;
    timing::SimplePipe read_;
    timing::SimplePipe write_;
    int64_t last_write_done_ns_ = 0;
};

}  // namespace

std::unique_ptr<Ftl> make_simple_ftl(const SimpleTiming &t, uint32_t unit_bytes)
{
    return std::make_unique<SimpleFtl>(t, unit_bytes);
}

}  // namespace nvmev::ftl
