#include "kv_timing.h"

#include <string>

namespace nvmev::ftl {
namespace {

constexpr const char *kIndexParam = "kv-index-latency-ns";
constexpr int64_t kIndexMax = 1'000'000'000;

// The changes meant for the inner FTL.
std::vector<Param> media_changes(const std::vector<Param> &changes)
{
    std::vector<Param> out;
    for (const auto &c : changes) {
        if (c.name != kIndexParam) {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace

std::vector<Param> KvTiming::params() const
{
    std::vector<Param> p = media_->params();
    p.push_back({kIndexParam, index_ns_});
    return p;
}

std::string KvTiming::check_retune(const std::vector<Param> &changes) const
{
    for (const auto &c : changes) {
        if (c.name == kIndexParam && (c.value < 0 || c.value > kIndexMax)) {
            return "'kv-index-latency-ns' must be 0..1000000000 (got " + std::to_string(c.value) +
                   ")";
        }
    }
    const auto rest = media_changes(changes);
    return rest.empty() ? "" : media_->check_retune(rest);
}

void KvTiming::retune(const std::vector<Param> &changes, int64_t now_ns)
{
    for (const auto &c : changes) {
        if (c.name == kIndexParam) {
            index_ns_ = c.value;
        }
    }
    const auto rest = media_changes(changes);
    if (!rest.empty()) {
        media_->retune(rest, now_ns);
    }
}

}  // namespace nvmev::ftl
