// The per-kind FTL interface: decides what a media operation does and, with
// its timing model, when it completes. Data bytes live in the backing store
// at their LBA's offset; the controller moves them, the FTL does not.
#pragma once

#include <cstdint>
#include <memory>

namespace nvmev::ftl {

enum class MediaOp { Read, Write, Flush };

struct MediaRequest {
    MediaOp op;
    uint64_t slba = 0;
    uint32_t nlb = 0;    // logical blocks (1-based)
    uint64_t bytes = 0;  // nlb * lba size
    bool fua = false;
    int64_t now_ns = 0;  // fetch time
};

struct MediaResult {
    uint16_t status = 0;         // NVMe status field (0: success)
    int64_t complete_at_ns = 0;  // when the completion may be posted
};

// Simple-model parameters, as QMP exposes and retunes them.
struct SimpleTiming {
    int64_t read_latency_ns;
    int64_t write_latency_ns;
    int64_t read_bandwidth_mbps;
    int64_t write_bandwidth_mbps;
};

class Ftl {
public:
    virtual ~Ftl() = default;
    virtual MediaResult submit(const MediaRequest &req) = 0;
    virtual SimpleTiming timing() const = 0;
    virtual void retune(const SimpleTiming &t, int64_t now_ns) = 0;
};

// ssd=nvm: in-place updates, no GC, the simple latency + bandwidth model.
std::unique_ptr<Ftl> make_simple_ftl(const SimpleTiming &t, uint32_t unit_bytes);

}  // namespace nvmev::ftl
