// A device configuration for config tests: every property unset (-1 /
// NULL), further parameters set by name, and resolve()/error() over
// resolve_config().
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "parameter_registry.h"

namespace nvmev::test {

// Not copyable: c.params points into it.
struct Cfg {
    std::vector<NvmevPropValue> params;
    NvmevConfig c{};

    explicit Cfg(const char *ssd, uint64_t capacity, const char *preset = nullptr)
    {
        c.ssd = ssd;
        c.preset = preset;
        c.capacity_bytes = capacity;
        c.lba_size = c.mdts = c.max_ioqpairs = -1;
        c.read_latency_ns = c.write_latency_ns = -1;
        c.read_bandwidth_mbps = c.write_bandwidth_mbps = -1;
    }
    Cfg(const Cfg &) = delete;

    Cfg &set(const std::string &name, int64_t value)
    {
        const ParamSpec *s = find_spec(name);
        if (!s) {
            ADD_FAILURE() << "no parameter " << name;
            return *this;
        }
        params.push_back({s->name, value, nullptr});
        c.params = params.data();
        c.n_params = params.size();
        return *this;
    }

    std::string error() const
    {
        std::string e;
        EXPECT_FALSE(resolve_config(c, e).has_value());
        return e;
    }
    ResolvedConfig resolve() const
    {
        std::string e;
        auto rc = resolve_config(c, e);
        EXPECT_TRUE(rc.has_value()) << e;
        return rc.value_or(ResolvedConfig{});
    }
};

}  // namespace nvmev::test
