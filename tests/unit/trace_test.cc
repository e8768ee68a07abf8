// Typed trace events (nvmev_core.h NvmevTraceEvent, docs/tracing.md): the
// exact events the core reports for commands, errors, queues, zones and GC,
// and that the trace mask decides which are reported.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "config_fixture.h"
#include "core_fixture.h"
#include "fake_host.h"
#include "nvmev_core.h"

namespace nvmev::test {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

using TraceTest = CoreFixture;

TEST_F(TraceTest, ReadReportsSubmitAndCompleteWithModelTimeAndLateness)
{
    ready_with_io_queue();
    host_.traced.clear();
    // 8 blocks of 512 B at LBA 5; the simple model: 12000 ns after the
    // fetch at 1 ms (an isolated command's latency includes its transfer).
    const uint16_t cid = drv_->submit(1, make_rw(nvme_cmd_read, 5, 8, Driver::kDataBase));
    drv_->run(false);
    const auto submits = host_.events(NVMEV_TRACE_SUBMIT);
    ASSERT_EQ(submits.size(), 1u);
    const NvmevTraceEvent &s = submits[0];
    EXPECT_EQ(s.nsid, 1u);
    EXPECT_EQ(s.u.cmd.sqid, 1);
    EXPECT_EQ(s.u.cmd.cid, cid);
    EXPECT_EQ(s.u.cmd.opcode, nvme_cmd_read);
    EXPECT_EQ(s.u.cmd.slba, 5u);
    EXPECT_EQ(s.u.cmd.nlb, 8u);
    EXPECT_EQ(s.u.cmd.at_ns, 1'000'000);
    EXPECT_EQ(s.u.cmd.due_ns, 1'000'000 + 12'000);
    EXPECT_TRUE(host_.events(NVMEV_TRACE_COMPLETE).empty());  // not due yet

    // The timer fires 777 ns late: the completion says so.
    host_.now_ns = s.u.cmd.due_ns + 777;
    nvmev_core_timer(core_, 0);
    const auto completes = host_.events(NVMEV_TRACE_COMPLETE);
    ASSERT_EQ(completes.size(), 1u);
    const NvmevTraceEvent &c = completes[0];
    EXPECT_EQ(c.u.cmd.sqid, 1);
    EXPECT_EQ(c.u.cmd.cid, cid);
    EXPECT_EQ(c.u.cmd.status, 0);
    EXPECT_EQ(c.u.cmd.due_ns, s.u.cmd.due_ns);
    EXPECT_EQ(c.u.cmd.late_ns, 777);
    EXPECT_TRUE(host_.events(NVMEV_TRACE_ERR_CMD).empty());
    // Submit before complete, nothing else per command.
    ASSERT_EQ(host_.traced.size(), 2u);
    EXPECT_EQ(host_.traced[0].ev.id, NVMEV_TRACE_SUBMIT);
    EXPECT_EQ(host_.traced[1].ev.id, NVMEV_TRACE_COMPLETE);
}

TEST_F(TraceTest, FailedCommandReportsItsStatus)
{
    ready_with_io_queue();
    host_.traced.clear();
    // 8 MiB of 512 B blocks: LBA 16384 is past the end.
    const Sqe bad = make_rw(nvme_cmd_read, 16384, 1, Driver::kDataBase);
    const uint16_t status = io_status(bad);
    EXPECT_EQ(status, sc(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE));
    const auto errs = host_.events(NVMEV_TRACE_ERR_CMD);
    ASSERT_EQ(errs.size(), 1u);
    EXPECT_EQ(errs[0].u.cmd.sqid, 1);
    EXPECT_EQ(errs[0].u.cmd.opcode, nvme_cmd_read);
    EXPECT_EQ(errs[0].u.cmd.slba, 16384u);
    EXPECT_EQ(errs[0].u.cmd.status, status);
    const auto completes = host_.events(NVMEV_TRACE_COMPLETE);
    ASSERT_EQ(completes.size(), 1u);
    EXPECT_EQ(completes[0].u.cmd.status, status);
    EXPECT_EQ(completes[0].u.cmd.cid, errs[0].u.cmd.cid);
}

TEST_F(TraceTest, QueueCreateAndDelete)
{
    ASSERT_EQ(drv_->enable() & 1, 1u);
    const auto enables = host_.events(NVMEV_TRACE_ENABLE);
    ASSERT_EQ(enables.size(), 1u);
    EXPECT_EQ(enables[0].u.ctrl.asq, drv_->sq_base(0));
    EXPECT_EQ(enables[0].u.ctrl.acq, drv_->cq_base(0));
    EXPECT_EQ(enables[0].u.ctrl.asqs, 32u);
    EXPECT_EQ(enables[0].u.ctrl.acqs, 32u);

    host_.traced.clear();
    ASSERT_EQ(drv_->create_io_queues(2, 16, 3), 0);
    const auto cqs = host_.events(NVMEV_TRACE_CREATE_CQ);
    ASSERT_EQ(cqs.size(), 1u);
    EXPECT_EQ(cqs[0].u.queue.qid, 2);
    EXPECT_EQ(cqs[0].u.queue.size, 16u);
    EXPECT_EQ(cqs[0].u.queue.vector, 3);
    EXPECT_EQ(cqs[0].u.queue.irq_enabled, 1);
    const auto sqs = host_.events(NVMEV_TRACE_CREATE_SQ);
    ASSERT_EQ(sqs.size(), 1u);
    EXPECT_EQ(sqs[0].u.queue.qid, 2);
    EXPECT_EQ(sqs[0].u.queue.size, 16u);
    EXPECT_EQ(sqs[0].u.queue.cqid, 2);

    host_.traced.clear();
    EXPECT_EQ(admin_status(make_admin(nvme_admin_delete_sq, 2)), 0);
    EXPECT_EQ(admin_status(make_admin(nvme_admin_delete_cq, 2)), 0);
    const auto dsq = host_.events(NVMEV_TRACE_DELETE_SQ);
    const auto dcq = host_.events(NVMEV_TRACE_DELETE_CQ);
    ASSERT_EQ(dsq.size(), 1u);
    ASSERT_EQ(dcq.size(), 1u);
    EXPECT_EQ(dsq[0].u.queue.qid, 2);
    EXPECT_EQ(dcq[0].u.queue.qid, 2);

    host_.traced.clear();
    drv_->disable();
    const auto disables = host_.events(NVMEV_TRACE_DISABLE);
    ASSERT_EQ(disables.size(), 1u);
    EXPECT_EQ(disables[0].u.ctrl.cc & 1, 0u);
}

TEST_F(TraceTest, GuestErrorsAndUndefinedBehaviour)
{
    ready_with_io_queue();
    host_.traced.clear();
    drv_->write32(kDoorbellBase + 8 * 1, 64);          // SQ 1 tail == its size
    drv_->write32(kDoorbellBase + 8 * 3 + 4, 0);       // CQ 3 does not exist
    nvmev_core_mmio_write(core_, NVME_REG_CC, 0, 2);   // a 2-byte register write
    drv_->write32(NVME_REG_ASQ, 0x5000);               // while enabled
    nvmev_core_mmio_read(core_, NVME_REG_CAP + 1, 4);  // misaligned
    // Each doorbell error also queues an Error event for the host.
    EXPECT_EQ(host_.events(NVMEV_TRACE_ASYNC_EVENT).size(), 2u);
    std::vector<FakeHost::Traced> ev;
    for (const auto &t : host_.traced) {
        if (t.ev.id != NVMEV_TRACE_ASYNC_EVENT) {
            ev.push_back(t);
        }
    }
    ASSERT_EQ(ev.size(), 5u);
    const NvmevTraceEvent &db = ev[0].ev;
    EXPECT_EQ(db.id, NVMEV_TRACE_ERR_DOORBELL);
    EXPECT_EQ(db.u.doorbell.qid, 1);
    EXPECT_EQ(db.u.doorbell.cq, 0);
    EXPECT_EQ(db.u.doorbell.shadow, 0);
    EXPECT_EQ(db.u.doorbell.value, 64u);
    EXPECT_EQ(db.u.doorbell.size, 64u);
    const NvmevTraceEvent &dq = ev[1].ev;
    EXPECT_EQ(dq.id, NVMEV_TRACE_ERR_DOORBELL_QUEUE);
    EXPECT_EQ(dq.u.doorbell.qid, 3);
    EXPECT_EQ(dq.u.doorbell.cq, 1);
    EXPECT_EQ(ev[2].ev.id, NVMEV_TRACE_UB_MMIO_WRITE);
    EXPECT_EQ(ev[2].ev.u.mmio.size, 2u);
    EXPECT_EQ(ev[3].ev.id, NVMEV_TRACE_UB_MMIO_WRITE_AQ);
    EXPECT_EQ(ev[3].ev.u.mmio.offset, uint64_t{NVME_REG_ASQ});
    EXPECT_EQ(ev[3].ev.u.mmio.value, 0x5000u);
    EXPECT_EQ(ev[4].ev.id, NVMEV_TRACE_UB_MMIO_READ);
    EXPECT_EQ(ev[4].ev.u.mmio.offset, uint64_t{NVME_REG_CAP + 1});
}

TEST_F(TraceTest, FatalErrorCarriesItsReason)
{
    drv_->write32(NVME_REG_AQA, 0);  // admin queues of 1 entry
    nvmev_core_mmio_write(core_, NVME_REG_ASQ, drv_->sq_base(0), 8);
    nvmev_core_mmio_write(core_, NVME_REG_ACQ, drv_->cq_base(0), 8);
    drv_->write32(NVME_REG_CC, 1 | (6 << 16) | (4 << 20));
    std::vector<std::string> reasons;
    for (const auto &t : host_.traced) {
        if (t.ev.id == NVMEV_TRACE_ERR_FATAL) {
            reasons.push_back(t.reason);
        }
    }
    EXPECT_EQ(reasons, std::vector<std::string>{"admin queue size below 2 entries"});
}

TEST_F(TraceTest, TheMaskSelectsTheEvents)
{
    ready_with_io_queue();
    nvmev_core_set_trace_mask(core_, NVMEV_TRACE_BIT(NVMEV_TRACE_COMPLETE));
    host_.traced.clear();
    EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 0, 1, Driver::kDataBase)), 0);
    EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 1 << 20, 1, Driver::kDataBase)),
              sc(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE));
    ASSERT_EQ(host_.traced.size(), 2u);
    EXPECT_EQ(host_.traced[0].ev.id, NVMEV_TRACE_COMPLETE);
    EXPECT_EQ(host_.traced[1].ev.id, NVMEV_TRACE_COMPLETE);

    nvmev_core_set_trace_mask(core_, 0);
    host_.traced.clear();
    EXPECT_EQ(io_status(make_rw(nvme_cmd_read, 1 << 20, 1, Driver::kDataBase)),
              sc(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE));
    EXPECT_TRUE(host_.traced.empty());
}

