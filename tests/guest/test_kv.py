"""Guest end-to-end tests of ssd=kv through nvmev's guest tool nvmev-kv, in
both flavours: the NVMe 2.0 Key Value command set (CSI 1; Linux gives the
namespace only its generic char device /dev/ng0n1) and the Samsung vendor
opcodes (kv-vendor-opcodes=on; the namespace reports the NVM command set,
so the tool sends them through /dev/nvme0n1).

Values go in and come back compared byte for byte (cmp), from 1 byte to
the 128 KiB maximum; statuses are checked exactly as nvmev-kv prints them;
list order is byte order; the bench verifies every get; keys survive a
restart on a file-backed memory backend."""

import hashlib
import json
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from guest_harness import run_guest  # noqa: E402

KiB = 1024
MAX_VALUE = 128 * KiB  # the default kv-max-value-size, the MDTS limit
VENDOR = "kv-vendor-opcodes=on"

# Shell prelude of every job. `step NAME CMD...` runs CMD and prints its
# stdout, stderr and `rc=N` between ==NAME== and ==END NAME==. `kv` is the
# tool on the flavour's device ($D), flavour detected; `gv KEY [ARGS]` gets
# KEY and prints `value=<the value>` after the tool's `size N` line; `rt KEY
# FILE` stores FILE under KEY, reads it back and compares (`same`);
# `md KEY` prints the md5 of KEY's value.
PRELUDE = r"""
step() { n=$1; shift; echo "==$n=="; "$@" 2>&1; echo "rc=$?"; echo "==END $n=="; }
mk() { head -c "$2" /dev/urandom > "$1"; }
kv() { nvmev-kv "$D" "$@"; }
gv() { rm -f /tmp/g; kv get "$@" --out /tmp/g; rc=$?; echo "value=$(cat /tmp/g 2>/dev/null)"; return $rc; }
rt() { kv put "$1" --file "$2" && kv get "$1" --out /tmp/g && cmp /tmp/g "$2" && echo same; }
md() { kv get "$1" --out /tmp/g && md5sum < /tmp/g | cut -c1-32; }
"""


def job(device, *lines):
    return PRELUDE + f"export D={device}\nnvmev-wait {device} 20\n" + "\n".join(lines) + "\ntrue\n"


def pattern(n, seed):
    """nvmev-kv's --size/--seed values: splitmix64 from seed, each output
    little-endian (guest-tools/kv_text.cc)."""
    m = (1 << 64) - 1
    out = bytearray()
    x = seed
    while len(out) < n:
        x = (x + 0x9E3779B97F4A7C15) & m
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
        z ^= z >> 31
        out += z.to_bytes(8, "little")
    return bytes(out[:n])


def pattern_md5(n, seed):
    return hashlib.md5(pattern(n, seed)).hexdigest()


def fmt_key(key):
    """How nvmev-kv prints a key (format_key in guest-tools/kv_text.cc)."""
    if key and not key.startswith(b"0x") and all(0x20 < c < 0x7F for c in key):
        return key.decode()
    return "0x" + key.hex()


def parse_key(text):
    return bytes.fromhex(text[2:]) if text.startswith("0x") else text.encode()


