// CRC-32C with the CPU's own instructions (x86-64 SSE4.2; other CPUs use
// the table-driven code in Swift). The Swift side (CRC32C.swift)
// keeps the portable table-driven version and checks that both agree.
// The instructions are enabled per function (target attributes), so the
// rest of the program needs no special compiler flags, and the CPU is
// asked once at run time whether it has them.
#include "ccrc32c.h"
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

static int detect(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
}

__attribute__((target("sse4.2")))
uint32_t civitas_crc32c_hardware_update(uint32_t state, const void *bytes, size_t count) {
    const unsigned char *p = bytes;
    uint64_t c = state;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        count -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (count > 0) {
        c32 = __builtin_ia32_crc32qi(c32, *p);
        p += 1;
        count -= 1;
    }
    return c32;
}

#else
static int detect(void) { return 0; }

uint32_t civitas_crc32c_hardware_update(uint32_t state, const void *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return state; // never called: hardware_available() is 0
}
#endif

// The Swift side asks once and keeps the answer (a `static let`).
int civitas_crc32c_hardware_available(void) { return detect(); }
