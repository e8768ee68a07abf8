#include "fio_iolog.h"

#include <algorithm>
#include <string_view>

#include "text_file.h"

namespace nvmev::sim {
namespace {

// The one file of the trace and where it is in its add/open/close life.
struct FileState {
    std::string name;
    bool open = false;

    // Checks that a line may use `fname` for `act`; a file action updates
    // the state.
    bool use(std::string_view fname, std::string_view act, bool file_action, std::string &err)
    {
        if (name.empty() && file_action && act == "add") {
            name = fname;
            return true;
        }
        if (name.empty()) {
            err = "'" + std::string(fname) + "' is used before an 'add' action";
            return false;
        }
        if (fname != name) {
            err = "a second file '" + std::string(fname) + "' (the trace's file is '" + name +
                  "'; the namespace stands for one file)";
            return false;
        }
        if (!file_action) {
            if (!open && act != "wait") {
                err = "'" + std::string(act) + "' on '" + name + "', which is not open";
            }
            return open || act == "wait";
        }
        if (act == "open" || act == "close") {
            if (open == (act == "open")) {
                err = "'" + std::string(act) + "' of '" + name + "', which is " +
                      (open ? "open" : "not open");
                return false;
            }
            open = act == "open";
            return true;
        }
        if (act == "add") {
            return true;  // again: nothing changes
        }
        err = "unknown file action '" + std::string(act) + "' (add, open, close)";
        return false;
    }
};

bool io_op(std::string_view act, TraceRecord::Op &op)
{
    static const struct {
        const char *name;
        TraceRecord::Op op;
    } kOps[] = {{"read", TraceRecord::Read},
                {"write", TraceRecord::Write},
                {"trim", TraceRecord::Trim},
                {"sync", TraceRecord::Flush},
                {"datasync", TraceRecord::Flush}};
    for (const auto &o : kOps) {
        if (act == o.name) {
            op = o.op;
            return true;
        }
    }
    return false;
}

}  // namespace

bool parse_fio_iolog(const std::string &text, Trace &out, std::string &err)
{
    out = Trace{};
    int version = 0;
    bool have_t0 = false;
    uint64_t t0_us = 0;
    int64_t clock_ns = 0;  // v2: the waits so far; v3: the last timestamp
    FileState file;
    Lines lines(text);
    for (std::string_view line; lines.next(line);) {
        if (lines.number() == 1) {
            // As fio, the version line is matched by its prefix.
            for (int v : {2, 3}) {
                const std::string want = "fio version " + std::to_string(v) + " iolog";
                version = line.substr(0, want.size()) == want ? v : version;
            }
            if (!version) {
                return lines.fail(
                    err,
                    "not 'fio version 2 iolog' or 'fio version 3 iolog' (version 1 is not "
                    "supported, as in fio; a blkparse text trace is read with read_blkparse=)");
            }
            out.format = "iolog" + std::to_string(version);
            continue;
        }
        std::vector<std::string_view> f = split_fields(line);
        if (f.empty()) {
            continue;
        }
        if (version == 3) {
            const auto ts = parse_decimal(f[0]);
            if (!ts) {
                return lines.fail(err,
                                  "'" + std::string(f[0]) + "' is not a timestamp (microseconds)");
            }
            if (!have_t0) {
                have_t0 = true;
                t0_us = *ts;
            }
            const uint64_t rel = *ts > t0_us ? *ts - t0_us : 0;
            if (rel > static_cast<uint64_t>(INT64_MAX / 1000)) {
                return lines.fail(err, "timestamp " + std::string(f[0]) + " is too large");
            }
            clock_ns = std::max(clock_ns, static_cast<int64_t>(rel * 1000));
            f.erase(f.begin());
        }
        if (f.size() != 2 && f.size() != 4) {
            return lines.fail(err, version == 3
                                       ? "expected 'timestamp file action' or 'timestamp file "
                                         "action offset length'"
                                       : "expected 'file action' or 'file action offset length'");
        }
        const bool file_action = f.size() == 2;
        if (!file.use(f[0], f[1], file_action, err)) {
            return lines.fail(err, err);
        }
        if (file_action) {
            continue;
        }
        const auto offset = parse_decimal(f[2]), length = parse_decimal(f[3]);
        if (!offset || !length) {
            return lines.fail(err, "offset '" + std::string(f[2]) + "' or length '" +
                                       std::string(f[3]) + "' is not a decimal number");
        }
        if (f[1] == "wait") {
            if (version == 3) {
                return lines.fail(
                    err, "'wait' is not allowed in version 3 (its timestamps give the timing)");
            }
            if (*offset > static_cast<uint64_t>(INT64_MAX / 1000 - clock_ns / 1000)) {
                return lines.fail(err, "wait " + std::string(f[2]) + " is too long");
            }
            clock_ns += static_cast<int64_t>(*offset * 1000);
            continue;
        }
        TraceRecord r;
        if (!io_op(f[1], r.op)) {
            return lines.fail(err, "unknown action '" + std::string(f[1]) +
                                       "' (read, write, trim, sync, datasync" +
                                       (version == 2 ? ", wait)" : ")"));
        }
        if (r.op != TraceRecord::Flush) {
            if (*length == 0) {
                return lines.fail(err, "a " + std::string(f[1]) + " of length 0");
            }
            r.offset = *offset;
            r.bytes = *length;
        }
        r.at_ns = clock_ns;
        r.line = lines.number();
        out.records.push_back(r);
    }
    if (!version) {
        err = "line 1: empty file: no 'fio version 2 iolog' or 'fio version 3 iolog' line";
        return false;
    }
    if (out.records.empty()) {
        err = "no I/O in the trace (read, write, trim, sync or datasync)";
        return false;
    }
    return true;
}

}  // namespace nvmev::sim
