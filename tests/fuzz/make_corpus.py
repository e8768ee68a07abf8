#!/usr/bin/env python3
"""Writes the seed corpus of the controller fuzzer (tests/fuzz/corpus/).

Each seed is a well-formed program in the harness's input format (see
controller_fuzz.cc and docs/fuzzing.md): byte 0 picks the device kind
(0 nvm, 1 conv, 2 zns; flags bits 5:4 = 01b/10b make it ssd=kv with the KV
command set / NVMeVirt's opcodes), byte 1 its flags, then actions. The seeds bring the
controller up and exercise each command family so the fuzzer starts deep.

    python3 tests/fuzz/make_corpus.py [DIR]
"""

import os
import struct
import sys

ENABLE, CREATE, SUBMIT, SUBMIT_RAW, MMIO_W, MMIO_R, MEM, PRP, RUN, ADVANCE, REAP, \
    DOORBELL, RESET, TIMER, PROCESS, IO = range(16)
# Indexes into well_formed_io()'s operation table.
READ, WRITE, WZ, FLUSH, COMPARE, VERIFY, DSM, APPEND, ZSEND, ZRECV, WUNC = range(11)


def u16(v):
    return struct.pack("<H", v & 0xffff)


def u32(v):
    return struct.pack("<I", v & 0xffffffff)


def u64(v):
    return struct.pack("<Q", v & 0xffffffffffffffff)


def enable(entries=32, css=1):
    """css: 0 NVM, 1 all I/O command sets, 2 admin only, 3 invalid."""
    if css == 1:
        return bytes([ENABLE, 0x40 | (entries - 2)])
    return bytes([ENABLE, entries - 2, css])


def create(qid, entries=16, ien=True, vector=None):
    vector = qid % 4 if vector is None else vector
    return bytes([CREATE, qid - 1, entries - 2, (1 if ien else 0) | (vector << 1)])


def run(rounds=8, reap=True):
    return bytes([RUN, (rounds - 1) | (0x80 if reap else 0)])


def io(qid, op, slba=0, nlb=8, extra=0):
    return bytes([IO, qid - 1, op]) + u16(slba) + bytes([nlb - 1, extra])


def cmd(qid, opcode, cdw=(0,) * 6, nsid=1, prp1=0, prp2=0):
    """A command with fields; prp1/prp2 are harness address selectors."""
    nsel = {1: 0, 0: 3, 0xffffffff: 4, 2: 5}[nsid]
    return bytes([SUBMIT, qid, opcode, 0, nsel, prp1, prp2]) + b"".join(u32(c) for c in cdw)


def admin(opcode, cdw10=0, cdw11=0, nsid=0, prp1=0, cdw12=0, cdw13=0, cdw14=0):
    return cmd(0, opcode, (cdw10, cdw11, cdw12, cdw13, cdw14, 0), nsid=nsid, prp1=prp1)


def mmio_w(off, value, size_sel=0):
    return bytes([MMIO_W]) + u16(off) + bytes([size_sel]) + u64(value)


def doorbell(qid, cq, value):
    return bytes([DOORBELL, qid, cq]) + u16(value)


def up(kind, flags=0, pairs=(1,), entries=16):
    s = bytes([kind, flags]) + enable(32, 1)
    for q in pairs:
        s += create(q, entries)
    return s


