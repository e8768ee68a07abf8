// The admin queue as a driver uses it at start-up: enable the controller,
// then one command at a time, run to completion in device time.
#pragma once

#include <cstdint>
#include <memory>

#include "sim_host.h"

namespace nvmev::sim {

class AdminQueue {
public:
    AdminQueue(SimHost &host, NvmevCore *core) : host_(host), core_(core) {}

    // AQA/ASQ/ACQ (32 entries at asq and acq), then CC.EN; true once
    // CSTS.RDY is set.
    bool enable(uint64_t asq, uint64_t acq);
    // Submits `sqe`, runs the core (and its timer) until it completes;
    // returns the status field, 0xffff if it never did.
    uint16_t call(Sqe sqe);

private:
    SimHost &host_;
    NvmevCore *core_;
    std::unique_ptr<QueuePair> queue_;
    uint16_t cid_ = 0;
};

}  // namespace nvmev::sim