class KvGuestBase:
    """Tests both flavours share; subclasses set the device and statuses."""

    DEVICE = None
    DEVICE_OPTS = None
    MISSING = None           # "Key Does Not Exist" as status code
    CAPACITY = None          # "Capacity Exceeded"

    def run_kv(self, *lines, opts=None, extra=()):
        dev_opts = ",".join(o for o in (self.DEVICE_OPTS, opts) if o)
        args = ["--ssd", "kv", "--size", "64M", *extra]
        if dev_opts:
            args += ["--device-opts", dev_opts]
        r = run_guest(job(self.DEVICE, *lines), *args)
        self.assertEqual(r.rc, 0, f"guest job failed ({r.rc}):\n{r.out}\n{r.err}")
        return r

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

    def fails(self, r, name, rc, text):
        out, got = self.step(r, name)
        self.assertEqual(got, rc, f"step {name}:\n{out}")
        self.assertIn(text, out, f"step {name}")
        return out

    def status(self, op, code, name):
        return f"nvmev-kv: {op}: status {code:#x} ({name})"

    def missing(self, op):
        return self.status(op, self.MISSING, "Key Does Not Exist")

    def keys(self, r, name):
        return [parse_key(k) for k in self.ok(r, name).split("\n") if k]

    # ---- values, keys and statuses -------------------------------------------

    SIZES = (1, 3, 4095, 4097, 65535, MAX_VALUE)

    def round_trip_lines(self):
        return [
            " ; ".join(f"mk /tmp/v{n} {n}" for n in self.SIZES + (MAX_VALUE + 1,)),
            "step PUT kv put hello world",
            "step GET gv hello",
            *[f"step RT{n} rt v{n} /tmp/v{n}" for n in self.SIZES],
            # The same key again, shorter: only the new value comes back.
            "step RTSHORT rt v4097 /tmp/v3",
            "step RT16 rt 0123456789abcdef /tmp/v4095",
            "step RTHEX rt 0x00ff7f10 /tmp/v3",
            "step GEN md gen1",
            "step GENPUT kv put gen1 --size 12345 --seed 77",
            "step GEN2 md gen1",
            "step OVER kv put over --file /tmp/v131073",
            "step OVERX kv exists over",
            "step KEY17 kv put 0123456789abcdefg x",
            "step KEY17GET gv 0123456789abcdefg",
            "step EMPTY kv put empty ''",
            "step GETMISS gv nokey",
            "step EXMISS kv exists nokey",
            "step DELMISS kv delete nokey",
            "step ABSENT kv put hello other --if-absent",
            "step ABSENTNEW kv put fresh new --if-absent",
            "step GET2 gv hello",
            "step SHORTBUF gv hello --buffer 2",
            "step EXISTS kv exists hello",
            "step DEL kv delete hello",
            "step EXISTS2 kv exists hello",
            "step GET3 gv hello",
            "step BENCH kv bench --ops 400 --keys 16 --value-size 700 --mix 40:40:10:10 "
            "--seed 3 --json",
        ]

    def check_round_trips(self, r):
        self.ok(r, "PUT")
        self.assertEqual(self.ok(r, "GET"), "size 5\nvalue=world")
        for n in self.SIZES:
            self.assertEqual(self.ok(r, f"RT{n}"), f"size {n}\nsame", n)
        self.assertEqual(self.ok(r, "RTSHORT"), "size 3\nsame")
        self.assertEqual(self.ok(r, "RT16"), "size 4095\nsame")
        self.assertEqual(self.ok(r, "RTHEX"), "size 3\nsame")
        self.fails(r, "GEN", 1, self.missing("get"))
        self.ok(r, "GENPUT")
        self.assertEqual(self.ok(r, "GEN2").split("\n")[-1], pattern_md5(12345, 77))
        self.fails(r, "OVER", 2, self.status("put", 0x185, "Invalid Value Size"))
        self.assertEqual(self.step(r, "OVERX")[1], 1)
        self.fails(r, "KEY17", 2, self.status("put", 0x186, "Invalid Key Size"))
        self.fails(r, "KEY17GET", 2, self.status("get", 0x186, "Invalid Key Size"))
        self.fails(r, "EMPTY", 2, self.status("put", 0x185, "Invalid Value Size"))
        self.fails(r, "GETMISS", 1, self.missing("get"))
        self.assertEqual(self.fails(r, "EXMISS", 1, "does not exist"), "does not exist")
        self.fails(r, "DELMISS", 1, self.missing("delete"))
        self.fails(r, "ABSENT", 2, self.status("put", 0x189, "Key Exists"))
        self.ok(r, "ABSENTNEW")
        self.assertEqual(self.ok(r, "GET2"), "size 5\nvalue=world")
        self.assertEqual(self.ok(r, "SHORTBUF"), "size 5 (returned 2)\nvalue=wo")
        self.assertEqual(self.ok(r, "EXISTS"), "exists")
        self.ok(r, "DEL")
        self.assertEqual(self.step(r, "EXISTS2"), ("does not exist", 1))
        self.fails(r, "GET3", 1, self.missing("get"))
        bench = json.loads(self.ok(r, "BENCH"))
        self.assertEqual(bench["mismatches"], 0, bench)
        self.assertEqual(bench["fill"]["count"], 16)
        self.assertEqual(sum(bench[op]["count"] for op in ("put", "get", "delete", "exists")),
                         400)
        self.assertGreater(bench["get"]["found"], 0, bench)  # gets compared with a stored value
        self.assertGreater(bench["ops_per_s"], 0)
        return bench

    # ---- list ----------------------------------------------------------------

    LIST_KEYS = [b"L.b", b"L.a", b"L.ab", b"L.a\x00", b"L.z", b"L.\xff", b"L.0", b"L.a\x00\x01",
                 b"L.0123456789abc", b"L.", b"M"]

    def list_lines(self):
        return [
            *[f"kv put {fmt_key(k)} x" for k in self.LIST_KEYS],
            "step LALL kv list",
            "step LPAGED kv list --buffer 32",
            "step LPREFIX kv list --prefix L.",
            "step LSTART kv list L.ab --prefix L.",
            "step LMAX kv list --prefix L. --max 2",
        ]

    def check_list(self, r):
        everything = self.keys(r, "LALL")
        self.assertEqual(everything, sorted(set(everything)), "list is in byte order")
        for k in self.LIST_KEYS:
            self.assertIn(k, everything)
        self.assertEqual(self.keys(r, "LPAGED"), everything)
        ours = sorted(k for k in self.LIST_KEYS if k.startswith(b"L."))
        self.assertEqual(self.keys(r, "LPREFIX"), ours)
        self.assertEqual(self.keys(r, "LSTART"), [k for k in ours if k >= b"L.ab"])
        self.assertEqual(self.keys(r, "LMAX"), ours[:2])
        # A prefix sorts before its extensions; 00h right after the prefix.
        self.assertEqual(ours[:5], [b"L.", b"L.0", b"L.0123456789abc", b"L.a", b"L.a\x00"])

    def test_values_keys_statuses_list_and_bench(self):
        r = self.run_kv(*self.round_trip_lines(), *self.list_lines(), *self.flavour_lines())
        self.check_round_trips(r)
        self.check_list(r)
        self.check_flavour(r)

    # ---- limits --------------------------------------------------------------

    def test_value_size_and_key_count_limits(self):
        r = self.run_kv(
            "mk /tmp/v64k 65536; mk /tmp/v64k1 65537",
            "step MAX rt a /tmp/v64k",
            "step MAX1 kv put b --file /tmp/v64k1",
            "step MAX1X kv exists b",
            "step C kv put c 1",
            "step D kv put d 1",
            "step FULL kv put e 1",
            "step OVERWRITE rt a /tmp/v64k",
            "step DELC kv delete c",
            "step E kv put e 1",
            "step LIST kv list",
            opts="kv-max-value-size=65536,kv-max-keys=3")
        self.assertEqual(self.ok(r, "MAX"), "size 65536\nsame")
        self.fails(r, "MAX1", 2, self.status("put", 0x185, "Invalid Value Size"))
        self.assertEqual(self.step(r, "MAX1X")[1], 1)
        for name in ("C", "D"):
            self.ok(r, name)
        self.fails(r, "FULL", 2, self.status("put", self.CAPACITY, "Capacity Exceeded"))
        self.assertEqual(self.ok(r, "OVERWRITE"), "size 65536\nsame")  # no new key needed
        self.ok(r, "DELC")
        self.ok(r, "E")
        self.assertEqual(self.keys(r, "LIST"), [b"a", b"d", b"e"])


