// Data movement between guest memory and controller buffers through a
// command's data pointer: PRPs or an SGL, as PSDT selects. Every command
// that moves data goes through map(); a Read or Write of an I/O queue
// group's pass only stages its segments, to move after the core's lock is
// dropped (queue_groups.cc).
#pragma once

#include <cstdint>
#include <vector>

#include "host.h"
#include "prp.h"
#include "request.h"
#include "sgl.h"
#include "spec.h"

namespace nvmev {

class DataTransfer {
public:
    explicit DataTransfer(const Host &host) : host_(host), prp_(host), sgl_(host) {}

    // The command's buffer of `len` bytes as guest-memory segments.
    Status map(const Sqe &sqe, uint64_t len, Dma dir, const std::vector<DmaSegment> *&segments);
    Status to_host(const Sqe &sqe, const void *data, uint64_t len);
    // Writes `len` bytes: `data_len` bytes of data, then zeros.
    Status to_host_padded(const Sqe &sqe, const void *data, uint64_t data_len, uint64_t len);
    // Writes the first `data_len` bytes of a `buffer_len`-byte host buffer.
    Status to_host_part(const Sqe &sqe, const void *data, uint64_t data_len, uint64_t buffer_len);
    Status from_host(const Sqe &sqe, void *data, uint64_t len);
    // Maps the request's buffer and records, in its queue group, the copy of
    // `bytes` between it and `data` (blocks [slba, slba + nlb) of its
    // namespace's backing store).
    Status stage(Request &req, uint8_t *data, uint64_t slba, uint32_t nlb, uint64_t bytes,
                 bool write);

private:
    const Host &host_;
    PrpWalker prp_;
    SglWalker sgl_;
};

}  // namespace nvmev
