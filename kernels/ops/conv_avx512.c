/* AVX-512 kernels of the 1-D conv (see conv_simd.h): the register-blocked micro-kernels (the
 * Winograd transforms are in conv_wino_avx512.c). Every function that uses AVX-512 carries the
 * target attribute, so this file builds with the project's baseline flags and the rest of the
 * library stays runnable on any x86-64; conv_simd.c calls these only when vg_conv_kernels() picks
 * them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "conv_avx512_priv.h"
#include "conv_simd.h"

#if defined(__GNUC__) && defined(__x86_64__)

int vg_conv_avx512_available(void)
{
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
}

/* The 32 bias values of a block (zeros without a bias: Winograd's point products). */
static inline __attribute__((always_inline)) AVX512 void bias32(const float *bias, __m512 *b0,
                                                                __m512 *b1)
{
  *b0 = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
  *b1 = bias ? _mm512_loadu_ps(bias + 16) : _mm512_setzero_ps();
}

/* One output row of a 32-channel block: Relu if asked (max(0, x) returns its second operand when
 * one is NaN: NaN stays, as in vg_relu), then the lanes of m0 and m1 stored. */
static inline __attribute__((always_inline)) AVX512 void
store_row32(float *c, __m512 s0, __m512 s1, __mmask16 m0, __mmask16 m1, int relu)
{
  if (relu) {
    s0 = _mm512_max_ps(_mm512_setzero_ps(), s0);
    s1 = _mm512_max_ps(_mm512_setzero_ps(), s1);
  }
  store16(c, m0, s0);
  store16(c + 16, m1, s1);
}

/* The micro-kernel body for a compile-time row count R: 2R accumulators stay in registers over
 * the whole reduction (taps x n channels); each step loads one 32-channel weight row (2 zmm) and
 * broadcasts one input value per row. The reduction order per output is fixed (tap, then
 * channel), the same for every R, so a result does not depend on how the rows were blocked.
 * NV = 1 serves blocks of at most 16 channels (convs with 8 or 16 outputs): one accumulator per
 * row, half the multiplies and no stores of empty lanes. */
static inline __attribute__((always_inline)) AVX512 void
uk_body(const int R, const int NV, const float *a, int64_t lda, int64_t tap, int64_t taps,
        int64_t n, const float *b, const float *bias, float *c, int64_t ldc, int width, int relu)
{
  __m512 acc0[VG_UK_ROWS], acc1[VG_UK_ROWS];
#pragma GCC unroll 14
  for (int r = 0; r < R; r++) {
    acc0[r] = _mm512_setzero_ps();
    acc1[r] = _mm512_setzero_ps();
  }
  for (int64_t t = 0; t < taps; t++) {
    const float *ap = a + t * tap;
    const float *bp = b + t * n * VG_UK_CO;
    for (int64_t i = 0; i < n; i++) {
      __m512 w0 = _mm512_load_ps(bp + i * VG_UK_CO);
      __m512 w1 = NV == 2 ? _mm512_load_ps(bp + i * VG_UK_CO + 16) : w0;
#pragma GCC unroll 14
      for (int r = 0; r < R; r++) {
        __m512 x = _mm512_set1_ps(ap[r * lda + i]);
        acc0[r] = _mm512_fmadd_ps(x, w0, acc0[r]);
        if (NV == 2)
          acc1[r] = _mm512_fmadd_ps(x, w1, acc1[r]);
      }
    }
  }
  __mmask16 m0 = lanes(width), m1 = lanes(width - 16);
  if (bias) { /* none for Winograd's point products: 2R adds saved per call */
    __m512 b0 = _mm512_loadu_ps(bias), b1 = _mm512_loadu_ps(bias + 16);
#pragma GCC unroll 14
    for (int r = 0; r < R; r++) {
      acc0[r] = _mm512_add_ps(acc0[r], b0);
      acc1[r] = _mm512_add_ps(acc1[r], b1);
    }
  }
  if (relu) {
    /* max(0, x) returns its second operand when one is NaN: NaN stays, as in vg_relu */
#pragma GCC unroll 14
    for (int r = 0; r < R; r++) {
      acc0[r] = _mm512_max_ps(_mm512_setzero_ps(), acc0[r]);
      acc1[r] = _mm512_max_ps(_mm512_setzero_ps(), acc1[r]);
    }
  }
#pragma GCC unroll 14
  for (int r = 0; r < R; r++) {
    store16(c + r * ldc, m0, acc0[r]);
    if (NV == 2)
      store16(c + r * ldc + 16, m1, acc1[r]);
  }
}

/* Few rows: 2R accumulator chains would each wait for the previous FMA (4 cycles of latency per
 * reduction step). S sets of accumulators take the channels in turn (i % S), so 2RS chains run at
 * once; the sets are added at the end. */
