// ssd=kv: the key-value store: opening (format or rebuild from the records),
// store/retrieve/remove/list, and compaction of the data region.
#include "kv_store.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>

namespace nvmev::ftl {

namespace {

constexpr uint64_t kMetaAlign = 4096;

bool valid_key(const KvKey &key)
{
    return key.len >= 1 && key.len <= kKvMaxKeyBytes;
}

// Orders stores to the backend for a SIGKILL: a compiler barrier (the
// process dies between instructions; its stores are in the shared mapping).
inline void store_order()
{
    std::atomic_signal_fence(std::memory_order_seq_cst);
}

bool all_zero(const void *p, size_t n)
{
    const auto *b = static_cast<const uint8_t *>(p);
    return std::all_of(b, b + n, [](uint8_t v) { return v == 0; });
}

[[noreturn]] void corrupt(uint32_t slot, const std::string &why)
{
    throw std::invalid_argument("the backing store's KV metadata is corrupt: record " +
                                std::to_string(slot) + " " + why);
}

}  // namespace

bool operator<(const KvKey &a, const KvKey &b)
{
    const int c = std::memcmp(a.bytes.data(), b.bytes.data(), std::min(a.len, b.len));
    return c < 0 || (c == 0 && a.len < b.len);
}

bool operator==(const KvKey &a, const KvKey &b)
{
    return a.len == b.len && std::memcmp(a.bytes.data(), b.bytes.data(), a.len) == 0;
}

KvKey KvKey::of(const void *p, size_t n)
{
    KvKey key;
    key.len = static_cast<uint8_t>(std::min<size_t>(n, kKvMaxKeyBytes));
    if (key.len > 0) {
        std::memcpy(key.bytes.data(), p, key.len);
    }
    return key;
}

uint64_t KvStore::metadata_bytes(uint32_t max_keys)
{
    const uint64_t raw = sizeof(KvHeader) + uint64_t{max_keys} * sizeof(KvRecord);
    return (raw + kMetaAlign - 1) / kMetaAlign * kMetaAlign;
}

KvStore::KvStore(uint8_t *data, uint64_t data_bytes, uint8_t *meta, uint64_t meta_bytes,
                 const KvLimits &limits, bool reinit)
    : data_(data),
      data_bytes_(data_bytes),
      header_(reinterpret_cast<KvHeader *>(meta)),
      records_(reinterpret_cast<KvRecord *>(meta + sizeof(KvHeader))),
      limits_(limits)
{
    if (meta == nullptr || (data == nullptr && data_bytes > 0)) {
        throw std::invalid_argument("KV store: no data region or metadata area");
    }
    if (reinterpret_cast<uintptr_t>(meta) % alignof(KvRecord) != 0) {
        throw std::invalid_argument("KV store: the metadata area is not 8-byte aligned");
    }
    if (meta_bytes < metadata_bytes(limits.max_keys)) {
        throw std::invalid_argument("KV store: kv-max-keys " + std::to_string(limits.max_keys) +
                                    " needs " + std::to_string(metadata_bytes(limits.max_keys)) +
                                    " bytes of metadata; the area has " +
                                    std::to_string(meta_bytes));
    }
    free_slots_.reserve(limits.max_keys);
    compact_order_.reserve(limits.max_keys);
    alloc_.reset(data_bytes / kUnitBytes);
    if (reinit || all_zero(header_, sizeof(KvHeader)) || interrupted_format()) {
        format();
    } else {
        open_existing();
        finish_journal();
    }
    load_records();
}

KvHeader KvStore::expected_header() const
{
    KvHeader h{};
    std::memcpy(h.magic, kKvMagic, sizeof(h.magic));
    h.version = kKvFormatVersion;
    h.unit_bytes = kUnitBytes;
    h.data_bytes = data_bytes_;
    h.max_keys = limits_.max_keys;
    return h;
}

// A format killed before its magic landed: this device's header but the magic.
bool KvStore::interrupted_format() const
{
    KvHeader h = expected_header();
    std::memcpy(h.magic, header_->magic, sizeof(h.magic));
    return all_zero(header_->magic, sizeof(h.magic)) && std::memcmp(&h, header_, sizeof(h)) == 0;
}

void KvStore::format()
{
    std::memset(records_, 0, uint64_t{limits_.max_keys} * sizeof(KvRecord));
    // The magic last: a header with it is complete.
    KvHeader h = expected_header();
    std::memset(h.magic, 0, sizeof(h.magic));
    store_order();
    *header_ = h;
    store_order();
    std::memcpy(header_->magic, kKvMagic, sizeof(kKvMagic));
}

void KvStore::open_existing()
{
    const KvHeader &h = *header_;
    const std::string held = "the backing store holds a KV store formatted with ";
    if (std::memcmp(h.magic, kKvMagic, sizeof(h.magic)) != 0) {
        throw std::invalid_argument(
            "the backing store's KV metadata area holds neither a KV store nor zeros");
    }
    if (h.version != kKvFormatVersion) {
        throw std::invalid_argument(held + "format version " + std::to_string(h.version) +
                                    "; this device reads version " +
                                    std::to_string(kKvFormatVersion) +
                                    "; set reinit-metadata=on to format the key store afresh "
                                    "(every key is lost)");
    }
    if (h.unit_bytes != kUnitBytes) {
        throw std::invalid_argument(held + "allocation unit " + std::to_string(h.unit_bytes) +
                                    " bytes; this device uses " + std::to_string(kUnitBytes));
    }
    if (h.max_keys != limits_.max_keys) {
        throw std::invalid_argument(held + "kv-max-keys " + std::to_string(h.max_keys) +
                                    "; this device has kv-max-keys " +
                                    std::to_string(limits_.max_keys));
    }
    if (h.data_bytes != data_bytes_) {
        throw std::invalid_argument(held + "a data region of " + std::to_string(h.data_bytes) +
                                    " bytes; this device's size gives " +
                                    std::to_string(data_bytes_) + " bytes");
    }
}

// Rebuilds the index, the free record slots and the free-space map from the
// records, rejecting any record the store could not have written.
void KvStore::load_records()
{
    for (uint32_t slot = limits_.max_keys; slot-- > 0;) {
        const KvRecord &rec = records_[slot];
        if (rec.used == 0) {
            free_slots_.push_back(slot);
            continue;
        }
        if (rec.used != 1) {
            corrupt(slot, "has used flag " + std::to_string(rec.used));
        }
        if (rec.key_len == 0 || rec.key_len > kKvMaxKeyBytes) {
            corrupt(slot, "has key length " + std::to_string(rec.key_len));
        }
        if (rec.value_len == 0) {
            corrupt(slot, "has value length 0");
        }
        if (!extent_inside(rec.unit_offset, rec.value_len)) {
            corrupt(slot, "has an extent outside the data region");
        }
        const uint64_t units = units_for(rec.value_len);
        if (!alloc_.reserve(rec.unit_offset, units)) {
            corrupt(slot, "has an extent overlapping another record's");
        }
        const auto [it, inserted] = index_.emplace(KvKey::of(rec.key, rec.key_len), slot);
        if (!inserted) {
            corrupt(slot, "repeats the key of record " + std::to_string(it->second));
        }
        value_bytes_ += rec.value_len;
        allocated_units_ += units;
    }
}

bool KvStore::extent_inside(uint64_t unit, uint64_t value_len) const
{
    const uint64_t total = alloc_.total_units();
    return value_len > 0 && unit <= total && units_for(value_len) <= total - unit;
}

KvExtent KvStore::extent_of(const KvRecord &rec) const
{
    return {rec.unit_offset * kUnitBytes, units_for(rec.value_len) * kUnitBytes};
}

bool KvStore::allocate(uint64_t units, uint64_t &start)
{
    if (alloc_.allocate(units, start)) {
        return true;
    }
    if (alloc_.free_units() < units) {
        return false;
    }
    compact();
    return alloc_.allocate(units, start);
}

void KvStore::journal_begin(KvJournalKind kind, uint32_t slot, uint32_t value_len, uint64_t unit)
{
    KvJournal &j = header_->journal;
    j.slot = slot;
    j.value_len = value_len;
    j.reserved = 0;
    j.unit_offset = unit;
    j.moved = 0;
    store_order();
    j.kind = static_cast<uint32_t>(kind);  // published: the change is due
    store_order();
}

void KvStore::journal_end()
{
    store_order();
    header_->journal.kind = static_cast<uint32_t>(KvJournalKind::None);
    store_order();
}

// Moves the value of `slot` down to `to_unit` (values only slide toward 0)
// from byte `moved` on, in pieces no longer than the distance, so that no
// piece overwrites source bytes not yet moved: after a kill the move
// resumes at the last piece the journal counted.
void KvStore::move_value(uint32_t slot, uint64_t to_unit, uint64_t moved)
{
    KvRecord &rec = records_[slot];
    const uint64_t from = rec.unit_offset * kUnitBytes;
    const uint64_t to = to_unit * kUnitBytes;
    const uint64_t step = from - to;
    while (moved < rec.value_len) {
        const uint64_t n = std::min<uint64_t>(step, rec.value_len - moved);
        std::memcpy(data_ + to + moved, data_ + from + moved, n);
        moved += n;
        store_order();
        header_->journal.moved = moved;
    }
    store_order();
    rec.unit_offset = to_unit;
    compacted_bytes_ += rec.value_len;
}

void KvStore::finish_journal()
{
    const KvJournal j = header_->journal;
    const auto kind = static_cast<KvJournalKind>(j.kind);
    if (kind == KvJournalKind::None) {
        return;
    }
    if ((kind != KvJournalKind::Update && kind != KvJournalKind::Move) ||
        j.slot >= limits_.max_keys || records_[j.slot].used != 1) {
        throw std::invalid_argument(
            "the backing store's KV metadata area has a journal entry "
            "(kind " +
            std::to_string(j.kind) + ", record " + std::to_string(j.slot) +
            ") the store could not have written");
    }
    KvRecord &rec = records_[j.slot];
    // Extents from the file are checked before they are used (the records
    // themselves are checked after, by load_records()). An Update replaces
    // the record's extent, which a kill may have left torn (new length, old
    // offset): only the journal's counts. A Move reads the record's and
    // writes below it, so the record's bounds both.
    if (kind == KvJournalKind::Update ? !extent_inside(j.unit_offset, j.value_len)
                                      : !extent_inside(rec.unit_offset, rec.value_len)) {
        throw std::invalid_argument(
            "the backing store's KV metadata area has a journal entry (kind " +
            std::to_string(j.kind) + ", record " + std::to_string(j.slot) +
            ") with an extent outside the data region");
    }
    if (kind == KvJournalKind::Update) {
        rec.value_len = j.value_len;
        rec.unit_offset = j.unit_offset;
    } else if (rec.unit_offset > j.unit_offset && j.moved <= rec.value_len) {
        move_value(j.slot, j.unit_offset, j.moved);
        compacted_bytes_ = 0;  // not this run's work
    }
    journal_end();
}

// Slides every value toward offset 0, in offset order so that a value never
// lands on one not yet moved, leaving one free extent at the end.
void KvStore::compact()
{
    compact_order_.clear();
    for (const auto &entry : index_) {
        compact_order_.push_back(entry.second);
    }
    std::sort(compact_order_.begin(), compact_order_.end(), [this](uint32_t a, uint32_t b) {
        return records_[a].unit_offset < records_[b].unit_offset;
    });
    uint64_t cursor = 0;
    for (uint32_t slot : compact_order_) {
        KvRecord &rec = records_[slot];
        if (rec.unit_offset != cursor) {
            journal_begin(KvJournalKind::Move, slot, rec.value_len, cursor);
            move_value(slot, cursor, 0);
            journal_end();
        }
        cursor += units_for(rec.value_len);
    }
    alloc_.set_used_prefix(cursor);
    ++compactions_;
}

void KvStore::insert_record(const KvKey &key, uint32_t value_len, uint64_t unit)
{
    const uint32_t slot = free_slots_.back();
    KvRecord &rec = records_[slot];
    store_order();  // after the value's bytes
    std::memcpy(rec.key, key.bytes.data(), kKvMaxKeyBytes);
    rec.key_len = key.len;
    rec.value_len = value_len;
    rec.unit_offset = unit;
    // Set last: a record is valid only once everything else is in place.
    store_order();
    rec.used = 1;
    index_.emplace(key, slot);
    free_slots_.pop_back();
}

KvStatus KvStore::store(const KvKey &key, const uint8_t *value, uint32_t length, KvStoreMode mode,
                        KvExtent *placed)
{
    if (length == 0 || length > limits_.max_value_bytes) {
        return KvStatus::ValueTooLarge;
    }
    if (!valid_key(key)) {
        return KvStatus::NotFound;
    }
    const auto it = index_.find(key);
    const bool present = it != index_.end();
    if (present && mode == KvStoreMode::MustNotExist) {
        return KvStatus::Exists;
    }
    if (!present && mode == KvStoreMode::MustExist) {
        return KvStatus::NotFound;
    }
    const bool append = present && mode == KvStoreMode::Append;
    const uint64_t new_len = append ? uint64_t{records_[it->second].value_len} + length : length;
    if (new_len > limits_.max_value_bytes) {
        return KvStatus::ValueTooLarge;
    }
    if (!present && free_slots_.empty()) {
        return KvStatus::TooManyKeys;
    }
    const uint64_t units = units_for(new_len);
    uint64_t unit = 0;
    if (!allocate(units, unit)) {
        return KvStatus::NoSpace;
    }
    uint8_t *dst = data_ + unit * kUnitBytes;
    if (append) {
        // Read the old extent only now: compaction may have moved it.
        const KvRecord &old = records_[it->second];
        std::memcpy(dst, data_ + old.unit_offset * kUnitBytes, old.value_len);
        std::memcpy(dst + old.value_len, value, length);
    } else {
        std::memcpy(dst, value, length);
    }
    if (present) {
        KvRecord &rec = records_[it->second];
        const uint64_t old_unit = rec.unit_offset;
        const uint32_t old_len = rec.value_len;
        // The value is in place; the record switches extents in one step.
        journal_begin(KvJournalKind::Update, it->second, static_cast<uint32_t>(new_len), unit);
        rec.value_len = static_cast<uint32_t>(new_len);
        rec.unit_offset = unit;
        journal_end();
        alloc_.release(old_unit, units_for(old_len));
        value_bytes_ -= old_len;
        allocated_units_ -= units_for(old_len);
    } else {
        insert_record(key, length, unit);
    }
    value_bytes_ += new_len;
    allocated_units_ += units;
    if (placed != nullptr) {
        *placed = {unit * kUnitBytes, units * kUnitBytes};
    }
    return KvStatus::Ok;
}

KvStatus KvStore::retrieve(const KvKey &key, uint32_t offset, uint8_t *out, uint32_t cap,
                           uint32_t &value_length, uint32_t &copied) const
{
    value_length = 0;
    copied = 0;
    const auto it = valid_key(key) ? index_.find(key) : index_.end();
    if (it == index_.end()) {
        return KvStatus::NotFound;
    }
    const KvRecord &rec = records_[it->second];
    value_length = rec.value_len;
    if (offset < rec.value_len) {
        copied = std::min(cap, rec.value_len - offset);
        if (copied > 0) {
            std::memcpy(out, data_ + rec.unit_offset * kUnitBytes + offset, copied);
        }
    }
    return KvStatus::Ok;
}

KvStatus KvStore::remove(const KvKey &key, KvExtent *freed)
{
    const auto it = valid_key(key) ? index_.find(key) : index_.end();
    if (it == index_.end()) {
        return KvStatus::NotFound;
    }
    const uint32_t slot = it->second;
    KvRecord &rec = records_[slot];
    const KvExtent extent = extent_of(rec);
    const uint64_t units = units_for(rec.value_len);
    value_bytes_ -= rec.value_len;
    allocated_units_ -= units;
    // The record goes first: from then on the extent is free space. Its
    // used flag goes before the rest, so a kill never leaves a used record
    // with a half-cleared key.
    rec.used = 0;
    store_order();
    std::memset(&rec, 0, sizeof(rec));
    alloc_.release(extent.offset / kUnitBytes, units);
    index_.erase(it);
    free_slots_.push_back(slot);
    if (freed != nullptr) {
        *freed = extent;
    }
    return KvStatus::Ok;
}

bool KvStore::exists(const KvKey &key) const
{
    return valid_key(key) && index_.contains(key);
}

KvStatus KvStore::locate(const KvKey &key, KvExtent &where) const
{
    const auto it = valid_key(key) ? index_.find(key) : index_.end();
    if (it == index_.end()) {
        return KvStatus::NotFound;
    }
    where = extent_of(records_[it->second]);
    return KvStatus::Ok;
}

void KvStore::list(const KvKey &start, bool inclusive, size_t max, std::vector<KvKey> &out) const
{
    auto it = index_.begin();
    if (start.len > 0) {
        it = inclusive ? index_.lower_bound(start) : index_.upper_bound(start);
    }
    for (size_t n = 0; n < max && it != index_.end(); ++n, ++it) {
        out.push_back(it->first);
    }
}

void KvStore::erase_all()
{
    // Used flags first (see remove()), then the records, then the values.
    for (uint32_t slot = 0; slot < limits_.max_keys; slot++) {
        records_[slot].used = 0;
    }
    store_order();
    std::memset(records_, 0, uint64_t{limits_.max_keys} * sizeof(KvRecord));
    store_order();
    if (data_bytes_ > 0) {
        std::memset(data_, 0, data_bytes_);
    }
    index_.clear();
    free_slots_.clear();
    for (uint32_t slot = limits_.max_keys; slot-- > 0;) {
        free_slots_.push_back(slot);
    }
    alloc_.reset(data_bytes_ / kUnitBytes);
    value_bytes_ = 0;
    allocated_units_ = 0;
}

KvStats KvStore::stats() const
{
    KvStats s;
    s.keys = index_.size();
    s.value_bytes = value_bytes_;
    s.allocated_bytes = allocated_units_ * kUnitBytes;
    s.free_bytes = data_bytes_ - s.allocated_bytes;
    s.data_bytes = data_bytes_;
    s.compactions = compactions_;
    s.compacted_bytes = compacted_bytes_;
    return s;
}

void KvStore::reset_stats()
{
    compactions_ = 0;
    compacted_bytes_ = 0;
}

}  // namespace nvmev::ftl
