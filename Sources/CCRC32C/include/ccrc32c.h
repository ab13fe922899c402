#ifndef CIVITAS_CCRC32C_H
#define CIVITAS_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 if this CPU computes CRC-32C in hardware (x86-64 with SSE4.2), 0
/// otherwise. Asks the CPU (cpuid) on every call; callers keep the answer.
int civitas_crc32c_hardware_available(void);

/// Continues a raw CRC-32C register (already inverted by the caller) over
/// `count` bytes with the CPU's CRC32C instructions. Only call it when
/// `civitas_crc32c_hardware_available()` returned 1.
uint32_t civitas_crc32c_hardware_update(uint32_t state, const void *bytes, size_t count);

#endif
