/* AVX-512 kernels of the 1-D conv (see conv_simd.h): the register-blocked micro-kernel and the
 * Winograd F(6,3) transforms. Every function that uses AVX-512 carries the target attribute, so
 * this file builds with the project's baseline flags and the rest of the library stays runnable on
 * any x86-64; conv.c calls these only when vg_conv_simd_available() says so.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "conv_simd.h"

#if defined(__GNUC__) && defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

#define AVX512 __attribute__((target("avx512f,avx512vl,fma")))

int vg_conv_simd_available(void)
{
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
}

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

/* Input transform B^T d of Winograd F(6,3) with the interpolation points 0, +-1, +-2, +-1/2 and
 * infinity; each row x of B^T is scaled by s[x] (1, -9/2, 9/2, 180, 180, 45/64, 45/64, 1) so that
 * its entries are small dyadic numbers, exact in float; G carries 1/s[x] (vg_wino_weights). The
 * rows pair up as (p + q, q - p) around shared sums, 26 adds/FMAs for 8 outputs. */
static inline __attribute__((always_inline)) AVX512 void
wino_in16(const float *const d[VG_WINO_N], int64_t i, __mmask16 m, float *v, int64_t vs)
{
  __m512 x[VG_WINO_N];
#pragma GCC unroll 8
  for (int j = 0; j < VG_WINO_N; j++)
    x[j] = _mm512_maskz_loadu_ps(m, d[j] + i);
  const __m512 k21_4 = _mm512_set1_ps(5.25f), k17_4 = _mm512_set1_ps(4.25f);
  const __m512 k5 = _mm512_set1_ps(5.0f), k5_2 = _mm512_set1_ps(2.5f), k5_4 = _mm512_set1_ps(1.25f);
  const __m512 k4 = _mm512_set1_ps(4.0f), k2 = _mm512_set1_ps(2.0f);
  const __m512 k1_2 = _mm512_set1_ps(0.5f), k1_4 = _mm512_set1_ps(0.25f);
  __m512 v0 = _mm512_fmadd_ps(k21_4, _mm512_sub_ps(x[4], x[2]), _mm512_sub_ps(x[0], x[6]));
  __m512 v7 = _mm512_fmadd_ps(k21_4, _mm512_sub_ps(x[3], x[5]), _mm512_sub_ps(x[7], x[1]));
  __m512 p = _mm512_fnmadd_ps(k17_4, x[4], _mm512_add_ps(x[2], x[6]));
  __m512 q = _mm512_fnmadd_ps(k17_4, x[3], _mm512_add_ps(x[1], x[5]));
  store16(v + 0 * vs + i, m, v0);
  store16(v + 1 * vs + i, m, _mm512_add_ps(q, p));
  store16(v + 2 * vs + i, m, _mm512_sub_ps(q, p));
  p = _mm512_fmadd_ps(k1_2, x[2], _mm512_fnmadd_ps(k5_2, x[4], _mm512_mul_ps(k2, x[6])));
  q = _mm512_fmadd_ps(k4, x[5], _mm512_fnmadd_ps(k5, x[3], x[1]));
  store16(v + 3 * vs + i, m, _mm512_add_ps(q, p));
  store16(v + 4 * vs + i, m, _mm512_sub_ps(p, q));
  p = _mm512_fmadd_ps(k2, x[2], _mm512_fnmadd_ps(k5_2, x[4], _mm512_mul_ps(k1_2, x[6])));
  q = _mm512_fmadd_ps(k1_4, x[5], _mm512_fnmadd_ps(k5_4, x[3], x[1]));
  store16(v + 5 * vs + i, m, _mm512_add_ps(q, p));
  store16(v + 6 * vs + i, m, _mm512_sub_ps(p, q));
  store16(v + 7 * vs + i, m, v7);
}

AVX512 void vg_wino_input_avx512(const float *const d[VG_WINO_N], int64_t n, float *v, int64_t vs)
{
  for (int64_t i = 0; i < n; i += 16)
    wino_in16(d, i, lanes((int)(n - i < 16 ? n - i : 16)), v, vs);
}

/* Output transform A^T m: y[i] = sum_x m[x] * a_x^i with a_x the points (A^T[i][7] = 0 but for the
 * last row, the infinity point's leading coefficient). Even and odd powers share the sums and
 * differences of the +-a pairs. */
