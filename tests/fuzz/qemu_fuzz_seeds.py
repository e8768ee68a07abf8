"""Seed inputs for QEMU's generic-fuzz target over -device nvmev.

generic-fuzz's input format (tests/qtest/fuzz/generic_fuzz.c in QEMU's
source): operations separated by "FUZZ"; an operation's first byte modulo 10
picks it. MMIO goes to the index'th matched region (0: BAR 0). Every DMA read
of guest RAM the device makes is filled from the next DMA pattern, in turn,
and nvmev reads one SQE per DMA read, so a list of patterns is the list of
commands the controller fetches (a command's data read takes a pattern too).

Each seed brings the controller up (CC.CSS NVM or all I/O command sets),
creates I/O queue pair 1 and runs a script of admin and I/O commands, so the
fuzzer starts past the enable, with every command family of the device's
kind in its corpus: admin (identify, log pages, features, AER, Abort, Keep
Alive, shadow doorbells, namespace management, Format), NVM I/O (Write,
Read, Flush, Write Zeroes, Compare, DSM, Verify, Write Uncorrectable,
Copy), zone management and Zone Append, and the KV command set.
"""

import struct

SEP = b"FUZZ"
OP_READ, OP_WRITE, OP_DMA_PATTERN, OP_CLEAR_DMA_PATTERNS, OP_CLOCK_STEP = 2, 3, 7, 8, 9

ASQ, ACQ, IOCQ, IOSQ = 0x10000, 0x20000, 0x30000, 0x40000
DATA = 0x100000  # data buffers from here, 64 KiB apart
ZONE_LBAS = 4 * 1024 * 1024 // 512  # the zns configurations' zone-size=4M, 512 B LBAs
CSI_KV, CSI_ZNS = 1, 2
FILL = bytes(range(0x40, 0x50))  # written data: a 16-byte pattern, repeated
STEPS = 8  # clock steps (each to the next timer deadline) after each doorbell
# CMBMSC.CBA of the cmb-pmr seed: the controller serves its own accesses in
# [CBA, CBA + CMB size) from the CMB, wherever the fuzzer put BAR 2.
CMB_CBA = 0x3000000


def mmio_write(off, val, quad=False):
    return bytes([OP_WRITE]) + struct.pack("<BBxxIQ", 3 if quad else 2, 0, off, val)


def mmio_read(off):
    return bytes([OP_READ]) + struct.pack("<BBxxI", 2, 0, off)


def sqe(opc, nsid=0, prp1=0, prp2=0, cdw2=0, cdw3=0, cdw10=0, cdw11=0, cdw12=0, cdw13=0,
        cdw14=0, cdw15=0, data=None):
    """A 64-byte SQE (the command id is set by script()) and the data the
    controller reads for it, if any. The data's pattern follows the
    command's: nvmev reads such data while it executes the command, before
    it fetches the next one (not so a Write's on an NVM namespace, see
    nvm_io)."""
    return [opc, nsid, cdw2, cdw3, prp1, prp2, cdw10, cdw11, cdw12, cdw13, cdw14, cdw15, data]


def _patterns(commands, first_cid):
    out = []
    for cid, (opc, nsid, cdw2, cdw3, prp1, prp2, *cdw10_15, data) in enumerate(commands,
                                                                            first_cid):
        out.append(_pattern(struct.pack("<BBHIIIQQQ6I", opc, 0, cid, nsid, cdw2, cdw3, 0, prp1,
                                        prp2, *cdw10_15)))
        if data is not None:
            out.append(_pattern(data))
    return out


def _pattern(data):
    return bytes([OP_DMA_PATTERN, 0, 0]) + data  # pattern index 0, stride 0: repeated as is


def _buf(i):
    return DATA + i * 0x10000


def script(css, admin=(), io=(), before_enable=()):
    """The MMIO operations before_enable, then enable with CC.CSS=css,
    create I/O queue pair 1 (16 entries), run the admin commands, then the
    I/O commands, and reap both CQs."""
    step = bytes([OP_CLOCK_STEP])
    setup = [sqe(0x06, prp1=_buf(0), cdw10=1),                        # Identify controller
             sqe(0x05, prp1=IOCQ, cdw10=15 << 16 | 1, cdw11=3),       # Create I/O CQ 1
             sqe(0x01, prp1=IOSQ, cdw10=15 << 16 | 1, cdw11=1 << 16 | 1)]  # Create I/O SQ 1
    admin = setup + list(admin)
    assert len(admin) < 32 and len(io) < 16, "the admin SQ has 32 entries, the I/O SQ 16"
    ops = _patterns(admin, 1) + list(before_enable)
    ops += [mmio_write(0x24, 0x001f001f), mmio_write(0x28, ASQ, True), mmio_write(0x30, ACQ, True),
            mmio_write(0x14, 0x00460001 | css << 4), step, mmio_read(0x1c),
            mmio_write(0x1000, len(admin))]
    ops += [step] * STEPS
    if io:
        ops += [bytes([OP_CLEAR_DMA_PATTERNS])]
        ops += _patterns(io, 100)
        ops += [mmio_write(0x1008, len(io))] + [step] * STEPS
    ops += [mmio_write(0x1004, len(admin))]
    if io:
        ops += [mmio_write(0x100c, len(io))]
    return SEP.join(ops)


