#!/usr/bin/env python3
"""Boot the nvmev guest under QEMU (TCG) with one NVMe device and run a job.

    python3 scripts/run.py [OPTIONS] (--cmd 'shell command' | --script FILE) [-- QEMU ARGS]
    python3 scripts/run.py [OPTIONS]          # interactive shell on the console

The job's output is streamed to stdout and the runner exits with the job's
exit status (124: timeout; 125: QEMU ended before the job did). The guest
(guest-scripts/build-image.sh) prints `NVMEV-EXIT-STATUS=<rc>` when the job
ends, and `@@NVMEV-HOST:NAME@@` to have the runner run the host hook NAME
(`--hook NAME='command'`, run with bash -c and NVMEV_QMP and NVMEV_QEMU_PID
in its environment);
the runner answers on the serial line with the hook's exit status.

Python standard library only.
"""

import argparse
import ctypes
import gzip
import json
import os
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_QEMU = os.path.join(REPO, "build", "qemu-system-x86_64")
DEFAULT_GUEST = os.path.join(REPO, "build", "guest")
# Firmware for a q35 -kernel boot (our QEMU tarball ships no blobs):
# bios-256k.bin from Debian's seabios, linuxboot_dma.bin (and the optional
# kvmvapic.bin, whose absence only warns) from qemu-system-data.
FIRMWARE_DIRS = ["/usr/share/seabios", "/usr/share/qemu"]
FIRMWARE_NEEDED = {"bios-256k.bin": "seabios", "linuxboot_dma.bin": "qemu-system-data"}
# tsc=reliable: TCG vCPUs fail the kernel's TSC sync check, which would leave the
# guest on acpi_pm, a clock whose every read is a port I/O exit (tens of us).
# nohz=off: stopping and restarting the tick around each idle period costs
# TCG tens of microseconds, which would show up in every measured latency
# longer than the idle governor's horizon.
KERNEL_CMDLINE = "console=ttyS0 quiet panic=-1 tsc=reliable nohz=off"

EXIT_RE = re.compile(rb"NVMEV-EXIT-STATUS=(\d+)$")
HOOK_RE = re.compile(rb"@@NVMEV-HOST:([A-Za-z0-9_.-]+)@@$")
HOOK_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
SHUTDOWN_GRACE = 10  # seconds QEMU gets to power off after the marker


