/* Hand-written SIMD kernels of the 1-D conv (internal to kernels/ops; see conv.c).
 *
 * Why beside OpenBLAS: Debian 12's OpenBLAS 0.3.21 picks its kernels by CPU model and falls back
 * to its Haswell (AVX2) ones on CPUs it does not know (recent AMD EPYC), half the FMA width the
 * CPU has, and its per-tap GEMMs pack both operands on every call. These kernels come in two
 * instruction sets with the same contracts: AVX-512 (conv_avx512.c, conv_wino_avx512.c) and AVX2 +
 * FMA (conv_avx2.c), compiled with function target attributes and called only when the running
 * CPU has them (vg_conv_kernels); every other CPU keeps the OpenBLAS path.
 *
 * Layout: activations are time-major columns (the C channels of a time step are contiguous), so
 * the kernels vectorise along output channels: a block of VG_UK_ROWS output columns x VG_UK_CO
 * output channels lives in registers while input values are broadcast and multiplied by packed
 * weight rows of VG_UK_CO channels.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_CONV_SIMD_H
#define VG_CONV_SIMD_H

#include <stdint.h>

/* Output channels per block (two zmm of 16 floats) and output columns per micro-kernel call:
 * 14 x 2 accumulators + 2 weight vectors + 1 broadcast = 31 of the 32 zmm registers. */
#define VG_UK_CO   32
#define VG_UK_ROWS 14

/* Winograd F(6,3): 6 outputs from 8 inputs per tile and per channel, 8 products instead of 18.
 * The same 8 points (0, +-1, +-2, +-1/2, infinity) give F(4,5) and F(2,7) for 5 and 7 taps: the
 * input transform depends on the points only, so it is shared; G takes the taps' count, A^T the
 * outputs' (VG_WINO_N + 1 - taps of them). */
#define VG_WINO_M 6
#define VG_WINO_N 8
/* Winograd F(4,3), for spans too short for F(6,3)'s tiles (a streaming hop's new columns): 4
 * outputs from 6 inputs, 6 products instead of 12, with 6/8 of F(6,3)'s transformed weights to
 * read per call. */
#define VG_WINO4_M 4
#define VG_WINO4_N 6

/* Whether the running CPU (and OS) supports the AVX-512 kernels, the AVX2 + FMA ones. */
int vg_conv_avx512_available(void);
int vg_conv_avx2_available(void);

/* The micro-kernel: for r < rows (1 .. VG_UK_ROWS) and o < width (1 .. VG_UK_CO),
 *   c[r*ldc + o] = bias[o] + sum_{t < taps} sum_{i < n} a[r*lda + t*tap + i] * b[(t*n + i)*32 + o]
 * then max(0, c) if relu (NaN kept, as vg_relu). b is a packed block of taps*n rows of VG_UK_CO
 * floats, 64-byte aligned; bias has VG_UK_CO floats (NULL: none). Columns o >= width of c are not
 * written. */
void vg_uk_avx512(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n, const float *b,
                  const float *bias, int rows, float *c, int64_t ldc, int width, int relu);

/* One or two rows over nblocks (2 .. VG_UK_MULTI) blocks at once: block k reads the weights
 * b + k*bstride and bias + k*VG_UK_CO (NULL: none) and writes c + k*VG_UK_CO, channels
 * o < width - k*VG_UK_CO; otherwise as vg_uk_avx512. A single output column is bound by how fast
 * its weights arrive from L3 (a GEMV), and the blocks' weights read as concurrent streams keep
 * more of them in flight than one block after the other. */
#define VG_UK_MULTI 4
void vg_uk_multi_avx512(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n,
                        const float *b, int64_t bstride, int nblocks, const float *bias, int rows,
                        float *c, int64_t ldc, int width, int relu);

/* The largest magnitude of each of `cols` columns of `width` floats, `stride` floats apart (NaN or
 * infinity when the column holds one). */
void vg_column_peaks_avx512(const float *x, int64_t cols, int64_t width, int64_t stride,
                            float *peak);
/* Whether the n floats at x are all finite (no NaN, no infinity). */
int vg_finite_avx512(const float *x, int64_t n);

