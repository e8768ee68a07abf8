// ssd=nvm: an Optane-like device. Media is updated in place, so there is no
// mapping or GC; each direction is one SimplePipe.
#include <algorithm>
#include <string>

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
            case MediaOp::Deallocate:
                // A metadata update: one write latency, no media bandwidth.
                r.complete_at_ns = req.now_ns + write_.params().latency_ns;
                break;
            case MediaOp::WriteZeroes:
                // The media is written in place; nothing crosses PCIe, but
                // the write path's bandwidth is still spent.
                r.complete_at_ns = write_.submit(req.now_ns, req.bytes);
                last_write_done_ns_ = std::max(last_write_done_ns_, r.complete_at_ns);
                break;
        }
        return r;
    }

    std::vector<Param> params() const override
    {
        const SimpleTiming t = current();
        std::vector<Param> out;
        for (const Field &f : kFields) {
            out.push_back({f.name, t.*f.member});
        }
        return out;
    }

    std::string check_retune(const std::vector<Param> &changes) const override
    {
        for (const auto &c : changes) {
            const Field *f = field(c.name);
            if (!f) {
                return "'" + c.name +
                       "' is not a timing parameter of ssd=nvm (allowed: read-latency-ns, "
                       "write-latency-ns, read-bandwidth-mbps, write-bandwidth-mbps)";
            }
            if (c.value < f->min) {
                return "'" + c.name + "' must be " + (f->min ? "positive (MB/s)" : "at least 0");
            }
            if (c.value > f->max) {
                return "'" + c.name + "' must be at most " + std::to_string(f->max);
            }
        }
        return "";
    }

    void retune(const std::vector<Param> &changes, int64_t now_ns) override
    {
        SimpleTiming t = current();
        for (const auto &c : changes) {
            t.*field(c.name)->member = c.value;
        }
        read_.retune(params(t.read_latency_ns, t.read_bandwidth_mbps), now_ns);
        write_.retune(params(t.write_latency_ns, t.write_bandwidth_mbps), now_ns);
    }

    FtlStats stats(int64_t) const override { return {}; }

private:
    struct Field {
        const char *name;
        int64_t SimpleTiming::*member;
        int64_t min;  // bandwidths must be positive
        int64_t max;
    };
    static constexpr Field kFields[] = {
        {"read-latency-ns", &SimpleTiming::read_latency_ns, 0, kMaxTimingNs},
        {"write-latency-ns", &SimpleTiming::write_latency_ns, 0, kMaxTimingNs},
        {"read-bandwidth-mbps", &SimpleTiming::read_bandwidth_mbps, 1, INT64_MAX},
        {"write-bandwidth-mbps", &SimpleTiming::write_bandwidth_mbps, 1, INT64_MAX},
    };
    static const Field *field(const std::string &name)
    {
        for (const Field &f : kFields) {
            if (name == f.name) {
                return &f;
            }
        }
        return nullptr;
    }

    SimpleTiming current() const
    {
        return {read_.params().latency_ns, write_.params().latency_ns,
                read_.params().bandwidth_mbps, write_.params().bandwidth_mbps};
    }

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
