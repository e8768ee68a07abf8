"""Helpers for guest end-to-end tests: boot the guest with scripts/run.py and
read what the job printed.

Every run_guest() also checks the guest kernel log: after the job, the
guest prints its warning-or-worse kernel messages (section KERNEL-WARNINGS), and a
message about NVMe, block devices or zones fails the test (KernelLogError)
unless KERNEL_LOG_ALLOW or the caller's allow list excuses it."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = [os.environ.get("PYTHON", "python3"), os.path.join(ROOT, "scripts", "run.py")]


# Kernel messages at warning level or worse that are about the device under
# test: the storage stack the emulated SSD drives.
KERNEL_LOG_RELEVANT = re.compile(r"nvme|blk|block|zone|zoned|I/O error|nvmev", re.I)
# Unavoidable messages that are not the device's fault, each with its reason.
# (regex, why it is allowed). Keep it short; prefer fixing the device.
KERNEL_LOG_ALLOW = [
]
# After the job: its status is kept, the kernel's warnings and worse
# (raw format "<level>[time] text", kernel facility 0, so level = number)
# are printed, then the job's status is returned.
_KERNEL_WARNINGS_TAIL = ('\n); __nvmev_rc=$?\n'
                         'echo ==KERNEL-WARNINGS==; dmesg -r | grep -E "^<[0-4]>"\n'
                         'echo ==END KERNEL-WARNINGS==\n'
                         'exit $__nvmev_rc\n')


class KernelLogError(AssertionError):
    pass


class GuestRun:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def section(self, name):
        """Text the job printed between '==NAME==' and '==END NAME=='."""
        m = re.search(rf"^=={re.escape(name)}==\n(.*?)^==END {re.escape(name)}==$",
                      self.out, re.S | re.M)
        if not m:
            raise AssertionError(f"no section {name} in guest output:\n{self.out}\n{self.err}")
        return m.group(1)

    def json(self, name):
        """The section as JSON, after any warning lines a tool printed first
        (fio: "multiple writers may overwrite blocks ...")."""
        text = self.section(name)
        m = re.search(r"^[\[{]", text, re.M)
        return json.loads(text[m.start():] if m else text)

    def kernel_warnings(self, allow=()):
        """The job's kernel messages at warning level or worse about NVMe,
        block devices or zones, minus the allowed ones; None if the guest
        printed no KERNEL-WARNINGS section (it timed out or QEMU ended)."""
        m = re.search(r"^==KERNEL-WARNINGS==\n(.*?)^==END KERNEL-WARNINGS==$", self.out,
                      re.S | re.M)
        if not m:
            return None
        patterns = [re.compile(p) for p, _why in KERNEL_LOG_ALLOW] + [re.compile(p) for p in allow]
        return [line for line in m.group(1).splitlines()
                if KERNEL_LOG_RELEVANT.search(line) and not any(p.search(line) for p in patterns)]


def run_guest(cmd, *args, timeout=600, kernel_log_allow=()):
    """Boots the guest, runs the shell command `cmd` and checks the kernel
    log (KernelLogError: warnings about the device, unless a regex of
    kernel_log_allow matches them: for tests that provoke them on purpose).
    Arguments from a bare "--" on go to QEMU, so they stay last."""
    return finish_guest(start_guest(cmd, *args, timeout=timeout), timeout, kernel_log_allow)


def start_guest(cmd, *args, timeout=600):
    """Starts a guest as run_guest() does but returns at once with the
    runner's Popen: for several guests at a time (tests/guest/test_nvmeof.py).
    finish_guest() waits for it and checks its kernel log."""
    job = "(\n" + cmd + _KERNEL_WARNINGS_TAIL
    args = list(args)
    cut = args.index("--") if "--" in args else len(args)
    return subprocess.Popen([*RUN, *args[:cut], "--timeout", str(timeout - 30), "--cmd", job,
                             *args[cut:]],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish_guest(proc, timeout=600, kernel_log_allow=()):
    """Waits for a start_guest() runner (killing it after `timeout` s) and
    returns its GuestRun; KernelLogError as in run_guest()."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()  # the runner's QEMU dies with it (PR_SET_PDEATHSIG)
        proc.communicate()
        raise
    r = GuestRun(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    bad = r.kernel_warnings(kernel_log_allow)
    if bad:
        raise KernelLogError("the guest kernel logged warnings about the device:\n  " +
                             "\n  ".join(bad) + f"\n--- job output (rc {r.rc}) ---\n" +
                             r.out[-4000:] + r.err[-2000:])
    return r


class GuestPair:
    """Two guests joined by a network (scripts/run.py --net, QEMU -netdev
    stream over a unix socket): a target A and a host B, run at the same
    time, meeting through host hooks on two FIFOs, so that neither waits
    on a timer:

      A's job: `nvmev-host exported` once it serves (the hook saves A's
      query-nvmev as before.json, then writes FIFO go: it returns when B
      has read it), later `nvmev-host finished` (returns when B wrote FIFO
      done, then saves query-nvmev as after.json).
      B's job: `nvmev-host target` (waits for go), its I/O, then
      `nvmev-host done` (writes done).

    The jobs may repeat the pairs for further rounds (A: exported, then
    finished again; B: target, then done again; the snapshots are then
    those of the last round): tests/guest/test_hybrid_drive.py.

    If one guest fails, the other is killed and the FIFOs are released.
    run() returns (A's GuestRun, B's GuestRun); before()/after() A's device
    list from query-nvmev at those two points."""

    QMP = f"python3 {ROOT}/scripts/qmp.py"

    def __init__(self, target_ip="10.0.0.1", host_ip="10.0.0.2"):
        self.tmp = tempfile.mkdtemp(prefix="nvmev-pair.")
        self.sock = os.path.join(self.tmp, "net.sock")
        self.go = os.path.join(self.tmp, "go")
        self.done = os.path.join(self.tmp, "done")
        os.mkfifo(self.go)
        os.mkfifo(self.done)
        self.before_path = os.path.join(self.tmp, "before.json")
        self.after_path = os.path.join(self.tmp, "after.json")
        self.target_ip, self.host_ip = target_ip, host_ip

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def target_args(self):
        q = f"{self.QMP} \"$NVMEV_QMP\" query-nvmev"
        return ["--net", f"listen={self.sock},ip={self.target_ip}/24",
                "--hook", f"exported={q} > {self.before_path} && echo go > {self.go}",
                "--hook", f"finished=cat {self.done} > /dev/null && {q} > {self.after_path}"]

    def host_args(self):
        return ["--net", f"connect={self.sock},ip={self.host_ip}/24",
                "--hook", f"target=cat {self.go} > /dev/null",
                "--hook", f"done=echo done > {self.done}"]

    def _release(self):
        # Opening a FIFO read-write never blocks, and it releases a hook
        # blocked opening it: a guest that failed does not hang the other.
        for f in (self.go, self.done):
            os.close(os.open(f, os.O_RDWR | os.O_NONBLOCK))

    def run(self, target_job, target_args, host_job, host_args, timeout=1200,
            kernel_log_allow=()):
        a = start_guest(target_job, *target_args, *self.target_args(), timeout=timeout)
        b = start_guest(host_job, *host_args, *self.host_args(), timeout=timeout)
        results, errors = {}, {}

        def wait(name, proc, other):
            try:
                results[name] = finish_guest(proc, timeout, kernel_log_allow)
                ok = results[name].rc == 0
            except Exception as e:  # noqa: BLE001 - raised below
                errors[name] = e
                ok = False
            if not ok and other.poll() is None:
                other.kill()
            self._release()

        threads = [threading.Thread(target=wait, args=("A", a, b)),
                   threading.Thread(target=wait, args=("B", b, a))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for name in ("A", "B"):
            if name in errors and not isinstance(errors[name], subprocess.TimeoutExpired):
                raise errors[name]
        for name in ("A", "B"):
            if name in errors:
                raise errors[name]
        ra, rb = results["A"], results["B"]
        if ra.rc != 0 or rb.rc != 0:
            raise AssertionError(
                f"guest A (target) ended with {ra.rc}, guest B (host) with {rb.rc}\n"
                f"--- A ---\n{ra.out[-6000:]}\n{ra.err[-2000:]}\n"
                f"--- B ---\n{rb.out[-6000:]}\n{rb.err[-2000:]}")
        return ra, rb

    def before(self):
        with open(self.before_path) as f:
            return json.load(f)

    def after(self):
        with open(self.after_path) as f:
            return json.load(f)


def fio_job(name, dev="/dev/nvme0n1", section=None, **opts):
    """A fio command line (job NAME on DEV, direct I/O) whose JSON output is
    printed as section SECTION (default NAME). A verify pass of an earlier
    job keeps its NAME and options and takes another SECTION."""
    section = section or name
    args = " ".join(f"--{k}={v}" for k, v in opts.items())
    return (f"fio --name={name} --filename={dev} --direct=1 {args} "
            f"--output-format=json --output=/tmp/{section}.json && "
            f"echo =={section}== && cat /tmp/{section}.json && echo ==END {section}==")


# Shell for guest jobs: `step NAME CMD...` prints CMD's output (and errors)
# as section NAME and returns CMD's status.
STEP = r"""
step() { n=$1; shift; echo "==$n=="; "$@" 2>&1; rc=$?; echo "==END $n=="; return $rc; }
"""

# NVMe over TCP (docs/nvmeof.md). The target guest loads these and mounts
# configfs; the host guest loads NVMEOF_HOST.
NVMET_LOAD = ("for m in configfs nvmet nvmet-tcp; do insmod /lib/modules/nvmev/$m.ko; done\n"
              "mount -t configfs configfs /sys/kernel/config\n")
NVMEOF_HOST = "for m in nvme-fabrics nvme-tcp; do insmod /lib/modules/nvmev/$m.ko; done\n"
NVMET_PORT = 4420


def nvmet_export(nqn, ip, devices):
    """Shell that exports the block devices `devices` as namespaces 1, 2, ...
    of subsystem `nqn` (any host may connect) on IP:4420 over TCP through
    nvmet's configfs (after NVMET_LOAD); it leaves $S and $P set to the
    subsystem's and the port's configfs directories."""
    ns = "\n".join(f"mkdir $S/namespaces/{i}\n"
                   f"echo -n {dev} > $S/namespaces/{i}/device_path\n"
                   f"echo 1 > $S/namespaces/{i}/enable"
                   for i, dev in enumerate(devices, 1))
    return f"""
T=/sys/kernel/config/nvmet
S=$T/subsystems/{nqn}
mkdir $S
echo 1 > $S/attr_allow_any_host
{ns}
P=$T/ports/1
mkdir -p $P
echo tcp > $P/addr_trtype
echo ipv4 > $P/addr_adrfam
echo {ip} > $P/addr_traddr
echo {NVMET_PORT} > $P/addr_trsvcid
ln -s $S $P/subsystems/{nqn}
"""


def nvmet_unexport(nqn, count):
    """Shell that undoes nvmet_export(nqn, ip, `count` devices) after it,
    so that the devices can be closed (mdadm --stop)."""
    ns = "\n".join(f"echo 0 > $S/namespaces/{i}/enable\nrmdir $S/namespaces/{i}"
                   for i in range(1, count + 1))
    return f"""
rm $P/subsystems/{nqn}
rmdir $P
{ns}
rmdir $S
"""


def mean_lat_us(result, op="read"):
    return result["jobs"][0][op]["lat_ns"]["mean"] / 1000.0


def median_lat_us(result, op="read"):
    """Median total latency (needs lat_percentiles=1 in the job)."""
    return result["jobs"][0][op]["lat_ns"]["percentile"]["50.000000"] / 1000.0
