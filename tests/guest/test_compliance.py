"""Guest compliance sweep: in one boot per device kind, nvme-cli runs the
identify, log page and feature commands for every identifier the controller
claims, and the sweep checks that they succeed with data consistent with
the configuration and each other, and that every identifier or opcode the
controller does not claim fails with the exact status a controller must
return. The guest side is compliance_job.sh; docs/compliance.md has the
table of what is checked."""

import json
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import ROOT, run_guest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
QUERY = f"python3 {ROOT}/scripts/qmp.py $NVMEV_QMP query-nvmev > {{}}"
MiB = 1 << 20

INVALID_OPCODE = 0x4001  # Generic, Invalid Command Opcode, DNR
INVALID_FIELD = 0x4002  # Generic, Invalid Field in Command, DNR
INVALID_LOG_PAGE = 0x4109  # Command Specific, Invalid Log Page, DNR

# Log pages every NVMe controller supports (NVMe 2.0c 5.16: Error
# Information, SMART / Health Information, Firmware Slot Information).
MANDATORY_LIDS = {0x01, 0x02, 0x03}
# Mandatory features of an I/O controller (NVMe 2.0c Figure 275): Arbitration,
# Power Management, Temperature Threshold, Number of Queues, Interrupt
# Coalescing, Interrupt Vector Configuration, Asynchronous Event Configuration.
MANDATORY_FIDS = {0x01, 0x02, 0x04, 0x07, 0x08, 0x09, 0x0B}


# What is swept. Log pages: every LID of NVMe 2.0c Figure 202 and ZNS 1.1
# up to 1Fh, plus reserved, vendor and command-set-specific samples.
LIDS = list(range(0x00, 0x20)) + [0x70, 0x7F, 0x80, 0x81, 0xBE, 0xBF, 0xC0, 0xFF]
# Features: every FID of NVMe 2.0c Figure 275 up to 20h, plus samples.
FIDS = list(range(0x01, 0x21)) + [0x7D, 0x7E, 0x7F, 0x80, 0x81, 0xC0, 0xFF]
# Opcodes tried when unclaimed: every admin opcode NVMe 2.0c defines below
# 80h, the NVM ones, and reserved and vendor samples (Format, Sanitize and
# the like only if unclaimed, where they must be rejected).
ADMIN_OPS = list(range(0x00, 0x26)) + [0x3C, 0x3D, 0x3E, 0x7C, 0x80, 0x81, 0x82, 0x84, 0x86,
                                       0xC0, 0xFF]
IO_OPS = list(range(0x00, 0x16)) + [0x19, 0x1D, 0x79, 0x7A, 0x7C, 0x7D, 0x7E, 0x65, 0x66,
                                    0x67, 0x80, 0x81, 0xC0, 0xFF]


def lines(text):
    """Rows of a sweep section: lists of fields."""
    return [ln.split() for ln in text.splitlines() if ln.strip()]


def status(fields, i):
    """The '(0x....)' status field at index i as an int, or None."""
    return int(fields[i].strip("()"), 16) if len(fields) > i else None


class Sweep:
    """What one boot's job printed, decoded."""

    def __init__(self, run, query):
        self.r = run
        self.query = query

    def rc(self, name):
        return int(self.r.section(name + ".rc"))

    def ok_json(self, name):
        rc = self.rc(name)
        if rc != 0:
            raise AssertionError(f"{name} failed ({rc}): {self.r.section(name + '.err')}")
        return json.loads(self.r.section(name))

    def err(self, name):
        return self.r.section(name + ".err")

    def effects(self, csi):
        words = [int(w, 16) for w in self.r.section(f"EFFECTS-RAW{csi}").split()]
        assert len(words) >= 512, f"short effects log for CSI {csi}: {len(words)} dwords"
        return words[:256], words[256:512]


