// The NVMe Key Value command set (KV 1.0; CSI 01h) on an ssd=kv namespace:
// Store, Retrieve, List, Delete and Exist, plus the timing all KV commands
// share (kv_done). docs/kv.md has the layouts and the timing formulas.
#include <algorithm>
#include <cstring>

#include "kv_command_set.h"
#include "kv_spec.h"

namespace nvmev {
namespace {

// KV 1.0 Figure 22: key bytes 7:0 in CDW2-3, bytes 15:8 in CDW14-15.
ftl::KvKey standard_key(const Sqe &sqe, uint8_t len)
{
    uint8_t raw[16];
    std::memcpy(raw, &sqe.cdw2, 4);
    std::memcpy(raw + 4, &sqe.cdw3, 4);
    std::memcpy(raw + 8, &sqe.cdw14, 4);
    std::memcpy(raw + 12, &sqe.cdw15, 4);
    return ftl::KvKey::of(raw, len);
}

}  // namespace

int64_t KvCommandSet::kv_done(const Request &req, unsigned index_ops, ftl::MediaOp op,
                              const ftl::KvExtent &e, Status &st)
{
    // Index work first, then the value's sectors on the media.
    const int64_t start =
        req.fetched_ns + static_cast<int64_t>(index_ops) * req.ns->kv_timing->index_latency_ns();
    st = kSuccess;
    if (e.length == 0) {
        return start;
    }
    const uint64_t first = e.offset / 512;
    const uint64_t nlb = (e.offset + e.length + 511) / 512 - first;
    const ftl::MediaResult r =
        req.ns->ftl->submit({op, first, static_cast<uint32_t>(nlb), nlb * 512, false, start});
    st = r.status;
    return r.complete_at_ns;
}

Outcome KvCommandSet::kv_finish(const Request &req, unsigned index_ops, ftl::MediaOp op,
                                const ftl::KvExtent &e, Status status)
{
    Outcome out;
    Status media = kSuccess;
    out.complete_at_ns = kv_done(req, index_ops, op, e, media);
    out.status = status != kSuccess ? status : media;
    return out;
}

Status KvCommandSet::kv_key(const Request &req, ftl::KvKey &key) const
{
    const Sqe &sqe = req.sqe;
    if (!req.ns) {
        return kInvalidNamespace;
    }
    const unsigned len = sqe.cdw11 & 0xff;
    if (len == 0 || len > ftl::kKvMaxKeyBytes) {
        return kv_status(kKvInvalidKeySize);
    }
    key = standard_key(sqe, static_cast<uint8_t>(len));
    return kSuccess;
}

Outcome KvCommandSet::kv_store(Request &req)
{
    const Sqe &sqe = req.sqe;
    ftl::KvKey key;
    if (const Status st = kv_key(req, key); st != kSuccess) {
        return Outcome::of(st);
    }
    const uint8_t opts = static_cast<uint8_t>(sqe.cdw11 >> 8);
    if ((opts & kKvStoreMustExist) && (opts & kKvStoreMustNotExist)) {
        return Outcome::of(kInvalidField);
    }
    if (opts & ~(kKvStoreMustExist | kKvStoreMustNotExist | kKvStoreCompress)) {
        return Outcome::of(kInvalidField);
    }
    const uint32_t len = sqe.cdw10;
    if (len == 0 || len > req.ns->cfg.kv.max_value_bytes) {
        return Outcome::of(kv_status(kKvInvalidValueSize));
    }
    const ftl::KvStoreMode mode = (opts & kKvStoreMustExist)      ? ftl::KvStoreMode::MustExist
                                  : (opts & kKvStoreMustNotExist) ? ftl::KvStoreMode::MustNotExist
                                                                  : ftl::KvStoreMode::Upsert;
    return kv_store_value(req, key, len, mode, false);
}

Outcome KvCommandSet::kv_store_value(const Request &req, const ftl::KvKey &key, uint32_t len,
                                     ftl::KvStoreMode mode, bool vendor)
{
    req.ns->kv_ops.stores++;
    req.ns->kv_buffer.resize(len);
    if (const Status st = xfer_.from_host(req.sqe, req.ns->kv_buffer.data(), len); st != kSuccess) {
        return Outcome::of(st);
    }
    ftl::KvExtent placed;
    const ftl::KvStatus r = req.ns->kv->store(key, req.ns->kv_buffer.data(), len, mode, &placed);
    if (r != ftl::KvStatus::Ok) {
        return kv_finish(req, 1, ftl::MediaOp::Write, {}, kv_error(r, vendor));
    }
    counters_.write_bytes += len;
    smart_.write_bytes += len;
    smart_.host_write_cmds++;
    // An append rewrites the value where it now lives.
    return kv_finish(req, 1, ftl::MediaOp::Write, placed, kSuccess);
}

Status KvCommandSet::kv_error(ftl::KvStatus r, bool vendor)
{
    switch (r) {
        case ftl::KvStatus::Ok: return kSuccess;
        case ftl::KvStatus::NotFound:
            return vendor ? kKvVendorKeyNotExists : kv_status(kKvKeyNotExists);
        case ftl::KvStatus::Exists: return kv_status(kKvKeyExists);
        case ftl::KvStatus::NoSpace:
        case ftl::KvStatus::TooManyKeys:
            return vendor ? kKvVendorCapacity : kv_status(kKvCapacityExceeded);
        case ftl::KvStatus::ValueTooLarge: return kv_status(kKvInvalidValueSize);
    }
    return kInvalidField;
}

Outcome KvCommandSet::kv_retrieve(Request &req)
{
    const Sqe &sqe = req.sqe;
    ftl::KvKey key;
    if (const Status st = kv_key(req, key); st != kSuccess) {
        return Outcome::of(st);
    }
    if ((sqe.cdw11 >> 8) & 0xfe) {  // bit 8: retrieve raw (values are never compressed)
        return Outcome::of(kInvalidField);
    }
    return kv_retrieve_value(req, key, 0, sqe.cdw10, false);
}

Outcome KvCommandSet::kv_retrieve_value(const Request &req, const ftl::KvKey &key, uint32_t offset,
                                        uint64_t buffer, bool vendor)
{
    req.ns->kv_ops.retrieves++;
    if (cfg_.mdts && buffer > cfg_.max_transfer_bytes()) {
        return Outcome::of(kInvalidField);
    }
    const auto cap =
        static_cast<uint32_t>(std::min<uint64_t>(buffer, req.ns->cfg.kv.max_value_bytes));
    req.ns->kv_buffer.resize(cap);
    uint32_t vlen = 0, copied = 0;
    const ftl::KvStatus r =
        req.ns->kv->retrieve(key, offset, req.ns->kv_buffer.data(), cap, vlen, copied);
    if (r != ftl::KvStatus::Ok) {
        return kv_finish(req, 1, ftl::MediaOp::Read, {}, kv_error(r, vendor));
    }
    if (offset > vlen) {
        return kv_finish(req, 1, ftl::MediaOp::Read, {}, kInvalidField);
    }
    if (copied) {
        const Status st = xfer_.to_host_part(req.sqe, req.ns->kv_buffer.data(), copied, buffer);
        if (st != kSuccess) {
            return Outcome::of(st);
        }
    }
    ftl::KvExtent where;
    req.ns->kv->locate(key, where);
    counters_.read_bytes += copied;
    smart_.read_bytes += copied;
    smart_.host_read_cmds++;
    // Only the sectors holding the bytes returned are read.
    Outcome out = kv_finish(req, 1, ftl::MediaOp::Read, {where.offset + offset, copied}, kSuccess);
    out.dw0 = vlen;  // the value's full size, even when the buffer was smaller
    return out;
}

Outcome KvCommandSet::kv_delete(Request &req)
{
    ftl::KvKey key;
    if (const Status st = kv_key(req, key); st != kSuccess) {
        return Outcome::of(st);
    }
    return kv_remove(req, key, false);
}

Outcome KvCommandSet::kv_remove(const Request &req, const ftl::KvKey &key, bool vendor)
{
    req.ns->kv_ops.deletes++;
    ftl::KvExtent freed;
    const ftl::KvStatus r = req.ns->kv->remove(key, &freed);
    if (r != ftl::KvStatus::Ok) {
        return kv_finish(req, 1, ftl::MediaOp::Deallocate, {}, kv_error(r, vendor));
    }
    // The value's sectors are trimmed: the NAND model's GC need not copy them.
    return kv_finish(req, 1, ftl::MediaOp::Deallocate, freed, kSuccess);
}

Outcome KvCommandSet::kv_exist(Request &req)
{
    ftl::KvKey key;
    if (const Status st = kv_key(req, key); st != kSuccess) {
        return Outcome::of(st);
    }
    req.ns->kv_ops.exists++;
    const bool found = req.ns->kv->exists(key);
    return kv_finish(req, 1, ftl::MediaOp::Read, {}, found ? kSuccess : kv_status(kKvKeyNotExists));
}

// List (KV 1.0 5.3): from the given key (KL 0: the first key) as many keys
// as fit: a 4-byte count, then per key a 2-byte length and the key, each
// entry padded to 4 bytes.
Outcome KvCommandSet::kv_list(Request &req)
{
    const Sqe &sqe = req.sqe;
    if (!req.ns) {
        return Outcome::of(kInvalidNamespace);
    }
    const unsigned klen = sqe.cdw11 & 0xff;
    if (klen > ftl::kKvMaxKeyBytes) {
        return Outcome::of(kv_status(kKvInvalidKeySize));
    }
    const uint64_t hbs = sqe.cdw10;
    if (hbs < 4 || (cfg_.mdts && hbs > cfg_.max_transfer_bytes())) {
        return Outcome::of(kInvalidField);
    }
    req.ns->kv_ops.lists++;
    const size_t room = (hbs - 4) / 4;  // every entry takes at least 4 bytes
    std::vector<ftl::KvKey> keys;
    req.ns->kv->list(standard_key(sqe, static_cast<uint8_t>(klen)), true, room, keys);
    std::vector<uint8_t> &buf = req.ns->kv_buffer;
    buf.assign(4, 0);
    uint32_t count = 0;
    for (const auto &k : keys) {
        const size_t entry = (2 + k.len + 3) / 4 * 4;
        if (buf.size() + entry > hbs) {
            break;
        }
        const size_t at = buf.size();
        buf.resize(at + entry, 0);
        buf[at] = k.len;
        std::memcpy(buf.data() + at + 2, k.bytes.data(), k.len);
        count++;
    }
    std::memcpy(buf.data(), &count, 4);
    if (const Status st = xfer_.to_host_part(sqe, buf.data(), buf.size(), hbs); st != kSuccess) {
        return Outcome::of(st);
    }
    // One index pass per 4 KiB of list returned.
    Outcome out = kv_finish(req, static_cast<unsigned>(1 + buf.size() / 4096), ftl::MediaOp::Read,
                            {}, kSuccess);
    out.dw0 = count;
    return out;
}

const IoHandlerTable<KvCommandSet> &KvCommandSet::table()
{
    static const IoHandlerTable<KvCommandSet> table = [] {
        IoHandlerTable<KvCommandSet> t{};
        t[kKvFlush] = &KvCommandSet::kv_flush;
        t[kKvStore] = &KvCommandSet::kv_store;
        t[kKvRetrieve] = &KvCommandSet::kv_retrieve;
        t[kKvList] = &KvCommandSet::kv_list;
        t[kKvDelete] = &KvCommandSet::kv_delete;
        t[kKvExist] = &KvCommandSet::kv_exist;
        return t;
    }();
    return table;
}

Outcome KvCommandSet::execute(Request &req, bool vendor)
{
    const auto h = (vendor ? vendor_table() : table())[req.sqe.opcode];
    return h ? (this->*h)(req) : Outcome::of(kInvalidOpcode);
}

bool KvCommandSet::supports(uint8_t opcode, bool vendor)
{
    return (vendor ? vendor_table() : table())[opcode] != nullptr;
}

}  // namespace nvmev
