/*
 * nvmev: an emulated NVMe SSD with timing models - the QEMU device.
 *
 * This adapter knows QEMU and nothing of NVMe beyond BAR0's shape: it
 * exposes the PCI function, BAR0 and MSI-X, owns the data area and runs the
 * controller core (C++, core/nvmev_core.h) in the device's AioContext.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/mman.h>
#include <sys/prctl.h>
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "block/aio.h"
#include "block/aio-wait.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci/pcie.h"
#include "hw/pci/pcie_host.h"
#include "hw/pci/pci.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "system/hostmem.h"
#include "system/iothread.h"
#include "system/system.h"
#include "hw/qdev-properties-system.h"
#include "hw/virtio/iothread-vq-mapping.h"
#include "system/qtest.h"
#include "system/cpu-timers.h"
#include "nvmev.h"
#include "trace.h"

#define NVMEV_PCI_VENDOR_ID  PCI_VENDOR_ID_REDHAT
#define NVMEV_PCI_DEVICE_ID  0x10ee
#define NVMEV_MSIX_BAR       4
#define NVMEV_MIN_CAPACITY   (1 * MiB)

static const char *nvmev_id(NvmevState *s)
{
    DeviceState *dev = DEVICE(s);
    return dev->id ? dev->id : "nvmev";
}

/* ---- Host callbacks for the core ---- */

/*
 * Whether a write to `mr` can enter an nvmev controller's core: its BARs
 * (BAR 0, MSI-X, CMB...), or the PCIe configuration window (MMCONFIG),
 * whose writes reach nvmev's config handler (MSI-X Enable, an FLR) and a
 * root port's (Slot Control: unplug).
 */
static bool nvmev_reenters(MemoryRegion *mr)
{
    Object *owner = memory_region_owner(mr);

    return owner && (object_dynamic_cast(owner, TYPE_NVMEV) ||
                     object_dynamic_cast(owner, TYPE_PCIE_HOST_BRIDGE));
}

/*
 * Whether this thread is inside the core (a group's pass or timer, a
 * register write). A DMA or MSI-X write of that call may reach another
 * device whose handler runs a nested event loop (a virtio-blk reset
 * draining its requests does), which may run an nvmev group's handler on
 * this thread: entering the core there would wait for the lock this thread
 * holds, or start a second pass over the staged commands the first is
 * copying. Such a handler (a group's, or the interrupt and ioeventfd bottom
 * halves) defers, its bottom half or timer running again, instead.
 */
static __thread bool nvmev_in_core;

/*
 * Where the core's DMA may go; the core's lock is held throughout.
 *
 * Off the BQL (in an IOThread) DMA may only reach memory it can access
 * directly. Every other access takes QEMU's MMIO path, which takes the BQL
 * while the core's lock is held, and a thread holding the BQL may be waiting
 * for that lock (the main loop resetting the device, a vCPU ringing a
 * doorbell): a deadlock. That is a device's MMIO, but also a write to ROM
 * (the BIOS) or a rom_device, which QEMU's "memory" attribute admits as RAM
 * (QEMU's generic fuzzer found it: a CQ in the BIOS ROM). Such an access
 * fails instead; the command gets Data Transfer Error, a completion the
 * controller's fatal status. The memory map changes only under the BQL, so
 * between this check and the access it can change only by a vCPU remapping
 * the very pages of a queue or buffer in flight.
 *
 * Under the BQL (the main loop, a vCPU) DMA may reach other devices' MMIO,
 * as peer-to-peer DMA does, but not an nvmev controller's nor the PCIe
 * configuration window: their handlers take the core's lock, held here
 * (this controller's, or its subsystem's, shared by the siblings), so one
 * thread would wait for itself. A queue or buffer there fails the same way.
 */
static bool nvmev_dma_allowed(NvmevState *s, uint64_t addr, uint64_t len,
                              bool is_write)
{
    AddressSpace *as = pci_get_address_space(PCI_DEVICE(s));
    bool bql = bql_locked();

    RCU_READ_LOCK_GUARD();
    while (len) {
        hwaddr xlat, l = len;
        MemoryRegion *mr = address_space_translate(as, addr, &xlat, &l,
                                                   is_write,
                                                   MEMTXATTRS_UNSPECIFIED);

        if (!l) {
            return false;
        }
        if (!memory_access_is_direct(mr, is_write, MEMTXATTRS_UNSPECIFIED) &&
            (!bql || nvmev_reenters(mr))) {
            return false;
        }
        addr += l;
        len -= l;
    }
    return true;
}

static MemTxAttrs nvmev_dma_attrs(void)
{
    return bql_locked() ? MEMTXATTRS_UNSPECIFIED : (MemTxAttrs) { .memory = 1 };
}

static int nvmev_host_dma_read(void *opaque, uint64_t addr, void *buf,
                               uint64_t len)
{
    NvmevState *s = opaque;

    if (!nvmev_dma_allowed(s, addr, len, false)) {
        return -1;
    }
    return pci_dma_rw(PCI_DEVICE(s), addr, buf, len, DMA_DIRECTION_TO_DEVICE,
                      nvmev_dma_attrs()) == MEMTX_OK ? 0 : -1;
}

static int nvmev_host_dma_write(void *opaque, uint64_t addr, const void *buf,
                                uint64_t len)
{
    NvmevState *s = opaque;

    if (!nvmev_dma_allowed(s, addr, len, true)) {
        return -1;
    }
    return pci_dma_rw(PCI_DEVICE(s), addr, (void *)buf, len,
                      DMA_DIRECTION_FROM_DEVICE,
                      nvmev_dma_attrs()) == MEMTX_OK ? 0 : -1;
}

/*
 * An MSI-X message is a DMA write, raised with the core's lock held (or in
 * a nested event loop inside the core): one addressed to an nvmev
 * controller's BAR or to the PCIe configuration window (a guest's table
 * entry can say anything) would enter a handler that takes the same lock.
 * Such a message is dropped, as a root complex may drop a write it cannot
 * route, and logged as a guest error.
 */
static bool nvmev_msi_loops_back(NvmevState *s, uint16_t vector)
{
    MSIMessage msg = msix_get_message(PCI_DEVICE(s), vector);

    assert(bql_locked());
    if (nvmev_dma_allowed(s, msg.address, sizeof(msg.data), true)) {
        return false;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "nvmev %s: MSI-X vector %u addresses an "
                  "nvmev controller's BAR or PCIe config space (0x%" PRIx64 "): "
                  "dropped\n",
                  nvmev_id(s), vector, msg.address);
    return true;
}

/*
 * Interrupts must be raised under the BQL. Callers on a vCPU thread or in
 * the main loop hold it; the IOThread does not, and must not take it while
 * the core's lock is held (a vCPU holding the BQL may be waiting for that
 * lock), so it defers to a main-loop bottom half. Both record the INTx
 * level they want (under the core's lock, so in order): the bottom half
 * applies the last, never an older one a BQL caller has since changed.
 */
static void nvmev_irq_now(NvmevState *s, uint16_t vector)
{
    PCIDevice *pci = PCI_DEVICE(s);

    if (msix_enabled(pci)) {
        if (!msix_is_masked(pci, vector) && nvmev_msi_loops_back(s, vector)) {
            return;
        }
        msix_notify(pci, vector);
    } else {
        pci_irq_assert(pci);
    }
}

