// nvmev-sim: fio-style workloads on the nvmev controller core, in device
// time (docs/sim.md).
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"

int main(int argc, char **argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string out, err;
    const int rc = nvmev::sim::run_cli(args, out, err);
    std::fputs(err.c_str(), stderr);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return rc;
}
