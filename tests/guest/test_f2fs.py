"""F2FS on a zoned nvmev namespace, in the generic-kernel guest
(./nvmev run --kernel generic: Debian's generic 6.1 kernel with the f2fs
module, mkfs.f2fs and fsck.f2fs; the default cloud kernel has no F2FS).

The controller's NSID 1 is zoned (ssd=zns, 16 MiB zones: /dev/nvme0n1);
an nvmev-ns conventional namespace (ssd=conv, NSID 2: /dev/nvme0n2) holds
F2FS's metadata, as F2FS requires (`mkfs.f2fs -m -c ZONED CONVENTIONAL`).
The file system is written and verified through fio, unmounted, checked
with fsck.f2fs, remounted and verified again; then it is kept nearly full
while twice its capacity is written through it, deleting as it goes, so
that F2FS's garbage collection moves valid blocks and resets zones. Sizes
are small so that the test runs in a few minutes under TCG."""

import json
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_zns as tz  # noqa: E402  (helpers only: its TestCase is not imported)

MiB = 2**20
ZONED = "512M"        # 32 zones of 16 MiB
CONV = "128M"
FILE_MIB = 4          # GC phase: files of 4 MiB

PRELUDE = r"""
step() { n=$1; shift; echo "==$n=="; "$@" 2>&1; echo "rc=$?"; echo "==END $n=="; }
echo mq-deadline > /sys/block/nvme0n1/queue/scheduler
fiojob() { # fiojob NAME ARGS...: fio on /mnt/fio, JSON printed as section NAME
    n=$1; shift
    fio --name=$n --directory=/mnt --filename_format='fio.$filenum' --nrfiles=4 \
        --size=48M --bs=128k --ioengine=psync --verify=crc32c --verify_fatal=1 \
        --randseed=1234 "$@" --output-format=json --output=/tmp/$n.json
    rc=$?; echo "==$n=="; cat /tmp/$n.json; echo "==END $n=="; return $rc
}
"""

# GC phase: files of FILE_MIB are written while the file system is kept
# nearly full: whenever less than three files' worth of space is free, every
# other file (the older of each pair, by name = by age) is deleted, so the
# sections F2FS must reclaim still hold valid blocks that its garbage
# collection moves first. It stops once TARGET_MIB have been written. Each
# file is named by its number (16 digits) and is /tmp/src with that number in
# its first 16 bytes; the files left at
# the end are compared with that.
GC_PHASE = r"""
head -c $((FILE_MIB * 1048576)) /dev/urandom > /tmp/src
tail -c +17 /tmp/src > /tmp/src.tail
mkdir -p /mnt/gc
total=0; i=0; rounds=0; failed=0
while [ $total -lt $((TARGET_MIB)) ]; do
    avail=$(df -k /mnt | awk 'NR==2 {print $4}')
    if [ $avail -lt $((FILE_MIB * 1024 * 3)) ]; then
        for f in $(ls /mnt/gc | awk 'NR % 2 == 1'); do rm /mnt/gc/$f; done
        rounds=$((rounds + 1))
        continue
    fi
    name=/mnt/gc/$(printf '%016d' $i)
    { printf '%016d' $i; cat /tmp/src.tail; } > $name || { failed=1; break; }
    i=$((i + 1)); total=$((total + FILE_MIB))
done
sync
left=$(ls /mnt/gc | wc -l)
echo "==GC=="; echo "written_mib=$total files=$i rounds=$rounds failed=$failed left=$left"
echo "==END GC=="
"""


