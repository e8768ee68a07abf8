// Microbenchmark of the controller core on one host core: commands per
// second through SQ fetch, PRP walking, data copy, the FTL and timing model,
// completion posting and interrupts, with an ssd=nvm device that costs no
// simulated time (zero latency, huge bandwidth), driven by a lean host
// (bench_host.h). BM_Memcpy/<dir>/<size> copies the same bytes between the
// same buffers with the same rotation: one data copy per command is the
// bound, and the ratio of the two is the core's efficiency. The summary at
// the end of a console run prints that ratio per pair.
//
// BM_CoreGroups/<dir>/<size>/threads:N runs the same device with two queue
// groups (as two IOThreads of iothread-vq-mapping), each thread driving its
// own queue pair and group with half the batch: with the data copies made
// outside the core's lock, two threads move up to twice the commands of one.
//
// The host has a trace callback, as QEMU's has; every event is off (trace
// mask 0, QEMU with no nvmev_* event enabled) but in BM_CoreTraced, where
// every one is on and the callback only counts them: the cost of building
// and handing over the typed events.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench_host.h"
#include "nvmev_core.h"
#include "spec.h"

namespace {

using nvmev::Sqe;
using nvmev::bench::BenchHost;
using nvmev::bench::QueuePair;

// Larger than the last-level cache, so the backing store is read from and
// written to DRAM as a real workload's would be.
constexpr uint64_t kDeviceBytes = uint64_t{256} << 20;
constexpr uint32_t kLbaSize = 4096;
constexpr uint32_t kDepth = 256;
constexpr uint32_t kBatch = 128;  // commands per iteration (queue depth in flight)
constexpr uint32_t kMaxIo = 128 << 10;

// Guest memory layout.
constexpr uint64_t kAdminBase = 0x1000;  // ASQ = 0 reads as unset
constexpr uint64_t kSqBase = 0x10000;
constexpr uint64_t kCqBase = 0x20000;
constexpr uint64_t kPrpListBase = 0x100000;  // one list page per slot
constexpr uint64_t kDataBase = 0x400000;     // kMaxIo per slot
constexpr uint64_t kRamBytes = kDataBase + uint64_t{kBatch} * kMaxIo;

uint64_t data_addr(uint32_t slot)
{
    return kDataBase + uint64_t{slot} * kMaxIo;
}
uint64_t sq_base(uint16_t qid)
{
    return kSqBase + uint64_t{qid - 1u} * kDepth * sizeof(Sqe);
}
uint64_t cq_base(uint16_t qid)
{
    return kCqBase + uint64_t{qid - 1u} * kDepth * sizeof(nvmev::Cqe);
}

// Allocated and faulted in once: the library runs each benchmark several
// times and page faults must not count.
struct Memory {
    std::vector<uint8_t> backing = std::vector<uint8_t>(kDeviceBytes, 0);
    std::vector<uint8_t> ram = std::vector<uint8_t>(kRamBytes, 0);
};
Memory &memory()
{
    static Memory m;
    return m;
}

// An ssd=nvm device whose timing model adds no simulated time worth
// waiting for, with one I/O queue pair of kDepth entries per queue group.
class Device {
public:
    explicit Device(uint16_t groups = 1, uint64_t trace_mask = 0)
        : host_(memory().ram.data(), kRamBytes)
    {
        NvmevConfig c{};
        c.ssd = "nvm";
        c.capacity_bytes = kDeviceBytes;
        c.lba_size = kLbaSize;
        c.mdts = 0;  // no limit
        c.max_ioqpairs = groups;
        c.read_latency_ns = 0;
        c.write_latency_ns = 0;
        c.read_bandwidth_mbps = 1000000;
        c.write_bandwidth_mbps = 1000000;
        c.msix_vectors = static_cast<uint16_t>(groups + 1);
        ops_ = host_.ops();
        char *err = nullptr;
        core_ = nvmev_core_new(&c, &ops_, &host_, memory().backing.data(), &err);
        if (!core_) {
            error_ = err ? err : "nvmev_core_new failed";
            nvmev_core_free_error(err);
            return;
        }
        nvmev_core_set_msix(core_, 1);
        nvmev_core_set_trace_mask(core_, trace_mask);
        const std::vector<uint16_t> pair_group = {0, 1, 2, 3};
        if (groups > 1 && nvmev_core_map_queues(core_, groups, pair_group.data(), groups, &err)) {
            error_ = err ? err : "nvmev_core_map_queues failed";
            nvmev_core_free_error(err);
            return;
        }
        if (!nvmev::bench::enable_with_io_queues(host_, core_, kAdminBase, kDepth, groups, sq_base,
                                                 cq_base)) {
            error_ = "controller setup failed";
            return;
        }
        for (uint16_t q = 1; q <= groups; q++) {
            io_.emplace_back(host_, core_, q, kDepth, sq_base(q), cq_base(q), q - 1u);
        }
    }
    ~Device() { nvmev_core_free(core_); }

