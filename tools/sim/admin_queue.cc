#include "admin_queue.h"

#include <algorithm>

namespace nvmev::sim {
namespace {

constexpr uint32_t kAdminEntries = 32;

}  // namespace

uint16_t AdminQueue::call(Sqe sqe)
{
    Sqe &s = queue_->push();
    sqe.cid = cid_++;
    s = sqe;
    queue_->ring();
    for (int rounds = 0; rounds < 1000; rounds++) {
        nvmev_core_process(core_, 0);
        uint16_t status = 0;
        if (queue_->reap([&](const Cqe &c) { status = c.status >> 1; })) {
            return status;
        }
        if (host_.deadline_ns != INT64_MAX) {
            host_.now_ns = std::max(host_.now_ns, host_.deadline_ns);
            host_.deadline_ns = INT64_MAX;
            nvmev_core_timer(core_, 0);
        }
    }
    return 0xffff;
}

bool AdminQueue::enable(uint64_t asq, uint64_t acq)
{
    nvmev_core_mmio_write(core_, NVME_REG_AQA, (kAdminEntries - 1) | ((kAdminEntries - 1) << 16),
                          4);
    nvmev_core_mmio_write(core_, NVME_REG_ASQ, asq, 8);
    nvmev_core_mmio_write(core_, NVME_REG_ACQ, acq, 8);
    queue_ = std::make_unique<QueuePair>(host_, core_, 0, kAdminEntries, asq, acq);
    // CC.CSS = 6 (all I/O command sets, e.g. zoned) when CAP.CSS offers it.
    const uint64_t cap = nvmev_core_mmio_read(core_, NVME_REG_CAP, 8);
    const uint32_t css = (cap >> 43) & 1 ? 6u << 4 : 0;
    nvmev_core_mmio_write(core_, NVME_REG_CC, 1 | css | (6 << 16) | (4 << 20), 4);
    return nvmev_core_mmio_read(core_, NVME_REG_CSTS, 4) & 1;
}

}  // namespace nvmev::sim