def die(msg, code=2):
    print(f"nvmev run: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


def parse_size(text, what):
    """'1G', '512M', '4096', '64K' -> bytes."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not m:
        die(f"bad {what} '{text}' (want a number with an optional K/M/G suffix)")
    shift = {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}[m.group(2).upper()]
    value = int(m.group(1)) << shift
    if value <= 0:
        die(f"{what} must be positive")
    return value


def parse_args(argv):
    # Everything after the first bare `--` goes to QEMU untouched.
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser(
        prog="nvmev run",
        description="Boot the nvmev guest under QEMU (TCG) and run a job in it.",
        epilog="Arguments after `--` are passed to QEMU. Exit status: the job's; "
        "124 on timeout; 125 (or QEMU's status) if QEMU ended before the job.")
    p.add_argument("--ssd", default=None, metavar="KIND", help="SSD kind (default nvm)")
    p.add_argument("--preset", metavar="NAME", help="device preset")
    p.add_argument("--size", default=None,
                   help="device capacity, K/M/G suffixes (default 1G; ssd=zns: the "
                   "device's default, at least 4 zones)")
    p.add_argument("--device-opts", metavar="K=V,...", help="appended to the -device option")
    p.add_argument("--memdev-file", metavar="PATH",
                   help="back the device's media with a shared file (memory-backend-file)")
    p.add_argument("--iothread", action="store_true", help="run the device in an iothread")
    p.add_argument("--iothreads", type=int, default=0, metavar="N",
                   help="serve the queues with N iothreads (iothread-vq-mapping, queue "
                   "pairs round robin; the device is then given as JSON)")
    p.add_argument("--iothread-opts", metavar="K=V,...",
                   help="appended to each iothread object, e.g. poll-max-ns=200000")
    p.add_argument("--namespace", action="append", default=[], metavar="K=V,...",
                   help="add an nvmev-ns namespace (repeatable), e.g. ssd=zns,size=256M; "
                   "memdev-file=PATH backs it with a file (docs/namespaces.md)")
    p.add_argument("--net", metavar="SPEC",
                   help="a virtio-net NIC joined to another guest's (docs/nvmeof.md): "
                   "listen=ADDR,ip=IP/PREFIX on one guest and connect=ADDR,ip=IP/PREFIX on "
                   "the other; ADDR is a unix socket path or HOST:PORT (QEMU -netdev stream, "
                   "no root needed); optional mac=MAC")
    p.add_argument("--iommu", nargs="?", const="", default=None, metavar="OPTS",
                   help="an emulated Intel IOMMU in front of the devices: -device "
                   "intel-iommu[,OPTS] before them, and intel_iommu=on iommu=pt on the "
                   "guest kernel command line; needed for vfio-pci and userspace drivers "
                   "in the guest (docs/kernel-bypass.md)")
    p.add_argument("--no-device", action="store_true",
                   help="no NVMe device (e.g. the NVMe-oF host guest of docs/nvmeof.md)")
    p.add_argument("--qmp", metavar="PATH", help="QMP socket path (default: in the temp dir)")
    job = p.add_mutually_exclusive_group()
    job.add_argument("--cmd", metavar="'SHELL COMMAND'", help="job: a shell command")
    job.add_argument("--script", metavar="FILE", help="job: a shell script file")
    p.add_argument("--smp", type=int, default=2, metavar="N", help="guest CPUs (default 2)")
    p.add_argument("--mem", default="1G", metavar="SIZE", help="guest RAM (default 1G)")
    p.add_argument("--timeout", type=float, default=300, metavar="SECONDS",
                   help="kill the guest after this long (default 300)")
    p.add_argument("--hook", action="append", default=[], metavar="NAME='CMD'",
                   help="host command the guest runs with `nvmev-host NAME` (repeatable)")
    p.add_argument("--baseline", choices=["nvme", "virtio-blk"],
                   help="attach QEMU's own device on a null-co drive instead of nvmev")
    p.add_argument("--append", default="", metavar="ARGS", help="extra kernel command line")
    p.add_argument("--accel", default="tcg", choices=["tcg", "kvm"],
                   help="accelerator (default tcg; kvm needs a usable /dev/kvm)")
    p.add_argument("--accel-opts", default="", metavar="K=V,...",
                   help="appended to -accel, e.g. tb-size=64 (MiB of TCG translation "
                        "cache; the soak caps it so QEMU's RSS plateaus)")
    p.add_argument("--qemu", default=DEFAULT_QEMU, metavar="PATH",
                   help="QEMU binary (default build/qemu-system-x86_64)")
    p.add_argument("--guest-dir", default=None, metavar="DIR",
                   help="guest image directory (default build/guest, or "
                   "build/guest-generic with --kernel generic)")
    p.add_argument("--kernel", choices=["cloud", "generic"], default="cloud",
                   help="guest image: Debian's cloud kernel (default) or its generic "
                   "kernel with the F2FS module and tools (build/guest-generic)")
    args = p.parse_args(argv)
    if args.guest_dir is None:
        args.guest_dir = DEFAULT_GUEST if args.kernel == "cloud" else DEFAULT_GUEST + "-generic"
    args.qemu_extra = extra
    if args.iothreads < 0 or (args.iothreads and args.iothread):
        p.error("--iothreads N (N >= 1) replaces --iothread")
    return args


NET_KEYS = ("listen", "connect", "ip", "mac")


def net_args(spec):
    """--net SPEC -> (QEMU options, kernel parameter nvmev.ip=...).

    listen=ADDR or connect=ADDR (exactly one), ip=A.B.C.D/PREFIX, optional
    mac=52:54:..; ADDR is a unix socket path or HOST:PORT. The listening side
    is a -netdev stream server; the connecting side retries every 100 ms until
    the server is there, so the two QEMUs may start in either order."""
    def bad(why):
        die(f"bad --net '{spec}': {why} (want listen=ADDR,ip=IP/PREFIX or "
            "connect=ADDR,ip=IP/PREFIX; ADDR a unix socket path or HOST:PORT)")
    kv = {}
    for item in spec.split(","):
        k, sep, v = item.partition("=")
        if not sep or not v:
            bad(f"'{item}' is not KEY=VALUE")
        if k not in NET_KEYS:
            bad(f"unknown key '{k}' (keys: {', '.join(NET_KEYS)})")
        if k in kv:
            bad(f"'{k}' given twice")
        kv[k] = v
    modes = [k for k in ("listen", "connect") if k in kv]
    if len(modes) != 1:
        bad("give exactly one of listen= and connect=")
    mode = modes[0]
    addr = kv[mode]
    if "ip" not in kv:
        bad("ip= is missing")
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)\.(\d+)/(\d+)", kv["ip"])
    if not m or any(int(x) > 255 for x in m.groups()[:4]) or not 8 <= int(m.group(5)) <= 30:
        bad(f"ip '{kv['ip']}' is not an IPv4 address with a prefix length 8..30, "
            "e.g. 10.0.0.1/24")
    octets = [int(x) for x in m.groups()[:4]]
    mac = kv.get("mac", "52:54:00:%02x:%02x:%02x" % tuple(octets[1:]))
    if not re.fullmatch(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}", mac) or int(mac[:2], 16) & 1:
        bad(f"mac '{mac}' is not a unicast MAC address")
    tcp = re.fullmatch(r"([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d+)", addr)
    if tcp and "/" not in addr:
        port = int(tcp.group(2))
        if not 0 < port < 65536:
            bad(f"port {port} out of range")
        where = f"addr.type=inet,addr.host={tcp.group(1).strip('[]')},addr.port={port}"
    else:
        if "," in addr:
            bad("a socket path cannot contain ','")
        path = os.path.abspath(addr)
        if len(path.encode()) > 107:
            bad(f"socket path {path} is longer than 107 bytes")
        if not os.path.isdir(os.path.dirname(path)):
            bad(f"directory {os.path.dirname(path)} does not exist")
        if mode == "listen" and os.path.exists(path):
            if not stat.S_ISSOCK(os.lstat(path).st_mode):
                bad(f"{path} exists and is not a socket")
            os.unlink(path)  # a stale socket of an earlier run
        where = f"addr.type=unix,addr.path={path}"
    netdev = (f"stream,id=net0,{where}," +
              ("server=on" if mode == "listen" else "server=off,reconnect-ms=100"))
    return (["-netdev", netdev, "-device", f"virtio-net-pci,netdev=net0,mac={mac},romfile="],
            f"nvmev.ip={kv['ip']}")


ZNS_PRESET_ZONE_SIZE = {"wd-zn540": 2 << 30, "zns-prototype": 32 << 20}


def device_opt(args, name):
    """The value of NAME=... in --device-opts, or None."""
    for kv in (args.device_opts or "").split(","):
        k, _, v = kv.partition("=")
        if k == name:
            return v
    return None


def zns_zone_size(args):
    v = device_opt(args, "zone-size")
    return parse_size(v, "zone-size") if v else ZNS_PRESET_ZONE_SIZE[args.preset or "wd-zn540"]


# The drive state area a memdev keeps for the namespace state and Write
# Uncorrectable marks (hw-nvmev/core/drive_state.cc, docs/persistence.md): a
# header page and two slots of a 64-byte slot header, 14 bytes of namespace
# state, a range count and 16384 ranges of 16 bytes, in whole 4 KiB pages.
STATE_AREA_BYTES = 4096 + 2 * ((64 + 14 + 8 + 16384 * 16 + 4095) // 4096 * 4096)


def zns_metadata_bytes(args, size):
    """The metadata the device keeps after SIZE bytes of data in a memdev (the
    layout in hw-nvmev/core/zone_metadata.cc): the drive state area, then a
    header page, 32-byte zone records and the zone descriptor extensions, each
    in whole 4 KiB pages."""
    zones = size // zns_zone_size(args)
    ext = device_opt(args, "zone-extension-size")
    ext = parse_size(ext, "zone-extension-size") if ext else 0
    page = lambda n: (n + 4095) // 4096 * 4096  # noqa: E731
    return STATE_AREA_BYTES + 4096 + page(zones * 32) + page(zones * ext)


def grow_pre_state_area_file(path, ssd, size, backend):
    """An ssd=nvm file of exactly SIZE bytes was written before the drive
    state area (docs/persistence.md): QEMU refuses a file smaller than its
    backend, so grow it with zeros to BACKEND; the area then formats in the
    new space and the data keeps its offsets and SIZE."""
    if ssd not in (None, "", "nvm") or backend == size:
        return
    if os.path.isfile(path) and os.path.getsize(path) == size:
        print(f"run.py: {path}: {size} bytes, written before the drive state area; growing it "
              f"to {backend} bytes (docs/persistence.md)", file=sys.stderr)
        os.truncate(path, backend)


def file_metadata_bytes(args, ssd, size):
    """Bytes a memdev file holds beyond SIZE bytes of data, so the namespace
    gets SIZE: ssd=zns its zone metadata, ssd=nvm its drive state area.
    ssd=conv's area (sized by the geometry) and ssd=kv's key records come
    out of SIZE (docs/persistence.md)."""
    if ssd == "zns":
        return zns_metadata_bytes(args, size)
    return STATE_AREA_BYTES if ssd in (None, "", "nvm") else 0


IOMMU_KERNEL_FLAGS = "intel_iommu=on iommu=pt"


def iommu_args(args):
    """(QEMU options, kernel flags) for --iommu; refuses an IOMMU the guest
    would not use or the device under test would bypass."""
    given = [v for k, v in zip(args.qemu_extra, args.qemu_extra[1:])
             if k in ("-device", "--device") and re.match(r"(\{.*\"driver\" *: *\")?intel-iommu\b", v)]
    if given:
        die("-device intel-iommu after `--` comes after the device under test, whose DMA "
            "would then bypass it, and the guest kernel also needs intel_iommu=on: use "
            "--iommu (or --iommu OPTS for -device intel-iommu,OPTS), which adds both")
    if args.iommu is None:
        return [], ""
    if re.search(r"(^|\s)intel_iommu=off\b", args.append):
        die("--iommu adds -device intel-iommu, but --append has intel_iommu=off: the guest "
            f"would ignore the IOMMU; drop it (--iommu adds {IOMMU_KERNEL_FLAGS})")
    # intremap's default (auto) is on under TCG and off under KVM's in-kernel
    # irqchip, so neither accelerator needs kernel-irqchip=split.
    dev = "intel-iommu" + (f",{args.iommu}" if args.iommu else "")
    return ["-device", dev], IOMMU_KERNEL_FLAGS


def device_args(args):
    """QEMU options for the device under test; returns (options, kernel wait item)."""
    size = parse_size(args.size or "1G", "--size")
    if args.no_device:
        for opt, val in (("--ssd", args.ssd), ("--preset", args.preset), ("--baseline", args.baseline),
                         ("--memdev-file", args.memdev_file), ("--device-opts", args.device_opts),
                         ("--namespace", args.namespace or None)):
            if val is not None:
                die(f"{opt} does not apply to --no-device")
        return [], None
    if args.baseline:
        for opt, val in (("--ssd", args.ssd), ("--preset", args.preset),
                         ("--memdev-file", args.memdev_file)):
            if val is not None:
                die(f"{opt} does not apply to --baseline {args.baseline}")
        opts = ["-drive", f"if=none,id=nullblk0,driver=null-co,size={size},read-zeroes=on"]
        if args.baseline == "nvme":
            if args.iothread:
                die("--iothread does not apply to --baseline nvme")
            dev, wait = "nvme,drive=nullblk0,serial=baseline0", "nvme0"
        else:
            dev, wait = "virtio-blk-pci,drive=nullblk0", "/dev/vda"
            if args.iothread:
                opts += ["-object", iothread_object(args)]
                dev += ",iothread=nvmev-io0"
        if args.device_opts:
            dev += "," + args.device_opts
        return opts + ["-device", dev], wait

    opts = []
    dev = f"nvmev,id=nvme0,ssd={args.ssd or 'nvm'}"
    if args.preset:
        dev += f",preset={args.preset}"
    zoned = args.ssd == "zns"
    if zoned and args.size is None:
        size = max(1 << 30, 4 * zns_zone_size(args))
    if args.memdev_file:
        # ssd=zns and nvm keep their metadata after the data in the same file.
        backend = size + file_metadata_bytes(args, args.ssd, size)
        grow_pre_state_area_file(args.memdev_file, args.ssd, size, backend)
        opts += ["-object", "memory-backend-file,id=nvmev-mem0,"
                 f"mem-path={args.memdev_file},size={backend},share=on"]
        dev += ",memdev=nvmev-mem0"
    elif not zoned or args.size is not None:
        dev += f",size={size}"
    if args.iothread:
        opts += ["-object", iothread_object(args)]
        dev += ",iothread=nvmev-io0"
    if args.device_opts:
        dev += "," + args.device_opts
    if args.iothreads:
        opts += [o for i in range(args.iothreads) for o in ("-object", iothread_object(args, i))]
        dev = device_json(dev, {"iothread-vq-mapping": [
            {"iothread": f"nvmev-io{i}"} for i in range(args.iothreads)]})
    return opts + ["-device", dev] + namespace_args(args), "nvme0"


def iothread_object(args, i=0):
    return f"iothread,id=nvmev-io{i}" + (f",{args.iothread_opts}" if args.iothread_opts else "")


def device_json(dev, extra):
    """A -device string "driver,k=v,..." as JSON (list properties need it),
    which takes typed values: numbers as numbers, on/off as booleans except
    for the on/off/auto property early-completion."""
    driver, *kvs = dev.split(",")
    obj = {"driver": driver}
    for kv in kvs:
        k, _, v = kv.partition("=")
        if re.fullmatch(r"-?\d+", v):
            obj[k] = int(v)
        elif v in ("on", "off", "true", "false") and k != "early-completion":
            obj[k] = v in ("on", "true")
        else:
            obj[k] = v
    obj.update(extra)
    return json.dumps(obj)


def namespace_args(args):
    """-object/-device options for each --namespace: an nvmev-ns on nvme0's
    bus; memdev-file=PATH becomes a file backend holding the data and, for
    ssd=zns and nvm, the metadata after it (file_metadata_bytes)."""
    out = []
    for i, spec in enumerate(args.namespace):
        kv = dict(item.partition("=")[::2] for item in spec.split(",") if item)
        path = kv.pop("memdev-file", None)
        if path:
            if "size" not in kv:
                die(f"--namespace {spec}: memdev-file needs size=")
            size = parse_size(kv.pop("size"), "--namespace size")
            ns = argparse.Namespace(
                device_opts=",".join(f"{k}={v}" for k, v in kv.items()),
                preset=kv.get("preset"))
            backend = size + file_metadata_bytes(ns, kv.get("ssd"), size)
            grow_pre_state_area_file(path, kv.get("ssd"), size, backend)
            size = backend
            out += ["-object", f"memory-backend-file,id=nvmev-ns-mem{i},"
                    f"mem-path={path},size={size},share=on"]
            kv["memdev"] = f"nvmev-ns-mem{i}"
        out += ["-device", "nvmev-ns,bus=nvme0," + ",".join(f"{k}={v}" for k, v in kv.items())]
    return out


def job_initrd(base, body, tmp):
    """The base initramfs with /nvmev/job.sh appended as a second (gzipped)
    newc archive; the kernel unpacks concatenated archives in order. Gzipping
    it avoids the kernel's 4-byte alignment rule for uncompressed members."""
    if not body.endswith("\n"):
        body += "\n"
    root = os.path.join(tmp, "job-root")
    os.makedirs(os.path.join(root, "nvmev"))
    with open(os.path.join(root, "nvmev", "job.sh"), "w") as f:
        f.write(body)
    os.chmod(os.path.join(root, "nvmev", "job.sh"), 0o755)
    archive = subprocess.run(["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"],
                             input=b"nvmev\nnvmev/job.sh\n", cwd=root,
                             capture_output=True, check=True).stdout
    path = os.path.join(tmp, "initrd.img")
    with open(path, "wb") as out:
        with open(base, "rb") as f:
            shutil.copyfileobj(f, out)
        out.write(gzip.compress(archive, mtime=0))
    return path


def die_with_parent():
    """Child side: get SIGKILL if the runner dies, so no QEMU is left behind."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Output:
    """Guest console to our stdout, line by line, minus the protocol lines."""

    def __init__(self):
        self.partial = b""
        self.out = sys.stdout.buffer

    def write(self, line):
        try:
            self.out.write(line + b"\n")
            self.out.flush()
        except (BrokenPipeError, ValueError):
            pass  # nobody reads our stdout any more; keep running the job

    @staticmethod
    def clean(line):
        # Drop the tty's \r of \r\n; for progress lines redrawn with \r keep
        # what a terminal would finally show (the last non-empty segment).
        line = line.rstrip(b"\r")
        if b"\r" in line:
            parts = [s for s in line.split(b"\r") if s.strip()]
            line = parts[-1] if parts else b""
        return line

    def feed(self, data):
        """Returns the protocol events in data: ("exit", rc) / ("hook", name)."""
        self.partial += data
        *lines, self.partial = self.partial.split(b"\n")
        events = []
        for raw in lines:
            line = self.clean(raw)
            # A marker may follow output that lacked its newline: print that.
            m = EXIT_RE.search(line) or HOOK_RE.search(line)
            if m:
                if line[:m.start()].strip():
                    self.write(line[:m.start()])
                if m.re is EXIT_RE:
                    events.append(("exit", int(m.group(1))))
                else:
                    events.append(("hook", m.group(1).decode()))
            else:
                self.write(line)
        return events

    def flush_partial(self):
        if self.partial:
            self.write(self.clean(self.partial))
            self.partial = b""


def run_job(cmd, args, hooks, qmp_path):
    """Runs QEMU with the job; returns the runner's exit status."""
    start = time.monotonic()
    deadline = start + args.timeout
    qemu = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            start_new_session=True,  # ^C reaches us, not QEMU
                            preexec_fn=die_with_parent)
    # The pid lets a hook look at QEMU's threads (bench: CPU time per thread).
    env = dict(os.environ, NVMEV_QMP=qmp_path, NVMEV_QEMU_PID=str(qemu.pid))
    out = Output()
    fd = qemu.stdout.fileno()
    os.set_blocking(fd, False)
    pending = []        # hook names waiting their turn
    hook = None         # (name, Popen) of the running hook
    status = None       # the job's exit status, once the marker came
    eof = False

    def answer(rc):
        try:
            qemu.stdin.write(b"%d\n" % rc)
            qemu.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    try:
        while True:
            now = time.monotonic()
            if status is not None:
                break
            if now >= deadline:
                out.flush_partial()
                print(f"nvmev run: guest did not finish within {args.timeout:g} s (killed)",
                      file=sys.stderr, flush=True)
                return 124
            # Start the next hook; its output goes straight to our stdout.
            if hook is None and pending:
                name = pending.pop(0)
                if name not in hooks:
                    print(f"nvmev run: the guest asked for unknown hook '{name}' "
                          f"(known: {', '.join(sorted(hooks)) or 'none'})",
                          file=sys.stderr, flush=True)
                    answer(127)
                    continue
                sys.stdout.flush()
                # Own session: on timeout we kill the hook's whole group.
                hook = (name, subprocess.Popen(["bash", "-c", hooks[name]], env=env,
                                               stdin=subprocess.DEVNULL,
                                               start_new_session=True))
            if hook is not None and hook[1].poll() is not None:
                rc = hook[1].returncode
                answer(rc if rc >= 0 else 128 - rc)  # killed by a signal: 128+N
                hook = None
                continue
            if eof:
                if hook is None and not pending:
                    break
                time.sleep(0.05)
                continue
            # Keep draining the console while a hook runs: a blocked serial
            # could stall QEMU's main loop and with it the hook's QMP calls.
            wait = min(deadline - now, 0.05 if hook else 1.0)
            ready, _, _ = select.select([fd], [], [], max(wait, 0))
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not data:
                eof = True
                continue
            for kind, value in out.feed(data):
                if kind == "exit":
                    status = value
                    break
                pending.append(value)

        if status is None:  # QEMU closed its output before the job ended
            out.flush_partial()
            try:
                rc = qemu.wait(timeout=SHUTDOWN_GRACE)
            except subprocess.TimeoutExpired:
                qemu.kill()
                rc = qemu.wait()
            if rc < 0:
                rc = 128 - rc
            print(f"nvmev run: QEMU ended (status {rc}) before the guest job finished; "
                  "its messages, if any, are above", file=sys.stderr, flush=True)
            return rc if rc != 0 else 125

        # The job is done: let the guest power off, then drain what is left.
        end = time.monotonic() + SHUTDOWN_GRACE
        while qemu.poll() is None and time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    if not os.read(fd, 65536):
                        break
                except BlockingIOError:
                    pass
        try:
            qemu.wait(timeout=max(end - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            print("nvmev run: guest did not power off; killed QEMU", file=sys.stderr, flush=True)
        return status
    finally:
        if hook is not None and hook[1].poll() is None:
            try:
                os.killpg(hook[1].pid, signal.SIGKILL)
            except OSError:
                pass
            hook[1].wait()
        if qemu.poll() is None:
            qemu.kill()
        qemu.wait()
        for f in (qemu.stdin, qemu.stdout):
            try:
                f.close()
            except OSError:
                pass


def main(argv):
    args = parse_args(argv)
    hooks = {}
    for h in args.hook:
        name, sep, command = h.partition("=")
        if not sep or not HOOK_NAME_RE.match(name):
            die(f"bad --hook '{h}' (want NAME='host command', NAME of letters, digits, _ . -)")
        hooks[name] = command
    if args.smp < 1:
        die("--smp must be at least 1")
    mem_mib = max(parse_size(args.mem, "--mem") >> 20, 1)
    net = net_args(args.net) if args.net else None  # a bad spec fails before anything runs
    iommu_opts, iommu_flags = iommu_args(args)

    kernel = os.path.join(args.guest_dir, "vmlinuz")
    initramfs = os.path.join(args.guest_dir, "initramfs.cpio.gz")
    for f in (kernel, initramfs):
        if not os.path.isfile(f):
            die(f"{f} not found: build the guest first (./nvmev build)")
    if not (os.path.isfile(args.qemu) and os.access(args.qemu, os.X_OK)):
        die(f"QEMU binary {args.qemu} not found (./nvmev build, or --qemu PATH)")

    # Without linuxboot_dma.bin QEMU starts but the guest never boots: say so
    # now rather than after the timeout.
    search = FIRMWARE_DIRS + [os.path.join(os.path.dirname(os.path.abspath(args.qemu)), "pc-bios")]
    for blob, pkg in FIRMWARE_NEEDED.items():
        if not any(os.path.exists(os.path.join(d, blob)) for d in search):
            die(f"firmware {blob} not found in {', '.join(FIRMWARE_DIRS)} "
                f"(install Debian's {pkg}: ./nvmev setup)")

    body = None
    if args.cmd is not None:
        body = args.cmd
    elif args.script is not None:
        try:
            with open(args.script) as f:
                body = f.read()
        except OSError as e:
            die(f"cannot read --script: {e}")

    tmp = tempfile.mkdtemp(prefix="nvmev-run.")
    try:
        qmp_path = os.path.abspath(args.qmp) if args.qmp else os.path.join(tmp, "qmp.sock")
        dev_opts, wait_item = device_args(args)
        # The IOMMU first: a PCI device realized before it is not behind it.
        dev_opts = iommu_opts + dev_opts
        append = KERNEL_CMDLINE + (f" nvmev.wait={wait_item}" if wait_item else "")
        if iommu_flags:
            append += " " + iommu_flags
        if net:
            dev_opts += net[0]
            append += " " + net[1]
        append = f"{append} {args.append}".strip()
        # debug-threads=on names QEMU's threads ("CPU 0/TCG", "IO nvmev-io0"),
        # which is how the bench tells device threads from vCPUs.
        cmd = [args.qemu, "-name", "nvmev-guest,debug-threads=on",
               "-machine", "q35", "-accel",
               args.accel + (f",{args.accel_opts}" if args.accel_opts else ""), "-nodefaults", "-no-user-config",
               "-display", "none", "-no-reboot", "-m", f"{mem_mib}M", "-smp", str(args.smp)]
        for d in FIRMWARE_DIRS:
            cmd += ["-L", d]
        cmd += ["-kernel", kernel, "-append", append,
                "-qmp", f"unix:{qmp_path},server=on,wait=off"]
        cmd += dev_opts

        if body is None:
            # Interactive: QEMU owns the terminal (Ctrl-A X quits, Ctrl-A C
            # is the monitor). Not exec'd, so that the temp dir is removed.
            cmd += ["-initrd", initramfs, "-serial", "mon:stdio"] + args.qemu_extra
            print(f"nvmev run: interactive guest; QMP socket {qmp_path}; Ctrl-A X quits",
                  file=sys.stderr, flush=True)
            old = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                rc = subprocess.call(cmd, preexec_fn=die_with_parent)
            finally:
                signal.signal(signal.SIGINT, old)
            return rc if rc >= 0 else 128 - rc

        cmd += ["-initrd", job_initrd(initramfs, body, tmp),
                "-chardev", "stdio,id=ser0,signal=off", "-serial", "chardev:ser0"]
        cmd += args.qemu_extra
        if os.environ.get("NVMEV_RUN_DEBUG"):
            print("nvmev run: " + " ".join(cmd), file=sys.stderr, flush=True)
        return run_job(cmd, args, hooks, qmp_path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if args.qmp:  # QEMU leaves its socket behind
            try:
                if stat.S_ISSOCK(os.lstat(args.qmp).st_mode):
                    os.unlink(args.qmp)
            except OSError:
                pass


def on_signal(signum, _frame):
    # Turn SIGTERM/SIGHUP into SystemExit so the finally blocks kill QEMU
    # and remove the temp dir.
    sys.exit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("nvmev run: interrupted", file=sys.stderr, flush=True)
        sys.exit(130)