static inline __attribute__((always_inline)) AVX512 void
wino_out16(const float *m, int64_t ms, __m512 bias, float *const y[], int rows, int64_t o,
           __mmask16 mask, int relu, float *sum)
{
  __m512 x[VG_WINO_N];
#pragma GCC unroll 8
  for (int j = 0; j < VG_WINO_N; j++)
    x[j] = _mm512_loadu_ps(m + j * ms + o);
  __m512 s1 = _mm512_add_ps(x[1], x[2]), d1 = _mm512_sub_ps(x[1], x[2]);
  __m512 s2 = _mm512_add_ps(x[3], x[4]), d2 = _mm512_sub_ps(x[3], x[4]);
  __m512 s3 = _mm512_add_ps(x[5], x[6]), d3 = _mm512_sub_ps(x[5], x[6]);
  __m512 r[VG_WINO_M];
  r[0] = _mm512_add_ps(_mm512_add_ps(x[0], s1), _mm512_add_ps(s2, s3));
  r[1] = _mm512_fmadd_ps(_mm512_set1_ps(0.5f), d3, _mm512_fmadd_ps(_mm512_set1_ps(2.0f), d2, d1));
  r[2] = _mm512_fmadd_ps(_mm512_set1_ps(0.25f), s3, _mm512_fmadd_ps(_mm512_set1_ps(4.0f), s2, s1));
  r[3] = _mm512_fmadd_ps(_mm512_set1_ps(0.125f), d3, _mm512_fmadd_ps(_mm512_set1_ps(8.0f), d2, d1));
  r[4] =
      _mm512_fmadd_ps(_mm512_set1_ps(0.0625f), s3, _mm512_fmadd_ps(_mm512_set1_ps(16.0f), s2, s1));
  r[5] = _mm512_add_ps(x[7], _mm512_fmadd_ps(_mm512_set1_ps(0.03125f), d3,
                                             _mm512_fmadd_ps(_mm512_set1_ps(32.0f), d2, d1)));
#pragma GCC unroll 6
  for (int i = 0; i < VG_WINO_M; i++) {
    r[i] = _mm512_add_ps(r[i], bias);
    if (relu)
      r[i] = _mm512_max_ps(_mm512_setzero_ps(), r[i]); /* NaN stays (see uk_body) */
  }
  if (sum) {
    /* the tile's columns pairwise, then the tile into the running sum: one dependent add per tile
     * (through memory) instead of six */
    if (rows == VG_WINO_M) {
      r[0] = _mm512_add_ps(_mm512_add_ps(r[0], r[1]), _mm512_add_ps(r[2], r[3]));
      r[0] = _mm512_add_ps(r[0], _mm512_add_ps(r[4], r[5]));
    } else {
      for (int i = 1; i < rows; i++)
        r[0] = _mm512_add_ps(r[0], r[i]);
    }
    store16(sum + o, mask, _mm512_add_ps(_mm512_maskz_loadu_ps(mask, sum + o), r[0]));
    return;
  }
#pragma GCC unroll 6
  for (int i = 0; i < rows; i++)
    store16(y[i] + o, mask, r[i]);
}

AVX512 void vg_wino_output_avx512(const float *m, int64_t ms, const float *bias, float *const y[],
                                  int rows, int width, int relu, float *sum)
{
  for (int o = 0; o < width; o += 16)
    wino_out16(m, ms, _mm512_loadu_ps(bias + o), y, rows, o, lanes(width - o), relu, sum);
}

/* Input transform B^T d of Winograd F(4,3) with the points 0, +-1, +-2 and infinity (integer
 * entries, exact in float): the +-1 and +-2 rows pair up as p + q and p - q. */
static inline __attribute__((always_inline)) AVX512 void
wino4_in16(const float *const d[VG_WINO4_N], int64_t i, __mmask16 m, float *v, int64_t vs)
{
  __m512 x[VG_WINO4_N];
#pragma GCC unroll 6
  for (int j = 0; j < VG_WINO4_N; j++)
    x[j] = _mm512_maskz_loadu_ps(m, d[j] + i);
  const __m512 k4 = _mm512_set1_ps(4.0f), k5 = _mm512_set1_ps(5.0f), k2 = _mm512_set1_ps(2.0f);
  store16(v + i, m, _mm512_fnmadd_ps(k5, x[2], _mm512_fmadd_ps(k4, x[0], x[4])));
  __m512 p = _mm512_fnmadd_ps(k4, x[2], x[4]), q = _mm512_fnmadd_ps(k4, x[1], x[3]);
  store16(v + 1 * vs + i, m, _mm512_add_ps(p, q));
  store16(v + 2 * vs + i, m, _mm512_sub_ps(p, q));
  p = _mm512_sub_ps(x[4], x[2]);
  q = _mm512_mul_ps(k2, _mm512_sub_ps(x[3], x[1]));
  store16(v + 3 * vs + i, m, _mm512_add_ps(p, q));
  store16(v + 4 * vs + i, m, _mm512_sub_ps(p, q));
  store16(v + 5 * vs + i, m, _mm512_fnmadd_ps(k5, x[3], _mm512_fmadd_ps(k4, x[1], x[5])));
}

