#include "job_options.h"

#include <algorithm>
#include <sstream>

#include "units.h"

namespace nvmev::sim {
namespace {

// fio options that describe the host side only: there is no file, no
// page cache and no engine here, and reports are always per job.
const char *const kIgnored[] = {"ioengine", "direct",      "filename",
                                "thread",   "norandommap", "buffered"};

std::string trim(const std::string &s)
{
    const size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) {
        return "";
    }
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool set_rw(JobOptions &job, const std::string &v)
{
    static const struct {
        const char *name;
        bool reads, writes, random;
    } kModes[] = {{"read", true, false, false},    {"write", false, true, false},
                  {"randread", true, false, true}, {"randwrite", false, true, true},
                  {"rw", true, true, false},       {"readwrite", true, true, false},
                  {"randrw", true, true, true}};
    for (const auto &m : kModes) {
        if (v == m.name) {
            job.reads = m.reads;
            job.writes = m.writes;
            job.random = m.random;
            return true;
        }
    }
    return false;
}

// fio's replay_skip: a comma-separated list of read, write, trim, sync
// (bits in TraceRecord::Op's order).
bool set_replay_skip(JobOptions &job, const std::string &v)
{
    static const char *const kOps[] = {"read", "write", "trim", "sync"};
    uint8_t bits = 0;
    for (size_t b = 0; b <= v.size();) {
        size_t e = v.find(',', b);
        e = e == std::string::npos ? v.size() : e;
        const std::string op = trim(v.substr(b, e - b));
        bool known = false;
        for (unsigned i = 0; i < 4; i++) {
            if (op == kOps[i]) {
                bits |= 1u << i;
                known = true;
            }
        }
        if (!known) {
            return false;
        }
        b = e + 1;
    }
    job.replay_skip = bits;
    return true;
}

}  // namespace

bool apply_option(JobOptions &job, const std::string &key, const std::string &value,
                  std::string &err, std::vector<std::string> *ignored)
{
    const auto bad = [&](const char *what) {
        err = "option '" + key + "': '" + value + "' is not " + what;
        return false;
    };
    const auto size = [&](uint64_t &field, bool nonzero) {
        auto v = parse_size(value);
        if (!v || (nonzero && *v == 0)) {
            return bad(nonzero ? "a size > 0 (k, m, g: 1024-based)"
                               : "a size (k, m, g: 1024-based)");
        }
        field = *v;
        return true;
    };
    const auto count = [&](uint32_t &field, uint32_t min, uint32_t max) {
        auto v = parse_int(value);
        if (!v || *v < min || *v > max) {
            err = "option '" + key + "': '" + value + "' is not an integer in " +
                  std::to_string(min) + ".." + std::to_string(max);
            return false;
        }
        field = static_cast<uint32_t>(*v);
        return true;
    };
    bool ok = true;
    if (key == "name") {
        job.name = value;
    } else if (key == "rw" || key == "readwrite") {
        ok = set_rw(job, value) ||
             bad("one of read, write, randread, randwrite, rw, readwrite, randrw");
    } else if (key == "bs" || key == "blocksize") {
        ok = size(job.bs, true);
    } else if (key == "iodepth") {
        ok = count(job.iodepth, 1, 4095);
    } else if (key == "numjobs") {
        ok = count(job.numjobs, 1, 1024);
    } else if (key == "size") {
        ok = size(job.size, true);
    } else if (key == "offset") {
        ok = size(job.offset, false);
    } else if (key == "io_size" || key == "io_limit") {
        ok = size(job.io_size, true);
    } else if (key == "runtime") {
        auto v = parse_duration_ns(value, 1000000000);
        ok = v ? (job.runtime_ns = *v, true) : bad("a duration (default unit s; us, ms, s, m, h)");
    } else if (key == "ramp_time") {
        auto v = parse_duration_ns(value, 1000000000);
        ok = v ? (job.ramp_ns = *v, true) : bad("a duration (default unit s; us, ms, s, m, h)");
    } else if (key == "time_based") {
        auto v = parse_bool(value);
        ok = v ? (job.time_based = *v, true) : bad("0 or 1");
    } else if (key == "rate_iops") {
        auto v = parse_int(value);
        ok = v && *v >= 0 ? (job.rate_iops = static_cast<uint64_t>(*v), true)
                          : bad("an integer >= 0");
    } else if (key == "rwmixread") {
        ok = count(job.rwmixread, 0, 100);
    } else if (key == "rwmixwrite") {
        uint32_t w = 0;
        ok = count(w, 0, 100);
        job.rwmixread = 100 - w;
    } else if (key == "group_reporting") {
        auto v = parse_bool(value);
        ok = v ? (job.group_reporting = *v, true) : bad("0 or 1");
    } else if (key == "stonewall" || key == "wait_for_previous") {
        auto v = parse_bool(value);
        ok = v ? (job.stonewall = *v, true) : bad("0 or 1");
    } else if (key == "randrepeat") {
        auto v = parse_bool(value);
        ok = v ? (job.randrepeat = *v, true) : bad("0 or 1");
    } else if (key == "randseed") {
        auto v = parse_int(value);
        ok = v ? (job.randseed = static_cast<uint64_t>(*v), true) : bad("an integer");
    } else if (key == "zonemode") {
        ok = value == "zbd" || value == "none" ? (job.zbd = value == "zbd", true)
                                               : bad("zbd or none");
    } else if (key == "max_open_zones") {
        ok = count(job.max_open_zones, 1, 65535);
    } else if (key == "read_iolog" || key == "read_blkparse") {
        (key == "read_iolog" ? job.read_iolog : job.read_blkparse) = value;
        ok = !value.empty() || bad("a file name");
    } else if (key == "blkparse_action") {
        ok = value == "Q" || value == "D" ? (job.blkparse_action = value[0], true)
                                          : bad("Q (queued) or D (dispatched)");
    } else if (key == "replay_no_stall") {
        auto v = parse_bool(value);
        ok = v ? (job.replay_no_stall = *v, true) : bad("0 or 1");
    } else if (key == "replay_time_scale") {
        ok = count(job.replay_time_scale, 1, 1000000);
    } else if (key == "replay_skip") {
        ok = set_replay_skip(job, value) || bad("a list of read, write, trim, sync");
    } else {
        bool known = false;
        for (const char *k : kIgnored) {
            known |= key == k;
        }
        if (!known) {
            err = "unknown option '" + key + "'";
            return false;
        }
        if (ignored) {
            ignored->push_back(key + "=" + value + ": no meaning without a host OS, ignored");
        }
        return true;
    }
    if (ok && key != "name") {
        // A later value replaces an earlier one (a job's over [global]'s).
        auto it = std::find_if(job.given.begin(), job.given.end(),
                               [&](const auto &kv) { return kv.first == key; });
        if (it != job.given.end()) {
            it->second = value;
        } else {
            job.given.emplace_back(key, value);
        }
    }
    return ok;
}

bool parse_job_file(const std::string &text, std::vector<JobOptions> &jobs, std::string &err,
                    std::vector<std::string> *ignored)
{
    std::istringstream in(text);
    std::string line;
    JobOptions global;
    JobOptions *cur = nullptr;  // nullptr: before any section
    bool in_global = false;
    for (int lineno = 1; std::getline(in, line); lineno++) {
        const size_t c = line.find_first_of("#;");
        line = trim(c == std::string::npos ? line : line.substr(0, c));
        if (line.empty()) {
            continue;
        }
        if (line.front() == '[' && line.back() == ']') {
            const std::string name = trim(line.substr(1, line.size() - 2));
            in_global = name == "global";
            if (!in_global) {
                jobs.push_back(global);
                jobs.back().name = name;
                cur = &jobs.back();
            }
            continue;
        }
        if (!in_global && !cur) {
            err = "line " + std::to_string(lineno) + ": an option before any [section]";
            return false;
        }
        const size_t eq = line.find('=');
        const std::string key = trim(line.substr(0, eq));
        const std::string value = eq == std::string::npos ? "1" : trim(line.substr(eq + 1));
        if (!apply_option(in_global ? global : *cur, key, value, err, ignored)) {
            err = "line " + std::to_string(lineno) + ": " + err;
            return false;
        }
    }
    if (jobs.empty()) {
        err = "no jobs defined (a job is a [section] other than [global])";
        return false;
    }
    return true;
}

}  // namespace nvmev::sim
