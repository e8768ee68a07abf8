// nvmev-params: the device parameters, from the core's registry.
//
//   nvmev-params --markdown          every docs table, with its markers
//   nvmev-params --check FILE        exit 1 if FILE's tables differ
//   nvmev-params --update FILE       rewrite FILE's tables
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "params_markdown.h"

namespace {

int usage()
{
    std::fprintf(stderr, "usage: nvmev-params --markdown | --check FILE | --update FILE\n");
    return 2;
}

int check_or_update(const std::string &mode, const char *path)
{
    std::ifstream in(path);
    if (!in) {
        std::fprintf(stderr, "nvmev-params: cannot read %s\n", path);
        return 2;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string doc = buf.str();
    std::vector<std::string> missing;
    const std::string want =
        nvmev::tools::with_tables(doc, nvmev::tools::property_tables(), missing);
    for (const auto &m : missing) {
        std::fprintf(stderr, "nvmev-params: %s has no markers for table '%s'\n", path, m.c_str());
    }
    if (mode == "--update") {
        std::ofstream(path) << want;
        return missing.empty() ? 0 : 1;
    }
    if (want != doc || !missing.empty()) {
        std::fprintf(stderr,
                     "nvmev-params: the tables in %s differ from the parameter registry; run "
                     "nvmev-params --update %s\n",
                     path, path);
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char **argv)
{
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "--markdown" && argc == 2) {
        for (const auto &t : nvmev::tools::property_tables()) {
            std::cout << "<!-- " << t.name << " -->\n" << t.markdown << "\n";
        }
        return 0;
    }
    if ((mode == "--check" || mode == "--update") && argc == 3) {
        return check_or_update(mode, argv[2]);
    }
    return usage();
}
