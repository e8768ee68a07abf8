#include "prp.h"

#include <gtest/gtest.h>

#include "fake_host.h"

using namespace nvmev;

TEST(PrpWalker, SelfReferencingListTerminatesAtTheTransferLength)
{
    test::FakeHost fh;
    NvmevHostOps ops = fh.ops();
    Host host(ops, &fh);
    PrpWalker w(host);
    // A list page whose last entry points at itself: every data entry is the
    // same page. The walk must end after len bytes, not loop.
    const uint64_t list = 0x10000;
    for (int i = 0; i < 511; i++) {
        fh.write<uint64_t>(list + 8 * i, 0x20000);
    }
    fh.write<uint64_t>(list + 8 * 511, list);
    ASSERT_EQ(w.map(0x30000, list, 4096ull * 2000), kSuccess);
    uint64_t total = 0;
    for (const auto &s : w.segments()) {
        total += s.len;
    }
    EXPECT_EQ(total, 4096ull * 2000);
}

TEST(PrpWalker, ListOutsideGuestMemoryIsADataTransferError)
{
    test::FakeHost fh(1 << 20);
    NvmevHostOps ops = fh.ops();
    Host host(ops, &fh);
    PrpWalker w(host);
    EXPECT_EQ(w.map(0x1000, 0x7000000, 4096 * 3), kDataTransferError);
    EXPECT_EQ(w.map(0x1000, 0x2003, 4096 * 3), kInvalidPrpOffset);
}

TEST(PrpWalker, ContiguousPagesMerge)
{
    test::FakeHost fh;
    NvmevHostOps ops = fh.ops();
    Host host(ops, &fh);
    PrpWalker w(host);
    fh.write<uint64_t>(0x10000, 0x21000);
    fh.write<uint64_t>(0x10008, 0x22000);
    fh.write<uint64_t>(0x10010, 0x40000);
    ASSERT_EQ(w.map(0x20800, 0x10000, 2048 + 4096 * 3), kSuccess);
    ASSERT_EQ(w.segments().size(), 2u);
    EXPECT_EQ(w.segments()[0].addr, 0x20800u);
    EXPECT_EQ(w.segments()[0].len, 2048u + 8192u);
    EXPECT_EQ(w.segments()[1].addr, 0x40000u);
    EXPECT_EQ(w.segments()[1].len, 4096u);
}