class F2fsOnZonedNamespace(unittest.TestCase):
    maxDiff = None

    step = tz.ZnsGuestTest.step
    ok = tz.ZnsGuestTest.ok

    def assertFsckClean(self, out, name):
        """fsck.f2fs -f --dry-run: every check of its summary passed."""
        checks = re.findall(r"^\[FSCK\] (.*?)\s+\[(Ok\.\.|Fail)\]", out, re.M)
        self.assertGreaterEqual(len(checks), 10, f"{name}: no fsck summary in\n{out}")
        self.assertEqual([c for c, res in checks if res != "Ok.."], [], f"{name}:\n{out}")
        summary = "\n".join(l for l in out.splitlines() if l.startswith("[FSCK]"))
        self.assertNotRegex(summary, r"(?i)fail|error", f"{name}:\n{out}")

    def test_mkfs_write_verify_remount_and_gc(self):
        with tempfile.TemporaryDirectory() as d:
            q = os.path.join(d, "q.json")
            script = PRELUDE + "\n".join([
                "step MODS sh -c 'grep -E \"^(f2fs|nvme) \" /proc/modules | cut -d\" \" -f1'",
                "step ZONED cat /sys/block/nvme0n1/queue/zoned /sys/block/nvme0n2/queue/zoned",
                "step MKFS mkfs.f2fs -f -m -c /dev/nvme0n1 /dev/nvme0n2",
                "step MOUNT mount -t f2fs /dev/nvme0n2 /mnt",
                "step FS sh -c 'cat /proc/mounts | grep /mnt; df -k /mnt | tail -1'",
                "fiojob W --rw=write --do_verify=1 || exit 1",
                "step SYNC sync",
                "step UMOUNT umount /mnt",
                "step FSCK fsck.f2fs -f --dry-run /dev/nvme0n2",
                "step MOUNT2 mount -t f2fs /dev/nvme0n2 /mnt",
                "fiojob V --rw=write --verify_only=1 || exit 1",
                GC_PHASE.replace("FILE_MIB", str(FILE_MIB)).replace(
                    "TARGET_MIB", "2 * $(df -k /mnt | awk 'NR==2 {print $2}') / 1024"),
                "step GCSTAT sh -c 'cat /sys/fs/f2fs/nvme0n2/moved_blocks_foreground "
                "/sys/fs/f2fs/nvme0n2/moved_blocks_background'",
                # every file left has the content it was written with
                "step CHECK sh -c 'bad=0; for f in /mnt/gc/*; do "
                "[ \"$(head -c 16 $f)\" = \"${f##*/}\" ] || bad=$((bad+1)); "
                "tail -c +17 $f | cmp -s - /tmp/src.tail || bad=$((bad+1)); done; "
                "echo files=$(ls /mnt/gc | wc -l) bad=$bad'",
                "step UMOUNT2 umount /mnt",
                "step FSCK2 fsck.f2fs -f --dry-run /dev/nvme0n2",
                "step MOUNT3 mount -t f2fs /dev/nvme0n2 /mnt",
                "fiojob V2 --rw=write --verify_only=1 || exit 1",
                "step UMOUNT3 umount /mnt",
                "nvmev-host query",
                "step KERR sh -c 'dmesg -r | grep -E \"^<[0-3]>\"; true'",
                "step F2FSLOG sh -c 'dmesg | grep -i f2fs'",
            ]) + "\ntrue\n"
            r = tz.run_guest(script, "--kernel", "generic", "--ssd", "zns", "--size", ZONED,
                             "--device-opts", "zone-size=16M",
                             "--namespace", f"ssd=conv,size={CONV}",
                             *tz.qmp_hook("query", "query-nvmev", out=q),
                             timeout=900)
            self.assertEqual(r.rc, 0, f"guest job failed ({r.rc}):\n{r.out[-6000:]}\n{r.err}")
            with open(q) as f:
                info = json.load(f)[0]
        self.assertEqual(sorted(self.ok(r, "MODS").split()), ["f2fs", "nvme"])
        self.assertEqual(self.ok(r, "ZONED").split(), ["host-managed", "none"])
        self.ok(r, "MKFS")
        self.ok(r, "MOUNT")
        for name in ("W", "V", "V2"):
            job = r.json(name)["jobs"][0]
            self.assertEqual(job["error"], 0, name)
        w = r.json("W")["jobs"][0]
        self.assertEqual(w["write"]["io_bytes"], 48 * MiB)
        self.assertEqual(w["read"]["io_bytes"], 48 * MiB)   # verify pass
        self.assertEqual(r.json("V")["jobs"][0]["read"]["io_bytes"], 48 * MiB)
        self.assertEqual(r.json("V2")["jobs"][0]["read"]["io_bytes"], 48 * MiB)
        for s in ("SYNC", "UMOUNT", "MOUNT2", "UMOUNT2", "MOUNT3", "UMOUNT3"):
            self.ok(r, s)
        for s in ("FSCK", "FSCK2"):
            self.assertFsckClean(self.ok(r, s), s)
        # The GC phase wrote twice the file system's size through it.
        fs_kib = int(self.ok(r, "FS").split("\n")[-1].split()[1])
        gc = dict(kv.split("=") for kv in r.section("GC").split())
        self.assertEqual(gc["failed"], "0", "a write failed (ENOSPC or I/O error)")
        self.assertGreaterEqual(int(gc["written_mib"]) * 1024, 2 * fs_kib)
        self.assertGreater(int(gc["rounds"]), 1)
        moved = [int(x) for x in self.ok(r, "GCSTAT").split()]
        self.assertGreater(sum(moved), 0, "F2FS's GC moved no block")
        self.assertEqual(self.ok(r, "CHECK").strip(), f"files={gc['left']} bad=0")
        # F2FS reclaimed sections by resetting their zones.
        self.assertGreater(info["zones"]["resets"], 0)
        self.assertEqual(info["zones"]["offline"] + info["zones"]["read-only"], 0)
        self.assertEqual(self.ok(r, "KERR").strip(), "", "the guest kernel logged errors")


if __name__ == "__main__":
    unittest.main()