    const std::string &error() const { return error_; }
    QueuePair &io(unsigned group = 0) { return io_[group]; }

private:
    BenchHost host_;
    NvmevHostOps ops_{};
    NvmevCore *core_ = nullptr;
    std::string error_;
    std::vector<QueuePair> io_;  // one per group
};

// Slot i's PRP list names the pages of its buffer after the first, as a
// driver builds it; the buffers never move, so the lists are built once.
void build_prp_lists()
{
    uint8_t *ram = memory().ram.data();
    for (uint32_t slot = 0; slot < kBatch; slot++) {
        for (uint32_t p = 1; p < kMaxIo / nvmev::kPageSize; p++) {
            const uint64_t entry = data_addr(slot) + uint64_t{p} * nvmev::kPageSize;
            std::memcpy(ram + kPrpListBase + slot * nvmev::kPageSize + (p - 1) * 8, &entry, 8);
        }
    }
}

// Walks the device sequentially, wrapping at its end.
struct Cursor {
    uint64_t offset = 0;
    uint64_t take(uint32_t bytes)
    {
        if (offset + bytes > kDeviceBytes) {
            offset = 0;
        }
        const uint64_t o = offset;
        offset += bytes;
        return o;
    }
};

// Commands on buffer slots [first, first + count).
void submit_batch(QueuePair &io, bool write, uint32_t bytes, Cursor &cursor, uint32_t first = 0,
                  uint32_t count = kBatch)
{
    for (uint32_t slot = first; slot < first + count; slot++) {
        Sqe &s = io.next();
        const uint64_t slba = cursor.take(bytes) / kLbaSize;
        s.opcode = write ? nvme_cmd_write : nvme_cmd_read;
        s.nsid = 1;
        s.prp1 = data_addr(slot);
        if (bytes > 2 * nvmev::kPageSize) {
            s.prp2 = kPrpListBase + slot * nvmev::kPageSize;
        } else if (bytes > nvmev::kPageSize) {
            s.prp2 = s.prp1 + nvmev::kPageSize;
        }
        s.cdw10 = static_cast<uint32_t>(slba);
        s.cdw11 = static_cast<uint32_t>(slba >> 32);
        s.cdw12 = bytes / kLbaSize - 1;
    }
    io.ring();
}

// Reads back what the core moved, once, before timing: a benchmark of a
// core that copies the wrong bytes would be worthless.
bool check_data(Device &dev, bool write, uint32_t bytes)
{
    uint8_t *ram = memory().ram.data();
    uint8_t *backing = memory().backing.data();
    for (uint32_t i = 0; i < kBatch * bytes; i++) {
        const auto v = static_cast<uint8_t>(i * 7 + (i >> 12) + (write ? 1 : 2));
        uint8_t *dst = write ? ram + data_addr(i / bytes) + i % bytes : backing + i;
        *dst = v;
    }
    Cursor from_zero;
    submit_batch(dev.io(), write, bytes, from_zero);
    if (dev.io().complete(kBatch) != 0) {
        return false;
    }
    for (uint32_t slot = 0; slot < kBatch; slot++) {
        if (std::memcmp(ram + data_addr(slot), backing + uint64_t{slot} * bytes, bytes) != 0) {
            return false;
        }
    }
    return true;
}

void BM_Core(benchmark::State &state, bool write, uint32_t bytes, uint64_t trace_mask)
{
    build_prp_lists();
    Device dev(1, trace_mask);
    if (!dev.error().empty()) {
        state.SkipWithError(dev.error().c_str());
        return;
    }
    if (!check_data(dev, write, bytes)) {
        state.SkipWithError("data did not arrive where it belongs");
        return;
    }
    Cursor cursor;
    for (auto _ : state) {
        submit_batch(dev.io(), write, bytes, cursor);
        if (dev.io().complete(kBatch) != 0) {
            state.SkipWithError("a command failed or never completed");
            break;
        }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatch);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBatch * bytes);
}

// The two-group device of a BM_CoreGroups run, shared by its threads: made
// (and its data path checked) before they start, freed after they end.
std::unique_ptr<Device> groups_device;
std::string groups_error;

void setup_groups(const benchmark::State &)
{
    groups_device = std::make_unique<Device>(2);
    groups_error = groups_device->error();
    if (groups_error.empty() &&
        !(check_data(*groups_device, false, 4096) && check_data(*groups_device, true, 4096))) {
        groups_error = "data did not arrive where it belongs";
    }
}

void teardown_groups(const benchmark::State &)
{
    groups_device.reset();
}

