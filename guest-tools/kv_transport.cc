#include "kv_transport.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

// libnvme 1.3's headers have no extern "C" guards of their own.
extern "C" {
#include <nvme/ioctl.h>
#include <nvme/types.h>
}

namespace nvmev_kv {
namespace {

constexpr size_t kPage = 4096;

struct FreeDeleter {
    void operator()(void *p) const { std::free(p); }
};

}  // namespace

Reply IoctlTransport::submit(const Command &cmd, std::span<uint8_t> data)
{
    for (int i = 4; i <= 9; i++) {
        if (cmd.dw[i] != 0) {
            return Reply{.err = EINVAL};
        }
    }
    // A page-aligned buffer maps straight to PRPs instead of a bounce copy.
    std::unique_ptr<void, FreeDeleter> buf;
    if (!data.empty()) {
        void *p = nullptr;
        if (posix_memalign(&p, kPage, (data.size() + kPage - 1) / kPage * kPage) != 0) {
            return Reply{.err = ENOMEM};
        }
        buf.reset(p);
        std::memcpy(p, data.data(), data.size());
    }
    struct nvme_passthru_cmd pt {};
    pt.opcode = cmd.opcode();
    pt.flags = static_cast<__u8>(cmd.dw[0] >> 8);
    pt.nsid = cmd.dw[1];
    pt.cdw2 = cmd.dw[2];
    pt.cdw3 = cmd.dw[3];
    pt.addr = reinterpret_cast<uintptr_t>(buf.get());
    pt.data_len = static_cast<__u32>(data.size());
    pt.cdw10 = cmd.dw[10];
    pt.cdw11 = cmd.dw[11];
    pt.cdw12 = cmd.dw[12];
    pt.cdw13 = cmd.dw[13];
    pt.cdw14 = cmd.dw[14];
    pt.cdw15 = cmd.dw[15];
    __u32 result = 0;
    const int rc = nvme_submit_io_passthru(fd_, &pt, &result);
    if (rc < 0) {
        return Reply{.err = errno != 0 ? errno : EIO};
    }
    if (cmd.dir == DataDir::from_device && !data.empty()) {
        std::memcpy(data.data(), buf.get(), data.size());
    }
    return Reply{.status = status_code(rc), .dw0 = result};
}

Reply DryRunTransport::submit(const Command &cmd, std::span<uint8_t> data)
{
    std::fprintf(out_, "dry-run:");
    for (uint32_t dw : cmd.dw) {
        std::fprintf(out_, " %08x", dw);
    }
    const char *dir = cmd.dir == DataDir::to_device     ? " to the device"
                      : cmd.dir == DataDir::from_device ? " from the device"
                                                        : "";
    std::fprintf(out_, " data %u%s\n", cmd.data_len, dir);
    if (cmd.dir == DataDir::from_device) {
        std::fill(data.begin(), data.end(), 0);
    }
    return Reply{};
}

std::optional<Flavour> detect_flavour(int fd, uint32_t nsid)
{
    std::unique_ptr<void, FreeDeleter> buf;
    void *p = nullptr;
    if (posix_memalign(&p, kPage, NVME_IDENTIFY_DATA_SIZE) != 0) {
        return std::nullopt;
    }
    buf.reset(p);
    std::memset(p, 0, NVME_IDENTIFY_DATA_SIZE);
    if (nvme_identify_ns_descs(fd, nsid, static_cast<struct nvme_ns_id_desc *>(p)) != 0) {
        return std::nullopt;
    }
    // Descriptors: type, length, 2 reserved bytes, the identifier; a type
    // of 0 ends the list.
    const auto *d = static_cast<const uint8_t *>(p);
    for (size_t at = 0; at + 4 <= NVME_IDENTIFY_DATA_SIZE && d[at] != 0;) {
        const size_t len = d[at + 1];
        if (d[at] == NVME_NIDT_CSI && len >= 1 && at + 4 < NVME_IDENTIFY_DATA_SIZE) {
            return d[at + 4] == NVME_CSI_KV ? Flavour::standard : Flavour::vendor;
        }
        at += 4 + len;
    }
    return Flavour::vendor;
}

std::optional<uint32_t> namespace_id(int fd)
{
    __u32 nsid = 0;
    if (nvme_get_nsid(fd, &nsid) != 0 || nsid == 0) {
        return std::nullopt;
    }
    return nsid;
}

std::optional<uint32_t> max_transfer(int fd)
{
    struct nvme_id_ctrl ctrl {};
    if (nvme_identify_ctrl(fd, &ctrl) != 0) {
        return std::nullopt;
    }
    // 0 is "no limit"; 2 MiB is plenty for a value, a list or a batch.
    const unsigned shift = ctrl.mdts == 0 || ctrl.mdts > 9 ? 9 : ctrl.mdts;
    return static_cast<uint32_t>(kPage << shift);
}

}  // namespace nvmev_kv
