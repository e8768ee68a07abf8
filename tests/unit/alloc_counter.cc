#include "alloc_counter.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

std::atomic<bool> g_armed{false};
std::atomic<uint64_t> g_allocations{0};

void *counted_alloc(std::size_t n, std::size_t align)
{
    if (g_armed.load(std::memory_order_relaxed)) {
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    }
    void *p = nullptr;
    if (align <= alignof(std::max_align_t)) {
        p = std::malloc(n ? n : 1);
    } else if (posix_memalign(&p, align, n ? n : 1) != 0) {
        p = nullptr;
    }
    return p;
}

void *counted_alloc_or_throw(std::size_t n, std::size_t align)
{
    if (void *p = counted_alloc(n, align)) {
        return p;
    }
    throw std::bad_alloc();
}

}  // namespace

// Every replaceable form, so no allocation escapes the count.
void *operator new(std::size_t n)
{
    return counted_alloc_or_throw(n, 0);
}
void *operator new[](std::size_t n)
{
    return counted_alloc_or_throw(n, 0);
}
void *operator new(std::size_t n, std::align_val_t a)
{
    return counted_alloc_or_throw(n, static_cast<std::size_t>(a));
}
void *operator new[](std::size_t n, std::align_val_t a)
{
    return counted_alloc_or_throw(n, static_cast<std::size_t>(a));
}
void *operator new(std::size_t n, const std::nothrow_t &) noexcept
{
    return counted_alloc(n, 0);
}
void *operator new[](std::size_t n, const std::nothrow_t &) noexcept
{
    return counted_alloc(n, 0);
}
void *operator new(std::size_t n, std::align_val_t a, const std::nothrow_t &) noexcept
{
    return counted_alloc(n, static_cast<std::size_t>(a));
}
void *operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t &) noexcept
{
    return counted_alloc(n, static_cast<std::size_t>(a));
}
void operator delete(void *p) noexcept
{
    std::free(p);
}
void operator delete[](void *p) noexcept
{
    std::free(p);
}
void operator delete(void *p, std::size_t) noexcept
{
    std::free(p);
}
void operator delete[](void *p, std::size_t) noexcept
{
    std::free(p);
}
void operator delete(void *p, std::align_val_t) noexcept
{
    std::free(p);
}
void operator delete[](void *p, std::align_val_t) noexcept
{
    std::free(p);
}
void operator delete(void *p, std::size_t, std::align_val_t) noexcept
{
    std::free(p);
}
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept
{
    std::free(p);
}
void operator delete(void *p, const std::nothrow_t &) noexcept
{
    std::free(p);
}
void operator delete[](void *p, const std::nothrow_t &) noexcept
{
    std::free(p);
}
void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept
{
    std::free(p);
}
void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept
{
    std::free(p);
}

namespace nvmev::test {

AllocationCount::AllocationCount()
{
    g_allocations = 0;
    g_armed = true;
}

AllocationCount::~AllocationCount()
{
    g_armed = false;
}

uint64_t AllocationCount::count()
{
    g_armed = false;
    return g_allocations;
}

}  // namespace nvmev::test
