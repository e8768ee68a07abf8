// The parameter table and what is derived from it generically: lookups,
// the kinds a parameter applies to, and the checks of single values.
#include "parameter_registry.h"

#include <cinttypes>
#include <string_view>
#include <vector>

#include "../ftl/nand_timing_fields.h"
#include "config.h"

namespace nvmev {
namespace {

using NC = NamespaceConfig;

constexpr Scope kAll{kScopeAll, "", "", nullptr, nullptr};
// Timed by the simple model: ssd=nvm, and ssd=kv's values by default.
constexpr Scope kSimple{kScopeNvm | kScopeKvSimple, "ssd=nvm, kv (simple): ",
                        "ssd=nvm and to ssd=kv with kv-backend=simple (ssd=%s is timed by its "
                        "NAND, channel, PCIe and firmware properties)",
                        nullptr, nullptr};
// The NAND hardware: everything on the parallel model.
constexpr Scope kNand{kScopeConv | kScopeZns | kScopeKvParallel,
                      "ssd=conv, zns, kv (parallel): ", "ssd=conv and ssd=zns only",
                      "ssd=conv, ssd=zns and ssd=kv with kv-backend=parallel", nullptr};
// The page-mapping FTL's own policies and its block geometry.
constexpr Scope kConvFtl{kScopeConv | kScopeKvParallel,
                         "ssd=conv, kv (parallel): ", "ssd=conv only",
                         "ssd=conv and ssd=kv with kv-backend=parallel",
                         " (ssd=zns derives it from the zone geometry or has no such policy)"};
constexpr Scope kZns{kScopeZns, "ssd=zns: ", "ssd=zns only", nullptr, nullptr};
constexpr Scope kKv{kScopeKv, "ssd=kv: ", "ssd=kv only", nullptr, nullptr};

constexpr int64_t kMax = INT64_MAX;
constexpr int64_t kZoneMaxBytes = int64_t{1} << 44;

int64_t cell_index(const NC &c)
{
    return static_cast<int64_t>(c.conv.geo.cell) - 1;  // CellType::Slc is 1
}

// General, then NAND geometry and FTL (the timing entries follow them).
const ParamSpec kHead[] = {
    {P::Ssd, "ssd", ParamType::String, &kAll, Group::General, Check::Later, 0, 0, nullptr, "kind",
     "device kind", false, false, [](const NC &c) { return static_cast<int64_t>(c.kind); }},
    {P::Preset, "preset", ParamType::String, &kAll, Group::General, Check::Later, 0, 0, nullptr,
     "preset",
     "real-device parameter set (default: the kind's first); explicit properties "
     "override it",
     false, false, nullptr},
    {P::LbaSize, "lba-size", ParamType::Integer, &kAll, Group::General, Check::Choice, 0, 0,
     "512, 4096", nullptr, "logical block size in bytes (default from the preset)", false, false,
     [](const NC &c) { return int64_t{c.lba_size}; }},
    {P::ReadLatency, "read-latency-ns", ParamType::Integer, &kSimple, Group::General, Check::Range,
     0, ftl::kMaxTimingNs, nullptr, nullptr,
     "simple model: latency of an isolated 4 KiB read in ns (default from the preset)", true, true,
     [](const NC &c) { return c.read_latency_ns; }},
    {P::WriteLatency, "write-latency-ns", ParamType::Integer, &kSimple, Group::General,
     Check::Range, 0, ftl::kMaxTimingNs, nullptr, nullptr,
     "simple model: latency of an isolated 4 KiB write in ns (default from the preset)", true, true,
     [](const NC &c) { return c.write_latency_ns; }},
    {P::ReadBandwidth, "read-bandwidth-mbps", ParamType::Integer, &kSimple, Group::General,
     Check::Positive, 1, kMax, nullptr, "MB/s",
     "simple model: read bandwidth in MB/s (10^6 B/s) (default from the preset)", true, true,
     [](const NC &c) { return c.read_bandwidth_mbps; }},
    {P::WriteBandwidth, "write-bandwidth-mbps", ParamType::Integer, &kSimple, Group::General,
     Check::Positive, 1, kMax, nullptr, "MB/s",
     "simple model: write bandwidth in MB/s (10^6 B/s) (default from the preset)", true, true,
     [](const NC &c) { return c.write_bandwidth_mbps; }},
    {P::CellType, "cell-type", ParamType::Enum, &kNand, Group::Nand, Check::Later, 0, 0,
     "slc, mlc, tlc, qlc", "cell type",
     "bits per cell: sets the page classes whose tR a read pays (default from the preset)", false,
     false, cell_index},
    {P::GcPolicy, "gc-policy", ParamType::Enum, &kConvFtl, Group::Nand, Check::Later, 0, 0,
     "greedy, cost-benefit", "policy", "GC victim selection (default greedy)", false, false,
     [](const NC &c) { return static_cast<int64_t>(c.conv.gc_policy); }},
    {P::EarlyCompletion, "early-completion", ParamType::OnOffAuto, &kNand, Group::Nand,
     Check::Later, 0, 0, nullptr, nullptr,
     "complete writes when the write buffer admits them (auto: the preset's choice); FUA writes "
     "always wait",
     false, false, [](const NC &c) { return int64_t{c.conv.early_completion}; }},
    {P::KvBackend, "kv-backend", ParamType::Enum, &kKv, Group::Kv, Check::Later, 0, 0,
     "simple, parallel", "backend",
     "what times the values' media: simple (the latency and bandwidth properties) or parallel "
     "(the NAND model) (default simple)",
     false, false, [](const NC &c) { return int64_t{c.kv.parallel}; }},
    {P::KvVendorOpcodes, "kv-vendor-opcodes", ParamType::Bool, &kKv, Group::Kv, Check::Later, 0, 0,
     nullptr, nullptr,
     "NVMeVirt's KV opcodes on an NVM-looking namespace instead of the NVMe Key Value command "
     "set (default off)",
     false, false, [](const NC &c) { return int64_t{c.kv.vendor_opcodes}; }},
    {P::Channels, "channels", ParamType::Integer, &kNand, Group::Nand, Check::Range, 1, 64, nullptr,
     nullptr, "NAND channels", false, true,
     [](const NC &c) { return int64_t{c.conv.geo.channels}; }},
    {P::LunsPerChannel, "luns-per-channel", ParamType::Integer, &kNand, Group::Nand, Check::Range,
     1, 64, nullptr, nullptr, "dies (LUNs) per channel", false, true,
     [](const NC &c) { return int64_t{c.conv.geo.luns_per_channel}; }},
    {P::PlanesPerLun, "planes-per-lun", ParamType::Integer, &kNand, Group::Nand, Check::Range, 1,
     16, nullptr, nullptr, "planes per die", false, true,
     [](const NC &c) { return int64_t{c.conv.geo.planes_per_lun}; }},
    {P::BlocksPerPlane, "blocks-per-plane", ParamType::Integer, &kConvFtl, Group::Nand,
     Check::Range, 0, 1 << 24, "0..16777216; 0 = derived", nullptr,
     "blocks per plane; 0 = as many as the capacity plus op-percent need", false, true,
     [](const NC &c) { return int64_t{c.conv.geo.blocks_per_plane}; }},
    {P::PagesPerBlock, "pages-per-block", ParamType::Integer, &kConvFtl, Group::Nand, Check::Range,
     1, 1 << 16, "1..65536, a multiple of program-unit-size / flash-page-size", nullptr,
     "flash pages per block, a multiple of the pages one program covers", false, true,
     [](const NC &c) { return int64_t{c.conv.geo.pages_per_block}; }},
    {P::FlashPageSize, "flash-page-size", ParamType::Size, &kNand, Group::Nand, Check::Range, 4096,
     1 << 20, "4096..1M, a multiple of 4096", nullptr,
     "flash page (sensing unit) in bytes, a multiple of 4 KiB", false, true,
     [](const NC &c) { return int64_t{c.conv.geo.flash_page_bytes}; }},
    {P::ProgramUnitSize, "program-unit-size", ParamType::Size, &kNand, Group::Nand, Check::Range,
     4096, 1 << 22, "4096..4M, a multiple of flash-page-size", nullptr,
     "one-shot program unit per plane in bytes, a multiple of flash-page-size", false, true,
     [](const NC &c) { return int64_t{c.conv.geo.program_unit_bytes}; }},
    {P::ChannelChunkSize, "channel-chunk-size", ParamType::Size, &kNand, Group::Nand, Check::Range,
     512, 1 << 22, nullptr, nullptr,
     "channel transfer unit in bytes (NAND and bus overlap per chunk)", false, true,
     [](const NC &c) { return int64_t{c.conv.timing.channel_chunk_bytes}; }},
    {P::OpPercent, "op-percent", ParamType::Integer, &kConvFtl, Group::Nand, Check::Range, 1, 100,
     nullptr, nullptr, "over-provisioning in percent of the capacity", false, true,
     [](const NC &c) { return int64_t{c.conv.op_percent}; }},
    {P::Partitions, "partitions", ParamType::Integer, &kConvFtl, Group::Nand, Check::Range, 1, 4096,
     "1..4096, divides channels x luns-per-channel", nullptr,
     "independent FTL partitions (LPN striped); divides the dies", false, true,
     [](const NC &c) { return int64_t{c.conv.partitions}; }},
    {P::WriteBufferSize, "write-buffer-size", ParamType::Size, &kNand, Group::Nand, Check::Range,
     4096, int64_t{1} << 40, "4096..1T, at least partitions x planes-per-lun x program-unit-size",
     nullptr, "write buffer in bytes (zns: the global one; 0 there: per-zone buffers)", false, true,
     [](const NC &c) { return static_cast<int64_t>(c.conv.write_buffer_bytes); }},
    {P::GcThresholdFg, "gc-threshold-fg", ParamType::Integer, &kConvFtl, Group::Nand, Check::Range,
     2, 1 << 20, nullptr, nullptr,
     "foreground GC when a partition has this many free lines or fewer", false, true,
     [](const NC &c) { return int64_t{c.conv.gc_fg_free_lines}; }},
    {P::GcThresholdBg, "gc-threshold-bg", ParamType::Integer, &kConvFtl, Group::Nand, Check::Range,
     2, 1 << 20, "2..1048576, >= gc-threshold-fg", nullptr,
     "background GC (in idle time) at this many free lines or fewer", false, true,
     [](const NC &c) { return int64_t{c.conv.gc_bg_free_lines}; }},
    {P::EraseCycles, "erase-cycles", ParamType::Integer, &kNand, Group::Nand, Check::Range, 1,
     10000000, nullptr, nullptr, "rated program/erase cycles (SMART Percentage Used)", false, true,
     [](const NC &c) { return int64_t{c.conv.rated_erase_cycles}; }},
};

int64_t zone_lbas_bytes(uint64_t lbas, const NC &c)
{
    return static_cast<int64_t>(lbas * c.lba_size);
}

// ssd=zns, then ssd=kv.
const ParamSpec kTail[] = {
    {P::ZoneSize, "zone-size", ParamType::Size, &kZns, Group::Zone, Check::Range, 4096,
     kZoneMaxBytes, "a multiple of lba-size that divides size", nullptr,
     "zone size in bytes; divides the capacity", false, true,
     [](const NC &c) { return zone_lbas_bytes(c.zns.zones.zone_lbas, c); }},
    {P::ZoneCapacity, "zone-capacity", ParamType::Size, &kZns, Group::Zone, Check::Range, 512,
     kZoneMaxBytes, "a multiple of lba-size, <= zone-size", nullptr,
     "writable bytes per zone (default: zone-size)", false, true,
     [](const NC &c) { return zone_lbas_bytes(c.zns.zones.zone_cap_lbas, c); }},
    {P::ZoneDies, "zone-dies", ParamType::Integer, &kZns, Group::Zone, Check::Range, 1, 4096,
     "1..4096, divides channels x luns-per-channel", nullptr, "dies a zone is striped over", false,
     true, [](const NC &c) { return int64_t{c.zns.media.dies_per_zone}; }},
    {P::MaxOpenZones, "max-open-zones", ParamType::Integer, &kZns, Group::Zone, Check::Range, 0,
     UINT32_MAX, "0 (no limit) .. the zone count; <= max-active-zones", nullptr,
     "open zone limit (0: no limit)", false, true,
     [](const NC &c) { return int64_t{c.zns.zones.max_open}; }},
    {P::MaxActiveZones, "max-active-zones", ParamType::Integer, &kZns, Group::Zone, Check::Range, 0,
     UINT32_MAX, "0 (no limit) .. the zone count", nullptr, "active zone limit (0: no limit)",
     false, true, [](const NC &c) { return int64_t{c.zns.zones.max_active}; }},
    {P::ZrwaSize, "zrwa-size", ParamType::Size, &kZns, Group::Zone, Check::Range, 512,
     kZoneMaxBytes, "a multiple of lba-size, <= zone-capacity, at most 65535 LBAs", nullptr,
     "zone random write area in bytes (default: no ZRWA)", false, true,
     [](const NC &c) { return zone_lbas_bytes(c.zns.zones.zrwa_lbas, c); }},
    {P::ZrwaFlushGranularity, "zrwa-flush-granularity", ParamType::Size, &kZns, Group::Zone,
     Check::Range, 512, kZoneMaxBytes, "a multiple of lba-size that divides zrwa-size", nullptr,
     "ZRWA flush granularity in bytes (default: one LBA)", false, true,
     [](const NC &c) { return zone_lbas_bytes(c.zns.zones.zrwa_fg_lbas, c); }},
    {P::ZrwaZones, "zrwa-zones", ParamType::Integer, &kZns, Group::Zone, Check::Range, 1,
     UINT32_MAX, "1..the zone count, <= max-active-zones", nullptr,
     "zones that may hold a ZRWA at once (default: max-active-zones)", false, true,
     [](const NC &c) { return int64_t{c.zns.zones.zrwa_resources}; }},
    {P::ZoneWriteBufferSize, "zone-write-buffer-size", ParamType::Size, &kZns, Group::Zone,
     Check::Range, 4096, kZoneMaxBytes, ">= planes-per-lun x program-unit-size", nullptr,
     "write buffer per zone in bytes; unset with write-buffer-size given: one global buffer", false,
     true, [](const NC &c) { return static_cast<int64_t>(c.zns.media.zone_write_buffer_bytes); }},
    {P::ZoneExtensionSize, "zone-extension-size", ParamType::Size, &kZns, Group::Zone, Check::Range,
     64, 16320, "a multiple of 64 up to 16320", nullptr,
     "zone descriptor extension in bytes (default: none)", false, true,
     [](const NC &c) { return int64_t{c.zns.extension_bytes}; }},
    {P::ZoneAppendSizeLimit, "zone-append-size-limit", ParamType::Size, &kZns, Group::Zone,
     Check::Range, 4096, kZoneMaxBytes, "4K x a power of two, within mdts", nullptr,
     "largest Zone Append in bytes (default: mdts)", false, true,
     [](const NC &c) { return static_cast<int64_t>(c.zasl_bytes); }},
    {P::KvMaxKeys, "kv-max-keys", ParamType::Integer, &kKv, Group::Kv, Check::Range, 1,
     int64_t{1} << 26, nullptr, nullptr,
     "most keys the namespace holds (default: one per 4 KiB of capacity)", false, true,
     [](const NC &c) { return int64_t{c.kv.max_keys}; }},
    {P::KvMaxValueSize, "kv-max-value-size", ParamType::Size, &kKv, Group::Kv, Check::Later, 1,
     UINT32_MAX, "1..the smaller of the data transfer limit (mdts) and the capacity", nullptr,
     "largest value in bytes (default: the data transfer limit, at most 1 MiB)", false, true,
     [](const NC &c) { return int64_t{c.kv.max_value_bytes}; }},
    {P::KvIndexLatency, "kv-index-latency-ns", ParamType::Integer, &kKv, Group::Kv, Check::Range, 0,
     1'000'000'000, nullptr, nullptr,
     "time of one index lookup or update in the controller (default 2000)", true, true,
     [](const NC &c) { return c.kv.index_latency_ns; }},
    {P::CheckpointInterval, "checkpoint-interval-ms", ParamType::Integer, &kAll, Group::General,
     Check::Range, 0, 3'600'000, nullptr, nullptr,
     "with a memdev, most milliseconds of device activity between two checkpoints of the drive "
     "state (marks, namespace state; ssd=conv: FTL map, wear); 0: none but those at shutdown, "
     "reset, Flush, namespace changes and exit (default 5000; docs/persistence.md)",
     false, true, [](const NC &c) { return c.checkpoint_interval_ms; }},
    {P::ReinitMetadata, "reinit-metadata", ParamType::Bool, &kAll, Group::General, Check::Later, 0,
     0, nullptr, nullptr,
     "with a memdev, format the metadata (drive state area; ssd=zns: zones, ssd=kv: key "
     "records) afresh instead of loading it: a new drive over the backend's data (default off)",
     false, false, [](const NC &c) { return int64_t{c.reinit_metadata}; }},
    {P::DieBusyDuringTransfer, "die-busy-during-transfer", ParamType::Bool, &kNand, Group::Nand,
     Check::Later, 0, 0, nullptr, nullptr,
     "a die stays busy while its data crosses the channel (reads until the last chunk is out, "
     "programs from the first chunk in), as NVMeVirt models it; off: only for tR and tPROG, the "
     "data waiting in the cache register (default off; docs/models.md)",
     false, false, [](const NC &c) { return int64_t{c.conv.timing.die_busy_during_transfer}; }},
};

// The model's descriptions start with the kinds; the registry's scope says
// those.
const char *without_kinds(const char *description)
{
    std::string_view d = description;
    const size_t colon = d.find(": ");
    return colon == std::string_view::npos ? description : description + colon + 2;
}

// The timing entries come from the model's own field table, so the model
// and the device agree on their names and minimums.
ParamSpec timing_spec(size_t i, const ftl::NandTimingField &f)
{
    return {static_cast<P>(static_cast<size_t>(P::TimingFirst) + i),
            f.name,
            ParamType::Integer,
            &kNand,
            Group::Timing,
            Check::Range,
            f.min,
            f.max,
            nullptr,
            nullptr,
            without_kinds(f.description),
            true,
            true,
            nullptr};
}

std::vector<ParamSpec> build_registry()
{
    std::vector<ParamSpec> t(std::begin(kHead), std::end(kHead));
    const auto &timing = ftl::nand_timing_fields();
    for (size_t i = 0; i < timing.size(); ++i) {
        t.push_back(timing_spec(i, timing[i]));
    }
    t.insert(t.end(), std::begin(kTail), std::end(kTail));
    return t;
}

// The help text: kinds, meaning, allowed values, and the value that means
// "not given".
std::string help_of(const ParamSpec &s)
{
    std::string h = std::string(s.scope->label) + s.help + "; allowed: " + allowed_text(s);
    if (s.type == ParamType::Integer || s.type == ParamType::Size) {
        h += s.type == ParamType::Size ? " (0: the preset's value)" : " (-1: the preset's value)";
    }
    return h;
}

std::vector<NvmevParamInfo> build_infos()
{
    static std::vector<std::string> helps;
    std::vector<NvmevParamInfo> out;
    for (const ParamSpec &s : param_registry()) {
        helps.push_back(help_of(s));
    }
    for (const ParamSpec &s : param_registry()) {
        out.push_back({s.name, helps[out.size()].c_str(), static_cast<NvmevParamType>(s.type),
                       s.type == ParamType::Size ? 0 : -1, s.retunable ? 1 : 0, s.scope->kinds});
    }
    return out;
}

static_assert(kScopeNvm == NVMEV_KIND_NVM && kScopeConv == NVMEV_KIND_CONV &&
              kScopeZns == NVMEV_KIND_ZNS && kScopeKvSimple == NVMEV_KIND_KV_SIMPLE &&
              kScopeKvParallel == NVMEV_KIND_KV_PARALLEL);
static_assert(static_cast<int>(ParamType::String) == NVMEV_PARAM_STRING);

}  // namespace

std::span<const ParamSpec> param_registry()
{
    static const std::vector<ParamSpec> t = build_registry();
    return t;
}

const ParamSpec &spec(P id)
{
    return param_registry()[static_cast<size_t>(id)];
}

const ParamSpec *find_spec(const std::string &name)
{
    for (const ParamSpec &s : param_registry()) {
        if (name == s.name) {
            return &s;
        }
    }
    return nullptr;
}

std::span<const NvmevParamInfo> param_infos()
{
    static const std::vector<NvmevParamInfo> t = build_infos();
    return t;
}

std::optional<int64_t> effective_value(const ParamSpec &s, const NamespaceConfig &cfg)
{
    if (s.group == Group::Timing) {
        timing::NandTiming t = cfg.conv.timing;
        return ftl::nand_timing_fields()[static_cast<size_t>(s.id) -
                                         static_cast<size_t>(P::TimingFirst)]
            .ref(t);
    }
    if (s.effective) {
        return s.effective(cfg);
    }
    return std::nullopt;
}

unsigned scope_bit(SsdKind kind, bool kv_parallel)
{
    switch (kind) {
        case SsdKind::Nvm: return kScopeNvm;
        case SsdKind::Conv: return kScopeConv;
        case SsdKind::Zns: return kScopeZns;
        case SsdKind::Kv: break;
    }
    return kv_parallel ? kScopeKvParallel : kScopeKvSimple;
}

bool applies(const ParamSpec &s, unsigned scope)
{
    return (s.scope->kinds & scope) != 0;
}

std::string not_applicable_error(const ParamSpec &s, unsigned scope, const char *kind_name)
{
    const Scope &sc = *s.scope;
    const char *where = (scope & kScopeKv) && sc.where_from_kv ? sc.where_from_kv : sc.where;
    const std::string kind =
        std::string(kind_name) + (scope == kScopeKvParallel ? " kv-backend=parallel" : "");
    std::string out = fmt("property '%s' applies to ", s.name) + fmt(where, kind.c_str());
    if (scope == kScopeZns && sc.why_not_zns) {
        out += sc.why_not_zns;
    }
    return out;
}

namespace {

// min..max, or >= min without a maximum.
std::string range_text(const ParamSpec &s)
{
    return s.max == kMax ? fmt(">= %" PRId64, s.min) : fmt("%" PRId64 "..%" PRId64, s.min, s.max);
}

}  // namespace

std::string allowed_text(const ParamSpec &s)
{
    if (s.allowed) {
        return s.allowed;
    }
    switch (s.type) {
        case ParamType::Bool: return "on, off";
        case ParamType::OnOffAuto: return "on, off, auto";
        case ParamType::String: return s.id == P::Ssd ? kind_names() : preset_names();
        default: break;
    }
    if (s.check == Check::NonNegative) {
        return ">= 0";
    }
    if (s.check == Check::Positive) {
        return "> 0";
    }
    return range_text(s);
}

namespace {

// An Enum's names.
std::vector<std::string> names_of(const char *allowed)
{
    std::vector<std::string> out;
    std::string cur;
    for (const char *p = allowed; *p; ++p) {
        if (*p == ',') {
            out.push_back(cur);
            cur.clear();
        } else if (*p != ' ') {
            cur += *p;
        }
    }
    out.push_back(cur);
    return out;
}

bool set_named(const ParamSpec &s, const NvmevPropValue &p, ParamValue &out, std::string &error)
{
    switch (s.type) {
        case ParamType::Integer:
        case ParamType::Size: out = {p.value != -1, p.value, ""}; return true;
        case ParamType::Bool:
            out = {p.value != 0, p.value != 0, ""};  // off is the default
            return true;
        case ParamType::OnOffAuto: {
            const std::string v = p.text ? p.text : "auto";
            if (v != "on" && v != "off" && v != "auto") {
                error = fmt("property '%s': '%s' is not on, off or auto", s.name, v.c_str());
                return false;
            }
            out = {v != "auto", v == "on", ""};
            return true;
        }
        case ParamType::Enum:
        case ParamType::String: out = {p.text != nullptr, 0, p.text ? p.text : ""}; return true;
    }
    return true;
}

void set_text(ParamValues &out, P id, const char *text)
{
    if (text) {
        out.v[static_cast<size_t>(id)] = {true, 0, text};
    }
}

void set_num(ParamValues &out, P id, int64_t value, int64_t unset)
{
    if (value != unset) {
        out.v[static_cast<size_t>(id)] = {true, value, ""};
    }
}

bool check_number(const ParamSpec &s, int64_t v, std::string &error)
{
    switch (s.check) {
        case Check::Range:
            if (v < s.min || v > s.max) {
                error = fmt("property '%s': %" PRId64 " is out of range (allowed: %s)", s.name, v,
                            range_text(s).c_str());
                return false;
            }
            return true;
        case Check::Positive:
            if (v == 0) {
                error = fmt("property '%s' must be positive (%s)", s.name, s.noun);
                return false;
            }
            [[fallthrough]];
        case Check::NonNegative:
        case Check::Choice:
            if (v < 0) {
                error = fmt("property '%s': %" PRId64 " is negative", s.name, v);
                return false;
            }
            if (s.check == Check::Choice) {
                for (const auto &n : names_of(s.allowed)) {
                    if (std::to_string(v) == n) {
                        return true;
                    }
                }
                error = fmt("property '%s': %" PRId64 " is not supported (allowed: %s)", s.name, v,
                            s.allowed);
                return false;
            }
            return true;
        case Check::Later: return true;
    }
    return true;
}

bool check_enum(const ParamSpec &s, ParamValue &v, std::string &error)
{
    const auto names = names_of(s.allowed);
    for (size_t i = 0; i < names.size(); ++i) {
        if (v.text == names[i]) {
            v.num = static_cast<int64_t>(i);
            return true;
        }
    }
    error = fmt("property '%s': unknown %s '%s' (allowed: %s)", s.name, s.noun, v.text.c_str(),
                s.allowed);
    return false;
}

}  // namespace

bool gather_values(const NvmevConfig &cfg, ParamValues &out, std::string &error)
{
    out = {};
    set_text(out, P::Ssd, cfg.ssd);
    set_text(out, P::Preset, cfg.preset);
    set_num(out, P::LbaSize, cfg.lba_size, -1);
    set_num(out, P::ReadLatency, cfg.read_latency_ns, -1);
    set_num(out, P::WriteLatency, cfg.write_latency_ns, -1);
    set_num(out, P::ReadBandwidth, cfg.read_bandwidth_mbps, -1);
    set_num(out, P::WriteBandwidth, cfg.write_bandwidth_mbps, -1);
    set_text(out, P::CellType, cfg.cell_type);
    set_text(out, P::GcPolicy, cfg.gc_policy);
    if (cfg.early_completion == 1 || cfg.early_completion == 2) {
        out.v[static_cast<size_t>(P::EarlyCompletion)] = {true, cfg.early_completion == 1, ""};
    }
    set_text(out, P::KvBackend, cfg.kv_backend);
    set_num(out, P::KvVendorOpcodes, cfg.kv_vendor_opcodes != 0, 0);
    for (size_t i = 0; cfg.params && i < cfg.n_params; ++i) {
        const NvmevPropValue &p = cfg.params[i];
        const ParamSpec *s = p.name ? find_spec(p.name) : nullptr;
        if (!s) {
            error = fmt("unknown property '%s' (allowed: the properties of -device nvmev,help)",
                        p.name ? p.name : "");
            return false;
        }
        if (!set_named(*s, p, out.v[static_cast<size_t>(s->id)], error)) {
            return false;
        }
    }
    return true;
}

bool check_values(ParamValues &values, unsigned scope, const char *kind_name, std::string &error)
{
    for (const ParamSpec &s : param_registry()) {
        if (values.given(s.id) && !applies(s, scope)) {
            error = not_applicable_error(s, scope, kind_name);
            return false;
        }
    }
    for (const ParamSpec &s : param_registry()) {
        ParamValue &v = values.v[static_cast<size_t>(s.id)];
        if (!v.set) {
            continue;
        }
        const bool ok = s.type == ParamType::Enum ? check_enum(s, v, error)
                        : s.type == ParamType::Integer || s.type == ParamType::Size
                            ? check_number(s, v.num, error)
                            : true;
        if (!ok) {
            return false;
        }
    }
    return true;
}

}  // namespace nvmev
