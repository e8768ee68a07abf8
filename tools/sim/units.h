// Number parsing shared by the device string (QEMU's syntax) and the job
// options (fio's): sizes with 1024-based suffixes, times with units.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace nvmev::sim {

// "4096", "4k", "4KiB", "1.5G", "2m": k/m/g/t/p/e are powers of 1024 (as
// both fio's default kb_base and QEMU's size properties take them).
std::optional<uint64_t> parse_size(const std::string &text);
// An integer in C syntax (decimal, 0x hex), as QEMU's int64 properties.
std::optional<int64_t> parse_int(const std::string &text);
// fio's booleans: 1/0; QEMU's: on/off, yes/no, true/false. Both accepted.
std::optional<bool> parse_bool(const std::string &text);
// A duration in ns: a number with an optional unit ns, us, ms, s, m, h;
// `default_unit_ns` when none (fio's runtime: seconds).
std::optional<int64_t> parse_duration_ns(const std::string &text, int64_t default_unit_ns);

}  // namespace nvmev::sim