AVX512 void vg_wino4_input_avx512(const float *const d[VG_WINO4_N], int64_t n, float *v, int64_t vs)
{
  for (int64_t i = 0; i < n; i += 16)
    wino4_in16(d, i, lanes((int)(n - i < 16 ? n - i : 16)), v, vs);
}

/* Output transform A^T m of F(4,3): y[i] = sum_x m[x] a_x^i, plus m[5] (infinity) in the last
 * row; the +-1 and +-2 pairs share their sums and differences. */
static inline __attribute__((always_inline)) AVX512 void wino4_out16(const float *m, int64_t ms,
                                                                     __m512 bias, float *const y[],
                                                                     int rows, int64_t o,
                                                                     __mmask16 mask, int relu)
{
  __m512 x[VG_WINO4_N];
#pragma GCC unroll 6
  for (int j = 0; j < VG_WINO4_N; j++)
    x[j] = _mm512_loadu_ps(m + j * ms + o);
  __m512 s1 = _mm512_add_ps(x[1], x[2]), d1 = _mm512_sub_ps(x[1], x[2]);
  __m512 s2 = _mm512_add_ps(x[3], x[4]), d2 = _mm512_sub_ps(x[3], x[4]);
  __m512 r[VG_WINO4_M];
  r[0] = _mm512_add_ps(_mm512_add_ps(x[0], s1), s2);
  r[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), d2, d1);
  r[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), s2, s1);
  r[3] = _mm512_add_ps(x[5], _mm512_fmadd_ps(_mm512_set1_ps(8.0f), d2, d1));
#pragma GCC unroll 4
  for (int i = 0; i < VG_WINO4_M; i++) {
    r[i] = _mm512_add_ps(r[i], bias);
    if (relu)
      r[i] = _mm512_max_ps(_mm512_setzero_ps(), r[i]); /* NaN stays (see uk_body) */
  }
#pragma GCC unroll 4
  for (int i = 0; i < rows; i++)
    store16(y[i] + o, mask, r[i]);
}

AVX512 void vg_wino4_output_avx512(const float *m, int64_t ms, const float *bias, float *const y[],
                                   int rows, int width, int relu)
{
  for (int o = 0; o < width; o += 16)
    wino4_out16(m, ms, _mm512_loadu_ps(bias + o), y, rows, o, lanes(width - o), relu);
}

/* peak[c] = max_i |x[c*width + i]| for c < cols, as float bit patterns compared as integers: the
 * sign bit cleared, NaN and the infinities are the largest patterns, so they win the maximum and
 * come out as NaN or infinity. */
static inline __attribute__((always_inline)) AVX512 __m512i col_max16(const float *x, int64_t width,
                                                                      __m512i mag)
{
  __m512i m0 = _mm512_setzero_si512(), m1 = m0;
  int64_t i = 0;
  for (; i + 32 <= width; i += 32) {
    m0 = _mm512_max_epu32(m0, _mm512_and_epi32(_mm512_loadu_si512(x + i), mag));
    m1 = _mm512_max_epu32(m1, _mm512_and_epi32(_mm512_loadu_si512(x + i + 16), mag));
  }
  for (; i < width; i += 16)
    m0 = _mm512_max_epu32(
        m0, _mm512_and_epi32(_mm512_maskz_loadu_epi32(lanes((int)(width - i)), x + i), mag));
  return _mm512_max_epu32(m0, m1);
}

/* Halves the lanes per column: a and b hold columns of 2^k lanes each; the result holds the same
 * columns, a's then b's, in 2^(k-1) lanes each (the max of each lane pair). */
static inline __attribute__((always_inline)) AVX512 __m512i fold2(__m512i a, __m512i b)
{
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  return _mm512_max_epu32(_mm512_permutex2var_epi32(a, even, b),
                          _mm512_permutex2var_epi32(a, odd, b));
}

