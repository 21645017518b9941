/* Internal to kernels/ops: what the AVX-512 conv files (conv_avx512.c, conv_wino_avx512.c) share.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_CONV_AVX512_PRIV_H
#define VG_CONV_AVX512_PRIV_H

#if defined(__GNUC__) && defined(__x86_64__)

#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512vl,fma")))

/* Lanes [0, n) of a 16-lane vector (n clamped to 0 .. 16). */
static inline AVX512 __mmask16 lanes(int n)
{
  return n >= 16 ? (__mmask16)0xffff : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

/* A store of lanes m: masked stores are much slower than plain ones on AMD's AVX-512 cores, so
 * they are kept to the partial vectors at the tails (8 lanes: a plain 256-bit store). */
static inline AVX512 void store16(float *p, __mmask16 m, __m512 v)
{
  if (m == (__mmask16)0xffff)
    _mm512_storeu_ps(p, v);
  else if (m == (__mmask16)0xff)
    _mm256_storeu_ps(p, _mm512_castps512_ps256(v));
  else
    _mm512_mask_storeu_ps(p, m, v);
}

#endif

#endif