TEST(TraceNames, EveryEventHasItsQemuName)
{
    EXPECT_STREQ(nvmev_core_trace_name(NVMEV_TRACE_SUBMIT), "nvmev_submit");
    EXPECT_STREQ(nvmev_core_trace_name(NVMEV_TRACE_ERR_CMD), "nvmev_err_cmd");
    EXPECT_STREQ(nvmev_core_trace_name(NVMEV_TRACE_GC_END), "nvmev_gc_end");
    EXPECT_EQ(nvmev_core_trace_name(NVMEV_TRACE_COUNT), nullptr);
    for (unsigned id = 0; id < NVMEV_TRACE_COUNT; id++) {
        ASSERT_NE(nvmev_core_trace_name(id), nullptr) << id;
        EXPECT_EQ(std::strncmp(nvmev_core_trace_name(id), "nvmev_", 6), 0) << id;
    }
    EXPECT_STREQ(nvmev_core_zone_state_name(NVME_ZNS_ZS_IMPL_OPEN), "implicitly-open");
    EXPECT_STREQ(nvmev_core_zone_state_name(0), "?");
}

// A controller of another kind on the fake host, from a Cfg.
class KindTrace : public ::testing::Test {
protected:
    void TearDown() override { nvmev_core_free(core_); }
    void start(Cfg &cfg)
    {
        cfg.c.max_ioqpairs = 1;
        cfg.c.msix_vectors = 2;
        NvmevLayout layout{};
        char *err = nullptr;
        ASSERT_EQ(nvmev_core_layout(&cfg.c, &layout, &err), 0) << err;
        backing_.assign(layout.data_bytes + layout.metadata_bytes, 0);
        ops_ = host_.ops();
        core_ = nvmev_core_new(&cfg.c, &ops_, &host_, backing_.data(), &err);
        ASSERT_NE(core_, nullptr) << err;
        nvmev_core_set_msix(core_, 1);
        drv_ = std::make_unique<Driver>(host_, core_);
        ASSERT_EQ(drv_->enable(32, NVME_CC_CSS_CSI) & 1, 1u);
        ASSERT_EQ(drv_->create_io_queues(1, 64, 1), 0);
    }
    FakeHost host_{32 << 20};
    NvmevHostOps ops_{};
    std::vector<uint8_t> backing_;
    NvmevCore *core_ = nullptr;
    std::unique_ptr<Driver> drv_;
};

