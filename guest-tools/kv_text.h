// How nvmev-kv reads and writes keys, sizes and generated values as text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kv_commands.h"

namespace nvmev_kv {

// "0x..." is hex (two digits a byte), anything else the text's own bytes.
// Lengths past 16 are kept (the device refuses them); past 255, nullopt.
std::optional<Bytes> parse_key(std::string_view text);
// The key as text if every byte is printable, not a space, and the text
// does not start with "0x"; else as 0x hex. parse_key() reads it back.
std::string format_key(const Bytes &key);

// A byte count: digits with an optional K, M or G (powers of 1024).
std::optional<uint64_t> parse_size(std::string_view text);

// n bytes of the splitmix64 stream started at seed, each output
// little-endian: reproducible anywhere (tests/guest/test_kv.py has it too).
Bytes pattern(size_t n, uint64_t seed);

}  // namespace nvmev_kv
