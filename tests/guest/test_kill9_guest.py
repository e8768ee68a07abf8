"""kill -9 at any moment, from a Linux guest (docs/resets.md#kill--9-and-power-loss).

The guest form of tests/device/test_kill9_qtest.py: the real NVMe driver and
real tools. For each kind (nvm, conv, zns, kv) on a file backend
(scripts/run.py --memdev-file), a guest writes one block (or KV key) at a
time and prints `DONE <lba|key> <seq>` on the console after each write
returned; the host reads the console line by line and SIGKILLs QEMU at a
seeded random moment, uniform in [NVMEV_KILL_T0, NVMEV_KILL_T0 +
NVMEV_KILL_WINDOW] seconds after the guest printed START. Every DONE line
the host received was printed after its write completed, so each is a
write whose completion the guest saw. The next guest on the same file
checks, before its own workload (the check of round r is round r+1's
start; a last boot only checks):

- the device starts: the controller comes live (nvmev-wait), the guest
  kernel logged no warning about NVMe or block devices;
- nvm, conv: every DONE block reads back exactly (each 4 KiB block of the
  workload area against the seed-derived, sequence-stamped pattern);
  a block whose write was in flight reads its old or new pattern (or is
  torn, counted); a block never written reads zeros;
- zns: each zone's write pointer covers every DONE block, every block below
  it holds exactly the block this position was written with (the zone is a
  prefix of the sequential writes, in order: never zeros or stale data),
  and the 16 blocks beyond it read zeros;
- kv: every key reads its last DONE value, or the value of a put issued
  after it (in flight at the kill); a key never put successfully reads that
  value or is absent; never anything else;
- fio with verify (nvm, conv: randwrite; zns: zonemode=zbd) writes its own
  area in the first boot and checks it with --verify_only in every later
  boot, after each kill; kv runs `nvmev-kv bench` (it checks every answer)
  in every boot.

NVMEV_KILL_SEED (default random) seeds everything; it and every moment are
printed. NVMEV_KILL_ROUNDS kills per kind (default 1; the long form 20),
NVMEV_KILL_KINDS restricts the kinds (e.g. "nvm,zns").
"""

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import RUN, GuestRun  # noqa: E402

SEED = int(os.environ.get("NVMEV_KILL_SEED") or random.SystemRandom().randrange(2**32))
ROUNDS = int(os.environ.get("NVMEV_KILL_ROUNDS") or 1)
T0_S = float(os.environ.get("NVMEV_KILL_T0") or 0.5)
WINDOW_S = float(os.environ.get("NVMEV_KILL_WINDOW") or 3.0)
KINDS = (os.environ.get("NVMEV_KILL_KINDS") or "nvm,conv,zns,kv").split(",")

BLK = 4096
AREA = 512                 # nvm, conv: workload blocks 0..511 (2 MiB)
ZNS_ZONES = 4              # zns: workload zones 0..3, one per round in turn
ZNS_ZONE = 32 << 20        # preset zns-prototype
ZNS_ZB = ZNS_ZONE // BLK   # blocks per zone
ZNS_BEYOND = 16            # blocks past the write pointer that must read zeros
KV_KEYS = 96
MAX_WRITES = 4000          # per round: far more than fit in the window
# Writes after the last DONE line the host received that may have completed
# too: the guest's console output trails its writes by what the tty and the
# UART still buffer (a few lines in practice). These read old or new.
INFLIGHT = 64
BOOT_TIMEOUT = 240
ZERO = "Z"


def log(msg):
    print(f"kill9-guest: {msg}", file=sys.stderr, flush=True)


def pattern(r, lba, seq):
    """What the guest's blocks() reports for the block round r's write
    number seq puts at lba: the block is `yes LINE | head -c 4096`, so its
    header line identifies all 4096 bytes."""
    return f"nvmev-kill9 seed={SEED} round={r} lba={lba} seq={seq}"