static void nvmev_host_irq_assert(void *opaque, uint16_t vector)
{
    NvmevState *s = opaque;

    if (bql_locked()) {
        /* The level a pending bottom half applies must be this one. */
        qatomic_set(&s->intx_want, 1);
        nvmev_irq_now(s, vector);
        return;
    }
    if (vector >= NVMEV_MAX_VECTORS) {
        return;
    }
    qatomic_set(&s->intx_want, 1);
    qatomic_or(&s->irq_pending[vector / 64], 1ULL << (vector % 64));
    qemu_bh_schedule(s->irq_bh);
}

static void nvmev_host_irq_deassert(void *opaque, uint16_t vector)
{
    NvmevState *s = opaque;

    if (bql_locked()) {
        qatomic_set(&s->intx_want, 0);
        pci_irq_deassert(PCI_DEVICE(s));
        return;
    }
    /* Level changes from the IOThread are settled by the bottom half. */
    qatomic_set(&s->intx_want, 0);
    qemu_bh_schedule(s->irq_bh);
}

static void nvmev_irq_bh(void *opaque)
{
    NvmevState *s = opaque;
    PCIDevice *pci = PCI_DEVICE(s);

    if (nvmev_in_core) {
        qemu_bh_schedule(s->irq_bh);
        return;
    }
    for (uint32_t w = 0; w < ARRAY_SIZE(s->irq_pending); w++) {
        uint64_t bits = qatomic_xchg(&s->irq_pending[w], 0);
        while (bits) {
            unsigned b = ctz64(bits);
            bits &= bits - 1;
            if (msix_enabled(pci) &&
                (msix_is_masked(pci, w * 64 + b) ||
                 !nvmev_msi_loops_back(s, w * 64 + b))) {
                msix_notify(pci, w * 64 + b);
            }
        }
    }
    if (!msix_enabled(pci)) {
        /* Pin-based: the level the core asked for last. */
        pci_set_irq(pci, qatomic_read(&s->intx_want));
    }
}

static int64_t nvmev_host_now_ns(void *opaque)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

/*
 * A thread that sleeps until a deadline wakes tens of microseconds late on a
 * busy or virtualized host. So the timer fires wake_ahead_ns early and the
 * callback waits out the rest on the clock: a bounded wait per deadline, in
 * exchange for completions that land on time.
 */
/* When the timer must fire for a deadline: early by wake-ahead-ns if used. */
static int64_t nvmev_timer_expiry(NvmevState *s, int64_t deadline_ns)
{
    return deadline_ns - (s->spin_ok ? s->wake_ahead_ns : 0);
}

/* Timers and bottom halves are thread-safe: any thread may arm or kick. */
static void nvmev_host_arm_timer(void *opaque, unsigned group,
                                 int64_t deadline_ns)
{
    NvmevState *s = opaque;
    NvmevGroup *g = &s->groups[group];

    qatomic_set(&g->deadline_ns, deadline_ns);
    if (deadline_ns == INT64_MAX) {
        timer_del(g->timer);
    } else {
        timer_mod_ns(g->timer, nvmev_timer_expiry(s, deadline_ns));
    }
}

static void nvmev_host_kick(void *opaque, unsigned group)
{
    NvmevState *s = opaque;
    NvmevGroup *g = &s->groups[group];

    qatomic_set(&g->kicked, 1);
    qemu_bh_schedule(g->process_bh);
}

/*
 * The core's trace events, typed: each becomes its own QEMU trace event,
 * whose generated function checks its own state. Guest errors (*_err_*) and
 * undefined behaviour (*_ub_*) are also logged with -d guest_errors.
 */
