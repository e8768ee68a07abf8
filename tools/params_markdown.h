// The tables of docs/properties.md, rendered from the core's parameter
// registry (hw-nvmev/core/parameter_registry.h).
#pragma once

#include <string>
#include <vector>

namespace nvmev::tools {

struct GeneratedTable {
    std::string name;      // the marker's name in docs/properties.md
    std::string markdown;  // the table, one line per row, ending in '\n'
};

std::vector<GeneratedTable> property_tables();

// `doc` with the text between each table's markers replaced by the table;
// `missing` names markers the document lacks.
std::string with_tables(const std::string &doc, const std::vector<GeneratedTable> &tables,
                        std::vector<std::string> &missing);

}  // namespace nvmev::tools
