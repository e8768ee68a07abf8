#include "text_file.h"

#include <fstream>
#include <sstream>

namespace nvmev::sim {

bool read_text_file(const std::string &path, std::string &text)
{
    std::ifstream in(path);
    if (!in) {
        return false;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    text = buf.str();
    return true;
}

bool Lines::next(std::string_view &line)
{
    if (pos_ >= text_.size()) {
        return false;
    }
    size_t eol = text_.find('\n', pos_);
    eol = eol == std::string_view::npos ? text_.size() : eol;
    line = text_.substr(pos_, eol - pos_);
    pos_ = eol + 1;
    number_++;
    return true;
}

bool Lines::fail(std::string &err, const std::string &what) const
{
    err = "line " + std::to_string(number_) + ": " + what;
    return false;
}

std::vector<std::string_view> split_fields(std::string_view line)
{
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) {
            i++;
        }
        const size_t b = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
            i++;
        }
        if (i > b) {
            out.push_back(line.substr(b, i - b));
        }
    }
    return out;
}

std::optional<uint64_t> parse_decimal(std::string_view text)
{
    if (text.empty() || text.size() > 20) {
        return std::nullopt;
    }
    uint64_t v = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        const uint64_t d = static_cast<uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return std::nullopt;
        }
        v = v * 10 + d;
    }
    return v;
}

}  // namespace nvmev::sim