static inline __attribute__((always_inline)) AVX512 void
uk_body_split(const int R, const int S, const float *a, int64_t lda, int64_t tap, int64_t taps,
              int64_t n, const float *b, const float *bias, float *c, int64_t ldc, int width,
              int relu)
{
  __m512 acc0[4][2], acc1[4][2];
#pragma GCC unroll 4
  for (int q = 0; q < S; q++)
#pragma GCC unroll 2
    for (int r = 0; r < R; r++)
      acc0[q][r] = acc1[q][r] = _mm512_setzero_ps();
  for (int64_t t = 0; t < taps; t++) {
    const float *ap = a + t * tap;
    const float *bp = b + t * n * VG_UK_CO;
    int64_t i = 0;
    for (; i + S <= n; i += S) {
#pragma GCC unroll 4
      for (int q = 0; q < S; q++) {
        __m512 w0 = _mm512_load_ps(bp + (i + q) * VG_UK_CO);
        __m512 w1 = _mm512_load_ps(bp + (i + q) * VG_UK_CO + 16);
#pragma GCC unroll 2
        for (int r = 0; r < R; r++) {
          __m512 x = _mm512_set1_ps(ap[r * lda + i + q]);
          acc0[q][r] = _mm512_fmadd_ps(x, w0, acc0[q][r]);
          acc1[q][r] = _mm512_fmadd_ps(x, w1, acc1[q][r]);
        }
      }
    }
    for (; i < n; i++) {
      __m512 w0 = _mm512_load_ps(bp + i * VG_UK_CO);
      __m512 w1 = _mm512_load_ps(bp + i * VG_UK_CO + 16);
#pragma GCC unroll 2
      for (int r = 0; r < R; r++) {
        __m512 x = _mm512_set1_ps(ap[r * lda + i]);
        acc0[0][r] = _mm512_fmadd_ps(x, w0, acc0[0][r]);
        acc1[0][r] = _mm512_fmadd_ps(x, w1, acc1[0][r]);
      }
    }
  }
  __m512 b0, b1;
  bias32(bias, &b0, &b1);
  __mmask16 m0 = lanes(width), m1 = lanes(width - 16);
#pragma GCC unroll 2
  for (int r = 0; r < R; r++) {
    __m512 s0 = b0, s1 = b1;
#pragma GCC unroll 4
    for (int q = 0; q < S; q++) {
      s0 = _mm512_add_ps(s0, acc0[q][r]);
      s1 = _mm512_add_ps(s1, acc1[q][r]);
    }
    store_row32(c + r * ldc, s0, s1, m0, m1, relu);
  }
}

#define UK_SPLIT(R, S)                                                                             \
  static AVX512 void uk_##R(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n,     \
                            const float *b, const float *bias, float *c, int64_t ldc, int width,   \
                            int relu)                                                              \
  {                                                                                                \
    uk_body_split(R, S, a, lda, tap, taps, n, b, bias, c, ldc, width, relu);                       \
  }
UK_SPLIT(1, 4)
UK_SPLIT(2, 2)

#define UK_ROWS(R)                                                                                 \
  static AVX512 void uk_##R(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n,     \
                            const float *b, const float *bias, float *c, int64_t ldc, int width,   \
                            int relu)                                                              \
  {                                                                                                \
    uk_body(R, 2, a, lda, tap, taps, n, b, bias, c, ldc, width, relu);                             \
  }                                                                                                \
  static AVX512 void ukh_##R(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n,    \
                             const float *b, const float *bias, float *c, int64_t ldc, int width,  \
                             int relu)                                                             \
  {                                                                                                \
    uk_body(R, 1, a, lda, tap, taps, n, b, bias, c, ldc, width, relu);                             \
  }
UK_ROWS(3)
UK_ROWS(4)
UK_ROWS(5)
UK_ROWS(6)
UK_ROWS(7)
UK_ROWS(8)
UK_ROWS(9)
UK_ROWS(10)
UK_ROWS(11)
UK_ROWS(12)
UK_ROWS(13)
UK_ROWS(14)

/* Rows R (1, 2) x NB blocks of 32 channels (vg_uk_multi_avx512): 2 R NB accumulators; each step
 * broadcasts R input values once and loads one weight row from each block's stream. */