def seeds():
    out = {}
    for kind, name in ((0, "nvm"), (1, "conv"), (2, "zns")):
        out[f"{name}-enable"] = bytes([kind, 0]) + enable() + run()
        ident = b"".join(admin(0x06, cns, nsid=nsid) for cns, nsid in
                         ((1, 0), (0, 1), (2, 0), (3, 1), (5, 1), (6, 0), (0x1c, 0)))
        ident += admin(0x06, 5 | (2 << 24), nsid=1) + admin(0x06, 6 | (2 << 24))
        out[f"{name}-identify"] = up(kind, pairs=()) + ident + run()
        rw = io(1, WRITE, 0, 8) + io(1, READ, 0, 8) + io(1, COMPARE, 0, 8) + run()
        rw += io(1, WRITE, 8, 32, 0x41) + io(1, READ, 8, 32, 0x41) + io(1, FLUSH) + run()
        out[f"{name}-rw"] = up(kind) + rw
        out[f"{name}-rw-4k-mdts1"] = up(kind, flags=2 | (1 << 2)) + rw
        out[f"{name}-intx"] = up(kind, flags=1) + rw + bytes([REAP, 1])
        mixed = b"".join(io(q, op, slba, 4) for q, op, slba in
                         ((1, WRITE, 0), (2, WRITE, 64), (3, WZ, 128), (1, DSM, 0),
                          (2, VERIFY, 64), (3, WUNC, 8), (1, READ, 8), (2, READ, 2040)))
        out[f"{name}-multiq"] = up(kind, pairs=(1, 2, 3, 4)) + mixed + run(16)
        logs = b"".join(admin(0x02, lid | (127 << 16), nsid=0xffffffff) for lid in
                        (1, 2, 3, 4, 5, 0x0d, 0xbf))
        out[f"{name}-logs"] = up(kind, pairs=()) + logs + run()
        feats = b"".join(admin(0x0a, fid) for fid in (1, 2, 4, 5, 7, 8, 9, 0xa, 0xb, 0xe, 0x19))
        feats += admin(0x09, 7, 3 | (3 << 16)) + admin(0x09, 4, 0x150) + admin(0x09, 0xb, 0xffff)
        feats += admin(0x09, 0x6, 0) + admin(0x09, 0xe, 0, cdw12=0) + admin(0x09, 0x19, 1)
        out[f"{name}-features"] = up(kind, pairs=()) + feats + run()
        aer = admin(0x0c) + admin(0x0c) + admin(0x08, 0 | (1 << 16)) + admin(0x18)
        aer += doorbell(9, 0, 1) + doorbell(0, 1, 31) + run() + admin(0x02, 1 | (15 << 16))
        out[f"{name}-aer"] = up(kind, pairs=()) + aer + run()
        dbbuf = bytes([SUBMIT, 0, 0x7c, 0, 3, 2, 2 | (1 << 3)]) + u32(0) * 6 + run()
        out[f"{name}-dbbuf"] = up(kind) + dbbuf + io(1, WRITE) + io(1, READ) + run()
        q = admin(0x00, 1) + admin(0x04, 1) + run() + admin(0x00, 1) + admin(0x04, 1) + run()
        q += admin(0x05, 3 | (7 << 16), 1, prp1=0x38) + admin(0x01, 3 | (7 << 16), 1 | (3 << 16))
        out[f"{name}-queues"] = up(kind) + q + run()
        regs = mmio_w(0x14, 0) + mmio_w(0x14, 0x460061) + mmio_w(0x0c, 1) + mmio_w(0x10, 1)
        regs += mmio_w(0x20, 0x4e564d65) + bytes([MMIO_R, 0, 0, 1, MMIO_R, 0x1c, 0, 0])
        regs += doorbell(200, 0, 1) + mmio_w(0x1003, 1, 3) + bytes([RESET, 2, RESET, 0])
        out[f"{name}-registers"] = up(kind) + io(1, WRITE) + regs + enable() + run()
        bad = bytes([kind, 0, ENABLE, 0x80]) + u32(0x00ff00ff) + u64(0x1234) + u64(0) + u32(1)
        bad += bytes([RESET, 1]) + enable(2, 3) + bytes([RESET, 1]) + enable(2, 2) + rw
        out[f"{name}-bad-enable"] = bad
        prps = bytes([PRP, 1, 0, 3, 0, 8, 2 | (1 << 3), 4]) + bytes([PRP, 2, 255, 0, 2 | (2 << 3)])
        prps += cmd(1, 0x02, (0, 0, 31, 0, 0, 0), prp1=0, prp2=2 | (1 << 3))
        prps += cmd(1, 0x01, (0, 0, 63, 0, 0, 0), prp1=1, prp2=3 | (2 << 3))
        prps += cmd(1, 0x02, (0, 0, 7, 0, 0, 0), prp1=4, prp2=5) + run()
        out[f"{name}-prp-lists"] = up(kind) + prps + bytes([ADVANCE]) + u32(10 ** 6) + run()
        full = b"".join(io(1, WRITE, 8 * i, 8) for i in range(20)) + run(4, False)
        full += bytes([REAP, 1]) + run(16)
        out[f"{name}-cq-full"] = up(kind, pairs=(1,), entries=4) + full
        out[f"{name}-shutdown"] = up(kind) + io(1, WRITE) + bytes([RESET, 2]) + run() + \
            bytes([RESET, 1]) + enable() + create(1) + io(1, READ) + run()
    # 4 KiB LBAs, MDTS 512 KiB: rewriting the whole conv device three times
    # in 128 KiB writes runs garbage collection.
    gc = up(1, flags=2, pairs=(1, 2))
    gc += b"".join(io(1 + i % 2, WRITE, (32 * i) % 128, 32, i % 64) + run(2) for i in range(12))
    gc += io(1, DSM, 0, 4) + io(2, READ, 0, 32) + run(16)
    out["conv-gc"] = gc
    # 4 KiB LBAs: a 64 KiB zone is 16 LBAs; fill zones to full and append.
    zf = up(2, flags=2, pairs=(1,))
    zf += b"".join(io(1, WRITE, 16 * z, 16) + io(1, APPEND, 16 * (z + 1), 2) for z in range(4))
    zf += io(1, ZSEND, 0, 1, 4 | 0x80) + run(16)
    out["zns-full-zones"] = zf
    z = up(2, pairs=(1, 2))
    z += b"".join(io(1, ZSEND, 128 * zone, 1, act) for zone, act in
                  ((0, 2), (1, 0), (2, 3), (0, 1), (3, 4)))
    z += io(1, APPEND, 0, 8) + io(2, APPEND, 0, 8) + io(1, WRITE, 128, 8) + io(1, ZRECV, 0, 4, 0)
    z += io(1, ZRECV, 0, 4, 1 | (1 << 1)) + io(2, ZSEND, 0, 1, 5 | 0x80) + run(16)
    out["zns-zones"] = z
    z2 = up(2, pairs=(1,)) + b"".join(io(1, WRITE, 128 * i, 8) for i in range(6)) + run()
    z2 += io(1, ZSEND, 0, 1, 1 | 0x80) + io(1, ZSEND, 0, 1, 3 | 0x80) + run()
    z2 += admin(0x02, 0xbf | (1023 << 16), nsid=1) + io(1, ZSEND, 0, 1, 5) + run()
    out["zns-open-limits"] = z2
    out.update(kv_seeds())
    return out


