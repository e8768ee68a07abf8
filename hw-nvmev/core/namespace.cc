// Namespace: FTL construction per kind, and deletion.
#include "namespace.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "../ftl/conv_ftl.h"
#include "../ftl/zns_ftl.h"
#include "zns_command_set.h"

namespace nvmev {
namespace {

// Zeroes [p, p + len) writing only pages that hold data: never-written pages
// of an anonymous backing store stay unallocated.
void zero_written(uint8_t *p, uint64_t len)
{
    static const uint8_t zeros[4096] = {};
    for (uint64_t off = 0; off < len; off += sizeof(zeros)) {
        const uint64_t n = std::min<uint64_t>(sizeof(zeros), len - off);
        if (std::memcmp(p + off, zeros, n) != 0) {
            std::memset(p + off, 0, n);
        }
    }
}

// `what` with its leading "the backing store" naming the memdev instead.
std::string name_backing(const NamespaceConfig &cfg, const std::string &what)
{
    const std::string lead = "the backing store";
    return what.rfind(lead, 0) == 0 ? backing_store_name(cfg) + what.substr(lead.size()) : what;
}

}  // namespace

Namespace::Namespace(uint32_t id, const NamespaceConfig &c, uint8_t *store, const Host *host)
    : nsid(id),
      cfg(c),
      backing(store),
      slot_bytes_(c.capacity_bytes),
      host_(host),
      tracer_(host, id)
{
    build_ftl();
}

void Namespace::build_ftl()
{
    zns = nullptr;
    // The kind's own metadata (zones, key records) follows the drive state area.
    uint8_t *const kind_meta = backing + cfg.metadata_offset + cfg.state_bytes;
    if (cfg.kind == SsdKind::Conv) {
        ftl = ftl::make_conv_ftl(cfg.conv);
    } else if (cfg.kind == SsdKind::Zns) {
        const std::string err = open_zone_metadata(cfg, kind_meta, zone_meta);
        if (!err.empty()) {
            throw std::invalid_argument(err);
        }
        auto z = std::make_unique<ftl::ZnsFtl>(cfg.zns, zone_meta.records, zone_meta.fresh);
        zns = z.get();
        ftl = std::move(z);
        ZnsCommandSet::finish_interrupted_zone_work(*this);
    } else if (cfg.kind == SsdKind::Kv) {
        try {
            kv = std::make_unique<ftl::KvStore>(
                backing, cfg.capacity_bytes, kind_meta, cfg.metadata_bytes - cfg.state_bytes,
                ftl::KvLimits{cfg.kv.max_keys, cfg.kv.max_value_bytes}, cfg.reinit_metadata);
        } catch (const std::invalid_argument &e) {
            // Key records of another format: the error names the memdev.
            throw std::invalid_argument(name_backing(cfg, e.what()));
        }
        std::unique_ptr<ftl::Ftl> media =
            cfg.kv.parallel
                ? ftl::make_conv_ftl(cfg.conv)
                : ftl::make_simple_ftl({cfg.read_latency_ns, cfg.write_latency_ns,
                                        cfg.read_bandwidth_mbps, cfg.write_bandwidth_mbps},
                                       4096);
        auto t = std::make_unique<ftl::KvTiming>(std::move(media), cfg.kv.index_latency_ns);
        kv_timing = t.get();
        ftl = std::move(t);
        kv_iterators = {};
        kv_buffer.reserve(cfg.kv.max_value_bytes);
    } else {
        ftl = ftl::make_simple_ftl({cfg.read_latency_ns, cfg.write_latency_ns,
                                    cfg.read_bandwidth_mbps, cfg.write_bandwidth_mbps},
                                   4096);
    }
    ftl->set_observer(host_ ? &tracer_ : nullptr);
    if (cfg.state_bytes) {
        open_drive_state();  // after the zones or keys: their errors come first
    }
}

void Namespace::set_host(const Host *host)
{
    host_ = host;
    tracer_.set_host(host);
    ftl->set_observer(host_ ? &tracer_ : nullptr);
}

void Namespace::discard()
{
    if (cfg.metadata_bytes) {
        // The commit records first: the kind's (zns: the zone format header,
        // the metadata's last page; kv: the key store's header, the page
        // after the drive state area), then the drive state header (that
        // area's last page); then the rest. A kill in the middle leaves each
        // area whole or unformatted, which the next start formats (no zone
        // records zeroed under a valid header: offline zones; no key records
        // under one: keys silently lost; no slots under one: refused).
        uint8_t *const meta = backing + cfg.metadata_offset;
        constexpr uint64_t kPage = 4096;
        if (cfg.kind == SsdKind::Zns) {
            zero_written(meta + cfg.metadata_bytes - kPage, kPage);
        } else if (cfg.kind == SsdKind::Kv) {
            zero_written(meta + cfg.state_bytes, kPage);
        }
        if (cfg.state_bytes) {
            zero_written(meta + cfg.state_bytes - kPage, kPage);
        }
        zero_written(meta, cfg.metadata_bytes);
    }
    zero_written(backing, slot_bytes_);
    uncorrectable = UncorrectableRanges();
    changed_zones.clear();
    changed_overflow = false;
    kv_timing = nullptr;
    kv.reset();
    ftl.reset();
    // The slot's capacity first: the fresh drive state header records it.
    cfg.capacity_bytes = slot_bytes_;
    build_ftl();
    allocated = false;
    attached = false;
    checkpoint(clock());
}

int64_t Namespace::clock() const
{
    return host_ ? host_->now_ns() : 0;
}

void Namespace::open_drive_state()
{
    std::vector<uint8_t> payload;
    if (std::string err = state_.open(cfg, backing + cfg.metadata_offset, payload); !err.empty()) {
        throw std::invalid_argument(err);
    }
    uncorrectable.set_limit(persisted_mark_ranges(cfg.kind));
    const int64_t now = clock();
    restored_ = !state_.fresh();
    saved_ = Saved{};
    if (restored_) {
        load_drive_state(payload, now);
        saved_ = current();
    } else {
        checkpoint(now);  // a formatted area always holds a valid slot
    }
}

void Namespace::load_drive_state(const std::vector<uint8_t> &payload, int64_t now)
{
    ftl::StateReader r(payload.data(), payload.size(), now);
    uint8_t alloc = 0, attach = 0;
    uint32_t lba_size = 0;
    uint64_t capacity = 0;
    r.get(alloc);
    r.get(attach);
    r.get(lba_size);
    r.get(capacity);
    std::string err;
    // zns and kv keep the LBA size they were configured with (their Format
    // refuses another); nvm and conv may have been formatted to the other.
    const bool fixed_lba = cfg.kind == SsdKind::Zns || cfg.kind == SsdKind::Kv;
    if (!r.ok() || (lba_size != 512 && lba_size != 4096) || capacity > slot_bytes_ ||
        capacity % lba_size || (fixed_lba && lba_size != cfg.lba_size)) {
        err = "its namespace state does not fit the capacity";
    } else if (!uncorrectable.load(r, capacity / lba_size)) {
        err = "its Write Uncorrectable marks do not fit the capacity";
    } else {
        err = ftl->load_state(r);
    }
    if (!err.empty()) {
        throw std::invalid_argument("property 'memdev': " + backing_store_name(cfg) +
                                    " holds a drive state checkpoint (generation " +
                                    std::to_string(state_.generation()) +
                                    ") that does not load: " + err +
                                    "; set reinit-metadata=on to format the drive state afresh");
    }
    allocated = alloc != 0;
    attached = attach != 0;
    cfg.lba_size = lba_size;
    cfg.capacity_bytes = capacity;
}

Namespace::Saved Namespace::current() const
{
    return {ftl->changes(), uncorrectable.changes(), cfg.capacity_bytes, cfg.lba_size, allocated,
            attached};
}

bool Namespace::checkpoint(int64_t now)
{
    if (!state_.bound() || current() == saved_) {
        return false;
    }
    payload_.clear();
    ftl::StateWriter w(payload_, now);
    w.put(static_cast<uint8_t>(allocated));
    w.put(static_cast<uint8_t>(attached));
    w.put(cfg.lba_size);
    w.put(cfg.capacity_bytes);
    uncorrectable.save(w);
    ftl->save_state(w);
    state_.save(payload_);
    saved_ = current();
    return true;
}

}  // namespace nvmev
