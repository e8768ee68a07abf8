// ssd=kv configuration: defaults, the metadata layout, and errors that name
// the property and the allowed values.
#include <gtest/gtest.h>

#include "../../ftl/kv_store.h"
#include "config_fixture.h"

namespace nvmev::test {
namespace {

TEST(KvConfigTest, DefaultsComeFromThePresetAndTheCapacity)
{
    Cfg c("kv", 1 << 30);
    const ResolvedConfig rc = c.resolve();
    EXPECT_EQ(rc.kind, SsdKind::Kv);
    EXPECT_EQ(rc.preset, "kv-prototype");
    EXPECT_EQ(rc.mdts, 5u);
    EXPECT_EQ(rc.kv.max_keys, (1u << 30) / 4096);
    EXPECT_EQ(rc.kv.max_value_bytes, 128u * 1024);  // the MDTS limit
    EXPECT_EQ(rc.kv.index_latency_ns, 2000);
    EXPECT_FALSE(rc.kv.vendor_opcodes);
    EXPECT_FALSE(rc.kv.parallel);
    EXPECT_EQ(rc.read_latency_ns, 12000);
    EXPECT_EQ(rc.capacity_bytes, uint64_t{1} << 30);
    EXPECT_EQ(rc.metadata_offset, uint64_t{1} << 30);
    EXPECT_EQ(rc.metadata_bytes, ftl::KvStore::metadata_bytes(rc.kv.max_keys));
}

TEST(KvConfigTest, AMemdevHoldsValuesThenKeyRecordsAtItsEnd)
{
    Cfg c("kv", 64 << 20);
    c.c.capacity_from_memdev = 1;
    c.set("kv-max-keys", 1000);
    const ResolvedConfig rc = c.resolve();
    EXPECT_EQ(rc.metadata_offset + rc.metadata_bytes, uint64_t{64} << 20);
    EXPECT_LE(rc.capacity_bytes, rc.metadata_offset);
    EXPECT_EQ(rc.capacity_bytes % 4096, 0u);
}

TEST(KvConfigTest, BadPropertiesAreNamed)
{
    {
        Cfg c("kv", 1 << 20);
        c.set("kv-max-value-size", 256 * 1024);  // over MDTS 5 (128 KiB)
        EXPECT_NE(c.error().find("'kv-max-value-size'"), std::string::npos) << c.error();
    }
    {
        Cfg c("kv", 1 << 20);
        c.set("kv-max-keys", 0);
        EXPECT_NE(c.error().find("'kv-max-keys'"), std::string::npos) << c.error();
    }
    {
        Cfg c("kv", 1 << 20);
        c.c.kv_backend = "fast";
        EXPECT_EQ(c.error(),
                  "property 'kv-backend': unknown backend 'fast' (allowed: simple, parallel)");
    }
    {
        Cfg c("nvm", 1 << 20);
        c.c.kv_vendor_opcodes = 1;
        EXPECT_EQ(c.error(), "property 'kv-vendor-opcodes' applies to ssd=kv only");
    }
    {
        Cfg c("conv", 64 << 20);
        c.set("kv-max-keys", 10);
        EXPECT_EQ(c.error(), "property 'kv-max-keys' applies to ssd=kv only");
    }
    {
        Cfg c("kv", 64 << 20);
        c.c.kv_backend = "parallel";
        c.c.read_latency_ns = 1000;
        EXPECT_NE(c.error().find("'read-latency-ns'"), std::string::npos) << c.error();
    }
    {
        Cfg c("kv", 64 << 20);
        c.set("channels", 4);  // NAND geometry needs kv-backend=parallel
        EXPECT_NE(c.error().find("kv-backend=parallel"), std::string::npos) << c.error();
    }
    {
        Cfg c("kv", 1 << 20, "wd-zn540");
        EXPECT_NE(c.error().find("kv-prototype"), std::string::npos) << c.error();
    }
}

}  // namespace
}  // namespace nvmev::test
