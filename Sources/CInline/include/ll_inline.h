#ifndef LL_INLINE_H
#define LL_INLINE_H

#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Helpers for the per-row loops that Swift cannot say itself: `static inline`, so Swift
/// inlines them into its loops.

/// A bit per byte of the 16 at `p` (bit i for byte i) that is `a`, `b`, `c` or `d`: for the CSV
/// scanner. (Swift's own SIMD comparisons compile to a loop over the lanes on this toolchain.)
/// SSE2 on x86-64; elsewhere a plain loop, which no benchmark here has measured.
static inline uint32_t ll_stops16(const uint8_t *p, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
#if defined(__SSE2__)
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i hit = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)a)), _mm_cmpeq_epi8(v, _mm_set1_epi8((char)b))),
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)c)), _mm_cmpeq_epi8(v, _mm_set1_epi8((char)d))));
    return (uint32_t)_mm_movemask_epi8(hit);
#else
    uint32_t mask = 0;
    for (int i = 0; i < 16; i++) {
        uint8_t x = p[i];
        if (x == a || x == b || x == c || x == d) mask |= 1u << i;
    }
    return mask;
#endif
}

/// A bit per byte of the 16 at `p` that has its high bit set (is not ASCII): for transcoding.
static inline uint32_t ll_high_bits16(const uint8_t *p) {
#if defined(__SSE2__)
    return (uint32_t)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)p));
#else
    uint32_t mask = 0;
    for (int i = 0; i < 16; i++) mask |= (uint32_t)(p[i] >> 7) << i;
    return mask;
#endif
}

/// Copies 16 bytes from `source` to `target`, which may not overlap.
static inline void ll_copy16(uint8_t *target, const uint8_t *source) {
    __builtin_memcpy(target, source, 16);
}

#endif