static void nvmev_host_trace(void *opaque, const NvmevTraceEvent *ev)
{
    NvmevState *s = opaque;
    const char *id = nvmev_id(s);

    switch (ev->id) {
    case NVMEV_TRACE_SUBMIT:
        trace_nvmev_submit(id, ev->u.cmd.sqid, ev->u.cmd.cid, ev->u.cmd.opcode,
                           ev->nsid, ev->u.cmd.slba, ev->u.cmd.nlb,
                           ev->u.cmd.at_ns, ev->u.cmd.due_ns);
        break;
    case NVMEV_TRACE_COMPLETE:
        trace_nvmev_complete(id, ev->u.cmd.sqid, ev->u.cmd.cid,
                             ev->u.cmd.status, ev->u.cmd.due_ns,
                             ev->u.cmd.late_ns);
        break;
    case NVMEV_TRACE_ERR_CMD:
        trace_nvmev_err_cmd(id, ev->u.cmd.sqid, ev->u.cmd.cid, ev->u.cmd.opcode,
                            ev->nsid, ev->u.cmd.status);
        qemu_log_mask(LOG_GUEST_ERROR, "nvmev %s: nvmev_err_cmd sqid=%u cid=%u "
                      "opc=0x%02x nsid=%u status=0x%04x\n", id, ev->u.cmd.sqid,
                      ev->u.cmd.cid, ev->u.cmd.opcode, ev->nsid,
                      ev->u.cmd.status);
        break;
    case NVMEV_TRACE_CREATE_SQ:
        trace_nvmev_create_sq(id, ev->u.queue.qid, ev->u.queue.size,
                              ev->u.queue.cqid);
        break;
    case NVMEV_TRACE_CREATE_CQ:
        trace_nvmev_create_cq(id, ev->u.queue.qid, ev->u.queue.size,
                              ev->u.queue.vector, ev->u.queue.irq_enabled);
        break;
    case NVMEV_TRACE_DELETE_SQ:
        trace_nvmev_delete_sq(id, ev->u.queue.qid);
        break;
    case NVMEV_TRACE_DELETE_CQ:
        trace_nvmev_delete_cq(id, ev->u.queue.qid);
        break;
    case NVMEV_TRACE_ENABLE:
        trace_nvmev_enable(id, ev->u.ctrl.asq, ev->u.ctrl.asqs, ev->u.ctrl.acq,
                           ev->u.ctrl.acqs);
        break;
    case NVMEV_TRACE_DISABLE:
        trace_nvmev_disable(id, ev->u.ctrl.cc);
        break;
    case NVMEV_TRACE_SHUTDOWN:
        trace_nvmev_shutdown(id, ev->u.ctrl.cc);
        break;
    case NVMEV_TRACE_CTRL_RESET:
        trace_nvmev_ctrl_reset(id, ev->u.ctrl.cc);
        break;
    case NVMEV_TRACE_ERR_FATAL:
        trace_nvmev_err_fatal(id, ev->u.ctrl.reason);
        qemu_log_mask(LOG_GUEST_ERROR, "nvmev %s: nvmev_err_fatal %s\n", id,
                      ev->u.ctrl.reason);
        break;
    case NVMEV_TRACE_ERR_DOORBELL:
        trace_nvmev_err_doorbell(id, ev->u.doorbell.qid, ev->u.doorbell.cq,
                                 ev->u.doorbell.shadow, ev->u.doorbell.value,
                                 ev->u.doorbell.size, ev->u.doorbell.tail);
        qemu_log_mask(LOG_GUEST_ERROR, "nvmev %s: nvmev_err_doorbell %s %u "
                      "%s %u invalid (size %u tail %u)%s\n", id,
                      ev->u.doorbell.cq ? "CQ" : "SQ", ev->u.doorbell.qid,
                      ev->u.doorbell.cq ? "head" : "tail", ev->u.doorbell.value,
                      ev->u.doorbell.size, ev->u.doorbell.tail,
                      ev->u.doorbell.shadow ? " in the shadow buffer" : "");
        break;
    case NVMEV_TRACE_ERR_DOORBELL_QUEUE:
        trace_nvmev_err_doorbell_queue(id, ev->u.doorbell.qid, ev->u.doorbell.cq,
                                       ev->u.doorbell.value);
        qemu_log_mask(LOG_GUEST_ERROR, "nvmev %s: nvmev_err_doorbell_queue "
                      "doorbell of nonexistent %s %u\n", id,
                      ev->u.doorbell.cq ? "CQ" : "SQ", ev->u.doorbell.qid);
        break;
    case NVMEV_TRACE_UB_DOORBELL:
        trace_nvmev_ub_doorbell(id, ev->u.mmio.offset, ev->u.mmio.value);
        qemu_log_mask(LOG_GUEST_ERROR, "nvmev %s: nvmev_ub_doorbell 0x%"PRIx64
                      " written while not ready\n", id, ev->u.mmio.offset);
        break;
    case NVMEV_TRACE_UB_MMIO_READ:
        trace_nvmev_ub_mmio_read(id, ev->u.mmio.offset, ev->u.mmio.size);
        qemu_log_mask(LOG_GUEST_ERROR, "nvmev %s: nvmev_ub_mmio_read "
                      "offset=0x%"PRIx64" size=%u\n", id, ev->u.mmio.offset,
                      ev->u.mmio.size);
        break;
    case NVMEV_TRACE_UB_MMIO_WRITE:
        trace_nvmev_ub_mmio_write(id, ev->u.mmio.offset, ev->u.mmio.size,
                                  ev->u.mmio.value);
        qemu_log_mask(LOG_GUEST_ERROR, "nvmev %s: nvmev_ub_mmio_write "
                      "offset=0x%"PRIx64" size=%u\n", id, ev->u.mmio.offset,
                      ev->u.mmio.size);
        break;
    case NVMEV_TRACE_UB_MMIO_WRITE_RO:
        trace_nvmev_ub_mmio_write_ro(id, ev->u.mmio.offset, ev->u.mmio.value);
        qemu_log_mask(LOG_GUEST_ERROR, "nvmev %s: nvmev_ub_mmio_write_ro "
                      "read-only or reserved register 0x%"PRIx64"\n", id,
                      ev->u.mmio.offset);
        break;
    case NVMEV_TRACE_UB_MMIO_WRITE_AQ:
        trace_nvmev_ub_mmio_write_aq(id, ev->u.mmio.offset, ev->u.mmio.value);
        qemu_log_mask(LOG_GUEST_ERROR, "nvmev %s: nvmev_ub_mmio_write_aq "
                      "admin queue register 0x%"PRIx64" while enabled\n", id,
                      ev->u.mmio.offset);
        break;
    case NVMEV_TRACE_DBBUF:
        trace_nvmev_dbbuf(id, ev->u.dbbuf.shadow, ev->u.dbbuf.eventidx);
        break;
    case NVMEV_TRACE_ASYNC_EVENT:
        trace_nvmev_async_event(id, ev->u.aer.type, ev->u.aer.info,
                                ev->u.aer.log_page);
        break;
    case NVMEV_TRACE_NS_ATTACH:
        trace_nvmev_ns_attach(id, ev->nsid);
        break;
    case NVMEV_TRACE_NS_DETACH:
        trace_nvmev_ns_detach(id, ev->nsid);
        break;
    case NVMEV_TRACE_NS_CREATE:
        trace_nvmev_ns_create(id, ev->nsid, ev->u.ns.nsze);
        break;
    case NVMEV_TRACE_NS_DELETE:
        trace_nvmev_ns_delete(id, ev->nsid);
        break;
    case NVMEV_TRACE_NS_CHANGED:
        trace_nvmev_ns_changed(id, ev->nsid);
        break;
    case NVMEV_TRACE_ZONE_STATE:
        trace_nvmev_zone_state(id, ev->nsid, ev->u.zone.zone,
                               nvmev_core_zone_state_name(ev->u.zone.from),
                               nvmev_core_zone_state_name(ev->u.zone.to));
        break;
    case NVMEV_TRACE_ZONE_FAULT:
        trace_nvmev_zone_fault(id, ev->nsid, ev->u.zone.zone,
                               nvmev_core_zone_state_name(ev->u.zone.to));
        break;
    case NVMEV_TRACE_GC_START:
        trace_nvmev_gc_start(id, ev->nsid, ev->u.gc.partition, ev->u.gc.line,
                             ev->u.gc.pages, ev->u.gc.free_lines,
                             ev->u.gc.background, ev->u.gc.time_ns);
        break;
    case NVMEV_TRACE_GC_END:
        trace_nvmev_gc_end(id, ev->nsid, ev->u.gc.partition, ev->u.gc.line,
                           ev->u.gc.pages, ev->u.gc.free_lines,
                           ev->u.gc.time_ns);
        break;
    }
}

/* The events also logged with -d guest_errors. */
#define NVMEV_TRACE_GUEST_ERRORS \
    (NVMEV_TRACE_BIT(NVMEV_TRACE_ERR_CMD) | \
     NVMEV_TRACE_BIT(NVMEV_TRACE_ERR_FATAL) | \
     NVMEV_TRACE_BIT(NVMEV_TRACE_ERR_DOORBELL) | \
     NVMEV_TRACE_BIT(NVMEV_TRACE_ERR_DOORBELL_QUEUE) | \
     NVMEV_TRACE_BIT(NVMEV_TRACE_UB_DOORBELL) | \
     NVMEV_TRACE_BIT(NVMEV_TRACE_UB_MMIO_READ) | \
     NVMEV_TRACE_BIT(NVMEV_TRACE_UB_MMIO_WRITE) | \
     NVMEV_TRACE_BIT(NVMEV_TRACE_UB_MMIO_WRITE_RO) | \
     NVMEV_TRACE_BIT(NVMEV_TRACE_UB_MMIO_WRITE_AQ))

#define NVMEV_WANT(m, id, ev) \
    ((m) |= trace_event_get_state_backends(ev) ? NVMEV_TRACE_BIT(id) : 0)

/*
 * The events the core should report: those whose QEMU trace event is on,
 * and the guest errors while -d guest_errors is. With no trace event on at
 * all, every test reads the same global, so this costs a few loads.
 */
