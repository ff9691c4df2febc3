#ifndef LL_SHA256_H
#define LL_SHA256_H

#include <stddef.h>
#include <stdint.h>

/// SHA-256 (FIPS 180-4) of `length` bytes at `data`, written to `digest` (32 bytes).
///
/// One call, no allocation and no context to set up or clear: for hashing many short
/// messages. Uses the processor's SHA extensions when it has them (x86-64 SHA-NI), and
/// portable C otherwise.
void ll_sha256(const void *data, size_t length, uint8_t digest[32]);

/// The same, always through the portable C code: for tests that compare the two paths.
void ll_sha256_portable(const void *data, size_t length, uint8_t digest[32]);

/// 1 when `ll_sha256` uses the processor's SHA extensions.
int ll_sha256_accelerated(void);

#endif
