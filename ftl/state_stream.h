// The byte streams a persistent FTL's state is saved to and loaded from
// (docs/persistence.md): fixed-size values in host byte order, vectors as
// a count then their elements. Times are written relative to the moment of
// the checkpoint, so a drive restarted under a clock that begins anew
// continues where it stopped.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace nvmev::ftl {

class StateWriter {
public:
    // Appends to `out`; times are saved relative to now_ns.
    StateWriter(std::vector<uint8_t> &out, int64_t now_ns) : out_(out), now_(now_ns) {}

    template <typename T>
    void put(const T &v)
    {
        static_assert(std::is_trivially_copyable_v<T>);
        const auto *p = reinterpret_cast<const uint8_t *>(&v);
        out_.insert(out_.end(), p, p + sizeof(T));
    }
    template <typename T>
    void put_vector(const std::vector<T> &v)
    {
        static_assert(std::is_trivially_copyable_v<T>);
        put(uint64_t{v.size()});
        const auto *p = reinterpret_cast<const uint8_t *>(v.data());
        out_.insert(out_.end(), p, p + v.size() * sizeof(T));
    }
    void put_time(int64_t t) { put(t - now_); }
    int64_t now() const { return now_; }

private:
    std::vector<uint8_t> &out_;
    int64_t now_;
};

class StateReader {
public:
    // Reads [p, p + len); times come back relative to now_ns.
    StateReader(const uint8_t *p, uint64_t len, int64_t now_ns) : p_(p), end_(p + len), now_(now_ns)
    {
    }

    // False (and ok() false from then on) when the stream is too short.
    template <typename T>
    bool get(T &v)
    {
        static_assert(std::is_trivially_copyable_v<T>);
        if (!ok_ || static_cast<uint64_t>(end_ - p_) < sizeof(T)) {
            ok_ = false;
            return false;
        }
        std::memcpy(&v, p_, sizeof(T));
        p_ += sizeof(T);
        return true;
    }
    // A vector saved with put_vector() that must hold exactly `count`
    // elements (the configuration decides its size).
    template <typename T>
    bool get_vector(std::vector<T> &v, uint64_t count)
    {
        uint64_t n = 0;
        if (!get(n) || n != count || static_cast<uint64_t>(end_ - p_) / sizeof(T) < n) {
            ok_ = false;
            return false;
        }
        v.resize(n);
        std::memcpy(v.data(), p_, n * sizeof(T));
        p_ += n * sizeof(T);
        return true;
    }
    bool get_time(int64_t &t)
    {
        int64_t rel = 0;
        if (!get(rel)) {
            return false;
        }
        t = rel + now_;
        return true;
    }
    bool ok() const { return ok_; }
    void fail() { ok_ = false; }
    bool at_end() const { return p_ == end_; }
    int64_t now() const { return now_; }

private:
    const uint8_t *p_;
    const uint8_t *end_;
    int64_t now_;
    bool ok_ = true;
};

}  // namespace nvmev::ftl