static uint64_t nvmev_trace_wanted(void)
{
    uint64_t m = qemu_loglevel_mask(LOG_GUEST_ERROR) ?
                 NVMEV_TRACE_GUEST_ERRORS : 0;

    NVMEV_WANT(m, NVMEV_TRACE_SUBMIT, TRACE_NVMEV_SUBMIT);
    NVMEV_WANT(m, NVMEV_TRACE_COMPLETE, TRACE_NVMEV_COMPLETE);
    NVMEV_WANT(m, NVMEV_TRACE_ERR_CMD, TRACE_NVMEV_ERR_CMD);
    NVMEV_WANT(m, NVMEV_TRACE_CREATE_SQ, TRACE_NVMEV_CREATE_SQ);
    NVMEV_WANT(m, NVMEV_TRACE_CREATE_CQ, TRACE_NVMEV_CREATE_CQ);
    NVMEV_WANT(m, NVMEV_TRACE_DELETE_SQ, TRACE_NVMEV_DELETE_SQ);
    NVMEV_WANT(m, NVMEV_TRACE_DELETE_CQ, TRACE_NVMEV_DELETE_CQ);
    NVMEV_WANT(m, NVMEV_TRACE_ENABLE, TRACE_NVMEV_ENABLE);
    NVMEV_WANT(m, NVMEV_TRACE_DISABLE, TRACE_NVMEV_DISABLE);
    NVMEV_WANT(m, NVMEV_TRACE_SHUTDOWN, TRACE_NVMEV_SHUTDOWN);
    NVMEV_WANT(m, NVMEV_TRACE_CTRL_RESET, TRACE_NVMEV_CTRL_RESET);
    NVMEV_WANT(m, NVMEV_TRACE_ERR_FATAL, TRACE_NVMEV_ERR_FATAL);
    NVMEV_WANT(m, NVMEV_TRACE_ERR_DOORBELL, TRACE_NVMEV_ERR_DOORBELL);
    NVMEV_WANT(m, NVMEV_TRACE_ERR_DOORBELL_QUEUE,
               TRACE_NVMEV_ERR_DOORBELL_QUEUE);
    NVMEV_WANT(m, NVMEV_TRACE_UB_DOORBELL, TRACE_NVMEV_UB_DOORBELL);
    NVMEV_WANT(m, NVMEV_TRACE_UB_MMIO_READ, TRACE_NVMEV_UB_MMIO_READ);
    NVMEV_WANT(m, NVMEV_TRACE_UB_MMIO_WRITE, TRACE_NVMEV_UB_MMIO_WRITE);
    NVMEV_WANT(m, NVMEV_TRACE_UB_MMIO_WRITE_RO, TRACE_NVMEV_UB_MMIO_WRITE_RO);
    NVMEV_WANT(m, NVMEV_TRACE_UB_MMIO_WRITE_AQ, TRACE_NVMEV_UB_MMIO_WRITE_AQ);
    NVMEV_WANT(m, NVMEV_TRACE_DBBUF, TRACE_NVMEV_DBBUF);
    NVMEV_WANT(m, NVMEV_TRACE_ASYNC_EVENT, TRACE_NVMEV_ASYNC_EVENT);
    NVMEV_WANT(m, NVMEV_TRACE_NS_ATTACH, TRACE_NVMEV_NS_ATTACH);
    NVMEV_WANT(m, NVMEV_TRACE_NS_DETACH, TRACE_NVMEV_NS_DETACH);
    NVMEV_WANT(m, NVMEV_TRACE_NS_CREATE, TRACE_NVMEV_NS_CREATE);
    NVMEV_WANT(m, NVMEV_TRACE_NS_DELETE, TRACE_NVMEV_NS_DELETE);
    NVMEV_WANT(m, NVMEV_TRACE_NS_CHANGED, TRACE_NVMEV_NS_CHANGED);
    NVMEV_WANT(m, NVMEV_TRACE_ZONE_STATE, TRACE_NVMEV_ZONE_STATE);
    NVMEV_WANT(m, NVMEV_TRACE_ZONE_FAULT, TRACE_NVMEV_ZONE_FAULT);
    NVMEV_WANT(m, NVMEV_TRACE_GC_START, TRACE_NVMEV_GC_START);
    NVMEV_WANT(m, NVMEV_TRACE_GC_END, TRACE_NVMEV_GC_END);
    return m;
}

/*
 * QEMU has no notifier for trace state changes (-trace at start, the
 * trace-event monitor command later), so the adapter compares at each pass
 * of the core and tells the core only when something changed.
 */
static void nvmev_trace_refresh(NvmevState *s)
{
    uint64_t m = nvmev_trace_wanted();

    if (m != qatomic_read(&s->trace_mask)) {
        qatomic_set(&s->trace_mask, m);
        nvmev_core_set_trace_mask(s->core, m);
    }
}

static const NvmevHostOps nvmev_host_ops = {
    .dma_read = nvmev_host_dma_read,
    .dma_write = nvmev_host_dma_write,
    .irq_assert = nvmev_host_irq_assert,
    .irq_deassert = nvmev_host_irq_deassert,
    .now_ns = nvmev_host_now_ns,
    .arm_timer = nvmev_host_arm_timer,
    .kick = nvmev_host_kick,
    .trace = nvmev_host_trace,
    .pmr_enable = nvmev_host_pmr_enable,
    .pmr_flush = nvmev_host_pmr_flush,
};

/* ---- ioeventfd doorbells ---- */

/*
 * With shadow doorbells (Doorbell Buffer Config) the core takes I/O queue
 * tails and heads from the shadow buffer, so a doorbell write only has to
 * say "look": the doorbells of I/O queues become ioeventfds on the device's
 * notifier. Under KVM that write never leaves the kernel; under TCG QEMU
 * signals the notifier without calling the device. The admin queue and every
 * register stay MMIO. Only the first NVMEV_IOEVENTFD_QUEUES pairs are
 * covered (KVM limits ioeventfds per VM); the others ring through MMIO.
 * Each pair's doorbells signal the notifier of its queue group.
 */
#define NVMEV_IOEVENTFD_QUEUES 64

static void nvmev_ioeventfd_set(NvmevState *s, bool on)
{
    if (!!s->ioeventfd_on == on) {
        return;
    }
    memory_region_transaction_begin();
    for (uint32_t qid = 1; qid <= s->ioeventfd_queues; qid++) {
        for (uint32_t cq = 0; cq < 2; cq++) {
            /* SQ tail, then CQ head, per pair: CAP.DSTRD is 0 */
            hwaddr addr = 0x1000 + (2 * qid + cq) * 4;
            EventNotifier *e = &s->groups[s->pair_group[qid - 1]].notifier;

            if (on) {
                memory_region_add_eventfd(&s->bar0, addr, 4, false, 0, e);
            } else {
                memory_region_del_eventfd(&s->bar0, addr, 4, false, 0, e);
            }
        }
    }
    memory_region_transaction_commit();
    qatomic_set(&s->ioeventfd_on, on);
    trace_nvmev_ioeventfd(nvmev_id(s), s->ioeventfd_queues, on);
}

/* Main loop (BQL): the core has shadow doorbells now. */
static void nvmev_ioeventfd_bh(void *opaque)
{
    NvmevState *s = opaque;

    if (nvmev_in_core) {
        qemu_bh_schedule(s->ioeventfd_bh);
        return;
    }
    if (s->core && nvmev_core_shadow_doorbells(s->core)) {
        nvmev_ioeventfd_set(s, true);
    }
}

/* After the core ran commands: Doorbell Buffer Config may have taken effect. */
static void nvmev_ioeventfd_check(NvmevState *s)
{
    if (s->ioeventfd && !qatomic_read(&s->ioeventfd_on) &&
        nvmev_core_shadow_doorbells(s->core)) {
        qemu_bh_schedule(s->ioeventfd_bh);
    }
}

/*
 * BQL held, before the guest can write another doorbell: a controller reset
 * ends shadow doorbells, and MMIO doorbells must carry their values again.
 */
static void nvmev_ioeventfd_sync_off(NvmevState *s)
{
    if (qatomic_read(&s->ioeventfd_on) &&
        !nvmev_core_shadow_doorbells(s->core)) {
        nvmev_ioeventfd_set(s, false);
    }
}

/* ---- AioContext handlers (each group's, in its context) ---- */


/* A pass of the core over the group: fetch, execute, post what is due. */
static void nvmev_process(NvmevGroup *g)
{
    if (g->stopping) {
        return;
    }
    if (nvmev_in_core) {
        qatomic_set(&g->kicked, 1);
        qemu_bh_schedule(g->process_bh);
        return;
    }
    nvmev_in_core = true;
    nvmev_trace_refresh(g->s);
    nvmev_core_process(g->s->core, g->index);
    nvmev_ioeventfd_check(g->s);
    nvmev_in_core = false;
}

static void nvmev_process_bh(void *opaque)
{
    NvmevGroup *g = opaque;

    qatomic_set(&g->kicked, 0);
    nvmev_process(g);
}

