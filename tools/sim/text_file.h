// Text input shared by the job file and the trace readers: a whole file,
// its whitespace-separated fields, unsigned decimal numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nvmev::sim {

// False if `path` cannot be opened.
bool read_text_file(const std::string &path, std::string &text);

// The fields of `line` split at spaces and tabs (a '\r' ends the line, so
// files written on Windows read the same).
std::vector<std::string_view> split_fields(std::string_view line);

// Digits only, as fio's and blkparse's %llu/%u: no sign, no hex (a leading
// 0 is not octal), no overflow.
std::optional<uint64_t> parse_decimal(std::string_view text);

}  // namespace nvmev::sim
