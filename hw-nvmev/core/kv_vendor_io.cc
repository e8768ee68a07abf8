// NVMeVirt's KV SSD opcodes (kv-vendor-opcodes=on; layout in kv_spec.h and
// docs/kv.md), on the same store as the KV command set: store, append,
// retrieve, delete, exist, iterate and batch. The namespace looks like an
// NVM one (as in NVMeVirt): block reads return zeros, it holds no blocks.
#include <algorithm>
#include <cstring>

#include "kv_command_set.h"
#include "kv_spec.h"

namespace nvmev {
namespace {

// Batch sub-command attribute (16 bytes) in the payload's 512-byte header.
struct BatchAttr {
    uint8_t opcode;
    uint8_t key_size;
    uint16_t rsvd;
    uint32_t value_size;
    uint8_t option;
    uint8_t nsid;
    uint16_t rsvd2;
    uint32_t rsvd3;
};
static_assert(sizeof(BatchAttr) == 16);
constexpr size_t kBatchHeader = 512;
constexpr size_t kBatchAlign = 64;

// Sub-payload fields take whole 64-byte units; an empty field still takes one.
size_t batch_field(size_t n)
{
    return n == 0 ? kBatchAlign : (n + kBatchAlign - 1) / kBatchAlign * kBatchAlign;
}

// The key of an iterator's filter: its first 4 bytes as a little-endian u32.
uint32_t key_prefix(const ftl::KvKey &k)
{
    uint32_t v = 0;
    std::memcpy(&v, k.bytes.data(), 4);  // bytes past len are zero
    return v;
}

}  // namespace

// CDW11 bits 7:0 hold the key length - 1; keys come inline (CDW12-15), so
// at most 16 bytes.
Status KvCommandSet::kv_vendor_key(const Request &req, ftl::KvKey &key) const
{
    const Sqe &sqe = req.sqe;
    if (!req.ns) {
        return kInvalidNamespace;
    }
    const unsigned len = (sqe.cdw11 & 0xff) + 1;
    if (len > ftl::kKvMaxKeyBytes) {
        return kv_status(kKvInvalidKeySize);
    }
    uint8_t raw[16];
    std::memcpy(raw, &sqe.cdw12, 4);
    std::memcpy(raw + 4, &sqe.cdw13, 4);
    std::memcpy(raw + 8, &sqe.cdw14, 4);
    std::memcpy(raw + 12, &sqe.cdw15, 4);
    key = ftl::KvKey::of(raw, len);
    return kSuccess;
}

Outcome KvCommandSet::kv_vendor_store(Request &req)
{
    const Sqe &sqe = req.sqe;
    ftl::KvKey key;
    if (const Status st = kv_vendor_key(req, key); st != kSuccess) {
        return Outcome::of(st);
    }
    const auto offset = static_cast<uint32_t>(sqe.mptr);  // CDW4
    const uint8_t option = static_cast<uint8_t>(sqe.cdw11 >> 8);
    if (offset != 0 || (option & ~0x7u)) {  // compress hints (bits 0, 2) are ignored
        return Outcome::of(kInvalidField);
    }
    const uint64_t pad = (sqe.cdw11 >> 16) & 3;
    const uint64_t dwords = sqe.cdw10;
    if (dwords * 4 <= pad || dwords * 4 - pad > req.ns->cfg.kv.max_value_bytes) {
        return Outcome::of(kv_status(kKvInvalidValueSize));
    }
    const ftl::KvStoreMode mode = sqe.opcode == kKvVendorAppend ? ftl::KvStoreMode::Append
                                  : (option & kKvVendorStoreIdempotent)
                                      ? ftl::KvStoreMode::MustNotExist
                                      : ftl::KvStoreMode::Upsert;
    return kv_store_value(req, key, static_cast<uint32_t>(dwords * 4 - pad), mode, true);
}

Outcome KvCommandSet::kv_vendor_retrieve(Request &req)
{
    const Sqe &sqe = req.sqe;
    ftl::KvKey key;
    if (const Status st = kv_vendor_key(req, key); st != kSuccess) {
        return Outcome::of(st);
    }
    const uint8_t option = static_cast<uint8_t>(sqe.cdw11 >> 8);
    if (option & ~0x3u) {
        return Outcome::of(kInvalidField);
    }
    // Option bit 1: only the value's size (DW0), no data.
    const uint64_t buffer = (option & 2) ? 0 : uint64_t{sqe.cdw10} * 4;
    return kv_retrieve_value(req, key, static_cast<uint32_t>(sqe.mptr), buffer, true);
}

Outcome KvCommandSet::kv_vendor_delete(Request &req)
{
    ftl::KvKey key;
    if (const Status st = kv_vendor_key(req, key); st != kSuccess) {
        return Outcome::of(st);
    }
    return kv_remove(req, key, true);
}

Outcome KvCommandSet::kv_vendor_exist(Request &req)
{
    ftl::KvKey key;
    if (const Status st = kv_vendor_key(req, key); st != kSuccess) {
        return Outcome::of(st);
    }
    req.ns->kv_ops.exists++;
    const bool found = req.ns->kv->exists(key);
    return kv_finish(req, 1, ftl::MediaOp::Read, {}, found ? kSuccess : kKvVendorKeyNotExists);
}

// Iterate request: open (prefix and bitmask over the keys' first 4 bytes;
// DW0 = handle 1..16) or close a handle.
Outcome KvCommandSet::kv_vendor_iter_request(Request &req)
{
    const Sqe &sqe = req.sqe;
    if (!req.ns) {
        return Outcome::of(kInvalidNamespace);
    }
    const uint8_t option = static_cast<uint8_t>(sqe.cdw11 >> 8);
    if (option == kKvVendorIterOpen || option == (kKvVendorIterOpen | kKvVendorIterKeyOnly)) {
        for (unsigned h = 0; h < kKvVendorMaxIterators; h++) {
            Namespace::KvIterator &it = req.ns->kv_iterators[h];
            if (!it.open) {
                it = Namespace::KvIterator{true, sqe.cdw12, sqe.cdw13, {}, false};
                Outcome out = kv_finish(req, 1, ftl::MediaOp::Read, {}, kSuccess);
                out.dw0 = h + 1;
                return out;
            }
        }
        return Outcome::of(kInvalidField);  // all 16 handles are open
    }
    if (option == kKvVendorIterClose) {
        const unsigned h = sqe.cdw11 & 0xff;
        if (h == 0 || h > kKvVendorMaxIterators || !req.ns->kv_iterators[h - 1].open) {
            return Outcome::of(kInvalidField);
        }
        req.ns->kv_iterators[h - 1] = {};
        return kv_finish(req, 0, ftl::MediaOp::Read, {}, kSuccess);
    }
    // Key-and-value and delete iterators are not offered.
    return Outcome::of(kInvalidField);
}

// Iterate read: the next matching keys in order, as a u32 count then per
// key a u32 length and the key padded to 4 bytes; the batch that reaches
// the end completes with status 393h. DW0 = bytes returned.
Outcome KvCommandSet::kv_vendor_iter_read(Request &req)
{
    const Sqe &sqe = req.sqe;
    if (!req.ns) {
        return Outcome::of(kInvalidNamespace);
    }
    const unsigned h = sqe.cdw11 & 0xff;
    const uint64_t hbs = uint64_t{sqe.cdw10} * 4;
    if (h == 0 || h > kKvVendorMaxIterators || !req.ns->kv_iterators[h - 1].open || hbs < 4 ||
        (cfg_.mdts && hbs > cfg_.max_transfer_bytes())) {
        return Outcome::of(kInvalidField);
    }
    Namespace::KvIterator &it = req.ns->kv_iterators[h - 1];
    req.ns->kv_ops.lists++;
    std::vector<uint8_t> &buf = req.ns->kv_buffer;
    buf.assign(4, 0);
    uint32_t count = 0;
    uint64_t scanned = 0;
    bool full = false;
    std::vector<ftl::KvKey> keys;
    while (!it.done && !full) {
        keys.clear();
        req.ns->kv->list(it.last, it.last.len == 0, 256, keys);
        if (keys.empty()) {
            it.done = true;
            break;
        }
        for (const auto &k : keys) {
            if ((key_prefix(k) & it.mask) == (it.prefix & it.mask)) {
                const size_t entry = 4 + (k.len + 3u) / 4 * 4;
                if (buf.size() + entry > hbs) {
                    full = true;
                    break;
                }
                const size_t at = buf.size();
                buf.resize(at + entry, 0);
                const uint32_t len = k.len;
                std::memcpy(buf.data() + at, &len, 4);
                std::memcpy(buf.data() + at + 4, k.bytes.data(), k.len);
                count++;
            }
            it.last = k;
            scanned++;
        }
        if (!full && keys.size() < 256) {
            it.done = true;  // this pass reached the last key
        }
    }
    std::memcpy(buf.data(), &count, 4);
    if (const Status st = xfer_.to_host_part(sqe, buf.data(), buf.size(), hbs); st != kSuccess) {
        return Outcome::of(st);
    }
    Outcome out = kv_finish(req, static_cast<unsigned>(1 + scanned / 256), ftl::MediaOp::Read, {},
                            it.done ? kKvVendorIterEnd : kSuccess);
    out.dw0 = static_cast<uint32_t>(buf.size());
    return out;
}

// Batch: up to 8 stores or deletes in one payload, checked as a whole
// before any runs; they then run in order and the first failure stops it.
Outcome KvCommandSet::kv_vendor_batch(Request &req)
{
    const Sqe &sqe = req.sqe;
    if (!req.ns) {
        return Outcome::of(kInvalidNamespace);
    }
    const unsigned n = sqe.cdw11 >> 24;
    const uint64_t len = uint64_t{sqe.cdw10} * 4;
    if (n == 0 || n > kKvVendorBatchMax || len < kBatchHeader ||
        (cfg_.mdts && len > cfg_.max_transfer_bytes())) {
        return Outcome::of(kInvalidField);
    }
    std::vector<uint8_t> &buf = req.ns->kv_buffer;
    buf.resize(len);
    if (const Status st = xfer_.from_host(sqe, buf.data(), len); st != kSuccess) {
        return Outcome::of(st);
    }
    struct Sub {
        BatchAttr a;
        size_t key_at, value_at;
    };
    std::array<Sub, kKvVendorBatchMax> subs{};
    size_t at = kBatchHeader;
    for (unsigned i = 0; i < n; i++) {
        Sub &s = subs[i];
        std::memcpy(&s.a, buf.data() + i * sizeof(BatchAttr), sizeof(BatchAttr));
        if (s.a.opcode != kKvVendorStore && s.a.opcode != kKvVendorDelete) {
            return Outcome::of(kInvalidField);
        }
        if (s.a.key_size == 0 || s.a.key_size > ftl::kKvMaxKeyBytes) {
            return Outcome::of(kv_status(kKvInvalidKeySize));
        }
        const bool store = s.a.opcode == kKvVendorStore;
        if (store && (s.a.value_size == 0 || s.a.value_size > req.ns->cfg.kv.max_value_bytes)) {
            return Outcome::of(kv_status(kKvInvalidValueSize));
        }
        s.key_at = at + kBatchAlign;
        s.value_at = s.key_at + batch_field(s.a.key_size);
        at = s.value_at + batch_field(store ? s.a.value_size : 0);
        if (at > len) {
            return Outcome::of(kInvalidField);  // the payload ends inside this sub-command
        }
    }
    Outcome out;
    out.complete_at_ns = req.fetched_ns;
    for (unsigned i = 0; i < n; i++) {
        const Sub &s = subs[i];
        const ftl::KvKey key = ftl::KvKey::of(buf.data() + s.key_at, s.a.key_size);
        ftl::KvExtent e;
        ftl::KvStatus r;
        ftl::MediaOp op = ftl::MediaOp::Write;
        if (s.a.opcode == kKvVendorStore) {
            req.ns->kv_ops.stores++;
            const auto mode = (s.a.option & kKvVendorStoreIdempotent)
                                  ? ftl::KvStoreMode::MustNotExist
                                  : ftl::KvStoreMode::Upsert;
            r = req.ns->kv->store(key, buf.data() + s.value_at, s.a.value_size, mode, &e);
            if (r == ftl::KvStatus::Ok) {
                counters_.write_bytes += s.a.value_size;
                smart_.write_bytes += s.a.value_size;
            }
        } else {
            req.ns->kv_ops.deletes++;
            op = ftl::MediaOp::Deallocate;
            r = req.ns->kv->remove(key, &e);
        }
        // Index updates run one after another; media work overlaps.
        Status media = kSuccess;
        const int64_t done =
            kv_done(req, i + 1, op, r == ftl::KvStatus::Ok ? e : ftl::KvExtent{}, media);
        out.complete_at_ns = std::max(out.complete_at_ns, done);
        if (r != ftl::KvStatus::Ok || media != kSuccess) {
            out.status = r != ftl::KvStatus::Ok ? kv_error(r, true) : media;
            return out;
        }
    }
    return out;
}

// A block read of the NVM view: zeros, as from deallocated blocks.
Outcome KvCommandSet::kv_vendor_read(Request &req)
{
    const Sqe &sqe = req.sqe;
    uint64_t slba = 0;
    uint32_t nlb = 0;
    if (const Status st = lba_range_of(req, slba, nlb); st != kSuccess) {
        return Outcome::of(st);
    }
    const uint64_t bytes = uint64_t{nlb} << req.ns->cfg.lba_shift();
    if (cfg_.mdts && bytes > cfg_.max_transfer_bytes()) {
        return Outcome::of(kInvalidField);
    }
    return Outcome::of(xfer_.to_host_padded(sqe, nullptr, 0, bytes));
}

const IoHandlerTable<KvCommandSet> &KvCommandSet::vendor_table()
{
    static const IoHandlerTable<KvCommandSet> table = [] {
        IoHandlerTable<KvCommandSet> t{};
        t[nvme_cmd_flush] = &KvCommandSet::kv_flush;
        t[nvme_cmd_read] = &KvCommandSet::kv_vendor_read;
        t[kKvVendorStore] = &KvCommandSet::kv_vendor_store;
        t[kKvVendorAppend] = &KvCommandSet::kv_vendor_store;
        t[kKvVendorBatch] = &KvCommandSet::kv_vendor_batch;
        t[kKvVendorRetrieve] = &KvCommandSet::kv_vendor_retrieve;
        t[kKvVendorDelete] = &KvCommandSet::kv_vendor_delete;
        t[kKvVendorIterRequest] = &KvCommandSet::kv_vendor_iter_request;
        t[kKvVendorIterRead] = &KvCommandSet::kv_vendor_iter_read;
        t[kKvVendorExist] = &KvCommandSet::kv_vendor_exist;
        return t;
    }();
    return table;
}

}  // namespace nvmev
