#!/usr/bin/env python3
"""Runs QEMU's generic-fuzz target over -device nvmev (build/qemu-fuzz).

    python3 tests/fuzz/run_qemu_fuzz.py [--seconds N] [--config NAME ...] [--seed N]
                                        [--coverage]

The fuzz binary (scripts/build-qemu.sh --fuzz: clang, libFuzzer, ASan +
UBSan over QEMU, the adapter and the C++ core) is built when missing. Each
configuration (CONFIGS) gets an equal share of the seconds and a corpus of
its own under build/qemu-fuzz-corpus/NAME that later runs continue from.
Prints per configuration executions, exec/s, libFuzzer's cov/ft, the corpus
size and findings; exits 1 on a finding, naming the crash file (replay it
with the command printed next to it, see docs/fuzzing.md). --coverage then
replays each corpus with -print_coverage=1 and reports the edges reached in
the adapter (hw-nvmev/nvmev*.c) and the core.
"""

import argparse
import os
import re
import shlex
import tempfile
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu_fuzz_seeds import opcodes, seeds  # noqa: E402
from run_fuzz import stats  # noqa: E402  (libFuzzer's progress lines, parsed once)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
BINARY = os.path.join(BUILD, "qemu-fuzz-x86_64")
CORPORA = os.path.join(BUILD, "qemu-fuzz-corpus")
ARTIFACTS = os.path.join(BUILD, "qemu-fuzz-artifacts")
FIRMWARE = "-L /usr/share/seabios -L /usr/share/qemu"
# ACPI PCI hotplug off: its reset (every input ends with a system reset)
# looks up a property on every PCI bus and builds an Error for each, a
# tenth of the fuzzer's time; generic-fuzz never hot-plugs.
BASE = (f"{FIRMWARE} -machine q35 -nodefaults -m 64 "
        "-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off")
NVM = "-device nvmev,id=nvme0,ssd=nvm,size=16M"

# name -> QEMU_FUZZ_ARGS. Small capacities keep resets cheap; every kind,
# one and two IOThreads (queue groups), a second namespace (nvmev-ns), and
# a Controller Memory Buffer and Persistent Memory Region (BARs 2 and 5:
# CMBMSC's window reroutes the controller's own accesses into the CMB).
CONFIGS = {
    "nvm": f"{BASE} {NVM}",
    "conv": f"{BASE} -device nvmev,id=nvme0,ssd=conv,size=16M",
    "zns": f"{BASE} -device nvmev,id=nvme0,ssd=zns,size=16M,zone-size=4M,max-open-zones=2,"
           "max-active-zones=3",
    "kv": f"{BASE} -device nvmev,id=nvme0,ssd=kv,size=16M",
    "iothread": f"{BASE} -object iothread,id=io0 {NVM},iothread=io0",
    "iothreads2": f"{BASE} -object iothread,id=io0 -object iothread,id=io1 "
                  "-device '{\"driver\":\"nvmev\",\"id\":\"nvme0\",\"ssd\":\"nvm\","
                  "\"size\":16777216,\"max-ioqpairs\":4,\"iothread-vq-mapping\":"
                  "[{\"iothread\":\"io0\"},{\"iothread\":\"io1\"}]}'",
    "nvmev-ns": f"{BASE} {NVM} -device nvmev-ns,bus=nvme0,nsid=2,ssd=zns,size=16M,"
                "zone-size=4M",
    "cmb-pmr": f"{BASE} -object memory-backend-ram,id=pmr0,size=1M {NVM},cmb-size=1M,"
               "pmr-memdev=pmr0",
}
# The namespaces' kind, for the seeds (qemu_fuzz_seeds.py).
KINDS = {"nvm": "nvm", "conv": "nvm", "zns": "zns", "kv": "kv", "iothread": "nvm",
         "iothreads2": "nvm", "nvmev-ns": "nvm+zns", "cmb-pmr": "nvm+cmb"}
