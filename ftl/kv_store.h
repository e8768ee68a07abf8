// ssd=kv: the key-value store behind the KV command set: an ordered key
// index and a data region carved into extents of 64-byte units. Pure
// semantics, no timing. Values live in the data region and the key records
// in the metadata area (kv_layout.h), both memory the caller owns (the
// memory backend), so a file-backed device keeps its keys and values across a
// restart. Not thread-safe: the caller serializes access.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kv_extent_allocator.h"
#include "kv_layout.h"

namespace nvmev::ftl {

struct KvKey {
    uint8_t len = 0;                              // 0..16
    std::array<uint8_t, kKvMaxKeyBytes> bytes{};  // bytes past len are zero
    // Order used by list(): byte-wise lexicographic over bytes[0..len), the
    // bytes unsigned; a proper prefix sorts first. == compares len and the
    // first len bytes.
    friend bool operator<(const KvKey &a, const KvKey &b);
    friend bool operator==(const KvKey &a, const KvKey &b);
    // n <= 16; callers validate (longer input is cut at 16 bytes).
    static KvKey of(const void *p, size_t n);
};

enum class KvStatus { Ok, NotFound, Exists, NoSpace, TooManyKeys, ValueTooLarge };
enum class KvStoreMode { Upsert, MustExist, MustNotExist, Append };

struct KvLimits {
    uint32_t max_keys;
    uint32_t max_value_bytes;
};

// Bytes in the data region. The extents KvStore reports are whole units:
// length is the space the value occupies (value length rounded up to 64).
struct KvExtent {
    uint64_t offset = 0;
    uint64_t length = 0;
};

struct KvStats {
    uint64_t keys = 0;             // stored keys
    uint64_t value_bytes = 0;      // sum of value lengths
    uint64_t allocated_bytes = 0;  // data region bytes in use (whole units)
    uint64_t free_bytes = 0;       // data_bytes - allocated_bytes
    uint64_t data_bytes = 0;
    uint64_t compactions = 0;      // times free space was compacted
    uint64_t compacted_bytes = 0;  // value bytes moved by compaction
};

class KvStore {
public:
    static constexpr uint32_t kUnitBytes = 64;  // allocation unit in the data region

    // Bytes of metadata area needed for max_keys (header + key records),
    // rounded up to 4096.
    static uint64_t metadata_bytes(uint32_t max_keys);

    // Opens the store kept in `meta` (meta_bytes >= metadata_bytes(limits.
    // max_keys), 8-byte aligned). A metadata area whose header is all zero is
    // formatted (empty store; the data region is left as it is). A header of
    // this format is loaded and the index rebuilt from the records. Throws
    // std::invalid_argument, naming what differs, for a header of another
    // geometry ("kv-max-keys", or "size" for data_bytes), version or unit, for
    // a header that is neither zero nor this format, and for a corrupt record
    // (extent out of range or overlapping another, key length outside 1..16,
    // value length 0, duplicate key). If data_bytes is not a multiple of 64,
    // the tail past the last whole unit is never used. reinit (the
    // reinit-metadata property): format whatever the area holds.
    KvStore(uint8_t *data, uint64_t data_bytes, uint8_t *meta, uint64_t meta_bytes,
            const KvLimits &limits, bool reinit = false);

    KvStore(const KvStore &) = delete;
    KvStore &operator=(const KvStore &) = delete;

    // Stores `length` bytes under `key` (key.len 1..16: the caller validates;
    // any other key is one that cannot exist: NotFound). Checked in this
    // order, and on any error nothing changes:
    //   ValueTooLarge  length is 0 or > max_value_bytes;
    //   Exists         MustNotExist and the key is present;
    //   NotFound       MustExist and the key is absent;
    //   ValueTooLarge  Append to a present key: old length + length > max;
    //   TooManyKeys    a new key and max_keys keys are stored;
    //   NoSpace        the data region's free space in total is smaller than
    //                  the new value (the old value still counts as in use).
    // Append grows the value by `length` (an absent key is stored as new).
    // When no single free extent fits but the total does, values are
    // compacted toward offset 0 first. On Ok, *placed (if non-null) is the
    // extent now holding the whole value. An update never overwrites the old
    // value: new extent, write, record update, then the old extent is freed.
    KvStatus store(const KvKey &key, const uint8_t *value, uint32_t length, KvStoreMode mode,
                   KvExtent *placed = nullptr);
    // Copies value bytes [offset, offset + cap), clipped to the value's end,
    // into out; value_length = full length; copied = bytes copied. NotFound
    // if absent. offset >= value length: Ok with copied = 0.
    KvStatus retrieve(const KvKey &key, uint32_t offset, uint8_t *out, uint32_t cap,
                      uint32_t &value_length, uint32_t &copied) const;
    // Removes the key and frees its extent (*freed = the extent freed).
    KvStatus remove(const KvKey &key, KvExtent *freed = nullptr);
    bool exists(const KvKey &key) const;
    // The extent holding a key's value (NotFound if absent).
    KvStatus locate(const KvKey &key, KvExtent &where) const;
    // Up to `max` keys in order, from the first key >= start (> start if
    // !inclusive). A start with len 0 means from the beginning. Appends to out.
    void list(const KvKey &start, bool inclusive, size_t max, std::vector<KvKey> &out) const;
    // Empties the store (Format, namespace deletion): records cleared, all
    // space free, the data region zeroed.
    void erase_all();
    KvStats stats() const;
    void reset_stats();  // compactions, compacted_bytes only
    const KvLimits &limits() const { return limits_; }
    // "" when every invariant holds: header, records <-> index agree, extents
    // in range and disjoint, free + allocated space tile the data region, free
    // map coalesced, counts.
    std::string check_invariants() const;

private:
    static uint64_t units_for(uint64_t value_bytes)
    {
        return (value_bytes + kUnitBytes - 1) / kUnitBytes;
    }
    void open_existing();
    void format();
    KvHeader expected_header() const;
    bool interrupted_format() const;
    void load_records();
    bool allocate(uint64_t units, uint64_t &start);
    void compact();
    // The multi-store record changes, through the header's journal.
    void journal_begin(KvJournalKind kind, uint32_t slot, uint32_t value_len, uint64_t unit);
    void journal_end();
    void move_value(uint32_t slot, uint64_t to_unit, uint64_t moved);
    void finish_journal();  // on open: completes an interrupted change
    void insert_record(const KvKey &key, uint32_t value_len, uint64_t unit);
    KvExtent extent_of(const KvRecord &rec) const;
    // A value of value_len bytes at `unit` lies in the data region (checked
    // on values read from the file before they are used).
    bool extent_inside(uint64_t unit, uint64_t value_len) const;
    std::string check_records(std::vector<std::pair<uint64_t, uint64_t>> &extents) const;
    std::string check_index() const;

    uint8_t *data_;
    uint64_t data_bytes_;
    KvHeader *header_;
    KvRecord *records_;
    KvLimits limits_;

    std::map<KvKey, uint32_t> index_;      // key -> record slot
    std::vector<uint32_t> free_slots_;     // a stack, lowest slot on top
    std::vector<uint32_t> compact_order_;  // compaction scratch, max_keys reserved
    KvExtentAllocator alloc_;
    uint64_t value_bytes_ = 0;
    uint64_t allocated_units_ = 0;
    uint64_t compactions_ = 0;
    uint64_t compacted_bytes_ = 0;
};

}  // namespace nvmev::ftl