DATA = 0x40000  # pick_addr(0): the first data buffer


def sqe(opc, nsid=1, cdw2=0, cdw3=0, mptr=0, cdw=(0,) * 6):
    return struct.pack("<BBHIIIQQQ6I", opc, 0, 0, nsid, cdw2, cdw3, mptr, DATA, 0, *cdw)


def raw(qid, entry):
    return bytes([SUBMIT_RAW, qid]) + entry


def mem(addr, data):
    out = b""
    for i in range(0, len(data), 256):
        chunk = data[i:i + 256]
        out += bytes([MEM]) + u32(addr + i) + bytes([len(chunk) - 1]) + chunk
    return out


def key_dw(key):
    k = key.ljust(16, b"\0")
    return struct.unpack("<4I", k)


def kv_seeds():
    """ssd=kv: the KV command set's commands (key in CDW2-3, 14-15) and
    NVMeVirt's (key in CDW12-15, lengths in dwords), including a batch."""
    out = {}
    value = bytes(range(64))
    std = up(0, flags=0x10) + mem(DATA, value)
    for key, opts in ((b"k1", 0), (b"k2", 2), (b"k1", 1), (b"k3", 3)):
        k = key_dw(key)
        std += raw(1, sqe(0x01, cdw2=k[0], cdw3=k[1],
                          cdw=(48, len(key) | (opts << 8), 0, 0, k[2], k[3])))
    k = key_dw(b"k1")
    for opc, cdw10 in ((0x02, 64), (0x14, 0), (0x02, 8), (0x10, 0), (0x02, 64), (0x14, 0)):
        std += raw(1, sqe(opc, cdw2=k[0], cdw3=k[1], cdw=(cdw10, 2, 0, 0, k[2], k[3])))
    std += raw(1, sqe(0x06, cdw=(256, 0, 0, 0, 0, 0))) + run()
    std += admin(0x06, 5 | (1 << 24), nsid=1) + admin(0x06, 0x1c) + admin(0x06, 8, nsid=1)
    std += admin(0x02, 5 | (127 << 16), cdw14=1 << 24) + admin(0x80, 0, nsid=1) + run()
    out["kv-commands"] = std
    ven = up(0, flags=0x20) + mem(DATA, value)
    for key, opc, option in ((b"usr1-a", 0x81, 0), (b"usr1-b", 0x81, 2), (b"tmp", 0x81, 0),
                             (b"usr1-a", 0x83, 0), (b"usr1-b", 0x81, 2)):
        k = key_dw(key)
        ven += raw(1, sqe(opc, cdw=(12, (len(key) - 1) | (option << 8) | (2 << 16), *k)))
    k = key_dw(b"usr1-a")
    ven += raw(1, sqe(0x90, mptr=4, cdw=(16, 5, *k))) + raw(1, sqe(0xb3, cdw=(0, 5, *k)))
    prefix = struct.unpack("<I", b"usr1")[0]
    ven += raw(1, sqe(0xb1, cdw=(0, 1 << 8, prefix, 0xffffffff, 0, 0))) + run()
    ven += raw(1, sqe(0xb2, cdw=(8, 1, 0, 0, 0, 0))) + raw(1, sqe(0xb2, cdw=(64, 1, 0, 0, 0, 0)))
    ven += raw(1, sqe(0xb1, cdw=(0, 1 | (2 << 8), 0, 0, 0, 0))) + raw(1, sqe(0xa1, cdw=(0, 5, *k)))
    ven += run()
    # Batch: two stores and a delete (header, then 64 B + key + value per sub).
    hdr = bytearray(512)
    subs = b""
    for i, (opc, key, val) in enumerate(((0x81, b"b1", b"x" * 10), (0x81, b"b2", b"y" * 70),
                                         (0xa1, b"tmp", b""))):
        struct.pack_into("<BBHIBBHI", hdr, 16 * i, opc, len(key), 0, len(val), 0, 0, 0, 0)
        pad = lambda b: b.ljust(max(64, (len(b) + 63) // 64 * 64), b"\0")
        subs += bytes(64) + pad(key) + pad(val)
    payload = bytes(hdr) + subs
    ven += mem(DATA, payload) + raw(1, sqe(0x85, cdw=(len(payload) // 4, 3 << 24, 0, 0, 0, 0)))
    ven += raw(1, sqe(0x02, cdw=(0, 0, 7, 0, 0, 0))) + run()
    out["kv-vendor-commands"] = ven
    return out


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    os.makedirs(d, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print(f"{len(seeds())} seeds in {d}")


if __name__ == "__main__":
    main()
