/* AVX2 + FMA kernels of the 1-D conv, for x86-64 CPUs without AVX-512 (most laptops and desktops,
 * AMD before Zen 4): the same contracts as the AVX-512 ones (conv_simd.h), so conv_simd.c drives
 * both alike, with the same packed weights (blocks of 32 output channels).
 *
 * Registers: 16 ymm of 8 floats. A 32-channel block is run as two halves of 16 channels (two
 * accumulators per row), up to 6 rows at a time: 12 accumulators + 2 weight vectors + 1 broadcast.
 * Each step loads 2 weight vectors and broadcasts 6 inputs for 12 FMAs, within the two loads a
 * cycle that feed two FMAs a cycle. One or two rows (a streaming hop's single column) run the whole
 * block at once with two sets of accumulators instead, so that enough FMA chains are in flight.
 * The reduction order per output is tap, then channel, as in the AVX-512 kernels.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "conv_simd.h"

#if defined(__GNUC__) && defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

#define AVX2          __attribute__((target("avx2,fma")))
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* Rows per pass over a 16-channel half. */
#define HALF_ROWS 6

int vg_conv_avx2_available(void)
{
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* Lanes [0, n) of an 8-lane vector as a maskload/maskstore mask (n clamped to 0 .. 8). */
static ALWAYS_INLINE AVX2 __m256i lanes8(int n)
{
  const __m256i ramp = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), ramp);
}

/* Stores lanes [0, n) of v: plain stores for whole vectors, masked ones at the tails only. */
static ALWAYS_INLINE AVX2 void store8(float *p, int n, __m256 v)
{
  if (n >= 8)
    _mm256_storeu_ps(p, v);
  else if (n > 0)
    _mm256_maskstore_ps(p, lanes8(n), v);
}

/* Loads lanes [0, n), zeros in the others (masked lanes are not read). */
static ALWAYS_INLINE AVX2 __m256 load8(const float *p, int n)
{
  return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lanes8(n));
}

/* Bias (or a partial row in its place), Relu (max(0, x) returns x when x is NaN: NaN stays, as in
 * vg_relu) and the store of one 8-channel vector of a row. */
static ALWAYS_INLINE AVX2 void finish8(__m256 acc, const float *bias, float *c, int n, int relu)
{
  if (bias)
    acc = _mm256_add_ps(acc, _mm256_loadu_ps(bias));
  if (relu)
    acc = _mm256_max_ps(_mm256_setzero_ps(), acc);
  store8(c, n, acc);
}

/* R rows (1 .. HALF_ROWS) of one 16-channel half of a block: b, bias and c point at the half's
 * first channel, width is its channel count (1 .. 16). */
static ALWAYS_INLINE AVX2 void uk_half_body(const int R, const float *a, int64_t lda, int64_t tap,
                                            int64_t taps, int64_t n, const float *b,
                                            const float *bias, float *c, int64_t ldc, int width,
                                            int relu)
{
  __m256 acc0[HALF_ROWS], acc1[HALF_ROWS];
#pragma GCC unroll 6
  for (int r = 0; r < R; r++)
    acc0[r] = acc1[r] = _mm256_setzero_ps();
  for (int64_t t = 0; t < taps; t++) {
    const float *ap = a + t * tap;
    const float *bp = b + t * n * VG_UK_CO;
    for (int64_t i = 0; i < n; i++) {
      __m256 w0 = _mm256_loadu_ps(bp + i * VG_UK_CO);
      __m256 w1 = _mm256_loadu_ps(bp + i * VG_UK_CO + 8);
#pragma GCC unroll 6
      for (int r = 0; r < R; r++) {
        __m256 x = _mm256_broadcast_ss(ap + r * lda + i);
        acc0[r] = _mm256_fmadd_ps(x, w0, acc0[r]);
        acc1[r] = _mm256_fmadd_ps(x, w1, acc1[r]);
      }
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; r++) {
    finish8(acc0[r], bias, c + r * ldc, width, relu);
    if (width > 8)
      finish8(acc1[r], bias ? bias + 8 : NULL, c + r * ldc + 8, width - 8, relu);
  }
}

/* R rows (1, 2) of a whole 32-channel block, S sets of accumulators taking the channels in turn
 * (i % S): 4 R S FMA chains in flight instead of 4 R. */
static ALWAYS_INLINE AVX2 void uk_block_body(const int R, const int S, const float *a, int64_t lda,
                                             int64_t tap, int64_t taps, int64_t n, const float *b,
                                             const float *bias, float *c, int64_t ldc, int width,
                                             int relu)
{
  __m256 acc[2][2][4];
#pragma GCC unroll 2
  for (int q = 0; q < S; q++)
#pragma GCC unroll 2
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
      for (int v = 0; v < 4; v++)
        acc[q][r][v] = _mm256_setzero_ps();
  for (int64_t t = 0; t < taps; t++) {
    const float *ap = a + t * tap;
    const float *bp = b + t * n * VG_UK_CO;
    int64_t i = 0;
    for (; i + S <= n; i += S)
#pragma GCC unroll 2
      for (int q = 0; q < S; q++)
#pragma GCC unroll 2
        for (int r = 0; r < R; r++) {
          __m256 x = _mm256_broadcast_ss(ap + r * lda + i + q);
#pragma GCC unroll 4
          for (int v = 0; v < 4; v++)
            acc[q][r][v] =
                _mm256_fmadd_ps(x, _mm256_loadu_ps(bp + (i + q) * VG_UK_CO + 8 * v), acc[q][r][v]);
        }
    for (; i < n; i++)
#pragma GCC unroll 2
      for (int r = 0; r < R; r++) {
        __m256 x = _mm256_broadcast_ss(ap + r * lda + i);
#pragma GCC unroll 4
        for (int v = 0; v < 4; v++)
          acc[0][r][v] =
              _mm256_fmadd_ps(x, _mm256_loadu_ps(bp + i * VG_UK_CO + 8 * v), acc[0][r][v]);
      }
  }
#pragma GCC unroll 2
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < 4; v++) {
      __m256 s = acc[0][r][v];
      if (S == 2)
        s = _mm256_add_ps(s, acc[1][r][v]);
      finish8(s, bias ? bias + 8 * v : NULL, c + r * ldc + 8 * v, width - 8 * v, relu);
    }
}