static void nvmev_timer_cb(void *opaque)
{
    NvmevGroup *g = opaque;
    NvmevState *s = g->s;
    int64_t spin_start = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);

    if (g->stopping) {
        return;
    }
    for (;;) {
        int64_t deadline = qatomic_read(&g->deadline_ns);
        int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

        if (deadline == INT64_MAX) {
            return;                 /* nothing left to post */
        }
        if (now >= deadline) {
            break;
        }
        if (!s->spin_ok || deadline - now > s->wake_ahead_ns) {
            /* Re-armed further out since this expiry was set. */
            timer_mod_ns(g->timer, nvmev_timer_expiry(s, deadline));
            return;
        }
        if (qemu_clock_get_ns(QEMU_CLOCK_REALTIME) - spin_start >=
            s->wake_ahead_ns) {
            timer_mod_ns(g->timer, deadline);   /* never wait longer */
            return;
        }
        /*
         * Keep fetching while waiting, so new commands start on time; in an
         * IOThread also those submitted through the shadow buffer alone
         * (while it polls, the guest rings no doorbell).
         */
        if (qatomic_xchg(&g->kicked, 0) ||
            (g->iothread && nvmev_core_poll(s->core, g->index))) {
            nvmev_process(g);
        }
        cpu_relax();
    }
    if (nvmev_in_core) {
        timer_mod_ns(g->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
        return;
    }
    nvmev_in_core = true;
    nvmev_core_timer(s->core, g->index);
    nvmev_in_core = false;
}

/*
 * IOThread adaptive polling (the IOThread's poll-max-ns): while the thread
 * polls, it asks the core whether a shadow doorbell of its group moved or a
 * completion is due, so commands the guest submits through the shadow
 * buffer and deadlines within the polling window are served without a
 * syscall. The core stops advancing the group's event indexes meanwhile, so
 * the guest rings no MMIO doorbells (each one a vCPU exit); QEMU polls once
 * more after io_poll_end, which catches a command submitted against the old
 * index.
 */
static bool nvmev_io_poll(void *opaque)
{
    NvmevGroup *g = container_of(opaque, NvmevGroup, notifier);

    return !g->stopping && !nvmev_in_core &&
           nvmev_core_poll(g->s->core, g->index);
}

static void nvmev_io_poll_ready(EventNotifier *e)
{
    nvmev_process(container_of(e, NvmevGroup, notifier));
}

static void nvmev_io_poll_begin(EventNotifier *e)
{
    NvmevGroup *g = container_of(e, NvmevGroup, notifier);

    if (!g->stopping && !nvmev_in_core) {
        nvmev_core_set_polling(g->s->core, g->index, 1);
    }
}

static void nvmev_io_poll_end(EventNotifier *e)
{
    NvmevGroup *g = container_of(e, NvmevGroup, notifier);

    if (!g->stopping && !nvmev_in_core) {
        nvmev_core_set_polling(g->s->core, g->index, 0);
    }
}

static void nvmev_notifier_read(EventNotifier *e)
{
    if (event_notifier_test_and_clear(e)) {
        nvmev_process(container_of(e, NvmevGroup, notifier));
    }
}

static void nvmev_attach_poll(void *opaque)
{
    NvmevGroup *g = opaque;

    aio_set_event_notifier(g->ctx, &g->notifier, nvmev_notifier_read,
                           nvmev_io_poll, nvmev_io_poll_ready);
    aio_set_event_notifier_poll(g->ctx, &g->notifier, nvmev_io_poll_begin,
                                nvmev_io_poll_end);
}

/*
 * The default 50 us timer slack would delay every deadline the device sleeps
 * for; completions must land on time.
 */
static void nvmev_set_timer_slack(void *opaque)
{
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

/* ---- BAR0 ---- */

static uint64_t nvmev_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    NvmevState *s = opaque;
    uint64_t val = nvmev_core_mmio_read(s->core, addr, size);

    trace_nvmev_mmio_read(addr, size, val);
    return val;
}

static void nvmev_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    NvmevState *s = opaque;
    bool was = nvmev_in_core;

    trace_nvmev_mmio_write(addr, size, val);
    nvmev_in_core = true;
    nvmev_core_mmio_write(s->core, addr, val, size);
    nvmev_in_core = was;
    if (addr < 0x1000) {
        nvmev_ioeventfd_sync_off(s);    /* CC.EN 1->0 ends shadow doorbells */
    }
}

