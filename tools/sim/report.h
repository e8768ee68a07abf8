// The run's results: fio's JSON layout plus the device's query-nvmev-like
// JSON, or a short human summary. Only device time appears, so the same
// run prints the same bytes.
#pragma once

#include <string>

#include "engine.h"

namespace nvmev::sim {

std::string json_report(SimResult &r, const std::string &version);
std::string text_report(SimResult &r);

}  // namespace nvmev::sim
