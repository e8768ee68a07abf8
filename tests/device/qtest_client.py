"""A minimal client for QEMU's qtest protocol (docs/devel/testing/qtest.rst).

Starts QEMU with the qtest accelerator, so the virtual clock only moves when
the test steps it: device timing is then exact and deterministic.
"""

import json
import os
import socket
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QEMU = os.environ.get("NVMEV_QEMU", os.path.join(ROOT, "build", "qemu-system-x86_64"))
FIRMWARE = ["-L", "/usr/share/seabios", "-L", "/usr/share/qemu"]

PCI_SLOT = 4
BAR0 = 0xFE000000
# The drive state area a memdev of ssd=nvm or zns keeps (namespace state
# and Write Uncorrectable marks, docs/persistence.md): a header page and two
# slots of 65 pages. ssd=kv's has no marks: a header page and two 1-page slots.
STATE_AREA = 4096 + 2 * 266240
KV_STATE_AREA = 3 * 4096


def device_arg(opts):
    if isinstance(opts, dict):
        return json.dumps({"driver": "nvmev", "id": "nvme0",
                           "addr": f"{PCI_SLOT:02x}.0", **opts})
    return f"nvmev,id=nvme0,addr={PCI_SLOT:02x}.0,{opts}"


def find_cap(read_cfg, cap_id):
    """Offset of a PCI capability in a function's configuration space;
    read_cfg(reg) reads a dword (QTest.cfg_readl, or a port's reader)."""
    ptr = read_cfg(0x34) & 0xFC
    while ptr:
        dword = read_cfg(ptr)
        if dword & 0xFF == cap_id:
            return ptr
        ptr = (dword >> 8) & 0xFC
    raise AssertionError(f"no capability 0x{cap_id:02x}")


class QTest:
    def __init__(self, device_opts, extra_args=(), pre_args=()):
        """device_opts: nvmev's properties as "key=value,..." or, for list
        properties such as iothread-vq-mapping, a dict (JSON -device).
        pre_args come before the device (what it links to, e.g. an
        nvmev-subsys device), extra_args after it."""
        self.dir = tempfile.mkdtemp(prefix="nvmev-qtest-")
        qtest_path = os.path.join(self.dir, "qtest.sock")
        qmp_path = os.path.join(self.dir, "qmp.sock")
        self.qtest_srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.qtest_srv.bind(qtest_path)
        self.qtest_srv.listen(1)
        self.qmp_srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.qmp_srv.bind(qmp_path)
        self.qmp_srv.listen(1)
        args = [QEMU, "-machine", "q35", "-accel", "qtest", "-nodefaults",
                "-display", "none", "-m", "128M", *FIRMWARE,
                "-qtest", f"unix:{qtest_path}", "-qmp", f"unix:{qmp_path}",
                *pre_args, "-device", device_arg(device_opts),
                *extra_args]
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(self.stderr_path, "w"))
        self.qtest_srv.settimeout(30)
        self.qmp_srv.settimeout(30)
        self.sock, _ = self.qtest_srv.accept()
        self.sock.settimeout(30)
        self.buf = b""
        qmp, _ = self.qmp_srv.accept()
        qmp.settimeout(30)
        self.qmp_file = qmp.makefile("rw")
        json.loads(self.qmp_file.readline())  # greeting
        self.qmp("qmp_capabilities")

    # ---- protocol ----
    def cmd(self, line, allow_fail=False):
        self.sock.sendall((line + "\n").encode())
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise RuntimeError("QEMU closed the qtest socket:\n" + self.stderr())
                self.buf += chunk
            reply, self.buf = self.buf.split(b"\n", 1)
            reply = reply.decode()
            if reply.startswith("IRQ"):
                continue
            if allow_fail and reply.startswith("FAIL"):
                return reply[5:].strip()
            if not reply.startswith("OK"):
                raise RuntimeError(f"qtest: {line!r} -> {reply!r}")
            return reply[3:].strip()

    def qmp(self, command, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self.qmp_file.write(json.dumps(msg) + "\n")
        self.qmp_file.flush()
        while True:
            reply = json.loads(self.qmp_file.readline())
            if "event" in reply:
                continue
            if "error" in reply:
                raise RuntimeError(reply["error"]["desc"])
            return reply["return"]

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def close(self):
        for s in (self.sock, self.qmp_file, self.qtest_srv, self.qmp_srv):
            try:
                s.close()
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    # ---- memory, I/O and clock ----
    def writel(self, addr, val): self.cmd(f"writel 0x{addr:x} 0x{val:x}")
    def writeq(self, addr, val): self.cmd(f"writeq 0x{addr:x} 0x{val:x}")
    def writeb(self, addr, val): self.cmd(f"writeb 0x{addr:x} 0x{val:x}")
    def readl(self, addr): return int(self.cmd(f"readl 0x{addr:x}"), 16)
    def readq(self, addr): return int(self.cmd(f"readq 0x{addr:x}"), 16)
    def outl(self, port, val): self.cmd(f"outl 0x{port:x} 0x{val:x}")
    def inl(self, port): return int(self.cmd(f"inl 0x{port:x}"), 16)

    def memwrite(self, addr, data):
        if data:
            self.cmd(f"write 0x{addr:x} {len(data)} 0x{data.hex()}")

    def memread(self, addr, size):
        return bytes.fromhex(self.cmd(f"read 0x{addr:x} {size}")[2:])

    def clock_step(self, ns):
        return int(self.cmd(f"clock_step {ns}"))

    def clock_now(self):
        # clock_set never moves time backwards: setting 0 just reads it (the
        # reply is "FAIL <now>" once the clock has moved).
        return int(self.cmd("clock_set 0", allow_fail=True))

    # ---- PCI configuration space (mechanism #1) ----
    def cfg_addr(self, reg, slot=PCI_SLOT):
        return 0x80000000 | (slot << 11) | (reg & 0xFC)

    def _cfg_addr(self, reg, slot):
        # The default slot goes through cfg_addr(reg), which a test may
        # replace (a device behind a root port: tests/device/test_resets_qtest.py).
        return self.cfg_addr(reg) if slot == PCI_SLOT else self.cfg_addr(reg, slot)

    def cfg_readl(self, reg, slot=PCI_SLOT):
        self.outl(0xCF8, self._cfg_addr(reg, slot))
        return self.inl(0xCFC)

    def cfg_writel(self, reg, val, slot=PCI_SLOT):
        self.outl(0xCF8, self._cfg_addr(reg, slot))
        self.outl(0xCFC, val)

    def map_bar0(self, slot=PCI_SLOT, bar0=BAR0):
        """BAR 0 of the device in `slot` at `bar0` (another device: another
        slot and address)."""
        self.cfg_writel(0x10, bar0 & 0xFFFFFFFF, slot)
        self.cfg_writel(0x14, 0, slot)
        self.cfg_writel(0x04, self.cfg_readl(0x04, slot) | 0x6, slot)  # memory + bus master