# With IOThreads the device's DMA runs outside the main thread, and
# generic-fuzz fills DMA reads from the DMA patterns through its in-process
# qtest client, which one thread at a time must use: the main thread's
# next qtest command then reads the IOThread's reply and aborts in libqtest
# ("qtest_rsp_args: assertion failed ... FAIL"), or the main thread clears
# the patterns while the IOThread picks the next one (UBSan: division by
# zero in generic_fuzz.c). That race is the fuzz
# harness's, not the device's: these configurations fuzz with -fork=1
# -ignore_crashes=1 and count as findings the crashes whose replay fails
# otherwise.
THREADED = {"iothread", "iothreads2"}
# Every nvmev type's memory regions and PCI functions: BAR 0, the MSI-X BAR,
# CMB/PMR when present, PCI config space.
OBJECTS = "nvmev*"
# Leak checks stay off: QEMU's own init keeps allocations it never frees,
# which libFuzzer would report on the first input. UBSan reports abort.
SANITIZERS = {
    "ASAN_OPTIONS": "detect_leaks=0:quarantine_size_mb=16:max_malloc_fill_size=0",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
}
FINDING_PREFIXES = ("crash-", "timeout-", "oom-", "leak-", "slow-unit-")
# The sanitizers' reports of fork mode's children: REPORT_PREFIX.PID.
REPORT_PREFIX = "sanitizer-report"


def write_seeds(name, corpus):
    for seed, data in seeds(KINDS[name]).items():
        with open(os.path.join(corpus, seed), "wb") as f:
            f.write(data)


def build():
    """Builds build/qemu-fuzz-x86_64 (incremental; the first build is long)."""
    proc = subprocess.run(["bash", os.path.join(ROOT, "scripts", "build-qemu.sh"), "--fuzz",
                           BUILD])
    if proc.returncode:
        sys.exit(2)


def env_for(name):
    return dict(os.environ, QEMU_FUZZ_ARGS=CONFIGS[name], QEMU_FUZZ_OBJECTS=OBJECTS,
                **SANITIZERS)


def replay_command(name, path):
    """A shell command line (values quoted: iothreads2's JSON has quotes)."""
    return (f"QEMU_FUZZ_ARGS={shlex.quote(CONFIGS[name])} "
            f"QEMU_FUZZ_OBJECTS={shlex.quote(OBJECTS)} "
            f"{BINARY} --fuzz-target=generic-fuzz {shlex.quote(path)}")


def fuzz(name, seconds, seed):
    corpus = os.path.join(CORPORA, name)
    artifacts = os.path.join(ARTIFACTS, name)
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    write_seeds(name, corpus)
    before = set(os.listdir(artifacts))
    # -detect_leaks=0 as in ASAN_OPTIONS: libFuzzer would otherwise run the
    # corpus's and every new input again to look for leaks ASan won't report.
    cmd = [BINARY, "--fuzz-target=generic-fuzz", corpus, f"-max_total_time={seconds}",
           "-print_final_stats=1", "-timeout=20", "-detect_leaks=0", "-rss_limit_mb=4096",
           "-max_len=4096", f"-artifact_prefix={artifacts}/"]
    if seed is not None:
        cmd.append(f"-seed={seed}")
    if name in THREADED:
        cmd += ["-fork=1", "-ignore_crashes=1"]
    env = env_for(name)
    if name in THREADED:
        # Fork mode passes on only the first line of a child's report, and a
        # race need not recur on replay: every child's whole report is kept
        # (REPORT_PREFIX.PID) and judged by its own stack below.
        for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            env[var] += f":log_path={artifacts}/{REPORT_PREFIX}"
    # The log is written as the run goes: a campaign stopped mid-run still
    # shows its executions so far (libFuzzer's "#N pulse" lines).
    log_path = os.path.join(artifacts, "last-run.log")
    start = time.monotonic()
    with open(log_path, "w") as f:
        proc = subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT)
    elapsed = time.monotonic() - start
    with open(log_path, errors="replace") as f:
        log = f.read()
    found = sorted(os.path.join(artifacts, f) for f in set(os.listdir(artifacts)) - before
                   if f.startswith(FINDING_PREFIXES))
    races, kinds = 0, {}
    if name in THREADED:
        real = []
        for path in found:
            if harness_race(name, path):
                os.rename(path, path + ".harness-race")
                races += 1
            else:
                real.append(path)
        # A report that starts outside the harness is a finding even when no
        # replay of any crash file shows it again.
        reports = sorted(os.path.join(artifacts, f) for f in set(os.listdir(artifacts)) - before
                         if f.startswith(REPORT_PREFIX + "."))
        for path in reports:
            with open(path, errors="replace") as f:
                report = f.read()
            where = starts_in_harness(report)
            if where is False or (where is None and "ERROR:" in report):
                real.append(path)
                continue
            if where:
                kinds[signature(report)] = kinds.get(signature(report), 0) + 1
            os.remove(path)  # the harness's, or only a warning (ASan's makecontext one)
        found = real
        if not found and proc.returncode and races:
            proc.returncode = 0
    out = stats(log)
    out.update(seconds=elapsed, findings=found, rc=proc.returncode, log=log, races=races,
               harness_reports=kinds)
    if proc.returncode and not found:
        # A failure without an artifact (the target would not start, say).
        out["findings"] = ["(no artifact, exit %d: see %s/last-run.log)" % (proc.returncode,
                                                                           artifacts)]
    return out