def admin_commands():
    """Log pages, features, AER, Keep Alive, Abort, identify by CNS, and
    shadow doorbells."""
    def log(lid, numd=127, csi=0):
        return sqe(0x02, nsid=0xffffffff, prp1=_buf(1), cdw10=numd << 16 | lid, cdw14=csi << 24)
    # Abort last: it reads the SQ entries behind it, taking their patterns.
    return [log(0x00), log(0x01), log(0x02), log(0x03), log(0x05),
            sqe(0x0a, cdw10=0x07), sqe(0x0a, cdw10=0x01), sqe(0x09, cdw10=0x0b, cdw11=0xffff),
            sqe(0x09, cdw10=0x04, cdw11=0x0160),                 # Temperature Threshold
            sqe(0x0c), sqe(0x18),                                # AER, Keep Alive
            sqe(0x06, nsid=1, prp1=_buf(2), cdw10=0x00),         # Identify namespace 1
            sqe(0x06, prp1=_buf(2), cdw10=0x02),                 # active namespace list
            sqe(0x06, nsid=1, prp1=_buf(2), cdw10=0x03),         # namespace descriptors
            sqe(0x06, prp1=_buf(2), cdw10=0x1c),                 # I/O command set structure
            sqe(0x7c, prp1=_buf(3), prp2=_buf(3) + 0x1000),      # Doorbell Buffer Config
            sqe(0x09, prp1=_buf(4), cdw10=0x0e, data=FILL),      # Timestamp
            sqe(0x08, cdw10=77 << 16)]                           # Abort


def namespace_management():
    """Detach, delete, create (16 MiB, 512 B LBAs) and attach namespace 1,
    then Format NVM."""
    ctrl_list = struct.pack("<HH", 1, 1)                         # 1 controller: CNTLID 1
    id_ns = struct.pack("<QQQ8x", 32768, 32768, 0)               # NSZE = NCAP, FLBAS 0
    return [sqe(0x15, nsid=1, prp1=_buf(4), cdw10=1, data=ctrl_list),  # Attachment: detach
            sqe(0x0d, nsid=1, cdw10=1),                          # Management: delete
            sqe(0x0d, prp1=_buf(5), cdw10=0, data=id_ns),        # create (CSI NVM)
            sqe(0x15, nsid=1, prp1=_buf(4), cdw10=0, data=ctrl_list),  # attach
            sqe(0x80, nsid=1, cdw10=0)]                          # Format NVM, LBA format 0


def nvm_io(nsid=1):
    """Every NVM I/O command on a few LBAs."""
    dsm_range = struct.pack("<IIQ", 0, 8, 0)                     # LBA 0-7
    copy_range = struct.pack("<QQH22x", 0, 0, 7)                 # LBA 0-7 (NLB 0's based)
    # No data pattern for Write: nvmev copies its data after fetching the
    # next command (outside the core's lock), so it takes a later pattern.
    return [sqe(0x01, nsid, prp1=_buf(6), cdw10=0, cdw12=7),     # Write LBA 0-7
            sqe(0x02, nsid, prp1=_buf(7), cdw10=0, cdw12=7),     # Read them
            sqe(0x00, nsid),                                     # Flush
            sqe(0x08, nsid, cdw10=16, cdw12=7),                  # Write Zeroes 16-23
            sqe(0x05, nsid, prp1=_buf(8), cdw10=16, data=bytes(16)),  # Compare 16 (zeroed)
            sqe(0x09, nsid, prp1=_buf(9), cdw11=1 << 2, data=dsm_range),  # DSM deallocate
            sqe(0x0c, nsid, cdw10=0, cdw12=7),                   # Verify 0-7
            sqe(0x04, nsid, cdw10=32, cdw12=0),                  # Write Uncorrectable 32
            sqe(0x02, nsid, prp1=_buf(10), cdw10=32),            # Read it: Unrecovered Read Error
            sqe(0x19, nsid, prp1=_buf(11), cdw10=64, data=copy_range)]  # Copy 1 range to 64


def _zone_send(nsid, zslba, action, select_all=False):
    return sqe(0x79, nsid, cdw10=zslba, cdw13=action | select_all << 8)


def zns_reset_all(nsid=1):
    """Zone state outlives generic-fuzz's system reset between inputs (it is
    the media's), so a zoned seed starts by resetting every zone."""
    return [_zone_send(nsid, 0, 0x04, select_all=True)]