typedef void (*UkFn)(const float *, int64_t, int64_t, int64_t, int64_t, const float *,
                     const float *, float *, int64_t, int, int);

#define UK_HALF(R)                                                                                 \
  static AVX2 void uk_half_##R(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n,  \
                               const float *b, const float *bias, float *c, int64_t ldc,           \
                               int width, int relu)                                                \
  {                                                                                                \
    uk_half_body(R, a, lda, tap, taps, n, b, bias, c, ldc, width, relu);                           \
  }
UK_HALF(1)
UK_HALF(2)
UK_HALF(3)
UK_HALF(4)
UK_HALF(5)
UK_HALF(6)

static AVX2 void uk_block_1(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n,
                            const float *b, const float *bias, float *c, int64_t ldc, int width,
                            int relu)
{
  uk_block_body(1, 2, a, lda, tap, taps, n, b, bias, c, ldc, width, relu);
}

static AVX2 void uk_block_2(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n,
                            const float *b, const float *bias, float *c, int64_t ldc, int width,
                            int relu)
{
  uk_block_body(2, 1, a, lda, tap, taps, n, b, bias, c, ldc, width, relu);
}

static AVX2 void vg_uk_avx2(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n,
                            const float *b, const float *bias, int rows, float *c, int64_t ldc,
                            int width, int relu)
{
  static const UkFn half[HALF_ROWS] = {uk_half_1, uk_half_2, uk_half_3,
                                       uk_half_4, uk_half_5, uk_half_6};
  if (rows < 1 || rows > VG_UK_ROWS || width < 1)
    return;
  if (rows <= 2) {
    (rows == 1 ? uk_block_1 : uk_block_2)(a, lda, tap, taps, n, b, bias, c, ldc, width, relu);
    return;
  }
  /* passes of equal rows (14: 5 + 5 + 4, not 6 + 6 + 2, whose last pass would wait on FMA
   * latency with 4 chains) */
  int passes = (rows + HALF_ROWS - 1) / HALF_ROWS;
  for (int h = 0; h < 2 && 16 * h < width; h++) {
    int w = width - 16 * h < 16 ? width - 16 * h : 16;
    for (int p = 0, r0 = 0; p < passes; p++) {
      int R = (rows - r0 + passes - p - 1) / (passes - p);
      half[R - 1](a + r0 * lda, lda, tap, taps, n, b + 16 * h, bias ? bias + 16 * h : NULL,
                  c + r0 * ldc + 16 * h, ldc, w, relu);
      r0 += R;
    }
  }
}

/* One block after the other: at one or two rows each block's call is bound by its weights'
 * arrival, and AVX2 cores have too few registers to interleave several blocks' streams. */
