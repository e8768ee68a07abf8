// WriteBuffer: admission against space released at known program ends.
#include "../../timing/write_buffer.h"

#include <gtest/gtest.h>

using nvmev::timing::WriteBuffer;

namespace {

constexpr uint64_t kKiB = 1024;

}  // namespace

TEST(WriteBuffer, FitsImmediatelyWhenThereIsRoom)
{
    WriteBuffer b(1024 * kKiB);
    EXPECT_EQ(b.space_at(4096, 100), 100);
    b.admit(4096, 100);
    EXPECT_EQ(b.held(), 4096u);
    EXPECT_EQ(b.occupancy(100), 4096u);
    // Exactly the rest of the capacity still fits.
    EXPECT_EQ(b.space_at(1024 * kKiB - 4096, 200), 200);
    EXPECT_EQ(b.space_at(1024 * kKiB - 4095, 200), -1);  // only held bytes block
}

TEST(WriteBuffer, LargerThanTheCapacityNeverFits)
{
    WriteBuffer b(64 * kKiB);
    EXPECT_EQ(b.space_at(64 * kKiB + 1, 0), -1);
    EXPECT_EQ(b.space_at(64 * kKiB, 0), 0);
}

TEST(WriteBuffer, WaitsForTheEarliestReleaseThatMakesRoom)
{
    WriteBuffer b(64 * kKiB);
    for (int i = 0; i < 16; i++) {
        b.admit(4096, 0);
    }
    // Programs end out of order: the second one first.
    b.release(32 * kKiB, 5000);
    b.release(32 * kKiB, 3000);
    EXPECT_EQ(b.held(), 0u);
    EXPECT_EQ(b.drained_at(), 5000);
    // Full at 1000; 32 KiB come back at 3000 and 32 KiB more at 5000.
    EXPECT_EQ(b.space_at(4096, 1000), 3000);
    EXPECT_EQ(b.space_at(32 * kKiB, 1000), 3000);
    EXPECT_EQ(b.space_at(32 * kKiB + 1, 1000), 5000);
    // A release at `now` is already free space.
    EXPECT_EQ(b.space_at(4096, 3000), 3000);
    EXPECT_EQ(b.space_at(64 * kKiB, 5000), 5000);
}

TEST(WriteBuffer, EqualReleaseTimesFreeTogether)
{
    WriteBuffer b(64 * kKiB);
    b.admit(64 * kKiB, 0);
    b.release(32 * kKiB, 2000);
    b.release(32 * kKiB, 2000);
    EXPECT_EQ(b.space_at(64 * kKiB, 0), 2000);
    EXPECT_EQ(b.occupancy(1999), 64 * kKiB);
    EXPECT_EQ(b.occupancy(2000), 0u);
}

TEST(WriteBuffer, HeldBytesBlockUntilScheduled)
{
    WriteBuffer b(64 * kKiB);
    b.admit(32 * kKiB, 0);
    b.admit(32 * kKiB, 0);
    b.release(32 * kKiB, 2000);  // the other 32 KiB stay held
    EXPECT_EQ(b.space_at(32 * kKiB, 0), 2000);
    // 32 KiB + 1 fits only once the held bytes leave: no time known yet.
    EXPECT_EQ(b.space_at(32 * kKiB + 1, 0), -1);
    EXPECT_EQ(b.space_at(32 * kKiB + 1, 10000), -1);
    b.release(32 * kKiB, 9000);
    EXPECT_EQ(b.space_at(32 * kKiB + 1, 0), 9000);
}