AVX512 void vg_column_peaks_avx512(const float *x, int64_t cols, int64_t width, float *peak)
{
  const __m512i mag = _mm512_set1_epi32(0x7fffffff);
  int64_t c = 0;
  /* 16 columns at a time: their 16-lane maxima folded into one vector, 15 folds for 16 columns
   * instead of a full horizontal reduction each */
  for (; c + 16 <= cols; c += 16) {
    __m512i v[16];
#pragma GCC unroll 16
    for (int k = 0; k < 16; k++)
      v[k] = col_max16(x + (c + k) * width, width, mag);
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++)
      v[k] = fold2(v[2 * k], v[2 * k + 1]);
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++)
      v[k] = fold2(v[2 * k], v[2 * k + 1]);
#pragma GCC unroll 2
    for (int k = 0; k < 2; k++)
      v[k] = fold2(v[2 * k], v[2 * k + 1]);
    _mm512_storeu_si512(peak + c, fold2(v[0], v[1]));
  }
  for (; c < cols; c++) {
    uint32_t bits = _mm512_reduce_max_epu32(col_max16(x + c * width, width, mag));
    memcpy(&peak[c], &bits, sizeof bits);
  }
}

/* Whether x[0 .. n) are all finite: x * 0 is NaN exactly for NaN and the infinities. */
AVX512 int vg_finite_avx512(const float *x, int64_t n)
{
  const __m512 zero = _mm512_setzero_ps();
  __m512 a[4] = {zero, zero, zero, zero};
  int64_t i = 0;
  for (; i + 64 <= n; i += 64)
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++)
      a[k] = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16 * k), zero, a[k]);
  for (; i < n; i += 16)
    a[0] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(lanes((int)(n - i)), x + i), zero, a[0]);
  __m512 t = _mm512_add_ps(_mm512_add_ps(a[0], a[1]), _mm512_add_ps(a[2], a[3]));
  return _mm512_cmp_ps_mask(t, t, _CMP_UNORD_Q) == 0;
}

#else /* not GCC-compatible x86-64: OpenBLAS only */

int vg_conv_simd_available(void)
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

void vg_wino_input_avx512(const float *const d[VG_WINO_N], int64_t n, float *v, int64_t vstride)
{
}

void vg_wino_output_avx512(const float *m, int64_t mstride, const float *bias, float *const y[],
                           int rows, int width, int relu, float *sum)
{
}

void vg_wino4_input_avx512(const float *const d[VG_WINO4_N], int64_t n, float *v, int64_t vstride)
{
}

void vg_column_peaks_avx512(const float *x, int64_t cols, int64_t width, float *peak)
{
}

int vg_finite_avx512(const float *x, int64_t n)
{
  return 1;
}

void vg_wino4_output_avx512(const float *m, int64_t mstride, const float *bias, float *const y[],
                            int rows, int width, int relu)
{
}

#endif

/* G of the transform with the rows scaled by 1/s[x] (see wino_in16): (G g)[x] = g0 + a g1 + a^2 g2
 * at the point a, g2 alone at infinity. Double precision: computed once per weight. */
void vg_wino_weights(const float g[3], double u[VG_WINO_N])
{
  static const double pt[VG_WINO_N - 1] = {0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5};
  static const double s[VG_WINO_N] = {1.0, -4.5, 4.5, 180.0, 180.0, 45.0 / 64.0, 45.0 / 64.0, 1.0};
  for (int x = 0; x < VG_WINO_N - 1; x++)
    u[x] = ((double)g[0] + pt[x] * (double)g[1] + pt[x] * pt[x] * (double)g[2]) / s[x];
  u[VG_WINO_N - 1] = (double)g[2];
}

/* G of F(4,3): (G g)[x] = (g0 + a g1 + a^2 g2) / prod_{b != a} (a - b) over the finite points b,
 * g2 alone at infinity. */
void vg_wino4_weights(const float g[3], double u[VG_WINO4_N])
{
  static const double pt[VG_WINO4_N - 1] = {0.0, 1.0, -1.0, 2.0, -2.0};
  static const double f[VG_WINO4_N - 1] = {4.0, -6.0, -6.0, 24.0, 24.0};
  for (int x = 0; x < VG_WINO4_N - 1; x++)
    u[x] = ((double)g[0] + pt[x] * (double)g[1] + pt[x] * pt[x] * (double)g[2]) / f[x];
  u[VG_WINO4_N - 1] = (double)g[2];
}
