"""Guest end-to-end test of the vendor command extension point: nvme-cli's
io-passthru issues opcode 66h "fused read-and-write" (docs/extending.md):
it writes a pattern and reads another range back, both compared; the
Commands Supported and Effects log lists it; bad ranges and a zoned write
off the write pointer get the exact status nvme-cli prints."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import run_guest  # noqa: E402


def fused(wslba, wnlb, rslba, rnlb, buf):
    """66h through nvme-cli 2.3: the opcode makes it a data-in command, so
    nvme-cli reads the write data from, and prints the buffer to, its
    stdout; `1<>BUF` opens one file for both (BUF grows by the buffer)."""
    return (f"nvme io-passthru /dev/nvme0n1 --opcode=0x66 --namespace-id=1 "
            f"--data-len={(wnlb + rnlb) * 512} --write --raw-binary "
            f"--cdw10={wslba} --cdw11=0 --cdw12={wnlb - 1} "
            f"--cdw13={rslba} --cdw14=0 --cdw15={rnlb - 1} 1<>{buf}")


def section(name, cmd):
    """Runs cmd, printing its stderr as section NAME."""
    return f"{{ {cmd} 2>/tmp/{name}.err; echo =={name}==; cat /tmp/{name}.err; echo ==END {name}==; }}"


def walk_keys(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k, v
            yield from walk_keys(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_keys(v)


LBA_OUT_OF_RANGE = ("NVMe status: LBA Out of Range: The command references an LBA that "
                    "exceeds the size of the namespace(0x4080)")


class VendorGuestTest(unittest.TestCase):
    def run_fused(self, ssd, wslba, prep, tail="", extra=()):
        # The read range, LBAs 1000..1007, holds pattern R; the write data is
        # pattern W; the buffer file is W then 4 KiB of zeros (16 blocks).
        job = " && ".join([
            "dd if=/dev/urandom of=/tmp/w bs=512 count=8 2>/dev/null",
            "dd if=/dev/urandom of=/tmp/r bs=512 count=8 2>/dev/null",
            prep,
            "dd if=/tmp/r of=/dev/nvme0n1 bs=4k seek=125 oflag=direct 2>/dev/null",
            "(cat /tmp/w; head -c 4096 /dev/zero) > /tmp/buf",
            "head -c 1024 /dev/zero > /tmp/small",
            "NLBAS=$(cat /sys/block/nvme0n1/size)",
            section("OK", fused(wslba, 8, 1000, 8, "/tmp/buf")),
            # /tmp/buf: the 8 KiB sent, then the 8 KiB buffer after the command.
            "dd if=/tmp/buf bs=512 skip=24 count=8 2>/dev/null | cmp - /tmp/r && echo read_ok",
            "dd if=/tmp/buf bs=512 skip=16 count=8 2>/dev/null | cmp - /tmp/w && echo front_ok",
            f"dd if=/dev/nvme0n1 bs=512 skip={wslba} count=8 iflag=direct 2>/dev/null | "
            "cmp - /tmp/w && echo write_ok",
            "echo ==EFFECTS== && nvme effects-log /dev/nvme0 --csi=0 -o json && echo ==END EFFECTS==",
            "true",
        ]) + "; " + "; ".join([
            section("BADW", fused("$NLBAS", 1, 0, 1, "/tmp/small")),
            section("BADR", fused(0, 1, "$((NLBAS - 1))", 2, "/tmp/small")),
        ] + ([tail] if tail else []))
        r = run_guest(job, "--ssd", ssd, "--size", "64M", *extra)
        self.assertEqual(r.rc, 0, f"guest job failed ({r.rc}):\n{r.out}\n{r.err}")
        self.assertIn("IO Command Vendor Specific is Success and result: 0x00000000",
                      r.section("OK"))
        for marker in ("read_ok", "front_ok", "write_ok"):
            self.assertIn(marker, r.out)
        effects = {k: v for k, v in walk_keys(r.json("EFFECTS")) if str(k).startswith("IOCS_102 ")}
        self.assertEqual(list(effects.values()), [3], r.section("EFFECTS"))  # CSUPP | LBCC
        self.assertIn(LBA_OUT_OF_RANGE, r.section("BADW"))
        self.assertIn(LBA_OUT_OF_RANGE, r.section("BADR"))
        return r

    def test_fused_read_write_on_nvm(self):
        self.run_fused("nvm", 100, "true")

    def test_fused_read_write_on_zns_follows_the_write_pointer(self):
        # Zone 0 is written up to LBA 1000, the read range takes it to 1008:
        # the fused write goes there; a second one at 1008 is then off the
        # write pointer (Zone Invalid Write, SCT 1h SC BCh).
        prep = "dd if=/dev/zero of=/dev/nvme0n1 bs=4k count=125 oflag=direct 2>/dev/null"
        r = self.run_fused("zns", 1008, prep,
                           tail=section("ZONE", fused(1008, 8, 0, 8, "/tmp/small2")),
                           extra=("--device-opts", "zone-size=16M"))
        self.assertRegex(r.section("ZONE"), r"NVMe status: Zone Invalid Write.*\(0x41bc\)")


if __name__ == "__main__":
    unittest.main()
