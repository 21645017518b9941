/* AVX-512 Winograd kernels of the 1-D conv (see conv_simd.h): the F(6,3) and F(4,3) input and
 * output transforms, the checks that keep Winograd away from NaN, infinities and outliers
 * (conv_simd.c), and the transformed weights. Built like conv_avx512.c: every AVX-512 function
 * carries the target attribute.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "conv_avx512_priv.h"
#include "conv_simd.h"

#if defined(__GNUC__) && defined(__x86_64__)

#include <string.h>

/* Input transform B^T d of Winograd F(6,3) with the interpolation points 0, +-1, +-2, +-1/2 and
 * infinity; each row x of B^T is scaled by s[x] (1, -9/2, 9/2, 180, 180, 45/64, 45/64, 1) so that
 * its entries are small dyadic numbers, exact in float; G carries 1/s[x] (vg_wino_weights). The
 * rows pair up as (p + q, q - p) around shared sums, 26 adds/FMAs for 8 outputs. */
static inline __attribute__((always_inline)) AVX512 __m512
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
  return _mm512_add_ps(v0, v7);
}

/* Every input column enters v0 (the even ones) or v7 (the odd ones) with a nonzero coefficient,
 * so a NaN or an infinity among them makes v0 + v7 non-finite (IEEE arithmetic never turns them
 * finite), and (v0 + v7) * 0 NaN: one add and one FMA per 16 channels check the tile's input, where
 * a separate pass (vg_finite_avx512) read it all again (1.3 % of the accelerometer-like window).
 * Finite values so large that v0 + v7 overflows also report 0: the caller then takes the direct
 * kernel, which is right for them too. */
AVX512 int vg_wino_input_avx512(const float *const d[VG_WINO_N], int64_t n, float *v, int64_t vs)
{
  __m512 nan = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16)
    nan = _mm512_fmadd_ps(wino_in16(d, i, lanes((int)(n - i < 16 ? n - i : 16)), v, vs),
                          _mm512_setzero_ps(), nan);
  return _mm512_cmp_ps_mask(nan, nan, _CMP_UNORD_Q) == 0;
}

/* Output transform A^T m of one tile of M outputs (6, 4 or 2), 16 channels from o: r[i] =
 * sum_x m[x] * a_x^i + bias, with a_x the points (A^T[i][7] = 0 but for the last row, the
 * infinity point's leading coefficient), then max(0, r) if relu. Even and odd powers share the
 * sums and differences of the +-a pairs. */
static inline __attribute__((always_inline)) AVX512 void wino_out16(const int M, const float *m,
                                                                    int64_t ms, __m512 bias,
                                                                    int64_t o, int relu,
                                                                    __m512 r[VG_WINO_M])
{
  __m512 x[VG_WINO_N];
#pragma GCC unroll 8
  for (int j = 0; j < VG_WINO_N; j++)
    x[j] = _mm512_loadu_ps(m + j * ms + o);
  __m512 s1 = _mm512_add_ps(x[1], x[2]), d1 = _mm512_sub_ps(x[1], x[2]);
  __m512 s2 = _mm512_add_ps(x[3], x[4]), d2 = _mm512_sub_ps(x[3], x[4]);
  __m512 s3 = _mm512_add_ps(x[5], x[6]), d3 = _mm512_sub_ps(x[5], x[6]);
  r[0] = _mm512_add_ps(_mm512_add_ps(x[0], s1), _mm512_add_ps(s2, s3));
#pragma GCC unroll 6
  for (int i = 1; i < M; i++) { /* 2^i and 2^-i: exact */
    __m512 p2 = _mm512_set1_ps((float)(1 << i)), ph = _mm512_set1_ps(1.0f / (float)(1 << i));
    r[i] = i % 2 ? _mm512_fmadd_ps(ph, d3, _mm512_fmadd_ps(p2, d2, d1))
                 : _mm512_fmadd_ps(ph, s3, _mm512_fmadd_ps(p2, s2, s1));
  }
  r[M - 1] = _mm512_add_ps(x[7], r[M - 1]);
#pragma GCC unroll 6
  for (int i = 0; i < M; i++) {
    r[i] = _mm512_add_ps(r[i], bias);
    if (relu)
      r[i] = _mm512_max_ps(_mm512_setzero_ps(), r[i]); /* NaN stays (see uk_body) */
  }
}

/* The tiles of a row block, 16 channels at a time: each tile's columns stored, or with `sum` added
 * up in a register over the block's tiles (the tile's columns pairwise), then into sum[o ..] once:
 * one dependent add through memory per block instead of one per tile. */
