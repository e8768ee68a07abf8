// nvmev-kv bench: a mixed workload of puts, gets, deletes and exists over
// a set of keys, checking every answer against what it stored, with the
// latency of each operation type.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>

#include "kv_client.h"

namespace nvmev_kv {

struct BenchOptions {
    uint64_t ops = 1000;
    uint32_t keys = 100;
    uint32_t value_size = 4096;
    std::array<unsigned, 4> mix{50, 40, 5, 5};  // put, get, delete, exists
    uint64_t seed = 1;
    bool json = false;
};

inline constexpr uint32_t kBenchMaxKeys = 1000000;  // keys are "nvmev-kv-b%06u"

// Stores every key once, then runs the mix; prints the report to out and
// each mismatch (up to 10) to err. Returns the number of mismatches.
uint64_t run_bench(KvClient &kv, const BenchOptions &opts, FILE *out, FILE *err);

}  // namespace nvmev_kv
