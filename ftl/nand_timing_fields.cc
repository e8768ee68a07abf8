// The NAND timing parameters of the parallel model (ssd=conv, ssd=zns) by
// property name: the table, and reading, checking and applying a retune.
#include "nand_timing_fields.h"

namespace nvmev::ftl {

const std::vector<NandTimingField> &nand_timing_fields()
{
    using T = timing::NandTiming;
    static const std::vector<NandTimingField> fields = {
        {"nand-read-4k-lsb-ns", 0, kMaxTimingNs,
         [](T &t) -> int64_t & { return t.read_4k_ns[timing::kLsb]; },
         "ssd=conv, zns: NAND tR of a read of up to 4 KiB from an LSB page"},
        {"nand-read-4k-csb-ns", 0, kMaxTimingNs,
         [](T &t) -> int64_t & { return t.read_4k_ns[timing::kCsb]; },
         "ssd=conv, zns: NAND tR of a read of up to 4 KiB from a CSB page (TLC, QLC)"},
        {"nand-read-4k-msb-ns", 0, kMaxTimingNs,
         [](T &t) -> int64_t & { return t.read_4k_ns[timing::kMsb]; },
         "ssd=conv, zns: NAND tR of a read of up to 4 KiB from an MSB page"},
        {"nand-read-4k-tsb-ns", 0, kMaxTimingNs,
         [](T &t) -> int64_t & { return t.read_4k_ns[timing::kTsb]; },
         "ssd=conv, zns: NAND tR of a read of up to 4 KiB from a TSB page (QLC)"},
        {"nand-read-lsb-ns", 0, kMaxTimingNs,
         [](T &t) -> int64_t & { return t.read_page_ns[timing::kLsb]; },
         "ssd=conv, zns: NAND tR of a larger read from an LSB page"},
        {"nand-read-csb-ns", 0, kMaxTimingNs,
         [](T &t) -> int64_t & { return t.read_page_ns[timing::kCsb]; },
         "ssd=conv, zns: NAND tR of a larger read from a CSB page"},
        {"nand-read-msb-ns", 0, kMaxTimingNs,
         [](T &t) -> int64_t & { return t.read_page_ns[timing::kMsb]; },
         "ssd=conv, zns: NAND tR of a larger read from an MSB page"},
        {"nand-read-tsb-ns", 0, kMaxTimingNs,
         [](T &t) -> int64_t & { return t.read_page_ns[timing::kTsb]; },
         "ssd=conv, zns: NAND tR of a larger read from a TSB page"},
        {"nand-program-ns", 0, kMaxTimingNs, [](T &t) -> int64_t & { return t.program_ns; },
         "ssd=conv, zns: NAND tPROG of one (multi-plane, one-shot) program"},
        {"nand-erase-ns", 0, kMaxTimingNs, [](T &t) -> int64_t & { return t.erase_ns; },
         "ssd=conv, zns: NAND tBERS of a (multi-plane) block erase"},
        {"channel-mbps", 1, INT64_MAX, [](T &t) -> int64_t & { return t.channel_mbps; },
         "ssd=conv, zns: NAND channel bandwidth in MB/s (10^6 B/s; NVMeVirt's MB is 2^20 B)"},
        {"pcie-mbps", 1, INT64_MAX, [](T &t) -> int64_t & { return t.pcie_mbps; },
         "ssd=conv, zns: PCIe link bandwidth per direction in MB/s (10^6 B/s)"},
        {"fw-read-4k-ns", 0, kMaxTimingNs, [](T &t) -> int64_t & { return t.fw_read_4k_ns; },
         "ssd=conv, zns: controller firmware time of a read of up to 4 KiB"},
        {"fw-read-ns", 0, kMaxTimingNs, [](T &t) -> int64_t & { return t.fw_read_ns; },
         "ssd=conv, zns: controller firmware time of a larger read"},
        {"fw-write-ns", 0, kMaxTimingNs, [](T &t) -> int64_t & { return t.fw_write_ns; },
         "ssd=conv, zns: firmware time of a write-buffer admission: fixed part"},
        {"fw-write-4k-ns", 0, kMaxTimingNs, [](T &t) -> int64_t & { return t.fw_write_4k_ns; },
         "ssd=conv, zns: firmware time of a write-buffer admission: per 4 KiB"},
    };
    return fields;
}

const NandTimingField *find_nand_timing_field(const std::string &name)
{
    for (const auto &f : nand_timing_fields()) {
        if (name == f.name) {
            return &f;
        }
    }
    return nullptr;
}

std::vector<Param> nand_timing_params(timing::NandTiming t)
{
    std::vector<Param> out;
    for (const auto &f : nand_timing_fields()) {
        out.push_back({f.name, f.ref(t)});
    }
    return out;
}

std::string check_nand_retune(const std::vector<Param> &changes, const char *kind)
{
    for (const auto &c : changes) {
        const NandTimingField *f = find_nand_timing_field(c.name);
        if (!f) {
            std::string names;
            for (const auto &g : nand_timing_fields()) {
                names += names.empty() ? g.name : std::string(", ") + g.name;
            }
            return "'" + c.name + "' is not a timing parameter of ssd=" + kind +
                   " (allowed: " + names + ")";
        }
        if (c.value < f->min) {
            return "'" + c.name + "' must be at least " + std::to_string(f->min);
        }
        if (c.value > f->max) {
            return "'" + c.name + "' must be at most " + std::to_string(f->max);
        }
    }
    return "";
}

timing::NandTiming retuned(timing::NandTiming t, const std::vector<Param> &changes)
{
    for (const auto &c : changes) {
        find_nand_timing_field(c.name)->ref(t) = c.value;
    }
    return t;
}

}  // namespace nvmev::ftl
