// LD_PRELOAD library that counts heap allocations (malloc, calloc, realloc,
// aligned forms; operator new goes through malloc) and prints the total to
// stderr at exit:
//
//   LD_PRELOAD=build/bench/alloc_counter/libnexus_alloc_counter.so nexusd ...
//
// Allocations per routed message = difference of two runs that differ only in
// their length, divided by the difference in messages (setup cancels out);
// bench/alloc_counter/count-allocations.sh does that.
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace {
std::atomic<unsigned long long> allocations{0};

struct Report {
    ~Report() { std::fprintf(stderr, "alloc_counter: %llu allocations\n", allocations.load()); }
} report;
} // namespace

extern "C" {
void* malloc(std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(n);
}
void* calloc(std::size_t count, std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(count, n);
}
void* realloc(void* p, std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(p, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    void* p = __libc_memalign(alignment, n);
    if (!p) return 12; // ENOMEM
    *out = p;
    return 0;
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    return __libc_memalign(alignment, n);
}
}
