#!/usr/bin/env python3
"""Runs every nvmev test tier and ends with the line 'N passed, N failed'.

    python3 tests/run_tests.py [--tier unit|device|guest|fuzz|tsan|conformance|soak ...]

Tiers: unit (GoogleTest, the C++ core through a fake host), device (the real
QEMU binary driven over qtest), guest (a Linux guest with nvme-cli and fio),
fuzz (30 s of the libFuzzer harness over the seed corpus, and QEMU's
generic-fuzz target on -device nvmev, 15 s per configuration), tsan (the unit
tests built with ThreadSanitizer, and no report), conformance (fio's
whole t/zbd suite on every ssd=zns configuration; only when asked for with
--tier conformance: the guest tier runs a fixed subset of it), soak (one
minute of ./nvmev soak; only when asked for with --tier soak).
Exit status 0 only if every test passed.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIERS = ("unit", "device", "guest", "fuzz", "tsan", "conformance", "soak")
# Run by default (no --tier): every tier but soak (tests/soak: a minute of
# ./nvmev soak, docs/soak.md) and conformance, which runs fio's
# whole t/zbd suite on every ssd=zns configuration (tests/guest/
# test_zbd_suite.py with NVMEV_CONFORMANCE=1; about 40 minutes under TCG).
DEFAULT_TIERS = ("unit", "device", "guest", "fuzz", "tsan")


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def record(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"  PASS {name}", flush=True)
        else:
            self.failed.append(name)
            print(f"  FAIL {name}\n{detail}", flush=True)


CLANG_FORMAT_GLOBS = ("hw-nvmev/core", "ftl", "timing", "tests/unit", "tests/fuzz", "guest-tools",
                     "bench")


def run_style(tally):
    """The C++ sources follow the committed .clang-format."""
    files = []
    for d in CLANG_FORMAT_GLOBS:
        for name in sorted(os.listdir(os.path.join(ROOT, d))):
            if name.endswith((".cc", ".h")):
                files.append(os.path.join(ROOT, d, name))
    proc = subprocess.run(["clang-format", "--dry-run", "-Werror", *files],
                          capture_output=True, text=True)
    tally.record("unit/clang-format", proc.returncode == 0, proc.stderr[-3000:])


def run_properties_doc(tally):
    """docs/properties.md's tables are those the parameter registry generates."""
    tool = os.path.join(ROOT, "build", "host", "tools", "nvmev-params")
    proc = subprocess.run([tool, "--check", os.path.join(ROOT, "docs", "properties.md")],
                          capture_output=True, text=True)
    tally.record("unit/properties-doc", proc.returncode == 0, proc.stdout + proc.stderr)


def run_file_map(tally):
    """docs/architecture.md's file map names every core, FTL and timing source, and no more."""
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "check_file_map.py")],
                          capture_output=True, text=True)
    tally.record("unit/architecture-file-map", proc.returncode == 0, proc.stdout + proc.stderr)


def run_fidelity_doc(tally):
    """docs/fidelity.md quotes exactly bench/fidelity_published.json's figures and
    sources, and explains every miss over 10 % (no simulation: reads the files)."""
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "fidelity_sim.py"),
                           "--check-doc"], capture_output=True, text=True)
    tally.record("unit/fidelity-doc", proc.returncode == 0, proc.stdout + proc.stderr)