static inline __attribute__((always_inline)) AVX512 void
uk_multi_body(const int R, const int NB, const float *a, int64_t lda, int64_t tap, int64_t taps,
              int64_t n, const float *b, int64_t bs, const float *bias, float *c, int64_t ldc,
              int width, int relu)
{
  __m512 acc[VG_UK_MULTI][2][2];
#pragma GCC unroll 4
  for (int k = 0; k < NB; k++)
#pragma GCC unroll 2
    for (int r = 0; r < R; r++)
      acc[k][r][0] = acc[k][r][1] = _mm512_setzero_ps();
  for (int64_t t = 0; t < taps; t++) {
    const float *ap = a + t * tap;
    const float *bp = b + t * n * VG_UK_CO;
    for (int64_t i = 0; i < n; i++) {
      __m512 x[2];
#pragma GCC unroll 2
      for (int r = 0; r < R; r++)
        x[r] = _mm512_set1_ps(ap[r * lda + i]);
#pragma GCC unroll 4
      for (int k = 0; k < NB; k++) {
        __m512 w0 = _mm512_load_ps(bp + k * bs + i * VG_UK_CO);
        __m512 w1 = _mm512_load_ps(bp + k * bs + i * VG_UK_CO + 16);
#pragma GCC unroll 2
        for (int r = 0; r < R; r++) {
          acc[k][r][0] = _mm512_fmadd_ps(x[r], w0, acc[k][r][0]);
          acc[k][r][1] = _mm512_fmadd_ps(x[r], w1, acc[k][r][1]);
        }
      }
    }
  }
#pragma GCC unroll 4
  for (int k = 0; k < NB; k++) {
    int wk = width - k * VG_UK_CO;
    __mmask16 m0 = lanes(wk), m1 = lanes(wk - 16);
    __m512 b0, b1;
    bias32(bias ? bias + k * VG_UK_CO : NULL, &b0, &b1);
#pragma GCC unroll 2
    for (int r = 0; r < R; r++)
      store_row32(c + r * ldc + k * VG_UK_CO, _mm512_add_ps(acc[k][r][0], b0),
                  _mm512_add_ps(acc[k][r][1], b1), m0, m1, relu);
  }
}

#define UK_MULTI(R, NB)                                                                            \
  static AVX512 void ukm_##R##_##NB(const float *a, int64_t lda, int64_t tap, int64_t taps,        \
                                    int64_t n, const float *b, int64_t bs, const float *bias,      \
                                    float *c, int64_t ldc, int width, int relu)                    \
  {                                                                                                \
    uk_multi_body(R, NB, a, lda, tap, taps, n, b, bs, bias, c, ldc, width, relu);                  \
  }
UK_MULTI(1, 2)
UK_MULTI(1, 3)
UK_MULTI(1, 4)
UK_MULTI(2, 2)
UK_MULTI(2, 3)
UK_MULTI(2, 4)

typedef void (*UkMultiFn)(const float *, int64_t, int64_t, int64_t, int64_t, const float *, int64_t,
                          const float *, float *, int64_t, int, int);

AVX512 void vg_uk_multi_avx512(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n,
                               const float *b, int64_t bstride, int nblocks, const float *bias,
                               int rows, float *c, int64_t ldc, int width, int relu)
{
  static const UkMultiFn fns[2][VG_UK_MULTI - 1] = {{ukm_1_2, ukm_1_3, ukm_1_4},
                                                    {ukm_2_2, ukm_2_3, ukm_2_4}};
  if (rows >= 1 && rows <= 2 && nblocks >= 2 && nblocks <= VG_UK_MULTI)
    fns[rows - 1][nblocks - 2](a, lda, tap, taps, n, b, bstride, bias, c, ldc, width, relu);
}

typedef void (*UkFn)(const float *, int64_t, int64_t, int64_t, int64_t, const float *,
                     const float *, float *, int64_t, int, int);

AVX512 void vg_uk_avx512(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n,
                         const float *b, const float *bias, int rows, float *c, int64_t ldc,
                         int width, int relu)
{
  static const UkFn fns[VG_UK_ROWS] = {uk_1, uk_2, uk_3,  uk_4,  uk_5,  uk_6,  uk_7,
                                       uk_8, uk_9, uk_10, uk_11, uk_12, uk_13, uk_14};
  /* one or two rows keep the split accumulators (latency-bound either way) */
  static const UkFn half[VG_UK_ROWS] = {uk_1,  uk_2,  ukh_3,  ukh_4,  ukh_5,  ukh_6,  ukh_7,
                                        ukh_8, ukh_9, ukh_10, ukh_11, ukh_12, ukh_13, ukh_14};
  if (rows < 1 || rows > VG_UK_ROWS)
    return;
  const UkFn fn = width <= 16 ? half[rows - 1] : fns[rows - 1];
  fn(a, lda, tap, taps, n, b, bias, c, ldc, width, relu);
}

#else /* not GCC-compatible x86-64: OpenBLAS only */

int vg_conv_avx512_available(void)
{
  return 0;
}

void vg_uk_avx512(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n, const float *b,
                  const float *bias, int rows, float *c, int64_t ldc, int width, int relu)
{
}

void vg_uk_multi_avx512(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n,
                        const float *b, int64_t bstride, int nblocks, const float *bias, int rows,
                        float *c, int64_t ldc, int width, int relu)
{
}

#endif