TEST_F(KindTrace, ZoneTransitionsAndFaultInjection)
{
    Cfg cfg("zns", 64 * kMiB, "zns-prototype");
    start(cfg);
    host_.traced.clear();
    // The first write to zone 0 opens it implicitly.
    EXPECT_EQ(Driver::status(drv_->call(1, make_rw(nvme_cmd_write, 0, 1, Driver::kDataBase))), 0);
    auto zs = host_.events(NVMEV_TRACE_ZONE_STATE);
    ASSERT_EQ(zs.size(), 1u);
    EXPECT_EQ(zs[0].nsid, 1u);
    EXPECT_EQ(zs[0].u.zone.zone, 0u);
    EXPECT_EQ(zs[0].u.zone.from, NVME_ZNS_ZS_EMPTY);
    EXPECT_EQ(zs[0].u.zone.to, NVME_ZNS_ZS_IMPL_OPEN);

    host_.traced.clear();
    char *err = nullptr;
    ASSERT_EQ(nvmev_core_zone_set_state(core_, 0, "offline", &err), 0) << err;
    zs = host_.events(NVMEV_TRACE_ZONE_STATE);
    ASSERT_EQ(zs.size(), 1u);
    EXPECT_EQ(zs[0].u.zone.from, NVME_ZNS_ZS_IMPL_OPEN);
    EXPECT_EQ(zs[0].u.zone.to, NVME_ZNS_ZS_OFFLINE);
    const auto faults = host_.events(NVMEV_TRACE_ZONE_FAULT);
    ASSERT_EQ(faults.size(), 1u);
    EXPECT_EQ(faults[0].nsid, 1u);
    EXPECT_EQ(faults[0].u.zone.zone, 0u);
    EXPECT_EQ(faults[0].u.zone.to, NVME_ZNS_ZS_OFFLINE);
}

