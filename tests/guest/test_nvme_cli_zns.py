"""The nvme-cli zns plugin sweep: every `nvme zns` subcommand of the guest's
nvme-cli 2.3 against `-device nvmev,ssd=zns`, checked against the values the
device was configured with and the state transitions of the NVMe Zoned
Namespace Command Set 1.1 (section 2.1.1, figure 7), exactly: identify
structures byte for byte, every report filter and report variant, single and
Select All zone management with the zone states and write pointers read back
after each step, the NVMe status nvme-cli prints for each invalid transition,
Zone Append LBAs and data, the Changed Zone List after QMP fault injection,
and descriptor extensions read back through the extended report.

Every guest runs on one configuration (SWEEP_DEV): 16 zones of 16 MiB
(0x8000 LBAs of 512 B) of which 8 MiB (0x4000 LBAs) are writable, 4 open
and 6 active resources, 128-byte descriptor extensions and a 64 KiB Zone
Append limit. Zone z starts at LBA z * 0x8000. test_zns.py has the deeper
scenarios (implicit close, ZRWA, persistence, the asynchronous event)."""

import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_zns as tz  # noqa: E402  (helpers only: its TestCase is not imported)

NZONES = 16
ZONE_LBAS = 0x8000
ZCAP = 0x4000                 # zone-capacity=8M
EXT_BYTES = 128               # zone-extension-size=128: ZDES = 2
SWEEP_DEV = ("zone-size=16M,zone-capacity=8M,max-open-zones=4,max-active-zones=6,"
             "zone-extension-size=128,zone-append-size-limit=64K")

INVALID_TRANSITION = tz.INVALID_TRANSITION
INVALID_FIELD = tz.INVALID_FIELD
TOO_MANY_OPEN = tz.TOO_MANY_OPEN
ZONE_FULL = tz.ZONE_FULL
ZONE_READ_ONLY = tz.ZONE_READ_ONLY
ZONE_OFFLINE = tz.ZONE_OFFLINE
# libnvme 1.3 spells it "Zoned"; SCT 1h, SC B8h.
ZONE_BOUNDARY = "Zoned Boundary Error"
# The status field nvme-cli prints after each: DNR (4000h) | SCT << 8 | SC.
STATUS_FIELD = {
    INVALID_FIELD: "0x4002",
    "LBA Out of Range": "0x4080",
    ZONE_BOUNDARY: "0x41b8",
    ZONE_FULL: "0x41b9",
    ZONE_READ_ONLY: "0x41ba",
    ZONE_OFFLINE: "0x41bb",
    TOO_MANY_OPEN: "0x41be",
    INVALID_TRANSITION: "0x41bf",
}

# 128 printable bytes other than quotes and backslash: nvme-cli's JSON shows
# extension data as text, '.' for anything else.
EXT = bytes(0x28 + (i * 7) % 0x50 for i in range(EXT_BYTES)).replace(b"\\", b"+")
EXT2 = bytes(0x41 + i % 26 for i in range(EXT_BYTES))

# Prints a binary nvme-cli output (-o binary) as one line of hex.
HEXDUMP = r"""
hx() { n=$1; shift; echo "==$n=="; "$@" > /tmp/hx.bin 2> /tmp/hx.err; rc=$?
       od -A n -t x1 -v /tmp/hx.bin | tr -d ' \n'; echo; cat /tmp/hx.err; echo "rc=$rc"
       echo "==END $n=="; }
# The guest kernel's messages at error level or worse (all subsystems).
kerr() { step "$1" sh -c 'dmesg -r | grep -E "^<[0-3]>"; true'; }
"""


def zs(z):
    return z * ZONE_LBAS


def octal(data):
    """A printf format writing `data` exactly (every byte as an octal escape)."""
    return "".join(f"\\{b:03o}" for b in data)


def sweep_job(*lines):
    return tz.job(HEXDUMP, *lines)


def sweep_guest(script, *args, **kw):
    return tz.zns_guest(script, *args, dev=SWEEP_DEV, **kw)


def zone_report(buf, ext=0):
    """(Number of Zones, [descriptor dicts]) of a Report Zones buffer, as
    `report-zones -o binary` prints it: after a text line "nr_zones: N"."""
    head, sep, buf = buf.partition(b"\n")
    assert sep and head.startswith(b"nr_zones: "), head
    nr = int.from_bytes(buf[0:8], "little")
    out = []
    off = 64
    while off + 64 <= len(buf):
        d = buf[off:off + 64]
        out.append(dict(zt=d[0], zs=d[1] >> 4, za=d[2], zai=d[3],
                        zcap=int.from_bytes(d[8:16], "little"),
                        zslba=int.from_bytes(d[16:24], "little"),
                        wp=int.from_bytes(d[24:32], "little"),
                        rsvd=bytes(d[4:8]) + bytes(d[32:64]),
                        ext=bytes(buf[off + 64:off + 64 + ext])))
        off += 64 + ext
    return nr, out


