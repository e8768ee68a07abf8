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

// The lines of a text one by one with their numbers (from 1), for errors
// that name the line.
class Lines {
public:
    explicit Lines(std::string_view text) : text_(text) {}
    // The next line, without its '\n'; false at the end.
    bool next(std::string_view &line);
    uint32_t number() const { return number_; }
    // Sets `err` to "line N: what" for the current line; returns false.
    bool fail(std::string &err, const std::string &what) const;

private:
    std::string_view text_;
    size_t pos_ = 0;
    uint32_t number_ = 0;
};

// The fields of `line` split at spaces and tabs (a '\r' ends the line, so
// files written on Windows read the same).
std::vector<std::string_view> split_fields(std::string_view line);

// Digits only, as fio's and blkparse's %llu/%u: no sign, no hex (a leading
// 0 is not octal), no overflow.
std::optional<uint64_t> parse_decimal(std::string_view text);

}  // namespace nvmev::sim