TEST_F(KindTrace, GcRunsOfASmallConvDevice)
{
    Cfg cfg("conv", 64 * kMiB);
    cfg.c.lba_size = 4096;
    start(cfg);
    host_.traced.clear();
    // Write the whole device twice, 8 KiB at a time: the second pass
    // invalidates the first's lines, and GC collects them.
    for (int pass = 0; pass < 2; pass++) {
        for (uint64_t slba = 0; slba < 64 * kMiB / 4096; slba += 2) {
            const Sqe w =
                make_rw(nvme_cmd_write, slba, 2, Driver::kDataBase, Driver::kDataBase + 4096);
            ASSERT_EQ(Driver::status(drv_->call(1, w)), 0) << slba;
        }
    }
    NvmevCoreInfo info{};
    nvmev_core_get_info(core_, &info);
    ASSERT_GT(info.gc_runs, 0u);
    const auto starts = host_.events(NVMEV_TRACE_GC_START);
    const auto ends = host_.events(NVMEV_TRACE_GC_END);
    ASSERT_EQ(starts.size(), info.gc_runs);
    ASSERT_EQ(ends.size(), info.gc_runs);
    uint64_t copied = 0;
    for (size_t i = 0; i < ends.size(); i++) {
        EXPECT_EQ(starts[i].nsid, 1u);
        EXPECT_EQ(ends[i].nsid, 1u);
        EXPECT_EQ(ends[i].u.gc.line, starts[i].u.gc.line);
        EXPECT_EQ(ends[i].u.gc.partition, starts[i].u.gc.partition);
        // Every valid page of the victim is copied, and the line is freed.
        EXPECT_EQ(ends[i].u.gc.pages, starts[i].u.gc.pages);
        EXPECT_EQ(ends[i].u.gc.free_lines, starts[i].u.gc.free_lines + 1);
        EXPECT_GT(ends[i].u.gc.time_ns, starts[i].u.gc.time_ns);  // tBERS
        copied += ends[i].u.gc.pages;
    }
    EXPECT_EQ(copied, info.gc_pages_copied);
}

}  // namespace
}  // namespace nvmev::test