# Shell pieces (busybox ash). blk R LBA SEQ writes pattern() to /tmp/b.
SH_COMMON = r"""
blk() { yes "nvmev-kill9 seed=__SEED__ round=$1 lba=$2 seq=$3" | head -c 4096 > /tmp/b; }
# blocks FIRST COUNT: what each 4 KiB block FIRST.. of $D holds, as
# "BLK <lba> <what>": Z all zeros; the text line of which the block is
# exactly 4096 bytes of repeats (a pattern block: its header); X anything
# else (e.g. torn between two writes). One awk for all: forking per block
# costs ~40 ms under TCG, and busybox has no split.
blocks() { dd if=$D bs=4096 skip=$1 count=$2 iflag=direct 2>/dev/null | tr '\000\n' '0|' |
  awk -v first=$1 -v count=$2 '
  { z = "0"; while (length(z) < 4096) z = z z; z = substr(z, 1, 4096)
    for (i = 0; i < length($0) / 4096; i++) { b = substr($0, i * 4096 + 1, 4096)
      if (b == z) { print "BLK " first + i " Z"; continue }
      u = substr(b, 1, index(b, "|")); e = u
      if (u == "") { print "BLK " first + i " X"; continue }
      while (length(e) < 4096) e = e e
      print "BLK " first + i " " (substr(e, 1, 4096) == b ? substr(u, 1, length(u) - 1) : "X") } }'; }
if nvmev-wait nvme0 20; then echo "DEVICE-UP"; else echo "DEVICE-DOWN"; fi
""".replace("__SEED__", str(SEED))

SH_WARNINGS = ('echo ==KERNEL-WARNINGS==; dmesg -r | grep -E "^<[0-4]>"\n'
               'echo ==END KERNEL-WARNINGS==\n')


