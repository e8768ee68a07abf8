// Runs nvmev-sim in-process: a device string and jobs to a SimResult, or
// a command line to its output.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli.h"
#include "device_string.h"
#include "engine.h"
#include "job_options.h"

namespace nvmev::test {

inline sim::JobOptions job(const std::vector<std::pair<std::string, std::string>> &opts)
{
    sim::JobOptions j;
    for (const auto &[k, v] : opts) {
        std::string err;
        EXPECT_TRUE(sim::apply_option(j, k, v, err)) << err;
    }
    return j;
}

// Runs `jobs` on the device `device` describes; the run must succeed.
inline sim::SimResult simulate(const std::string &device, const std::vector<sim::JobOptions> &jobs)
{
    sim::DeviceSpec spec;
    std::string err;
    EXPECT_TRUE(spec.parse(device, err)) << err;
    sim::SimResult r;
    EXPECT_TRUE(sim::run_simulation(spec.config(), jobs, r, err)) << err;
    return r;
}

struct CliRun {
    int rc;
    std::string out, err;
};

inline CliRun cli(const std::vector<std::string> &args)
{
    CliRun r;
    r.rc = sim::run_cli(args, r.out, r.err);
    return r;
}

}  // namespace nvmev::test
