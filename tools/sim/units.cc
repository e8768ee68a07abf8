#include "units.h"

#include <strings.h>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace nvmev::sim {
namespace {

// The number at the start of text (integer or decimal) and the rest.
bool split_number(const std::string &text, double &number, std::string &rest)
{
    if (text.empty() || text[0] == '-' || text[0] == '+') {
        return false;
    }
    char *end = nullptr;
    errno = 0;
    number = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || errno != 0 || !std::isfinite(number)) {
        return false;
    }
    rest = end;
    return true;
}

}  // namespace

std::optional<uint64_t> parse_size(const std::string &text)
{
    double n = 0;
    std::string rest;
    if (!split_number(text, n, rest)) {
        return std::nullopt;
    }
    static const char kSuffixes[] = "kmgtpe";
    int shift = 0;
    if (!rest.empty()) {
        const char *p = std::strchr(kSuffixes, std::tolower(static_cast<unsigned char>(rest[0])));
        if (p && *p) {
            shift = 10 * static_cast<int>(p - kSuffixes + 1);
            rest.erase(0, 1);
            if (!rest.empty() && (rest[0] == 'i' || rest[0] == 'I')) {
                rest.erase(0, 1);
            }
        }
        if (rest == "b" || rest == "B") {
            rest.clear();
        }
    }
    const double bytes = std::ldexp(n, shift);
    if (!rest.empty() || bytes >= 18446744073709551616.0 || bytes != std::floor(bytes)) {
        return std::nullopt;
    }
    return static_cast<uint64_t>(bytes);
}

std::optional<int64_t> parse_int(const std::string &text)
{
    if (text.empty()) {
        return std::nullopt;
    }
    char *end = nullptr;
    errno = 0;
    const long long v = std::strtoll(text.c_str(), &end, 0);
    if (*end != '\0' || errno != 0) {
        return std::nullopt;
    }
    return v;
}

std::optional<bool> parse_bool(const std::string &t)
{
    for (const char *yes : {"1", "on", "yes", "true"}) {
        if (strcasecmp(t.c_str(), yes) == 0) {
            return true;
        }
    }
    for (const char *no : {"0", "off", "no", "false"}) {
        if (strcasecmp(t.c_str(), no) == 0) {
            return false;
        }
    }
    return std::nullopt;
}

std::optional<int64_t> parse_duration_ns(const std::string &text, int64_t default_unit_ns)
{
    double n = 0;
    std::string rest;
    if (!split_number(text, n, rest)) {
        return std::nullopt;
    }
    int64_t unit = default_unit_ns;
    static const struct {
        const char *name;
        int64_t ns;
    } kUnits[] = {{"ns", 1},         {"us", 1000},       {"ms", 1000000},
                  {"s", 1000000000}, {"m", 60000000000}, {"h", 3600000000000}};
    if (!rest.empty()) {
        unit = 0;
        for (const auto &u : kUnits) {
            if (strcasecmp(rest.c_str(), u.name) == 0) {
                unit = u.ns;
            }
        }
        if (unit == 0) {
            return std::nullopt;
        }
    }
    const double ns = n * static_cast<double>(unit);
    if (ns >= 9.2e18) {
        return std::nullopt;
    }
    return static_cast<int64_t>(std::llround(ns));
}

}  // namespace nvmev::sim
