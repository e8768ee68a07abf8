// The KV operations of nvmev-kv over either flavour, sent through a
// Transport: the passthrough ioctl, a dry run, or a unit test's fake device.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kv_commands.h"

namespace nvmev_kv {

struct Reply {
    int err = 0;          // errno when the command was not sent or its data was malformed
    uint16_t status = 0;  // status_code() of the completion
    uint32_t dw0 = 0;

    bool ok() const { return err == 0 && status == 0; }
};

class Transport {
public:
    virtual ~Transport() = default;
    // data has cmd.data_len bytes: sent (to_device) or filled (from_device).
    virtual Reply submit(const Command &cmd, std::span<uint8_t> data) = 0;
};

enum class PutMode { plain, if_exists, if_absent, append };

struct GetOptions {
    uint32_t buffer = 0;  // bytes
    uint32_t offset = 0;  // vendor only
    // If the value is larger than buffer, ask again for all of it, up to
    // this many bytes (0: never).
    uint32_t grow_to = 0;
};

class KvClient {
public:
    KvClient(Transport &transport, Flavour flavour, uint32_t nsid)
        : t_(transport), flavour_(flavour), nsid_(nsid)
    {
    }

    Flavour flavour() const { return flavour_; }
    // The flavour's "key does not exist".
    bool missing(const Reply &r) const;

    // EOPNOTSUPP for a mode the flavour lacks (standard append, vendor if_exists).
    Reply put(const Bytes &key, std::span<const uint8_t> value, PutMode mode);
    // value gets what the device returned; the reply's dw0 is the value's full size.
    Reply get(const Bytes &key, const GetOptions &opts, Bytes &value);
    Reply remove(const Bytes &key);
    Reply exists(const Bytes &key);
    // Keys >= start that begin with prefix, in byte order, at most max.
    Reply list(const Bytes &start, const Bytes &prefix, size_t max, std::vector<Bytes> &keys,
               uint32_t buffer);
    Reply batch(std::span<const vendor::BatchOp> ops);  // vendor only

private:
    Reply get_once(const Bytes &key, uint32_t buffer, uint32_t offset, Bytes &value);
    Reply list_standard(const Bytes &start, const Bytes &prefix, size_t max,
                        std::vector<Bytes> &keys, uint32_t buffer);
    Reply list_vendor(const Bytes &start, const Bytes &prefix, size_t max, std::vector<Bytes> &keys,
                      uint32_t buffer);

    Transport &t_;
    Flavour flavour_;
    uint32_t nsid_;
};

}  // namespace nvmev_kv
