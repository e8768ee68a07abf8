// The simple model's contract (docs/models.md), to the nanosecond.
#include "../../timing/simple_model.h"

#include <gtest/gtest.h>

using nvmev::timing::SimpleParams;
using nvmev::timing::SimplePipe;

namespace {

// 4096 MB/s: one 4 KiB unit takes 1000 ns (4096 * 1000 / 4096).
SimpleParams params(int64_t latency_ns, int64_t mbps = 4096)
{
    return {latency_ns, mbps, 4096};
}

}  // namespace

TEST(SimplePipe, TransferTimeRoundsUp)
{
    SimplePipe p(params(0, 3000));
    EXPECT_EQ(p.transfer_ns(4096), 1366);  // 1365.33 -> 1366
    EXPECT_EQ(p.transfer_ns(3000), 1000);
    EXPECT_EQ(p.transfer_ns(0), 0);
}

TEST(SimplePipe, IsolatedUnitCompletesAfterExactlyTheLatency)
{
    SimplePipe p(params(12000));
    EXPECT_EQ(p.submit(1'000'000, 4096), 1'012'000);
    // Long after, the pipe is idle again: same latency.
    EXPECT_EQ(p.submit(5'000'000, 4096), 5'012'000);
}

TEST(SimplePipe, IsolatedLargeRequestAddsTransferOfTheExtraUnits)
{
    SimplePipe p(params(12000));
    // 128 KiB = 32 units: latency + 31 more units of transfer.
    EXPECT_EQ(p.submit(0, 128 * 1024), 12000 + 31 * 1000);
}

TEST(SimplePipe, LatencyBelowOneUnitIsTransferBound)
{
    SimplePipe p(params(300));
    EXPECT_EQ(p.submit(100, 4096), 1100);
}

TEST(SimplePipe, BackToBackUnitsQueueBehindTheTransfer)
{
    SimplePipe p(params(12000));
    // Eight units at the same instant: each waits for the one before it.
    for (int i = 0; i < 8; i++) {
        EXPECT_EQ(p.submit(0, 4096), 12000 + i * 1000) << i;
    }
    EXPECT_EQ(p.drained_at_ns(), 8000);
}

TEST(SimplePipe, SaturatedThroughputIsExactlyTheBandwidthAtAnySize)
{
    for (uint64_t size : {512u, 4096u, 4096u * 3, 131072u}) {
        // 3000 MB/s does not divide any of these sizes: per-request rounding
        // would drift, the running sum must not.
        SimplePipe p(params(10000, 3000));
        const int n = 100000;
        int64_t last = 0;
        for (int i = 0; i < n; i++) {
            last = p.submit(0, size);
        }
        const uint64_t bytes = size * n;
        // ceil(bytes * 1000 / 3000) ns of transfer for everything.
        const int64_t expect_drain = static_cast<int64_t>((bytes * 1000 + 2999) / 3000);
        EXPECT_EQ(p.drained_at_ns(), expect_drain) << size;
        EXPECT_EQ(last, expect_drain + (10000 - 1366)) << size;
    }
}

TEST(SimplePipe, ArrivalsSpacedWiderThanTheTransferSeeNoQueueing)
{
    SimplePipe p(params(20000));
    for (int i = 0; i < 10; i++) {
        const int64_t t = i * 1500;  // 1.5 us apart, 1 us of transfer each
        EXPECT_EQ(p.submit(t, 4096), t + 20000) << i;
    }
}

TEST(SimplePipe, RetuneAppliesToNewRequestsOnly)
{
    SimplePipe p(params(10000));
    EXPECT_EQ(p.submit(0, 4096), 10000);
    EXPECT_EQ(p.submit(0, 4096), 11000);  // queued: drains at 2000
    p.retune(params(50000, 2048), 500);
    // New unit: 2000 ns of transfer after the old bytes drain at 2000.
    EXPECT_EQ(p.submit(500, 4096), 2000 + 2000 + (50000 - 2000));
    // Idle pipe with the new parameters.
    EXPECT_EQ(p.submit(1'000'000, 4096), 1'050'000);
}
