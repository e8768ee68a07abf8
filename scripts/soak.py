#!/usr/bin/env python3
"""./nvmev soak: every kind at once under verify, with the device disturbed.

    python3 scripts/soak.py [--minutes N] [--seed S] [--out DIR]

One guest (scripts/run.py), one controller SOAK-0 with a namespace of each
kind (kv NSID 1, nvm 2, conv 3, zns 4, and nvm 5 for detach/attach), all
file-backed, served by an IOThread; and a second controller SOAK-HP behind
a hot-plug port. The guest (scripts/soak_guest.sh) runs fio with verify on
the block namespaces, `nvmev-kv bench` (which checks every answer) on the
KV one, Namespace Attachment cycles, controller resets at random moments
and, at half time, a hot-unplug and replug of SOAK-HP with its data
verified after. The host, on a second QMP monitor, retunes the timing
models, clears the statistics, injects zone faults (read-only, offline,
back to empty) on zones fio does not use, and queries the device, at random
intervals; and it samples QEMU's anonymous RSS.

Passes when: the guest job ends with status 0, every step it reported is
"ok" (fio verify, KV checks, attach, reset, replug) and each kind made
progress; the guest kernel logged no storage warning but the resets it
asked for; no QMP command failed; QEMU did not crash; and QEMU's anonymous
RSS grew by less than --rss-slack-mib after the warm-up (the first fifth
of the run, at least 3 minutes; a shorter run does not judge RSS). Prints a summary and writes DIR/soak.json (default
build/soak). Exit status 0 on a pass, 1 otherwise.
"""

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 2**20
ZONE = 16 * MIB
# Zones 13-15 of n4 are the host's: the guest's zns loop stays in 0-11.
FAULT_ZONES = (13, 14, 15)


class Qmp:
    """A minimal QMP client on a unix socket (one command at a time)."""

    def __init__(self, path, deadline):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.file = self.sock.makefile("rw")
        json.loads(self.file.readline())  # greeting
        self.call("qmp_capabilities")

    def call(self, cmd, **args):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.file.write(json.dumps(msg) + "\n")
        self.file.flush()
        while True:
            line = self.file.readline()
            if not line:
                raise ConnectionError("QMP closed")
            reply = json.loads(line)
            if "event" in reply:
                continue
            return reply


def rss_kib(pid):
    """RssAnon, VmRSS of pid in KiB (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return None
    got = [re.search(rf"^{k}:\s+(\d+)", text, re.M) for k in ("RssAnon", "VmRSS")]
    return None if None in got else tuple(int(m.group(1)) for m in got)  # None: a zombie


class Chaos(threading.Thread):
    """The host's disturbances, at random intervals of 1-8 s."""

    def __init__(self, sock, pidfile, seed, stop):
        super().__init__(daemon=True)
        self.sock, self.pidfile, self.stop = sock, pidfile, stop
        self.rng = random.Random(seed)
        self.counts = {}
        self.errors = []
        self.rss = []  # (seconds since start, RssAnon KiB, VmRSS KiB)
        self.faulted = {}

    def count(self, what):
        self.counts[what] = self.counts.get(what, 0) + 1

    def expect_ok(self, what, reply):
        if "error" in reply:
            self.errors.append(f"{what}: {reply['error'].get('desc')}")
        else:
            self.count(what)

    def act(self, q):
        r = self.rng
        choice = r.choice(["retune", "retune", "reset-stats", "zone-fault", "query"])
        if choice == "retune":
            nsid, params = r.choice([
                (2, [("read-latency-ns", r.randrange(5000, 60000)),
                     ("write-latency-ns", r.randrange(5000, 60000))]),
                (3, [("nand-program-ns", r.randrange(200000, 1000000)),
                     ("channel-mbps", r.randrange(400, 1600))]),
                (1, [("kv-index-latency-ns", r.randrange(0, 20000))]),
                (4, [("nand-read-lsb-ns", r.randrange(20000, 80000))]),
            ])
            self.expect_ok("retune", q.call(
                "nvmev-set-timing", id="nvme0", nsid=nsid,
                parameters=[{"name": n, "value": v} for n, v in params]))
        elif choice == "reset-stats":
            self.expect_ok("reset-stats", q.call("nvmev-reset-stats", id="nvme0"))
        elif choice == "zone-fault":
            zone = r.choice(FAULT_ZONES)
            state = "empty" if zone in self.faulted else r.choice(["read-only", "offline"])
            self.expect_ok(f"zone-{state}", q.call("nvmev-zone-set-state", id="nvme0", nsid=4,
                                                   zone=zone, state=state))
            if state == "empty":
                del self.faulted[zone]
            else:
                self.faulted[zone] = state
        else:
            reply = q.call("query-nvmev")
            self.expect_ok("query", reply)
            if "return" in reply and not any(d.get("id") == "nvme0" for d in reply["return"]):
                self.errors.append("query-nvmev does not list nvme0")

    def run(self):
        start = time.monotonic()
        try:
            pid = None
            q = Qmp(self.sock, start + 120)
            while not os.path.exists(self.pidfile):
                time.sleep(0.1)
            with open(self.pidfile) as f:
                pid = int(f.read())
            next_rss = 0.0
            while not self.stop.wait(self.rng.uniform(1, 8)):
                now = time.monotonic() - start
                if now >= next_rss:
                    s = rss_kib(pid)
                    if s:
                        self.rss.append((round(now), *s))
                    next_rss = now + 10
                self.act(q)
        except (ConnectionError, OSError) as e:
            # QEMU quits when the guest job ends, possibly before the main
            # thread has seen the end: only a live QEMU's QMP failing is an
            # error (a crash is the guest job's status 125).
            if not self.stop.is_set() and (pid is None or rss_kib(pid) is not None):
                self.errors.append(f"QMP at {round(time.monotonic() - start)} s: {e}")


