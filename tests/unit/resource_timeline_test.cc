// ResourceTimeline: first-fit booking of sorted, merged intervals.
#include "../../timing/resource_timeline.h"

#include <gtest/gtest.h>

using nvmev::timing::ResourceTimeline;

TEST(ResourceTimeline, EmptyTimelineStartsAtEarliest)
{
    ResourceTimeline t;
    EXPECT_EQ(t.busy_until(), 0);
    EXPECT_EQ(t.reserve(100, 50), 100);
    EXPECT_EQ(t.busy_until(), 150);
    EXPECT_EQ(t.bookings(), 1u);
}

TEST(ResourceTimeline, FillsTheFirstGapLongEnough)
{
    ResourceTimeline t;
    EXPECT_EQ(t.reserve(100, 100), 100);  // [100,200)
    // The gap [0,100) before the first booking takes 50.
    EXPECT_EQ(t.reserve(0, 50), 0);  // [0,50) [100,200)
    EXPECT_EQ(t.bookings(), 2u);
    // The gap [50,100) is 50 long, too short for 60: after the last booking.
    EXPECT_EQ(t.reserve(0, 60), 200);  // [0,50) [100,260): touching, merged
    EXPECT_EQ(t.bookings(), 2u);
    EXPECT_EQ(t.busy_until(), 260);
    // Exactly 50 fits the gap [50,100) and joins everything into [0,260).
    EXPECT_EQ(t.reserve(0, 50), 50);
    EXPECT_EQ(t.bookings(), 1u);
    EXPECT_EQ(t.busy_until(), 260);
}

TEST(ResourceTimeline, EarliestInsideABookingStartsAtItsEnd)
{
    ResourceTimeline t;
    t.reserve(100, 100);                 // [100,200)
    EXPECT_EQ(t.reserve(150, 10), 200);  // [100,210)
    // Gap [210,300) is too short for 100 once [300,400) is booked.
    EXPECT_EQ(t.reserve(300, 100), 300);
    EXPECT_EQ(t.reserve(205, 100), 400);  // 210 + 100 > 300: after [300,400)
    EXPECT_EQ(t.reserve(205, 90), 210);   // 210 + 90 = 300 fits exactly
    EXPECT_EQ(t.bookings(), 1u);          // [100,500)
    EXPECT_EQ(t.busy_until(), 500);
}

TEST(ResourceTimeline, ZeroDurationBooksNothing)
{
    ResourceTimeline t;
    t.reserve(0, 100);
    // Inside a booking, but nothing to serve: no wait and no booking.
    EXPECT_EQ(t.reserve(50, 0), 50);
    EXPECT_EQ(t.bookings(), 1u);
    EXPECT_EQ(t.busy_until(), 100);
}

TEST(ResourceTimeline, DisjointBookingsStaySeparate)
{
    ResourceTimeline t;
    EXPECT_EQ(t.reserve(300, 100), 300);
    EXPECT_EQ(t.reserve(0, 50), 0);
    EXPECT_EQ(t.reserve(100, 100), 100);
    EXPECT_EQ(t.bookings(), 3u);  // [0,50) [100,200) [300,400)
    EXPECT_EQ(t.busy_until(), 400);
}

TEST(ResourceTimeline, ForgetBeforeDropsBookingsThatEndByTheHorizon)
{
    ResourceTimeline t;
    t.reserve(0, 50);
    t.reserve(100, 100);
    t.reserve(300, 100);   // [0,50) [100,200) [300,400)
    t.forget_before(200);  // ends 50 and 200 are <= 200
    EXPECT_EQ(t.bookings(), 1u);
    EXPECT_EQ(t.busy_until(), 400);
    t.forget_before(350);  // [300,400) still runs at 350
    EXPECT_EQ(t.bookings(), 1u);
    // The kept booking still blocks: [300,500) after merging.
    EXPECT_EQ(t.reserve(350, 100), 400);
    EXPECT_EQ(t.bookings(), 1u);
    t.forget_before(499);
    EXPECT_EQ(t.bookings(), 1u);
    t.forget_before(500);
    EXPECT_EQ(t.bookings(), 0u);
    EXPECT_EQ(t.busy_until(), 0);
}

TEST(ResourceTimeline, SteadyStateStaysShort)
{
    ResourceTimeline t;
    // Back-to-back work merges into one booking however long it runs.
    for (int i = 0; i < 10000; i++) {
        EXPECT_EQ(t.reserve(0, 7), int64_t{7} * i);
        t.forget_before(int64_t{7} * i - 1000);
    }
    EXPECT_EQ(t.bookings(), 1u);
    EXPECT_EQ(t.busy_until(), 70000);
}
