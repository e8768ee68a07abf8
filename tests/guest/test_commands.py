"""Guest tests for the command set beyond plain I/O: the Linux driver moving
data through SGLs, nvme format between LBA sizes, features and log pages as
nvme-cli reads them (docs/commands.md)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import fio_job, run_guest  # noqa: E402


class CommandsTest(unittest.TestCase):
    def assertGuestOk(self, r):
        self.assertEqual(r.rc, 0, f"guest job failed ({r.rc}):\n{r.out}\n{r.err}")

    def test_linux_moves_data_through_sgls(self):
        # sgl_threshold=1: the driver builds an SGL for every I/O (SGLS is set).
        common = dict(size="32M", ioengine="io_uring", iodepth=16, verify="crc32c",
                      do_verify=1, verify_fatal=1)
        r = run_guest("echo 1 > /sys/module/nvme/parameters/sgl_threshold && "
                      "echo ==SGLS== && nvme id-ctrl /dev/nvme0 | grep -E '^sgls' && "
                      "echo ==END SGLS== && "
                      + fio_job("rand", rw="randwrite", bs="4k", **common) + " && "
                      + fio_job("seq", rw="write", bs="256k", offset="64M", **common)
                      + " && nvme error-log /dev/nvme0 --log-entries=1 -o json",
                      "--size", "128M")
        self.assertGuestOk(r)
        self.assertRegex(r.section("SGLS"), r"sgls\s+: 0x50001")
        for name in ("rand", "seq"):
            job = r.json(name)["jobs"][0]
            self.assertEqual(job["error"], 0, name)
            self.assertEqual(job["write"]["io_bytes"], 32 * 2**20, name)
            self.assertEqual(job["read"]["io_bytes"], 32 * 2**20, name)

    def test_format_changes_the_block_size_and_erases(self):
        r = run_guest(
            "dd if=/dev/urandom of=/tmp/a bs=4096 count=4 2>/dev/null && "
            "dd if=/tmp/a of=/dev/nvme0n1 bs=4096 count=4 oflag=direct 2>/dev/null && "
            "nvme format /dev/nvme0n1 --lbaf=1 --force >/dev/null && "
            "echo ==LBS4K== && cat /sys/block/nvme0n1/queue/logical_block_size && "
            "echo ==END LBS4K== && "
            "echo ==ZERO== && dd if=/dev/nvme0n1 bs=4096 count=4 iflag=direct 2>/dev/null "
            "| tr -d '\\0' | wc -c && echo ==END ZERO== && "
            "dd if=/tmp/a of=/dev/nvme0n1 bs=4096 count=4 oflag=direct 2>/dev/null && "
            "dd if=/dev/nvme0n1 of=/tmp/b bs=4096 count=4 iflag=direct 2>/dev/null && "
            "cmp /tmp/a /tmp/b && echo same_4k && "
            "nvme format /dev/nvme0n1 --lbaf=0 --force >/dev/null && "
            "echo ==LBS512== && cat /sys/block/nvme0n1/queue/logical_block_size && "
            "echo ==END LBS512== && "
            "(nvme format /dev/nvme0n1 --lbaf=0 --ses=2 --force 2>&1; echo ses2_rc=$?)",
            "--size", "64M")
        self.assertGuestOk(r)
        self.assertEqual(r.section("LBS4K").strip(), "4096")
        self.assertEqual(r.section("ZERO").strip(), "0")
        self.assertIn("same_4k", r.out)
        self.assertEqual(r.section("LBS512").strip(), "512")
        self.assertRegex(r.out, r"ses2_rc=[1-9]")
        self.assertRegex(r.out, r"INVALID_FIELD|Invalid Field")


if __name__ == "__main__":
    unittest.main()
