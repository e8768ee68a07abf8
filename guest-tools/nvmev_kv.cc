// nvmev-kv: stores, reads, lists and benchmarks keys on a key-value SSD
// (nvmev's ssd=kv) through Linux's NVMe passthrough, in either of its
// flavours: the NVMe 2.0 Key Value command set, or the Samsung vendor
// opcodes NVMeVirt uses. docs/kv.md describes it.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kv_bench.h"
#include "kv_client.h"
#include "kv_text.h"
#include "kv_transport.h"

namespace nvmev_kv {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitMissing = 1;
constexpr int kExitError = 2;
constexpr int kExitUsage = 64;
constexpr uint32_t kDefaultTransfer = 128 * 1024;  // the device's MDTS when none can be asked
constexpr uint32_t kDefaultListBuffer = 64 * 1024;

const char kUsage[] =
    "usage: nvmev-kv [--vendor|--standard] [--nsid N] [--dry-run] DEVICE COMMAND [ARGS]\n"
    "  put KEY (VALUE | --file F | --size N [--seed S]) [--if-exists|--if-absent|--append]\n"
    "  get KEY [--out F] [--buffer N] [--offset N]\n"
    "  delete KEY\n"
    "  exists KEY\n"
    "  list [START] [--prefix P] [--max N] [--buffer N]\n"
    "  batch (put KEY (VALUE | --file F) | delete KEY)...   vendor flavour, 1 to 8\n"
    "  bench [--ops N] [--keys K] [--value-size S] [--mix P:G:D:E] [--seed S] [--json]\n"
    "KEY: text, or hex after 0x. Sizes take K, M, G. The flavour is detected unless given.\n"
    "Exit status: 0 ok, 1 key does not exist (get, exists, delete), 2 other error, 64 usage.\n";

struct UsageError {
    std::string what;
};

[[noreturn]] void usage(std::string what)
{
    throw UsageError{std::move(what)};
}

// A command's arguments: positionals and --options, each option either a
// flag or taking the next argument as its value.
class Args {
public:
    Args(std::vector<std::string_view> argv, std::set<std::string_view> flags,
         std::set<std::string_view> valued)
    {
        for (size_t i = 0; i < argv.size(); i++) {
            const std::string_view a = argv[i];
            if (!a.starts_with("--")) {
                positional_.push_back(a);
            } else if (flags.contains(a)) {
                options_[a] = "";
            } else if (valued.contains(a) && i + 1 < argv.size()) {
                options_[a] = argv[++i];
            } else {
                usage(valued.contains(a) ? std::string(a) + " needs a value"
                                         : "unknown option " + std::string(a));
            }
        }
    }

    const std::vector<std::string_view> &positional() const { return positional_; }
    bool has(std::string_view name) const { return options_.contains(name); }
    std::string_view get(std::string_view name) const { return options_.at(name); }

