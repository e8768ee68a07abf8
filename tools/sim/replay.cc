#include "replay.h"

#include <algorithm>

#include "blkparse_trace.h"
#include "engine.h"
#include "fio_iolog.h"
#include "spec.h"
#include "text_file.h"

namespace nvmev::sim {
namespace {

// One data buffer per slot, reached by one PRP list page: 512 entries.
constexpr uint64_t kMaxBuffer = 512ull * kPageSize;

bool check_record(const TraceRecord &r, uint64_t capacity, uint32_t lba_shift, uint64_t max_xfer,
                  std::string &err)
{
    const uint64_t lba = 1ull << lba_shift;
    if (r.op == TraceRecord::Flush) {
        return true;
    }
    if (r.offset % lba || r.bytes % lba) {
        err = "offset " + std::to_string(r.offset) + " or length " + std::to_string(r.bytes) +
              " is not a multiple of the LBA size " + std::to_string(lba);
    } else if (r.offset > capacity || r.bytes > capacity - r.offset) {
        err = std::to_string(r.bytes) + " bytes at offset " + std::to_string(r.offset) +
              " end beyond the namespace (" + std::to_string(capacity) + " bytes)";
    } else if (r.op == TraceRecord::Trim && (r.bytes >> lba_shift) > UINT32_MAX) {
        err = "a trim of more than 2^32 - 1 logical blocks (one Dataset Management range)";
    } else if (r.op != TraceRecord::Trim && r.bytes > max_xfer) {
        err = "a transfer of " + std::to_string(r.bytes) + " bytes exceeds the largest (" +
              std::to_string(max_xfer) + " bytes: the device's mdts, at most 2 MiB)";
    }
    return err.empty();
}

std::string trace_name(const JobOptions &job)
{
    return job.read_iolog.empty() ? "read_blkparse=" + job.read_blkparse
                                  : "read_iolog=" + job.read_iolog;
}

}  // namespace

bool load_replay(const JobOptions &job, std::shared_ptr<const Trace> &trace, uint64_t &xfer,
                 std::string &err)
{
    const bool iolog = !job.read_iolog.empty();
    if (iolog && !job.read_blkparse.empty()) {
        err = "read_iolog and read_blkparse: one trace per job";
        return false;
    }
    if (job.zbd || job.rate_iops) {
        err = std::string(job.zbd ? "zonemode=zbd" : "rate_iops") +
              " with a trace: the trace gives the offsets and times";
        return false;
    }
    const std::string &path = iolog ? job.read_iolog : job.read_blkparse;
    std::string text;
    if (!read_text_file(path, text)) {
        err = trace_name(job) + ": cannot read it";
        return false;
    }
    auto t = std::make_shared<Trace>();
    if (!(iolog ? parse_fio_iolog(text, *t, err)
                : parse_blkparse(text, job.blkparse_action, *t, err))) {
        err = trace_name(job) + ": " + err;
        return false;
    }
    xfer = kPageSize;
    for (const TraceRecord &r : t->records) {
        if (r.op == TraceRecord::Read || r.op == TraceRecord::Write) {
            xfer = std::min(std::max(xfer, r.bytes), kMaxBuffer);
        }
    }
    trace = std::move(t);
    return true;
}

bool check_replay(const JobOptions &job, const Trace &trace, uint64_t capacity, uint32_t lba_shift,
                  uint32_t mdts, std::string &err)
{
    uint64_t max_xfer = kMaxBuffer;
    if (mdts && (uint64_t{kPageSize} << mdts) < max_xfer) {
        max_xfer = uint64_t{kPageSize} << mdts;
    }
    for (const TraceRecord &r : trace.records) {
        if (!check_record(r, capacity, lba_shift, max_xfer, err)) {
            err = trace_name(job) + ": line " + std::to_string(r.line) + ": " + err;
            return false;
        }
    }
    return true;
}

Replay::Replay(const JobOptions &job, std::shared_ptr<const Trace> trace, int64_t start_ns)
    : IoSource(job, start_ns), trace_(std::move(trace))
{
    skip_left_out();
}

void Replay::skip_left_out()
{
    while (pos_ < trace_->records.size() && (job_.replay_skip >> trace_->records[pos_].op) & 1) {
        pos_++;
    }
}

int64_t Replay::due_ns(const TraceRecord &r) const
{
    if (job_.replay_no_stall) {
        return start_ns_;
    }
    // 128 bits: days of trace time at a scale of 1 % still fit.
    const __int128 scaled = static_cast<__int128>(r.at_ns) * 100 / job_.replay_time_scale;
    return scaled > INT64_MAX - start_ns_ ? INT64_MAX : start_ns_ + static_cast<int64_t>(scaled);
}

bool Replay::done_issuing(int64_t now_ns) const
{
    return pos_ == trace_->records.size() || out_of_time(now_ns);
}

int64_t Replay::wake_ns() const
{
    if (pos_ == trace_->records.size()) {
        return INT64_MAX;
    }
    // An I/O due after runtime= is never issued: wake when it ends.
    const int64_t due = due_ns(trace_->records[pos_]);
    return job_.runtime_ns ? std::min(due, start_ns_ + job_.ramp_ns + job_.runtime_ns) : due;
}

Io Replay::next(int64_t now_ns)
{
    if (done_issuing(now_ns)) {
        return Io{};
    }
    const TraceRecord &r = trace_->records[pos_];
    const int64_t due = due_ns(r);
    if (now_ns < due) {
        return Io{};
    }
    // Late: the queue was full at its time (or an I/O before it was).
    // replay_no_stall has no times to be late for.
    if (now_ns > due && !job_.replay_no_stall) {
        late_ios_++;
        late_sum_ns_ += now_ns - due;
        late_max_ns_ = std::max(late_max_ns_, now_ns - due);
    }
    ios_++;
    pos_++;
    skip_left_out();
    static const Io::Kind kKinds[] = {Io::Read, Io::Write, Io::Trim, Io::Flush};
    Io io;
    io.kind = kKinds[r.op];
    io.offset = r.offset;
    io.bytes = r.bytes;
    return io;
}

void Replay::finish(JobResult &res) const
{
    res.replay.on = true;
    res.replay.format = trace_->format;
    res.replay.ios = ios_;
    res.replay.late_ios = late_ios_;
    res.replay.late_max_ns = late_max_ns_;
    res.replay.late_sum_ns = late_sum_ns_;
}

}  // namespace nvmev::sim