void BM_CoreGroups(benchmark::State &state, bool write, uint32_t bytes)
{
    if (!groups_error.empty()) {
        state.SkipWithError(groups_error.c_str());
        return;
    }
    Device &dev = *groups_device;
    const auto t = static_cast<unsigned>(state.thread_index());
    constexpr uint32_t kHalf = kBatch / 2;
    QueuePair &io = dev.io(t);
    Cursor cursor{t * (kDeviceBytes / 2)};
    for (auto _ : state) {
        submit_batch(io, write, bytes, cursor, t * kHalf, kHalf);
        if (io.complete(kHalf) != 0) {
            state.SkipWithError("a command failed or never completed");
            break;
        }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kHalf);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kHalf * bytes);
}

void BM_Memcpy(benchmark::State &state, bool write, uint32_t bytes)
{
    uint8_t *ram = memory().ram.data();
    uint8_t *backing = memory().backing.data();
    Cursor cursor;
    for (auto _ : state) {
        for (uint32_t slot = 0; slot < kBatch; slot++) {
            uint8_t *device = backing + cursor.take(bytes);
            uint8_t *guest = ram + data_addr(slot);
            if (write) {
                std::memcpy(device, guest, bytes);
            } else {
                std::memcpy(guest, device, bytes);
            }
        }
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatch);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBatch * bytes);
}

// The console report, then core/memcpy items per second for each pair
// (the median when repetitions are aggregated).
class RatioReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run> &runs) override
    {
        ConsoleReporter::ReportRuns(runs);
        for (const Run &r : runs) {
            const auto it = r.counters.find("items_per_second");
            if (r.error_occurred || it == r.counters.end()) {
                continue;
            }
            const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
            if (median || r.run_type == Run::RT_Iteration) {
                const std::string &threads = r.run_name.threads;
                rate_[r.run_name.function_name + (threads.empty() ? "" : "/" + threads)] =
                    it->second;
            }
        }
    }
    void Finalize() override
    {
        ConsoleReporter::Finalize();
        std::FILE *out = stdout;
        std::fprintf(out, "\n%-16s %14s %14s %8s\n", "core/memcpy", "core cmd/s", "memcpy cmd/s",
                     "ratio");
        for (const auto &[name, core] : rate_) {
            const std::string prefix = "BM_Core/";
            if (name.rfind(prefix, 0) != 0) {
                continue;
            }
            const std::string pair = name.substr(prefix.size());
            const auto m = rate_.find("BM_Memcpy/" + pair);
            if (m == rate_.end() || m->second <= 0) {
                continue;
            }
            std::fprintf(out, "%-16s %14.0f %14.0f %7.1f%%\n", pair.c_str(), core, m->second,
                         100.0 * core / m->second);
        }
        std::fprintf(out, "\n%-16s %14s %14s %8s\n", "two groups", "1 thread cmd/s",
                     "2 threads cmd/s", "scaling");
        for (const auto &[name, one] : rate_) {
            const std::string prefix = "BM_CoreGroups/", suffix = "/threads:1";
            if (name.rfind(prefix, 0) != 0 || name.size() < suffix.size() ||
                name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
                continue;
            }
            const std::string base = name.substr(0, name.size() - suffix.size());
            const auto two = rate_.find(base + "/threads:2");
            if (two == rate_.end() || one <= 0) {
                continue;
            }
            std::fprintf(out, "%-16s %14.0f %14.0f %7.2fx\n", base.substr(prefix.size()).c_str(),
                         one, two->second, two->second / one);
        }
    }

private:
    std::map<std::string, double> rate_;
};

}  // namespace

int main(int argc, char **argv)
{
    for (const bool write : {false, true}) {
        for (const uint32_t bytes : {4096u, 131072u}) {
            const std::string suffix =
                std::string(write ? "write/" : "read/") + (bytes == 4096 ? "4K" : "128K");
            benchmark::RegisterBenchmark(("BM_Core/" + suffix).c_str(), BM_Core, write, bytes,
                                         uint64_t{0});
            benchmark::RegisterBenchmark(("BM_CoreTraced/" + suffix).c_str(), BM_Core, write, bytes,
                                         uint64_t{NVMEV_TRACE_ALL});
            benchmark::RegisterBenchmark(("BM_Memcpy/" + suffix).c_str(), BM_Memcpy, write, bytes);
            benchmark::RegisterBenchmark(("BM_CoreGroups/" + suffix).c_str(), BM_CoreGroups, write,
                                         bytes)
                ->Setup(setup_groups)
                ->Teardown(teardown_groups)
                ->Threads(1)
                ->Threads(2)
                ->UseRealTime();
        }
    }
    // Another --benchmark_format keeps its own reporter (no summary). Looked
    // for before Initialize(), which removes the flags it takes from argv.
    bool console = true;
    for (int i = 1; i < argc; i++) {
        console &= std::strncmp(argv[i], "--benchmark_format", 18) != 0 ||
                   std::strcmp(argv[i], "--benchmark_format=console") == 0;
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    if (console) {
        RatioReporter reporter;
        benchmark::RunSpecifiedBenchmarks(&reporter);
    } else {
        benchmark::RunSpecifiedBenchmarks();
    }
    benchmark::Shutdown();
    return 0;
}
