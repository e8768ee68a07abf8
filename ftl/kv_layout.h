// ssd=kv: the persistent layout of the KV store's metadata area, host byte
// order: a 64-byte header, then one 32-byte record per key slot. The records
// are the truth: the ordered index and the free-space map are rebuilt from
// them whenever a store is opened, so a file-backed memdev keeps its keys
// across a QEMU restart.
#pragma once

#include <cstdint>

namespace nvmev::ftl {

// Keys are 1..16 bytes, carried inline in the command (KV command set, key
// length in CDW11).
constexpr uint32_t kKvMaxKeyBytes = 16;

inline constexpr char kKvMagic[8] = {'N', 'V', 'M', 'E', 'V', 'K', 'V', '1'};
// Version 2: with a memdev, the drive state area (namespace state, Write
// Uncorrectable marks) lies before this header, where version 1 had values.
inline constexpr uint32_t kKvFormatVersion = 2;

// The one record change in progress. A SIGKILL of QEMU can stop the store
// between two of its stores to the backend; a change that takes more than
// one store (a record's new extent, a value moved by compaction) is written
// here first and published by `kind`, and opening the store completes it,
// so a key reads its old or its new value, never a mix
// (docs/resets.md#kill--9-and-power-loss). Zero: none (what older stores,
// whose header kept these bytes zero, hold).
enum class KvJournalKind : uint32_t {
    None = 0,
    Update = 1,  // record `slot` gets value_len and unit_offset
    Move = 2,    // compaction: record `slot`'s value moves to unit_offset
};

struct KvJournal {
    uint32_t kind;         // KvJournalKind
    uint32_t slot;         // the record changed
    uint32_t value_len;    // its value length after the change
    uint32_t reserved;     // zero
    uint64_t unit_offset;  // its extent start after the change
    uint64_t moved;        // Move: bytes already at unit_offset
};
static_assert(sizeof(KvJournal) == 32, "the metadata layout depends on it");

struct KvHeader {
    char magic[8];        // kKvMagic
    uint32_t version;     // kKvFormatVersion
    uint32_t unit_bytes;  // allocation unit of the data region
    uint64_t data_bytes;  // size of the data region the extents address
    uint32_t max_keys;    // key records that follow the header
    uint32_t reserved;    // zero
    KvJournal journal;
};
static_assert(sizeof(KvHeader) == 64, "the metadata layout depends on it");

struct KvRecord {
    uint8_t key[kKvMaxKeyBytes];  // bytes past key_len are zero
    uint8_t key_len;              // 1..16 when used
    uint8_t used;                 // 0: free slot, 1: holds a key
    uint8_t reserved[2];
    uint32_t value_len;    // bytes, >= 1 when used
    uint64_t unit_offset;  // extent start, in allocation units
};
static_assert(sizeof(KvRecord) == 32, "the metadata layout depends on it");

}  // namespace nvmev::ftl