class StandardKvGuestTest(KvGuestBase, unittest.TestCase):
    DEVICE = "/dev/ng0n1"
    DEVICE_OPTS = None
    MISSING = 0x187
    CAPACITY = 0x81

    def flavour_lines(self):
        return [
            "step NODES sh -c 'ls /dev | grep -E \"^(nvme|ng)[0-9]\"'",
            "step IFEXISTS kv put nokey2 x --if-exists",
            "step IFEXISTS2 kv put fresh newer --if-exists",
            "step IFEXISTS3 gv fresh",
            "step APPEND kv put fresh x --append",
            # The vendor opcodes are off: forcing that flavour fails.
            "step WRONG nvmev-kv --vendor $D exists fresh",
        ]

    def check_flavour(self, r):
        self.assertEqual(self.ok(r, "NODES").split(), ["ng0n1", "nvme0"])
        self.fails(r, "IFEXISTS", 2, self.missing("put"))
        self.ok(r, "IFEXISTS2")
        self.assertEqual(self.ok(r, "IFEXISTS3"), "size 5\nvalue=newer")
        self.fails(r, "APPEND", 64, "--append needs the vendor flavour")
        self.fails(r, "WRONG", 2, "nvmev-kv: exists: status 0x1 (Invalid Command Opcode)")

    def test_keys_survive_a_restart(self):
        sizes = {"R.1": (1, 11), "R.2": (4097, 12), "R.3": (MAX_VALUE, 13)}
        first = [
            *[f"step P{k} kv put {k} --size {n} --seed {s}" for k, (n, s) in sizes.items()],
            "kv put R.gone x", "step DELGONE kv delete R.gone",
            "step LIST kv list --prefix R.",
            *[f"step M{k} md {k}" for k in sizes],
        ]
        second = [
            "step LIST kv list --prefix R.",
            *[f"step M{k} md {k}" for k in sizes],
            "step GONE kv exists R.gone",
            # Still writable after the restart.
            "step AFTER kv put R.4 later",
            "step AFTERGET gv R.4",
        ]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "kv.img")
            r1 = self.run_kv(*first, extra=("--memdev-file", path))
            r2 = self.run_kv(*second, extra=("--memdev-file", path))
        for k in sizes:
            self.ok(r1, f"P{k}")
        self.ok(r1, "DELGONE")
        for r in (r1, r2):
            self.assertEqual(self.keys(r, "LIST"), [b"R.1", b"R.2", b"R.3"])
            for k, (n, s) in sizes.items():
                self.assertEqual(self.ok(r, f"M{k}").split("\n")[-1], pattern_md5(n, s), k)
        self.assertEqual(self.step(r2, "GONE"), ("does not exist", 1))
        self.ok(r2, "AFTER")
        self.assertEqual(self.ok(r2, "AFTERGET"), "size 5\nvalue=later")