static AVX2 void vg_uk_multi_avx2(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n,
                                  const float *b, int64_t bstride, int nblocks, const float *bias,
                                  int rows, float *c, int64_t ldc, int width, int relu)
{
  for (int k = 0; k < nblocks && width - k * VG_UK_CO > 0; k++)
    vg_uk_avx2(a, lda, tap, taps, n, b + k * bstride, bias ? bias + k * VG_UK_CO : NULL, rows,
               c + k * VG_UK_CO, ldc, width - k * VG_UK_CO, relu);
}

/* Winograd F(6,3) input transform of 8 channels: the same arithmetic as wino_in16 in
 * conv_wino_avx512.c (scaled rows, shared sums), so both paths round alike. */
static ALWAYS_INLINE AVX2 __m256 wino_in8(const float *const d[VG_WINO_N], int64_t i, int m,
                                          float *v, int64_t vs)
{
  __m256 x[VG_WINO_N];
#pragma GCC unroll 8
  for (int j = 0; j < VG_WINO_N; j++)
    x[j] = load8(d[j] + i, m);
  const __m256 k21_4 = _mm256_set1_ps(5.25f), k17_4 = _mm256_set1_ps(4.25f);
  const __m256 k5 = _mm256_set1_ps(5.0f), k5_2 = _mm256_set1_ps(2.5f), k5_4 = _mm256_set1_ps(1.25f);
  const __m256 k4 = _mm256_set1_ps(4.0f), k2 = _mm256_set1_ps(2.0f);
  const __m256 k1_2 = _mm256_set1_ps(0.5f), k1_4 = _mm256_set1_ps(0.25f);
  __m256 v0 = _mm256_fmadd_ps(k21_4, _mm256_sub_ps(x[4], x[2]), _mm256_sub_ps(x[0], x[6]));
  __m256 v7 = _mm256_fmadd_ps(k21_4, _mm256_sub_ps(x[3], x[5]), _mm256_sub_ps(x[7], x[1]));
  __m256 p = _mm256_fnmadd_ps(k17_4, x[4], _mm256_add_ps(x[2], x[6]));
  __m256 q = _mm256_fnmadd_ps(k17_4, x[3], _mm256_add_ps(x[1], x[5]));
  store8(v + 0 * vs + i, m, v0);
  store8(v + 1 * vs + i, m, _mm256_add_ps(q, p));
  store8(v + 2 * vs + i, m, _mm256_sub_ps(q, p));
  p = _mm256_fmadd_ps(k1_2, x[2], _mm256_fnmadd_ps(k5_2, x[4], _mm256_mul_ps(k2, x[6])));
  q = _mm256_fmadd_ps(k4, x[5], _mm256_fnmadd_ps(k5, x[3], x[1]));
  store8(v + 3 * vs + i, m, _mm256_add_ps(q, p));
  store8(v + 4 * vs + i, m, _mm256_sub_ps(p, q));
  p = _mm256_fmadd_ps(k2, x[2], _mm256_fnmadd_ps(k5_2, x[4], _mm256_mul_ps(k1_2, x[6])));
  q = _mm256_fmadd_ps(k1_4, x[5], _mm256_fnmadd_ps(k5_4, x[3], x[1]));
  store8(v + 5 * vs + i, m, _mm256_add_ps(q, p));
  store8(v + 6 * vs + i, m, _mm256_sub_ps(p, q));
  store8(v + 7 * vs + i, m, v7);
  return _mm256_add_ps(v0, v7);
}

/* Whether the input was finite, as vg_wino_input_avx512 finds it. */
static AVX2 int vg_wino_input_avx2(const float *const d[VG_WINO_N], int64_t n, float *v, int64_t vs)
{
  __m256 nan = _mm256_setzero_ps();
  for (int64_t i = 0; i < n; i += 8)
    nan = _mm256_fmadd_ps(wino_in8(d, i, (int)(n - i < 8 ? n - i : 8), v, vs), _mm256_setzero_ps(),
                          nan);
  return _mm256_movemask_ps(_mm256_cmp_ps(nan, nan, _CMP_UNORD_Q)) == 0;
}

/* Bias, Relu, then either the stores of the tile's rows or their sum added to sum[o ..]. */
static ALWAYS_INLINE AVX2 void wino_finish8(__m256 *r, const int M, __m256 bias, float *const y[],
                                            int rows, int64_t o, int m, int relu, float *sum)
{
  for (int i = 0; i < M; i++) {
    r[i] = _mm256_add_ps(r[i], bias);
    if (relu)
      r[i] = _mm256_max_ps(_mm256_setzero_ps(), r[i]);
  }
  if (sum) {
    __m256 t = r[0];
    for (int i = 1; i < rows; i++)
      t = _mm256_add_ps(t, r[i]);
    store8(sum + o, m, _mm256_add_ps(load8(sum + o, m), t));
    return;
  }
  for (int i = 0; i < rows; i++)
    store8(y[i] + o, m, r[i]);
}