def run_gtest(tally, tier, binary, env=None):
    """Runs a GoogleTest binary and records each of its tests; returns the
    process (its stderr carries what a sanitizer reported)."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "gtest.json")
        proc = subprocess.run([binary, f"--gtest_output=json:{out}"],
                              capture_output=True, text=True, env=env)
        if not os.path.exists(out):
            tally.record(f"{tier} (binary)", False, proc.stdout + proc.stderr)
            return proc
        report = json.load(open(out))
    for suite in report["testsuites"]:
        for case in suite["testsuite"]:
            failures = case.get("failures", [])
            detail = "\n".join(f["failure"] for f in failures)
            tally.record(f"{tier}/{suite['name']}.{case['name']}", not failures, detail)
    return proc


def run_unit(tally):
    run_gtest(tally, "unit", os.path.join(ROOT, "build", "host", "tests", "unit",
                                          "nvmev-unit-tests"))


def run_tsan(tally):
    """The core and every unit test built with clang's ThreadSanitizer
    (build/tsan): each test passes and TSan reports nothing. The thread
    stress test (tests/unit/thread_stress_test.cc) is the one that runs
    several queue groups at once (docs/thread-safety.md)."""
    build = os.path.join(ROOT, "build", "tsan")
    if not os.path.exists(os.path.join(build, "build.ninja")):
        proc = subprocess.run(["meson", "setup", build, ROOT, "-Db_sanitize=thread",
                               "-Db_lundef=false"], capture_output=True, text=True,
                              env=dict(os.environ, CXX="clang++"))
        if proc.returncode:
            tally.record("tsan (meson setup)", False, (proc.stdout + proc.stderr)[-3000:])
            return
    proc = subprocess.run(["ninja", "-C", build, "tests/unit/nvmev-unit-tests"],
                          capture_output=True, text=True)
    if proc.returncode:
        tally.record("tsan (build)", False, (proc.stdout + proc.stderr)[-3000:])
        return
    env = dict(os.environ, TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1")
    proc = run_gtest(tally, "tsan", os.path.join(build, "tests", "unit", "nvmev-unit-tests"), env)
    reports = proc.stderr.count("WARNING: ThreadSanitizer")
    print(f"  ThreadSanitizer reports: {reports}")
    tally.record("tsan/no-reports", reports == 0 and proc.returncode != 66,
                 proc.stderr[-6000:])


def run_fuzz(tally):
    """A short bounded fuzzer run: fails on any crash or invariant violation."""
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "fuzz", "run_fuzz.py"),
                           "--seconds", "30", "--seed", "1"], capture_output=True, text=True)
    print("  " + "\n  ".join(l for l in proc.stdout.splitlines() if l.startswith("executions")))
    tally.record("fuzz/short", proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:])
    # QEMU's generic fuzzer over the whole device, every configuration with a
    # fixed seed; fails on any crash, sanitizer report or timeout.
    script = os.path.join(ROOT, "tests", "fuzz", "run_qemu_fuzz.py")
    configs = 8
    proc = subprocess.run([sys.executable, script, "--seconds", str(15 * configs), "--seed", "1"],
                          capture_output=True, text=True)
    print("  " + "\n  ".join(proc.stdout.splitlines()))
    tally.record("fuzz/qemu-generic", proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:])
    # Its seeds still reach what they stand for: every command of each
    # configuration's seeds completes successfully at least once.
    proc = subprocess.run([sys.executable, script, "--check-seeds"], capture_output=True,
                          text=True)
    print("  " + "\n  ".join(proc.stdout.splitlines()))
    tally.record("fuzz/qemu-seeds", proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:])


class _Result(unittest.TextTestResult):
    """Reports each test to the tally as it finishes."""

    tally = None
    tier = ""

    def addSuccess(self, test):
        super().addSuccess(test)
        self.tally.record(f"{self.tier}/{test.id().split('.', 1)[-1]}", True)

    def _bad(self, test, err):
        self.tally.record(f"{self.tier}/{test.id().split('.', 1)[-1]}", False,
                          self._exc_info_to_string(err, test))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._bad(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._bad(test, err)


def run_unittest_dir(tally, tier, directory, pattern="test_*.py"):
    sys.path.insert(0, directory)
    suite = unittest.defaultTestLoader.discover(directory, pattern=pattern,
                                                top_level_dir=directory)
    _Result.tally = tally
    _Result.tier = tier
    runner = unittest.TextTestRunner(stream=open(os.devnull, "w"), resultclass=_Result)
    runner.run(suite)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tier", action="append", choices=TIERS,
                    help="run only these tiers (default: all)")
    ap.add_argument("--quick", action="store_true",
                    help="unit and device tiers only (no guest boots)")
    args = ap.parse_args()
    tiers = args.tier or (["unit", "device"] if args.quick else list(DEFAULT_TIERS))
    tally = Tally()
    for tier in tiers:
        start = time.monotonic()
        print(f"== {tier} tests", flush=True)
        if tier == "unit":
            run_unit(tally)
            run_style(tally)
            run_properties_doc(tally)
            run_file_map(tally)
            run_fidelity_doc(tally)
        elif tier == "fuzz":
            run_fuzz(tally)
        elif tier == "tsan":
            run_tsan(tally)
        elif tier == "conformance":
            os.environ["NVMEV_CONFORMANCE"] = "1"
            run_unittest_dir(tally, tier, os.path.join(ROOT, "tests", "guest"),
                             pattern="test_zbd_suite.py")
            del os.environ["NVMEV_CONFORMANCE"]
        else:
            run_unittest_dir(tally, tier, os.path.join(ROOT, "tests", tier))
        print(f"   ({time.monotonic() - start:.0f} s)", flush=True)
    if tally.failed:
        print("failed tests:\n  " + "\n  ".join(tally.failed))
    print(f"{tally.passed} passed, {len(tally.failed)} failed", flush=True)
    return 0 if not tally.failed and tally.passed else 1


if __name__ == "__main__":
    sys.exit(main())