def zns_io(nsid=1):
    """Zone management and Zone Append on the first two zones."""
    def send(zslba, action, select_all=False):
        return _zone_send(nsid, zslba, action, select_all)
    return zns_reset_all(nsid) + [
            send(0, 0x03),                                       # open zone 0
            sqe(0x01, nsid, prp1=_buf(6), cdw10=0, cdw12=7, data=FILL),  # write at its start
            sqe(0x7d, nsid, prp1=_buf(7), cdw10=0, cdw12=7, data=FILL),  # Zone Append
            sqe(0x7a, nsid, prp1=_buf(8), cdw12=1023, cdw13=0),  # report zones
            sqe(0x7a, nsid, prp1=_buf(8), cdw12=1023, cdw13=1 | 2 << 8 | 1 << 16),
            send(ZONE_LBAS, 0x03), send(ZONE_LBAS, 0x01),        # open, close zone 1
            send(0, 0x02),                                       # finish zone 0
            sqe(0x02, nsid, prp1=_buf(9), cdw10=0, cdw12=7),     # read it
            send(ZONE_LBAS, 0x10),                               # set extension (data)
            send(0, 0x04, select_all=True),                      # reset all
            send(ZONE_LBAS, 0x05)]                               # offline zone 1


def kv_io(nsid=1):
    """The KV command set: store, exist, retrieve, list, delete a 4-byte key."""
    key = int.from_bytes(b"key0", "little")

    def kv(opc, cdw10=0, options=0, prp1=0, data=None):
        return sqe(opc, nsid, prp1=prp1, cdw2=key, cdw10=cdw10, cdw11=options << 8 | 4, data=data)
    return [kv(0x01, cdw10=512, prp1=_buf(6), data=FILL),        # Store 512 B
            kv(0x14),                                            # Exist
            kv(0x02, cdw10=4096, prp1=_buf(7)),                  # Retrieve
            kv(0x01, cdw10=512, options=2, prp1=_buf(8), data=FILL),  # Store: must not exist
            kv(0x06, cdw10=4096, prp1=_buf(9)),                  # List from the key
            kv(0x10),                                            # Delete
            kv(0x14),                                            # Exist: not found
            sqe(0x00, nsid)]                                     # Flush


def cmb_pmr_registers():
    """CMB on at CMB_CBA (CMBMSC: CRE, CMSE), PMR enabled (PMRCTL.EN), and
    a read of PMRSTS (the PMR's write barrier)."""
    return [mmio_write(0x50, CMB_CBA | 0x3, True), mmio_write(0xe04, 1), mmio_read(0xe08)]


def cmb_io(nsid=1):
    """A Write whose data comes from the CMB and a Read whose data goes to
    it (no DMA patterns: the CMB is the controller's own memory)."""
    return [sqe(0x01, nsid, prp1=CMB_CBA, cdw10=0, cdw12=7),
            sqe(0x02, nsid, prp1=CMB_CBA + 0x1000, cdw10=0, cdw12=7)]


def csi_identify(csi, nsid=1):
    return [sqe(0x06, nsid=nsid, prp1=_buf(2), cdw10=0x05, cdw11=csi << 24),
            sqe(0x06, prp1=_buf(2), cdw10=0x06, cdw11=csi << 24)]


def _plans(kind):
    """name -> (CC.CSS, admin commands, I/O commands[, MMIO before the
    enable]) for a configuration whose namespaces are of `kind`: "nvm" (also
    conv), "zns", "kv", "nvm+zns" (namespace 2 zoned) or "nvm+cmb" (a CMB
    and a PMR)."""
    plans = {f"seed-io-css{css}": (css, [], nvm_io()[:2]) for css in (0, 6)}
    plans["seed-admin"] = (6, admin_commands(), [])
    if kind in ("nvm", "nvm+zns", "nvm+cmb"):
        plans["seed-nvm-io"] = (0, [], nvm_io())
    if kind == "nvm+cmb":
        plans["seed-cmb-pmr"] = (0, [], cmb_io(), cmb_pmr_registers())
    if kind == "nvm+zns":  # two namespaces: namespace management is offered
        plans["seed-ns-management"] = (0, namespace_management(), nvm_io()[:2])
        plans["seed-zns-io-ns2"] = (6, csi_identify(CSI_ZNS, 2), zns_io(2))
    if kind == "zns":
        for css in (0, 6):
            plans[f"seed-io-css{css}"] = (css, [], zns_reset_all() + nvm_io()[:2])
        plans["seed-zns-io"] = (6, csi_identify(CSI_ZNS), zns_io())
        changed_zones = sqe(0x02, nsid=1, prp1=_buf(1), cdw10=1023 << 16 | 0xbf,
                            cdw14=CSI_ZNS << 24)
        plans["seed-zns-changed-zones"] = (6, [changed_zones], zns_io()[:4])
    if kind == "kv":
        plans["seed-kv-io"] = (6, csi_identify(CSI_KV), kv_io())
    return plans


def seeds(kind):
    """name -> input, for a configuration whose namespaces are of `kind`."""
    return {name: script(*plan) for name, plan in _plans(kind).items()}


def opcodes(kind):
    """The (SQ id, opcode) pairs the seeds of `kind` submit, queue creation
    included: each of them completes successfully at least once when the
    seeds run (run_qemu_fuzz.py --check-seeds checks it)."""
    out = {(0, 0x06), (0, 0x05), (0, 0x01)}
    for _css, admin, io, *_mmio in _plans(kind).values():
        out |= {(0, c[0]) for c in admin} | {(1, c[0]) for c in io}
    return out
