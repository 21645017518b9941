/* Conv 1-D for a few output columns: the streaming engine's hop (1-4 new columns per layer at
 * W/64, up to 256 at the paper's hops) and its edge bands.
 *
 * Through OpenBLAS, a GEMM of so few rows still packs the whole weight matrix into its own layout
 * on every call (sgemm_itcopy: 30-40 % of a hop in perf for the EEG-like model at H = 16) and runs
 * a kernel tuned for many rows. Here the weights are read once per block of up to SMALL_NB output
 * columns, straight from conv.c's packed layout B[(k, ci)][co] (row-major, C_out/g floats a row),
 * and every row is shared by the block's columns:
 *   out[r][co] = bias[co] + sum_k sum_ci x_r[k][ci] * B[(k, ci)][co]
 * where x_r[k] is input column j_r*s - p + k*d of output column j_r (a zero column outside the
 * signal extent: zero padding). The co axis is split into chunks of 1-8 vectors of 16 floats held
 * in accumulators (GCC/Clang vector extensions: one zmm each with AVX-512, two ymm with AVX2), so a
 * chunk's partial sums never leave registers while the (k, ci) rows stream past; channels left
 * over (C_out/g mod 16) take a scalar loop. Each column's sum is formed in the same (k, ci) order
 * whatever its chunk and block, so the result does not depend on how many columns share a block
 * (nor, in the engine, on how the stream was chunked).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "ops_priv.h"

/* Output columns sharing one pass over the weights, and vectors of 16 channels per chunk at
 * most. */
#define SMALL_NB 4
#define SMALL_NV 8
#define VLEN     16

/* acc += x * w as one fused multiply-add: -std=c11 turns GCC's contraction off (ISO C's default),
 * and two instructions per product cost 3-8 % of a hop where the kernel is compute-bound (A/B,
 * alternating runs: accelerometer H 160 exact 382 -> 372 us, PPG H 64 exact 60 -> 57 us). A fused
 * product rounds once instead of twice. Clang contracts within an expression by default. */
#if defined(__GNUC__) && !defined(__clang__)
#define SMALL_FMA __attribute__((optimize("fp-contract=fast")))
#else
#define SMALL_FMA
#endif

/* 16 floats; alignment 4 so that any float pointer may be loaded, may_alias because the weights
 * and columns are float arrays. */
typedef float v16 __attribute__((vector_size(VLEN * sizeof(float)), aligned(4), may_alias));

/* taps[k]: the group's C_in/g floats of the input column output column j reads through tap k, or
 * `zeros` when that column is padding. */
static void tap_pointers(const OpsConv1 *g, const VgSeq *in, int64_t j, int64_t gi,
                         const float *zeros, const float **taps)
{
  for (int64_t k = 0; k < g->kt; k++) {
    int64_t c = j * g->st - g->pt + k * g->dt;
    taps[k] = seq_has(in, c) ? seq_col(in, c) + gi * g->cig : zeros;
  }
}

/* nb columns (taps[r * kt + k]) times nv vectors of output channels starting at co0 of the
 * group's B. Called with constant nb and nv so that the accumulators become registers. Every
 * accumulator is one dependency chain of adds (3-4 cycles each): nb * nv of them must be in flight
 * to keep the FP units busy, hence wide chunks (8 vectors) for a single column. */
static inline __attribute__((always_inline)) void block(int nb, int nv, const OpsConv1 *g,
                                                        const float *const *taps, const float *b,
                                                        const float *bias, float *const *o,
                                                        int64_t co0)
{
  v16 acc[SMALL_NB][SMALL_NV];
#pragma GCC unroll 4
  for (int r = 0; r < nb; r++)
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++)
      acc[r][v] = *(const v16 *)(bias + co0 + v * VLEN);
  for (int64_t k = 0; k < g->kt; k++)
    for (int64_t ci = 0; ci < g->cig; ci++) {
      const float *w = b + (k * g->cig + ci) * g->cog + co0;
      v16 wv[SMALL_NV];
      /* Unrolled so that acc[][] stays in registers (GCC keeps a rolled loop's array in memory). */
#pragma GCC unroll 8
      for (int v = 0; v < nv; v++)
        wv[v] = *(const v16 *)(w + v * VLEN);
#pragma GCC unroll 4
      for (int r = 0; r < nb; r++) {
        float x = taps[r * g->kt + k][ci];
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++)
          acc[r][v] += x * wv[v];
      }
    }
