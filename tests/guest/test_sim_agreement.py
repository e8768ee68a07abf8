"""The guest and the simulation agree (docs/sim.md#the-guest-and-the-simulation-agree).

One fio job, QD1 4 KiB random reads on `ssd=nvm` with a 200 us read
latency, runs in nvmev-sim (device time, no guest) and in a TCG guest.
The device in the guest is traced (nvmev_submit: `at` is the fetch, `due`
the model's completion time) while the job runs; every read's model time
`due - at` must be the simulation's completion latency to the nanosecond,
every completion's `due` must be its submission's, and fio's clat in the
guest never undercuts the model. What the guest adds (its clat minus the
model time, and the device's own lateness in posting) is printed; in the
simulation it is 0 by construction."""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import ROOT, fio_job, run_guest  # noqa: E402

QMP = f"python3 {ROOT}/scripts/qmp.py \"$NVMEV_QMP\""
SIZE = "64M"
DEVICE_OPTS = "read-latency-ns=200000"
JOB = dict(rw="randread", bs="4k", iodepth=1, io_size="8M")
IOS = (8 << 20) // 4096
EVENT = re.compile(r"\b(nvmev_submit|nvmev_complete) nvme0 (.*)$")


def trace_state(name, on):
    state = "true" if on else "false"
    return f"{QMP} trace-event-set-state '{{\"name\": \"{name}\", \"enable\": {state}}}'"


def simulate():
    """nvmev-sim's fio JSON for JOB on the same device."""
    cmd = [os.path.join(ROOT, "nvmev"), "sim", "--device", f"ssd=nvm,size={SIZE},{DEVICE_OPTS}",
           "--output-format=json", "--name=agree", *(f"--{k}={v}" for k, v in JOB.items())]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError(f"nvmev sim failed ({p.returncode}): {p.stderr}")
    return json.loads(p.stdout)


def parse_trace(path):
    """The I/O queues' (sqid, cid, fields) submit and complete events, in order."""
    submits, completes = [], []
    with open(path) as f:
        for line in f:
            m = EVENT.search(line.rstrip("\n"))
            if not m:
                continue
            fields = dict(re.findall(r"(\w+)=(\S+)", m.group(2)))
            if fields["sqid"] == "0":
                continue
            (submits if m.group(1) == "nvmev_submit" else completes).append(fields)
    return submits, completes


class SimAgreementGuestTest(unittest.TestCase):

    def test_guest_device_times_are_the_simulations(self):
        sim = simulate()
        sim_read = sim["jobs"][0]["read"]
        self.assertEqual(sim_read["total_ios"], IOS)
        model_ns = sim_read["clat_ns"]["min"]
        # QD1: every command alone on the device, so one model time.
        self.assertEqual(sim_read["clat_ns"]["max"], model_ns)
        self.assertEqual(model_ns, 200000)
        self.assertEqual(sim["nvmev"]["lateness"]["max-ns"], 0)
        self.assertEqual(sim["nvmev"]["lateness"]["samples"], IOS)

        with tempfile.TemporaryDirectory(prefix="nvmev-agree.") as d:
            trace, query = os.path.join(d, "trace.log"), os.path.join(d, "query.json")
            job = " && ".join([
                "nvmev-host on",
                fio_job("agree", **JOB),
                "nvmev-host off",
            ])
            # One -trace at start-up switches the log backend on (to -D);
            # the per-command events are on only while fio runs.
            r = run_guest(
                job, "--size", SIZE, "--device-opts", DEVICE_OPTS,
                "--hook", "on=" + " && ".join([
                    f"{QMP} nvmev-reset-stats '{{\"id\": \"nvme0\"}}' >/dev/null",
                    trace_state("nvmev_submit", True), trace_state("nvmev_complete", True)]),
                "--hook", "off=" + " && ".join([
                    trace_state("nvmev_submit", False), trace_state("nvmev_complete", False),
                    f"{QMP} query-nvmev > {query}"]),
                "--", "-trace", "enable=nvmev_err_cmd", "-D", trace, timeout=300)
            self.assertEqual(r.rc, 0, f"guest job failed ({r.rc}):\n{r.out}\n{r.err}")
            submits, completes = parse_trace(trace)
            with open(query) as f:
                lateness = json.load(f)[0]["lateness"]

        guest_read = r.json("agree")["jobs"][0]["read"]
        self.assertEqual(guest_read["total_ios"], IOS)
        reads = [s for s in submits if s["opc"] == "0x02"]
        self.assertEqual(len(reads), IOS, f"{len(submits)} I/O submits traced")
        self.assertEqual({s["nlb"] for s in reads}, {"8"})
        model_times = [int(s["due"]) - int(s["at"]) for s in reads]
        self.assertEqual(set(model_times), {model_ns})
        # Each completion is posted for the time its submission was given.
        self.assertEqual([(c["cid"], c["due"]) for c in completes],
                         [(s["cid"], s["due"]) for s in submits])
        self.assertEqual(lateness["samples"], len(completes))

        clat = guest_read["clat_ns"]
        # fio's clat spans the device's model time and the guest's own path.
        self.assertGreaterEqual(clat["min"], model_ns)
        median = clat["percentile"]["50.000000"]
        print(f"\n  QD1 4K randread, read-latency-ns=200000, {IOS} reads: model time "
              f"{model_ns} ns for every read in the sim and in the guest; guest clat median "
              f"{median / 1000:.1f} us (+{(median - model_ns) / 1000:.1f} us guest overhead; "
              f"sim +0), min {clat['min'] / 1000:.1f} us; device lateness p50 "
              f"{lateness['p50-ns']} ns, p99 {lateness['p99-ns']} ns, max "
              f"{lateness['max-ns']} ns", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