def harness_race(name, path):
    """True if replaying the crash file passes (the race did not recur) or
    its report starts in the harness (tests/qtest/: libqtest's reply check,
    or generic-fuzz's DMA pattern index, changed by the other thread): the
    harness's DMA race, its qtest client and patterns used from two threads."""
    proc = subprocess.run([BINARY, "--fuzz-target=generic-fuzz", path, "-runs=3"],
                          env=env_for(name), capture_output=True, text=True, errors="replace")
    if proc.returncode == 0:
        return True
    return bool(starts_in_harness(proc.stdout + proc.stderr))


def signature(report):
    """A report's kind and the place of its first QEMU frame, e.g.
    "heap-use-after-free at generic_fuzz.c:214" or "division by zero at ..."."""
    kind = re.search(r"ERROR: AddressSanitizer: ([\w-]+)|runtime error: ([^\n]*)|"
                     r"ERROR: libFuzzer: ([\w ]+)|in (abort) ", report)
    place = re.search(r"qemu-src/([\w/.-]+:\d+)", report)
    return (f"{next(g for g in kind.groups() if g) if kind else 'report'} at "
            f"{os.path.basename(place.group(1)) if place else '?'}")


def starts_in_harness(report):
    """Whether a sanitizer report's first line naming a QEMU source (a UBSan
    report, or the first frame of QEMU's own code: below it are libc, glib
    and the sanitizers) is in tests/qtest/; None if no line names one."""
    for line in report.splitlines():
        if "runtime error:" in line or (re.match(r"\s+#\d+ 0x", line) and "qemu-src/" in line):
            return "qemu-src/tests/qtest/" in line
    return None


SUBMIT_RE = re.compile(r"nvmev_submit \S+ sqid=(\d+) cid=(\d+) opc=0x([0-9a-f]+)")
COMPLETE_RE = re.compile(r"nvmev_complete \S+ sqid=(\d+) cid=(\d+) status=0x([0-9a-f]+)")


def check_seeds(name):
    """Runs the configuration's seeds once with nvmev_submit/nvmev_complete
    traced; returns the (SQ id, opcode) pairs of the seeds' commands that
    never completed successfully (empty: every command family the seeds
    stand for is reached), or a string on a failed run. IOThread
    configurations are not checked: there the harness race scrambles the
    seeds' DMA patterns."""
    with tempfile.TemporaryDirectory() as corpus:
        write_seeds(name, corpus)
        env = env_for(name)
        env["QEMU_FUZZ_ARGS"] += " -trace nvmev_submit -trace nvmev_complete"
        proc = subprocess.run([BINARY, "--fuzz-target=generic-fuzz", corpus, "-runs=0",
                               "-detect_leaks=0"], env=env, capture_output=True, text=True,
                              errors="replace")
    log = proc.stdout + proc.stderr
    if proc.returncode:
        return f"exit {proc.returncode}: " + log[-2000:]
    opcode, ok = {}, set()
    for line in log.splitlines():  # the trace is in order: a completion follows its submit
        if m := SUBMIT_RE.search(line):
            opcode[(int(m[1]), int(m[2]))] = int(m[3], 16)
        elif (m := COMPLETE_RE.search(line)) and int(m[3], 16) == 0:
            key = (int(m[1]), int(m[2]))
            if key in opcode:
                ok.add((key[0], opcode[key]))
    return sorted(opcodes(KINDS[name]) - ok)


# COVERED_FUNC: hits: 5 edges: 3/7 nvmev_mmio_write /path/hw/nvmev/nvmev.c:123
# (C++ names hold spaces: the path is the last word.)
FUNC_RE = re.compile(r"^(UN)?COVERED_FUNC: hits: (\d+) edges: (\d+)/(\d+) (.*) (\S+):\d+$", re.M)


