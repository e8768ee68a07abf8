// A trace to replay, parsed from fio's iolog (fio_iolog.h) or blkparse's
// text output (blkparse_trace.h): the I/Os in order, each with the time
// it was issued in the trace and the line it came from (errors found
// later, against the device, name that line).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nvmev::sim {

struct TraceRecord {
    enum Op : uint8_t { Read, Write, Trim, Flush } op = Read;
    uint64_t offset = 0, bytes = 0;  // Flush: 0, 0
    // Trace time since the trace's first record, unscaled (iolog v2: the
    // waits before it summed).
    int64_t at_ns = 0;
    uint32_t line = 0;

    bool operator==(const TraceRecord &) const = default;
};

struct Trace {
    std::string format;  // "iolog2", "iolog3", "blkparse-Q", "blkparse-D"
    std::vector<TraceRecord> records;
};

}  // namespace nvmev::sim