class Boot:
    """One scripts/run.py guest with the job, its console read line by line
    by a thread, and QEMU's pid (QEMU -pidfile) so that the host can
    SIGKILL it at a chosen moment."""

    def __init__(self, args, job, tmp):
        self.pidfile = os.path.join(tmp, "qemu.pid")
        if os.path.exists(self.pidfile):
            os.unlink(self.pidfile)
        self.proc = subprocess.Popen(
            [*RUN, *args, "--timeout", str(BOOT_TIMEOUT), "--cmd", job,
             "--", "-pidfile", self.pidfile],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, errors="replace")
        self.lines = []
        self.err = []
        self.eof = False
        self.cond = threading.Condition()
        self.t_out = threading.Thread(target=self._read_out)
        self.t_err = threading.Thread(target=lambda: self.err.extend(self.proc.stderr))
        self.t_out.start()
        self.t_err.start()

    def _read_out(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait_line(self, prefix, timeout=BOOT_TIMEOUT):
        """(host time, line) of the first line starting with prefix, or None
        if the guest ended or the time ran out first."""
        def found():
            return next((tl for tl in self.lines if tl[1].startswith(prefix)), None)
        with self.cond:
            self.cond.wait_for(lambda: found() or self.eof, timeout)
            return found()

    def kill_at(self, when):
        """SIGKILLs QEMU at host time `when` (unless the guest ended
        before); returns how many lines had arrived by then."""
        with self.cond:
            self.cond.wait_for(lambda: self.eof, max(when - time.monotonic(), 0))
            with open(self.pidfile) as f:
                pid = int(f.read())
            if not self.eof:
                os.kill(pid, signal.SIGKILL)
            return len(self.lines)

    def finish(self):
        try:
            self.proc.wait(BOOT_TIMEOUT + 30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self.t_out.join()
        self.t_err.join()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode, [l for _, l in self.lines]


class Kind:
    """One kind's runner args, its guest job and its model of what the
    device must hold."""

    args = ()
    dev = "/dev/nvme0n1"

    def __init__(self, rng):
        self.rng = rng
        self.counts = dict(done=0, done_before_kill=0, inflight_new=0, inflight_old=0,
                           inflight_torn=0, checked=0)

    def job(self, r, first, workload):
        parts = [f"D={self.dev}", SH_COMMON, "echo ==CHECK==", self.check_sh(),
                 "echo ==END CHECK==", self.fio_sh(first), SH_WARNINGS]
        if workload:
            parts.append(self.workload_sh(r))
        return "\n".join(parts)

    def check_sh(self):
        raise NotImplementedError

    def fio_sh(self, first):
        raise NotImplementedError

    def workload_sh(self, r):
        raise NotImplementedError

    def check(self, lines):
        raise NotImplementedError

    def record(self, r, lines, n_before):
        raise NotImplementedError


def fio_line(name, opts, first):
    """fio with crc32c verify: writes and verifies in the first boot, only
    verifies (--verify_only, same job) in later ones; prints FIO <rc>."""
    mode = "" if first else "--verify_only"
    return (f"fio --name={name} --filename=$D --direct=1 --verify=crc32c --do_verify=1 "
            f"--verify_fatal=1 {opts} {mode} > /tmp/fio.out 2>&1; rc=$?\n"
            f"echo \"FIO {'write+verify' if first else 'verify_only'} rc=$rc "
            "read $(grep -o 'READ: .*io=[0-9.]*[KMG]i*B' /tmp/fio.out | sed 's/.*io=//')\"\n"
            "[ $rc -eq 0 ] || { echo ==FIO-OUT==; cat /tmp/fio.out; echo ==END FIO-OUT==; }")


class Block(Kind):
    """nvm and conv: blocks at their LBA's offset; round r writes AREA
    blocks' worth sequentially from a seeded start, wrapping."""

    def __init__(self, rng, ssd):
        super().__init__(rng)
        self.args = ("--ssd", ssd, "--size", "128M")
        self.expect = {}        # lba -> what blocks() must report
        self.maybe = {}         # lba -> {what: "old"|"new"} while its write was in flight
        self.plan = None

    def check_sh(self):
        return f"blocks 0 {AREA}"

    def fio_sh(self, first):
        return fio_line("k9", "--rw=randwrite --bs=16k --offset=16M --size=8M "
                        "--ioengine=psync --randseed=1234", first)

    def workload_sh(self, r):
        start = self.rng.randrange(AREA)
        self.plan = (r, start)
        return (f'echo "START {r}"\ni=0\n'
                f"while [ $i -lt {MAX_WRITES} ]; do l=$(( ({start} + i) % {AREA} ))\n"
                f"  blk {r} $l $i\n"
                "  dd if=/tmp/b of=$D bs=4096 seek=$l count=1 oflag=direct 2>/dev/null "
                "|| { echo \"WRITE-FAILED $l $i\"; break; }\n"
                '  echo "DONE $l $i"; i=$((i + 1)); done\necho WORKLOAD-END')

    def lba_of(self, seq):
        return (self.plan[1] + seq) % AREA

    def check(self, lines):
        got = {}
        for line in lines:
            m = re.match(r"BLK (\d+) (.+)$", line)
            if m:
                got[int(m.group(1))] = m.group(2)
        errors = [line for line in lines if line.startswith("READ-FAILED")]
        if sorted(got) != list(range(AREA)):
            errors.append(f"read back {len(got)} blocks, not {AREA}")
            return errors
        for lba in range(AREA):
            if lba in self.maybe:
                kind = self.maybe.pop(lba).get(got[lba], "torn" if got[lba] == "X" else "bad")
                if kind == "bad":
                    errors.append(f"block {lba} (write in flight): {got[lba]!r}, neither old, "
                                  "new nor torn")
                    continue
                self.counts["inflight_" + kind] += 1
                self.expect[lba] = got[lba]   # torn: it reads X until rewritten
                continue
            want = self.expect.get(lba, ZERO)
            self.counts["checked"] += lba in self.expect
            if got[lba] != want:
                errors.append(f"block {lba}: {got[lba]!r}, want {want!r} "
                              f"({'a DONE write' if lba in self.expect else 'never written: zeros'})")
        return errors

    def record(self, r, lines, n_before):
        done = [int(m.group(2)) for m in (re.match(r"DONE (\d+) (\d+)$", l) for l in lines) if m]
        before = sum(1 for l in lines[:n_before] if l.startswith("DONE "))
        assert done == list(range(len(done))), f"DONE lines out of order: {done[:20]}"
        self.counts["done"] += len(done)
        self.counts["done_before_kill"] += before
        k = len(done)
        # A DONE write is final; later writes of the same block in this
        # round came after it (sequence order), so the last DONE one wins.
        for seq in done:
            lba = self.lba_of(seq)
            self.expect[lba] = (pattern(r, lba, seq))
            self.maybe.pop(lba, None)
        # Writes after the last DONE may have happened (their DONE line not
        # yet out, or the kill inside them): old, new or torn.
        for seq in range(k, min(k + INFLIGHT, MAX_WRITES)):
            lba = self.lba_of(seq)
            old = self.maybe.get(lba) or {self.expect.get(lba, ZERO): "old"}
            self.maybe[lba] = {**{h: "old" for h in old}, (pattern(r, lba, seq)): "new"}
        return k


class Zns(Kind):
    """zns: round r appends sequentially at zone r % ZNS_ZONES's write
    pointer with plain writes; the zone's data is then a prefix of what was
    written to it, in order."""

    args = ("--ssd", "zns", "--preset", "zns-prototype", "--size", "512M")

    def __init__(self, rng):
        super().__init__(rng)
        self.zone = [[] for _ in range(ZNS_ZONES)]   # per zone: block i's pattern
        self.pending = [[] for _ in range(ZNS_ZONES)]  # written after the last DONE
        self.plan = None

    def check_sh(self):
        lines = [f"blkzone report -o 0 -c {ZNS_ZONES} $D"]
        for z in range(ZNS_ZONES):
            n = len(self.zone[z]) + len(self.pending[z]) + ZNS_BEYOND
            lines.append(f"blocks {z * ZNS_ZB} {n}")
        return "\n".join(lines)

    def fio_sh(self, first):
        # zones 8, 9: fio's own zoned writes, verified after every kill. With
        # zonemode=zbd --verify_only resets the zones first (fio treats the
        # job as a writer), so later boots read them back with a verifying
        # read job instead.
        opts = (f"--zonemode=zbd --bs=64k --offset={8 * ZNS_ZONE} --size={2 * ZNS_ZONE} "
                "--io_size=8M --ioengine=psync")
        if first:
            return fio_line("k9z", "--rw=write " + opts, True)
        return fio_line("k9z", "--rw=read " + opts, True).replace(
            "FIO write+verify", "FIO read+verify")

    def workload_sh(self, r):
        z = r % ZNS_ZONES
        self.plan = (r, z)
        return (f"wp=$(blkzone report -o {z * ZNS_ZONE // 512} -c 1 $D | "
                "sed -n 's/.*wptr 0x\\([0-9a-f]*\\).*/\\1/p')\n"
                f"b=$(( {z * ZNS_ZB} + 0x$wp / 8 ))\n"
                f'echo "START {r} zone={z} lba=$b"\ni=0\n'
                f"while [ $i -lt {MAX_WRITES} ]; do l=$((b + i))\n"
                f"  blk {r} $l $i\n"
                "  dd if=/tmp/b of=$D bs=4096 seek=$l count=1 oflag=direct 2>/dev/null "
                "|| { echo \"WRITE-FAILED $l $i\"; break; }\n"
                '  echo "DONE $l $i"; i=$((i + 1)); done\necho WORKLOAD-END')

    def check(self, lines):
        errors = []
        wps = {}
        for line in lines:
            m = re.match(r"\s*start: 0x([0-9a-f]+), len 0x([0-9a-f]+), cap 0x([0-9a-f]+), "
                         r"wptr 0x([0-9a-f]+).*zcond:\s*(\d+)", line)
            if m:
                z = int(m.group(1), 16) * 512 // ZNS_ZONE
                wps[z] = (int(m.group(4), 16) * 512, int(m.group(5)))
        got = {}
        for line in lines:
            m = re.match(r"BLK (\d+) (.+)$", line)
            if m:
                got[int(m.group(1))] = m.group(2)
        if sorted(wps) != list(range(ZNS_ZONES)):
            return [f"zone report: zones {sorted(wps)}"] + [l for l in lines if "blkzone" in l]
        for z in range(ZNS_ZONES):
            wp_bytes, cond = wps[z]
            if wp_bytes % BLK:
                errors.append(f"zone {z}: write pointer {wp_bytes} bytes, not on a 4 KiB block")
            wp = wp_bytes // BLK
            done, pend = self.zone[z], self.pending[z]
            if wp < len(done):
                errors.append(f"zone {z}: write pointer at block {wp}, below {len(done)} "
                              "blocks whose writes completed")
            if wp > len(done) + len(pend):
                errors.append(f"zone {z}: write pointer at block {wp}, past the "
                              f"{len(done) + len(pend)} blocks ever written")
                continue
            base = z * ZNS_ZB
            written = done + pend
            for i in range(len(written) + ZNS_BEYOND):
                h = got.get(base + i)
                if h is None:
                    errors.append(f"zone {z}: block {i} not read")
                    break
                want = written[i] if i < wp else ZERO
                self.counts["checked"] += i < len(done)
                if h != want:
                    errors.append(f"zone {z} block {i} (wp {wp}): {h!r}, want {want!r} "
                                  f"({'written data' if i < wp else 'zeros beyond the wp'})")
            n_pend = wp - len(done)
            self.counts["inflight_new"] += max(n_pend, 0)
            self.zone[z] = written[:wp]
            self.pending[z] = []
        return errors

    def record(self, r, lines, n_before):
        start = next(l for l in lines if l.startswith("START "))
        base = int(re.search(r"lba=(\d+)", start).group(1))
        z = self.plan[1]
        assert base == z * ZNS_ZB + len(self.zone[z]), \
            f"round {r} started zone {z} at block {base}, model {len(self.zone[z])}"
        done = [(int(m.group(1)), int(m.group(2)))
                for m in (re.match(r"DONE (\d+) (\d+)$", l) for l in lines) if m]
        assert [s for _, s in done] == list(range(len(done))), "DONE lines out of order"
        self.counts["done"] += len(done)
        self.counts["done_before_kill"] += sum(1 for l in lines[:n_before] if l.startswith("DONE "))
        self.zone[z] += [(pattern(r, lba, seq)) for lba, seq in done]
        k = len(done)
        self.pending[z] = [(pattern(r, base + s, s)) for s in range(k, k + INFLIGHT)]
        return k


class Kv(Kind):
    """kv: round r puts keys k9-00.. in a seeded order, one value per put."""

    args = ("--ssd", "kv", "--size", "64M")
    dev = "/dev/ng0n1"

    def __init__(self, rng):
        super().__init__(rng)
        self.value = {}        # key -> {value it may read (None: absent): old|new}
        self.plan = None

    @staticmethod
    def key(i):
        return f"k9-{i:02d}"

    def put_value(self, r, seq, key):
        return f"s{SEED}-r{r}-q{seq}-{key}"

    def check_sh(self):
        return "\n".join(
            f'v=$(nvmev-kv $D get {k} 2>/tmp/e); echo "KV {k} $? $v|$(tr "\\n" " " < /tmp/e)"'
            for k in sorted(self.value))

    def fio_sh(self, first):
        return ("nvmev-kv $D bench --ops 300 --keys 16 --value-size 700 --seed 9 "
                "> /tmp/bench.out 2>&1; rc=$?\necho \"BENCH rc=$rc\"\n"
                "[ $rc -eq 0 ] || cat /tmp/bench.out")

    def workload_sh(self, r):
        order = list(range(KV_KEYS))
        self.rng.shuffle(order)
        self.plan = (r, order)
        keys = " ".join(self.key(i) for i in order)
        return (f'echo "START {r}"\ni=0\n'
                f"while [ $i -lt {MAX_WRITES} ]; do for k in {keys}; do\n"
                f'  nvmev-kv $D put $k "s{SEED}-r{r}-q$i-$k" > /dev/null 2>/tmp/e '
                '|| { echo "PUT-FAILED $k $i $(cat /tmp/e)"; break 2; }\n'
                '  echo "DONE $k $i"; i=$((i + 1)); done; done\necho WORKLOAD-END')

    def key_of(self, seq):
        return self.key(self.plan[1][seq % KV_KEYS])

    def check(self, lines):
        errors = []
        seen = set()
        for line in lines:
            m = re.match(r"KV (\S+) (\d+) (.*?)\|(.*)$", line)
            if not m:
                continue
            key, rc, val, err = m.group(1), int(m.group(2)), m.group(3), m.group(4)
            seen.add(key)
            allowed = self.value[key]           # value -> "old" | "new"
            if rc == 0:
                got = val
            elif "Does Not Exist" in err or "Not Found" in err:
                got = None
            else:
                errors.append(f"key {key}: get failed: rc {rc} {err}")
                continue
            if got not in allowed:
                errors.append(f"key {key}: read {got!r}, allowed {sorted(map(str, allowed))}")
                continue
            if len(allowed) > 1:
                self.counts["inflight_" + allowed[got]] += 1
            else:
                self.counts["checked"] += 1
            self.value[key] = {got: "old"}
        missing = set(self.value) - seen
        if missing:
            errors.append(f"keys not read: {sorted(missing)}")
        return errors

    def record(self, r, lines, n_before):
        done = [(m.group(1), int(m.group(2)))
                for m in (re.match(r"DONE (\S+) (\d+)$", l) for l in lines) if m]
        assert [s for _, s in done] == list(range(len(done))), "DONE lines out of order"
        assert all(k == self.key_of(s) for k, s in done), "DONE keys not in the planned order"
        self.counts["done"] += len(done)
        self.counts["done_before_kill"] += sum(1 for l in lines[:n_before] if l.startswith("DONE "))
        for key, seq in done:
            self.value[key] = {self.put_value(r, seq, key): "old"}
        k = len(done)
        for seq in range(k, k + INFLIGHT):
            key = self.key_of(seq)
            self.value.setdefault(key, {None: "old"})[self.put_value(r, seq, key)] = "new"
        return k


def make(kind, rng):
    if kind in ("nvm", "conv"):
        return Block(rng, kind)
    return {"zns": Zns, "kv": Kv}[kind](rng)


class Kill9GuestTest(unittest.TestCase):

    def run_kind(self, kind):
        if kind not in KINDS:
            self.skipTest(f"NVMEV_KILL_KINDS={','.join(KINDS)}")
        rng = random.Random(f"{SEED}-{kind}")
        model = make(kind, rng)
        tmp = tempfile.mkdtemp(prefix=f"nvmev-kill9g-{kind}.")
        self.addCleanup(shutil.rmtree, tmp, True)
        args = [*model.args, "--memdev-file", os.path.join(tmp, "drive.img")]
        log(f"{kind}: seed {SEED} (NVMEV_KILL_SEED), {ROUNDS} kill(s), moments uniform in "
            f"[{T0_S:g}, {T0_S + WINDOW_S:g}] s after START")
        t_start = time.monotonic()
        for r in range(ROUNDS + 1):
            workload = r < ROUNDS
            boot = Boot(args, model.job(r, r == 0, workload), tmp)
            n_before = None
            if workload:
                start = boot.wait_line("START ")
                if start is not None:
                    delay = rng.uniform(T0_S, T0_S + WINDOW_S)
                    n_before = boot.kill_at(start[0] + delay)
            rc, lines = boot.finish()
            out = "\n".join(lines)
            ctx = (f"{kind} round {r} (seed {SEED}, rc {rc})\n--- console ---\n"
                   f"{out[-3000:]}\n--- runner ---\n{''.join(boot.err)[-2000:]}")
            self.assertIn("DEVICE-UP", lines, f"the device did not come up: {ctx}")
            self.assertIn("==END CHECK==", lines, f"the check did not finish: {ctx}")
            check = lines[lines.index("==CHECK==") + 1:lines.index("==END CHECK==")]
            errors = model.check(check)
            self.assertEqual(errors, [], f"after kill {r}: " + "\n".join(errors[:20]) + "\n" + ctx)
            fio = [l for l in lines if l.startswith(("FIO ", "BENCH "))]
            self.assertTrue(fio and re.search(r"rc=0\b", fio[0]), f"fio/bench failed: {ctx}")
            # fio verified all its 8 MiB (a zoned read job would verify
            # nothing, vacuously, in zones that were reset)
            self.assertTrue(fio[0].startswith("BENCH") or fio[0].endswith(" read 8192KiB"),
                            f"fio did not read back its 8 MiB: {fio[0]}\n{ctx}")
            warnings = GuestRun(subprocess.CompletedProcess([], rc, out + "\n", "")
                                ).kernel_warnings()
            self.assertIsNotNone(warnings, f"no kernel log section: {ctx}")
            self.assertEqual(warnings, [], f"kernel warnings: {ctx}")
            log(f"{kind} boot {r}: {fio[0]}")
            if not workload:
                self.assertEqual(rc, 0, f"final check boot failed: {ctx}")
                continue
            self.assertIsNotNone(n_before, f"the workload did not start: {ctx}")
            bad = [l for l in lines if l.startswith(("WRITE-FAILED", "PUT-FAILED"))]
            self.assertEqual(bad, [], f"a write failed: {ctx}")
            ended = "WORKLOAD-END" in lines[:n_before]
            self.assertTrue(ended or "QEMU ended (status 137)" in "".join(boot.err),
                            f"QEMU did not die of the SIGKILL: {ctx}")
            k = model.record(r, lines, n_before)
            log(f"{kind} round {r}: kill at {delay:.3f} s after START, {k} writes DONE "
                f"({sum(1 for l in lines[:n_before] if l.startswith('DONE '))} received "
                f"before the kill){' (workload had ended)' if ended else ''}")
        log(f"{kind}: {ROUNDS} kills, {time.monotonic() - t_start:.0f} s, counts {model.counts}")
        self.assertGreater(model.counts["done"], 0, "no write completed before any kill")

    def test_nvm(self):
        self.run_kind("nvm")

    def test_conv(self):
        self.run_kind("conv")

    def test_zns(self):
        self.run_kind("zns")

    def test_kv(self):
        self.run_kind("kv")


if __name__ == "__main__":
    unittest.main()