#pragma GCC unroll 4
  for (int r = 0; r < nb; r++)
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++)
      *(v16 *)(o[r] + co0 + v * VLEN) = acc[r][v];
}

/* Channels [co0, cog) that no vector chunk covers, one at a time. */
static void block_tail(int nb, const OpsConv1 *g, const float *const *taps, const float *b,
                       const float *bias, float *const *o, int64_t co0)
{
  for (int r = 0; r < nb; r++)
    for (int64_t co = co0; co < g->cog; co++) {
      float acc = bias[co];
      for (int64_t k = 0; k < g->kt; k++) {
        const float *x = taps[r * g->kt + k];
        for (int64_t ci = 0; ci < g->cig; ci++)
          acc += x[ci] * b[(k * g->cig + ci) * g->cog + co];
      }
      o[r][co] = acc;
    }
}

/* Channels [0, cog) of nb columns in chunks of nv_max vectors (the widest that keeps nb * nv
 * accumulators and nv weight vectors within 32 AVX-512 registers), then of 4, 2 and 1 vectors for
 * what remains; returns the first channel left for block_tail. */
static inline __attribute__((always_inline)) int64_t chunks(int nb, int nv_max, const OpsConv1 *g,
                                                            const float *const *taps,
                                                            const float *b, const float *bias,
                                                            float *const *o)
{
  int64_t co0 = 0;
  for (; co0 + nv_max * VLEN <= g->cog; co0 += nv_max * VLEN)
    block(nb, nv_max, g, taps, b, bias, o, co0);
  if (nv_max > 4 && co0 + 4 * VLEN <= g->cog) {
    block(nb, 4, g, taps, b, bias, o, co0);
    co0 += 4 * VLEN;
  }
  if (nv_max > 2 && co0 + 2 * VLEN <= g->cog) {
    block(nb, 2, g, taps, b, bias, o, co0);
    co0 += 2 * VLEN;
  }
  if (nv_max > 1 && co0 + VLEN <= g->cog) {
    block(nb, 1, g, taps, b, bias, o, co0);
    co0 += VLEN;
  }
  return co0;
}

/* One block of nb <= SMALL_NB columns of one group. */
VG_SIMD_CLONES SMALL_FMA static void group_block(int nb, const OpsConv1 *g,
                                                 const float *const *taps, const float *b,
                                                 const float *bias, float *const *o)
{
  int64_t co0;
  switch (nb) {
  case 1:
    co0 = chunks(1, 8, g, taps, b, bias, o);
    break;
  case 2:
    co0 = chunks(2, 4, g, taps, b, bias, o);
    break;
  case 3:
    co0 = chunks(3, 4, g, taps, b, bias, o);
    break;
  default:
    co0 = chunks(SMALL_NB, 4, g, taps, b, bias, o);
    break;
  }
  block_tail(nb, g, taps, b, bias, o, co0);
}

void conv1_small(const OpsConv1 *g, const float *w, const float *bias, const VgSeq *in, VgSeq *out,
                 int64_t j0, int64_t j1, float *scratch)
{
  /* The tap pointers of one block live on the stack: the caller sends kernels wider than
   * CONV_SMALL_MAX_TAPS to its GEMM path. scratch holds at least C_in/g floats (conv_scratch). */
  const float *taps[SMALL_NB * CONV_SMALL_MAX_TAPS];
  float *o[SMALL_NB];
  float *zeros = scratch;
  memset(zeros, 0, (size_t)g->cig * sizeof(float));
  for (int64_t ja = j0; ja < j1; ja += SMALL_NB) {
    int nb = (int)ops_min(SMALL_NB, j1 - ja);
    for (int64_t gi = 0; gi < g->g; gi++) {
      for (int r = 0; r < nb; r++) {
        tap_pointers(g, in, ja + r, gi, zeros, taps + r * g->kt);
        o[r] = seq_col_mut(out, ja + r) + gi * g->cog;
      }
      group_block(nb, g, taps, w + gi * g->kt * g->cig * g->cog, bias + gi * g->cog, o);
    }
  }
}
