#include "deadline_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace nvmev {
namespace {

struct Entry {
    int64_t due_ns = 0;
    uint64_t seq = 0;
    int tag = 0;
};

using Queue = DeadlineQueue<Entry>;

std::vector<int> drain(Queue &q)
{
    std::vector<int> tags;
    while (!q.empty()) {
        tags.push_back(q.top().tag);
        q.pop();
    }
    return tags;
}

TEST(DeadlineQueue, InOrderEntriesComeOutFifo)
{
    Queue q;
    for (int i = 0; i < 5; i++) {
        q.push({100 + i / 2, static_cast<uint64_t>(i), i});  // equal deadlines in pairs
    }
    EXPECT_EQ(q.size(), 5u);
    EXPECT_EQ(drain(q), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(DeadlineQueue, EarlierEntryOvertakesQueuedOnes)
{
    Queue q;
    q.push({300, 0, 0});
    q.push({400, 1, 1});
    q.push({200, 2, 2});  // earlier than the newest: must still come first
    q.push({400, 3, 3});
    q.push({250, 4, 4});
    q.push({400, 5, 5});  // equal deadline: seq decides
    EXPECT_EQ(q.top().tag, 2);
    EXPECT_EQ(drain(q), (std::vector<int>{2, 4, 0, 1, 3, 5}));
}

TEST(DeadlineQueue, MatchesASortedReferenceUnderRandomUse)
{
    std::mt19937 rng(7);
    Queue q;
    std::vector<Entry> ref;
    uint64_t seq = 0;
    int64_t now = 0;
    for (int step = 0; step < 20000; step++) {
        if (rng() % 3 != 0 || ref.empty()) {
            // Mostly monotone deadlines (one latency), some earlier ones.
            const int64_t due = now + (rng() % 4 == 0 ? rng() % 50 : 100 + step % 7);
            const Entry e{due, seq++, step};
            q.push(e);
            ref.push_back(e);
        } else {
            const auto first = std::min_element(ref.begin(), ref.end(), Queue::earlier);
            ASSERT_EQ(q.top().tag, first->tag) << "step " << step;
            q.pop();
            ref.erase(first);
        }
        now += rng() % 3;
        ASSERT_EQ(q.size(), ref.size());
    }
    std::sort(ref.begin(), ref.end(), Queue::earlier);
    std::vector<int> want;
    for (const Entry &e : ref) {
        want.push_back(e.tag);
    }
    EXPECT_EQ(drain(q), want);
}

TEST(DeadlineQueue, GrowsPastItsInitialRingKeepingOrder)
{
    Queue q;
    for (int i = 0; i < 3000; i++) {
        q.push({i, static_cast<uint64_t>(i), i});
        if (i % 3 == 0) {
            q.pop();  // the ring wraps before it grows
        }
    }
    std::vector<int> want;
    for (int i = 1000; i < 3000; i++) {
        want.push_back(i);
    }
    EXPECT_EQ(drain(q), want);
}

TEST(DeadlineQueue, ExtractIfTakesSelectedEntriesFromRingAndHeap)
{
    Queue q;
    q.push({100, 0, 0});
    q.push({200, 1, 1});
    q.push({150, 2, 2});  // heap
    q.push({300, 3, 3});
    q.push({120, 4, 4});  // heap
    std::vector<Entry> out;
    q.extract_if([](const Entry &e) { return e.tag % 2 == 0; }, out);
    std::sort(out.begin(), out.end(), Queue::earlier);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].tag, 0);
    EXPECT_EQ(out[1].tag, 4);
    EXPECT_EQ(out[2].tag, 2);
    EXPECT_EQ(drain(q), (std::vector<int>{1, 3}));
}

TEST(DeadlineQueue, TakeOneRemovesOneEntryAndKeepsTheRestOrdered)
{
    Queue q;
    q.push({100, 0, 0});
    q.push({200, 1, 1});
    q.push({300, 2, 2});
    q.push({150, 3, 3});  // heap
    Entry e;
    ASSERT_TRUE(q.take_one([](const Entry &x) { return x.tag == 1; }, e));
    EXPECT_EQ(e.due_ns, 200);
    ASSERT_TRUE(q.take_one([](const Entry &x) { return x.tag == 3; }, e));
    EXPECT_EQ(e.due_ns, 150);
    EXPECT_FALSE(q.take_one([](const Entry &x) { return x.tag == 9; }, e));
    // Re-queued earlier (as Abort does), it comes out first.
    e.due_ns = 50;
    q.push(e);
    EXPECT_EQ(drain(q), (std::vector<int>{3, 0, 2}));
}

TEST(DeadlineQueue, ForEachVisitsEveryEntryAndClearEmpties)
{
    Queue q;
    q.push({100, 0, 1});
    q.push({50, 1, 2});
    q.push({200, 2, 4});
    int sum = 0;
    q.for_each([&](const Entry &e) { sum += e.tag; });
    EXPECT_EQ(sum, 7);
    q.clear();
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.size(), 0u);
    q.push({10, 3, 8});
    EXPECT_EQ(drain(q), (std::vector<int>{8}));
}

}  // namespace
}  // namespace nvmev
