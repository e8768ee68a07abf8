#include "kv_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kv_text.h"

namespace nvmev_kv {
namespace {

using Clock = std::chrono::steady_clock;

enum Op { kFill, kPut, kGet, kDelete, kExists, kOps };
constexpr const char *kOpNames[kOps] = {"fill", "put", "get", "delete", "exists"};

struct OpStats {
    std::vector<double> us;
    uint64_t found = 0;  // gets compared with a stored value, exists that said yes

    double mean() const
    {
        double sum = 0;
        for (double v : us) {
            sum += v;
        }
        return us.empty() ? 0 : sum / static_cast<double>(us.size());
    }
    // Nearest rank, on sorted us.
    double percentile(double p) const
    {
        if (us.empty()) {
            return 0;
        }
        const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(us.size())));
        return us[std::max<size_t>(rank, 1) - 1];
    }
};

Bytes bench_key(uint32_t i)
{
    char name[32];
    std::snprintf(name, sizeof(name), "nvmev-kv-b%06u", i);
    return Bytes(name, name + std::strlen(name));
}

class Bench {
public:
    Bench(KvClient &kv, const BenchOptions &opts, FILE *err)
        : kv_(kv), opts_(opts), err_(err), version_(opts.keys, 0), present_(opts.keys, false)
    {
    }

    void fill()
    {
        for (uint32_t i = 0; i < opts_.keys; i++) {
            put(kFill, i);
        }
    }

    void run(std::mt19937_64 &rng)
    {
        const unsigned total = opts_.mix[0] + opts_.mix[1] + opts_.mix[2] + opts_.mix[3];
        std::uniform_int_distribution<unsigned> pick_op(0, total - 1);
        std::uniform_int_distribution<uint32_t> pick_key(0, opts_.keys - 1);
        for (uint64_t n = 0; n < opts_.ops; n++) {
            unsigned r = pick_op(rng);
            int op = kPut;
            while (r >= opts_.mix[op - kPut]) {
                r -= opts_.mix[op - kPut];
                op++;
            }
            const uint32_t key = pick_key(rng);
            switch (op) {
                case kPut: put(kPut, key); break;
                case kGet: get(key); break;
                case kDelete: remove(key); break;
                default: exists(key); break;
            }
        }
    }

    OpStats &stats(int op) { return stats_[op]; }
    uint64_t mismatches() const { return mismatches_; }

private:
    Bytes value(uint32_t key) const
    {
        return pattern(opts_.value_size, opts_.seed * 1000003 + key * 65537ull + version_[key]);
    }

    template <typename F>
    Reply timed(int op, F &&f)
    {
        const auto t0 = Clock::now();
        const Reply r = f();
        const std::chrono::duration<double, std::micro> us = Clock::now() - t0;
        stats_[op].us.push_back(us.count());
        return r;
    }

    void mismatch(int op, uint32_t key, const char *what, const Reply &r)
    {
        if (mismatches_++ < 10) {
            std::fprintf(err_, "nvmev-kv: bench: %s %s: %s (errno %d, status 0x%x)\n", kOpNames[op],
                         format_key(bench_key(key)).c_str(), what, r.err, r.status);
        }
    }

    void put(int op, uint32_t key)
    {
        version_[key]++;
        const Bytes v = value(key);
        const Reply r = timed(op, [&] { return kv_.put(bench_key(key), v, PutMode::plain); });
        if (!r.ok()) {
            mismatch(op, key, "failed", r);
        }
        present_[key] = true;
    }

    // Absent keys must answer "does not exist", present ones succeed.
    bool check_presence(int op, uint32_t key, const Reply &r)
    {
        if (present_[key] ? r.ok() : kv_.missing(r)) {
            return true;
        }
        mismatch(op, key, present_[key] ? "failed on a stored key" : "did not miss", r);
        return false;
    }

    void get(uint32_t key)
    {
        Bytes got;
        const GetOptions g{.buffer = opts_.value_size};
        const Reply r = timed(kGet, [&] { return kv_.get(bench_key(key), g, got); });
        if (!check_presence(kGet, key, r) || !present_[key]) {
            return;
        }
        if (r.dw0 != opts_.value_size || got != value(key)) {
            mismatch(kGet, key, "returned other data", r);
            return;
        }
        stats_[kGet].found++;
    }

