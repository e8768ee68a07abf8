// nvmev-vfio-probe: a test probe, not a driver. It proves that an NVMe
// controller bound to vfio-pci behind an IOMMU can reach only the memory
// its user mapped: it maps one 64 KiB buffer at an IOVA through VFIO type 1,
// brings the controller up with its admin queues in that buffer, and sends
// two Identify Controller commands, one whose PRP1 points just past the
// mapping and one whose PRP1 points into it. It prints one line each:
//
//   unmapped-prp iova=0x... status=0x0004 sct=0 sc=0x04
//   mapped-prp iova=0x... status=0x0000 vid=0x1b36 mn=...
//
// and exits 0 if it could issue both (whatever their statuses: the caller
// checks them). The data path demonstrated in docs/kernel-bypass.md is
// QEMU's userspace NVMe driver (qemu-io, qemu-img: nvme://); this only
// issues the one command that driver never would.
//
//   nvmev-vfio-probe 0000:00:04.0
#include <fcntl.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

// libnvme 1.3's headers have no extern "C" guards of their own.
extern "C" {
#include <nvme/types.h>
}

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

constexpr uint64_t kIova = 0x10000000;  // where the buffer appears to the device
constexpr size_t kBufBytes = 64 * 1024;
constexpr size_t kSqOff = 0, kCqOff = 4096, kDataOff = 8192;
constexpr uint32_t kQueueEntries = 32;
constexpr uint16_t kPciCommandMemory = 0x2, kPciCommandMaster = 0x4;

struct Sqe {  // NVMe 2.0 base specification, Figure 88
    uint32_t cdw0, nsid, cdw2, cdw3;
    uint64_t mptr, prp1, prp2;
    uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};
static_assert(sizeof(Sqe) == 64);

struct Cqe {  // Figure 90
    uint32_t dw0, dw1;
    uint16_t sq_head, sq_id, cid, status;
};
static_assert(sizeof(Cqe) == 16);

