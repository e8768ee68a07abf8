#include "json_writer.h"

#include <cinttypes>
#include <cstdio>

namespace nvmev::sim {

std::string JsonWriter::quote(const std::string &s)
{
    std::string q = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            q += '\\';
            q += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            q += buf;
        } else {
            q += static_cast<char>(c);
        }
    }
    return q + "\"";
}

void JsonWriter::item(const char *key)
{
    if (!first_.empty()) {
        out_ += first_.back() ? "\n" : ",\n";
        first_.back() = false;
    }
    out_.append(2 * first_.size(), ' ');
    if (key) {
        out_ += quote(key) + " : ";
    }
}

void JsonWriter::open(const char *key, char c)
{
    item(key);
    out_ += c;
    first_.push_back(true);
}

void JsonWriter::close(char c)
{
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) {
        out_ += '\n';
        out_.append(2 * first_.size(), ' ');
    }
    out_ += c;
    if (first_.empty()) {
        out_ += '\n';
    }
}

void JsonWriter::value(const char *key, const std::string &s)
{
    item(key);
    out_ += quote(s);
}

void JsonWriter::value(const char *key, uint64_t v)
{
    item(key);
    out_ += std::to_string(v);
}

void JsonWriter::value(const char *key, int64_t v)
{
    item(key);
    out_ += std::to_string(v);
}

void JsonWriter::number(const char *key, double v)
{
    item(key);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", v);
    out_ += buf;
}

void JsonWriter::boolean(const char *key, bool v)
{
    item(key);
    out_ += v ? "true" : "false";
}

}  // namespace nvmev::sim