def coverage(names):
    """Edges reached by the corpora, per source group, from -print_coverage."""
    groups = {"adapter (hw-nvmev/nvmev*.c)": re.compile(r"/hw/nvmev/nvmev[^/]*\.c$"),
              "core (hw-nvmev/core, ftl, timing)": re.compile(r"/hw/nvmev/(core|ftl|timing)/")}
    per_file = {}
    for name in names:
        corpus = os.path.join(CORPORA, name)
        proc = subprocess.run([BINARY, "--fuzz-target=generic-fuzz", corpus, "-runs=0",
                               "-print_coverage=1"], env=env_for(name),
                              capture_output=True, text=True, errors="replace")
        for m in FUNC_RE.finditer(proc.stdout + proc.stderr):
            key = (m.group(6), m.group(5))
            covered, total = int(m.group(3)), int(m.group(4))
            old = per_file.get(key, (0, total))
            per_file[key] = (max(old[0], covered), total)
    result = {}
    for label, pat in groups.items():
        files = {}
        for (path, _func), (covered, total) in per_file.items():
            if pat.search(os.path.normpath(path)) or pat.search(path):
                c, t = files.get(path, (0, 0))
                files[path] = (c + covered, t + total)
        result[label] = files
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=140,
                    help="total run time, shared by the configurations (default 140)")
    ap.add_argument("--config", action="append", choices=sorted(CONFIGS),
                    help="run only this configuration (repeatable)")
    ap.add_argument("--seed", type=int, help="libFuzzer random seed (default: random)")
    ap.add_argument("--coverage", action="store_true",
                    help="report the adapter's and the core's edges the corpora reach")
    ap.add_argument("--check-seeds", action="store_true",
                    help="only check that every command of the seeds completes successfully "
                         "at least once in each configuration without IOThreads")
    args = ap.parse_args()

    build()
    if args.check_seeds:
        failed = False
        for name in args.config or [n for n in CONFIGS if n not in THREADED]:
            missing = check_seeds(name)
            print(f"{name:12} " + ("every command reached" if not missing else
                                   "never succeeded: " + (missing if isinstance(missing, str) else
                                   ", ".join(f"SQ {q} opcode {o:#04x}" for q, o in missing))))
            failed = failed or bool(missing)
        return 1 if failed else 0
    names = args.config or list(CONFIGS)
    share = max(1, args.seconds // len(names))
    total, failed = 0, False
    print(f"{'config':12} {'execs':>9} {'exec/s':>7} {'cov':>6} {'ft':>6} {'corpus':>6}  findings")
    for name in names:
        r = fuzz(name, share, args.seed)
        total += r["execs"]
        rate = r["execs"] / r["seconds"] if r["seconds"] else 0
        races = f" (+{r['races']} harness races)" if r["races"] else ""
        print(f"{name:12} {r['execs']:9d} {rate:7.0f} {r['cov']:6d} {r['ft']:6d} "
              f"{r['corp']:6d}  {len(r['findings'])}{races}", flush=True)
        for kind, count in sorted(r["harness_reports"].items(), key=lambda kv: -kv[1]):
            print(f"  harness report: {count} x {kind}")
        for f in r["findings"]:
            failed = True
            print(f"  finding: {f}")
            if os.path.basename(f).startswith(FINDING_PREFIXES):
                print(f"  replay:  {replay_command(name, f)}")
                tail = [l for l in r["log"].splitlines() if "ERROR:" in l or "runtime error" in l]
                for line in tail[:3]:
                    print(f"  {line}")
            elif os.path.basename(f).startswith(REPORT_PREFIX):
                with open(f, errors="replace") as rep:
                    print(f"  report:  {signature(rep.read())}")
    print(f"total executions: {total}")
    if args.coverage:
        for label, files in coverage(names).items():
            c = sum(v[0] for v in files.values())
            t = sum(v[1] for v in files.values())
            pct = 100.0 * c / t if t else 0.0
            print(f"coverage {label}: {c}/{t} edges ({pct:.1f} %)")
            for path in sorted(files):
                fc, ft = files[path]
                print(f"  {os.path.basename(path):32} {fc:5d}/{ft:<5d}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
