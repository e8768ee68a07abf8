// NVMe Key Value Command Set 1.0 structures and codes, and the vendor
// opcodes of NVMeVirt's KV SSD (after Samsung's KV SSD), which libnvme 1.3
// does not define.
#pragma once

#include <cstdint>

#include "spec.h"

namespace nvmev {

// KV Command Set opcodes (KV 1.0 Figure 15).
enum KvOpcode : uint8_t {
    kKvFlush = 0x00,
    kKvStore = 0x01,
    kKvRetrieve = 0x02,
    kKvList = 0x06,
    kKvDelete = 0x10,
    kKvExist = 0x14,
};

// Store options: CDW11 bits 15:8 (KV 1.0 Figure 30).
constexpr uint8_t kKvStoreMustExist = 1 << 0;     // do not store if the key does not exist
constexpr uint8_t kKvStoreMustNotExist = 1 << 1;  // do not store if the key exists
constexpr uint8_t kKvStoreCompress = 1 << 2;      // a hint; values are kept as given

// Status codes. Capacity Exceeded is generic (SCT 0); the others are
// command specific (SCT 1) (KV 1.0 Figure 13).
constexpr uint16_t kKvCapacityExceeded = 0x081;
constexpr uint16_t kKvInvalidValueSize = 0x185;
constexpr uint16_t kKvInvalidKeySize = 0x186;
constexpr uint16_t kKvKeyNotExists = 0x187;
constexpr uint16_t kKvKeyExists = 0x189;
// One of the above as a completion status (DNR set).
constexpr Status kv_status(uint16_t sct_sc)
{
    return static_cast<Status>(sct_sc | NVME_SC_DNR);
}

// KV format descriptor (16 bytes) and the I/O Command Set specific Identify
// Namespace data structure for CSI 01h (4096 bytes).
struct KvFormat {
    uint16_t kml;  // key max length, bytes
    uint8_t rsvd2;
    uint8_t fopt;  // format options
    uint32_t vml;  // value max length, bytes
    uint32_t mnk;  // max number of keys (0: no limit reported)
    uint8_t rsvd12[4];
};
static_assert(sizeof(KvFormat) == 16);

struct KvIdNs {
    uint64_t nsze;  // bytes
    uint8_t rsvd8[8];
    uint64_t nuse;  // bytes in use
    uint8_t nsfeat;
    uint8_t nkvf;  // number of KV formats
    uint8_t nmic;
    uint8_t rescap;
    uint8_t fpi;
    uint8_t rsvd29[3];
    uint32_t novg;  // optimal value granularity
    uint32_t anagrpid;
    uint8_t rsvd40[3];
    uint8_t nsattr;
    uint16_t nvmsetid;
    uint16_t endgid;
    uint8_t nguid[16];
    uint8_t eui64[8];
    KvFormat kvf[16];
    uint8_t rsvd328[3512];
    uint8_t vs[256];
};
static_assert(sizeof(KvIdNs) == 4096);

// NVMeVirt's KV opcodes (its nvme_kv.h; Samsung KV SSD layout): CDW4 value
// offset, CDW10 value length in dwords, CDW11 key length - 1 (7:0), option
// (15:8), trailing pad bytes (17:16), batch count (31:24), key in CDW12-15.
enum KvVendorOpcode : uint8_t {
    kKvVendorStore = 0x81,
    kKvVendorAppend = 0x83,
    kKvVendorBatch = 0x85,
    kKvVendorRetrieve = 0x90,
    kKvVendorDelete = 0xa1,
    kKvVendorIterRequest = 0xb1,
    kKvVendorIterRead = 0xb2,
    kKvVendorExist = 0xb3,
};
constexpr uint8_t kKvVendorStoreIdempotent = 1 << 1;  // fail if the key exists
constexpr uint8_t kKvVendorIterOpen = 0x01;
constexpr uint8_t kKvVendorIterClose = 0x02;
constexpr uint8_t kKvVendorIterKeyOnly = 0x04;
constexpr uint8_t kKvVendorIterKeyValue = 0x08;
constexpr uint8_t kKvVendorIterDelete = 0x10;
constexpr unsigned kKvVendorMaxIterators = 16;
constexpr unsigned kKvVendorBatchMax = 8;
// The status fields NVMeVirt returns (SCT 3): key not found, capacity,
// end of an iteration.
constexpr uint16_t kKvVendorKeyNotExists = 0x310;
constexpr uint16_t kKvVendorCapacity = 0x312;
constexpr uint16_t kKvVendorIterEnd = 0x393;

}  // namespace nvmev
