// The idle time after a simulation's jobs, before a --memdev-file drive is
// saved: reads spaced in device time until background GC settles.
#pragma once

#include <cstdint>
#include <string>

#include "drive_loop.h"
#include "engine.h"
#include "sim_host.h"

namespace nvmev::sim {

// The drive left idle after the jobs, before it is saved. An ssd=conv
// partition collects a line in the background only when a command reaches
// the FTL while its dies are idle and it has at most gc-bg-free-lines free
// lines; its write buffer drains over time. So every 10 s of device time
// one read arrives, at consecutive 4 KiB pages (striped over the
// partitions: a read leaves every other partition's dies idle), until
// `partitions + 1` reads in a row found nothing to collect. The state saved
// is then one that time and reads no longer change: a guest booted on the
// file sees in its first query-nvmev exactly the figures reported.
bool settle(SimHost &host, NvmevCore *core, Clone &k, uint32_t lba_shift, uint64_t capacity,
            SimResult &out, std::string &err);

}  // namespace nvmev::sim
