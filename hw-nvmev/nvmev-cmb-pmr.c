/*
 * nvmev: the Controller Memory Buffer and the Persistent Memory Region.
 *
 * The CMB is RAM (cmb-size=, or the backend cmb-memdev=) mapped from offset
 * 0 of BAR 2, a 64-bit prefetchable BAR of its own; the core gets a pointer
 * to it and serves its controller accesses from it (core/host.h). The PMR
 * is a memory backend (pmr-memdev=) mapped as BAR 5, a 32-bit prefetchable
 * BAR, while PMRCTL.EN is set; a file backend with share=on keeps its
 * contents across runs. The guest reaches both with plain loads and stores
 * to RAM: no access traps.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/units.h"
#include "qemu/host-utils.h"
#include "hw/pci/pci.h"
#include "system/hostmem.h"
#include "nvmev.h"

#define NVMEV_CMB_MIN (4 * KiB)
#define NVMEV_CMB_MAX (1 * GiB)
#define NVMEV_PMR_MIN (4 * KiB)
#define NVMEV_PMR_MAX (256 * MiB)   /* a 32-bit BAR: below 4 GiB */

static bool nvmev_cmb_size_ok(uint64_t size, const char *prop, Error **errp)
{
    if (size < NVMEV_CMB_MIN || size > NVMEV_CMB_MAX || size % (4 * KiB)) {
        error_setg(errp, "nvmev: property '%s': %" PRIu64 " bytes is not a "
                   "valid CMB size (allowed: 4K..1G in 4 KiB steps)", prop,
                   size);
        return false;
    }
    return true;
}

/* A backend for this device alone: QEMU maps a backend in one place. */
static bool nvmev_backend_free(HostMemoryBackend *b, const char *prop,
                               Error **errp)
{
    if (host_memory_backend_is_mapped(b)) {
        error_setg(errp, "nvmev: property '%s': backend '%s' is already in "
                   "use", prop, object_get_canonical_path_component(OBJECT(b)));
        return false;
    }
    /* The PMR too: PMRCAP says the host may write it (WDS). */
    return nvmev_backend_writable(b, "nvmev", prop, errp);
}

static bool nvmev_setup_cmb(NvmevState *s, Error **errp)
{
    MemoryRegion *mr;

    if (s->cmb_size && s->cmb_memdev) {
        error_setg(errp, "nvmev: give either 'cmb-size' or 'cmb-memdev', not "
                   "both (with 'cmb-memdev' the CMB's size is the backend's)");
        return false;
    }
    if (s->cmb_memdev) {
        if (!nvmev_backend_free(s->cmb_memdev, "cmb-memdev", errp)) {
            return false;
        }
        mr = host_memory_backend_get_memory(s->cmb_memdev);
        if (!nvmev_cmb_size_ok(memory_region_size(mr), "cmb-memdev", errp)) {
            return false;
        }
        host_memory_backend_set_mapped(s->cmb_memdev, true);
        s->cmb_mr = mr;
    } else if (s->cmb_size) {
        if (!nvmev_cmb_size_ok(s->cmb_size, "cmb-size", errp) ||
            !memory_region_init_ram(&s->cmb_ram, OBJECT(s), "nvmev-cmb",
                                    s->cmb_size, errp)) {
            return false;
        }
        s->cmb_mr = &s->cmb_ram;
    } else {
        return true;
    }
    s->cmb_bytes = memory_region_size(s->cmb_mr);
    s->cmb = memory_region_get_ram_ptr(s->cmb_mr);
    return true;
}

static bool nvmev_setup_pmr(NvmevState *s, Error **errp)
{
    uint64_t size;

    if (!s->pmr_memdev) {
        return true;
    }
    if (!nvmev_backend_free(s->pmr_memdev, "pmr-memdev", errp)) {
        return false;
    }
    size = memory_region_size(host_memory_backend_get_memory(s->pmr_memdev));
    /* A BAR's size is a power of two, and the PMR is the whole BAR. */
    if (size < NVMEV_PMR_MIN || size > NVMEV_PMR_MAX || !is_power_of_2(size)) {
        error_setg(errp, "nvmev: property 'pmr-memdev': backend '%s' has %"
                   PRIu64 " bytes (allowed: a power of two, 4K..256M)",
                   object_get_canonical_path_component(OBJECT(s->pmr_memdev)),
                   size);
        return false;
    }
    host_memory_backend_set_mapped(s->pmr_memdev, true);
    s->pmr_bytes = size;
    return true;
}

bool nvmev_cmb_pmr_setup(NvmevState *s, Error **errp)
{
    return nvmev_setup_cmb(s, errp) && nvmev_setup_pmr(s, errp);
}

void nvmev_cmb_pmr_register_bars(NvmevState *s)
{
    PCIDevice *pci = PCI_DEVICE(s);

    if (s->cmb_mr) {
        /* The BAR is a power of two; the CMB starts it (CMBLOC.OFST 0). */
        memory_region_init(&s->cmb_bar, OBJECT(s), "nvmev-cmb-bar",
                           pow2ceil(s->cmb_bytes));
        memory_region_add_subregion(&s->cmb_bar, 0, s->cmb_mr);
        pci_register_bar(pci, NVMEV_CMB_BAR, PCI_BASE_ADDRESS_SPACE_MEMORY |
                         PCI_BASE_ADDRESS_MEM_TYPE_64 |
                         PCI_BASE_ADDRESS_MEM_PREFETCH, &s->cmb_bar);
    }
    if (s->pmr_memdev) {
        MemoryRegion *mr = host_memory_backend_get_memory(s->pmr_memdev);

        /* Unmapped until the host sets PMRCTL.EN. */
        memory_region_set_enabled(mr, false);
        pci_register_bar(pci, NVMEV_PMR_BAR, PCI_BASE_ADDRESS_SPACE_MEMORY |
                         PCI_BASE_ADDRESS_MEM_PREFETCH, mr);
    }
}

void nvmev_cmb_pmr_release(NvmevState *s)
{
    if (s->cmb_mr) {
        if (memory_region_is_mapped(s->cmb_mr)) {
            memory_region_del_subregion(&s->cmb_bar, s->cmb_mr);
        }
        if (s->cmb_memdev) {
            host_memory_backend_set_mapped(s->cmb_memdev, false);
        }
        s->cmb_mr = NULL;
        s->cmb = NULL;
        s->cmb_bytes = 0;
    }
    if (s->pmr_bytes) {
        MemoryRegion *mr = host_memory_backend_get_memory(s->pmr_memdev);

        memory_region_msync(mr, 0, s->pmr_bytes);
        memory_region_set_enabled(mr, true);
        host_memory_backend_set_mapped(s->pmr_memdev, false);
        s->pmr_bytes = 0;
    }
}

/* Host callbacks: under the BQL (a register write, or a device reset). */
void nvmev_host_pmr_enable(void *opaque, int on)
{
    NvmevState *s = opaque;

    if (s->pmr_memdev) {
        memory_region_set_enabled(
            host_memory_backend_get_memory(s->pmr_memdev), on);
    }
}

void nvmev_host_pmr_flush(void *opaque)
{
    NvmevState *s = opaque;

    if (s->pmr_memdev) {
        memory_region_msync(host_memory_backend_get_memory(s->pmr_memdev), 0,
                            s->pmr_bytes);
    }
}