static inline __attribute__((always_inline)) AVX512 void
wino_output16(const int M, const float *m, int64_t ms, int tiles, const float *bias, float *y,
              int64_t ldy, int64_t cols, int width, int relu, float *sum)
{
  for (int o = 0; o < width; o += 16) {
    __mmask16 mask = lanes(width - o);
    __m512 b = _mm512_loadu_ps(bias + o), acc = _mm512_setzero_ps(), r[VG_WINO_M];
    for (int t = 0; t < tiles; t++) {
      int64_t c0 = (int64_t)t * M;
      int n = (int)(cols - c0 < M ? cols - c0 : M);
      wino_out16(M, m + t * VG_UK_CO, ms, b, o, relu, r);
      if (sum && n == M && M == VG_WINO_M) {
        __m512 p = _mm512_add_ps(_mm512_add_ps(r[0], r[1]), _mm512_add_ps(r[2], r[3]));
        acc = _mm512_add_ps(acc, _mm512_add_ps(p, _mm512_add_ps(r[4], r[5])));
      } else if (sum) {
        for (int i = 0; i < n; i++)
          acc = _mm512_add_ps(acc, r[i]);
      } else {
        for (int i = 0; i < n; i++)
          store16(y + (c0 + i) * ldy + o, mask, r[i]);
      }
    }
    if (sum)
      store16(sum + o, mask, _mm512_add_ps(_mm512_maskz_loadu_ps(mask, sum + o), acc));
  }
}

AVX512 void vg_wino_output_avx512(int outs, const float *m, int64_t ms, int tiles,
                                  const float *bias, float *y, int64_t ldy, int64_t cols, int width,
                                  int relu, float *sum)
{
  if (outs == 4)
    wino_output16(4, m, ms, tiles, bias, y, ldy, cols, width, relu, sum);
  else if (outs == 2)
    wino_output16(2, m, ms, tiles, bias, y, ldy, cols, width, relu, sum);
  else
    wino_output16(VG_WINO_M, m, ms, tiles, bias, y, ldy, cols, width, relu, sum);
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

AVX512 void vg_column_peaks_avx512(const float *x, int64_t cols, int64_t width, int64_t stride,
                                   float *peak)
{
  const __m512i mag = _mm512_set1_epi32(0x7fffffff);
  int64_t c = 0;
  /* 16 columns at a time: their 16-lane maxima folded into one vector, 15 folds for 16 columns
   * instead of a full horizontal reduction each */
  for (; c + 16 <= cols; c += 16) {
    __m512i v[16];
#pragma GCC unroll 16
    for (int k = 0; k < 16; k++)
      v[k] = col_max16(x + (c + k) * stride, width, mag);
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
    uint32_t bits = _mm512_reduce_max_epu32(col_max16(x + c * stride, width, mag));
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

#else /* not GCC-compatible x86-64: never called (vg_conv_simd_available) */

int vg_wino_input_avx512(const float *const d[VG_WINO_N], int64_t n, float *v, int64_t vstride)
{
  return 1;
}

void vg_wino_output_avx512(int outs, const float *m, int64_t mstride, int tiles, const float *bias,
                           float *y, int64_t ldy, int64_t cols, int width, int relu, float *sum)
{
}

void vg_wino4_input_avx512(const float *const d[VG_WINO4_N], int64_t n, float *v, int64_t vstride)
{
}

void vg_column_peaks_avx512(const float *x, int64_t cols, int64_t width, int64_t stride,
                            float *peak)
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

/* G of the transform with the rows scaled by 1/s[x] (see wino_in16): (G g)[x] = sum_k g_k a^k at
 * the point a, the last tap alone at infinity. The rows of B^T, and so s, depend on the points
 * only, the same for 3, 5 and 7 taps. Double precision: computed once per weight. */
void vg_wino_weights(const float *g, int taps, double u[VG_WINO_N])
{
  static const double pt[VG_WINO_N - 1] = {0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5};
  static const double s[VG_WINO_N] = {1.0, -4.5, 4.5, 180.0, 180.0, 45.0 / 64.0, 45.0 / 64.0, 1.0};
  for (int x = 0; x < VG_WINO_N - 1; x++) {
    double h = 0.0; /* Horner */
    for (int k = taps - 1; k >= 0; k--)
      h = h * pt[x] + (double)g[k];
    u[x] = h / s[x];
  }
  u[VG_WINO_N - 1] = (double)g[taps - 1];
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