[[noreturn]] void fail(const char *what)
{
    std::fprintf(stderr, "nvmev-vfio-probe: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

[[noreturn]] void fail_msg(const std::string &msg)
{
    std::fprintf(stderr, "nvmev-vfio-probe: %s\n", msg.c_str());
    std::exit(1);
}

// The device's VFIO group, its config space and BAR 0 (through the
// device fd's regions: pread/pwrite, no mmap needed for a few registers).
class VfioDevice {
public:
    explicit VfioDevice(const std::string &bdf)
    {
        container_ = open("/dev/vfio/vfio", O_RDWR);
        if (container_ < 0) {
            fail("/dev/vfio/vfio (load vfio and vfio_iommu_type1)");
        }
        if (ioctl(container_, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
            !ioctl(container_, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU)) {
            fail_msg("VFIO type 1 IOMMU not supported (no IOMMU in this guest?)");
        }
        group_ = open(("/dev/vfio/" + group_of(bdf)).c_str(), O_RDWR);
        if (group_ < 0) {
            fail("the device's /dev/vfio group (is it bound to vfio-pci?)");
        }
        vfio_group_status st{};
        st.argsz = sizeof(st);
        if (ioctl(group_, VFIO_GROUP_GET_STATUS, &st) < 0 ||
            !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
            fail_msg("group not viable: bind every device of the group to vfio-pci");
        }
        if (ioctl(group_, VFIO_GROUP_SET_CONTAINER, &container_) < 0 ||
            ioctl(container_, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0) {
            fail("VFIO_SET_IOMMU");
        }
        device_ = ioctl(group_, VFIO_GROUP_GET_DEVICE_FD, bdf.c_str());
        if (device_ < 0) {
            fail("VFIO_GROUP_GET_DEVICE_FD");
        }
        config_ = region_offset(VFIO_PCI_CONFIG_REGION_INDEX);
        bar0_ = region_offset(VFIO_PCI_BAR0_REGION_INDEX);
    }

    // Maps `bytes` of `buf` at `iova` for device reads and writes.
    void map_dma(void *buf, uint64_t iova, size_t bytes)
    {
        vfio_iommu_type1_dma_map map = {.argsz = sizeof(map),
                                        .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
                                        .vaddr = reinterpret_cast<uint64_t>(buf),
                                        .iova = iova,
                                        .size = bytes};
        if (ioctl(container_, VFIO_IOMMU_MAP_DMA, &map) < 0) {
            fail("VFIO_IOMMU_MAP_DMA");
        }
    }

    void enable_bus_master()
    {
        uint16_t cmd = 0;
        io(pread(device_, &cmd, 2, config_ + 4), 2, "config read");
        cmd |= kPciCommandMemory | kPciCommandMaster;
        io(pwrite(device_, &cmd, 2, config_ + 4), 2, "config write");
    }

    uint32_t read32(uint64_t reg)
    {
        uint32_t v = 0;
        io(pread(device_, &v, 4, bar0_ + reg), 4, "BAR 0 read");
        return v;
    }

    void write32(uint64_t reg, uint32_t v)
    {
        io(pwrite(device_, &v, 4, bar0_ + reg), 4, "BAR 0 write");
    }

    // 64-bit registers as two dwords, low first (NVMe allows it).
    uint64_t read64(uint64_t reg) { return read32(reg) | uint64_t(read32(reg + 4)) << 32; }

    void write64(uint64_t reg, uint64_t v)
    {
        write32(reg, uint32_t(v));
        write32(reg + 4, uint32_t(v >> 32));
    }

private:
    static std::string group_of(const std::string &bdf)
    {
        char link[256] = {};
        const std::string path = "/sys/bus/pci/devices/" + bdf + "/iommu_group";
        if (readlink(path.c_str(), link, sizeof(link) - 1) < 0) {
            fail(("no IOMMU group for " + bdf + " (boot with intel_iommu=on)").c_str());
        }
        const char *slash = std::strrchr(link, '/');
        return slash ? slash + 1 : link;
    }

    uint64_t region_offset(uint32_t index)
    {
        vfio_region_info info{};
        info.argsz = sizeof(info);
        info.index = index;
        if (ioctl(device_, VFIO_DEVICE_GET_REGION_INFO, &info) < 0) {
            fail("VFIO_DEVICE_GET_REGION_INFO");
        }
        return info.offset;
    }

    static void io(ssize_t got, ssize_t want, const char *what)
    {
        if (got != want) {
            fail(what);
        }
    }

    int container_ = -1, group_ = -1, device_ = -1;
    uint64_t config_ = 0, bar0_ = 0;
};

// A controller with one admin queue pair in the mapped buffer, polled.
class AdminQueue {
public:
    AdminQueue(VfioDevice &dev, uint8_t *buf) : dev_(dev), buf_(buf)
    {
        const uint64_t cap = dev_.read64(NVME_REG_CAP);
        timeout_ms_ = 500 * ((cap >> 24) & 0xff) + 500;
        doorbell_stride_ = 4u << ((cap >> 32) & 0xf);
        dev_.write32(NVME_REG_CC, 0);
        wait_ready(false);
        dev_.write32(NVME_REG_AQA, (kQueueEntries - 1) << 16 | (kQueueEntries - 1));
        dev_.write64(NVME_REG_ASQ, kIova + kSqOff);
        dev_.write64(NVME_REG_ACQ, kIova + kCqOff);
        // IOCQES 4 (16 B), IOSQES 6 (64 B), MPS 0 (4 KiB), CSS NVM, EN.
        dev_.write32(NVME_REG_CC, 4u << 20 | 6u << 16 | 1);
        wait_ready(true);
    }

    ~AdminQueue() { dev_.write32(NVME_REG_CC, 0); }

    // Submits `sqe` and returns its completion's status field (phase bit
    // dropped): SCT in bits 11:9, SC in bits 8:1, as in the CQE.
    uint16_t call(Sqe sqe)
    {
        sqe.cdw0 = (sqe.cdw0 & 0xffff) | uint32_t(cid_++) << 16;
        std::memcpy(buf_ + kSqOff + sq_tail_ * sizeof(Sqe), &sqe, sizeof(sqe));
        sq_tail_ = (sq_tail_ + 1) % kQueueEntries;
        dev_.write32(0x1000, sq_tail_);
        const auto *cq = reinterpret_cast<volatile Cqe *>(buf_ + kCqOff);
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
        while ((cq[cq_head_].status & 1) != phase_) {
            if (std::chrono::steady_clock::now() > deadline) {
                fail_msg("no completion within CAP.TO");
            }
            std::this_thread::yield();
        }
        const uint16_t status = cq[cq_head_].status & 0xfffe;
        if (++cq_head_ == kQueueEntries) {
            cq_head_ = 0;
            phase_ ^= 1;
        }
        dev_.write32(0x1000 + doorbell_stride_, cq_head_);
        return status;
    }

private:
    void wait_ready(bool ready)
    {
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
        while (bool(dev_.read32(NVME_REG_CSTS) & 1) != ready) {
            if (std::chrono::steady_clock::now() > deadline) {
                fail_msg(ready ? "CSTS.RDY did not become 1" : "CSTS.RDY did not become 0");
            }
            std::this_thread::yield();
        }
    }

    VfioDevice &dev_;
    uint8_t *buf_;
    uint32_t timeout_ms_ = 0, doorbell_stride_ = 4;
    uint32_t sq_tail_ = 0, cq_head_ = 0;
    uint16_t cid_ = 0, phase_ = 1;
};

Sqe identify_controller(uint64_t prp1)
{
    Sqe sqe{};
    sqe.cdw0 = nvme_admin_identify;
    sqe.prp1 = prp1;
    sqe.cdw10 = NVME_IDENTIFY_CNS_CTRL;
    return sqe;
}

void print_status(const char *what, uint64_t iova, uint16_t status)
{
    std::printf("%s iova=0x%llx status=0x%04x sct=%u sc=0x%02x", what,
                static_cast<unsigned long long>(iova), status >> 1, (status >> 9) & 7,
                (status >> 1) & 0xff);
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: nvmev-vfio-probe DOMAIN:BUS:DEV.FN (bound to vfio-pci)\n");
        return 2;
    }
    VfioDevice dev(argv[1]);
    void *mem =
        mmap(nullptr, kBufBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        fail("mmap");
    }
    auto *buf = static_cast<uint8_t *>(mem);
    dev.map_dma(buf, kIova, kBufBytes);
    dev.enable_bus_master();
    AdminQueue admin(dev, buf);

    // The first page past the mapping: the IOMMU has no entry for it.
    const uint64_t outside = kIova + kBufBytes;
    print_status("unmapped-prp", outside, admin.call(identify_controller(outside)));
    std::printf("\n");

    const uint64_t inside = kIova + kDataOff;
    const uint16_t ok = admin.call(identify_controller(inside));
    nvme_id_ctrl id;
    std::memcpy(&id, buf + kDataOff, sizeof(id));
    print_status("mapped-prp", inside, ok);
    std::printf(" vid=0x%04x mn=%.*s\n", id.vid, int(sizeof(id.mn)), id.mn);
    return 0;
}