class NvmeCliZnsSweep(unittest.TestCase):
    maxDiff = None

    # The step helpers of test_zns.ZnsGuestTest (they need only a TestCase).
    assertGuestOk = tz.ZnsGuestTest.assertGuestOk
    step = tz.ZnsGuestTest.step
    ok = tz.ZnsGuestTest.ok

    def fails(self, r, name, status):
        """The step failed, and nvme-cli printed `status` with the status
        field it belongs to (DNR set, SCT and SC as ZNS 1.1 figure 31 and
        NVMe 2.0 figure 100 give them)."""
        out = tz.ZnsGuestTest.fails(self, r, name, status)
        m = re.search(r"NVMe status: " + re.escape(status) + r".*\((0x[0-9a-f]+)\)$", out, re.M)
        self.assertIsNotNone(m, f"step {name}: no status field in {out!r}")
        self.assertEqual(m.group(1), STATUS_FIELD[status], f"step {name}: {out}")
        return out
    zones = tz.ZnsGuestTest.zones

    def assertZones(self, r, name, expect):
        """Every zone of an `rz NAME` step: expect {zone: (STATE, wp offset)};
        zones not named are EMPTY at their start. nvmev reports a full
        zone's write pointer at ZSLBA + ZCAP and keeps a read-only or
        offline zone's where it was (the specification leaves them
        undefined), so every write pointer is compared."""
        zl = tz.ZnsGuestTest.zones(self, r, name)
        self.assertEqual(len(zl), NZONES, name)
        got = [(z, d["slba"], d["cap"], d["type"], d["state"], d["wp"] - d["slba"])
               for z, d in enumerate(zl)]
        want = [(z, zs(z), ZCAP, "SEQWRITE_REQ") + expect.get(z, ("EMPTY", 0))
                for z in range(NZONES)]
        self.assertEqual(got, want, f"zone states and write pointers at {name}")

    def hexbytes(self, r, name):
        text = r.section(name).rstrip("\n").split("\n")
        self.assertEqual(text[-1], "rc=0", f"{name}: {text}")
        return bytes.fromhex(text[0])

    def assertKernelLogClean(self, r, name="KERR"):
        self.assertEqual(self.ok(r, name).strip(), "",
                         "the guest kernel logged errors")

    # ---- identification -----------------------------------------------------

    def test_id_ctrl_id_ns_and_list(self):
        script = sweep_job(
            "step CJ nvme zns id-ctrl $Z -o json",
            "step CN nvme zns id-ctrl $Z",
            "hx CB nvme zns id-ctrl $Z -o binary",
            "step NJ nvme zns id-ns $Z -o json",
            "step NH nvme zns id-ns $Z -H",
            "hx NB nvme zns id-ns $Z -o binary",
            "step NVM nvme id-ns $Z -o json",
            "step LIST nvme zns list",
            "step SYSFS sh -c 'for f in zoned nr_zones chunk_sectors max_open_zones "
            "max_active_zones zone_append_max_bytes; do "
            "echo $f=$(cat /sys/block/nvme0n1/queue/$f); done'",
            "kerr KERR",
        )
        r = sweep_guest(script)
        self.assertGuestOk(r)
        # ZASL: 64 KiB = 2^4 x 4 KiB (the minimum memory page size).
        self.assertEqual(json.loads(self.ok(r, "CJ")), {"zasl": 4})
        self.assertIn("zasl    : 4", self.ok(r, "CN"))
        cb = self.hexbytes(r, "CB")
        self.assertEqual(cb, bytes([4]) + bytes(4095), "Identify CNS 06h CSI 2: only ZASL")

        # Identify CNS 05h CSI 2 (ZNS 1.1 figure 46), every byte.
        want = bytearray(4096)
        want[0:2] = (0).to_bytes(2, "little")            # ZOC: fixed capacity, no excursions
        want[2:4] = (1).to_bytes(2, "little")            # OZCS: RAZB, no ZRWA
        want[4:8] = (6 - 1).to_bytes(4, "little")        # MAR, 0's based
        want[8:12] = (4 - 1).to_bytes(4, "little")       # MOR, 0's based
        # RRL, FRL, RRL1-3, FRL1-3: 0 (not reported); NUMZRWA, ZRWAFG,
        # ZRWASZ, ZRWACAP: 0 (no ZRWA)
        for i, zsze in enumerate((ZONE_LBAS, ZONE_LBAS // 8)):  # 512 B and 4 KiB formats
            e = 2816 + 16 * i
            want[e:e + 8] = zsze.to_bytes(8, "little")
            want[e + 8] = EXT_BYTES // 64                  # ZDES in 64-byte units
        self.assertEqual(self.hexbytes(r, "NB").hex(), bytes(want).hex())
        nj = json.loads(self.ok(r, "NJ"))
        self.assertEqual(nj, {
            "zoc": 0, "ozcs": 1, "mar": 5, "mor": 3,
            "rrl": 0, "frl": 0, "rrl1": 0, "rrl2": 0, "rrl3": 0,
            "frl1": 0, "frl2": 0, "frl3": 0,
            "numzrwa": 0, "zrwafg": 0, "zrwasz": 0, "zrwacap": 0,
            "lbafe": [{"zsze": ZONE_LBAS, "zdes": 2}, {"zsze": ZONE_LBAS // 8, "zdes": 2}]})
        nh = self.ok(r, "NH")
        for line in ("Zone Active Excursions: No", "Variable Zone Capacity: No",
                     "Read Across Zone Boundaries: Yes", "Zone Random Write Area: No",
                     "mar     : 6\tActive Resources", "mor     : 4\tOpen Resources"):
            self.assertIn(line, nh)
        nvm = json.loads(self.ok(r, "NVM"))
        self.assertEqual((nvm["nsze"], nvm["nlbaf"], nvm["flbas"] & 0xf),
                         (NZONES * ZONE_LBAS, 1, 0))
        self.assertRegex(self.ok(r, "LIST"), r"(?m)^/dev/nvme0n1 .*WDC ZN540 \(nvmev\)")
        sysfs = dict(line.split("=", 1) for line in self.ok(r, "SYSFS").splitlines())
        self.assertEqual(sysfs, {"zoned": "host-managed", "nr_zones": "16",
                                 "chunk_sectors": str(ZONE_LBAS), "max_open_zones": "4",
                                 "max_active_zones": "6",
                                 "zone_append_max_bytes": str(64 * 1024)})
        self.assertKernelLogClean(r)

    # ---- reports --------------------------------------------------------------

    def test_report_zones_filters_partial_extended_json(self):
        # One zone in each state: 0 full by writes, 1 implicitly open, 2
        # explicitly open, 3 closed, 4 closed by Set Zone Descriptor
        # Extension, 5 read only (QMP), 6 offline (QMP), 7 full by finish.
        script = sweep_job(
            "mk /tmp/k8 8192; mk /tmp/k4 4096",
            "printf '" + octal(EXT) + "' > /tmp/ext",
            "step W0 dd if=/dev/urandom of=$Z bs=1M count=8 oflag=direct",
            "step W1 wr 1 0 /tmp/k8",
            "step O2 nvme zns open-zone $Z -s $(zs 2)",
            "step W3 wr 3 0 /tmp/k4", "step C3 nvme zns close-zone $Z -s $(zs 3)",
            "step D4 nvme zns set-zone-desc $Z -s $(zs 4) -d /tmp/ext",
            "step W5 wr 5 0 /tmp/k8",
            "step RO5 nvmev-host ro5", "waitfor 'zone 5 read-only' 10 zone_is 5 ro",
            "step OFF6 nvmev-host off6", "waitfor 'zone 6 offline' 10 zone_is 6 of",
            "step F7 nvme zns finish-zone $Z -s $(zs 7)",
            "rz ALL",
            "rzn NORMAL",
            "step VERB nvme zns report-zones $Z -s $(zs 4) -d 1 -v",
            *[f"step S{s} nvme zns report-zones $Z -S {s} -o json" for s in range(0, 8)],
            "step S8 nvme zns report-zones $Z -S 8",
            # A start LBA inside zone 3: the report starts at zone 3.
            "step MID nvme zns report-zones $Z -s $(( $(zs 3) + 5 )) -d 2 -o json",
            # Partial Report: Number of Zones counts the descriptors returned,
            # otherwise every zone from ZSLBA on that matches.
            "hx PART nvme zns report-zones $Z -s $(zs 2) -d 3 -p -o binary",
            "hx NOPART nvme zns report-zones $Z -s $(zs 2) -d 3 -o binary",
            "hx PARTE nvme zns report-zones $Z -S 1 -d 2 -p -o binary",
            "hx NOPARTE nvme zns report-zones $Z -S 1 -d 2 -o binary",
            # Extended reports: descriptor + 128-byte extension each.
            "step EXT nvme zns report-zones $Z -s $(zs 3) -d 3 -e",
            "step EXTJ nvme zns report-zones $Z -s $(zs 3) -d 3 -e -o json",
            "hx EXTB nvme zns report-zones $Z -s $(zs 3) -d 2 -e -p -o binary",
            "step EXTS nvme zns report-zones $Z -S 4 -e -o json",
            # Zone Management Receive by hand: actions 0 and 1 take, 2 is
            # reserved; reporting option 8 is reserved.
            "step MR0 nvme zns zone-mgmt-recv $Z -z 0 -S 0 -l 4096",
            "step MR1 nvme zns zone-mgmt-recv $Z -z 1 -S 4 -l 4096",
            "step MR2 nvme zns zone-mgmt-recv $Z -z 2 -l 4096",
            "step MR8 nvme zns zone-mgmt-recv $Z -z 0 -S 8 -l 4096",
            # A second extension replaces nothing: zone 4 is not empty.
            "step D4B nvme zns set-zone-desc $Z -s $(zs 4) -d /tmp/ext",
            # the extension survives writes and goes with a reset
            "step W4 wr 4 0 /tmp/k4",
            "step EXT4 nvme zns report-zones $Z -s $(zs 4) -d 1 -e -o json",
            "step R4 nvme zns reset-zone $Z -s $(zs 4)",
            "step EXT4R nvme zns report-zones $Z -s $(zs 4) -d 1 -e -o json",
            "kerr KERR",
        )
        r = sweep_guest(script, *tz.set_state_hook("ro5", 5, "read-only"),
                        *tz.set_state_hook("off6", 6, "offline"))
        self.assertGuestOk(r)
        for s in ("W0", "W1", "O2", "W3", "C3", "RO5", "OFF6", "F7", "W4", "R4"):
            self.ok(r, s)
        self.assertEqual(self.ok(r, "D4").strip(), f"set-zone-desc: Success, zone:{zs(4):x} nsid:1")
        expect = {0: ("FULL", ZCAP), 1: ("IMP_OPENED", 16), 2: ("EXP_OPENED", 0),
                  3: ("CLOSED", 8), 4: ("CLOSED", 0), 5: ("READONLY", 16),
                  6: ("OFFLINE", 0), 7: ("FULL", ZCAP)}
        self.assertZones(r, "ALL", expect)
        # Normal output: raw state (ZS << 4), type 2, and ZDEV (80h) on zone 4.
        codes = {"EMPTY": 0x1, "IMP_OPENED": 0x2, "EXP_OPENED": 0x3, "CLOSED": 0x4,
                 "READONLY": 0xd, "FULL": 0xe, "OFFLINE": 0xf}
        normal = self.ok(r, "NORMAL")
        self.assertTrue(normal.startswith("nr_zones: 16\n"), normal)
        self.assertEqual(
            [(d["slba"], d["wp"], d["cap"], d["state"], d["type"], d["attrs"])
             for d in tz._descs(normal)],
            [(zs(z), zs(z) + expect.get(z, ("EMPTY", 0))[1], ZCAP,
              codes[expect.get(z, ("EMPTY", 0))[0]] << 4, 2, 0x80 if z == 4 else 0)
             for z in range(NZONES)])
        verb = self.ok(r, "VERB")
        self.assertRegex(verb, r"SLBA: 0x20000\s+WP: 0x20000\s+Cap: 0x4000\s+State: CLOSED\s+"
                               r"Type: SEQWRITE_REQ")
        self.assertIn("Attrs: Zone Descriptor Extension is Vaild", verb)  # sic

        # Every reporting option (ZNS 1.1 figure 40): the matching zones, in
        # zone order, and Number of Zones = how many match.
        for s, state in enumerate((None, "EMPTY", "IMP_OPENED", "EXP_OPENED", "CLOSED",
                                   "FULL", "READONLY", "OFFLINE")):
            want = [z for z in range(NZONES)
                    if state is None or expect.get(z, ("EMPTY",))[0] == state]
            rep = json.loads(self.ok(r, f"S{s}"))
            self.assertEqual(rep["nr_zones"], len(want), f"-S {s}")
            self.assertEqual([(d["slba"], d["state"]) for d in rep["zone_list"]],
                             [(zs(z), expect.get(z, ("EMPTY",))[0]) for z in want], f"-S {s}")
        self.fails(r, "S8", INVALID_FIELD)
        mid = json.loads(self.ok(r, "MID"))
        self.assertEqual([d["slba"] for d in mid["zone_list"]], [zs(3), zs(4)])

        nr, descs = zone_report(self.hexbytes(r, "PART"))
        self.assertEqual(nr, 3)
        self.assertEqual([(d["zslba"], d["zs"], d["zt"], d["za"], d["zcap"], d["wp"])
                          for d in descs],
                         [(zs(2), 0x3, 2, 0, ZCAP, zs(2)), (zs(3), 0x4, 2, 0, ZCAP, zs(3) + 8),
                          (zs(4), 0x4, 2, 0x80, ZCAP, zs(4))])
        self.assertTrue(all(d["rsvd"] == bytes(36) and d["zai"] == 0 for d in descs))
        nr, descs = zone_report(self.hexbytes(r, "NOPART"))
        self.assertEqual((nr, [d["zslba"] for d in descs]), (NZONES - 2, [zs(2), zs(3), zs(4)]))
        nr, descs = zone_report(self.hexbytes(r, "PARTE"))
        self.assertEqual((nr, [(d["zslba"], d["zs"]) for d in descs]),
                         (2, [(zs(8), 1), (zs(9), 1)]))
        nr, descs = zone_report(self.hexbytes(r, "NOPARTE"))
        self.assertEqual((nr, [d["zslba"] for d in descs]), (8, [zs(8), zs(9)]))

        # Extended report, normal output: the extension of zone 4 only.
        ext = self.ok(r, "EXT")
        self.assertEqual([(d["slba"], d["attrs"]) for d in tz._descs(ext)],
                         [(zs(3), 0), (zs(4), 0x80), (zs(5), 0)])
        self.assertEqual(tz._ext_bytes(ext), [EXT])
        extj = json.loads(self.ok(r, "EXTJ"))["zone_list"]
        lines = [EXT[i:i + 16].decode() for i in range(0, EXT_BYTES, 16)]
        self.assertEqual([(d["slba"], d["state"], d["ext_data"]) for d in extj],
                         [(zs(3), "CLOSED", "Not valid"), (zs(4), "CLOSED", lines),
                          (zs(5), "READONLY", "Not valid")])
        nr, descs = zone_report(self.hexbytes(r, "EXTB"), ext=EXT_BYTES)
        self.assertEqual(nr, 2)
        self.assertEqual([(d["zslba"], d["za"], d["ext"]) for d in descs],
                         [(zs(3), 0, bytes(EXT_BYTES)), (zs(4), 0x80, EXT)])
        exts = json.loads(self.ok(r, "EXTS"))
        self.assertEqual((exts["nr_zones"], [d["slba"] for d in exts["zone_list"]]),
                         (2, [zs(3), zs(4)]))

        for s, action in (("MR0", 0), ("MR1", 1)):
            self.assertEqual(self.ok(r, s).strip(),
                             f"zone-mgmt-recv: Success, action:{action} zone:0 nsid:1")
        self.fails(r, "MR2", INVALID_FIELD)
        self.fails(r, "MR8", INVALID_FIELD)

        self.fails(r, "D4B", INVALID_TRANSITION)
        e4 = json.loads(self.ok(r, "EXT4"))["zone_list"]
        self.assertEqual([(d["state"], d["wp"], d["ext_data"]) for d in e4],
                         [("IMP_OPENED", zs(4) + 8, lines)])
        e4r = json.loads(self.ok(r, "EXT4R"))["zone_list"]
        self.assertEqual([(d["state"], d["wp"], d["ext_data"]) for d in e4r],
                         [("EMPTY", zs(4), "Not valid")])
        self.assertKernelLogClean(r)

    # ---- zone management ------------------------------------------------------

    def test_zone_management_single_select_all_and_changed_zone_list(self):
        def send(action, zone):
            return f"nvme zns {action}-zone $Z -s $(zs {zone})"

        script = sweep_job(
            "mk /tmp/k4 4096",
            # -- one zone through every host transition (ZNS 1.1 figure 7)
            f"step O0 {send('open', 0)}", "rz Q1",
            "step W0 wr 0 0 /tmp/k4", "rz Q2",
            f"step C0 {send('close', 0)}", "rz Q3",
            f"step C0B {send('close', 0)}",             # closed -> closed: no change
            "step W0B wr 0 8 /tmp/k4", "rz Q4",           # closed -> implicitly open
            f"step O0B {send('open', 0)}", "rz Q5",      # implicitly -> explicitly open
            f"step F0 {send('finish', 0)}", "rz Q6",
            f"step F0B {send('finish', 0)}",             # full -> full: no change
            f"step O0F {send('open', 0)}",
            f"step C0F {send('close', 0)}",
            f"step X0F {send('offline', 0)}",
            "step W0F wr 0 16 /tmp/k4",
            f"step R0 {send('reset', 0)}", "rz Q7",
            f"step R0B {send('reset', 0)}",              # empty -> empty: no change
            f"step C0E {send('close', 0)}",
            f"step X0E {send('offline', 0)}",
            f"step F0E {send('finish', 0)}", "rz Q8",    # empty -> full
            f"step R0C {send('reset', 0)}",
            "step MID nvme zns open-zone $Z -s $(( $(zs 1) + 8 ))",
            "step OOR nvme zns open-zone $Z -s $(( $(zs 16) ))",
            # zone-mgmt-send by hand: 3h Open; 7h is reserved
            "step MS3 nvme zns zone-mgmt-send $Z -s $(zs 1) -z 3",
            "step MS7 nvme zns zone-mgmt-send $Z -s $(zs 1) -z 7",
            f"step R1 {send('reset', 1)}",
            # -- faults from the host side: zone 2 read only with data, zone 3 offline
            "step W2 wr 2 0 /tmp/k4",
            "step CZL0 nvme zns changed-zone-list $Z",
            "step RO2 nvmev-host ro2", "waitfor 'zone 2 read-only' 10 zone_is 2 ro",
            "step OFF3 nvmev-host off3", "waitfor 'zone 3 offline' 10 zone_is 3 of",
            "rz Q9",
            *[f"step {a[0].upper()}2RO {send(a, 2)}" for a in ("open", "close", "finish",
                                                                  "reset")],
            "step W2RO wr 2 8 /tmp/k4",
            "step A2RO nvme zns zone-append $Z -s $(zs 2) -z 4096 -d /tmp/k4",
            "step RD2 rd 2 0 4096 /tmp/r2", "step CMP2 cmp /tmp/r2 /tmp/k4",
            *[f"step {a.upper()}3 {send(a, 3)}" for a in ("open", "close", "finish", "reset",
                                                         "offline")],
            "step W3OFF wr 3 0 /tmp/k4",
            "step A3OFF nvme zns zone-append $Z -s $(zs 3) -z 4096 -d /tmp/k4",
            "step RD3 rd 3 0 4096 /tmp/r3",
            # The list names both, in the order they changed; reading it
            # with RAE cleared empties it; --rae keeps it.
            "step CZL1 nvme zns changed-zone-list $Z --rae",
            "step CZL2 nvme zns changed-zone-list $Z",
            "step CZL3 nvme zns changed-zone-list $Z",
            # the host's own Offline of the read-only zone
            f"step X2 {send('offline', 2)}", "rz Q10",
            "step CZL4 nvme zns changed-zone-list $Z",  # host changes are not listed
            # -- Select All: 4 implicitly open, 5 explicitly open, 6 closed,
            # 7 full, 8 implicitly open, 9 read only, 10 closed; 2 and 3 offline
            "step W4 wr 4 0 /tmp/k4",
            "step O5 nvme zns open-zone $Z -s $(zs 5)", "step W5 wr 5 0 /tmp/k4",
            "step W6 wr 6 0 /tmp/k4", "step C6 nvme zns close-zone $Z -s $(zs 6)",
            "step F7 nvme zns finish-zone $Z -s $(zs 7)",
            "step W8 wr 8 0 /tmp/k4",
            "step W10 wr 10 0 /tmp/k4", "step C10 nvme zns close-zone $Z -s $(zs 10)",
            "step RO9 nvmev-host ro9", "waitfor 'zone 9 read-only' 10 zone_is 9 ro",
            "rz Q11",
            "step CA nvme zns close-zone $Z -a", "rz Q12",
            # five closed zones, four open resources: nothing opens
            "step OA nvme zns open-zone $Z -a", "rz Q13",
            f"step R10 {send('reset', 10)}",
            "step OAB nvme zns open-zone $Z -a", "rz Q14",
            "step FA nvme zns finish-zone $Z -a", "rz Q15",
            "step XA nvme zns offline-zone $Z -a", "rz Q16",
            "step RA nvme zns reset-zone $Z -a", "rz Q17",
            "step XAB nvme zns offline-zone $Z -a",     # no read-only zone: nothing to do
            "step CAB nvme zns close-zone $Z -a",
            "rz Q18",
            "step CZL5 nvme zns changed-zone-list $Z",
            "kerr KERR",
        )
        r = sweep_guest(script, *tz.set_state_hook("ro2", 2, "read-only"),
                        *tz.set_state_hook("off3", 3, "offline"),
                        *tz.set_state_hook("ro9", 9, "read-only"))
        self.assertGuestOk(r)

        def msg(action, code, zone, all_=0):
            return f"zns-{action}-zone: Success, action:{code} zone:{zs(zone):x} all:{all_} " \
                   f"zcapc:0 nsid:1"

        self.assertEqual(self.ok(r, "O0").strip(), "zns-open-zone: Success zone slba:0 nsid:1")
        self.assertZones(r, "Q1", {0: ("EXP_OPENED", 0)})
        self.ok(r, "W0")
        self.assertZones(r, "Q2", {0: ("EXP_OPENED", 8)})
        self.assertEqual(self.ok(r, "C0").strip(), msg("close", 1, 0))
        self.assertZones(r, "Q3", {0: ("CLOSED", 8)})
        self.ok(r, "C0B")
        self.ok(r, "W0B")
        self.assertZones(r, "Q4", {0: ("IMP_OPENED", 16)})
        self.ok(r, "O0B")
        self.assertZones(r, "Q5", {0: ("EXP_OPENED", 16)})
        self.assertEqual(self.ok(r, "F0").strip(), msg("finish", 2, 0))
        self.assertZones(r, "Q6", {0: ("FULL", ZCAP)})
        self.ok(r, "F0B")
        for s in ("O0F", "C0F", "X0F"):
            self.fails(r, s, INVALID_TRANSITION)
        self.fails(r, "W0F", ZONE_FULL)
        self.assertEqual(self.ok(r, "R0").strip(), msg("reset", 4, 0))
        self.assertZones(r, "Q7", {})
        self.ok(r, "R0B")
        self.fails(r, "C0E", INVALID_TRANSITION)
        self.fails(r, "X0E", INVALID_TRANSITION)
        self.ok(r, "F0E")
        self.assertZones(r, "Q8", {0: ("FULL", ZCAP)})
        self.ok(r, "R0C")
        self.fails(r, "MID", INVALID_FIELD)
        self.fails(r, "OOR", "LBA Out of Range")
        self.assertEqual(self.ok(r, "MS3").strip(),
                         f"zone-mgmt-send: Success, action:3 zone:{zs(1):x} all:0 nsid:1")
        self.fails(r, "MS7", INVALID_FIELD)
        self.ok(r, "R1")

        self.ok(r, "W2")
        self.assertEqual(tz._changed(self.ok(r, "CZL0")), [])
        self.assertZones(r, "Q9", {2: ("READONLY", 8), 3: ("OFFLINE", 0)})
        # Read Only: only Offline leaves it (figure 7); writes fail, reads work.
        for s in ("O2RO", "C2RO", "F2RO", "R2RO"):
            self.fails(r, s, INVALID_TRANSITION)
        self.fails(r, "W2RO", ZONE_READ_ONLY)
        self.fails(r, "A2RO", ZONE_READ_ONLY)
        self.ok(r, "RD2")
        self.ok(r, "CMP2")
        # Offline: no transition at all, no data access.
        for s in ("OPEN3", "CLOSE3", "FINISH3", "RESET3"):
            self.fails(r, s, INVALID_TRANSITION)
        self.assertEqual(self.ok(r, "OFFLINE3").strip(), msg("offline", 5, 3))  # no change
        self.fails(r, "W3OFF", ZONE_OFFLINE)
        self.fails(r, "A3OFF", ZONE_OFFLINE)
        self.fails(r, "RD3", ZONE_OFFLINE)
        self.assertEqual(tz._changed(self.ok(r, "CZL1")), [zs(2), zs(3)])
        self.assertEqual(tz._changed(self.ok(r, "CZL2")), [zs(2), zs(3)])
        self.assertEqual(tz._changed(self.ok(r, "CZL3")), [])
        self.assertEqual(self.ok(r, "X2").strip(), msg("offline", 5, 2))
        self.assertZones(r, "Q10", {2: ("OFFLINE", 8), 3: ("OFFLINE", 0)})
        self.assertEqual(tz._changed(self.ok(r, "CZL4")), [])

        for s in ("W4", "O5", "W5", "W6", "C6", "F7", "W8", "W10", "C10", "RO9", "R10"):
            self.ok(r, s)
        off = {2: ("OFFLINE", 8), 3: ("OFFLINE", 0)}
        self.assertZones(r, "Q11", {**off, 4: ("IMP_OPENED", 8), 5: ("EXP_OPENED", 8),
                                    6: ("CLOSED", 8), 7: ("FULL", ZCAP),
                                    8: ("IMP_OPENED", 8), 9: ("READONLY", 0),
                                    10: ("CLOSED", 8)})
        # Close all: open zones close; the rest keep their state.
        self.assertEqual(self.ok(r, "CA").strip(), "zns-close-zone: Success, action:1 zone:0 "
                                                    "all:1 zcapc:0 nsid:1")
        closed = {z: ("CLOSED", 8) for z in (4, 5, 6, 8, 10)}
        self.assertZones(r, "Q12", {**off, **closed, 7: ("FULL", ZCAP), 9: ("READONLY", 0)})
        # Open all needs an open resource per closed zone: all or nothing.
        self.fails(r, "OA", TOO_MANY_OPEN)
        self.assertZones(r, "Q13", {**off, **closed, 7: ("FULL", ZCAP), 9: ("READONLY", 0)})
        self.assertEqual(self.ok(r, "OAB").strip(), "zns-open-zone: Success zone slba:0 nsid:1")
        opened = {z: ("EXP_OPENED", 8) for z in (4, 5, 6, 8)}
        self.assertZones(r, "Q14", {**off, **opened, 7: ("FULL", ZCAP), 9: ("READONLY", 0)})
        # Finish all: open and closed zones; read-only and offline ones stay.
        self.ok(r, "FA")
        full = {z: ("FULL", ZCAP) for z in (4, 5, 6, 7, 8)}
        self.assertZones(r, "Q15", {**off, **full, 9: ("READONLY", 0)})
        # Offline all: the read-only zones.
        self.assertEqual(self.ok(r, "XA").strip(), "zns-offline-zone: Success, action:5 zone:0 "
                                                    "all:1 zcapc:0 nsid:1")
        self.assertZones(r, "Q16", {**off, **full, 9: ("OFFLINE", 0)})
        # Reset all: the full (and open and closed) zones; offline ones stay.
        self.ok(r, "RA")
        self.assertZones(r, "Q17", {**off, 9: ("OFFLINE", 0)})
        self.ok(r, "XAB")
        self.ok(r, "CAB")
        self.assertZones(r, "Q18", {**off, 9: ("OFFLINE", 0)})
        self.assertEqual(tz._changed(self.ok(r, "CZL5")), [zs(9)])
        self.assertKernelLogClean(r)

    # ---- zone append and descriptor extensions ----------------------------------

    def test_zone_append_and_set_zone_desc(self):
        script = sweep_job(
            "mk /tmp/a 4096; mk /tmp/b 8192; mk /tmp/c 65536; mk /tmp/big 69632; mk /tmp/e 57344",
            "printf '" + octal(EXT) + "' > /tmp/ext1",
            "printf '" + octal(EXT2) + "' > /tmp/ext2",
            "step A1 nvme zns zone-append $Z -s $(zs 12) -z 4096 -d /tmp/a",
            "step A2 nvme zns zone-append $Z -s $(zs 12) -z 8192 -d /tmp/b",
            "step A3 nvme zns zone-append $Z -s $(zs 12) -z 65536 -d /tmp/c",
            "step ABIG nvme zns zone-append $Z -s $(zs 12) -z 69632 -d /tmp/big",  # > ZASL
            "step AMID nvme zns zone-append $Z -s $(( $(zs 12) + 8 )) -z 4096 -d /tmp/a",
            "rz Q1",
            "step RD rd 12 0 77824 /tmp/r",
            "step CMP sh -c 'cat /tmp/a /tmp/b /tmp/c | cmp - /tmp/r'",
            # Appends up to the zone capacity: the last one that fits, then
            # one crossing it.
            "step FILL sh -c 'i=0; while [ $i -lt 126 ]; do "
            f"nvme zns zone-append $Z -s {zs(13)} -z 65536 -d /tmp/c > /dev/null || exit 1; "
            "i=$((i+1)); done'",
            "step ALAST nvme zns zone-append $Z -s $(zs 13) -z 65536 -d /tmp/c",
            "step A8K nvme zns zone-append $Z -s $(zs 13) -z 8192 -d /tmp/b",
            # 112 LBAs are left: 128 cross the capacity, 112 fill the zone
            "step AOVER nvme zns zone-append $Z -s $(zs 13) -z 65536 -d /tmp/c",
            "step AEND nvme zns zone-append $Z -s $(zs 13) -z 57344 -d /tmp/e",
            "step AFULL nvme zns zone-append $Z -s $(zs 13) -z 4096 -d /tmp/a",
            "rz Q1B",
            # set-zone-desc: an empty zone takes an extension and becomes
            # closed; a second zone takes another; a zone that is not empty
            # or a ZSLBA that is not a zone start does not.
            "step D1 nvme zns set-zone-desc $Z -s $(zs 1) -d /tmp/ext1",
            "step D2 nvme zns set-zone-desc $Z -s $(zs 2) -d /tmp/ext2",
            "step D1B nvme zns set-zone-desc $Z -s $(zs 1) -d /tmp/ext2",
            "step D12 nvme zns set-zone-desc $Z -s $(zs 12) -d /tmp/ext2",
            "step DMID nvme zns set-zone-desc $Z -s $(( $(zs 3) + 1 )) -d /tmp/ext2",
            "rz Q2",
            "step E nvme zns report-zones $Z -s $(zs 1) -d 3 -e",
            "step EJ nvme zns report-zones $Z -s $(zs 1) -d 3 -e -o json",
            # Appending to a zone with an extension opens it and keeps the data.
            "step A1X nvme zns zone-append $Z -s $(zs 1) -z 4096 -d /tmp/a",
            "step F2 nvme zns finish-zone $Z -s $(zs 2)",
            "step E2 nvme zns report-zones $Z -s $(zs 1) -d 2 -e -o json",
            "step RA nvme zns reset-zone $Z -a",
            "step E3 nvme zns report-zones $Z -s $(zs 1) -d 2 -e -o json",
            "rz Q3",
            "kerr KERR",
        )
        r = sweep_guest(script)
        self.assertGuestOk(r)
        base = zs(12)
        self.assertEqual(self.ok(r, "A1").strip(), f"Success appended data to LBA {base:x}")
        self.assertEqual(self.ok(r, "A2").strip(), f"Success appended data to LBA {base + 8:x}")
        self.assertEqual(self.ok(r, "A3").strip(), f"Success appended data to LBA {base + 24:x}")
        self.fails(r, "ABIG", INVALID_FIELD)
        self.fails(r, "AMID", INVALID_FIELD)
        self.ok(r, "RD")
        self.ok(r, "CMP")
        self.assertZones(r, "Q1", {12: ("IMP_OPENED", 152)})
        self.ok(r, "FILL")
        self.assertEqual(self.ok(r, "ALAST").strip(),
                         f"Success appended data to LBA {zs(13) + 126 * 128:x}")
        self.assertEqual(self.ok(r, "A8K").strip(),
                         f"Success appended data to LBA {zs(13) + 127 * 128:x}")
        self.fails(r, "AOVER", ZONE_BOUNDARY)
        self.assertEqual(self.ok(r, "AEND").strip(),
                         f"Success appended data to LBA {zs(13) + 127 * 128 + 16:x}")
        self.fails(r, "AFULL", ZONE_FULL)
        self.assertZones(r, "Q1B", {12: ("IMP_OPENED", 152), 13: ("FULL", ZCAP)})
        self.assertEqual(self.ok(r, "D1").strip(), f"set-zone-desc: Success, zone:{zs(1):x} nsid:1")
        self.assertEqual(self.ok(r, "D2").strip(), f"set-zone-desc: Success, zone:{zs(2):x} nsid:1")
        self.fails(r, "D1B", INVALID_TRANSITION)
        self.fails(r, "D12", INVALID_TRANSITION)
        self.fails(r, "DMID", INVALID_FIELD)
        self.assertZones(r, "Q2", {1: ("CLOSED", 0), 2: ("CLOSED", 0),
                                   12: ("IMP_OPENED", 152), 13: ("FULL", ZCAP)})
        e = self.ok(r, "E")
        self.assertEqual([(d["slba"], d["state"], d["attrs"]) for d in tz._descs(e)],
                         [(zs(1), 0x40, 0x80), (zs(2), 0x40, 0x80), (zs(3), 0x10, 0)])
        self.assertEqual(tz._ext_bytes(e), [EXT, EXT2])

        def lines(b):
            return [b[i:i + 16].decode() for i in range(0, len(b), 16)]

        ej = json.loads(self.ok(r, "EJ"))["zone_list"]
        self.assertEqual([d["ext_data"] for d in ej], [lines(EXT), lines(EXT2), "Not valid"])
        self.assertEqual(self.ok(r, "A1X").strip(), f"Success appended data to LBA {zs(1):x}")
        self.ok(r, "F2")
        e2 = json.loads(self.ok(r, "E2"))["zone_list"]
        self.assertEqual([(d["state"], d["wp"] - d["slba"], d["ext_data"]) for d in e2],
                         [("IMP_OPENED", 8, lines(EXT)), ("FULL", ZCAP, lines(EXT2))])
        self.ok(r, "RA")
        e3 = json.loads(self.ok(r, "E3"))["zone_list"]
        self.assertEqual([(d["state"], d["ext_data"]) for d in e3],
                         [("EMPTY", "Not valid"), ("EMPTY", "Not valid")])
        self.assertZones(r, "Q3", {})
        self.assertKernelLogClean(r)


if __name__ == "__main__":
    unittest.main()