    uint64_t size(std::string_view name, uint64_t fallback, uint64_t max) const
    {
        if (!has(name)) {
            return fallback;
        }
        const auto v = parse_size(get(name));
        if (!v || *v > max) {
            usage("bad " + std::string(name) + " '" + std::string(get(name)) + "'");
        }
        return *v;
    }

private:
    std::vector<std::string_view> positional_;
    std::map<std::string_view, std::string_view> options_;
};

Bytes key_arg(std::string_view text)
{
    const auto key = parse_key(text);
    if (!key) {
        usage("bad key '" + std::string(text) + "' (text, or 0x and pairs of hex digits)");
    }
    return *key;
}

Bytes read_file(std::string_view path)
{
    std::ifstream f{std::string(path), std::ios::binary};
    if (!f) {
        usage("cannot read " + std::string(path));
    }
    return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

struct Context {
    KvClient &kv;
    bool dry_run;
    uint32_t max_transfer;
};

// Prints why op failed; returns its exit status.
int failed(const Context &c, const char *op, const Reply &r, bool missing_is_1)
{
    if (r.err != 0) {
        std::fprintf(stderr, "nvmev-kv: %s: %s\n", op,
                     r.err == EBADMSG ? "malformed data from the device" : std::strerror(r.err));
        return kExitError;
    }
    std::fprintf(stderr, "nvmev-kv: %s: status 0x%x (%s)\n", op, r.status,
                 status_name(c.kv.flavour(), r.status));
    return missing_is_1 && c.kv.missing(r) ? kExitMissing : kExitError;
}

void one_positional(const Args &a, const char *what)
{
    if (a.positional().size() != 1) {
        usage(std::string("expected ") + what);
    }
}

int cmd_put(const Context &c, const std::vector<std::string_view> &argv)
{
    const Args a(argv, {"--if-exists", "--if-absent", "--append"}, {"--file", "--size", "--seed"});
    const size_t sources = a.positional().size() - 1 + a.has("--file") + a.has("--size");
    if (a.positional().empty() || sources != 1 || a.positional().size() > 2) {
        usage("put KEY needs one of VALUE, --file F, --size N");
    }
    if (a.has("--if-exists") + a.has("--if-absent") + a.has("--append") > 1) {
        usage("--if-exists, --if-absent and --append exclude each other");
    }
    const PutMode mode = a.has("--if-exists")   ? PutMode::if_exists
                         : a.has("--if-absent") ? PutMode::if_absent
                         : a.has("--append")    ? PutMode::append
                                                : PutMode::plain;
    if (mode == PutMode::append && c.kv.flavour() != Flavour::vendor) {
        usage("--append needs the vendor flavour");
    }
    if (mode == PutMode::if_exists && c.kv.flavour() != Flavour::standard) {
        usage("--if-exists needs the standard flavour");
    }
    Bytes value;
    if (a.has("--file")) {
        value = read_file(a.get("--file"));
    } else if (a.has("--size")) {
        value = pattern(a.size("--size", 0, std::numeric_limits<int32_t>::max()),
                        a.size("--seed", 1, UINT64_MAX));
    } else {
        value.assign(a.positional()[1].begin(), a.positional()[1].end());
    }
    const Reply r = c.kv.put(key_arg(a.positional()[0]), value, mode);
    return r.ok() ? kExitOk : failed(c, "put", r, false);
}

int cmd_get(const Context &c, const std::vector<std::string_view> &argv)
{
    const Args a(argv, {}, {"--out", "--buffer", "--offset"});
    one_positional(a, "get KEY");
    GetOptions g;
    g.offset = static_cast<uint32_t>(a.size("--offset", 0, UINT32_MAX));
    if (g.offset != 0 && c.kv.flavour() != Flavour::vendor) {
        usage("--offset needs the vendor flavour");
    }
    if (g.offset != 0 && !c.dry_run) {
        // Linux's passthrough ioctl owns CDW4..9 (metadata and data pointers).
        usage("--offset goes in CDW4, which Linux's passthrough cannot set (see --dry-run)");
    }
    g.buffer = static_cast<uint32_t>(a.size("--buffer", c.max_transfer, UINT32_MAX));
    g.grow_to = a.has("--buffer") ? 0 : c.max_transfer;
    Bytes value;
    const Reply r = c.kv.get(key_arg(a.positional()[0]), g, value);
    if (!r.ok()) {
        return failed(c, "get", r, true);
    }
    FILE *out = stdout;
    if (a.has("--out") &&
        (out = std::fopen(std::string(a.get("--out")).c_str(), "wb")) == nullptr) {
        std::fprintf(stderr, "nvmev-kv: get: %s: %s\n", std::string(a.get("--out")).c_str(),
                     std::strerror(errno));
        return kExitError;
    }
    const bool written = std::fwrite(value.data(), 1, value.size(), out) == value.size();
    if ((out != stdout && std::fclose(out) != 0) || !written) {
        std::fprintf(stderr, "nvmev-kv: get: writing the value failed\n");
        return kExitError;
    }
    const uint32_t rest = r.dw0 > g.offset ? r.dw0 - g.offset : 0;
    if (value.size() < rest) {
        std::fprintf(stderr, "size %u (returned %zu)\n", r.dw0, value.size());
    } else {
        std::fprintf(stderr, "size %u\n", r.dw0);
    }
    return kExitOk;
}

int cmd_delete(const Context &c, const std::vector<std::string_view> &argv)
{
    const Args a(argv, {}, {});
    one_positional(a, "delete KEY");
    const Reply r = c.kv.remove(key_arg(a.positional()[0]));
    return r.ok() ? kExitOk : failed(c, "delete", r, true);
}

int cmd_exists(const Context &c, const std::vector<std::string_view> &argv)
{
    const Args a(argv, {}, {});
    one_positional(a, "exists KEY");
    const Reply r = c.kv.exists(key_arg(a.positional()[0]));
    if (c.kv.missing(r)) {
        std::printf("does not exist\n");
        return kExitMissing;
    }
    if (!r.ok()) {
        return failed(c, "exists", r, true);
    }
    std::printf("exists\n");
    return kExitOk;
}

int cmd_list(const Context &c, const std::vector<std::string_view> &argv)
{
    const Args a(argv, {}, {"--prefix", "--max", "--buffer"});
    if (a.positional().size() > 1) {
        usage("list takes at most a START key");
    }
    const Bytes start = a.positional().empty() ? Bytes{} : key_arg(a.positional()[0]);
    const Bytes prefix = a.has("--prefix") ? key_arg(a.get("--prefix")) : Bytes{};
    const size_t max = a.size("--max", SIZE_MAX, SIZE_MAX);
    const auto buffer = static_cast<uint32_t>(
        a.size("--buffer", std::min(kDefaultListBuffer, c.max_transfer), c.max_transfer));
    if (buffer < 4) {
        usage("--buffer must hold at least the 4-byte count");
    }
    std::vector<Bytes> keys;
    const Reply r = c.kv.list(start, prefix, max, keys, buffer);
    for (const Bytes &k : keys) {
        std::printf("%s\n", format_key(k).c_str());
    }
    return r.ok() ? kExitOk : failed(c, "list", r, false);
}

int cmd_batch(const Context &c, const std::vector<std::string_view> &argv)
{
    if (c.kv.flavour() != Flavour::vendor) {
        usage("batch needs the vendor flavour");
    }
    std::vector<vendor::BatchOp> ops;
    for (size_t i = 0; i < argv.size();) {
        vendor::BatchOp op;
        if (argv[i] == "put" && i + 2 < argv.size()) {
            op.key = key_arg(argv[i + 1]);
            if (argv[i + 2] == "--file" && i + 3 < argv.size()) {
                op.value = read_file(argv[i + 3]);
                i += 4;
            } else {
                op.value.assign(argv[i + 2].begin(), argv[i + 2].end());
                i += 3;
            }
        } else if (argv[i] == "delete" && i + 1 < argv.size()) {
            op.store = false;
            op.key = key_arg(argv[i + 1]);
            i += 2;
        } else {
            usage("batch takes 'put KEY (VALUE | --file F)' and 'delete KEY'");
        }
        ops.push_back(std::move(op));
    }
    if (ops.empty() || ops.size() > vendor::kMaxBatch) {
        usage("batch takes 1 to 8 sub-commands");
    }
    const Reply r = c.kv.batch(ops);
    return r.ok() ? kExitOk : failed(c, "batch", r, false);
}

int cmd_bench(const Context &c, const std::vector<std::string_view> &argv)
{
    if (c.dry_run) {
        usage("bench does not dry-run");
    }
    const Args a(argv, {"--json"}, {"--ops", "--keys", "--value-size", "--mix", "--seed"});
    if (!a.positional().empty()) {
        usage("bench takes options only");
    }
    BenchOptions o;
    o.ops = a.size("--ops", o.ops, UINT64_MAX);
    o.keys = static_cast<uint32_t>(a.size("--keys", o.keys, kBenchMaxKeys));
    o.value_size = static_cast<uint32_t>(a.size("--value-size", o.value_size, c.max_transfer));
    o.seed = a.size("--seed", o.seed, UINT64_MAX);
    o.json = a.has("--json");
    if (a.has("--mix")) {
        const std::string mix(a.get("--mix"));
        unsigned p, g, d, e;
        char end;
        if (std::sscanf(mix.c_str(), "%u:%u:%u:%u%c", &p, &g, &d, &e, &end) != 4) {
            usage("--mix is PUT:GET:DELETE:EXISTS, e.g. 50:40:5:5");
        }
        o.mix = {p, g, d, e};
    }
    if (o.keys == 0 || o.value_size == 0 || o.mix[0] + o.mix[1] + o.mix[2] + o.mix[3] == 0) {
        usage("bench needs keys, a value size and a mix above 0");
    }
    return run_bench(c.kv, o, stdout, stderr) == 0 ? kExitOk : kExitMissing;
}

using Handler = int (*)(const Context &, const std::vector<std::string_view> &);
const std::map<std::string_view, Handler> kCommands = {
    {"put", cmd_put},   {"get", cmd_get},     {"delete", cmd_delete}, {"exists", cmd_exists},
    {"list", cmd_list}, {"batch", cmd_batch}, {"bench", cmd_bench},
};

struct Global {
    std::optional<Flavour> flavour;
    std::optional<uint32_t> nsid;
    bool dry_run = false;
    std::string device;
    Handler handler = nullptr;
    std::vector<std::string_view> args;
};

Global parse_global(int argc, char **argv)
{
    Global g;
    int i = 1;
    for (; i < argc && std::string_view(argv[i]).starts_with("--"); i++) {
        const std::string_view a = argv[i];
        if (a == "--vendor" || a == "--standard") {
            g.flavour = a == "--vendor" ? Flavour::vendor : Flavour::standard;
        } else if (a == "--dry-run") {
            g.dry_run = true;
        } else if (a == "--nsid" && i + 1 < argc) {
            const auto n = parse_size(argv[++i]);
            if (!n || *n == 0 || *n > UINT32_MAX) {
                usage("bad --nsid");
            }
            g.nsid = static_cast<uint32_t>(*n);
        } else {
            usage("unknown option " + std::string(a));
        }
    }
    if (argc - i < 2) {
        usage("");
    }
    g.device = argv[i];
    const auto it = kCommands.find(argv[i + 1]);
    if (it == kCommands.end()) {
        usage("unknown command " + std::string(argv[i + 1]));
    }
    g.handler = it->second;
    g.args.assign(argv + i + 2, argv + argc);
    return g;
}

int run(int argc, char **argv)
{
    const Global g = parse_global(argc, argv);
    if (g.dry_run) {
        // Nothing is opened: the flavour and NSID are the given ones or the defaults.
        DryRunTransport t(stdout);
        KvClient kv(t, g.flavour.value_or(Flavour::standard), g.nsid.value_or(1));
        return g.handler(Context{kv, true, kDefaultTransfer}, g.args);
    }
    const int fd = open(g.device.c_str(), O_RDONLY);
    if (fd < 0) {
        std::fprintf(stderr, "nvmev-kv: %s: %s\n", g.device.c_str(), std::strerror(errno));
        return kExitError;
    }
    const uint32_t nsid = g.nsid ? *g.nsid : namespace_id(fd).value_or(1);
    const auto flavour = g.flavour ? g.flavour : detect_flavour(fd, nsid);
    if (!flavour) {
        std::fprintf(stderr, "nvmev-kv: %s: Identify failed; give --standard or --vendor\n",
                     g.device.c_str());
        close(fd);
        return kExitError;
    }
    IoctlTransport t(fd);
    KvClient kv(t, *flavour, nsid);
    const int rc =
        g.handler(Context{kv, false, max_transfer(fd).value_or(kDefaultTransfer)}, g.args);
    close(fd);
    return rc;
}

}  // namespace
}  // namespace nvmev_kv

int main(int argc, char **argv)
{
    try {
        return nvmev_kv::run(argc, argv);
    } catch (const nvmev_kv::UsageError &e) {
        if (!e.what.empty()) {
            std::fprintf(stderr, "nvmev-kv: %s\n", e.what.c_str());
        }
        std::fputs(nvmev_kv::kUsage, stderr);
        return nvmev_kv::kExitUsage;
    }
}