def guest_counts(out):
    ok, fail = {}, []
    for m in re.finditer(r"^SOAK (ok|FAIL) (\S+) (\d+)$", out, re.M):
        if m.group(1) == "ok":
            ok[m.group(2)] = ok.get(m.group(2), 0) + 1
        else:
            fail.append(f"{m.group(2)} #{m.group(3)}")
    return ok, fail


def warm_up_seconds(secs):
    """The first fifth of the run, at least 3 minutes: TCG fills its
    translation cache (64 MiB) in the first minutes."""
    return max(secs / 5, 180)


def rss_growth(rss, secs):
    """KiB of RssAnon growth after the warm-up; None if the run is too short
    to tell (fewer than two samples after the warm-up)."""
    after = [a for t, a, _ in rss if t >= warm_up_seconds(secs)]
    return (max(after) - after[0]) if len(after) >= 2 else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30, help="guest workload time (default 30)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: time)")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "soak"),
                    help="where soak.json and soak.log go (default build/soak)")
    ap.add_argument("--rss-slack-mib", type=int, default=32,
                    help="allowed RssAnon growth after the warm-up (default 32)")
    ap.add_argument("--qemu", help="QEMU binary (scripts/run.py's default)")
    ap.add_argument("--trace", action="append", default=[], metavar="PATTERN",
                    help="enable QEMU trace events (repeatable, e.g. 'nvmev_err_*'); "
                         "they go to the log, or to --trace-log (docs/tracing.md)")
    ap.add_argument("--trace-log", metavar="FILE",
                    help="QEMU's log file (-D) for the --trace events")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    secs = max(30, int(args.minutes * 60))
    os.makedirs(args.out, exist_ok=True)
    print(f"nvmev soak: {secs} s, seed {seed}", flush=True)

    tmp = tempfile.mkdtemp(prefix="nvmev-soak.")
    try:
        with open(os.path.join(ROOT, "scripts", "soak_guest.sh")) as f:
            body = f.read()
        script = os.path.join(tmp, "job.sh")
        with open(script, "w") as f:
            f.write(f"SECS={secs}\nSEED={seed}\n" + body)
        qmp_path = os.path.join(tmp, "soak.sock")
        pidfile = os.path.join(tmp, "qemu.pid")
        img = lambda name: os.path.join(tmp, name)
        hp = (f"nvmev,id=hp0,bus=rp1,ssd=nvm,memdev=hpmem,serial=SOAK-HP")
        qmp = f"python3 {ROOT}/scripts/qmp.py $NVMEV_QMP"
        unplug = (f"{qmp} device_del '{{\"id\": \"hp0\"}}' >/dev/null && "
                  f"for i in $(seq 300); do {qmp} query-nvmev | grep -q '\"hp0\"' || exit 0; "
                  "sleep 0.1; done; echo hp0 was not unplugged; exit 1")
        replug = f"{qmp} device_add '{json.dumps(dict(p.split('=') for p in hp.split(',')[1:]) | {'driver': 'nvmev'})}'"
        cmd = [sys.executable, os.path.join(ROOT, "scripts", "run.py"),
               "--ssd", "kv", "--size", "256M", "--memdev-file", img("kv.img"),
               "--iothread", "--device-opts", "serial=SOAK-0",
               "--namespace", f"ssd=nvm,nsid=2,size=128M,memdev-file={img('nvm.img')}",
               "--namespace", f"ssd=conv,nsid=3,size=256M,memdev-file={img('conv.img')}",
               "--namespace", f"ssd=zns,nsid=4,size=256M,zone-size=16M,memdev-file={img('zns.img')}",
               "--namespace", f"ssd=nvm,nsid=5,size=64M,memdev-file={img('ns5.img')}",
               "--accel-opts", "tb-size=64", "--mem", "1G",
               "--script", script, "--timeout", str(secs + 900),
               "--hook", f"unplug={unplug}", "--hook", f"replug={replug}"]
        if args.qemu:
            cmd += ["--qemu", args.qemu]
        cmd += ["--", "-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off",
                "-device", "pcie-root-port,id=rp1,chassis=1,port=1",
                "-object", f"memory-backend-file,id=hpmem,mem-path={img('hp.img')},"
                           f"size={64 * MIB},share=on",
                "-device", hp,
                "-qmp", f"unix:{qmp_path},server=on,wait=off", "-pidfile", pidfile,
                "-mem-prealloc"]
        for pattern in args.trace:
            cmd += ["-trace", pattern]
        if args.trace_log:
            cmd += ["-D", os.path.abspath(args.trace_log)]
        stop = threading.Event()
        chaos = Chaos(qmp_path, pidfile, seed, stop)
        log_path = os.path.join(args.out, "soak.log")
        started = time.monotonic()
        with open(log_path, "w") as log:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True)
            chaos.start()
            out = []
            for line in proc.stdout:
                log.write(line)
                log.flush()
                out.append(line)
                if line.startswith("SOAK FAIL"):
                    print(line.rstrip(), flush=True)
                elif line.startswith("SOAK done"):
                    stop.set()  # the guest powers off next
            rc = proc.wait()
        stop.set()
        chaos.join(10)
        out = "".join(out)
        ok, fail = guest_counts(out)
        growth = rss_growth(chaos.rss, secs)
        dmesg = re.search(r"^==DMESG==\n(.*?)^==END DMESG==$", out, re.S | re.M)
        problems = []
        if rc != 0:
            problems.append(f"guest job ended with status {rc} (125: QEMU ended first; "
                            "124: timeout)")
        if "SOAK done" not in out:
            problems.append("the guest did not finish its loops")
        problems += [f"guest step failed: {f}" for f in fail]
        for kind in ("nvm", "conv", "zns", "kv", "ns5", "attach", "reset", "hp", "replug",
                     "hp-after-replug"):
            if not ok.get(kind):
                problems.append(f"no successful '{kind}' step")
        problems += [f"QMP: {e}" for e in chaos.errors]
        # The resets the guest asks for are logged at warning level; any
        # other storage warning (I/O error, timeout, abort) is a problem.
        for line in (dmesg.group(1).splitlines() if dmesg else []):
            if (re.search(r"(?i)nvme|blk|zone|I/O error", line)
                    and not re.search(r"nvme nvme\d+: resetting controller$", line)):
                problems.append(f"guest kernel: {line}")
        if growth is not None and growth > args.rss_slack_mib * 1024:
            problems.append(f"QEMU's RssAnon grew {growth} KiB after the warm-up")
        result = dict(seed=seed, seconds=secs, wall_seconds=round(time.monotonic() - started),
                      guest_rc=rc, guest_steps_ok=ok, guest_steps_failed=fail,
                      host_actions=chaos.counts, qmp_errors=chaos.errors,
                      rss_samples=[dict(t=t, rss_anon_kib=a, vm_rss_kib=v)
                                   for t, a, v in chaos.rss],
                      rss_anon_growth_after_warmup_kib=growth,
                      kernel_warnings=(dmesg.group(1).splitlines() if dmesg else None),
                      problems=problems)
        with open(os.path.join(args.out, "soak.json"), "w") as f:
            json.dump(result, f, indent=1)
        print(f"guest steps ok: {json.dumps(ok, sort_keys=True)}")
        print(f"host actions: {json.dumps(chaos.counts, sort_keys=True)}")
        if chaos.rss:
            print(f"QEMU RssAnon: {chaos.rss[0][1] // 1024} MiB at {chaos.rss[0][0]} s, "
                  f"{chaos.rss[-1][1] // 1024} MiB at {chaos.rss[-1][0]} s; growth after "
                  f"the {warm_up_seconds(secs):.0f} s warm-up: "
                  + (f"{growth} KiB" if growth is not None else "not judged (run too short)"))
        print(f"log: {log_path}; results: {os.path.join(args.out, 'soak.json')}")
        for p in problems:
            print(f"PROBLEM: {p}")
        print("soak: " + ("PASS" if not problems else "FAIL"), flush=True)
        return 0 if not problems else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