/* F(M, 9 - M) output transform of 8 channels (as wino_out16 in conv_wino_avx512.c). */
static ALWAYS_INLINE AVX2 void wino_out8(const int M, const float *mm, int64_t ms,
                                         const float *bias, float *const y[], int rows, int64_t o,
                                         int m, int relu, float *sum)
{
  __m256 x[VG_WINO_N];
#pragma GCC unroll 8
  for (int j = 0; j < VG_WINO_N; j++)
    x[j] = _mm256_loadu_ps(mm + j * ms + o);
  __m256 s1 = _mm256_add_ps(x[1], x[2]), d1 = _mm256_sub_ps(x[1], x[2]);
  __m256 s2 = _mm256_add_ps(x[3], x[4]), d2 = _mm256_sub_ps(x[3], x[4]);
  __m256 s3 = _mm256_add_ps(x[5], x[6]), d3 = _mm256_sub_ps(x[5], x[6]);
  __m256 r[VG_WINO_M];
  r[0] = _mm256_add_ps(_mm256_add_ps(x[0], s1), _mm256_add_ps(s2, s3));
#pragma GCC unroll 6
  for (int i = 1; i < M; i++) {
    __m256 p2 = _mm256_set1_ps((float)(1 << i)), ph = _mm256_set1_ps(1.0f / (float)(1 << i));
    r[i] = i % 2 ? _mm256_fmadd_ps(ph, d3, _mm256_fmadd_ps(p2, d2, d1))
                 : _mm256_fmadd_ps(ph, s3, _mm256_fmadd_ps(p2, s2, s1));
  }
  r[M - 1] = _mm256_add_ps(x[7], r[M - 1]);
  wino_finish8(r, M, _mm256_loadu_ps(bias + o), y, rows, o, m, relu, sum);
}

static ALWAYS_INLINE AVX2 void wino_output8(const int M, const float *m, int64_t ms, int tiles,
                                            const float *bias, float *out, int64_t ldy,
                                            int64_t cols, int width, int relu, float *sum)
{
  for (int t = 0; t < tiles; t++) { /* tile by tile (conv_simd.h) */
    int64_t c0 = (int64_t)t * M;
    int rows = (int)(cols - c0 < M ? cols - c0 : M);
    float *y[VG_WINO_M];
    for (int i = 0; i < rows && !sum; i++)
      y[i] = out + (c0 + i) * ldy;
    for (int o = 0; o < width; o += 8)
      wino_out8(M, m + t * VG_UK_CO, ms, bias, y, rows, o, width - o, relu, sum);
  }
}

static AVX2 void vg_wino_output_avx2(int outs, const float *m, int64_t ms, int tiles,
                                     const float *bias, float *out, int64_t ldy, int64_t cols,
                                     int width, int relu, float *sum)
{
  if (outs == 4)
    wino_output8(4, m, ms, tiles, bias, out, ldy, cols, width, relu, sum);
  else if (outs == 2)
    wino_output8(2, m, ms, tiles, bias, out, ldy, cols, width, relu, sum);
  else
    wino_output8(VG_WINO_M, m, ms, tiles, bias, out, ldy, cols, width, relu, sum);
}

/* F(4,3) input transform of 8 channels (as wino4_in16 in conv_wino_avx512.c). */
static ALWAYS_INLINE AVX2 void wino4_in8(const float *const d[VG_WINO4_N], int64_t i, int m,
                                         float *v, int64_t vs)
{
  __m256 x[VG_WINO4_N];
#pragma GCC unroll 6
  for (int j = 0; j < VG_WINO4_N; j++)
    x[j] = load8(d[j] + i, m);
  const __m256 k4 = _mm256_set1_ps(4.0f), k5 = _mm256_set1_ps(5.0f), k2 = _mm256_set1_ps(2.0f);
  store8(v + i, m, _mm256_fnmadd_ps(k5, x[2], _mm256_fmadd_ps(k4, x[0], x[4])));
  __m256 p = _mm256_fnmadd_ps(k4, x[2], x[4]), q = _mm256_fnmadd_ps(k4, x[1], x[3]);
  store8(v + 1 * vs + i, m, _mm256_add_ps(p, q));
  store8(v + 2 * vs + i, m, _mm256_sub_ps(p, q));
  p = _mm256_sub_ps(x[4], x[2]);
  q = _mm256_mul_ps(k2, _mm256_sub_ps(x[3], x[1]));
  store8(v + 3 * vs + i, m, _mm256_add_ps(p, q));
  store8(v + 4 * vs + i, m, _mm256_sub_ps(p, q));
  store8(v + 5 * vs + i, m, _mm256_fnmadd_ps(k5, x[3], _mm256_fmadd_ps(k4, x[1], x[5])));
}

