#include "kv_commands.h"

#include <algorithm>

namespace nvmev_kv {
namespace {

// Little-endian u32 of key bytes [first, first + 4), zeros past the key.
uint32_t key_dword(const Bytes &key, size_t first)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 4 && first + i < std::min<size_t>(key.size(), kInlineKeyBytes); i++) {
        v |= uint32_t{key[first + i]} << (8 * i);
    }
    return v;
}

uint32_t get_u32(std::span<const uint8_t> d, size_t at)
{
    return d[at] | d[at + 1] << 8 | d[at + 2] << 16 | uint32_t{d[at + 3]} << 24;
}

void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = static_cast<uint8_t>(v >> (8 * i));
    }
}

uint32_t round_up(uint32_t n, uint32_t align)
{
    return (n + align - 1) / align * align;
}

// A batch payload field: whole 64-byte units, and an empty one still takes one.
uint32_t batch_field(size_t n)
{
    return n == 0 ? vendor::kBatchAlign : round_up(static_cast<uint32_t>(n), vendor::kBatchAlign);
}

Command make(uint8_t opcode, uint32_t nsid, DataDir dir = DataDir::none, uint32_t len = 0)
{
    Command c;
    c.dw[0] = opcode;
    c.dw[1] = nsid;
    c.dir = dir;
    c.data_len = len;
    return c;
}

}  // namespace

namespace standard {
namespace {

// Key bytes 0..7 in CDW2..3, 8..15 in CDW14..15; CDW11 bits 7:0 = length.
Command keyed(uint8_t opcode, uint32_t nsid, const Bytes &key, DataDir dir = DataDir::none,
              uint32_t len = 0)
{
    Command c = make(opcode, nsid, dir, len);
    c.dw[2] = key_dword(key, 0);
    c.dw[3] = key_dword(key, 4);
    c.dw[14] = key_dword(key, 8);
    c.dw[15] = key_dword(key, 12);
    c.dw[11] = static_cast<uint32_t>(std::min<size_t>(key.size(), kMaxKeyLength));
    return c;
}

}  // namespace

Command store(uint32_t nsid, const Bytes &key, uint32_t value_bytes, uint8_t options)
{
    Command c = keyed(kStore, nsid, key, DataDir::to_device, value_bytes);
    c.dw[10] = value_bytes;
    c.dw[11] |= uint32_t{options} << 8;
    return c;
}

Command retrieve(uint32_t nsid, const Bytes &key, uint32_t buffer_bytes)
{
    Command c = keyed(kRetrieve, nsid, key, DataDir::from_device, buffer_bytes);
    c.dw[10] = buffer_bytes;
    return c;
}

Command list(uint32_t nsid, const Bytes &start, uint32_t buffer_bytes)
{
    Command c = keyed(kList, nsid, start, DataDir::from_device, buffer_bytes);
    c.dw[10] = buffer_bytes;
    return c;
}

Command remove(uint32_t nsid, const Bytes &key)
{
    return keyed(kDelete, nsid, key);
}

Command exist(uint32_t nsid, const Bytes &key)
{
    return keyed(kExist, nsid, key);
}

std::optional<std::vector<Bytes>> parse_list(std::span<const uint8_t> data)
{
    if (data.size() < 4) {
        return std::nullopt;
    }
    const uint32_t count = get_u32(data, 0);
    std::vector<Bytes> keys;
    size_t at = 4;
    for (uint32_t i = 0; i < count; i++) {
        if (at + 2 > data.size()) {
            return std::nullopt;
        }
        const size_t len = data[at] | data[at + 1] << 8;
        if (at + 2 + len > data.size()) {
            return std::nullopt;
        }
        keys.emplace_back(data.begin() + at + 2, data.begin() + at + 2 + len);
        at += round_up(static_cast<uint32_t>(2 + len), 4);
    }
    return keys;
}

}  // namespace standard

