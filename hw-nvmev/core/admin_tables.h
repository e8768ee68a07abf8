// The tables behind Identify (by CNS), Get Log Page (by log identifier) and
// Get/Set Features (by feature identifier). Each entry names a small
// Controller member that builds its data, plus what the common code checks
// before calling it; the Supported Log Pages log, the Commands Supported and
// Effects log and the features' supported capabilities are derived from
// these tables, so they cannot drift from what the controller serves.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "controller.h"

namespace nvmev {

// When the controller offers an Identify CNS, a log page or a feature (a
// command set is offered when some allocated namespace uses it).
enum class Offer : uint8_t {
    kAlways,
    kMultiNamespace,      // nvmev-ns namespaces: Namespace Management offered
    kMultiNamespaceOrKv,  // the above, or a Key Value namespace
    kMultiController,     // nvmev-ns namespaces, or an NVM subsystem's controller
    kZoned,               // a zoned namespace (ZNS 1.1)
    kVendorKv,            // a namespace with NVMeVirt's KV opcodes
};

// What an Identify CNS requires of CDW1.NSID (NVMe 2.0c 5.17.1).
enum class NsidRule : uint8_t {
    kIgnored,
    kValid,      // 1..NN: an inactive NSID reads as zeros (5.17.1)
    kActive,     // an active namespace
    kListStart,  // the NSID a list starts after: below FFFFFFFEh
};

// What a log page requires of CDW1.NSID (5.16.1: LPA bit 0 clear, so the
// SMART log is controller-wide and any active NSID reads the same).
enum class LogScope : uint8_t {
    kController,             // NSID not examined
    kControllerOrNamespace,  // 0, FFFFFFFFh or an active namespace
    kNamespace,              // an active namespace
};

// Get Features SEL 011b capabilities (Figure 329) a table entry states;
// changeable (bit 2) follows from the entry having a way to Set it.
constexpr uint8_t kFeatureSaveable = 1u << 0;
constexpr uint8_t kFeatureNamespaceSpecific = 1u << 1;
constexpr uint32_t kFeatureChangeable = 1u << 2;

constexpr uint8_t csi_bit(uint8_t csi)
{
    return static_cast<uint8_t>(1u << csi);
}

struct AdminTables {
    using C = Controller;

    // Identify: one entry per CNS. The common code checks `offer`, the CSI,
    // the NSID and then lets `fill` write the 4 KiB structure (zeroed
    // before) or refuse with a status.
    struct Identify {
        uint8_t id;  // CNS
        Offer offer;
        // Command sets (csi_bit) this CNS answers for even without a
        // namespace of that set; others are accepted when the controller
        // offers them. 0: CDW11.CSI is not examined.
        uint8_t csi_always;
        NsidRule nsid;
        Status (C::*fill)(const Sqe &sqe, uint8_t *buf) const;
    };

    // Get Log Page: one entry per log identifier.
    struct LogPage {
        uint8_t id;  // LID
        Offer offer;
        int csi;        // the command set the log belongs to; kAnyCsi: every one
        bool per_csi;   // CDW14.CSI selects the content: an offered command set
        bool consumed;  // read with RAE clear, what was reported is cleared
        LogScope scope;
        Status (C::*fill)(const Sqe &sqe, bool consume, std::vector<uint8_t> &page);
    };
    static constexpr int kAnyCsi = -1;

    // Get/Set Features: one entry per feature identifier.
    struct Feature {
        uint8_t id;  // FID
        Offer offer;
        uint8_t caps;   // kFeatureSaveable, kFeatureNamespaceSpecific
        uint32_t dflt;  // the default (SEL 001b) unless get_default is set
        // A feature kept as one dword: Get reads it, and Set, unless `set`
        // is given, stores CDW11 & mask in it. nullptr: the functions do.
        uint32_t C::*value;
        uint32_t mask;
        // Checks the CDW11 fields that select an instance (a sensor, a
        // vector) for every SEL and for Set; nullptr: none.
        Status (C::*check)(const Sqe &sqe) const;
        // The current value (dw0) or data; nullptr: `value`, or always the
        // default.
        Status (C::*get)(const Sqe &sqe, uint32_t &dw0);
        // The default when it is not a constant (or is data); nullptr: dflt.
        Status (C::*get_default)(const Sqe &sqe, uint32_t &dw0);
        // Set Features; nullptr: store in `value`, or not changeable
        // (Invalid Field).
        Status (C::*set)(const Sqe &sqe, uint32_t &dw0);
    };

    // Commands Supported and Effects (5.16.1.6): one command set's I/O
    // commands as the log for `csi` shows them, when `offer` holds.
    struct OpcodeEffects {
        uint8_t opcode;
        uint32_t effects;  // beyond CSUPP: NVME_CMD_EFFECTS_*
    };
    struct EffectsView {
        uint8_t csi;
        Offer offer;
        bool (*supports)(uint8_t opcode);  // the command set executes it
        std::span<const OpcodeEffects> io_effects;
        std::span<const uint8_t> not_in_set;  // dispatched, but another set's
        bool logical_blocks;                  // admin effects keep LBCC (a KV set has none)
        bool vendor_registry;                 // the vendor registry's opcodes dispatch here
    };

    // Whether the controller offers `o`, or the command set `csi` (some
    // allocated namespace uses it; NVM always).
    static bool offers(const Controller &c, Offer o);
    static bool offers_csi(const Controller &c, uint8_t csi);

    static std::span<const Identify> identify();
    // The CNS's CSI and NSID rules (admin_identify.cc).
    static bool identify_csi_ok(const Controller &c, const Identify &e, uint8_t csi);
    static Status identify_nsid_ok(const Controller &c, NsidRule rule, uint32_t nsid);
    static std::span<const LogPage> log_pages();
    // Listed in the Supported Log Pages log for csi, and readable with it.
    static bool log_listed(const Controller &c, const LogPage &e, uint8_t csi);
    static Status log_page_ok(const Controller &c, const LogPage *e, const Sqe &sqe);
    static std::span<const Feature> features();
    // SEL 011b capabilities of f (admin_features.cc).
    static uint32_t feature_capabilities(const Feature &f);
    // The offered feature CDW10.FID names, its selector fields checked;
    // nullptr and st set otherwise.
    static const Feature *feature_for(const Controller &c, const Sqe &sqe, Status &st);
    static std::span<const OpcodeEffects> admin_effects();
    static std::span<const EffectsView> effects_views();
    // ORs what view v reports (admin and I/O commands) into log.
    static void add_effects(struct nvme_cmd_effects_log &log, const EffectsView &v);
};

// Get Log Page CDW14.CSI (bits 31:24).
constexpr uint8_t log_csi(const Sqe &sqe)
{
    return static_cast<uint8_t>(sqe.cdw14 >> 24);
}

// The entry with `id`, or nullptr.
template <typename Entry>
const Entry *find_entry(std::span<const Entry> table, uint8_t id)
{
    for (const Entry &e : table) {
        if (e.id == id) {
            return &e;
        }
    }
    return nullptr;
}

// For static_assert: no two entries share an id.
template <typename Entry, size_t N>
constexpr bool unique_ids(const Entry (&table)[N])
{
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < i; j++) {
            if (table[i].id == table[j].id) {
                return false;
            }
        }
    }
    return true;
}

}  // namespace nvmev