static const MemoryRegionOps nvmev_mmio_ops = {
    .read = nvmev_mmio_read,
    .write = nvmev_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /* Every size reaches the core, which ignores what the spec forbids. */
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

/* ---- Realize / unrealize ---- */

static void nvmev_fill_config(NvmevState *s, NvmevConfig *cfg,
                              NvmevPropValue *values);

/*
 * The backing store holds the data (the capacity), then the kind's metadata
 * (ssd=zns: zone states); the core decides both sizes (nvmev_core_layout).
 */
static bool nvmev_setup_data(NvmevState *s, Error **errp)
{
    NvmevConfig cfg;
    NvmevLayout layout;
    NvmevPropValue values[NVMEV_MAX_PROPS];
    char *err = NULL;

    /* The subsystem's memdev is in use: by the namespace this one shares. */
    if (!(s->subsys && nvmev_subsys_has_memdev(s->subsys, s->ns.memdev)) &&
        !nvmev_ns_props_check_backing(&s->ns, "nvmev", errp)) {
        return false;
    }
    nvmev_fill_config(s, &cfg, values);
    if (nvmev_core_layout(&cfg, &layout, &err) < 0) {
        error_setg(errp, "nvmev: %s", err ? err : "invalid configuration");
        nvmev_core_free_error(err);
        return false;
    }
    if (layout.data_bytes < NVMEV_MIN_CAPACITY) {
        error_setg(errp, "nvmev: property '%s': a capacity of %" PRIu64
                   " bytes is below the minimum of %" PRIu64 " bytes",
                   s->ns.memdev ? "memdev" : "size", layout.data_bytes,
                   (uint64_t)NVMEV_MIN_CAPACITY);
        return false;
    }
    s->data_size = layout.data_bytes;
    s->metadata_size = layout.metadata_bytes;
    if (s->subsys &&
        !nvmev_subsys_lend_data(s->subsys, s, layout.data_bytes,
                                layout.metadata_bytes, errp)) {
        return false;
    }
    if (s->data_lent) {
        return true;
    }
    if (s->ns.memdev) {
        MemoryRegion *mr = host_memory_backend_get_memory(s->ns.memdev);

        s->data = memory_region_get_ram_ptr(mr);
        host_memory_backend_set_mapped(s->ns.memdev, true);
        return true;
    }
    /* Lazily zeroed: never-written blocks read as zeros. */
    s->map_size = layout.data_bytes + layout.metadata_bytes;
    s->data = mmap(NULL, s->map_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (s->data == MAP_FAILED) {
        s->data = NULL;
        error_setg_errno(errp, errno, "nvmev: cannot map %" PRIu64
                         " bytes for the data area", s->map_size);
        return false;
    }
    s->data_is_anon = true;
    return true;
}

static void nvmev_release_data(NvmevState *s)
{
    if (s->data_lent) {
        /* the subsystem's: it outlives this controller */
    } else if (s->data_is_anon && s->data) {
        munmap(s->data, s->map_size);
    } else if (s->ns.memdev && s->data) {
        host_memory_backend_set_mapped(s->ns.memdev, false);
    }
    s->data = NULL;
    s->data_is_anon = false;
    s->data_lent = false;
}

/* values: room for NVMEV_MAX_PROPS, as the core takes them */
static void nvmev_fill_config(NvmevState *s, NvmevConfig *cfg,
                              NvmevPropValue *values)
{
    if (!s->serial && !s->default_serial[0]) {
        /*
         * Distinct devices need distinct serials (Linux rejects a second
         * controller with the same subsystem NQN); the QOM path is unique
         * and stable across restarts with the same command line.
         */
        g_autofree char *path = object_get_canonical_path(OBJECT(s));
        snprintf(s->default_serial, sizeof(s->default_serial), "NVMEV%08X",
                 g_str_hash(path));
    }
    nvmev_ns_props_fill(&s->ns, cfg, values);
    cfg->serial = s->serial ? s->serial : s->default_serial;
    if (s->subsys) {
        /* The serial is the subsystem's; the namespace IDs derive from it. */
        cfg->serial = nvmev_subsys_serial(s->subsys);
        cfg->subsys = nvmev_subsys_core(s->subsys);
        cfg->cntlid = s->cntlid;
    }
    cfg->model = s->model;
    cfg->mdts = s->mdts;
    cfg->max_ioqpairs = s->max_ioqpairs;
    cfg->dbbuf_off = !s->dbbuf;
    cfg->msix_vectors = s->msix_vectors;
    cfg->cmb = s->cmb;
    cfg->cmb_bytes = s->cmb_bytes;
    cfg->pmr_bytes = s->pmr_bytes;
}

static void nvmev_exit_notify(Notifier *n, void *data)
{
    NvmevState *s = container_of(n, NvmevState, exit_notifier);

    if (s->core) {
        nvmev_core_checkpoint(s->core);
    }
}

static bool nvmev_create_core(NvmevState *s, Error **errp)
{
    NvmevConfig cfg;
    NvmevPropValue values[NVMEV_MAX_PROPS];
    char *err = NULL;
    int64_t pairs = s->max_ioqpairs < 0 ? 64 : s->max_ioqpairs;

    s->msix_vectors = MIN(MAX(pairs, 0) + 1, NVMEV_MAX_VECTORS);
    s->ioeventfd_queues = MIN(MAX(pairs, 0), NVMEV_IOEVENTFD_QUEUES);
    s->pairs = MAX(pairs, 0);
    nvmev_fill_config(s, &cfg, values);
    s->core = nvmev_core_new(&cfg, &nvmev_host_ops, s, s->data, &err);
    if (!s->core) {
        error_setg(errp, "nvmev: %s", err ? err : "invalid configuration");
        nvmev_core_free_error(err);
        return false;
    }
    s->trace_mask = nvmev_trace_wanted();
    nvmev_core_set_trace_mask(s->core, s->trace_mask);
    /*
     * QEMU does not unrealize devices when it exits; the drive state
     * (docs/persistence.md) is checkpointed then.
     */
    s->exit_notifier.notify = nvmev_exit_notify;
    qemu_add_exit_notifier(&s->exit_notifier);
    if (s->subsys) {
        nvmev_subsys_adopt_data(s->subsys, s);
    }
    return true;
}

static bool nvmev_init_pci(NvmevState *s, Error **errp)
{
    PCIDevice *pci = PCI_DEVICE(s);
    uint8_t *conf = pci->config;

    pci_config_set_prog_interface(conf, 0x2);   /* NVM Express */
    pci_config_set_class(conf, PCI_CLASS_STORAGE_EXPRESS);
    pci_config_set_interrupt_pin(conf, 1);
    if (pci_is_express(pci)) {
        pcie_endpoint_cap_init(pci, 0x80);
        pcie_cap_flr_init(pci);
    }

    memory_region_init_io(&s->bar0, OBJECT(s), &nvmev_mmio_ops, s,
                          "nvmev-bar0", nvmev_core_bar_size(s->core));
    pci_register_bar(pci, 0, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->bar0);

    /* MSI-X: a 32-bit BAR 4 of its own; BAR 5 is then free for a PMR. */
    if (msix_init_exclusive_bar(pci, s->msix_vectors, NVMEV_MSIX_BAR,
                                errp)) {
        return false;
    }
    s->msix_ready = true;
    nvmev_cmb_pmr_register_bars(s);
    for (unsigned v = 0; v < s->msix_vectors; v++) {
        msix_vector_use(pci, v);
    }
    return true;
}

static void nvmev_new_group(NvmevState *s, unsigned index,
                            IOThread *iothread)
{
    NvmevGroup *g = &s->groups[index];

    g->s = s;
    g->index = index;
    g->iothread = iothread;
    g->deadline_ns = INT64_MAX;
    g->ctx = iothread ? iothread_get_aio_context(iothread)
                      : qemu_get_aio_context();
    g->process_bh = aio_bh_new(g->ctx, nvmev_process_bh, g);
    /*
     * The main AioContext is a glib source whose timeouts are rounded up to
     * milliseconds; main-loop timers (timer_new_ns) have ns precision.
     */
    if (iothread) {
        g->timer = aio_timer_new(g->ctx, QEMU_CLOCK_VIRTUAL, SCALE_NS,
                                 nvmev_timer_cb, g);
    } else {
        g->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, nvmev_timer_cb, g);
    }
}

/*
 * The queue groups. With iothread-vq-mapping: one per listed IOThread, the
 * first also serving the admin queue; I/O queue pairs are assigned as
 * virtio-blk assigns virtqueues (QEMU's own iothread_vq_mapping_apply, with
 * "vq" n meaning I/O queue pair n + 1). Otherwise one group, in `iothread`
 * or the main loop.
 */
static bool nvmev_setup_groups(NvmevState *s, Error **errp)
{
    IOThreadVirtQueueMappingList *node;
    g_autofree AioContext **pair_ctx = NULL;
    unsigned n = 0;
    char *err = NULL;

    s->pair_group = g_new0(uint16_t, MAX(s->pairs, 1));
    if (!s->iothread_vq_mapping) {
        s->ngroups = 1;
        s->groups = g_new0(NvmevGroup, 1);
        nvmev_new_group(s, 0, s->iothread);
        return true;
    }
    pair_ctx = g_new0(AioContext *, MAX(s->pairs, 1));
    if (!iothread_vq_mapping_apply(s->iothread_vq_mapping, pair_ctx, s->pairs,
                                   errp)) {
        error_prepend(errp, "nvmev: property 'iothread-vq-mapping': ");
        return false;
    }
    s->vq_mapping_applied = true;
    for (node = s->iothread_vq_mapping; node; node = node->next) {
        n++;
    }
    s->ngroups = n;
    s->groups = g_new0(NvmevGroup, n);
    n = 0;
    for (node = s->iothread_vq_mapping; node; node = node->next, n++) {
        nvmev_new_group(s, n, iothread_by_id(node->value->iothread));
        for (uint32_t q = 0; q < s->pairs; q++) {
            if (pair_ctx[q] == s->groups[n].ctx) {
                s->pair_group[q] = n;
            }
        }
    }
    if (nvmev_core_map_queues(s->core, s->ngroups, s->pair_group, s->pairs,
                              &err) < 0) {
        error_setg(errp, "nvmev: property 'iothread-vq-mapping': %s", err);
        nvmev_core_free_error(err);
        return false;
    }
    return true;
}

static void nvmev_realize(PCIDevice *pci, Error **errp)
{
    NvmevState *s = NVMEV(pci);

    if (s->wake_ahead_ns < 0 || s->wake_ahead_ns > 1000000) {
        error_setg(errp, "nvmev: property 'wake-ahead-ns': %" PRId64 " is out "
                   "of range (allowed: 0..1000000)", s->wake_ahead_ns);
        return;
    }
    if (s->iothread && s->iothread_vq_mapping) {
        error_setg(errp, "nvmev: give either 'iothread' or "
                   "'iothread-vq-mapping', not both");
        return;
    }
    if (s->subsys && s->serial &&
        strcmp(s->serial, nvmev_subsys_serial(s->subsys))) {
        error_setg(errp, "nvmev: property 'serial': '%s' differs from "
                   "subsystem '%s''s serial (allowed: '%s' or none; set it "
                   "on the nvmev-subsys)", s->serial,
                   nvmev_subsys_id(s->subsys), nvmev_subsys_serial(s->subsys));
        return;
    }
    if (!s->subsys && s->cntlid) {
        error_setg(errp, "nvmev: property 'cntlid' needs 'subsys' (a "
                   "controller of its own has CNTLID 1)");
        return;
    }
    if (!nvmev_setup_data(s, errp)) {
        return;
    }
    if (!nvmev_cmb_pmr_setup(s, errp)) {
        nvmev_cmb_pmr_release(s);
        nvmev_release_data(s);
        return;
    }
    /*
     * Waiting on the clock only helps when the virtual clock follows real
     * time: under qtest or icount it moves only when the guest or test does.
     */
    s->spin_ok = s->wake_ahead_ns > 0 && !qtest_enabled() && !icount_enabled();
    s->irq_bh = qemu_bh_new(nvmev_irq_bh, s);

    if (!nvmev_create_core(s, errp) || !nvmev_setup_groups(s, errp) ||
        !nvmev_init_pci(s, errp)) {
        PCI_DEVICE_GET_CLASS(pci)->exit(pci);
        return;
    }
    qbus_init(&s->ns_bus, sizeof(s->ns_bus), TYPE_NVMEV_BUS, DEVICE(s),
              DEVICE(s)->id);
    if (s->iothread) {
        object_ref(OBJECT(s->iothread));
        s->iothread_ref = true;
    }
    /* ioeventfd doorbells, and each IOThread's poll handler */
    for (unsigned i = 0; i < s->ngroups; i++) {
        NvmevGroup *g = &s->groups[i];

        if (event_notifier_init(&g->notifier, 0) < 0) {
            error_setg_errno(errp, errno, "nvmev: cannot create the device's "
                             "event notifier");
            PCI_DEVICE_GET_CLASS(pci)->exit(pci);
            return;
        }
        g->notifier_ready = true;
        if (g->iothread) {
            aio_wait_bh_oneshot(g->ctx, nvmev_attach_poll, g);
        } else {
            nvmev_attach_poll(g);
        }
        aio_bh_schedule_oneshot(g->ctx, nvmev_set_timer_slack, NULL);
        trace_nvmev_queue_group(nvmev_id(s), i, g->iothread ?
                                iothread_get_id(g->iothread) : "main-loop");
    }
    s->ioeventfd_bh = qemu_bh_new(nvmev_ioeventfd_bh, s);
    trace_nvmev_realize(nvmev_id(s), nvmev_ns_props_ssd(&s->ns), s->data_size,
                        s->iothread_vq_mapping ? "iothread-vq-mapping" :
                        s->iothread ? "iothread" : "main-loop");
}

/* Runs in the group's AioContext, so no handler of the group runs meanwhile. */
static void nvmev_stop_handlers(void *opaque)
{
    NvmevGroup *g = opaque;

    if (g->timer) {
        timer_free(g->timer);
        g->timer = NULL;
    }
    if (g->process_bh) {
        qemu_bh_delete(g->process_bh);
        g->process_bh = NULL;
    }
    if (g->notifier_ready) {
        aio_set_event_notifier(g->ctx, &g->notifier, NULL, NULL, NULL);
    }
}

/* In the group's context: no handler of it enters the core from now on. */
static void nvmev_quiesce_group(void *opaque)
{
    NvmevGroup *g = opaque;

    g->stopping = true;
}

static void nvmev_exit(PCIDevice *pci)
{
    NvmevState *s = NVMEV(pci);

    /*
     * Every group stops entering the core before any group's bottom half or
     * timer is freed: a group's pass may kick or arm another group's (a CQ
     * or a copy they share), which must still exist then. vCPUs cannot
     * enter the core meanwhile: their MMIO needs the BQL, held here.
     */
    for (unsigned i = 0; i < s->ngroups; i++) {
        NvmevGroup *g = &s->groups[i];

        if (g->iothread && g->process_bh) {
            aio_wait_bh_oneshot(g->ctx, nvmev_quiesce_group, g);
        } else {
            nvmev_quiesce_group(g);
        }
    }
    for (unsigned i = 0; i < s->ngroups; i++) {
        NvmevGroup *g = &s->groups[i];

        if (g->iothread && (g->timer || g->process_bh || g->notifier_ready)) {
            aio_wait_bh_oneshot(g->ctx, nvmev_stop_handlers, g);
        } else {
            nvmev_stop_handlers(g);
        }
    }
    if (s->ioeventfd_bh) {
        nvmev_ioeventfd_set(s, false);
        qemu_bh_delete(s->ioeventfd_bh);
        s->ioeventfd_bh = NULL;
    }
    for (unsigned i = 0; i < s->ngroups; i++) {
        if (s->groups[i].notifier_ready) {
            event_notifier_cleanup(&s->groups[i].notifier);
            s->groups[i].notifier_ready = false;
        }
    }
    if (s->irq_bh) {
        qemu_bh_delete(s->irq_bh);
        s->irq_bh = NULL;
    }
    if (s->msix_ready) {
        msix_uninit_exclusive_bar(pci);
        s->msix_ready = false;
    }
    if (s->core) {
        qemu_remove_exit_notifier(&s->exit_notifier);
        nvmev_core_free(s->core);  /* checkpoints the drive state */
        s->core = NULL;
    }
    nvmev_ns_release_stores(s);  /* after the core: it points into them */
    g_free(s->ns.backing_name);
    s->ns.backing_name = NULL;
    nvmev_cmb_pmr_release(s);
    if (s->iothread_ref) {
        object_unref(OBJECT(s->iothread));
        s->iothread_ref = false;
    }
    if (s->vq_mapping_applied) {
        iothread_vq_mapping_cleanup(s->iothread_vq_mapping);
        s->vq_mapping_applied = false;
    }
    g_free(s->groups);
    s->groups = NULL;
    s->ngroups = 0;
    g_free(s->pair_group);
    s->pair_group = NULL;
    nvmev_release_data(s);
}

static void nvmev_reset(DeviceState *dev)
{
    NvmevState *s = NVMEV(dev);

    trace_nvmev_reset(nvmev_id(s));
    if (s->core) {
        nvmev_core_reset(s->core);
        /*
         * Every reset of a PCI function clears MSI-X Enable, but a system or
         * bus reset does so after this runs (pci_do_device_reset), without
         * a config write to tell the core: it starts pin-based here.
         */
        nvmev_core_set_msix(s->core, false);
        nvmev_ioeventfd_sync_off(s);
    }
    /*
     * Interrupts the IOThread asked for before the reset must not reach the
     * bottom half after it (e.g. INTx asserted again after an FLR).
     */
    for (uint32_t w = 0; w < ARRAY_SIZE(s->irq_pending); w++) {
        qatomic_set(&s->irq_pending[w], 0);
    }
    qatomic_set(&s->intx_want, 0);
}

static void nvmev_write_config(PCIDevice *pci, uint32_t addr, uint32_t val,
                               int len)
{
    NvmevState *s = NVMEV(pci);
    bool was = msix_enabled(pci);

    pci_default_write_config(pci, addr, val, len);
    pcie_cap_flr_write_config(pci, addr, val, len);
    if (s->core && msix_enabled(pci) != was) {
        trace_nvmev_msix(nvmev_id(s), msix_enabled(pci));
        nvmev_core_set_msix(s->core, msix_enabled(pci));
    }
}

/* ---- QMP helpers ---- */

typedef struct NvmevFindState {
    void (*fn)(NvmevState *s, void *opaque);
    void *opaque;
} NvmevFindState;

static int nvmev_foreach_cb(Object *obj, void *opaque)
{
    NvmevFindState *f = opaque;
    NvmevState *s = (NvmevState *)object_dynamic_cast(obj, TYPE_NVMEV);

    if (s && s->core) {
        f->fn(s, f->opaque);
    }
    return 0;
}

void nvmev_foreach(void (*fn)(NvmevState *s, void *opaque), void *opaque)
{
    NvmevFindState f = { fn, opaque };
    object_child_foreach_recursive(object_get_root(), nvmev_foreach_cb, &f);
}

typedef struct NvmevLookup {
    const char *id;
    NvmevState *found;
} NvmevLookup;

static void nvmev_lookup_cb(NvmevState *s, void *opaque)
{
    NvmevLookup *l = opaque;
    DeviceState *dev = DEVICE(s);

    if (dev->id && !strcmp(dev->id, l->id)) {
        l->found = s;
    }
}

NvmevState *nvmev_find(const char *id, Error **errp)
{
    NvmevLookup l = { id, NULL };
    Object *obj;

    nvmev_foreach(nvmev_lookup_cb, &l);
    if (l.found) {
        return l.found;
    }
    /* Also accept a QOM path. */
    obj = object_resolve_path_type(id, TYPE_NVMEV, NULL);
    if (obj && NVMEV(obj)->core) {
        return NVMEV(obj);
    }
    error_setg(errp, "no nvmev device with id '%s'", id);
    return NULL;
}

/* ---- Type registration ---- */

/* The controller's own; the namespace properties come from nvmev-props.c. */
static const Property nvmev_props[] = {
    DEFINE_PROP_LINK("iothread", NvmevState, iothread, TYPE_IOTHREAD,
                     IOThread *),
    DEFINE_PROP_IOTHREAD_VQ_MAPPING_LIST("iothread-vq-mapping", NvmevState,
                                         iothread_vq_mapping),
    DEFINE_PROP_STRING("serial", NvmevState, serial),
    DEFINE_PROP_STRING("model", NvmevState, model),
    DEFINE_PROP_INT64("mdts", NvmevState, mdts, -1),
    DEFINE_PROP_INT64("max-ioqpairs", NvmevState, max_ioqpairs, -1),
    DEFINE_PROP_INT64("wake-ahead-ns", NvmevState, wake_ahead_ns, 50000),
    DEFINE_PROP_BOOL("ioeventfd", NvmevState, ioeventfd, true),
    DEFINE_PROP_BOOL("dbbuf", NvmevState, dbbuf, true),
    DEFINE_PROP_SIZE("cmb-size", NvmevState, cmb_size, 0),
    DEFINE_PROP_LINK("cmb-memdev", NvmevState, cmb_memdev,
                     TYPE_MEMORY_BACKEND, HostMemoryBackend *),
    DEFINE_PROP_LINK("pmr-memdev", NvmevState, pmr_memdev,
                     TYPE_MEMORY_BACKEND, HostMemoryBackend *),
    DEFINE_PROP_LINK("subsys", NvmevState, subsys, TYPE_NVMEV_SUBSYS,
                     NvmevSubsysState *),
    DEFINE_PROP_UINT16("cntlid", NvmevState, cntlid, 0),
};

static const struct {
    const char *name;
    const char *desc;
} nvmev_prop_desc[] = {
    { "iothread", "IOThread that serves the queues (default: main loop)" },
    { "iothread-vq-mapping", "IOThreads that serve the queues, as a JSON "
      "list of {\"iothread\": id, \"vqs\": [n, ...]} where vq n is I/O "
      "queue pair n + 1 (without vqs: round robin); the first also serves "
      "the admin queue. Not with iothread" },
    { "serial", "serial number (up to 20 ASCII characters)" },
    { "model", "model number (up to 40 ASCII characters; default from the "
      "preset)" },
    { "mdts", "maximum data transfer size: 2^mdts x 4 KiB, 0 = no limit "
      "(default from the preset)" },
    { "max-ioqpairs", "I/O queue pairs offered, 1..65535 (default 64)" },
    { "ioeventfd", "with shadow doorbells, I/O queue doorbells signal an "
      "eventfd instead of running the device on the vCPU (default on)" },
    { "dbbuf", "offer Doorbell Buffer Config (shadow doorbells, OACS bit 8; "
      "default on); off makes the host ring every doorbell by MMIO" },
    { "cmb-size", "Controller Memory Buffer of this many bytes of RAM in "
      "BAR 2, 4K..1G in 4 KiB steps (default 0: none)" },
    { "cmb-memdev", "Controller Memory Buffer in this memory backend "
      "(its size: 4K..1G in 4 KiB steps); not with cmb-size" },
    { "pmr-memdev", "Persistent Memory Region in this memory backend, in BAR "
      "5 (size a power of two, 4K..256M); memory-backend-file,share=on keeps "
      "its contents" },
    { "subsys", "the nvmev-subsys device (given before it) this controller belongs to: its "
      "controllers share NSID 1 (give it the same namespace properties on "
      "each) and report its NQN and serial" },
    { "cntlid", "controller ID within the subsystem, 1..65519 (default 0: "
      "the lowest free; needs subsys)" },
    { "wake-ahead-ns", "wake this long before a completion deadline and "
      "wait out the rest on the clock, 0..1000000 (default 50000); 0 sleeps "
      "to the deadline" },
};

static const VMStateDescription nvmev_vmstate = {
    .name = "nvmev",
    .unmigratable = 1,
};

static void nvmev_class_init(ObjectClass *oc, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(oc);

    pc->realize = nvmev_realize;
    pc->exit = nvmev_exit;
    pc->config_write = nvmev_write_config;
    pc->vendor_id = NVMEV_PCI_VENDOR_ID;
    pc->device_id = NVMEV_PCI_DEVICE_ID;
    pc->class_id = PCI_CLASS_STORAGE_EXPRESS;
    pc->revision = 1;

    set_bit(DEVICE_CATEGORY_STORAGE, dc->categories);
    dc->desc = "nvmev: emulated NVMe SSD with timing models";
    dc->vmsd = &nvmev_vmstate;
    device_class_set_legacy_reset(dc, nvmev_reset);
    nvmev_ns_props_register(dc, nvmev_props, ARRAY_SIZE(nvmev_props),
                            offsetof(NvmevState, ns));
    for (size_t i = 0; i < ARRAY_SIZE(nvmev_prop_desc); i++) {
        object_class_property_set_description(oc, nvmev_prop_desc[i].name,
                                              nvmev_prop_desc[i].desc);
    }
}

static const TypeInfo nvmev_info = {
    .name = TYPE_NVMEV,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(NvmevState),
    .class_init = nvmev_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void nvmev_register_types(void)
{
    type_register_static(&nvmev_info);
}

type_init(nvmev_register_types)
