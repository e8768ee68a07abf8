// nvmev-info: prints what an NVMe controller says about itself and its
// namespaces, through libnvme's ioctl wrappers. The first of nvmev's own
// guest tools; it also proves the guest image carries libnvme-built tools.
//
//   nvmev-info /dev/nvme0 [--json]
#include <fcntl.h>
#include <unistd.h>

// libnvme 1.3's headers have no extern "C" guards of their own.
extern "C" {
#include <nvme/ioctl.h>
#include <nvme/types.h>
}

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace {

std::string trimmed(const char *field, size_t len)
{
    std::string s(field, strnlen(field, len));
    while (!s.empty() && s.back() == ' ') {
        s.pop_back();
    }
    return s;
}

int usage()
{
    std::fprintf(stderr, "usage: nvmev-info /dev/nvmeN [--json]\n");
    return 2;
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        return usage();
    }
    const bool json = argc == 3 && std::string_view(argv[2]) == "--json";
    if (argc == 3 && !json) {
        return usage();
    }
    const int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        std::fprintf(stderr, "nvmev-info: %s: %s\n", argv[1], std::strerror(errno));
        return 1;
    }
    struct nvme_id_ctrl ctrl {};
    int err = nvme_identify_ctrl(fd, &ctrl);
    if (err) {
        std::fprintf(stderr, "nvmev-info: identify controller failed: %s\n",
                     err < 0 ? std::strerror(errno) : "NVMe status");
        close(fd);
        return 1;
    }
    const std::string sn = trimmed(ctrl.sn, sizeof(ctrl.sn));
    const std::string mn = trimmed(ctrl.mn, sizeof(ctrl.mn));
    const std::string fr = trimmed(ctrl.fr, sizeof(ctrl.fr));
    if (json) {
        std::printf(
            "{\"serial\": \"%s\", \"model\": \"%s\", \"firmware\": \"%s\", "
            "\"mdts\": %u, \"namespaces\": [",
            sn.c_str(), mn.c_str(), fr.c_str(), ctrl.mdts);
    } else {
        std::printf(
            "serial     %s\nmodel      %s\nfirmware   %s\nmdts       %u\n"
            "namespaces %u\n",
            sn.c_str(), mn.c_str(), fr.c_str(), ctrl.mdts, ctrl.nn);
    }
    bool first = true;
    for (__u32 nsid = 1; nsid <= ctrl.nn && nsid <= 1024; nsid++) {
        struct nvme_id_ns ns {};
        if (nvme_identify_ns(fd, nsid, &ns) != 0 || ns.nsze == 0) {
            continue;
        }
        const unsigned lbads = ns.lbaf[ns.flbas & 0xf].ds;
        const unsigned long long bytes = static_cast<unsigned long long>(ns.nsze) << lbads;
        if (json) {
            std::printf(
                "%s{\"nsid\": %u, \"blocks\": %llu, \"block_size\": %u, "
                "\"bytes\": %llu}",
                first ? "" : ", ", nsid, static_cast<unsigned long long>(ns.nsze), 1u << lbads,
                bytes);
        } else {
            std::printf("ns %-6u  %llu blocks of %u bytes (%llu bytes)\n", nsid,
                        static_cast<unsigned long long>(ns.nsze), 1u << lbads, bytes);
        }
        first = false;
    }
    if (json) {
        std::printf("]}\n");
    }
    close(fd);
    return 0;
}
