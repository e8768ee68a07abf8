// The one declarative table of namespace parameters: the properties both
// devices (nvmev, nvmev-ns) share. Validation, the adapter's QOM properties,
// query-nvmev's parameter list, nvmev-set-timing and the tables in
// docs/properties.md are all derived from it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "nvmev_core.h"

namespace nvmev {

struct NamespaceConfig;
enum class SsdKind;

// Where a namespace's parameters apply: its kind, and for ssd=kv its
// backend (simple or parallel timing).
enum ScopeBit : unsigned {
    kScopeNvm = 1,
    kScopeConv = 2,
    kScopeZns = 4,
    kScopeKvSimple = 8,
    kScopeKvParallel = 16,
    kScopeKv = kScopeKvSimple | kScopeKvParallel,
    kScopeAll = 31,
};

// A family of parameters with the same kinds, and how an error names them
// when given to another kind ("property 'x' applies to ...").
struct Scope {
    unsigned kinds;
    const char *label;          // help text prefix: "ssd=zns: "
    const char *where;          // after "applies to "
    const char *where_from_kv;  // given to ssd=kv with the other backend (NULL: where)
    const char *why_not_zns;    // appended when given to ssd=zns (NULL: none)
};

// Every parameter, in table order. The by-name parameters (those without
// their own NvmevConfig field) start at kFirstByName; their order is
// nvmev_core_param_info()'s.
enum class P : uint8_t {
    Ssd,
    Preset,
    LbaSize,
    ReadLatency,
    WriteLatency,
    ReadBandwidth,
    WriteBandwidth,
    CellType,
    GcPolicy,
    EarlyCompletion,
    KvBackend,
    KvVendorOpcodes,
    // NAND geometry and FTL
    Channels,
    LunsPerChannel,
    PlanesPerLun,
    BlocksPerPlane,
    PagesPerBlock,
    FlashPageSize,
    ProgramUnitSize,
    ChannelChunkSize,
    OpPercent,
    Partitions,
    WriteBufferSize,
    GcThresholdFg,
    GcThresholdBg,
    EraseCycles,
    // NAND timing: the model's fields (ftl/nand_timing_fields.cc), in order
    TimingFirst,
    TimingLast = TimingFirst + 15,
    // ssd=zns
    ZoneSize,
    ZoneCapacity,
    ZoneDies,
    MaxOpenZones,
    MaxActiveZones,
    ZrwaSize,
    ZrwaFlushGranularity,
    ZrwaZones,
    ZoneWriteBufferSize,
    ZoneExtensionSize,
    ZoneAppendSizeLimit,
    // ssd=kv
    KvMaxKeys,
    KvMaxValueSize,
    KvIndexLatency,
    // ssd=conv persistence (docs/persistence.md)
    CheckpointInterval,
    ReinitMetadata,
    DieBusyDuringTransfer,
    Count,
};
constexpr size_t kParamCount = static_cast<size_t>(P::Count);
constexpr size_t kFirstByName = static_cast<size_t>(P::Channels);

enum class ParamType { Integer, Size, Bool, Enum, OnOffAuto, String };

// How an integer's value is checked before the kind's own cross-checks.
enum class Check {
    Range,        // min..max: "is out of range (allowed: ...)"
    Choice,       // one of `allowed`: "is not supported (allowed: ...)"
    NonNegative,  // "is negative"
    Positive,     // "is negative", 0: "must be positive (unit)"
    Later,        // only its kind's resolution can tell (it depends on others)
};

// The docs table a parameter is listed in.
enum class Group { General, Nand, Timing, Zone, Kv };

struct ParamSpec {
    P id;
    const char *name;
    ParamType type;
    const Scope *scope;
    Group group;
    Check check;
    int64_t min, max;     // Check::Range
    const char *allowed;  // Enum and Check::Choice: "a, b"; else a note for docs (may be NULL)
    const char *noun;     // Enum: "unknown <noun> 'x'"; Positive: the unit
    const char *help;
    bool retunable;  // nvmev-set-timing changes it at run time
    bool reported;   // listed in query-nvmev's parameters
    // The effective value in a resolved namespace (Enum: index in
    // `allowed`; Bool, OnOffAuto: 1 on, 0 off); NULL: not reported.
    int64_t (*effective)(const NamespaceConfig &);
};

// The table, indexed by P.
std::span<const ParamSpec> param_registry();
const ParamSpec &spec(P id);
const ParamSpec *find_spec(const std::string &name);

// A parameter's value in a resolved namespace (the timing as configured,
// not retuned); nullopt for those without one (preset).
std::optional<int64_t> effective_value(const ParamSpec &s, const NamespaceConfig &cfg);

// The scope bit of a namespace of `kind` (ssd=kv: with kv_parallel).
unsigned scope_bit(SsdKind kind, bool kv_parallel);
bool applies(const ParamSpec &s, unsigned scope);
// "property 'x' applies to ..." for a parameter given where it does not.
std::string not_applicable_error(const ParamSpec &s, unsigned scope, const char *kind_name);
// The allowed values as docs and help name them ("1..64", "slc, mlc").
std::string allowed_text(const ParamSpec &s);

// What the device was given: each parameter set or not (unset = the
// preset's or a derived value).
struct ParamValue {
    bool set = false;
    int64_t num = 0;   // Integer, Size, Bool; Enum and OnOffAuto: index in the allowed names
    std::string text;  // String and Enum: as given
};
struct ParamValues {
    std::array<ParamValue, kParamCount> v;

    bool given(P id) const { return v[static_cast<size_t>(id)].set; }
    int64_t num(P id, int64_t unset) const
    {
        return given(id) ? v[static_cast<size_t>(id)].num : unset;
    }
    const std::string &text(P id) const { return v[static_cast<size_t>(id)].text; }
};

// Collects NvmevConfig's fields and its by-name params; a by-name value
// overrides the field. Rejects unknown names and values of the wrong type.
bool gather_values(const NvmevConfig &cfg, ParamValues &out, std::string &error);
// Every given parameter must apply to `scope` (the first that does not is
// named), then pass its own check (the first bad value is named). Sets the
// index of each given Enum.
bool check_values(ParamValues &values, unsigned scope, const char *kind_name, std::string &error);

// The C ABI's view (nvmev_core_property_info / nvmev_core_param_info).
std::span<const NvmevParamInfo> param_infos();

}  // namespace nvmev
