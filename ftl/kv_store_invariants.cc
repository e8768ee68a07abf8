// ssd=kv: KvStore::check_invariants(): everything the store keeps twice
// (records and index, records and free-space map, counters) must agree.
#include "kv_store.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

namespace nvmev::ftl {

// Checks each record on its own and against the index; collects the extents
// in use as (start unit, units).
std::string KvStore::check_records(std::vector<std::pair<uint64_t, uint64_t>> &extents) const
{
    uint64_t value_bytes = 0;
    uint64_t units_in_use = 0;
    uint64_t used = 0;
    for (uint32_t slot = 0; slot < limits_.max_keys; ++slot) {
        const KvRecord &rec = records_[slot];
        const std::string where = "record " + std::to_string(slot);
        if (rec.used == 0) {
            continue;
        }
        if (rec.used != 1) {
            return where + ": used flag " + std::to_string(rec.used);
        }
        if (rec.key_len == 0 || rec.key_len > kKvMaxKeyBytes) {
            return where + ": key length " + std::to_string(rec.key_len);
        }
        if (rec.value_len == 0) {
            return where + ": value length 0";
        }
        const uint64_t units = units_for(rec.value_len);
        if (rec.unit_offset > alloc_.total_units() ||
            units > alloc_.total_units() - rec.unit_offset) {
            return where + ": extent out of range";
        }
        const auto it = index_.find(KvKey::of(rec.key, rec.key_len));
        if (it == index_.end() || it->second != slot) {
            return where + ": its key does not lead to it in the index";
        }
        extents.emplace_back(rec.unit_offset, units);
        value_bytes += rec.value_len;
        units_in_use += units;
        ++used;
    }
    if (used != index_.size()) {
        return std::to_string(used) + " records in use, " + std::to_string(index_.size()) +
               " keys in the index";
    }
    if (value_bytes != value_bytes_) {
        return "records hold " + std::to_string(value_bytes) + " value bytes, the count says " +
               std::to_string(value_bytes_);
    }
    if (units_in_use != allocated_units_) {
        return "records hold " + std::to_string(units_in_use) + " units, the count says " +
               std::to_string(allocated_units_);
    }
    return "";
}

std::string KvStore::check_index() const
{
    for (const auto &[key, slot] : index_) {
        if (slot >= limits_.max_keys || records_[slot].used != 1 ||
            !(KvKey::of(records_[slot].key, records_[slot].key_len) == key)) {
            return "index entry for slot " + std::to_string(slot) + " does not match its record";
        }
    }
    if (index_.size() + free_slots_.size() != limits_.max_keys) {
        return std::to_string(index_.size()) + " keys and " + std::to_string(free_slots_.size()) +
               " free slots for kv-max-keys " + std::to_string(limits_.max_keys);
    }
    std::vector<bool> seen(limits_.max_keys, false);
    for (uint32_t slot : free_slots_) {
        if (slot >= limits_.max_keys || seen[slot] || records_[slot].used != 0) {
            return "free slot " + std::to_string(slot) + " is out of range, repeated or in use";
        }
        seen[slot] = true;
    }
    return "";
}

std::string KvStore::check_invariants() const
{
    const KvHeader &h = *header_;
    if (std::memcmp(h.magic, kKvMagic, sizeof(h.magic)) != 0 || h.version != kKvFormatVersion ||
        h.unit_bytes != kUnitBytes || h.data_bytes != data_bytes_ ||
        h.max_keys != limits_.max_keys) {
        return "the header does not describe this store";
    }
    std::vector<std::pair<uint64_t, uint64_t>> extents;
    for (const std::string &err : {check_records(extents), check_index(), alloc_.check()}) {
        if (!err.empty()) {
            return err;
        }
    }
    // Extents in use and free extents must tile the data region exactly:
    // this catches overlap between values and between a value and free space.
    extents.insert(extents.end(), alloc_.free_extents().begin(), alloc_.free_extents().end());
    std::sort(extents.begin(), extents.end());
    uint64_t next = 0;
    for (const auto &[start, units] : extents) {
        if (start != next) {
            return "unit " + std::to_string(std::min(start, next)) +
                   (start < next ? " is covered twice" : " is neither in use nor free");
        }
        next = start + units;
    }
    if (next != alloc_.total_units()) {
        return "units from " + std::to_string(next) + " on are neither in use nor free";
    }
    return "";
}

}  // namespace nvmev::ftl
