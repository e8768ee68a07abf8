// fio's group_reporting: the clones and jobs of one group reported as one
// entry (named after the group's first job), else one entry per clone.
#pragma once

#include <vector>

#include "engine.h"

namespace nvmev::sim {

// The entries to report: r.jobs as they are, or, for a group whose first
// job sets group_reporting, one merged entry: I/Os, bytes, errors and
// latencies summed, the runtime the group's longest.
std::vector<JobResult> reported_jobs(const SimResult &r);

}  // namespace nvmev::sim
