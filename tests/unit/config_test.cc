#include "config.h"
#include "parameter_registry.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "fake_host.h"

using nvmev::resolve_config;

namespace {

NvmevConfig base()
{
    NvmevConfig c{};
    c.ssd = "nvm";
    c.capacity_bytes = 1 << 30;
    c.lba_size = c.mdts = c.max_ioqpairs = -1;
    c.read_latency_ns = c.write_latency_ns = -1;
    c.read_bandwidth_mbps = c.write_bandwidth_mbps = -1;
    return c;
}

std::string error_of(const NvmevConfig &c)
{
    std::string e;
    EXPECT_FALSE(resolve_config(c, e).has_value());
    return e;
}

}  // namespace

TEST(Config, DefaultPresetForNvmIsP4800x)
{
    std::string e;
    auto rc = resolve_config(base(), e);
    ASSERT_TRUE(rc) << e;
    EXPECT_EQ(rc->preset, "intel-p4800x");
    EXPECT_EQ(rc->read_latency_ns, 12000);
    EXPECT_EQ(rc->write_latency_ns, 14000);
    EXPECT_EQ(rc->lba_size, 512u);
    EXPECT_EQ(rc->nlbas(), (1u << 30) / 512);
}

TEST(Config, ExplicitPropertiesOverrideThePreset)
{
    NvmevConfig c = base();
    c.preset = "intel-p5800x";
    c.read_latency_ns = 0;
    c.lba_size = 4096;
    std::string e;
    auto rc = resolve_config(c, e);
    ASSERT_TRUE(rc) << e;
    EXPECT_EQ(rc->read_latency_ns, 0);
    EXPECT_EQ(rc->write_latency_ns, 6000);
    EXPECT_EQ(rc->lba_size, 4096u);
}

TEST(Config, ErrorsNameThePropertyAndTheAllowedValues)
{
    NvmevConfig c = base();
    c.ssd = "floppy";
    EXPECT_EQ(error_of(c), "property 'ssd': unknown kind 'floppy' (allowed: nvm, conv, zns, kv)");

    c = base();
    c.preset = "nope";
    EXPECT_EQ(error_of(c),
              "property 'preset': unknown preset 'nope' (allowed: intel-p4800x, intel-p5800x, "
              "samsung-970pro, generic-tlc, wd-zn540, zns-prototype, kv-prototype)");

    c = base();
    c.lba_size = 1024;
    EXPECT_EQ(error_of(c), "property 'lba-size': 1024 is not supported (allowed: 512, 4096)");

    c = base();
    c.capacity_bytes = 1000000;
    c.lba_size = 4096;
    EXPECT_EQ(error_of(c),
              "property 'size': 1000000 bytes is not a multiple of lba-size "
              "4096 (999424 or 1003520 would be)");

    c = base();
    c.read_bandwidth_mbps = 0;
    EXPECT_EQ(error_of(c), "property 'read-bandwidth-mbps' must be positive (MB/s)");

    c = base();
    c.write_latency_ns = 1'000'000'000'001;
    EXPECT_EQ(error_of(c),
              "property 'write-latency-ns': 1000000000001 is out of range (allowed: "
              "0..1000000000000)");

    c = base();
    c.max_ioqpairs = 0;
    EXPECT_EQ(error_of(c), "property 'max-ioqpairs': 0 is out of range (allowed: 1..65535)");

    c = base();
    c.mdts = 17;
    EXPECT_NE(error_of(c).find("property 'mdts'"), std::string::npos);

    c = base();
    c.serial = "";
    EXPECT_NE(error_of(c).find("property 'serial'"), std::string::npos);
}

TEST(ParameterRegistry, EntriesAreInIdOrderWithUniqueNames)
{
    const auto reg = nvmev::param_registry();
    ASSERT_EQ(reg.size(), nvmev::kParamCount);
    ASSERT_EQ(nvmev_core_property_count(), reg.size());
    for (size_t i = 0; i < reg.size(); ++i) {
        EXPECT_EQ(static_cast<size_t>(reg[i].id), i) << reg[i].name;
        EXPECT_EQ(nvmev::find_spec(reg[i].name), &reg[i]);
        EXPECT_STREQ(nvmev_core_property_info(i)->name, reg[i].name);
    }
    // The by-name parameters are the registry's tail.
    ASSERT_EQ(nvmev_core_param_count(), reg.size() - nvmev::kFirstByName);
    EXPECT_STREQ(nvmev_core_param_info(0)->name, reg[nvmev::kFirstByName].name);
    EXPECT_EQ(nvmev_core_property_info(reg.size()), nullptr);
}