namespace vendor {
namespace {

// Key inline in CDW12..15; CDW11 bits 7:0 = length - 1.
Command keyed(uint8_t opcode, uint32_t nsid, const Bytes &key, DataDir dir = DataDir::none,
              uint32_t len = 0)
{
    Command c = make(opcode, nsid, dir, len);
    for (int i = 0; i < 4; i++) {
        c.dw[12 + i] = key_dword(key, 4 * i);
    }
    c.dw[11] = static_cast<uint32_t>(key.size() - 1) & 0xff;
    return c;
}

}  // namespace

Command store(uint32_t nsid, const Bytes &key, uint32_t value_bytes, uint8_t option, bool append)
{
    const uint32_t dwords = (value_bytes + 3) / 4;
    Command c = keyed(append ? kAppend : kStore, nsid, key, DataDir::to_device, dwords * 4);
    c.dw[10] = dwords;
    c.dw[11] |= uint32_t{option} << 8 | (dwords * 4 - value_bytes) << 16;
    return c;
}

Command retrieve(uint32_t nsid, const Bytes &key, uint32_t buffer_bytes, uint32_t offset)
{
    const uint32_t dwords = (buffer_bytes + 3) / 4;
    Command c = keyed(kRetrieve, nsid, key, DataDir::from_device, dwords * 4);
    c.dw[4] = offset;
    c.dw[10] = dwords;
    return c;
}

Command remove(uint32_t nsid, const Bytes &key)
{
    return keyed(kDelete, nsid, key);
}

Command exist(uint32_t nsid, const Bytes &key)
{
    return keyed(kExist, nsid, key);
}

Command iterate_open(uint32_t nsid, uint32_t prefix, uint32_t mask)
{
    Command c = make(kIterateRequest, nsid);
    c.dw[11] = uint32_t{kIterateOpen} << 8;
    c.dw[12] = prefix;
    c.dw[13] = mask;
    return c;
}

Command iterate_read(uint32_t nsid, uint8_t handle, uint32_t buffer_bytes)
{
    const uint32_t dwords = buffer_bytes / 4;
    Command c = make(kIterateRead, nsid, DataDir::from_device, dwords * 4);
    c.dw[10] = dwords;
    c.dw[11] = handle;
    return c;
}

Command iterate_close(uint32_t nsid, uint8_t handle)
{
    Command c = make(kIterateRequest, nsid);
    c.dw[11] = uint32_t{kIterateClose} << 8 | handle;
    return c;
}

std::optional<std::vector<Bytes>> parse_iterate(std::span<const uint8_t> data)
{
    if (data.size() < 4) {
        return std::nullopt;
    }
    const uint32_t count = get_u32(data, 0);
    std::vector<Bytes> keys;
    size_t at = 4;
    for (uint32_t i = 0; i < count; i++) {
        if (at + 4 > data.size()) {
            return std::nullopt;
        }
        const uint32_t len = get_u32(data, at);
        if (len > data.size() - at - 4) {
            return std::nullopt;
        }
        keys.emplace_back(data.begin() + at + 4, data.begin() + at + 4 + len);
        at += 4 + round_up(len, 4);
    }
    return keys;
}

Bytes batch_payload(uint32_t nsid, std::span<const BatchOp> ops)
{
    uint32_t size = kBatchHeaderBytes;
    for (const BatchOp &op : ops) {
        size += kBatchAlign + batch_field(op.key.size()) + batch_field(op.value.size());
    }
    Bytes out(size, 0);
    uint32_t at = kBatchHeaderBytes;
    for (size_t i = 0; i < ops.size(); i++) {
        const BatchOp &op = ops[i];
        uint8_t *attr = out.data() + i * kBatchAttrBytes;
        attr[0] = op.store ? kStore : kDelete;
        attr[1] = static_cast<uint8_t>(op.key.size());
        put_u32(attr + 4, static_cast<uint32_t>(op.value.size()));
        attr[9] = static_cast<uint8_t>(nsid);
        at += kBatchAlign;
        std::copy(op.key.begin(), op.key.end(), out.begin() + at);
        at += batch_field(op.key.size());
        std::copy(op.value.begin(), op.value.end(), out.begin() + at);
        at += batch_field(op.value.size());
    }
    return out;
}

Command batch(uint32_t nsid, uint32_t payload_bytes, unsigned count)
{
    Command c = make(kBatch, nsid, DataDir::to_device, payload_bytes);
    c.dw[10] = payload_bytes / 4;
    c.dw[11] = (count & 0xff) << 24;
    return c;
}

}  // namespace vendor

const char *status_name(Flavour flavour, uint16_t code)
{
    switch (code) {
        case 0x000: return "Successful Completion";
        case 0x001: return "Invalid Command Opcode";
        case kInvalidField: return "Invalid Field in Command";
        case 0x004: return "Data Transfer Error";
        case 0x006: return "Internal Error";
        case 0x00b: return "Invalid Namespace or Format";
        case 0x081: return "Capacity Exceeded";
        case standard::kInvalidValueSize: return "Invalid Value Size";
        case standard::kInvalidKeySize: return "Invalid Key Size";
        case standard::kKeyExists: return "Key Exists";
        default: break;
    }
    if (flavour == Flavour::standard && code == standard::kKeyDoesNotExist) {
        return "Key Does Not Exist";
    }
    if (flavour == Flavour::vendor) {
        switch (code) {
            case vendor::kKeyDoesNotExist: return "Key Does Not Exist";
            case vendor::kCapacityExceeded: return "Capacity Exceeded";
            case vendor::kIterateEnd: return "Iterate End";
            default: break;
        }
    }
    return "unknown status";
}

}  // namespace nvmev_kv
