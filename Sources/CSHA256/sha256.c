// SHA-256 (FIPS 180-4) for many short messages: one call a message, nothing allocated.
//
// ledgerlift hashes every document's content (about 170 bytes) to derive its reference, a
// million times a run. swift-crypto's SHA-256 allocates and clears a context object for
// every hash, which cost more than the hashing itself; this does the same hash with the state
// on the stack. The output is checked against swift-crypto's in the tests, for every length
// from 0 to 1,100 bytes on both paths below.

#include "ll_sha256.h"

#include <string.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t initial[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

typedef void (*blocks_function)(uint32_t state[8], const uint8_t *data, size_t blocks);

// MARK: Portable

static inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static inline uint32_t load_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks) {
    for (; blocks > 0; blocks--, data += 64) {
        uint32_t w[64];
        for (int i = 0; i < 16; i++) w[i] = load_be32(data + 4 * i);
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
            uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }
}

// MARK: x86-64 SHA extensions

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>
#include <immintrin.h>

#define LL_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

// Four rounds: the message words plus their constants, two rounds at a time.
#define LL_ROUNDS(words, group)                                                                    \
    do {                                                                                           \
        __m128i message = _mm_add_epi32((words), _mm_loadu_si128((const __m128i *)&K[4 * (group)])); \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, message);                                         \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(message, 0x0E));                \
    } while (0)

LL_SHA_TARGET
static void blocks_extensions(uint32_t state[8], const uint8_t *data, size_t blocks) {
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    // The instructions keep the state as ABEF and CDGH.
    __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);
    __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);
    __m128i abef = _mm_alignr_epi8(dcba, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, dcba, 0xF0);

    for (; blocks > 0; blocks--, data += 64) {
        const __m128i abefBefore = abef, cdghBefore = cdgh;
        // w[g % 4] holds words 4g to 4g+3 of the schedule.
        // Unrolled in full, so w[] lives in registers, not on the stack.
        __m128i w[4];
#pragma unroll
        for (int g = 0; g < 4; g++) {
            w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * g)), byteswap);
            LL_ROUNDS(w[g], g);
        }
#pragma unroll
        for (int g = 4; g < 16; g++) {
            __m128i sum = _mm_add_epi32(
                _mm_sha256msg1_epu32(w[g & 3], w[(g - 3) & 3]), _mm_alignr_epi8(w[(g - 1) & 3], w[(g - 2) & 3], 4));
            w[g & 3] = _mm_sha256msg2_epu32(sum, w[(g - 1) & 3]);
            LL_ROUNDS(w[g & 3], g);
        }
        abef = _mm_add_epi32(abef, abefBefore);
        cdgh = _mm_add_epi32(cdgh, cdghBefore);
    }

    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

static int has_extensions(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & bit_SSSE3) || !(c & bit_SSE4_1)) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & (1u << 29)) != 0;  // SHA
}
#endif

// MARK: Messages

static blocks_function chosen(void) {
    static blocks_function chosen_blocks = NULL;
    blocks_function blocks = __atomic_load_n(&chosen_blocks, __ATOMIC_RELAXED);
    if (blocks == NULL) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
        blocks = has_extensions() ? blocks_extensions : blocks_portable;
#else
        blocks = blocks_portable;
#endif
        __atomic_store_n(&chosen_blocks, blocks, __ATOMIC_RELAXED);
    }
    return blocks;
}

static void hash(blocks_function blocks, const void *data, size_t length, uint8_t digest[32]) {
    uint32_t state[8];
    memcpy(state, initial, sizeof state);
    const uint8_t *bytes = data;
    size_t whole = length / 64;
    if (whole > 0) blocks(state, bytes, whole);

    // The rest, 0x80, zeros, and the length in bits (big-endian) in the last 8 bytes.
    uint8_t tail[128];
    size_t rest = length - whole * 64;
    size_t tailLength = rest + 9 <= 64 ? 64 : 128;
    if (rest > 0) memcpy(tail, bytes + whole * 64, rest);
    tail[rest] = 0x80;
    memset(tail + rest + 1, 0, tailLength - rest - 1);
    uint64_t bits = (uint64_t)length * 8;
    for (int i = 0; i < 8; i++) tail[tailLength - 1 - i] = (uint8_t)(bits >> (8 * i));
    blocks(state, tail, tailLength / 64);

    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(state[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(state[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(state[i] >> 8);
        digest[4 * i + 3] = (uint8_t)state[i];
    }
}

void ll_sha256(const void *data, size_t length, uint8_t digest[32]) { hash(chosen(), data, length, digest); }

void ll_sha256_portable(const void *data, size_t length, uint8_t digest[32]) {
    hash(blocks_portable, data, length, digest);
}

int ll_sha256_accelerated(void) { return chosen() != blocks_portable; }
