#include "kv_client.h"

#include <algorithm>
#include <cerrno>
#include <optional>

namespace nvmev_kv {
namespace {

bool starts_with(const Bytes &key, const Bytes &prefix)
{
    return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
}

// The smallest key (of at most 16 bytes) after key in byte order: key + 00h
// while there is room, else the last byte below FFh incremented.
std::optional<Bytes> successor(Bytes key)
{
    if (key.size() < kInlineKeyBytes) {
        key.push_back(0);
        return key;
    }
    key.resize(kInlineKeyBytes);
    while (!key.empty() && key.back() == 0xff) {
        key.pop_back();
    }
    if (key.empty()) {
        return std::nullopt;
    }
    key.back()++;
    return key;
}

Reply malformed()
{
    return Reply{.err = EBADMSG};
}

}  // namespace

bool KvClient::missing(const Reply &r) const
{
    return r.err == 0 && r.status == (flavour_ == Flavour::standard ? standard::kKeyDoesNotExist
                                                                    : vendor::kKeyDoesNotExist);
}

Reply KvClient::put(const Bytes &key, std::span<const uint8_t> value, PutMode mode)
{
    const auto len = static_cast<uint32_t>(value.size());
    if (flavour_ == Flavour::standard) {
        if (mode == PutMode::append) {
            return Reply{.err = EOPNOTSUPP};
        }
        const uint8_t options = mode == PutMode::if_exists   ? standard::kOnlyIfExists
                                : mode == PutMode::if_absent ? standard::kOnlyIfAbsent
                                                             : 0;
        Bytes data(value.begin(), value.end());
        return t_.submit(standard::store(nsid_, key, len, options), data);
    }
    if (mode == PutMode::if_exists) {
        return Reply{.err = EOPNOTSUPP};
    }
    const uint8_t option = mode == PutMode::if_absent ? vendor::kIdempotent : 0;
    const Command cmd = vendor::store(nsid_, key, len, option, mode == PutMode::append);
    Bytes data(cmd.data_len, 0);  // whole dwords, zero padded
    std::copy(value.begin(), value.end(), data.begin());
    return t_.submit(cmd, data);
}

Reply KvClient::get_once(const Bytes &key, uint32_t buffer, uint32_t offset, Bytes &value)
{
    const Command cmd = flavour_ == Flavour::standard
                            ? standard::retrieve(nsid_, key, buffer)
                            : vendor::retrieve(nsid_, key, buffer, offset);
    Bytes data(cmd.data_len, 0);
    const Reply r = t_.submit(cmd, data);
    value.clear();
    if (r.ok()) {
        // DW0 is the whole value's size; the buffer holds what fitted.
        const uint32_t rest = r.dw0 > offset ? r.dw0 - offset : 0;
        value.assign(data.begin(), data.begin() + std::min(rest, buffer));
    }
    return r;
}

Reply KvClient::get(const Bytes &key, const GetOptions &opts, Bytes &value)
{
    Reply r = get_once(key, opts.buffer, opts.offset, value);
    const uint32_t rest = r.dw0 > opts.offset ? r.dw0 - opts.offset : 0;
    if (r.ok() && rest > opts.buffer && opts.grow_to > opts.buffer) {
        r = get_once(key, std::min(rest, opts.grow_to), opts.offset, value);
    }
    return r;
}

Reply KvClient::remove(const Bytes &key)
{
    return t_.submit(
        flavour_ == Flavour::standard ? standard::remove(nsid_, key) : vendor::remove(nsid_, key),
        {});
}

Reply KvClient::exists(const Bytes &key)
{
    return t_.submit(
        flavour_ == Flavour::standard ? standard::exist(nsid_, key) : vendor::exist(nsid_, key),
        {});
}

Reply KvClient::list(const Bytes &start, const Bytes &prefix, size_t max, std::vector<Bytes> &keys,
                     uint32_t buffer)
{
    keys.clear();
    if (max == 0) {
        return Reply{};
    }
    return flavour_ == Flavour::standard ? list_standard(start, prefix, max, keys, buffer)
                                         : list_vendor(start, prefix, max, keys, buffer);
}

// List returns the keys >= its key that fit the buffer; the next List
// starts after the last of them, until one returns none.
Reply KvClient::list_standard(const Bytes &start, const Bytes &prefix, size_t max,
                              std::vector<Bytes> &keys, uint32_t buffer)
{
    Bytes from = std::max(start, prefix);
    for (;;) {
        const Command list = standard::list(nsid_, from, buffer);
        Bytes data(list.data_len, 0);
        const Reply r = t_.submit(list, data);
        if (!r.ok()) {
            return r;
        }
        const auto batch = standard::parse_list(data);
        if (!batch) {
            return malformed();
        }
        if (batch->empty()) {
            return r;
        }
        for (const Bytes &key : *batch) {
            // Out of order would loop forever: refuse it.
            if (key < from || (!keys.empty() && key <= keys.back())) {
                return malformed();
            }
            if (!starts_with(key, prefix)) {
                return r;
            }
            keys.push_back(key);
            if (keys.size() == max) {
                return r;
            }
        }
        const auto next = successor(batch->back());
        if (!next) {
            return r;
        }
        from = *next;
    }
}

// The iterator matches on the first 4 bytes only and in no promised order:
// the rest of the prefix, the start key, the order and max apply here.
Reply KvClient::list_vendor(const Bytes &start, const Bytes &prefix, size_t max,
                            std::vector<Bytes> &keys, uint32_t buffer)
{
    uint32_t value = 0;
    uint32_t mask = 0;
    for (size_t i = 0; i < std::min<size_t>(prefix.size(), 4); i++) {
        value |= uint32_t{prefix[i]} << (8 * i);
        mask |= 0xffu << (8 * i);
    }
    const Reply open = t_.submit(vendor::iterate_open(nsid_, value, mask), {});
    if (!open.ok()) {
        return open;
    }
    const auto handle = static_cast<uint8_t>(open.dw0);
    std::vector<Bytes> all;
    Reply r;
    for (;;) {
        const Command read = vendor::iterate_read(nsid_, handle, buffer);
        Bytes data(read.data_len, 0);
        r = t_.submit(read, data);
        if (r.err != 0 || (r.status != 0 && r.status != vendor::kIterateEnd)) {
            break;
        }
        const auto batch = vendor::parse_iterate(data);
        if (!batch) {
            r = malformed();
            break;
        }
        all.insert(all.end(), batch->begin(), batch->end());
        // An empty batch without the end status would never end.
        if (r.status == vendor::kIterateEnd || batch->empty()) {
            r = Reply{};
            break;
        }
    }
    const Reply close = t_.submit(vendor::iterate_close(nsid_, handle), {});
    if (!r.ok()) {
        return r;
    }
    if (!close.ok()) {
        return close;
    }
    std::sort(all.begin(), all.end());
    for (const Bytes &key : all) {
        if (key >= start && starts_with(key, prefix) && keys.size() < max) {
            keys.push_back(key);
        }
    }
    return Reply{};
}

Reply KvClient::batch(std::span<const vendor::BatchOp> ops)
{
    if (flavour_ != Flavour::vendor) {
        return Reply{.err = EOPNOTSUPP};
    }
    Bytes payload = vendor::batch_payload(nsid_, ops);
    return t_.submit(vendor::batch(nsid_, static_cast<uint32_t>(payload.size()),
                                   static_cast<unsigned>(ops.size())),
                     payload);
}

}  // namespace nvmev_kv