static AVX2 void vg_wino4_input_avx2(const float *const d[VG_WINO4_N], int64_t n, float *v,
                                     int64_t vs)
{
  for (int64_t i = 0; i < n; i += 8)
    wino4_in8(d, i, (int)(n - i < 8 ? n - i : 8), v, vs);
}

/* F(4,3) output transform of 8 channels (as wino4_out16 in conv_wino_avx512.c). */
static ALWAYS_INLINE AVX2 void wino4_out8(const float *mm, int64_t ms, const float *bias,
                                          float *const y[], int rows, int64_t o, int m, int relu)
{
  __m256 x[VG_WINO4_N];
#pragma GCC unroll 6
  for (int j = 0; j < VG_WINO4_N; j++)
    x[j] = _mm256_loadu_ps(mm + j * ms + o);
  __m256 s1 = _mm256_add_ps(x[1], x[2]), d1 = _mm256_sub_ps(x[1], x[2]);
  __m256 s2 = _mm256_add_ps(x[3], x[4]), d2 = _mm256_sub_ps(x[3], x[4]);
  __m256 r[VG_WINO4_M];
  r[0] = _mm256_add_ps(_mm256_add_ps(x[0], s1), s2);
  r[1] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), d2, d1);
  r[2] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), s2, s1);
  r[3] = _mm256_add_ps(x[5], _mm256_fmadd_ps(_mm256_set1_ps(8.0f), d2, d1));
  wino_finish8(r, VG_WINO4_M, _mm256_loadu_ps(bias + o), y, rows, o, m, relu, NULL);
}

static AVX2 void vg_wino4_output_avx2(const float *m, int64_t ms, const float *bias,
                                      float *const y[], int rows, int width, int relu)
{
  for (int o = 0; o < width; o += 8)
    wino4_out8(m, ms, bias, y, rows, o, width - o, relu);
}

/* peak[c] = max |x[c*stride + i]| over i < width, compared as bit patterns with the sign cleared:
 * NaN and the infinities are the largest patterns and win (as vg_column_peaks_avx512). */
static AVX2 void vg_column_peaks_avx2(const float *x, int64_t cols, int64_t width, int64_t stride,
                                      float *peak)
{
  const __m256i mag = _mm256_set1_epi32(0x7fffffff);
  for (int64_t c = 0; c < cols; c++) {
    const float *col = x + c * stride;
    __m256i m = _mm256_setzero_si256();
    for (int64_t i = 0; i < width; i += 8) {
      int n = (int)(width - i < 8 ? width - i : 8);
      __m256i v = _mm256_castps_si256(load8(col + i, n));
      m = _mm256_max_epu32(m, _mm256_and_si256(v, mag));
    }
    uint32_t lane[8], best = 0;
    _mm256_storeu_si256((__m256i *)(void *)lane, m);
    for (int k = 0; k < 8; k++)
      best = lane[k] > best ? lane[k] : best;
    memcpy(&peak[c], &best, sizeof best);
  }
}

/* Whether x[0 .. n) are all finite: x * 0 is NaN exactly for NaN and the infinities. */
static AVX2 int vg_finite_avx2(const float *x, int64_t n)
{
  const __m256 zero = _mm256_setzero_ps();
  __m256 a0 = zero, a1 = zero;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), zero, a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), zero, a1);
  }
  for (; i < n; i += 8)
    a0 = _mm256_fmadd_ps(load8(x + i, (int)(n - i < 8 ? n - i : 8)), zero, a0);
  __m256 t = _mm256_add_ps(a0, a1);
  return _mm256_movemask_ps(_mm256_cmp_ps(t, t, _CMP_UNORD_Q)) == 0;
}

const VgConvKernels vg_conv_kernels_avx2 = {VG_SIMD_AVX2,         "AVX2",
                                            vg_uk_avx2,           vg_uk_multi_avx2,
                                            vg_column_peaks_avx2, vg_finite_avx2,
                                            vg_wino_input_avx2,   vg_wino_output_avx2,
                                            vg_wino4_input_avx2,  vg_wino4_output_avx2};

#else /* not GCC-compatible x86-64: never called (vg_conv_kernels) */

int vg_conv_avx2_available(void)
{
  return 0;
}

#endif