    void remove(uint32_t key)
    {
        const Reply r = timed(kDelete, [&] { return kv_.remove(bench_key(key)); });
        check_presence(kDelete, key, r);
        present_[key] = false;
    }

    void exists(uint32_t key)
    {
        const Reply r = timed(kExists, [&] { return kv_.exists(bench_key(key)); });
        if (check_presence(kExists, key, r) && present_[key]) {
            stats_[kExists].found++;
        }
    }

    KvClient &kv_;
    const BenchOptions &opts_;
    FILE *err_;
    std::vector<uint64_t> version_;
    std::vector<bool> present_;
    OpStats stats_[kOps];
    uint64_t mismatches_ = 0;
};

void report(Bench &b, const BenchOptions &opts, Flavour flavour, double seconds, FILE *out)
{
    const double rate = seconds > 0 ? static_cast<double>(opts.ops) / seconds : 0;
    const char *fl = flavour == Flavour::standard ? "standard" : "vendor";
    if (opts.json) {
        std::fprintf(out,
                     "{\"flavour\": \"%s\", \"ops\": %llu, \"keys\": %u, \"value_size\": %u, "
                     "\"seconds\": %.6f, \"ops_per_s\": %.1f, \"mismatches\": %llu",
                     fl, static_cast<unsigned long long>(opts.ops), opts.keys, opts.value_size,
                     seconds, rate, static_cast<unsigned long long>(b.mismatches()));
    } else {
        std::fprintf(out,
                     "bench: %llu ops (%u:%u:%u:%u put:get:delete:exists) on %u keys of %u "
                     "bytes, %s flavour, seed %llu\n%-8s %8s %10s %10s %10s %10s %8s\n",
                     static_cast<unsigned long long>(opts.ops), opts.mix[0], opts.mix[1],
                     opts.mix[2], opts.mix[3], opts.keys, opts.value_size, fl,
                     static_cast<unsigned long long>(opts.seed), "op", "count", "mean_us", "p50_us",
                     "p99_us", "max_us", "found");
    }
    for (int op = 0; op < kOps; op++) {
        OpStats &s = b.stats(op);
        std::sort(s.us.begin(), s.us.end());
        const double max = s.us.empty() ? 0 : s.us.back();
        if (opts.json) {
            std::fprintf(out,
                         ", \"%s\": {\"count\": %zu, \"mean_us\": %.1f, \"p50_us\": %.1f, "
                         "\"p99_us\": %.1f, \"max_us\": %.1f, \"found\": %llu}",
                         kOpNames[op], s.us.size(), s.mean(), s.percentile(0.5), s.percentile(0.99),
                         max, static_cast<unsigned long long>(s.found));
        } else {
            std::fprintf(out, "%-8s %8zu %10.1f %10.1f %10.1f %10.1f %8llu\n", kOpNames[op],
                         s.us.size(), s.mean(), s.percentile(0.5), s.percentile(0.99), max,
                         static_cast<unsigned long long>(s.found));
        }
    }
    if (opts.json) {
        std::fprintf(out, "}\n");
    } else {
        std::fprintf(out, "%llu ops in %.3f s: %.1f ops/s (fill not counted)\nmismatches %llu\n",
                     static_cast<unsigned long long>(opts.ops), seconds, rate,
                     static_cast<unsigned long long>(b.mismatches()));
    }
}

}  // namespace

uint64_t run_bench(KvClient &kv, const BenchOptions &opts, FILE *out, FILE *err)
{
    Bench b(kv, opts, err);
    std::mt19937_64 rng(opts.seed);
    b.fill();
    const auto t0 = Clock::now();
    b.run(rng);
    const std::chrono::duration<double> seconds = Clock::now() - t0;
    report(b, opts, kv.flavour(), seconds.count(), out);
    return b.mismatches();
}

}  // namespace nvmev_kv
