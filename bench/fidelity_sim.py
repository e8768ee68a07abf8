#!/usr/bin/env python3
"""The fidelity table: every preset's figures in nvmev sim beside the figures
published for the drive it models (bench/fidelity_published.json), with the
error; and, optionally, the same QD1 read through a TCG guest.

    python3 bench/fidelity_sim.py [--update] [--guest] [--sim PATH]
    ./nvmev bench --only fidelity-sim

It writes build/bench/fidelity-sim.{json,md}; with --update also
docs/fidelity.md. --guest boots a TCG guest once (intel-p4800x, fio QD1 4 KiB
random reads) and records its medians in bench/fidelity_guest.json, which
the document quotes; without --guest the last recorded guest run is quoted.
--check-doc compares docs/fidelity.md's published figures with the JSON
(no simulation; the unit tier runs it).

Every run is in device time and deterministic: the same build prints the
same table.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PUBLISHED = os.path.join(HERE, "fidelity_published.json")
GUEST_JSON = os.path.join(HERE, "fidelity_guest.json")
DOC = os.path.join(ROOT, "docs", "fidelity.md")
DEFAULT_SIM = os.path.join(ROOT, "build", "host", "tools", "sim", "nvmev-sim")

# (key, label, unit). IOPS and MB/s (10^6 B/s) as datasheets give them.
WORKLOADS = [
    ("randread-qd1", "4 KiB random read, QD1, 1 job", "IOPS"),
    ("randread-qd32", "4 KiB random read, QD32, 1 job", "IOPS"),
    ("randread-qd32x4", "4 KiB random read, QD32, 4 jobs", "IOPS"),
    ("randwrite-qd1", "4 KiB random write, QD1, 1 job", "IOPS"),
    ("randwrite-qd32", "4 KiB random write, QD32, 1 job", "IOPS"),
    ("randwrite-qd32x4", "4 KiB random write, QD32, 4 jobs", "IOPS"),
    ("seqread-128k", "128 KiB sequential read, QD32", "MB/s"),
    ("seqwrite-128k", "128 KiB sequential write, QD32 (fresh drive)", "MB/s"),
    ("lat-qd1", "4 KiB random read latency, QD1 (mean)", "us"),
    ("ss-randwrite", "steady-state 4 KiB random write, QD32, 4 jobs", "IOPS"),
]
LABEL = {k: label for k, label, _ in WORKLOADS}
UNIT = {k: unit for k, _, unit in WORKLOADS}

# (preset, kind, device size). Small drives keep the run short; the presets'
# timing does not depend on the capacity (conv sizes its blocks from it).
PRESETS = [
    ("intel-p4800x", "nvm", "1G"),
    ("intel-p5800x", "nvm", "1G"),
    ("samsung-970pro", "conv", "1G"),
    ("generic-tlc", "conv", "1G"),
    ("wd-zn540", "zns", "4G"),       # two of its 2 GiB zones
    ("zns-prototype", "zns", "1G"),  # 32 zones of 32 MiB
    ("kv-prototype", "kv", None),
]
KV_REASON = ("nvmev sim refuses `ssd=kv`: a key-value namespace has no Read or Write "
             "command, so fio's block workloads do not apply (docs/sim.md); "
             "its timing is intel-p4800x's simple model (docs/kv.md)")
ZONED_NA = "n/a (sequential-write zones)"

# Job files, fio's ini format. Each starts from a fresh device.
RANDWRITE_JOB = """\
[global]
group_reporting
rw=randwrite
bs=4k
[randwrite-qd1]
iodepth=1
io_size=16m
[randwrite-qd32]
stonewall
iodepth=32
io_size=128m
[randwrite-qd32x4]
stonewall
iodepth=32
numjobs=4
io_size=32m
"""
# 272 MiB of random writes on a fresh 1 GiB drive: no GC on ssd=conv, as a
# datasheet's figure on a fresh (or trimmed) drive.

READ_JOB = """\
[global]
group_reporting
{zbd}
[seqwrite-128k]
rw=write
bs=128k
iodepth=32
[seqread-128k]
stonewall
rw=read
bs=128k
iodepth=32
io_size=512m
[randread-qd1]
stonewall
rw=randread
bs=4k
iodepth=1
io_size=16m
[randread-qd32]
stonewall
rw=randread
bs=4k
iodepth=32
io_size=128m
[randread-qd32x4]
stonewall
rw=randread
bs=4k
iodepth=32
numjobs=4
io_size=32m
"""
# The first job fills the whole drive sequentially (zoned: zone by zone at
# the write pointer), so every read finds programmed data.

STEADY_JOB = """\
[global]
group_reporting
[fill]
rw=write
bs=128k
iodepth=32
[precondition]
stonewall
rw=randwrite
bs=4k
iodepth=32
io_size=2g
[ss-randwrite]
stonewall
rw=randwrite
bs=4k
iodepth=32
numjobs=4
io_size=128m
"""
# Sequential fill, random overwrite of twice the capacity (GC steady state on
# ssd=conv), then the measured phase.


def device_string(preset, kind, size):
    return f"ssd={kind},preset={preset},size={size}"


def run_sim(sim, device, jobfile):
    with tempfile.NamedTemporaryFile("w", suffix=".fio", delete=False) as f:
        f.write(jobfile)
        path = f.name
    try:
        proc = subprocess.run([sim, "--device", device, "--no-data", "--output-format=json", path],
                              capture_output=True, text=True)
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        raise RuntimeError(f"nvmev-sim --device {device} failed: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def _figures(report, phases):
    """{workload: value} for the job names in PHASES from one sim report."""
    out = {}
    for job in report["jobs"]:
        name = job["jobname"]
        if name not in phases:
            continue
        d = job["write"] if job["write"]["total_ios"] else job["read"]
        if UNIT[name] == "MB/s":
            out[name] = d["bw_bytes"] / 1e6
        else:
            out[name] = d["iops"]
        if name == "randread-qd1":
            out["lat-qd1"] = d["clat_ns"]["mean"] / 1000.0
    return out


def simulate(sim, preset, kind, size):
    """{workload: value or a string saying why there is none}, and the commands."""
    if kind == "kv":
        return {}, []
    device = device_string(preset, kind, size)
    runs = []
    if kind == "zns":
        runs.append(("read", READ_JOB.format(zbd="zonemode=zbd")))
    else:
        runs += [("randwrite", RANDWRITE_JOB), ("read", READ_JOB.format(zbd="")),
                 ("steady", STEADY_JOB)]
    values, media = {}, {}
    for what, job in runs:
        report = run_sim(sim, device, job)
        values.update(_figures(report, set(LABEL)))
        m = report.get("nvmev", {}).get("media")
        if what == "steady" and m:
            media = {"waf": m.get("waf"), "gc-runs": m.get("gc-runs")}
    if kind == "zns":
        for k in ("randwrite-qd1", "randwrite-qd32", "randwrite-qd32x4", "ss-randwrite"):
            values[k] = ZONED_NA
    if media:
        values["_steady_media"] = media
    return values, [(device, what) for what, _ in runs]


def error_pct(sim_value, fig):
    if isinstance(sim_value, str):
        return None
    if fig.get("bound") == "max":
        return 0.0 if sim_value <= fig["value"] else (sim_value - fig["value"]) / fig["value"] * 100
    return (sim_value - fig["value"]) / fig["value"] * 100


def fmt_value(v, unit):
    if isinstance(v, str):
        return v
    if unit == "us":
        return f"{v:.2f} us"
    if unit == "MB/s":
        return f"{v:.0f} MB/s"
    return f"{v:,.0f} IOPS"


def fmt_published(fig, unit):
    v = fig["value"]
    if unit == "us":
        text = f"{v:g} us"
    elif unit == "MB/s":
        text = f"{v:,} MB/s"
    else:
        text = f"{v:,} IOPS"
    if fig.get("bound") == "max":
        text = "under " + text
    return text


def fmt_error(e, fig):
    if e is None:
        return ""
    if fig.get("bound") == "max" and e == 0.0:
        return "within"
    return f"{e:+.1f} %"


def load_published():
    with open(PUBLISHED) as f:
        return json.load(f)


def published_rows(pub, preset):
    """The (workload, published text, source id, note) rows of PRESET, as the doc shows them."""
    rows = []
    for fig in pub["presets"][preset]["figures"]:
        rows.append((fig["workload"], fmt_published(fig, UNIT[fig["workload"]]), fig["source"],
                     fig.get("note", "")))
    return rows


def _src_cell(pub, fig):
    src = pub["sources"][fig["source"]]
    note = f", {fig['note']}" if fig.get("note") else ""
    return f"[{fig['source']}]({src['url']}){note}"


def markdown(results, pub, guest, meta):
    out = []
    w = out.append
    w("# Fidelity: nvmev sim against published figures\n")
    w("<!-- generated by bench/fidelity_sim.py --update (./nvmev bench --only fidelity-sim); "
      "do not edit by hand: edit the script or bench/fidelity_published.json -->\n")
    w("For every preset, the figures datasheets and reviews publish, as `nvmev sim` "
      "computes them in device time, beside the published figure, its source and the "
      "error ((sim - published) / published). The simulation adds no host time: it is "
      "the device model alone. Every published figure comes from the page linked in its "
      "row; where none was found the cell says \"not published\". The NVMeVirt FAST'23 "
      "paper's measurements of these drives are not in the table: its text could not be "
      "retrieved from the sources available to this work, and no figure is quoted without "
      "a source.\n")
    w("Regenerate with `./nvmev bench --only fidelity-sim` (writes "
      "`build/bench/fidelity-sim.{json,md}`) or `python3 bench/fidelity_sim.py --update` "
      f"(this file). The simulation part took {meta['sim_host_s']:.0f} s of host time "
      "for every preset; its figures are exact and repeat bit for bit.\n")
    w("## Summary\n")
    w("| preset | figures compared | within 10 % | misses over 10 % |")
    w("|---|---|---|---|")
    for preset, kind, _ in PRESETS:
        figs = pub["presets"][preset]["figures"]
        errs = [error_pct(results[preset]["values"].get(f["workload"]), f) for f in figs]
        errs = [e for e in errs if e is not None]
        if kind == "kv":
            w(f"| `{preset}` | none: nvmev sim refuses `ssd=kv` | | |")
        elif not figs:
            w(f"| `{preset}` | none published | | |")
        else:
            ok = sum(1 for e in errs if abs(e) <= 10)
            w(f"| `{preset}` | {len(errs)} | {ok} | {len(errs) - ok} |")
    w("")
    w("Retune proposals (not applied: every preset value is asserted to the nanosecond "
      "by the unit and device tests, so a change is its own piece of work):\n")
    for prop in pub.get("proposals", []):
        w(f"- {prop}")
    w("")
    w("## How the figures are made\n")
    w("Each preset runs on a small drive (`size=1G`; `wd-zn540` `size=4G`, two of its "
      "2 GiB zones) with `--no-data`, in three job files, each on a fresh device:\n")
    w("- **random write** (not zoned): 4 KiB random writes at QD1 (16 MiB), QD32 "
      "(128 MiB), QD32 x 4 jobs (32 MiB each), 272 MiB in all, so a conventional "
      "drive does no GC: the fresh-drive figure datasheets quote;")
    w("- **read**: a 128 KiB sequential fill of the whole drive at QD32 (the sequential "
      "write figure), then 128 KiB sequential reads at QD32 (512 MiB), 4 KiB random "
      "reads at QD1 (16 MiB; also the latency row), QD32 (128 MiB) and QD32 x 4 jobs "
      "(32 MiB each); zoned presets fill with `zonemode=zbd` (one open zone, writes "
      "at its write pointer);")
    w("- **steady state** (not zoned): fill, 4 KiB random overwrite of 2 GiB (twice "
      "the capacity, QD32), then the measured 4 KiB random writes at QD32 x 4 jobs "
      "(128 MiB each).\n")
    w("Jobs with several clones report as one group (`group_reporting`): IOPS is the "
      "group's I/Os over its duration. The job files are in `bench/fidelity_sim.py`.\n")
    w("Where a datasheet's conditions differ (QD16, 64 kB transfers, a queue depth not "
      "given), the source cell says so; on the simple model (`ssd=nvm`) any queue depth "
      "that keeps the pipe busy gives the same figure, so QD16 and QD32 compare.\n")
    for preset, kind, size in PRESETS:
        res = results[preset]
        info = pub["presets"][preset]
        w(f"## `{preset}` (`ssd={kind}`)\n")
        w(f"Models: {info['models']}.\n")
        if kind == "kv":
            w(f"No figures: {KV_REASON}.\n")
            continue
        w(f"Device: `--device {device_string(preset, kind, size)}`.\n")
        w("| workload | nvmev sim | published | source | error |")
        w("|---|---|---|---|---|")
        misses = []
        for key, label, unit in WORKLOADS:
            v = res["values"].get(key)
            figs = [f for f in info["figures"] if f["workload"] == key]
            if not figs:
                pubtext = "n/a" if isinstance(v, str) else "not published"
                w(f"| {label} | {fmt_value(v, unit)} | {pubtext} | | |")
                continue
            for fig in figs:
                e = error_pct(v, fig)
                w(f"| {label} | {fmt_value(v, unit)} | {fmt_published(fig, unit)} | "
                  f"{_src_cell(pub, fig)} | {fmt_error(e, fig)} |")
                if e is not None and abs(e) > 10:
                    misses.append((label, fig, e))
        media = res["values"].get("_steady_media")
        if media:
            w(f"\nSteady state reached WAF {media['waf']:.3f} ({media['gc-runs']} GC runs "
              "over the whole job file).")
        if kind == "zns":
            w("\nRandom writes do not apply to sequential-write zones. The sequential "
              "write is one zone at a time, as fio writes a zoned drive by default.")
        w("")
        if misses:
            w("Misses over 10 %:\n")
            for label, fig, e in misses:
                cause = fig.get("cause") or "(no cause recorded)"
                w(f"- {label}, against {fig['source']} ({e:+.1f} %): {cause}")
            w("")
        note = info.get("sim_note")
        if note:
            w(note + "\n")
    w("## What the guest adds\n")
    w(guest_section(results, guest))
    return "\n".join(out).rstrip() + "\n"


def guest_section(results, guest):
    sim_lat = results["intel-p4800x"]["values"]["lat-qd1"]
    lines = [
        "The same job, 4 KiB random reads at QD1 on `ssd=nvm,preset=intel-p4800x` "
        "(read latency 12 us), once in `nvmev sim` and once from fio in a Linux guest "
        "under TCG (no KVM), where the time also holds the guest kernel's submission "
        "and completion path and QEMU's. In the guest fio reports total latency "
        "(`lat_ns`: submission to completion).\n",
        "| path | median | mean | p99 |",
        "|---|---|---|---|",
        f"| nvmev sim (device time) | {sim_lat:.2f} us | {sim_lat:.2f} us | {sim_lat:.2f} us |",
    ]
    if not guest:
        lines.append("| TCG guest | not measured | | |")
        lines.append("\nRun `python3 bench/fidelity_sim.py --guest --update` to measure it.")
        return "\n".join(lines) + "\n"
    for row in guest["rows"]:
        lines.append(f"| TCG guest, {row['label']} | {row['median_us']:.1f} us | "
                     f"{row['mean_us']:.1f} us | {row['p99_us']:.1f} us |")
    lines.append("")
    for row in guest["rows"]:
        lines.append(f"- {row['label']}: the guest adds {row['median_us'] - sim_lat:.1f} us "
                     f"at the median; its total is {row['median_us'] / sim_lat:.1f} x the "
                     "device's time.")
    lines.append("")
    lines.append(f"Measured {guest['date']} on {guest['machine']}, medians of "
                 f"{guest['rounds']} runs of {guest['runtime_s']} s each, with:\n")
    lines.append("```\n" + guest["command"] + "\n```\n")
    lines.append("(the script, `bench/fidelity_sim.py --guest`, runs both variants in one "
                 "boot after a 3 s warm-up, and records them in `bench/fidelity_guest.json`; "
                 "without `--guest` the document quotes that file.)\n")
    lines.append(guest.get("comment", ""))
    return "\n".join(lines).rstrip() + "\n"


# --- the guest run -----------------------------------------------------------

GUEST_ROUNDS = 3
GUEST_RUNTIME = 10


def guest_fio(name, **opts):
    args = " ".join(f"--{k}={v}" for k, v in opts.items())
    return (f"fio --name={name} --filename=/dev/nvme0n1 {args} --output-format=json "
            f"--output=/tmp/{name}.json\n"
            f"echo =={name}==; cat /tmp/{name}.json; echo ==END {name}==\n")


GUEST_VARIANTS = [
    ("poll", "io_uring, polled (hipri, nvme.poll_queues=1)",
     dict(ioengine="io_uring", hipri=1)),
    ("irq", "io_uring, interrupts", dict(ioengine="io_uring")),
]


def run_guest(qemu, guest_dir):
    sys.path.insert(0, HERE)
    import guest  # noqa: E402
    import host_info  # noqa: E402
    base = dict(rw="randread", bs="4k", iodepth=1, direct=1, size="64M",
                runtime=GUEST_RUNTIME, time_based=1, lat_percentiles=1,
                percentile_list="50:99")
    script = "set -e\n" + guest_fio("warmup", **dict(base, ioengine="io_uring", runtime=3))
    for i in range(GUEST_ROUNDS):
        for key, _, opts in GUEST_VARIANTS:
            script += guest_fio(f"{key}-{i}", **dict(base, **opts))
    cmd = [sys.executable, os.path.join(ROOT, "scripts", "run.py"), "--qemu", qemu,
           "--guest-dir", guest_dir, "--ssd", "nvm", "--preset", "intel-p4800x",
           "--size", "1G", "--append", "nvme.poll_queues=1", "--timeout", "900",
           "--cmd", script]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"guest run failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                           f"{proc.stderr[-2000:]}")
    parsed = {k: json.loads(v) for k, v in guest.sections(proc.stdout).items()}
    rows = []
    for key, label, _ in GUEST_VARIANTS:
        runs = [parsed[f"{key}-{i}"]["jobs"][0]["read"]["lat_ns"] for i in range(GUEST_ROUNDS)]
        rows.append({"key": key, "label": label,
                     "median_us":
                     statistics.median(r["percentile"]["50.000000"] for r in runs) / 1e3,
                     "mean_us": statistics.median(r["mean"] for r in runs) / 1e3,
                     "p99_us": statistics.median(r["percentile"]["99.000000"] for r in runs) / 1e3,
                     "runs_median_us": [r["percentile"]["50.000000"] / 1e3 for r in runs]})
    model = host_info.cpu_model()
    shown = ("./nvmev run --ssd nvm --preset intel-p4800x --size 1G "
             "--append nvme.poll_queues=1 --cmd '"
             "fio --name=poll --filename=/dev/nvme0n1 --rw=randread --bs=4k --iodepth=1 "
             f"--direct=1 --size=64M --runtime={GUEST_RUNTIME} --time_based "
             "--ioengine=io_uring --hipri=1 --lat_percentiles=1 --output-format=json'\n"
             "# and the same job without --hipri=1 (interrupts)")
    return {"date": time.strftime("%Y-%m-%d"), "machine": f"{model}, {os.cpu_count()} host CPUs, "
            "TCG, 2 guest CPUs", "rounds": GUEST_ROUNDS, "runtime_s": GUEST_RUNTIME,
            "command": shown, "rows": rows,
            "comment": ("Under TCG every guest instruction is translated, so the guest's "
                        "own path (io_uring, the NVMe driver, the doorbell write and the "
                        "completion) costs tens of microseconds that a real host spends in "
                        "a few; with KVM the added time would be a small fraction of this. "
                        "Polling avoids the interrupt and the vCPU's wake-up. Figures "
                        "taken in the guest are the device's time plus this; the table "
                        "above is the device's time alone. bench/fidelity.py measures the "
                        "same added time across configured latencies "
                        "(docs/performance.md).")}


# --- the doc check -------------------------------------------------------------

def check_doc(path=DOC):
    """Every published figure of the JSON is in the doc's table of its preset
    with its source URL, the doc quotes no other, and every miss over 10 % in
    the doc has its cause. Returns a list of errors."""
    pub = load_published()
    with open(path) as f:
        text = f.read()
    errors = []
    sections = {}
    cur = None
    for line in text.splitlines():
        if line.startswith("## `"):
            cur = line.split("`")[1]
            sections[cur] = []
        elif cur and line.startswith("| ") and not line.startswith("| workload"):
            sections[cur].append([c.strip() for c in line.strip("|").split("|")])
    for preset, _, _ in PRESETS:
        if preset not in sections:
            errors.append(f"{preset}: no section")
            continue
        expect = []
        for fig in pub["presets"][preset]["figures"]:
            unit = UNIT[fig["workload"]]
            expect.append((LABEL[fig["workload"]], fmt_published(fig, unit), _src_cell(pub, fig)))
        got = [(r[0], r[2], r[3]) for r in sections[preset]
               if len(r) >= 4 and r[3] and r[0] in LABEL.values()]
        for row in sorted(set(got) - set(expect)):
            errors.append(f"{preset}: the doc has a published row the JSON lacks: {row}")
        for row in sorted(set(expect) - set(got)):
            errors.append(f"{preset}: the JSON has a published row the doc lacks: {row}")
    if "(no cause recorded)" in text:
        errors.append("a miss over 10 % has no cause (set 'cause' in the JSON)")
    for sid, src in pub["sources"].items():
        if not src["url"].startswith("https://"):
            errors.append(f"source {sid}: no https URL")
    return errors


# --- main --------------------------------------------------------------------

def run(sim=DEFAULT_SIM, do_guest=False, qemu=None, guest_dir=None):
    pub = load_published()
    start = time.monotonic()
    cpu0 = os.times()
    results = {}
    for preset, kind, size in PRESETS:
        values, runs = simulate(sim, preset, kind, size)
        results[preset] = {"kind": kind, "size": size, "values": values, "runs": runs}
        print(f"  fidelity-sim {preset}: done", file=sys.stderr, flush=True)
    cpu1 = os.times()
    meta = {"sim_wall_s": time.monotonic() - start,
            "sim_host_s": (cpu1.children_user - cpu0.children_user)
            + (cpu1.children_system - cpu0.children_system)}
    guest = None
    if do_guest:
        guest = run_guest(qemu, guest_dir)
        with open(GUEST_JSON, "w") as f:
            json.dump(guest, f, indent=2)
            f.write("\n")
    elif os.path.exists(GUEST_JSON):
        with open(GUEST_JSON) as f:
            guest = json.load(f)
    rows = []
    for preset, kind, _ in PRESETS:
        for fig in pub["presets"][preset]["figures"]:
            v = results[preset]["values"].get(fig["workload"])
            rows.append({"preset": preset, "workload": fig["workload"], "sim": v,
                         "published": fig["value"], "source": fig["source"],
                         "error_pct": error_pct(v, fig)})
    return {"results": results, "comparisons": rows, "guest": guest, "meta": meta,
            "markdown": markdown(results, pub, guest, meta)}


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--update", action="store_true", help="write docs/fidelity.md")
    p.add_argument("--guest", action="store_true",
                   help="also boot a TCG guest for the QD1 latency (a few minutes)")
    p.add_argument("--check-doc", action="store_true",
                   help="check docs/fidelity.md's published figures against the JSON")
    p.add_argument("--sim", default=DEFAULT_SIM, help="the nvmev-sim binary")
    p.add_argument("--out", default=os.path.join(ROOT, "build", "bench"), metavar="DIR")
    p.add_argument("--qemu", default=os.path.join(ROOT, "build", "qemu-system-x86_64"))
    p.add_argument("--guest-dir", default=os.path.join(ROOT, "build", "guest"))
    args = p.parse_args(argv)
    if args.check_doc:
        errors = check_doc()
        for e in errors:
            print(f"fidelity doc: {e}", file=sys.stderr)
        return 1 if errors else 0
    res = run(args.sim, args.guest, args.qemu, args.guest_dir)
    write(res, args.out, args.update)
    return 0


def write(res, out_dir, update_doc):
    """build/bench/fidelity-sim.{json,md}; with UPDATE_DOC also docs/fidelity.md."""
    os.makedirs(out_dir, exist_ok=True)
    md = os.path.join(out_dir, "fidelity-sim.md")
    with open(md, "w") as f:
        f.write(res["markdown"])
    with open(os.path.join(out_dir, "fidelity-sim.json"), "w") as f:
        json.dump({k: v for k, v in res.items() if k != "markdown"}, f, indent=2)
    print(f"fidelity-sim: wrote {md} and fidelity-sim.json", file=sys.stderr)
    if update_doc:
        with open(DOC, "w") as f:
            f.write(res["markdown"])
        print(f"fidelity-sim: wrote {DOC}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
