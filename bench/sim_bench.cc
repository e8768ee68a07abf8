// nvmev-sim's speed: simulated 4 KiB commands per host second (issue 19's
// targets: 2 M/s on ssd=nvm, 1 M/s on ssd=conv in GC steady state). Each
// iteration is a whole nvmev-sim run through its library, device set-up
// included:
//   BM_Sim/nvm      randread QD32 on a 64 MiB ssd=nvm (warm backing: the
//                   data is read from cache-sized memory)
//   BM_Sim/conv     ssd=conv of 256 MiB: a sequential 128 KiB fill, then
//                   4 KiB random overwrites of twice the capacity at QD32
//                   (GC runs from the first overwrite on: steady state)
// /data moves every byte as nvmev-sim does by default; /no-data is
// --no-data (the same figures without the host's data copies).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "device_string.h"
#include "engine.h"
#include "job_options.h"

namespace {

using nvmev::sim::JobOptions;

JobOptions job(const std::vector<std::pair<std::string, std::string>> &opts)
{
    JobOptions j;
    std::string err;
    for (const auto &[k, v] : opts) {
        nvmev::sim::apply_option(j, k, v, err);
    }
    return j;
}

void run(benchmark::State &state, const char *device, const std::vector<JobOptions> &jobs,
         bool copy_data)
{
    nvmev::sim::DeviceSpec spec;
    std::string err;
    if (!spec.parse(device, err)) {
        state.SkipWithError(err.c_str());
        return;
    }
    uint64_t commands = 0;
    for (auto _ : state) {
        nvmev::sim::SimResult r;
        if (!nvmev::sim::run_simulation(spec.config(), jobs, r, err, copy_data)) {
            state.SkipWithError(err.c_str());
            return;
        }
        commands += r.commands;
    }
    state.SetItemsProcessed(static_cast<int64_t>(commands));
}

void BM_SimNvm(benchmark::State &state, bool copy_data)
{
    run(state, "ssd=nvm,size=64m",
        {job({{"rw", "randread"}, {"iodepth", "32"}, {"io_size", "1g"}})}, copy_data);
}

void BM_SimConv(benchmark::State &state, bool copy_data)
{
    run(state, "ssd=conv,size=256m",
        {job({{"rw", "write"}, {"bs", "128k"}, {"iodepth", "8"}}),
         job({{"rw", "randwrite"}, {"iodepth", "32"}, {"io_size", "512m"}, {"stonewall", "1"}})},
        copy_data);
}

BENCHMARK_CAPTURE(BM_SimNvm, data, true)->Name("BM_Sim/nvm/data")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SimNvm, no_data, false)
    ->Name("BM_Sim/nvm/no-data")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SimConv, data, true)->Name("BM_Sim/conv/data")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SimConv, no_data, false)
    ->Name("BM_Sim/conv/no-data")
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