class ComplianceTest(unittest.TestCase):
    maxDiff = None

    def sweep(self, ssd, size, csis, extra=()):
        with tempfile.TemporaryDirectory() as d:
            qpath = os.path.join(d, "query.json")
            with open(os.path.join(HERE, "compliance_job.sh")) as f:
                job = "".join(f"{k}='{' '.join(map(str, v))}'\n" for k, v in (
                    ("CSIS", csis), ("LIDS", LIDS), ("FIDS", FIDS), ("ADMIN_OPS", ADMIN_OPS),
                    ("IO_OPS", IO_OPS))) + f.read()
            r = run_guest(job, "--ssd", ssd, "--size", str(size), *extra,
                          "--hook", "query=" + QUERY.format(qpath),
                          timeout=900)
            self.assertEqual(r.rc, 0, f"guest job failed ({r.rc}):\n{r.out[-5000:]}\n{r.err}")
            with open(qpath) as f:
                query = json.load(f)[0]
        return Sweep(r, query)

    # ---- identify

    def check_identify(self, s, size, csis):
        q = s.query
        ctrl = s.ok_json("id-ctrl")
        self.assertEqual(ctrl["mdts"], q["mdts"])
        self.assertEqual(ctrl["sn"].strip(), q["serial"])
        ns = s.ok_json("id-ns")
        lbaf = ns["lbafs"][ns["flbas"] & 0xF]
        self.assertEqual(1 << lbaf["ds"], q["lba-size"])
        self.assertEqual(ns["nsze"] * q["lba-size"], size)
        self.assertEqual(ns["nsze"] * q["lba-size"], q["capacity-bytes"])
        self.assertEqual(ns["ncap"], ns["nsze"])
        descs = s.ok_json("ns-descs")
        self.assertTrue(descs, "no namespace identification descriptors")
        active = s.ok_json("list-ns")["nsid_list"]
        self.assertIn({"nsid": 1}, active)
        # CNS 10h (allocated namespaces) belongs to Namespace Management,
        # which ID-CTRL OACS bit 3 does not claim: Invalid Field.
        if not ctrl["oacs"] & (1 << 3):
            self.assertIn(f"(0x{INVALID_FIELD:x})", s.err("list-ns-all"))
        # nvme-cli 2.3 has no JSON for id-iocs: its text lists the vectors.
        self.assertEqual(s.rc("id-iocs"), 0, s.err("id-iocs"))
        m = re.search(r"I/O Command Set Combination\[0\]:\s*(\w+)", s.r.section("id-iocs"))
        self.assertTrue(m, s.r.section("id-iocs"))
        vector = int(m.group(1), 0)
        self.assertTrue(vector & 1, "combination 0 lacks NVM")
        self.assertEqual(bool(vector & (1 << 2)), 2 in csis, "combination 0 and ZNS")
        s.ok_json("nvm-id-ctrl")
        s.ok_json("nvm-id-ns")
        self.assertIn(f"(0x{INVALID_FIELD:x})", s.err("bad-cns"))
        return ctrl

    # ---- log pages

    def check_logs(self, s, ctrl, csis, kind):
        sweep = {int(f[0]): (int(f[1]), status(f, 2)) for f in lines(s.r.section("LIDS"))}
        self.assertEqual(sorted(sweep), LIDS)
        works = {lid for lid, (rc, _) in sweep.items() if rc == 0}
        claimed = set(MANDATORY_LIDS)
        if ctrl["lpa"] & 0x2:
            claimed.add(0x05)  # Commands Supported and Effects
        if ctrl["oaes"] & (1 << 8):
            claimed.add(0x04)  # Changed Namespace List
        if 0x00 in works:
            self.assertEqual(s.rc("supported-log-pages"), 0, s.err("supported-log-pages"))
            words = s.r.section("supported-log-pages").split()
            self.assertEqual(len(words), 256)
            claimed |= set(_supported_lids(words))
        self.assertLessEqual(claimed, works, "claimed log pages that fail")
        for lid in sorted(set(LIDS) - works):
            self.assertEqual(sweep[lid][1], INVALID_LOG_PAGE, f"LID 0x{lid:02x}")
        self.assertEqual(works - claimed, set(), "log pages that work but are not claimed")
        smart0, smart1 = s.ok_json("smart-before"), s.ok_json("smart-after")
        self.assertGreater(smart1["data_units_written"], smart0["data_units_written"])
        self.assertGreater(smart1["data_units_read"], smart0["data_units_read"])
        self.assertGreater(smart1["host_write_commands"], smart0["host_write_commands"])
        s.ok_json("error-log")
        s.ok_json("fw-log")
        s.ok_json("effects")
        if 0x04 in claimed:
            s.ok_json("changed-ns")
        if kind == "zns":  # nvme-cli 2.3 prints no JSON for an empty list
            self.assertEqual(s.rc("zns-changed"), 0, s.err("zns-changed"))
        return works, claimed

    # ---- features

    def check_features(self, s, ctrl):
        rows = [(int(f[0]), int(f[1]), int(f[2]), f[3:]) for f in lines(s.r.section("FIDS"))]
        by_fid = {}
        for fid, sel, rc, rest in rows:
            by_fid.setdefault(fid, {})[sel] = (rc, rest)
        self.assertEqual(sorted(by_fid), FIDS)
        supported = {fid for fid, sels in by_fid.items() if sels[0][0] == 0}
        self.assertLessEqual(MANDATORY_FIDS, supported)
        if ctrl["vwc"] & 1:
            self.assertIn(0x06, supported)  # Volatile Write Cache
        for fid, sels in sorted(by_fid.items()):
            if fid not in supported:
                self.assertEqual(status(sels[0][1], 0), INVALID_FIELD, f"FID 0x{fid:02x}")
                continue
            # Every SEL value works on a supported feature (ONCS bit 4).
            if ctrl["oncs"] & (1 << 4):
                self.assertEqual(sorted(sels), [0, 1, 2, 3], f"FID 0x{fid:02x}")
                values = {sel: int(rest[-1], 16) for sel, (rc, rest) in sels.items()}
                caps = values[3]
                if not caps & 1:  # not saveable: the saved value is the default
                    self.assertEqual(values[2], values[1], f"FID 0x{fid:02x}")
        return supported

    # ---- opcodes

    def check_opcodes(self, s, csis):
        acs, iocs = s.effects(0)
        # The guest tries what the NVM (CSI 0) log leaves out; the zoned
        # commands a CSI 2 log claims are executed, so they are not expected
        # to fail with Invalid Opcode.
        other = s.effects(2)[1] if 2 in csis else [0] * 256
        for section, table, ops in (("ADMIN-OPCODES", acs, ADMIN_OPS),
                                    ("IO-OPCODES", iocs, IO_OPS)):
            rows = lines(s.r.section(section))
            unclaimed = [op for op in ops if not table[op] & 1]
            self.assertEqual([int(f[0]) for f in rows], unclaimed, section)
            for f in rows:
                if section == "IO-OPCODES" and other[int(f[0])] & 1:
                    continue
                self.assertEqual(status(f, 2), INVALID_OPCODE, f"{section} 0x{int(f[0]):02x}")
        # 66h, the vendor example, is claimed with its effects.
        self.assertEqual(iocs[0x66], 0x3)
        if 2 in csis:
            zacs, ziocs = s.effects(2)
            for op in (0x79, 0x7A, 0x7D):  # Zone Management Send/Receive, Zone Append
                self.assertTrue(ziocs[op] & 1, f"ZNS effects log lacks 0x{op:02x}")
                self.assertFalse(iocs[op] & 1, f"NVM effects log claims zoned 0x{op:02x}")
            self.assertEqual(zacs, acs)
        return acs, iocs

    def run_kind(self, ssd, size, csis, extra=()):
        s = self.sweep(ssd, size, csis, extra)
        ctrl = self.check_identify(s, size, csis)
        works, claimed = self.check_logs(s, ctrl, csis, ssd)
        fids = self.check_features(s, ctrl)
        acs, iocs = self.check_opcodes(s, csis)
        summary = {"kind": ssd, "lids": sorted(works), "fids": sorted(fids),
                   "admin": [op for op in range(256) if acs[op] & 1],
                   "io": [op for op in range(256) if iocs[op] & 1]}
        print(f"\n  compliance {ssd}: " + json.dumps(summary), file=sys.stderr)
        return s

    def test_nvm(self):
        self.run_kind("nvm", 64 * MiB, [0])

    def test_conv(self):
        self.run_kind("conv", 64 * MiB, [0])

    def test_zns(self):
        s = self.run_kind("zns", 64 * MiB, [0, 2], ("--device-opts", "zone-size=16M"))
        zctrl = s.ok_json("zns-id-ctrl")
        self.assertIn("zasl", zctrl)
        zns = s.ok_json("zns-id-ns")
        self.assertEqual(zns["lbafe"][0]["zsze"] * s.query["lba-size"], 16 * MiB)
        self.assertEqual(s.ok_json("list-ns-csi2")["nsid_list"], [{"nsid": 1}])


def _supported_lids(words):
    """LIDs whose LSUPP bit is set in the raw Supported Log Pages log (one
    hex dword per LID, as od prints them)."""
    return [lid for lid, w in enumerate(words) if int(w, 16) & 1]

if __name__ == "__main__":
    unittest.main()