TEST(ParameterRegistry, ANamedValueOverridesTheFieldAndUnknownNamesAreRejected)
{
    NvmevConfig c = base();
    c.lba_size = 512;
    NvmevPropValue v[] = {{"lba-size", 4096, nullptr}, {"ssd", 0, "nvm"}};
    c.params = v;
    c.n_params = 2;
    std::string e;
    auto rc = resolve_config(c, e);
    ASSERT_TRUE(rc) << e;
    EXPECT_EQ(rc->lba_size, 4096u);

    NvmevPropValue bad{"no-such-property", 1, nullptr};
    c.params = &bad;
    c.n_params = 1;
    EXPECT_EQ(error_of(c).rfind("unknown property 'no-such-property'", 0), 0u);
}

TEST(ParameterRegistry, AnOnOffAutoPropertyByNameTakesOnOffOrAuto)
{
    NvmevConfig c = base();
    c.ssd = "conv";
    NvmevPropValue v{"early-completion", 0, "off"};
    c.params = &v;
    c.n_params = 1;
    std::string e;
    auto rc = resolve_config(c, e);
    ASSERT_TRUE(rc) << e;
    EXPECT_FALSE(rc->conv.early_completion);
    v.text = "auto";
    rc = resolve_config(c, e);
    ASSERT_TRUE(rc) << e;
    EXPECT_TRUE(rc->conv.early_completion);  // samsung-970pro's
    v.text = "maybe";
    EXPECT_EQ(error_of(c), "property 'early-completion': 'maybe' is not on, off or auto");
}

// nvmev-set-timing and query-nvmev's parameters come from the registry.
TEST(ParameterRegistry, RetuningAndReportingFollowTheNamespacesKind)
{
    nvmev::test::FakeHost host;
    const NvmevHostOps ops = host.ops();
    NvmevConfig c = base();
    c.ssd = "kv";
    c.capacity_bytes = 1 << 20;
    NvmevLayout layout{};
    char *err = nullptr;
    ASSERT_EQ(nvmev_core_layout(&c, &layout, &err), 0) << err;
    std::vector<uint8_t> backing(layout.data_bytes + layout.metadata_bytes);
    NvmevCore *core = nvmev_core_new(&c, &ops, &host, backing.data(), &err);
    ASSERT_NE(core, nullptr) << err;

    NvmevParam p{"nand-program-ns", 1};
    EXPECT_EQ(nvmev_core_set_timing(core, &p, 1, &err), -1);
    EXPECT_STREQ(err,
                 "'nand-program-ns' is not a timing parameter of ssd=kv (allowed: "
                 "read-latency-ns, write-latency-ns, read-bandwidth-mbps, write-bandwidth-mbps, "
                 "kv-index-latency-ns)");
    nvmev_core_free_error(err);
    p = {"kv-max-keys", 10};  // reported, but fixed at start-up
    EXPECT_EQ(nvmev_core_set_timing(core, &p, 1, &err), -1);
    nvmev_core_free_error(err);
    p = {"read-latency-ns", 777};
    ASSERT_EQ(nvmev_core_set_timing(core, &p, 1, &err), 0);

    std::map<std::string, int64_t> params;
    nvmev_core_foreach_param(
        core,
        [](void *opaque, const char *name, int64_t value) {
            (*static_cast<std::map<std::string, int64_t> *>(opaque))[name] = value;
        },
        &params);
    // Four simple-model timings, the three kv integers and checkpoint-interval-ms.
    EXPECT_EQ(params.size(), 8u);
    EXPECT_EQ(params["checkpoint-interval-ms"], 5000);
    EXPECT_EQ(params["read-latency-ns"], 777);
    EXPECT_EQ(params["kv-max-keys"], 256);
    EXPECT_EQ(params.count("channels"), 0u);
    nvmev_core_free(core);
}
