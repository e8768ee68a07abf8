#!/usr/bin/env python3
"""Builds the controller fuzzer (build/fuzz, clang, ASan+UBSan) and runs it.

    python3 tests/fuzz/run_fuzz.py [--seconds N | --runs N] [--jobs J] [--merge]

The fuzzer works on a copy of tests/fuzz/corpus, so the committed corpus
only changes with --merge (which adds the inputs that found new coverage).
Prints executions, coverage (libFuzzer's cov/ft), corpus size and findings;
exits 1 on a finding, naming the crash file (rerun it with the fuzzer
binary and the file as its argument, see docs/fuzzing.md).
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build", "fuzz")
BINARY = os.path.join(BUILD, "tests", "fuzz", "nvmev-controller-fuzz")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
ARTIFACTS = os.path.join(BUILD, "artifacts")
# A small quarantine: freed memory is reused soon, instead of fresh pages
# whose faults would cost more than the inputs themselves.
ASAN_OPTIONS = "quarantine_size_mb=8:max_malloc_fill_size=0"


def build():
    if not os.path.exists(os.path.join(BUILD, "build.ninja")):
        env = dict(os.environ, CXX="clang++")
        subprocess.run(["meson", "setup", BUILD, ROOT, "-Dfuzz=true"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    proc = subprocess.run(["ninja", "-C", BUILD], capture_output=True, text=True)
    if proc.returncode:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(2)


def stats(log):
    """Executions and the last cov/ft/corpus figures libFuzzer printed."""
    out = {"execs": 0, "cov": 0, "ft": 0, "corp": 0}
    for line in log.splitlines():
        m = re.match(r"#(\d+)[:\s]", line)
        if m and "cov:" in line:
            out["execs"] = max(out["execs"], int(m.group(1)))
            for key in ("cov", "ft", "corp"):
                k = re.search(key + r":\s*(\d+)", line)
                if k:
                    out[key] = int(k.group(1))
        m = re.match(r"stat::number_of_executed_units:\s*(\d+)", line)
        if m:
            out["execs"] = max(out["execs"], int(m.group(1)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=60, help="run time (default 60)")
    ap.add_argument("--runs", type=int, help="stop after this many inputs instead")
    ap.add_argument("--jobs", type=int, default=1, help="parallel fuzzing processes")
    ap.add_argument("--merge", action="store_true",
                    help="add inputs with new coverage to tests/fuzz/corpus")
    ap.add_argument("--seed", type=int, help="libFuzzer random seed (default: random)")
    args = ap.parse_args()

    build()
    os.makedirs(ARTIFACTS, exist_ok=True)
    before = set(glob.glob(os.path.join(ARTIFACTS, "*")))
    with tempfile.TemporaryDirectory(prefix="nvmev-fuzz-") as work:
        corpus = os.path.join(work, "corpus")
        shutil.copytree(CORPUS, corpus)
        cmd = [BINARY, corpus, "-max_len=1024", "-print_final_stats=1",
               f"-artifact_prefix={ARTIFACTS}/"]
        cmd.append(f"-runs={args.runs}" if args.runs else f"-max_total_time={args.seconds}")
        if args.jobs > 1:
            cmd.append(f"-fork={args.jobs}")
        if args.seed is not None:
            cmd.append(f"-seed={args.seed}")
        env = dict(os.environ, ASAN_OPTIONS=ASAN_OPTIONS)
        print("nvmev fuzz: " + " ".join(cmd), flush=True)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        log = proc.stdout + proc.stderr
        with open(os.path.join(BUILD, "last-run.log"), "w") as f:
            f.write(log)
        s = stats(log)
        if args.merge:
            subprocess.run([BINARY, "-merge=1", "-max_len=1024", CORPUS, corpus], env=env,
                           capture_output=True)
    crashes = sorted(set(glob.glob(os.path.join(ARTIFACTS, "*"))) - before)
    print(f"executions: {s['execs']}  cov: {s['cov']}  ft: {s['ft']}  corpus: {s['corp']}")
    print(f"log: {os.path.join(BUILD, 'last-run.log')}")
    if crashes or proc.returncode:
        for line in log.splitlines():
            if ("ERROR:" in line or "invariant violated" in line or "SUMMARY:" in line
                    or "runtime error" in line):
                print("  " + line)
        for c in crashes:
            print(f"finding: {c}")
        if not crashes:
            print(f"finding: fuzzer exited with status {proc.returncode}")
        print(f"reproduce: {BINARY} {crashes[0] if crashes else '<file>'}")
        return 1
    print("findings: none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
