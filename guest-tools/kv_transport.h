// nvmev-kv's two ways of sending a command: Linux's NVMe passthrough ioctl
// (through libnvme), or a dry run that prints the command instead.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>

#include "kv_client.h"

namespace nvmev_kv {

class IoctlTransport : public Transport {
public:
    explicit IoctlTransport(int fd) : fd_(fd) {}
    // EINVAL for a command that sets CDW4..9: the driver owns them.
    Reply submit(const Command &cmd, std::span<uint8_t> data) override;

private:
    int fd_;
};

// Prints each command's 16 dwords as one line and answers it with success,
// DW0 0 and zeroed data.
class DryRunTransport : public Transport {
public:
    explicit DryRunTransport(FILE *out) : out_(out) {}
    Reply submit(const Command &cmd, std::span<uint8_t> data) override;

private:
    FILE *out_;
};

// What the device says about the namespace behind fd.
std::optional<Flavour> detect_flavour(int fd, uint32_t nsid);
// The namespace of a namespace device node, nullopt for a controller.
std::optional<uint32_t> namespace_id(int fd);
// The controller's maximum data transfer in bytes (MDTS, 4 KiB pages).
std::optional<uint32_t> max_transfer(int fd);

}  // namespace nvmev_kv
