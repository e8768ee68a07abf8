"""Guest end-to-end tests of ssd=zns: a Linux guest sees a host-managed
zoned namespace and drives it with nvme-cli, blkzone and fio (zonemode=zbd);
zone states, write pointers, Zone Append LBAs and data are checked exactly,
also across a restart on a file-backed memdev and under fault injection
over QMP (nvmev-zone-set-state, the Changed Zone List and its asynchronous
event).

Zones are small (16 MiB = 0x8000 LBAs of 512 B) so that every test moves
only tens of MiB under TCG. Zone z starts at LBA z * 0x8000."""

import json
import os
import re
import shlex
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import ROOT, fio_job, run_guest  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from run import STATE_AREA_BYTES  # noqa: E402

MiB = 2**20
ZONE_BYTES = 16 * MiB
ZONE_LBAS = ZONE_BYTES // 512  # 0x8000
SIZE = "256M"                  # 16 zones
NZONES = 16
# The default preset (wd-zn540) with small zones.
DEV = "zone-size=16M"

QMP = f"python3 {ROOT}/scripts/qmp.py"

# Shell prelude of every job. `step NAME CMD...` runs CMD, prints its
# stdout and stderr and then `rc=N` between ==NAME== and ==END NAME==.
# `rz NAME` is a step printing the full zone report as JSON; `bz NAME` the
# same from the kernel's side (blkzone).
PRELUDE = r"""
export Z=/dev/nvme0n1
# Keep each zone's writes in order at queue depth > 1 (fio, split requests).
echo mq-deadline > /sys/block/nvme0n1/queue/scheduler
step() { n=$1; shift; echo "==$n=="; "$@" 2>&1; echo "rc=$?"; echo "==END $n=="; }
rz() { step "$1" nvme zns report-zones $Z -o json; }
rzn() { step "$1" nvme zns report-zones $Z; }
bz() { step "$1" blkzone report $Z; }
zs() { echo $(( $1 * 0x8000 )); }
# wr ZONE OFFSET_LBAS FILE: nvme write of FILE (a multiple of 512 B) at zslba + offset
wr() { sz=$(stat -c %s "$3")
       nvme write $Z -s $(( $1 * 0x8000 + $2 )) -c $(( sz / 512 - 1 )) -z $sz -d "$3"; }
# rd ZONE OFFSET_LBAS BYTES FILE: nvme read into FILE
rd() { nvme read $Z -s $(( $1 * 0x8000 + $2 )) -c $(( $3 / 512 - 1 )) -z $3 -d "$4"; }
mk() { head -c "$2" /dev/urandom > "$1"; }
# waitfor WHAT SECONDS CMD...: runs CMD every 50 ms until it succeeds; if it
# has not within SECONDS, ends the job (status 1) naming what never happened.
waitfor() { w=$1; s=$2; t=$(( $2 * 20 )); shift 2
            until "$@"; do
                t=$(( t - 1 ))
                [ $t -gt 0 ] || { echo "TIMEOUT: $w: not within $s s"; exit 1; }
                sleep 0.05
            done; }
# zone_is ZONE COND: the zone report shows ZONE in condition COND (blkzone's
# em, oi, oe, cl, ro, fu, of).
zone_is() { blkzone report -o $(zs $1) -c 1 $Z | grep -q "($2)"; }
"""

STATE_TO_COND = {  # nvme-cli JSON state -> blkzone condition
    "EMPTY": "em", "IMP_OPENED": "oi", "EXP_OPENED": "oe", "CLOSED": "cl",
    "READONLY": "ro", "FULL": "fu", "OFFLINE": "of",
}
BLKZONE_RE = re.compile(
    r"start: (0x[0-9a-f]+), len (0x[0-9a-f]+), cap (0x[0-9a-f]+), wptr (0x[0-9a-f]+) "
    r"reset:\d+ non-seq:\d+, zcond:\s*(\d+)\((\w+)\)")

# NVMe status lines as nvme-cli (libnvme) prints them.
TOO_MANY_OPEN = "Too Many Open Zones"
TOO_MANY_ACTIVE = "Too Many Active Zones"
INVALID_TRANSITION = "Invalid Zone State Transition"
ZONE_FULL = "Zone Is Full"
ZONE_READ_ONLY = "Zone Is Read Only"
ZONE_OFFLINE = "Zone Is Offline"
INVALID_FIELD = "Invalid Field in Command"
# Completion dword 0 of a Zone Descriptor Changed notice: log page BFh,
# information EFh, type 2 (notice), as nvme-cli prints it.
ZONE_AEN = "Asynchronous Event Request is Success and result: 0x00bfef02"


def job(*lines):
    return PRELUDE + "\n".join(lines) + "\ntrue\n"


def zns_guest(script, *args, dev=DEV, size=SIZE, timeout=300, kernel_log_allow=()):
    """Boots a guest on ssd=zns; size=None leaves the capacity to the device."""
    opts = ["--ssd", "zns"] + (["--size", size] if size else [])
    if dev:
        opts += ["--device-opts", dev]
    return run_guest(script, *opts, *args, timeout=timeout, kernel_log_allow=kernel_log_allow)


def qmp_hook(name, command, arguments=None, out=None):
    cmd = f"{QMP} \"$NVMEV_QMP\" {command}"
    if arguments is not None:
        cmd += " " + shlex.quote(json.dumps(arguments))
    if out:
        cmd += f" > {shlex.quote(out)}"
    return ("--hook", f"{name}={cmd}")


def set_state_hook(name, zone, state):
    return qmp_hook(name, "nvmev-zone-set-state", {"id": "nvme0", "zone": zone, "state": state})


def zs(zone):
    return zone * ZONE_LBAS


