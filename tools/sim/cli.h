// nvmev-sim's command line: the device string, fio's options or a job
// file, the output format. run_cli() is the whole program but for main's
// I/O, so tests run it in-process.
#pragma once

#include <string>
#include <vector>

namespace nvmev::sim {

extern const char kUsage[];

// Runs nvmev-sim with `args` (argv without the program name); what it
// prints goes to `out` (the report) and `err` (errors and notes).
// Returns the exit status.
int run_cli(const std::vector<std::string> &args, std::string &out, std::string &err);

}  // namespace nvmev::sim
