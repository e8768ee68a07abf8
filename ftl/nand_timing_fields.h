// The NAND, channel, PCIe and firmware timings of the parallel model by
// property name: what the device properties of ssd=conv and ssd=zns set and
// nvmev-set-timing retunes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../timing/parallel_model.h"
#include "ftl.h"

namespace nvmev::ftl {

struct NandTimingField {
    const char *name;
    int64_t min;  // smallest allowed value
    int64_t max;  // largest: kMaxTimingNs for a time, INT64_MAX for a bandwidth
    int64_t &(*ref)(timing::NandTiming &);
    const char *description;
};
const std::vector<NandTimingField> &nand_timing_fields();
const NandTimingField *find_nand_timing_field(const std::string &name);

// Every timing parameter and its value.
std::vector<Param> nand_timing_params(timing::NandTiming t);
// "" or an error naming the parameter (and, if unknown, the allowed names).
std::string check_nand_retune(const std::vector<Param> &changes, const char *kind);
// t with checked changes applied.
timing::NandTiming retuned(timing::NandTiming t, const std::vector<Param> &changes);

}  // namespace nvmev::ftl