class ZnsGuestTest(unittest.TestCase):
    maxDiff = None

    # ---- helpers on a GuestRun -------------------------------------------

    def assertGuestOk(self, r):
        self.assertEqual(r.rc, 0, f"guest job failed ({r.rc}):\n{r.out}\n{r.err}")

    def step(self, r, name):
        """(output, rc) of `step NAME ...` in the job."""
        text = r.section(name)
        lines = text.rstrip("\n").split("\n")
        m = re.fullmatch(r"rc=(\d+)", lines[-1])
        self.assertIsNotNone(m, f"step {name}: no rc line in {text!r}")
        return "\n".join(lines[:-1]), int(m.group(1))

    def ok(self, r, name):
        out, rc = self.step(r, name)
        self.assertEqual(rc, 0, f"step {name} failed:\n{out}")
        return out

    def fails(self, r, name, status):
        """The step failed with exit status != 0 and nvme-cli printed `status`."""
        out, rc = self.step(r, name)
        self.assertNotEqual(rc, 0, f"step {name} should have failed:\n{out}")
        self.assertIn(f"NVMe status: {status}", out, f"step {name}")
        return out

    def zones(self, r, name):
        """Zone descriptors of an `rz NAME` step: list of dicts."""
        rep = json.loads(self.ok(r, name))
        zl = rep["zone_list"]
        self.assertEqual(rep["nr_zones"], len(zl), name)
        return zl

    def assertZones(self, r, name, expect, nzones=NZONES, cap=ZONE_LBAS):
        """expect: {zone: (STATE, wp offset from zslba or None)}; zones not
        named must be EMPTY with wp == zslba. The write pointer of FULL,
        READONLY and OFFLINE zones is not valid (ZNS 1.1 figure 37) and is
        not compared when the offset is None."""
        zl = self.zones(r, name)
        self.assertEqual(len(zl), nzones, name)
        got, want = [], []
        for z, d in enumerate(zl):
            self.assertEqual(d["slba"], zs(z), f"{name}: zone {z} slba")
            self.assertEqual(d["cap"], cap, f"{name}: zone {z} cap")
            self.assertEqual(d["type"], "SEQWRITE_REQ", f"{name}: zone {z} type")
            state, off = expect.get(z, ("EMPTY", 0))
            want.append((z, state, off))
            got.append((z, d["state"], None if off is None else d["wp"] - zs(z)))
        self.assertEqual(got, want, f"zone states and write pointers at {name}")
        return zl

    def blkzone(self, r, name):
        out = self.ok(r, name)
        rows = []
        for line in out.splitlines():
            m = BLKZONE_RE.search(line)
            if m:
                rows.append(dict(start=int(m.group(1), 16), len=int(m.group(2), 16),
                                 cap=int(m.group(3), 16), wptr=int(m.group(4), 16),
                                 cond=m.group(6)))
        return rows

    # ---- 1. identification ------------------------------------------------

    def test_kernel_sees_a_host_managed_zoned_namespace(self):
        sysfs = ("zoned nr_zones chunk_sectors max_open_zones max_active_zones "
                 "zone_append_max_bytes max_hw_sectors_kb")
        script = job(
            f"step SYSFS sh -c 'for f in {sysfs}; do echo $f=$(cat /sys/block/nvme0n1/queue/$f); "
            "done; echo size=$(cat /sys/block/nvme0n1/size)'",
            "step IDNS nvme zns id-ns $Z -o json",
            "step IDCTRL nvme zns id-ctrl $Z -o json",
            "step NVMIDNS nvme id-ns $Z -o json",
            "step CTRL nvme id-ctrl /dev/nvme0 -o json",
            "step ZLIST nvme zns list",
            "rz RZ", "bz BZ",
        )
        # wd-zn540 (the default) with 16 MiB zones of which 12 MiB are
        # writable, and a 128 KiB Zone Append limit.
        r = zns_guest(script, dev="zone-size=16M,zone-capacity=12M,zone-append-size-limit=128K")
        self.assertGuestOk(r)
        sys_ = dict(line.split("=", 1) for line in self.ok(r, "SYSFS").splitlines())
        self.assertEqual(sys_, {
            "zoned": "host-managed",
            "nr_zones": str(NZONES),
            "chunk_sectors": str(ZONE_LBAS),
            # the preset's 14 open / 14 active zones (MOR = MAR = 13)
            "max_open_zones": "14",
            "max_active_zones": "14",
            # ZASL 5: 2^5 x 4 KiB
            "zone_append_max_bytes": str(128 * 1024),
            # MDTS 6: 2^6 x 4 KiB
            "max_hw_sectors_kb": "256",
            "size": str(256 * MiB // 512),
        })
        idns = json.loads(self.ok(r, "IDNS"))
        nvm = json.loads(self.ok(r, "NVMIDNS"))
        self.assertEqual(nvm["nsze"], 256 * MiB // 512)
        self.assertEqual(nvm["flbas"] & 0xf, 0)
        self.assertEqual(idns["lbafe"][0]["zsze"], ZONE_LBAS)
        self.assertEqual(idns["lbafe"][0]["zdes"], 0)
        self.assertEqual((idns["mor"], idns["mar"]), (13, 13))  # 0's based
        self.assertEqual(idns["zoc"], 0)
        self.assertEqual(idns["ozcs"], 1)  # RAZB: reads may cross zone boundaries
        self.assertEqual(idns["numzrwa"], 0)
        self.assertEqual(idns["zrwasz"], 0)
        self.assertEqual(json.loads(self.ok(r, "IDCTRL"))["zasl"], 5)
        ctrl = json.loads(self.ok(r, "CTRL"))
        self.assertEqual(ctrl["mdts"], 6)
        # OAES: Zone Descriptor Changed notices only.
        self.assertEqual(ctrl["oaes"], 1 << 27)
        # `nvme zns list` shows namespaces of the Zoned command set only.
        self.assertRegex(self.ok(r, "ZLIST"), r"(?m)^/dev/nvme0n1 .*WDC ZN540 \(nvmev\)")
        cap = 12 * MiB // 512
        self.assertZones(r, "RZ", {}, cap=cap)
        rows = self.blkzone(r, "BZ")
        self.assertEqual([(z["start"], z["len"], z["cap"], z["wptr"], z["cond"]) for z in rows],
                         [(zs(i), ZONE_LBAS, cap, 0, "em") for i in range(NZONES)])

    def test_zns_prototype_preset_has_32m_zones_and_no_limits(self):
        # No size: the device's default capacity, max(1 GiB, 4 zones) = 32 zones.
        script = job(
            "step SYSFS sh -c 'for f in zoned nr_zones chunk_sectors max_open_zones "
            "max_active_zones; do echo $f=$(cat /sys/block/nvme0n1/queue/$f); done; "
            "echo size=$(cat /sys/block/nvme0n1/size)'",
            "step IDNS nvme zns id-ns $Z -o json",
            "step IDCTRL nvme zns id-ctrl $Z -o json",
        )
        r = zns_guest(script, "--preset", "zns-prototype", dev=None, size=None)
        self.assertGuestOk(r)
        sys_ = dict(line.split("=", 1) for line in self.ok(r, "SYSFS").splitlines())
        self.assertEqual(sys_, {"zoned": "host-managed", "nr_zones": "32",
                                "chunk_sectors": str(32 * MiB // 512),
                                "max_open_zones": "0", "max_active_zones": "0",
                                "size": str(2**30 // 512)})
        idns = json.loads(self.ok(r, "IDNS"))
        self.assertEqual(idns["lbafe"][0]["zsze"], 32 * MiB // 512)
        # No limit: all ones (nvme-cli's JSON prints the 32-bit fields signed).
        self.assertEqual((idns["mor"] & 0xffffffff, idns["mar"] & 0xffffffff),
                         (0xffffffff, 0xffffffff))
        # zone-append-size-limit unset: ZASL 0, MDTS applies.
        self.assertEqual(json.loads(self.ok(r, "IDCTRL"))["zasl"], 0)

    # ---- 2. report zones: nvme-cli and the kernel agree -------------------

    def test_blkzone_report_agrees_with_report_zones(self):
        cap = 12 * MiB // 512  # zone capacity 0x6000 LBAs
        script = job(
            "mk /tmp/full 12582912; mk /tmp/m1 1048576; mk /tmp/k4 4096; mk /tmp/k8 8192;"
            " mk /tmp/k64 65536",
            # zone 0: written to its capacity -> full
            "step W0 dd if=/tmp/full of=$Z bs=1M seek=0 oflag=direct",
            # zone 1: 1 MiB + 4 KiB -> implicitly open
            "step W1 dd if=/tmp/m1 of=$Z bs=1M seek=16 oflag=direct",
            "step W1B dd if=/tmp/k4 of=$Z bs=4k seek=$((17 * 256)) oflag=direct",
            # zone 2: 8 KiB -> implicitly open
            "step W2 wr 2 0 /tmp/k8",
            # zone 3: 4 KiB, then finished -> full
            "step W3 wr 3 0 /tmp/k4",
            "step F3 nvme zns finish-zone $Z -s $(zs 3)",
            # zone 5: 64 KiB, then closed
            "step W5 wr 5 0 /tmp/k64",
            "step C5 nvme zns close-zone $Z -s $(zs 5)",
            # zone 6: explicitly opened, nothing written
            "step O6 nvme zns open-zone $Z -s $(zs 6)",
            "rz RZ", "bz BZ",
            # every Report Zones filter (ZRASF 1..7)
            *[f"step S{s} nvme zns report-zones $Z -S {s} -o json" for s in range(1, 8)],
            # a report starting in the middle of zone 4
            "step FROM4 nvme zns report-zones $Z -s $(( $(zs 4) + 100 )) -d 2 -o json",
            # partial report: Number of Zones counts the descriptors that fit
            # (192 bytes: the header and two descriptors) or all that match
            "step PART sh -c 'nvme io-passthru $Z -o 0x7a -n 1 --cdw12=47 --cdw13=0x10000 "
            "-l 192 -r -b 2>/dev/null | od -A n -t u8 -N 8'",
            "step NOPART sh -c 'nvme io-passthru $Z -o 0x7a -n 1 --cdw12=47 --cdw13=0 "
            "-l 192 -r -b 2>/dev/null | od -A n -t u8 -N 8'",
            # partial report of full zones (filter 5) from zone 1
            f"step PARTF sh -c 'nvme io-passthru $Z -o 0x7a -n 1 --cdw10={zs(1)} --cdw12=47 "
            "--cdw13=$((0x10000 | 5 << 8)) -l 192 -r -b 2>/dev/null | od -A n -t u8 -N 8'",
        )
        r = zns_guest(script, dev="zone-size=16M,zone-capacity=12M")
        self.assertGuestOk(r)
        for s in ("W0", "W1", "W1B", "W2", "W3", "F3", "W5", "C5", "O6"):
            self.ok(r, s)
        expect = {0: ("FULL", None), 1: ("IMP_OPENED", 0x808), 2: ("IMP_OPENED", 16),
                  3: ("FULL", None), 5: ("CLOSED", 128), 6: ("EXP_OPENED", 0)}
        zl = self.assertZones(r, "RZ", expect, cap=cap)
        rows = self.blkzone(r, "BZ")
        self.assertEqual(len(rows), NZONES)
        for z, (d, b) in enumerate(zip(zl, rows)):
            self.assertEqual(b["start"], d["slba"], f"zone {z} start")
            self.assertEqual(b["len"], ZONE_LBAS, f"zone {z} len")
            self.assertEqual(b["cap"], d["cap"], f"zone {z} cap")
            self.assertEqual(b["cond"], STATE_TO_COND[d["state"]], f"zone {z} condition")
            if d["state"] == "FULL":
                # Linux reports a full zone's write pointer at its end.
                self.assertEqual(b["wptr"], ZONE_LBAS, f"zone {z} wptr")
            else:
                self.assertEqual(b["wptr"], d["wp"] - d["slba"], f"zone {z} wptr")
        by_state = {1: "EMPTY", 2: "IMP_OPENED", 3: "EXP_OPENED", 4: "CLOSED",
                    5: "FULL", 6: "READONLY", 7: "OFFLINE"}
        for s, state in by_state.items():
            want = [zs(z) for z in range(NZONES) if expect.get(z, ("EMPTY",))[0] == state]
            got = self.zones(r, f"S{s}")
            self.assertEqual([d["slba"] for d in got], want, f"filter {s} ({state})")
            self.assertTrue(all(d["state"] == state for d in got), f"filter {s}")
        from4 = json.loads(self.ok(r, "FROM4"))
        self.assertEqual([d["slba"] for d in from4["zone_list"]], [zs(4), zs(5)])
        self.assertEqual(int(self.ok(r, "PART")), 2)
        self.assertEqual(int(self.ok(r, "NOPART")), NZONES)
        self.assertEqual(int(self.ok(r, "PARTF")), 1)  # zone 3 only

    # ---- 3. zone management ----------------------------------------------

    def test_open_close_finish_reset_single_and_select_all(self):
        with tempfile.TemporaryDirectory() as d:
            q = os.path.join(d, "q.json")
            script = job(
                "mk /tmp/k4 4096",
                "step O1 nvme zns open-zone $Z -s $(zs 1)", "rz R1",
                "step W1 wr 1 0 /tmp/k4", "rz R2",
                "step C1 nvme zns close-zone $Z -s $(zs 1)", "rz R3",
                "step O1B nvme zns open-zone $Z -s $(zs 1)", "rz R4",
                "step F1 nvme zns finish-zone $Z -s $(zs 1)", "rz R5",
                "step O1C nvme zns open-zone $Z -s $(zs 1)",       # full: invalid
                "step W1F wr 1 8 /tmp/k4",                          # full: Zone Is Full
                "step R1 nvme zns reset-zone $Z -s $(zs 1)", "rz R6",
                "step C1E nvme zns close-zone $Z -s $(zs 1)",      # empty: invalid
                "step NOTSTART nvme zns open-zone $Z -s $(( $(zs 1) + 8 ))",
                # select all
                "step W0 wr 0 0 /tmp/k4",                           # implicitly open
                "step W2 wr 2 0 /tmp/k4",                           # implicitly open
                "step W3 wr 3 0 /tmp/k4", "step C3 nvme zns close-zone $Z -s $(zs 3)",
                "step F4 nvme zns finish-zone $Z -s $(zs 4)",      # empty -> full
                "step O5 nvme zns open-zone $Z -s $(zs 5)", "step W5 wr 5 0 /tmp/k4",
                "rz R7",
                "step CA nvme zns close-zone $Z -a", "rz R8",
                "step OA nvme zns open-zone $Z -a", "rz R9",
                "step FA nvme zns finish-zone $Z -a", "rz R10",
                "step RA nvme zns reset-zone $Z -a", "rz R11",
                "nvmev-host query",
                # Write Zeroes follows the write pointer like a write;
                # Dataset Management deallocates nothing; reads may cross
                # zone boundaries.
                "head -c 8192 /dev/zero > /tmp/z8k",
                "step WZ nvme write-zeroes $Z -s $(zs 6) -c 7",
                "step WZW wr 6 0 /tmp/k4",
                "step DSM nvme dsm $Z -d -s $(zs 6) -b 8",
                "rz R12",
                "step RZ6 rd 6 0 4096 /tmp/r6", "step CZ6 cmp /tmp/r6 /tmp/z8k -n 4096",
                "step XREAD nvme read $Z -s $(( $(zs 7) - 8 )) -c 15 -z 8192 -d /tmp/x",
                "step XCMP cmp /tmp/x /tmp/z8k",
            )
            r = zns_guest(script, *qmp_hook("query", "query-nvmev", out=q))
            self.assertGuestOk(r)
            with open(q) as f:
                info = json.load(f)[0]
        for s in ("O1", "W1", "C1", "O1B", "F1", "R1", "W0", "W2", "W3", "C3", "F4", "O5",
                  "W5", "CA", "OA", "FA", "RA"):
            self.ok(r, s)
        self.assertZones(r, "R1", {1: ("EXP_OPENED", 0)})
        self.assertZones(r, "R2", {1: ("EXP_OPENED", 8)})
        self.assertZones(r, "R3", {1: ("CLOSED", 8)})
        self.assertZones(r, "R4", {1: ("EXP_OPENED", 8)})
        self.assertZones(r, "R5", {1: ("FULL", None)})
        self.fails(r, "O1C", INVALID_TRANSITION)
        self.fails(r, "W1F", ZONE_FULL)
        self.assertZones(r, "R6", {})
        self.fails(r, "C1E", INVALID_TRANSITION)
        self.fails(r, "NOTSTART", INVALID_FIELD)
        self.assertZones(r, "R7", {0: ("IMP_OPENED", 8), 2: ("IMP_OPENED", 8),
                                   3: ("CLOSED", 8), 4: ("FULL", None),
                                   5: ("EXP_OPENED", 8)})
        # Close all: the open zones close; full and empty ones stay.
        self.assertZones(r, "R8", {0: ("CLOSED", 8), 2: ("CLOSED", 8), 3: ("CLOSED", 8),
                                   4: ("FULL", None), 5: ("CLOSED", 8)})
        # Open all: every closed zone becomes explicitly open.
        self.assertZones(r, "R9", {0: ("EXP_OPENED", 8), 2: ("EXP_OPENED", 8),
                                   3: ("EXP_OPENED", 8), 4: ("FULL", None),
                                   5: ("EXP_OPENED", 8)})
        # Finish all: open and closed zones.
        self.assertZones(r, "R10", {z: ("FULL", None) for z in (0, 2, 3, 4, 5)})
        # Reset all: every full zone.
        self.assertZones(r, "R11", {})
        zones = info["zones"]
        self.assertEqual(zones["zone-size"], ZONE_BYTES)
        self.assertEqual(zones["zone-capacity"], ZONE_BYTES)
        self.assertEqual(zones["count"], NZONES)
        self.assertEqual({k: zones[k] for k in ("empty", "implicitly-open", "explicitly-open",
                                                "closed", "full", "read-only", "offline")},
                         {"empty": NZONES, "implicitly-open": 0, "explicitly-open": 0,
                          "closed": 0, "full": 0, "read-only": 0, "offline": 0})
        # resets: zone 1, then zones 0, 2, 3, 4, 5 by select all; finishes:
        # zone 1, zone 4, then zones 0, 2, 3, 5 by select all.
        self.assertEqual((zones["resets"], zones["finishes"], zones["appends"]), (6, 6, 0))
        self.ok(r, "WZ")
        self.fails(r, "WZW", "Zone Invalid Write")
        self.ok(r, "DSM")
        self.assertZones(r, "R12", {6: ("IMP_OPENED", 8)})
        for s in ("RZ6", "CZ6", "XREAD", "XCMP"):
            self.ok(r, s)

    # ---- 4. fio zonemode=zbd -----------------------------------------------

    def test_fio_zbd_sequential_write_then_random_read_verify(self):
        common = dict(zonemode="zbd", ioengine="io_uring", iodepth=8, verify="crc32c",
                      verify_interval="4k", verify_fatal=1)
        script = job(
            # fio needs the kernel to keep each zone's writes in order at
            # queue depth > 1: the mq-deadline scheduler does that.
            "echo mq-deadline > /sys/block/nvme0n1/queue/scheduler",
            fio_job("seqw", rw="write", bs="128k", offset=0, size="64M", max_open_zones=2,
                    do_verify=1, **common),
            fio_job("randr", rw="randread", bs="4k", offset=0, size="64M", io_size="16M",
                    **common),
            "rz RZ",
        )
        r = zns_guest(script)
        self.assertGuestOk(r)
        w = r.json("seqw")["jobs"][0]
        self.assertEqual(w["error"], 0)
        self.assertEqual(w["write"]["io_bytes"], 64 * MiB)
        self.assertEqual(w["read"]["io_bytes"], 64 * MiB)  # the verify pass
        rr = r.json("randr")["jobs"][0]
        self.assertEqual(rr["error"], 0)
        self.assertEqual(rr["read"]["io_bytes"], 16 * MiB)
        self.assertEqual(rr["write"]["io_bytes"], 0)
        self.assertZones(r, "RZ", {z: ("FULL", None) for z in range(4)})

    # ---- 5. Zone Append ----------------------------------------------------

    def test_zone_append_returns_the_assigned_lba_and_data_lands_there(self):
        with tempfile.TemporaryDirectory() as d:
            q = os.path.join(d, "q.json")
            script = job(
                "mk /tmp/a 4096; mk /tmp/b 4096; mk /tmp/c 65536; mk /tmp/big 131072",
                "step A1 nvme zns zone-append $Z -s $(zs 1) -z 4096 -d /tmp/a",
                "step A2 nvme zns zone-append $Z -s $(zs 1) -z 4096 -d /tmp/b",
                "step A3 nvme zns zone-append $Z -s $(zs 1) -z 65536 -d /tmp/c",
                # over the 64 KiB Zone Append Size Limit
                "step ABIG nvme zns zone-append $Z -s $(zs 1) -z 131072 -d /tmp/big",
                # not a zone start
                "step AMID nvme zns zone-append $Z -s $(( $(zs 1) + 8 )) -z 4096 -d /tmp/a",
                "step F2 nvme zns finish-zone $Z -s $(zs 2)",
                "step AFULL nvme zns zone-append $Z -s $(zs 2) -z 4096 -d /tmp/a",
                "rz RZ",
                "cat /tmp/a /tmp/b /tmp/c > /tmp/abc",
                f"step CMP sh -c 'dd if=$Z bs=4k skip={zs(1) // 8} count=18 iflag=direct "
                "2>/dev/null | cmp - /tmp/abc && echo same'",
                "step RD rd 1 8 4096 /tmp/rb",
                "step CMPB cmp /tmp/rb /tmp/b",
                "nvmev-host query",
            )
            r = zns_guest(script, *qmp_hook("query", "query-nvmev", out=q),
                          dev=DEV + ",zone-append-size-limit=64K")
            self.assertGuestOk(r)
            with open(q) as f:
                info = json.load(f)[0]
        # nvme-cli prints the LBA from the completion in hex, without 0x.
        self.assertEqual(self.ok(r, "A1").strip(), f"Success appended data to LBA {zs(1):x}")
        self.assertEqual(self.ok(r, "A2").strip(), f"Success appended data to LBA {zs(1) + 8:x}")
        self.assertEqual(self.ok(r, "A3").strip(),
                         f"Success appended data to LBA {zs(1) + 16:x}")
        self.fails(r, "ABIG", INVALID_FIELD)
        self.fails(r, "AMID", INVALID_FIELD)
        self.ok(r, "F2")
        self.fails(r, "AFULL", ZONE_FULL)
        self.assertZones(r, "RZ", {1: ("IMP_OPENED", 16 + 128), 2: ("FULL", None)})
        self.assertEqual(self.ok(r, "CMP").strip(), "same")
        self.ok(r, "RD")
        self.ok(r, "CMPB")
        self.assertEqual(info["zones"]["appends"], 3)

    # ---- 6. open and active limits -----------------------------------------

    def test_open_and_active_limits_with_implicit_close(self):
        script = job(
            "mk /tmp/k4 4096",
            "step SYSFS sh -c 'cat /sys/block/nvme0n1/queue/max_open_zones "
            "/sys/block/nvme0n1/queue/max_active_zones'",
            "step IDNS nvme zns id-ns $Z -o json",
            # Two explicitly open zones use both open resources: a third
            # open fails, and so does a write to an empty zone (nothing
            # implicitly open could be closed for it).
            "step O0 nvme zns open-zone $Z -s $(zs 0)",
            "step O1 nvme zns open-zone $Z -s $(zs 1)",
            "step O2 nvme zns open-zone $Z -s $(zs 2)",
            "step W2 wr 2 0 /tmp/k4",
            "rz A1",
            "step RA nvme zns reset-zone $Z -a",
            # Implicitly open zones: the controller closes the oldest one
            # to open another, as long as an active resource is free.
            "step W0 wr 0 0 /tmp/k4",
            "step W1 wr 1 0 /tmp/k4",
            "rz B1",
            "step W2B wr 2 0 /tmp/k4",     # zone 0 closed implicitly
            "rz B2",
            "step W3 wr 3 0 /tmp/k4",      # a fourth active zone
            "step O3 nvme zns open-zone $Z -s $(zs 3)",
            "rz B3",
            "step W0B wr 0 8 /tmp/k4",     # closed -> implicitly open; zone 1 closed
            "rz B4",
            "step O1B nvme zns open-zone $Z -s $(zs 1)",  # closes zone 2
            "rz B5",
            "step F1 nvme zns finish-zone $Z -s $(zs 1)",  # frees an active resource
            "step W3B wr 3 0 /tmp/k4",
            "rz B6",
        )
        r = zns_guest(script, dev=DEV + ",max-open-zones=2,max-active-zones=3")
        self.assertGuestOk(r)
        self.assertEqual(self.ok(r, "SYSFS").split(), ["2", "3"])
        idns = json.loads(self.ok(r, "IDNS"))
        self.assertEqual((idns["mor"], idns["mar"]), (1, 2))
        self.ok(r, "O0")
        self.ok(r, "O1")
        self.fails(r, "O2", TOO_MANY_OPEN)
        self.fails(r, "W2", TOO_MANY_OPEN)
        self.assertZones(r, "A1", {0: ("EXP_OPENED", 0), 1: ("EXP_OPENED", 0)})
        self.ok(r, "RA")
        self.ok(r, "W0")
        self.ok(r, "W1")
        self.assertZones(r, "B1", {0: ("IMP_OPENED", 8), 1: ("IMP_OPENED", 8)})
        self.ok(r, "W2B")
        self.assertZones(r, "B2", {0: ("CLOSED", 8), 1: ("IMP_OPENED", 8),
                                   2: ("IMP_OPENED", 8)})
        self.fails(r, "W3", TOO_MANY_ACTIVE)
        self.fails(r, "O3", TOO_MANY_ACTIVE)
        self.assertZones(r, "B3", {0: ("CLOSED", 8), 1: ("IMP_OPENED", 8),
                                   2: ("IMP_OPENED", 8)})
        self.ok(r, "W0B")
        self.assertZones(r, "B4", {0: ("IMP_OPENED", 16), 1: ("CLOSED", 8),
                                   2: ("IMP_OPENED", 8)})
        self.ok(r, "O1B")
        self.assertZones(r, "B5", {0: ("IMP_OPENED", 16), 1: ("EXP_OPENED", 8),
                                   2: ("CLOSED", 8)})
        self.ok(r, "F1")
        self.ok(r, "W3B")
        self.assertZones(r, "B6", {0: ("IMP_OPENED", 16), 1: ("FULL", None),
                                   2: ("CLOSED", 8), 3: ("IMP_OPENED", 8)})

    # ---- 7. persistence ----------------------------------------------------

    def test_zone_states_write_pointers_and_data_survive_a_restart(self):
        # The backend holds the data and, after it, the zone metadata;
        # `run --memdev-file` sizes the file for --size bytes of data: 16
        # zones, then a 4 KiB header and one 4 KiB page of 32-byte records.
        nz = NZONES
        sums = ("step SUMS sh -c '"
                "dd if=$Z bs=1M count=16 iflag=direct 2>/dev/null | md5sum; "
                "dd if=$Z bs=4k skip=4096 count=257 iflag=direct 2>/dev/null | md5sum; "
                "dd if=$Z bs=4k skip=8192 count=16 iflag=direct 2>/dev/null | md5sum; "
                "dd if=$Z bs=4k skip=12288 count=2 iflag=direct 2>/dev/null | md5sum; "
                "dd if=$Z bs=4k skip=20480 count=1 iflag=direct 2>/dev/null | md5sum'")
        first = job(
            "mk /tmp/z0 16777216; mk /tmp/z1 1052672; mk /tmp/z2 65536; mk /tmp/z3 8192;"
            " mk /tmp/z5 4096",
            "step W0 dd if=/tmp/z0 of=$Z bs=1M seek=0 oflag=direct",       # full
            "step W1 dd if=/tmp/z1 of=$Z bs=4k seek=4096 oflag=direct",    # implicitly open
            "step O2 nvme zns open-zone $Z -s $(zs 2)",
            "step W2 wr 2 0 /tmp/z2",                                      # explicitly open
            "step W3 wr 3 0 /tmp/z3",
            "step F3 nvme zns finish-zone $Z -s $(zs 3)",                  # finished
            "step W5 wr 5 0 /tmp/z5",
            "step C5 nvme zns close-zone $Z -s $(zs 5)",                   # closed
            "step SRC sh -c 'for f in z0 z1 z2 z3 z5; do md5sum < /tmp/$f; done'",
            sums, "rz RZ", "rzn RZN",
        )
        second = job(
            "step NZ cat /sys/block/nvme0n1/queue/nr_zones",
            sums, "rz RZ", "rzn RZN",
            # The write pointers are live, not just reported: an append to
            # zone 1 lands at its old write pointer, a write to zone 2 at its
            # write pointer succeeds, and one to zone 3 (full) fails.
            "mk /tmp/k4 4096",
            "step A1 nvme zns zone-append $Z -s $(zs 1) -z 4096 -d /tmp/k4",
            "step W2 wr 2 128 /tmp/k4",
            "step W3 wr 3 16 /tmp/k4",
            "rz RZ2",
        )
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "zns.img")
            r1 = zns_guest(first, "--memdev-file", path)
            self.assertGuestOk(r1)
            size_after_first = os.path.getsize(path)
            r2 = zns_guest(second, "--memdev-file", path)
            self.assertGuestOk(r2)
        # Zones, then the drive state area, the zone records and the
        # header (docs/zns.md#persistence): run.py sized the file for them.
        self.assertEqual(size_after_first, 256 * MiB + STATE_AREA_BYTES + 4096 + 4096)
        for s in ("W0", "W1", "O2", "W2", "W3", "F3", "W5", "C5"):
            self.ok(r1, s)
        expect = {0: ("FULL", None), 1: ("IMP_OPENED", 0x808), 2: ("EXP_OPENED", 128),
                  3: ("FULL", None), 5: ("CLOSED", 8)}
        z1 = self.assertZones(r1, "RZ", expect, nzones=nz)
        self.assertEqual(self.ok(r2, "NZ").strip(), str(nz))
        z2 = self.assertZones(r2, "RZ", expect, nzones=nz)
        self.assertEqual(z2, z1)
        # Attributes too (the normal output shows them; the JSON does not).
        self.assertEqual(self.ok(r2, "RZN"), self.ok(r1, "RZN"))
        src = [line.split()[0] for line in self.ok(r1, "SRC").splitlines()]
        before = [line.split()[0] for line in self.ok(r1, "SUMS").splitlines()]
        after = [line.split()[0] for line in self.ok(r2, "SUMS").splitlines()]
        self.assertEqual(before, src)
        self.assertEqual(after, src)
        self.assertEqual(self.ok(r2, "A1").strip(),
                         f"Success appended data to LBA {zs(1) + 0x808:x}")
        self.ok(r2, "W2")
        self.fails(r2, "W3", ZONE_FULL)
        expect.update({1: ("IMP_OPENED", 0x810), 2: ("EXP_OPENED", 136)})
        self.assertZones(r2, "RZ2", expect, nzones=nz)

    # ---- 8. fault injection --------------------------------------------------

    def test_fault_injection_read_only_offline_and_changed_zone_list(self):
        with tempfile.TemporaryDirectory() as d:
            q = os.path.join(d, "q.json")
            script = job(
                "mk /tmp/d2 65536; mk /tmp/k4 4096",
                "step W2 wr 2 0 /tmp/d2",
                "step W3 wr 3 0 /tmp/k4",
                "step CZL0 nvme zns changed-zone-list $Z",
                # zone 2 read-only
                "step RO nvmev-host ro",
                "waitfor 'zone 2 read-only' 10 zone_is 2 ro",
                "rz R1", "bz B1",
                "step WRO wr 2 128 /tmp/k4",
                f"step RRO sh -c 'dd if=$Z bs=4k skip={zs(2) // 8} count=16 iflag=direct "
                "2>/dev/null | cmp - /tmp/d2 && echo same'",
                "step CZL1 nvme zns changed-zone-list $Z",
                "step CZL1B nvme zns changed-zone-list $Z",
                # zone 2 offline
                "step OFF nvmev-host off",
                "waitfor 'zone 2 offline' 10 zone_is 2 of",
                "rz R2",
                "step ROFF nvme read $Z -s $(zs 2) -c 7 -z 4096 -d /tmp/x",
                f"step DDOFF dd if=$Z of=/dev/null bs=4k skip={zs(2) // 8} count=1 "
                "iflag=direct",
                "step CZL2 nvme zns changed-zone-list $Z",
                # empty is only for read-only or offline zones: zone 3 is open
                "step BAD nvmev-host bad",
                # zone 2 back (empty, as after a reset); zone 5 offline from empty
                "step BACK nvmev-host back",
                "step OFF5 nvmev-host off5",
                "waitfor 'zone 5 offline' 10 zone_is 5 of",
                "rz R3",
                "step WBACK wr 2 0 /tmp/k4",
                f"step RBACK sh -c 'dd if=$Z bs=4k skip={zs(2) // 8} count=1 iflag=direct "
                "2>/dev/null | cmp - /tmp/k4 && echo same'",
                "step CZL3 nvme zns changed-zone-list $Z",
                "nvmev-host query",
            )
            r = zns_guest(script,
                          *set_state_hook("ro", 2, "read-only"),
                          *set_state_hook("off", 2, "offline"),
                          *set_state_hook("bad", 3, "empty"),
                          *set_state_hook("back", 2, "empty"),
                          *set_state_hook("off5", 5, "offline"),
                          *qmp_hook("query", "query-nvmev", out=q),
                          # DDOFF reads the offline zone through the block
                          # layer on purpose: Zone Is Offline (SCT 1h, SC BBh).
                          kernel_log_allow=[
                              r"nvme0n1: I/O Cmd\(0x2\) @ LBA \d+, \d+ blocks, I/O Error "
                              r"\(sct 0x1 / sc 0xbb\) DNR",
                              r"I/O error, dev nvme0n1, sector \d+ op 0x0:\(READ\)"])
            self.assertGuestOk(r)
            with open(q) as f:
                info = json.load(f)[0]
        self.ok(r, "W2")
        self.ok(r, "W3")
        self.assertEqual(_changed(self.ok(r, "CZL0")), [])
        self.ok(r, "RO")
        self.assertZones(r, "R1", {2: ("READONLY", None), 3: ("IMP_OPENED", 8)})
        self.assertEqual(self.blkzone(r, "B1")[2]["cond"], "ro")
        self.fails(r, "WRO", ZONE_READ_ONLY)
        self.assertEqual(self.ok(r, "RRO").strip(), "same")  # still readable
        self.assertEqual(_changed(self.ok(r, "CZL1")), [zs(2)])
        self.assertEqual(_changed(self.ok(r, "CZL1B")), [])  # read with RAE clear: consumed
        self.ok(r, "OFF")
        self.assertZones(r, "R2", {2: ("OFFLINE", None), 3: ("IMP_OPENED", 8)})
        self.fails(r, "ROFF", ZONE_OFFLINE)
        _, rc = self.step(r, "DDOFF")
        self.assertNotEqual(rc, 0, "dd read of an offline zone")
        self.assertEqual(_changed(self.ok(r, "CZL2")), [zs(2)])
        _, rc = self.step(r, "BAD")
        self.assertEqual(rc, 1, "nvmev-zone-set-state empty on an open zone must fail")
        self.ok(r, "BACK")
        self.ok(r, "OFF5")
        self.assertZones(r, "R3", {3: ("IMP_OPENED", 8), 5: ("OFFLINE", None)})
        self.ok(r, "WBACK")
        self.assertEqual(self.ok(r, "RBACK").strip(), "same")
        self.assertEqual(_changed(self.ok(r, "CZL3")), [zs(2), zs(5)])
        zones = info["zones"]
        self.assertEqual((zones["read-only"], zones["offline"], zones["implicitly-open"],
                          zones["empty"]), (0, 1, 2, NZONES - 3))

    def test_zone_descriptor_changed_notice(self):
        # Linux 6.1 submits Asynchronous Event Requests only for the notices
        # it handles (namespace attribute, firmware activation, ANA,
        # discovery): nvmev's OAES has none of them, so the job submits its
        # own with `nvme admin-passthru` (opcode 0Ch) in the background.
        # Each wait is for an event, none for a time: an AER is submitted
        # once its nvme process blocks on it (then it is in the admin SQ,
        # ahead of later admin commands); aerstat first sends an admin
        # command behind it, whose completion the device posts no earlier
        # than an event for the AER, then waits until the AER has either
        # completed (its rc= line) or still blocks its process (pending).
        aer = textwrap.dedent("""
            aer() { (nvme admin-passthru /dev/nvme0 -o 0x0c > /tmp/aer$1 2>&1 &
                     echo $! > /tmp/aerpid$1; wait $!; echo "rc=$?" >> /tmp/aer$1) &
                    waitfor "AER $1 to reach the device" 20 aer_settled $1; }
            aer_done() { grep -q '^rc=' /tmp/aer$1 2>/dev/null; }
            aer_blocked() { p=$(cat /tmp/aerpid$1 2>/dev/null) &&
                            [ "$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null)" = D ]; }
            aer_settled() { aer_done $1 || aer_blocked $1; }
            aerstat() { nvme get-feature /dev/nvme0 -f 0x0b > /dev/null 2>&1
                        waitfor "AER $2 to complete or block" 20 aer_settled $2
                        echo "==$1=="; if aer_done $2
                        then cat /tmp/aer$2; else echo pending; fi; echo "==END $1=="; }
            """)
        script = job(
            aer,
            "step ID nvme id-ctrl /dev/nvme0 -o json",
            # Enable Zone Descriptor Changed notices (Asynchronous Event
            # Configuration bit 27) on top of what is enabled.
            "aec=$(nvme get-feature /dev/nvme0 -f 0x0b | "
            "sed -n 's/.*Current value:\\(0x\\)\\{0,1\\}\\([0-9a-fA-F]*\\).*/\\2/p')",
            "step ON nvme set-feature /dev/nvme0 -f 0x0b -v $(( 0x$aec | 0x8000000 ))",
            "aer 1",
            "step RO nvmev-host ro",
            "aerstat A1 1",
            # The event is now masked until the host reads the log page.
            "aer 2",
            "step OFF nvmev-host off",
            "aerstat A2 2",
            "step CZL1 nvme zns changed-zone-list $Z",  # lists zone 2; clears the event
            "aerstat A2B 2",
            "step OFF5 nvmev-host off5",                 # a new change
            "aerstat A2C 2",
            "step CZL2 nvme zns changed-zone-list $Z",
            # Notices disabled: changes are listed, no event is sent.
            "step OFFN nvme set-feature /dev/nvme0 -f 0x0b -v $(( 0x$aec ))",
            "aer 3",
            "step BACK5 nvmev-host back5",
            "aerstat A3 3",
            "step CZL3 nvme zns changed-zone-list $Z",
        )
        r = zns_guest(script,
                      *set_state_hook("ro", 2, "read-only"),
                      *set_state_hook("off", 2, "offline"),
                      *set_state_hook("off5", 5, "offline"),
                      *set_state_hook("back5", 5, "empty"))
        self.assertGuestOk(r)
        self.assertEqual(json.loads(self.ok(r, "ID"))["oaes"], 1 << 27)
        for s in ("ON", "RO", "OFF", "OFF5", "OFFN", "BACK5"):
            self.ok(r, s)
        self.assertIn(ZONE_AEN, r.section("A1"))
        self.assertEqual(r.section("A2").strip(), "pending", "masked until the log is read")
        self.assertEqual(_changed(self.ok(r, "CZL1")), [zs(2)])
        self.assertEqual(_changed(self.ok(r, "CZL2")), [zs(5)])
        self.assertEqual(_changed(self.ok(r, "CZL3")), [zs(5)])
        # Reading the log page cleared the event and reported zone 2's
        # second change with it: nothing is left to notify until zone 5
        # changes (QEMU's nvme drops events of a type when its log is read).
        self.assertEqual(r.section("A2B").strip(), "pending",
                         "an event already covered by the log read was sent after it")
        self.assertIn(ZONE_AEN, r.section("A2C"))
        self.assertEqual(r.section("A3").strip(), "pending", "notices disabled")

    # ---- 9. descriptor extensions and the extended report --------------------

    def test_zone_descriptor_extension_and_extended_report(self):
        ext = bytes(range(0x30, 0x70))  # 64 printable bytes, no quote
        script = job(
            "printf '%s' " + shlex.quote(ext.decode()) + " > /tmp/ext",
            "mk /tmp/k4 4096",
            "step IDNS nvme zns id-ns $Z -o json",
            "step SET nvme zns set-zone-desc $Z -s $(zs 1) -d /tmp/ext",
            "step W2 wr 2 0 /tmp/k4",
            "step SET2 nvme zns set-zone-desc $Z -s $(zs 2) -d /tmp/ext",  # not empty
            "step E1 nvme zns report-zones $Z -s $(zs 1) -d 2 -e",
            "rz R1",
            "step W1 wr 1 0 /tmp/k4",  # closed with an extension -> implicitly open
            "step E2 nvme zns report-zones $Z -s $(zs 1) -d 1 -e",
            "step RST nvme zns reset-zone $Z -s $(zs 1)",
            "step E3 nvme zns report-zones $Z -s $(zs 1) -d 1 -e -o json",
        )
        r = zns_guest(script, dev=DEV + ",zone-extension-size=64")
        self.assertGuestOk(r)
        self.assertEqual(json.loads(self.ok(r, "IDNS"))["lbafe"][0]["zdes"], 1)  # 64 B units
        self.assertEqual(self.ok(r, "SET").strip(),
                         f"set-zone-desc: Success, zone:{zs(1):x} nsid:1")
        self.ok(r, "W2")
        self.fails(r, "SET2", INVALID_TRANSITION)
        # A zone given an extension is closed (and active) with ZDEV set.
        self.assertZones(r, "R1", {1: ("CLOSED", 0), 2: ("IMP_OPENED", 8)})
        e1 = self.ok(r, "E1")
        descs = _descs(e1)
        self.assertEqual([(d["slba"], d["state"], d["attrs"]) for d in descs],
                         [(zs(1), 0x40, 0x80), (zs(2), 0x20, 0)])
        self.assertEqual(_ext_bytes(e1), [ext])  # zone 2 has none to show
        e2 = self.ok(r, "E2")
        self.assertEqual([(d["state"], d["wp"], d["attrs"]) for d in _descs(e2)],
                         [(0x20, zs(1) + 8, 0x80)])
        self.assertEqual(_ext_bytes(e2), [ext])
        self.ok(r, "RST")
        e3 = json.loads(self.ok(r, "E3"))["zone_list"]
        self.assertEqual([(d["slba"], d["state"], d["ext_data"]) for d in e3],
                         [(zs(1), "EMPTY", "Not valid")])

    # ---- 10. zone random write area ------------------------------------------

    def test_zone_random_write_area(self):
        # ZRWA of 64 KiB (128 LBAs), flush granularity 16 KiB (32 LBAs), two
        # ZRWA resources.
        script = job(
            "mk /tmp/a 4096; mk /tmp/b 4096; mk /tmp/c 4096; mk /tmp/k4 4096",
            "step IDNS nvme zns id-ns $Z -o json",
            "step O1 nvme zns open-zone $Z -s $(zs 1) -r",
            "rzn N1",
            # Inside the ZRWA writes go anywhere from the write pointer on,
            # and may overwrite; the write pointer stays.
            "step W16 wr 1 16 /tmp/a",
            "step W0 wr 1 0 /tmp/b",
            "step W0B wr 1 0 /tmp/c",
            "rz R1",
            # Explicit flush of the first granularity unit (LBAs 0..31).
            "step FL nvme zns zrwa-flush-zone $Z -l $(( $(zs 1) + 31 ))",
            "rz R2",
            "step WLOW wr 1 0 /tmp/k4",           # below the write pointer now
            # What was last written at each place: c at 0, a at 16.
            "step RB0 rd 1 0 4096 /tmp/r0", "step CMP0 cmp /tmp/r0 /tmp/c",
            "step RB16 rd 1 16 4096 /tmp/r16", "step CMP16 cmp /tmp/r16 /tmp/a",
            # A write into the implicit flush region (ZRWA size beyond the
            # write pointer) flushes the fewest whole units that make it fit:
            # it ends at 32 + 128 + 8 = 168, so the write pointer moves to 64.
            "step WIMP wr 1 160 /tmp/k4",
            "rz R3",
            "step WFAR wr 1 $(( 64 + 256 )) /tmp/k4",  # beyond twice the ZRWA size
            "step APP nvme zns zone-append $Z -s $(zs 1) -z 4096 -d /tmp/k4",
            "step O2 nvme zns open-zone $Z -s $(zs 2) -r",
            "step O3 nvme zns open-zone $Z -s $(zs 3) -r",  # no ZRWA left
            "step F1 nvme zns finish-zone $Z -s $(zs 1)",   # releases its ZRWA
            "step O3B nvme zns open-zone $Z -s $(zs 3) -r",
            "rzn N2", "rz R4",
        )
        r = zns_guest(script, dev=DEV + ",zrwa-size=64K,zrwa-flush-granularity=16K,zrwa-zones=2")
        self.assertGuestOk(r)
        idns = json.loads(self.ok(r, "IDNS"))
        self.assertEqual((idns["numzrwa"], idns["zrwafg"], idns["zrwasz"], idns["zrwacap"]),
                         (1, 32, 128, 1))
        self.assertEqual(idns["ozcs"], 3)  # RAZB | ZRWASUP
        self.ok(r, "O1")
        self.assertEqual([(d["slba"], d["state"], d["attrs"]) for d in _descs(self.ok(r, "N1"))
                          if d["slba"] == zs(1)], [(zs(1), 0x30, 0x08)])  # ZRWAV
        for s in ("W16", "W0", "W0B"):
            self.ok(r, s)
        self.assertZones(r, "R1", {1: ("EXP_OPENED", 0)})
        self.ok(r, "FL")
        self.assertZones(r, "R2", {1: ("EXP_OPENED", 32)})
        self.fails(r, "WLOW", "Zone Invalid Write")
        for s in ("RB0", "CMP0", "RB16", "CMP16"):
            self.ok(r, s)
        self.ok(r, "WIMP")
        self.assertZones(r, "R3", {1: ("EXP_OPENED", 64)})
        self.fails(r, "WFAR", "Zone Invalid Write")
        self.fails(r, "APP", "Invalid Zone Operation Request")
        self.ok(r, "O2")
        self.fails(r, "O3", "ZRWA Resources Unavailable")
        self.ok(r, "F1")
        self.ok(r, "O3B")
        attrs = {d["slba"]: (d["state"], d["attrs"]) for d in _descs(self.ok(r, "N2"))}
        self.assertEqual([attrs[zs(z)] for z in (1, 2, 3)],
                         [(0xe0, 0), (0x30, 0x08), (0x30, 0x08)])
        self.assertZones(r, "R4", {1: ("FULL", None), 2: ("EXP_OPENED", 0),
                                   3: ("EXP_OPENED", 0)})


DESC_RE = re.compile(r"SLBA: (0x[0-9a-f]+|0)\s+WP: (0x[0-9a-f]+|0)\s+Cap: (0x[0-9a-f]+|0)\s+"
                     r"State: (0x[0-9a-f]+|0)\s+Type: (0x[0-9a-f]+|0)\s+Attrs: (0x[0-9a-f]+|0)")
EXT_RE = re.compile(r"^([0-9a-f]{4}): ((?:[0-9a-f]{2} ){16})", re.M)


def _descs(text):
    """Zone descriptors from `nvme zns report-zones` normal output."""
    return [dict(slba=int(m[0], 16), wp=int(m[1], 16), cap=int(m[2], 16), state=int(m[3], 16),
                 type=int(m[4], 16), attrs=int(m[5], 16)) for m in DESC_RE.findall(text)]


def _ext_bytes(text):
    """Descriptor extensions from `report-zones -e` normal output, one bytes
    object per 'Extension Data' block."""
    out = []
    for block in text.split("Extension Data")[1:]:
        rows = EXT_RE.findall(block.split("SLBA:")[0])
        out.append(bytes.fromhex("".join(r[1] for r in rows)))
    return out


def _changed(text):
    """Zone IDs (ZSLBAs) from `nvme zns changed-zone-list` normal output."""
    m = re.search(r"nrzid:\s+(\d+)", text)
    if not m:
        raise AssertionError(f"no nrzid in {text!r}")
    ids = [int(x) for x in re.findall(r"zid \d+: (\d+)", text)]
    if len(ids) != int(m.group(1)):
        raise AssertionError(f"nrzid {m.group(1)} but {len(ids)} ids in {text!r}")
    return ids


if __name__ == "__main__":
    unittest.main()
