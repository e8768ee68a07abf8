#!/usr/bin/env python3
"""One-shot QMP client.

    python3 scripts/qmp.py SOCKET COMMAND [JSON-ARGUMENTS]

Connects to QEMU's QMP unix socket, negotiates capabilities, runs COMMAND and
prints its "return" value as JSON (indent 2); exits 0. A QMP error prints
"CLASS: DESC" to stderr and exits 1 (also for connection failures); usage
errors exit 2.

From Python (standard library only):

    from qmp import qmp_command, QMPError
    info = qmp_command(os.environ["NVMEV_QMP"], "query-status")
"""

import json
import socket
import sys
import time


class QMPError(Exception):
    """An error reply from QEMU ("class" and "desc" as attributes)."""

    def __init__(self, error_class, desc):
        super().__init__(f"{error_class}: {desc}")
        self.error_class = error_class
        self.desc = desc


def _connect(sock_path, timeout):
    # QEMU may still be creating the socket when a script right after its
    # start asks: retry briefly on "missing" / "refused".
    deadline = time.monotonic() + min(timeout, 2.0)
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(sock_path)
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)
        except BaseException:
            s.close()
            raise


def _read_message(f):
    line = f.readline()
    if not line:
        raise ConnectionError("QMP connection closed by QEMU")
    return json.loads(line)


def _execute(f, command, arguments, msg_id):
    request = {"execute": command, "id": msg_id}
    if arguments is not None:
        request["arguments"] = arguments
    f.write(json.dumps(request).encode() + b"\n")
    f.flush()
    while True:
        msg = _read_message(f)
        if "event" in msg:  # asynchronous events: not ours
            continue
        if msg.get("id") != msg_id:
            continue
        if "error" in msg:
            err = msg["error"]
            raise QMPError(err.get("class", "GenericError"), err.get("desc", ""))
        if "return" in msg:
            return msg["return"]


def qmp_command(sock_path, command, arguments=None, timeout=60.0):
    """Runs one QMP command on a fresh connection; returns its "return" value.

    Raises QMPError on an error reply, OSError/ConnectionError if QEMU cannot
    be reached, and socket.timeout if it does not answer within timeout s."""
    with _connect(sock_path, timeout) as s, s.makefile("rwb") as f:
        greeting = _read_message(f)
        if "QMP" not in greeting:
            raise ConnectionError(f"not a QMP greeting: {greeting!r}")
        _execute(f, "qmp_capabilities", None, "nvmev-cap")
        return _execute(f, command, arguments, "nvmev-cmd")


def main(argv):
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if len(argv) not in (2, 3):
        print("usage: qmp.py SOCKET COMMAND [JSON-ARGUMENTS]", file=sys.stderr)
        return 2
    sock_path, command = argv[0], argv[1]
    arguments = None
    if len(argv) == 3:
        try:
            arguments = json.loads(argv[2])
        except json.JSONDecodeError as e:
            print(f"qmp: bad JSON arguments: {e}", file=sys.stderr)
            return 2
        if not isinstance(arguments, dict):
            print("qmp: JSON arguments must be an object", file=sys.stderr)
            return 2
    try:
        ret = qmp_command(sock_path, command, arguments)
    except QMPError as e:
        print(f"{e.error_class}: {e.desc}", file=sys.stderr)
        return 1
    except (OSError, ConnectionError, ValueError) as e:
        print(f"qmp: cannot talk to QEMU at {sock_path}: {e}", file=sys.stderr)
        return 1
    print(json.dumps(ret, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
