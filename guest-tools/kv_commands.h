// The KV commands of nvmev's ssd=kv in both of its flavours, as the 16
// dwords of a submission queue entry, and the parsers of their key lists.
// Pure data, no I/O: the host's unit tests check every layout exactly.
//
// Standard: NVMe 2.0 Key Value Command Set (CSI 1), key inline in
// CDW2..3 and CDW14..15. Vendor: the Samsung KV opcodes NVMeVirt uses, key
// inline in CDW12..15. Keys longer than 16 bytes keep their length in the
// command (only 16 bytes fit) so that the device, not the tool, refuses them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace nvmev_kv {

using Bytes = std::vector<uint8_t>;

enum class Flavour { standard, vendor };
enum class DataDir { none, to_device, from_device };

struct Command {
    // dw[0] = opcode (the CID is the driver's); dw[4..9] are MPTR and DPTR,
    // which the driver owns (a command that needs them set cannot be sent).
    std::array<uint32_t, 16> dw{};
    DataDir dir = DataDir::none;
    uint32_t data_len = 0;

    uint8_t opcode() const { return dw[0] & 0xff; }
};

inline constexpr unsigned kInlineKeyBytes = 16;
inline constexpr unsigned kMaxKeyLength = 255;  // what CDW11 bits 7:0 can carry

// Status code type and code, without DNR (0x4000), More and CRD.
inline uint16_t status_code(int nvme_status)
{
    return nvme_status & 0x7ff;
}
inline constexpr uint16_t kInvalidField = 0x002;

namespace standard {

inline constexpr uint8_t kStore = 0x01;
inline constexpr uint8_t kRetrieve = 0x02;
inline constexpr uint8_t kList = 0x06;
inline constexpr uint8_t kDelete = 0x10;
inline constexpr uint8_t kExist = 0x14;

// Store options (CDW11 bits 15:8).
inline constexpr uint8_t kOnlyIfExists = 0x01;
inline constexpr uint8_t kOnlyIfAbsent = 0x02;

inline constexpr uint16_t kCapacityExceeded = 0x081;
inline constexpr uint16_t kInvalidValueSize = 0x185;
inline constexpr uint16_t kInvalidKeySize = 0x186;
inline constexpr uint16_t kKeyDoesNotExist = 0x187;
inline constexpr uint16_t kKeyExists = 0x189;

Command store(uint32_t nsid, const Bytes &key, uint32_t value_bytes, uint8_t options);
Command retrieve(uint32_t nsid, const Bytes &key, uint32_t buffer_bytes);
// An empty start key lists from the first key.
Command list(uint32_t nsid, const Bytes &start, uint32_t buffer_bytes);
Command remove(uint32_t nsid, const Bytes &key);
Command exist(uint32_t nsid, const Bytes &key);

// List data: u32 count, then per key u16 length, the key, padding to 4
// bytes. nullopt if the count claims more keys than the data holds.
std::optional<std::vector<Bytes>> parse_list(std::span<const uint8_t> data);

}  // namespace standard

namespace vendor {

inline constexpr uint8_t kStore = 0x81;
inline constexpr uint8_t kAppend = 0x83;
inline constexpr uint8_t kBatch = 0x85;
inline constexpr uint8_t kRetrieve = 0x90;
inline constexpr uint8_t kDelete = 0xa1;
inline constexpr uint8_t kIterateRequest = 0xb1;
inline constexpr uint8_t kIterateRead = 0xb2;
inline constexpr uint8_t kExist = 0xb3;

inline constexpr uint8_t kIdempotent = 0x02;  // Store option: fail if the key exists
inline constexpr uint8_t kIterateOpen = 0x01;
inline constexpr uint8_t kIterateClose = 0x02;
inline constexpr unsigned kMaxBatch = 8;

inline constexpr uint16_t kKeyDoesNotExist = 0x310;
inline constexpr uint16_t kCapacityExceeded = 0x312;
inline constexpr uint16_t kIterateEnd = 0x393;

// Values travel in whole dwords; CDW11 bits 17:16 say how many bytes of
// the last one are padding.
Command store(uint32_t nsid, const Bytes &key, uint32_t value_bytes, uint8_t option, bool append);
// buffer_bytes is rounded up to whole dwords; offset goes in CDW4.
Command retrieve(uint32_t nsid, const Bytes &key, uint32_t buffer_bytes, uint32_t offset);
Command remove(uint32_t nsid, const Bytes &key);
Command exist(uint32_t nsid, const Bytes &key);
// Keys whose first 4 bytes (a little-endian u32) match prefix under mask.
Command iterate_open(uint32_t nsid, uint32_t prefix, uint32_t mask);
Command iterate_read(uint32_t nsid, uint8_t handle, uint32_t buffer_bytes);
Command iterate_close(uint32_t nsid, uint8_t handle);

// Iterate read data: u32 count, then per key u32 length and the key
// padded to 4 bytes. nullopt if malformed.
std::optional<std::vector<Bytes>> parse_iterate(std::span<const uint8_t> data);

struct BatchOp {
    bool store = true;  // else delete
    Bytes key;
    Bytes value;
};
inline constexpr uint32_t kBatchHeaderBytes = 512;
inline constexpr uint32_t kBatchAttrBytes = 16;
inline constexpr uint32_t kBatchAlign = 64;
// The 512-byte header of sub-command attributes, then per sub-command 64
// reserved bytes, the key and the value, each in whole 64-byte units (an
// empty value, as a delete's, still takes one).
Bytes batch_payload(uint32_t nsid, std::span<const BatchOp> ops);
Command batch(uint32_t nsid, uint32_t payload_bytes, unsigned count);

}  // namespace vendor

// A short name of an NVMe status (as status_code() returns it) in the
// flavour's meaning, or "unknown status".
const char *status_name(Flavour flavour, uint16_t code);

}  // namespace nvmev_kv
