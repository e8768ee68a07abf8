#include "report.h"

#include <cinttypes>
#include <cstdio>

#include "group_reporting.h"
#include "json_writer.h"

namespace nvmev::sim {
namespace {

double per_second(double count, int64_t ns)
{
    return ns > 0 ? count * 1e9 / static_cast<double>(ns) : 0;
}

void latency_object(JsonWriter &w, const char *key, DirectionStats &d, bool with_percentiles)
{
    w.begin_object(key);
    w.value("min", d.min_ns);
    w.value("max", d.max_ns);
    w.number("mean", d.mean_ns());
    w.number("stddev", d.stddev_ns());
    w.value("N", d.ios);
    if (with_percentiles && d.ios) {
        const std::vector<int64_t> p = percentiles(d.samples);
        w.begin_object("percentile");
        for (size_t i = 0; i < p.size(); i++) {
            char name[32];
            std::snprintf(name, sizeof name, "%f", kPercentiles[i]);
            w.value(name, p[i]);
        }
        w.end_object();
    }
    w.end_object();
}

void direction(JsonWriter &w, const char *key, DirectionStats &d, int64_t runtime_ns)
{
    w.begin_object(key);
    w.value("io_bytes", d.bytes);
    w.value("io_kbytes", d.bytes / 1024);
    w.value("bw_bytes",
            static_cast<uint64_t>(per_second(static_cast<double>(d.bytes), runtime_ns)));
    w.value("bw",
            static_cast<uint64_t>(per_second(static_cast<double>(d.bytes) / 1024, runtime_ns)));
    w.number("iops", per_second(static_cast<double>(d.ios), runtime_ns));
    w.value("runtime", static_cast<uint64_t>(d.ios ? runtime_ns / 1000000 : 0));
    w.value("total_ios", d.ios);
    w.value("short_ios", 0);
    w.value("drop_ios", 0);
    DirectionStats none;
    none.min_ns = none.max_ns = 0;
    latency_object(w, "slat_ns", none, false);  // submission takes no device time
    latency_object(w, "clat_ns", d, true);
    latency_object(w, "lat_ns", d, false);  // = clat: slat is 0
    w.value("errors", d.errors);
    w.end_object();
}

void device(JsonWriter &w, const NvmevCoreInfo &i)
{
    w.begin_object("nvmev");
    w.value("kind", i.kind);
    w.value("preset", i.preset);
    w.value("serial", i.serial);
    w.value("model", i.model);
    w.value("capacity-bytes", i.capacity_bytes);
    w.value("lba-size", i.lba_size);
    w.value("mdts", i.mdts);
    w.value("max-ioqpairs", i.max_ioqpairs);
    w.value("active-ioqpairs", i.active_ioqpairs);
    if (i.simple_timing) {
        w.begin_object("timing");
        w.value("read-latency-ns", i.read_latency_ns);
        w.value("write-latency-ns", i.write_latency_ns);
        w.value("read-bandwidth-mbps", i.read_bandwidth_mbps);
        w.value("write-bandwidth-mbps", i.write_bandwidth_mbps);
        w.end_object();
    }
    if (i.has_media) {
        w.begin_object("media");
        w.value("host-pages-written", i.host_pages_written);
        w.value("nand-pages-written", i.nand_pages_written);
        w.number("waf", i.host_pages_written ? static_cast<double>(i.nand_pages_written) /
                                                   static_cast<double>(i.host_pages_written)
                                             : 0);
        w.value("gc-runs", i.gc_runs);
        w.value("gc-pages-copied", i.gc_pages_copied);
        w.value("erases", i.erases);
        w.value("free-lines", i.free_lines);
        w.value("total-lines", i.total_lines);
        w.value("write-buffer-bytes", i.write_buffer_bytes);
        w.value("write-buffer-capacity", i.write_buffer_capacity);
        w.end_object();
    }
    if (i.is_zoned) {
        static const char *const kStates[7] = {
            "empty", "implicitly-open", "explicitly-open", "closed",
            "full",  "read-only",       "offline"};
        w.begin_object("zones");
        w.value("zone-size", i.zone_size_bytes);
        w.value("zone-capacity", i.zone_capacity_bytes);
        w.value("count", i.zone_count);
        for (int s = 0; s < 7; s++) {
            w.value(kStates[s], i.zones_in_state[s]);
        }
        w.value("resets", i.zone_resets);
        w.value("finishes", i.zone_finishes);
        w.value("appends", i.zone_appends);
        w.end_object();
    }
    w.begin_object("counters");
    w.value("read-cmds", i.read_cmds);
    w.value("write-cmds", i.write_cmds);
    w.value("other-cmds", i.other_cmds);
    w.value("read-bytes", i.read_bytes);
    w.value("write-bytes", i.write_bytes);
    w.value("error-cmds", i.error_cmds);
    w.value("completions", i.completions);
    w.end_object();
    w.begin_object("lateness");
    w.value("p50-ns", i.lateness_p50_ns);
    w.value("p99-ns", i.lateness_p99_ns);
    w.value("p999-ns", i.lateness_p999_ns);
    w.value("max-ns", i.lateness_max_ns);
    w.value("samples", i.lateness_samples);
    w.end_object();
    w.end_object();
}

}  // namespace

std::string json_report(SimResult &r, const std::string &version)
{
    JsonWriter w;
    w.begin_object();
    w.value("fio version", "nvmev-sim-" + version);
    w.begin_array("jobs");
    std::vector<JobResult> jobs = reported_jobs(r);
    for (JobResult &j : jobs) {
        w.begin_object();
        w.value("jobname", j.job->name);
        w.value("groupid", j.group);
        w.value("error", j.read.errors + j.write.errors ? 5 : 0);  // EIO, as fio's errno
        w.begin_object("job options");
        for (const auto &[k, v] : j.job->given) {
            w.value(k.c_str(), v);
        }
        w.end_object();
        direction(w, "read", j.read, j.runtime_ns);
        direction(w, "write", j.write, j.runtime_ns);
        direction(w, "trim", j.trim, j.runtime_ns);
        w.begin_object("sync");  // Flushes, as fio's fsync/fdatasync
        w.value("total_ios", j.sync.ios);
        latency_object(w, "lat_ns", j.sync, true);
        w.end_object();
        w.value("job_runtime", static_cast<uint64_t>(j.runtime_ns / 1000000));
        w.value("zone_resets", j.zone_resets);
        if (j.replay.on) {
            w.begin_object("replay");  // not fio's: how late the trace ran
            w.value("format", j.replay.format);
            w.value("ios", j.replay.ios);
            w.value("late_ios", j.replay.late_ios);
            w.value("late_max_ns", j.replay.late_max_ns);
            w.value("late_total_ns", j.replay.late_sum_ns);
            w.end_object();
        }
        w.end_object();
    }
    w.end_array();
    device(w, r.info);
    if (r.idled) {
        w.begin_object("idle");  // --memdev-file: before the drive was saved
        w.value("device-ns", static_cast<uint64_t>(r.idle_ns));
        w.value("reads", r.idle_reads);
        w.value("gc-runs", r.idle_gc_runs);
        w.end_object();
    }
    w.end_object();
    return w.str();
}

std::string text_report(SimResult &r)
{
    std::string out;
    char line[512];
    std::vector<JobResult> jobs = reported_jobs(r);
    for (JobResult &j : jobs) {
        const std::string what = !j.job->read_iolog.empty() ? "read_iolog=" + j.job->read_iolog
                                 : !j.job->read_blkparse.empty()
                                     ? "read_blkparse=" + j.job->read_blkparse
                                     : "bs=" + std::to_string(j.job->bs);
        std::snprintf(line, sizeof line, "%s: %s iodepth=%u, device time %.6f s\n",
                      j.job->name.c_str(), what.c_str(), j.job->iodepth,
                      static_cast<double>(j.runtime_ns) / 1e9);
        out += line;
        static const char *const kDirs[] = {"read", "write", "trim", "sync"};
        for (int dir = 0; dir < 4; dir++) {
            DirectionStats &d = dir == 0 ? j.read : dir == 1 ? j.write : dir == 2 ? j.trim : j.sync;
            if (!d.ios && !d.errors) {
                continue;
            }
            if (dir == 3) {  // Flushes move no bytes
                std::snprintf(line, sizeof line,
                              "  sync: %" PRIu64 " flushes, errors=%" PRIu64 "\n", d.ios, d.errors);
            } else {
                std::snprintf(line, sizeof line,
                              "  %s: IOPS=%.1f, BW=%.1fMiB/s (%" PRIu64 " B in %" PRIu64
                              " I/Os), errors=%" PRIu64 "\n",
                              kDirs[dir], per_second(static_cast<double>(d.ios), j.runtime_ns),
                              per_second(static_cast<double>(d.bytes), j.runtime_ns) / 1048576.0,
                              d.bytes, d.ios, d.errors);
            }
            out += line;
            std::snprintf(line, sizeof line,
                          "    clat (nsec): min=%" PRId64 ", max=%" PRId64
                          ", avg=%.2f, stdev=%.2f\n",
                          d.min_ns, d.max_ns, d.mean_ns(), d.stddev_ns());
            out += line;
            if (d.ios) {
                const std::vector<int64_t> p = percentiles(d.samples);
                std::snprintf(line, sizeof line,
                              "    clat percentiles (nsec): 50.00th=[%" PRId64
                              "], 99.00th=[%" PRId64 "], 99.90th=[%" PRId64 "], 99.99th=[%" PRId64
                              "]\n",
                              p[6], p[12], p[14], p[16]);
                out += line;
            }
        }
        if (j.replay.on) {
            std::snprintf(line, sizeof line,
                          "  replay (%s): %" PRIu64 " I/Os, %" PRIu64 " late (max %" PRId64
                          " ns, total %" PRId64 " ns)\n",
                          j.replay.format.c_str(), j.replay.ios, j.replay.late_ios,
                          j.replay.late_max_ns, j.replay.late_sum_ns);
            out += line;
        }
        if (j.zone_resets) {
            out += "  zone resets: " + std::to_string(j.zone_resets) + "\n";
        }
    }
    const NvmevCoreInfo &i = r.info;
    std::snprintf(line, sizeof line,
                  "device: ssd=%s preset=%s capacity=%" PRIu64 " B; %" PRIu64 " reads, %" PRIu64
                  " writes, %" PRIu64 " errors; %.6f s device time\n",
                  i.kind, i.preset, i.capacity_bytes, i.read_cmds, i.write_cmds, i.error_cmds,
                  static_cast<double>(r.device_ns) / 1e9);
    out += line;
    if (i.has_media) {
        std::snprintf(line, sizeof line,
                      "  media: WAF=%.3f, GC runs=%" PRIu64 ", pages copied=%" PRIu64
                      ", erases=%" PRIu64 ", free lines=%" PRIu64 "/%" PRIu64 "\n",
                      i.host_pages_written ? static_cast<double>(i.nand_pages_written) /
                                                 static_cast<double>(i.host_pages_written)
                                           : 0.0,
                      i.gc_runs, i.gc_pages_copied, i.erases, i.free_lines, i.total_lines);
        out += line;
    }
    if (r.idled) {
        std::snprintf(line, sizeof line,
                      "  saved after %.0f s idle (%" PRIu64 " reads, %" PRIu64
                      " background GC runs; in the figures above)\n",
                      static_cast<double>(r.idle_ns) / 1e9, r.idle_reads, r.idle_gc_runs);
        out += line;
    }
    return out;
}

}  // namespace nvmev::sim