/* Winograd F(6,3), F(4,5) and F(2,7) transforms, vectorised along channels (all arrays of `n`
 * channels): input: v[x*vstride + i] = sum_j BT[x][j] d[j][i] for x < 8, from the tile's 8 input
 * columns d[j] (each a pointer to n floats, zeros for padding). Output of F(outs, 9 - outs), outs
 * 6, 4 or 2, for the tiles t < tiles of a row block (tile t's points at m + t*VG_UK_CO +
 * x*mstride): column c = outs*t + i < cols (<= VG_UK_ROWS tiles) gets
 * y[c*ldy + o] = bias[o] + sum_x AT[i][x] * m[x*mstride + t*VG_UK_CO + o] for o < width (<=
 * VG_UK_CO), then max(0, y) if relu. With sum != NULL the columns are not stored but summed and
 * added to sum[o] (y is then unused). The input transform returns 0 when an input value is NaN
 * or infinite (v is then of no use), else 1 (rarely 0 for finite values near FLT_MAX). */
int vg_wino_input_avx512(const float *const d[VG_WINO_N], int64_t n, float *v, int64_t vstride);
void vg_wino_output_avx512(int outs, const float *m, int64_t mstride, int tiles, const float *bias,
                           float *y, int64_t ldy, int64_t cols, int width, int relu, float *sum);

/* The weight transform: u[x] = (G g)[x] / s[x] for the `taps` taps g (3, 5 or 7) of one (co, ci)
 * pair, with the same row scales s as the input transform (see conv_wino_avx512.c). */
void vg_wino_weights(const float *g, int taps, double u[VG_WINO_N]);

/* The same three for F(4,3): 6 input columns d, up to 4 output columns y (no running sums). */
void vg_wino4_input_avx512(const float *const d[VG_WINO4_N], int64_t n, float *v, int64_t vstride);
void vg_wino4_output_avx512(const float *m, int64_t mstride, const float *bias, float *const y[],
                            int rows, int width, int relu);
void vg_wino4_weights(const float g[3], double u[VG_WINO4_N]);

/* One instruction set's kernels. */
typedef enum { VG_SIMD_AVX512, VG_SIMD_AVX2 } VgSimdIsa;
typedef struct {
  VgSimdIsa isa;
  const char *name; /* "AVX-512", "AVX2" */
  void (*uk)(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n, const float *b,
             const float *bias, int rows, float *c, int64_t ldc, int width, int relu);
  void (*uk_multi)(const float *a, int64_t lda, int64_t tap, int64_t taps, int64_t n,
                   const float *b, int64_t bstride, int nblocks, const float *bias, int rows,
                   float *c, int64_t ldc, int width, int relu);
  void (*column_peaks)(const float *x, int64_t cols, int64_t width, int64_t stride, float *peak);
  int (*finite)(const float *x, int64_t n);
  int (*wino_input)(const float *const d[VG_WINO_N], int64_t n, float *v, int64_t vstride);
  void (*wino_output)(int outs, const float *m, int64_t mstride, int tiles, const float *bias,
                      float *y, int64_t ldy, int64_t cols, int width, int relu, float *sum);
  void (*wino4_input)(const float *const d[VG_WINO4_N], int64_t n, float *v, int64_t vstride);
  void (*wino4_output)(const float *m, int64_t mstride, const float *bias, float *const y[],
                       int rows, int width, int relu);
} VgConvKernels;

/* The AVX2 + FMA kernels (conv_avx2.c), with the contracts of the AVX-512 ones above. */
extern const VgConvKernels vg_conv_kernels_avx2;

/* The kernels for the running CPU, chosen once per process: AVX-512, else AVX2 + FMA, else NULL
 * (the OpenBLAS path alone). The environment variable VIGIL_SIMD=avx2 takes AVX2 on an AVX-512
 * CPU, VIGIL_SIMD=none neither (tests, benchmarks, a CPU that misreports). Inline, because the
 * drivers ask for every micro-kernel call (a call measured 0.3-0.5 % of a window or a hop): once
 * kernels are chosen it is one load; vg_conv_kernels_choose makes the choice (and repeats it
 * while it is NULL, which only the OpenBLAS path, at prepare, sees). */
extern const VgConvKernels *vg_conv_kernels_chosen;
const VgConvKernels *vg_conv_kernels_choose(void);
static inline const VgConvKernels *vg_conv_kernels(void)
{
  const VgConvKernels *k = __atomic_load_n(&vg_conv_kernels_chosen, __ATOMIC_ACQUIRE);
  return k ? k : vg_conv_kernels_choose();
}
/* vg_conv_kernels() != NULL */
int vg_conv_simd_available(void);
/* Whether the AVX-512 kernels run (not VIGIL_SIMD=avx2 or none): the 16-lane instances of the
 * register blocks in conv2_freq.c and conv2_depthwise.c, else their 8-lane ones. */
static inline int vg_conv_avx512_chosen(void)
{
  const VgConvKernels *k = vg_conv_kernels();
  return k && k->isa == VG_SIMD_AVX512;
}

#endif
