// Counts global operator new calls (alloc_counter.cc replaces every
// replaceable form for the whole test binary) while an AllocationCount is
// armed, so a test can assert that a code path allocates nothing.
#pragma once

#include <cstdint>

namespace nvmev::test {

// Arms the count on construction; count() disarms and returns it.
class AllocationCount {
public:
    AllocationCount();
    ~AllocationCount();
    uint64_t count();
};

}  // namespace nvmev::test