TEST(WriteBuffer, OccupancyOverTime)
{
    WriteBuffer b(1024 * kKiB);
    // 4 KiB writes every 1000 ns; each 32 KiB (8 writes) goes to a program
    // that ends 200000 ns after its last write was admitted.
    for (int i = 0; i < 16; i++) {
        const int64_t t = int64_t{1000} * i;
        ASSERT_EQ(b.space_at(4096, t), t) << i;
        b.admit(4096, t);
        if (i % 8 == 7) {
            b.release(32 * kKiB, t + 200000);  // 207000 and 215000
        }
    }
    b.admit(4096, 16000);  // held: 4096
    EXPECT_EQ(b.held(), 4096u);
    EXPECT_EQ(b.drained_at(), 215000);
    EXPECT_EQ(b.occupancy(100000), 4096 + 64 * kKiB);  // 69632
    EXPECT_EQ(b.occupancy(207000), 4096 + 32 * kKiB);  // 36864
    EXPECT_EQ(b.occupancy(214999), 4096 + 32 * kKiB);
    EXPECT_EQ(b.occupancy(215000), 4096u);
}

TEST(WriteBuffer, SaturatedBufferAdmitsAtProgramEnds)
{
    WriteBuffer b(1024 * kKiB);
    // 256 x 4 KiB fill 1 MiB at time 0; the k-th 32 KiB program (k = 1..32)
    // ends at k * 100000.
    for (int i = 0; i < 256; i++) {
        ASSERT_EQ(b.space_at(4096, 0), 0) << i;
        b.admit(4096, 0);
        if (i % 8 == 7) {
            b.release(32 * kKiB, int64_t{100000} * ((i + 1) / 8));
        }
    }
    EXPECT_EQ(b.occupancy(0), 1024 * kKiB);
    EXPECT_EQ(b.space_at(4096, 0), 100000);
    // At 150000 only program 1 has ended: 32 KiB free; 32 KiB + 1 needs
    // program 2 as well (200000); 96 KiB needs programs 1..3 (300000).
    EXPECT_EQ(b.occupancy(150000), 1024 * kKiB - 32 * kKiB);  // 1015808
    EXPECT_EQ(b.space_at(32 * kKiB, 150000), 150000);
    EXPECT_EQ(b.space_at(32 * kKiB + 1, 150000), 200000);
    EXPECT_EQ(b.space_at(96 * kKiB, 150000), 300000);
    EXPECT_EQ(b.drained_at(), 3200000);
    EXPECT_EQ(b.occupancy(3200000), 0u);
}

// A checkpoint keeps at most `most` releases and admissions ahead; runs of
// neighbours merge so that space comes back no sooner and the admitted
// bytes count no later than in the buffer saved.
TEST(WriteBuffer, SaveMergesWhatLiesAheadIntoAtMostMostEntries)
{
    WriteBuffer b(16 * kKiB);
    for (int i = 0; i < 10; i++) {  // admitted at 0, 100, ..., released 50 later
        ASSERT_GE(b.space_at(4096, i * 100), 0);
        b.admit(4096, i * 100);
        b.release(4096, i * 100 + 50);
    }
    const WriteBuffer::Saved all = b.save(0, 100);
    EXPECT_EQ(all.pending.size(), 10u);
    EXPECT_EQ(all.admits.size(), 9u);  // the one at 0 is history
    const WriteBuffer::Saved s = b.save(0, 4);
    ASSERT_EQ(s.pending.size(), 4u);  // runs of 3, 3, 3, 1
    ASSERT_EQ(s.admits.size(), 3u);   // runs of 3
    EXPECT_EQ(s.pending[0].at, 250);  // a run's last release
    EXPECT_EQ(s.pending[0].bytes, 3 * 4096u);
    EXPECT_EQ(s.pending[3].at, 950);
    EXPECT_EQ(s.pending[3].bytes, 4096u);
    EXPECT_EQ(s.admits[0].at, 100);  // a run's first admission
    EXPECT_EQ(s.admits[2].at, 700);
    EXPECT_EQ(s.admits[2].bytes, 3 * 4096u);
    EXPECT_EQ(b.save(0, 100).pending.size(), 10u) << "saving changes nothing";

    WriteBuffer r(16 * kKiB);
    r.restore(s);
    for (int64_t t = 0; t <= 1000; t += 10) {
        EXPECT_GE(r.occupancy(t), b.occupancy(t)) << t;
        EXPECT_GE(r.space_at(16 * kKiB, t), b.space_at(16 * kKiB, t)) << t;
    }
    EXPECT_EQ(r.occupancy(1000), 0u);
}
