// Reads a fuzzer input front to back; past its end every read yields 0 and
// done() is true, so any byte string is a valid (if short) program.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace nvmev::fuzz {

class Input {
public:
    Input(const uint8_t *data, size_t size) : p_(data), end_(data + size) {}

    bool done() const { return p_ >= end_; }
    uint8_t u8() { return p_ < end_ ? *p_++ : 0; }
    // Little endian, as the seed generator (make_corpus.py) writes them.
    template <typename T>
    T get()
    {
        T v = 0;
        for (size_t i = 0; i < sizeof(T); i++) {
            v |= static_cast<T>(static_cast<T>(u8()) << (8 * i));
        }
        return v;
    }
    // Up to n bytes into dst (the rest zero); returns how many were there.
    size_t bytes(void *dst, size_t n)
    {
        const size_t have = static_cast<size_t>(end_ - p_) < n ? static_cast<size_t>(end_ - p_) : n;
        std::memset(dst, 0, n);
        if (have) {
            std::memcpy(dst, p_, have);
        }
        p_ += have;
        return have;
    }

private:
    const uint8_t *p_;
    const uint8_t *end_;
};

}  // namespace nvmev::fuzz
