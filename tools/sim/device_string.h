// The -device nvmev,... string as nvmev-sim takes it: every registry
// property by name (the core validates them, so its messages are the
// device's), plus the adapter's own ones that shape the controller.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "nvmev_core.h"

namespace nvmev::sim {

class DeviceSpec {
public:
    // Parses "nvmev,ssd=conv,preset=...,k=v" (the leading driver name is
    // optional; ",," is a literal comma as in QEMU). False and `err` on a
    // syntax error, an unknown property or one nvmev-sim cannot model.
    bool parse(const std::string &text, std::string &err);

    // The configuration, pointing into this object (keep it alive).
    NvmevConfig config() const;
    // Properties accepted and ignored, each with why (for a note).
    const std::vector<std::string> &ignored() const { return ignored_; }

private:
    bool set(const std::string &key, const std::string &value, std::string &err);
    const char *keep(const std::string &s);

    std::deque<std::string> strings_;  // stable addresses for the config's pointers
    std::vector<NvmevPropValue> params_;
    NvmevConfig cfg_{};
    std::vector<std::string> ignored_;
};

}  // namespace nvmev::sim
