#include "cli.h"

#include <chrono>
#include <cstdio>
#include <fstream>

#include "device_string.h"
#include "engine.h"
#include "job_options.h"
#include "report.h"
#include "text_file.h"

#ifndef NVMEV_VERSION
#define NVMEV_VERSION "0"
#endif

namespace nvmev::sim {

const char kUsage[] =
    "usage: nvmev-sim [--device DEVICE] [--memdev-file PATH] [--output-format=normal|json]\n"
    "                 [--output=FILE] [--no-data] [--data-pattern=zeros|stamp]\n"
    "                 [--report-speed] (JOBFILE | fio options)\n"
    "\n"
    "Runs fio-style jobs against the nvmev controller core with a virtual clock:\n"
    "no QEMU, no guest; every time printed is device time (docs/sim.md).\n"
    "\n"
    "  --device 'ssd=conv,preset=samsung-970pro,k=v,...'\n"
    "        the -device nvmev,... properties (default: ssd=nvm, its preset,\n"
    "        size=1G); the same presets, defaults and errors as the device\n"
    "  --memdev-file PATH            the drive lives in PATH, as with QEMU's\n"
    "        memory-backend-file,share=on and memdev=: created with size= if\n"
    "        absent, else reused (its size is the capacity); data and drive\n"
    "        state are kept, so `nvmev run --memdev-file PATH` boots on the\n"
    "        aged drive and a second run continues it (docs/sim.md)\n"
    "  --output-format=normal|json   a summary (default) or fio's JSON layout\n"
    "        with the device's query-nvmev figures under \"nvmev\"\n"
    "  --output=FILE                 write the report to FILE\n"
    "  --no-data                     move no data bytes (same figures, faster;\n"
    "                                the namespace keeps zeros)\n"
    "  --data-pattern=zeros|stamp    what writes carry: zeros (default), or\n"
    "        per block its LBA, the write's number and seeded bytes\n"
    "  --report-speed                print simulated commands per host second\n"
    "                                to stderr (host time: not in the report)\n"
    "  JOBFILE                       jobs in fio's ini format ([global], [job])\n"
    "\n"
    "fio options (--key=value; --name=NAME starts a job, options before the\n"
    "first --name apply to every job):\n"
    "  --rw=read|write|randread|randwrite|rw|readwrite|randrw   (read)\n"
    "  --bs=SIZE (4k)  --iodepth=N (1)  --numjobs=N (1): one queue pair per job\n"
    "  --size=SIZE (to the end)  --offset=SIZE (0)  --io_size=SIZE (size)\n"
    "  --runtime=TIME (device seconds; us, ms, s, m, h)  --time_based\n"
    "  --ramp_time=TIME (run this long before results count)\n"
    "  --rate_iops=N  --rwmixread=PCT (50)  --rwmixwrite=PCT\n"
    "  --randrepeat=0|1 (1)  --randseed=N (0x89)\n"
    "  --zonemode=zbd (ssd=zns: writes at open zones' write pointers, full\n"
    "                  zones reset before reuse)  --max_open_zones=N (1)\n"
    "  --stonewall (the job starts when every earlier job is done)\n"
    "  --group_reporting (one result per group, not per clone)\n"
    "  --read_iolog=FILE  replay fio's iolog (version 2, or 3: timestamps in us)\n"
    "  --read_blkparse=FILE  replay blkparse's text output (sectors of 512 B)\n"
    "        --blkparse_action=Q|D (Q): which events are the I/Os\n"
    "        each I/O at its trace time in device time, in order, at most\n"
    "        iodepth in flight (a late one is reported under \"replay\");\n"
    "        trim: Dataset Management deallocate, sync/flush: Flush\n"
    "  --replay_no_stall (as fast as possible, in order)\n"
    "  --replay_time_scale=PCT (100; 200: twice the trace's rate)\n"
    "  --replay_skip=read,write,trim,sync (leave those out)\n"
    "  SIZE: k, m, g, t are 1024-based, as fio's default.\n";

int run_cli(const std::vector<std::string> &args, std::string &out, std::string &err)
{
    std::string device = "nvmev", format = "normal", output, jobfile;
    bool report_speed = false;
    SimOptions opts;
    JobOptions global;
    std::vector<JobOptions> jobs;
    std::vector<std::string> ignored;
    for (size_t i = 0; i < args.size(); i++) {
        const std::string &a = args[i];
        if (a == "--help" || a == "-h") {
            out = kUsage;
            return 0;
        }
        if (a.rfind("--", 0) != 0) {
            if (!jobfile.empty()) {
                err = "nvmev-sim: one job file only\n";
                return 2;
            }
            jobfile = a;
            continue;
        }
        const size_t eq = a.find('=');
        const std::string key = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        std::string value = eq == std::string::npos ? "" : a.substr(eq + 1);
        if (key == "device") {
            if (eq == std::string::npos) {
                if (i + 1 == args.size()) {
                    err = "nvmev-sim: --device needs a value\n";
                    return 2;
                }
                value = args[++i];
            }
            device = value;
        } else if (key == "memdev-file") {
            if (eq == std::string::npos) {
                if (i + 1 == args.size()) {
                    err = "nvmev-sim: --memdev-file needs a path\n";
                    return 2;
                }
                value = args[++i];
            }
            if (value.empty()) {
                err = "nvmev-sim: --memdev-file needs a path\n";
                return 2;
            }
            opts.memdev_file = value;
        } else if (key == "data-pattern") {
            if (value != "zeros" && value != "stamp") {
                err = "nvmev-sim: --data-pattern: 'zeros' or 'stamp'\n";
                return 2;
            }
            opts.stamp = value == "stamp";
        } else if (key == "output-format") {
            if (value != "normal" && value != "json") {
                err = "nvmev-sim: --output-format: 'normal' or 'json'\n";
                return 2;
            }
            format = value;
        } else if (key == "output") {
            output = value;
        } else if (key == "report-speed") {
            report_speed = true;
        } else if (key == "no-data") {
            opts.copy_data = false;
        } else if (key == "name") {
            jobs.push_back(global);
            jobs.back().name = value;
        } else {
            std::string e;
            if (eq == std::string::npos) {
                value = "1";  // a bare flag (--time_based)
            }
            if (!apply_option(jobs.empty() ? global : jobs.back(), key, value, e, &ignored)) {
                err = "nvmev-sim: " + e + "\n";
                return 2;
            }
        }
    }
    if (!jobfile.empty()) {
        std::string text, e;
        if (!read_text_file(jobfile, text)) {
            err = "nvmev-sim: cannot read " + jobfile + "\n";
            return 2;
        }
        if (!jobs.empty() || !global.given.empty()) {
            err = "nvmev-sim: give a job file or fio options, not both\n";
            return 2;
        }
        if (!parse_job_file(text, jobs, e, &ignored)) {
            err = "nvmev-sim: " + jobfile + ": " + e + "\n";
            return 2;
        }
    }
    if (jobs.empty()) {
        jobs.push_back(global);
    }
    DeviceSpec spec;
    std::string e;
    if (!spec.parse(device, e)) {
        err = "nvmev-sim: --device: " + e + "\n";
        return 1;
    }
    for (const auto &n : spec.ignored()) {
        ignored.push_back(n);
    }
    for (const auto &n : ignored) {
        err += "nvmev-sim: note: " + n + "\n";
    }
    SimResult result;
    const auto t0 = std::chrono::steady_clock::now();
    if (!run_simulation(spec.config(), jobs, result, e, opts)) {
        err += "nvmev-sim: " + e + "\n";
        return 1;
    }
    const double host_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string report =
        format == "json" ? json_report(result, NVMEV_VERSION) : text_report(result);
    if (report_speed) {
        char line[160];
        std::snprintf(line, sizeof line,
                      "nvmev-sim: %llu commands in %.3f host s: %.0f commands/s\n",
                      static_cast<unsigned long long>(result.commands), host_s,
                      host_s > 0 ? static_cast<double>(result.commands) / host_s : 0.0);
        err += line;
    }
    if (!output.empty()) {
        std::ofstream f(output);
        if (!(f << report)) {
            err += "nvmev-sim: cannot write " + output + "\n";
            return 1;
        }
    } else {
        out = report;
    }
    return 0;
}

}  // namespace nvmev::sim
