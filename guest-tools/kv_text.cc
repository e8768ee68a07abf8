#include "kv_text.h"

#include <charconv>

namespace nvmev_kv {
namespace {

int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool plain_text(const Bytes &key)
{
    if (key.empty() || (key.size() >= 2 && key[0] == '0' && key[1] == 'x')) {
        return false;
    }
    for (uint8_t b : key) {
        if (b <= 0x20 || b >= 0x7f) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::optional<Bytes> parse_key(std::string_view text)
{
    Bytes key;
    if (text.starts_with("0x")) {
        text.remove_prefix(2);
        if (text.size() % 2 != 0) {
            return std::nullopt;
        }
        for (size_t i = 0; i < text.size(); i += 2) {
            const int hi = hex_digit(text[i]);
            const int lo = hex_digit(text[i + 1]);
            if (hi < 0 || lo < 0) {
                return std::nullopt;
            }
            key.push_back(static_cast<uint8_t>(hi << 4 | lo));
        }
    } else {
        key.assign(text.begin(), text.end());
    }
    if (key.size() > kMaxKeyLength) {
        return std::nullopt;
    }
    return key;
}

std::string format_key(const Bytes &key)
{
    if (plain_text(key)) {
        return std::string(key.begin(), key.end());
    }
    static const char digits[] = "0123456789abcdef";
    std::string out = "0x";
    for (uint8_t b : key) {
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    return out;
}

std::optional<uint64_t> parse_size(std::string_view text)
{
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data()) {
        return std::nullopt;
    }
    const std::string_view suffix(end, text.data() + text.size() - end);
    unsigned shift = 0;
    if (suffix == "K" || suffix == "k") {
        shift = 10;
    } else if (suffix == "M" || suffix == "m") {
        shift = 20;
    } else if (suffix == "G" || suffix == "g") {
        shift = 30;
    } else if (!suffix.empty()) {
        return std::nullopt;
    }
    if (value > (UINT64_MAX >> shift)) {
        return std::nullopt;
    }
    return value << shift;
}

Bytes pattern(size_t n, uint64_t seed)
{
    Bytes out;
    out.reserve(n + 8);
    uint64_t x = seed;
    while (out.size() < n) {
        x += 0x9e3779b97f4a7c15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        for (int i = 0; i < 8; i++) {
            out.push_back(static_cast<uint8_t>(z >> (8 * i)));
        }
    }
    out.resize(n);
    return out;
}

}  // namespace nvmev_kv
