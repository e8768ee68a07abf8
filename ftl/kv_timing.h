// ssd=kv timing: the values' media through an inner FTL (the simple model,
// or the conv FTL on the parallel NAND model), plus the controller's index
// work, one kv-index-latency-ns per lookup or update. The parameter is
// retunable with the inner FTL's.
#pragma once

#include <memory>

#include "ftl.h"

namespace nvmev::ftl {

class KvTiming : public Ftl {
public:
    KvTiming(std::unique_ptr<Ftl> media, int64_t index_latency_ns)
        : media_(std::move(media)), index_ns_(index_latency_ns)
    {
    }

    int64_t index_latency_ns() const { return index_ns_; }

    MediaResult submit(const MediaRequest &req) override { return media_->submit(req); }
    void set_observer(FtlObserver *o) override { media_->set_observer(o); }
    std::vector<Param> params() const override;
    std::string check_retune(const std::vector<Param> &changes) const override;
    void retune(const std::vector<Param> &changes, int64_t now_ns) override;
    FtlStats stats(int64_t now_ns) const override { return media_->stats(now_ns); }
    void reset_stats() override { media_->reset_stats(); }
    std::string check_invariants() const override { return media_->check_invariants(); }

private:
    std::unique_ptr<Ftl> media_;
    int64_t index_ns_;
};

}  // namespace nvmev::ftl
