#include "blkparse_trace.h"

#include <algorithm>
#include <string_view>

#include "text_file.h"

namespace nvmev::sim {
namespace {

// "maj,min": what marks an event line (blkparse's summary lines do not
// start so).
bool is_device(std::string_view f)
{
    const size_t comma = f.find(',');
    return comma != std::string_view::npos && parse_decimal(f.substr(0, comma)) &&
           parse_decimal(f.substr(comma + 1));
}

// "seconds.nanoseconds" (blkparse prints %5d.%09lu) in ns.
bool parse_time(std::string_view f, int64_t &ns)
{
    const size_t dot = f.find('.');
    const auto s = parse_decimal(f.substr(0, dot));
    if (!s || *s > static_cast<uint64_t>(INT64_MAX / 1000000000 - 1)) {
        return false;
    }
    uint64_t frac = 0;
    if (dot != std::string_view::npos) {
        const std::string_view digits = f.substr(dot + 1);
        const auto v = parse_decimal(digits);
        if (!v || digits.size() > 9) {
            return false;
        }
        frac = *v;
        for (size_t i = digits.size(); i < 9; i++) {
            frac *= 10;
        }
    }
    ns = static_cast<int64_t>(*s * 1000000000 + frac);
    return true;
}

}  // namespace

bool parse_blkparse(const std::string &text, char action, Trace &out, std::string &err)
{
    out = Trace{};
    out.format = std::string("blkparse-") + action;
    std::string device;
    bool have_t0 = false;
    int64_t t0_ns = 0, last_ns = 0;
    Lines lines(text);
    for (std::string_view line; lines.next(line);) {
        const std::vector<std::string_view> f = split_fields(line);
        if (f.size() < 7 || !is_device(f[0]) || f[5] != std::string_view(&action, 1)) {
            continue;
        }
        if (device.empty()) {
            device = f[0];
        } else if (f[0] != device) {
            return lines.fail(err, "an event of device " + std::string(f[0]) +
                                       " (the trace's device is " + device +
                                       "; the namespace stands for one device)");
        }
        int64_t t = 0;
        if (!parse_time(f[3], t)) {
            return lines.fail(err,
                              "'" + std::string(f[3]) + "' is not a time (seconds.nanoseconds)");
        }
        if (!have_t0) {
            have_t0 = true;
            t0_ns = t;
        }
        const std::string_view rwbs = f[6];
        const bool preflush = rwbs.size() > 1 && rwbs[0] == 'F';
        const char op = rwbs.empty() ? 'N' : rwbs[preflush ? 1 : 0];
        uint64_t sector = 0, blocks = 0;
        const bool has_range = f.size() >= 10 && f[8] == "+";
        if (has_range) {
            const auto s = parse_decimal(f[7]), n = parse_decimal(f[9]);
            if (!s || !n || *s > UINT64_MAX / 512 || *n > UINT64_MAX / 512 - *s) {
                return lines.fail(err, "'" + std::string(f[7]) + " + " + std::string(f[9]) +
                                           "' is not 'sector + blocks'");
            }
            sector = *s;
            blocks = *n;
        } else if (op == 'R' || (op == 'W' && !preflush) || op == 'D') {
            return lines.fail(err, "a " + std::string(rwbs) + " event without 'sector + blocks'");
        }
        TraceRecord r;
        // Events of different CPUs may be a little out of order: an
        // earlier time counts as the one before it, so order is kept.
        last_ns = std::max(last_ns, t - t0_ns);
        r.at_ns = last_ns;
        r.line = lines.number();
        if (preflush || op == 'F') {
            r.op = TraceRecord::Flush;
            out.records.push_back(r);
        }
        if (blocks == 0 || (op != 'R' && op != 'W' && op != 'D')) {
            continue;
        }
        r.op = op == 'R' ? TraceRecord::Read : op == 'W' ? TraceRecord::Write : TraceRecord::Trim;
        r.offset = sector * 512;
        r.bytes = blocks * 512;
        out.records.push_back(r);
    }
    if (out.records.empty()) {
        err = std::string("no '") + action + "' events with a read, write, discard or flush";
        return false;
    }
    return true;
}

}  // namespace nvmev::sim
