// A minimal streaming JSON writer (no JSON library is a dependency):
// objects, arrays, strings, integers and fixed-point numbers, indented.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nvmev::sim {

class JsonWriter {
public:
    void begin_object(const char *key = nullptr) { open(key, '{'); }
    void end_object() { close('}'); }
    void begin_array(const char *key = nullptr) { open(key, '['); }
    void end_array() { close(']'); }
    void value(const char *key, const std::string &s);
    void value(const char *key, const char *s) { value(key, std::string(s)); }
    void value(const char *key, uint64_t v);
    void value(const char *key, int64_t v);
    void value(const char *key, int v) { value(key, int64_t{v}); }
    void value(const char *key, unsigned v) { value(key, uint64_t{v}); }
    // fio prints its floating-point fields with six decimals.
    void number(const char *key, double v);
    void boolean(const char *key, bool v);
    const std::string &str() const { return out_; }

private:
    void open(const char *key, char c);
    void close(char c);
    void item(const char *key);
    static std::string quote(const std::string &s);

    std::string out_;
    std::vector<bool> first_;  // per open container: no item yet
};

}  // namespace nvmev::sim