class VendorKvGuestTest(KvGuestBase, unittest.TestCase):
    DEVICE = "/dev/nvme0n1"
    DEVICE_OPTS = VENDOR
    MISSING = 0x310
    CAPACITY = 0x312

    def flavour_lines(self):
        return [
            "head -c 4096 /dev/zero > /tmp/z4k",
            "step ZEROS sh -c 'dd if=$D bs=4k count=1 iflag=direct 2>/dev/null | cmp - /tmp/z4k "
            "&& echo zeros'",
            "step APPEND kv put fresh 'ab' --append",
            "step APPENDGET gv fresh",
            "step APPENDNEW kv put appended first --append",
            "step APPENDNEWGET gv appended",
            "step IFEXISTS kv put fresh x --if-exists",
        ]

    def check_flavour(self, r):
        self.assertEqual(self.ok(r, "ZEROS"), "zeros")
        self.ok(r, "APPEND")
        self.assertEqual(self.ok(r, "APPENDGET"), "size 5\nvalue=newab")
        self.ok(r, "APPENDNEW")
        self.assertEqual(self.ok(r, "APPENDNEWGET"), "size 5\nvalue=first")
        self.fails(r, "IFEXISTS", 64, "--if-exists needs the standard flavour")

    def test_iterate_and_batch(self):
        ikeys = [f"I.{i:03d}" for i in range(40)]
        r = self.run_kv(
            "mk /tmp/v4097 4097",
            *[f"kv put {k} {k}" for k in reversed(ikeys)],
            "kv put J.1 x; kv put B.0 x",
            "step ITER kv list --prefix I.",
            # 5 keys a read: several reads until Iterate End.
            "step ITERSMALL kv list --prefix I.01 --buffer 64",
            "step ITERSTART kv list I.035 --prefix I.",
            # Every list closes its iterator: more lists than handles work.
            "loop() { i=0; while [ $i -lt 20 ]; do kv list --prefix J. >/dev/null || return 1;"
            " i=$((i + 1)); done; echo done; }",
            "step HANDLES loop",
            "step BATCH kv batch put B.1 one put B.2 --file /tmp/v4097 delete B.0",
            "step B1 gv B.1",
            "step B2 sh -c 'nvmev-kv $D get B.2 --out /tmp/b2 && cmp /tmp/b2 /tmp/v4097 "
            "&& echo same'",
            "step B0 kv exists B.0",
            "step BATCH8 kv batch " + " ".join(f"put B8.{i} v{i}" for i in range(8)),
            "step B8LIST kv list --prefix B8.",
            "step BATCH9 kv batch " + " ".join(f"put B9.{i} v" for i in range(9)),
        )
        self.assertEqual(self.keys(r, "ITER"), [k.encode() for k in ikeys])
        self.assertEqual(self.keys(r, "ITERSMALL"), [k.encode() for k in ikeys[10:20]])
        self.assertEqual(self.keys(r, "ITERSTART"), [k.encode() for k in ikeys[35:]])
        self.assertEqual(self.ok(r, "HANDLES"), "done")
        self.ok(r, "BATCH")
        self.assertEqual(self.ok(r, "B1"), "size 3\nvalue=one")
        self.assertEqual(self.ok(r, "B2").split("\n")[-1], "same")
        self.assertEqual(self.step(r, "B0"), ("does not exist", 1))
        self.ok(r, "BATCH8")
        self.assertEqual(self.keys(r, "B8LIST"), [f"B8.{i}".encode() for i in range(8)])
        self.fails(r, "BATCH9", 64, "batch takes 1 to 8 sub-commands")


if __name__ == "__main__":
    unittest.main()
