#include "group_reporting.h"

#include <algorithm>

namespace nvmev::sim {
namespace {

void merge(DirectionStats &into, const DirectionStats &d)
{
    if (d.ios && (into.ios == 0 || d.min_ns < into.min_ns)) {
        into.min_ns = d.min_ns;
    }
    into.max_ns = std::max(into.max_ns, d.max_ns);
    into.ios += d.ios;
    into.bytes += d.bytes;
    into.errors += d.errors;
    into.sum_ns += d.sum_ns;
    into.sum_sq_ns += d.sum_sq_ns;
    into.samples.insert(into.samples.end(), d.samples.begin(), d.samples.end());
}

}  // namespace

std::vector<JobResult> reported_jobs(const SimResult &r)
{
    std::vector<JobResult> out;
    for (size_t i = 0; i < r.jobs.size(); i++) {
        const JobResult &j = r.jobs[i];
        const bool first_of_group = i == 0 || r.jobs[i - 1].group != j.group;
        if (first_of_group || !out.back().job->group_reporting) {
            out.push_back(j);
            continue;
        }
        JobResult &g = out.back();
        merge(g.read, j.read);
        merge(g.write, j.write);
        merge(g.trim, j.trim);
        merge(g.sync, j.sync);
        g.replay.ios += j.replay.ios;
        g.replay.late_ios += j.replay.late_ios;
        g.replay.late_max_ns = std::max(g.replay.late_max_ns, j.replay.late_max_ns);
        g.replay.late_sum_ns += j.replay.late_sum_ns;
        g.runtime_ns = std::max(g.runtime_ns, j.runtime_ns);
        g.zone_resets += j.zone_resets;
    }
    return out;
}

}  // namespace nvmev::sim
