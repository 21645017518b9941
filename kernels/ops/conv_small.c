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

#include "conv_simd.h"
#include "ops_priv.h"

/* Output columns sharing one pass over the weights, and vectors per chunk at most. */
#define SMALL_NB 4
#define SMALL_NV 8

/* 16 and 8 floats; alignment 4 so that any float pointer may be loaded, may_alias because the
 * weights and columns are float arrays. */
typedef float v16 __attribute__((vector_size(16 * sizeof(float)), aligned(4), may_alias));
typedef float v8 __attribute__((vector_size(8 * sizeof(float)), aligned(4), may_alias));

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

/* nb columns (taps[r * kt + k]) times nv vectors of VL output channels starting at co0 of the
 * group's B. Called with constant nb and nv so that the accumulators become registers. Every
 * accumulator is one dependency chain of adds (3-4 cycles each): nb * nv of them must be in flight
 * to keep the FP units busy, hence wide chunks for a single column. Defined for vectors of 16
 * floats (one zmm) and of 8 (one ymm): GCC splits wider vectors than the target's registers into
 * halves, and builds their broadcasts through the stack. */
#define DEFINE_BLOCK(NAME, VT, VL)                                                                 \
  static inline __attribute__((always_inline)) void NAME(                                          \
      int nb, int nv, const OpsConv1 *g, const float *const *taps, const float *b,                 \
      const float *bias, float *const *o, int64_t co0)                                             \
  {                                                                                                \
    VT acc[SMALL_NB][SMALL_NV];                                                                    \
    _Pragma("GCC unroll 4") for (int r = 0; r < nb; r++)                                           \
        _Pragma("GCC unroll 8") for (int v = 0; v < nv; v++) acc[r][v] =                           \
            *(const VT *)(bias + co0 + v * VL);                                                    \
    for (int64_t k = 0; k < g->kt; k++)                                                            \
      for (int64_t ci = 0; ci < g->cig; ci++) {                                                    \
        const float *w = b + (k * g->cig + ci) * g->cog + co0;                                     \
        VT wv[SMALL_NV];                                                                           \
        /* unrolled so that acc[][] stays in registers (GCC keeps a rolled loop's array in         \
         * memory) */                                                                              \
        _Pragma("GCC unroll 8") for (int v = 0; v < nv; v++) wv[v] = *(const VT *)(w + v * VL);    \
        _Pragma("GCC unroll 4") for (int r = 0; r < nb; r++)                                       \
        {                                                                                          \
          float x = taps[r * g->kt + k][ci];                                                       \
          _Pragma("GCC unroll 8") for (int v = 0; v < nv; v++) acc[r][v] += x * wv[v];             \
        }                                                                                          \
      }                                                                                            \
    _Pragma("GCC unroll 4") for (int r = 0; r < nb; r++)                                           \
            _Pragma("GCC unroll 8") for (int v = 0; v < nv; v++) *                                 \
        (VT *)(o[r] + co0 + v * VL) = acc[r][v];                                                   \
  }
DEFINE_BLOCK(block16, v16, 16)
DEFINE_BLOCK(block8, v8, 8)

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

/* Channels [0, cog) of nb columns in chunks of nv_max vectors of vl floats (the widest that keeps
 * nb * nv accumulators within the registers), then of 4, 2 and 1 vectors for what remains;
 * returns the first channel left for block_tail. */
static inline __attribute__((always_inline)) int64_t
chunks(const int vl, int nb, int nv_max, const OpsConv1 *g, const float *const *taps,
       const float *b, const float *bias, float *const *o)
{
#define BLOCK(nv)                                                                                  \
  (vl == 16 ? block16(nb, nv, g, taps, b, bias, o, co0) : block8(nb, nv, g, taps, b, bias, o, co0))
  int64_t co0 = 0;
  for (; co0 + nv_max * vl <= g->cog; co0 += nv_max * vl)
    BLOCK(nv_max);
  if (nv_max > 4 && co0 + 4 * vl <= g->cog) {
    BLOCK(4);
    co0 += 4 * vl;
  }
  if (nv_max > 2 && co0 + 2 * vl <= g->cog) {
    BLOCK(2);
    co0 += 2 * vl;
  }
  if (nv_max > 1 && co0 + vl <= g->cog) {
    BLOCK(1);
    co0 += vl;
  }
#undef BLOCK
  return co0;
}

/* One block of nb <= SMALL_NB columns of one group, in chunks of at most NV1 vectors of VL floats
 * for one column and NV4 for several: as many accumulators as the instruction set's registers
 * hold (32 zmm, 16 ymm, 16 xmm: a vector of 8 floats takes two). */
#define GROUP_BLOCK(NAME, TARGET, VL, NV1, NV4)                                                    \
  TARGET OPS_FMA static void NAME(int nb, const OpsConv1 *g, const float *const *taps,             \
                                  const float *b, const float *bias, float *const *o)              \
  {                                                                                                \
    int64_t co0 = nb == 1   ? chunks(VL, 1, NV1, g, taps, b, bias, o)                              \
                  : nb == 2 ? chunks(VL, 2, NV4, g, taps, b, bias, o)                              \
                  : nb == 3 ? chunks(VL, 3, NV4, g, taps, b, bias, o)                              \
                            : chunks(VL, SMALL_NB, NV4, g, taps, b, bias, o);                      \
    block_tail(nb, g, taps, b, bias, o, co0);                                                      \
  }

typedef void (*GroupBlockFn)(int, const OpsConv1 *, const float *const *, const float *,
                             const float *, float *const *);

GROUP_BLOCK(group_block_base, , 8, 4, 1)
#if defined(__GNUC__) && defined(__x86_64__)
/* One version per instruction set: GCC's target_clones compiled the AVX-512 one for AVX2 as
 * well, on 16-float vectors split in two and 32 accumulators' worth of ymm, and ran a 32 -> 32 k5
 * layer at 1.9 GFLOP/s, building every broadcast through the stack. */
GROUP_BLOCK(group_block_avx512, __attribute__((target("avx512f"))), 16, 8, 4)
GROUP_BLOCK(group_block_avx2, __attribute__((target("avx2,fma"))), 8, 8, 2)
#endif

/* The version of the conv kernels' instruction set (vg_conv_kernels: VIGIL_SIMD=avx2 takes the
 * AVX2 one on AVX-512 CPUs too), else the baseline's. */
static GroupBlockFn group_block_fn(void)
{
#if defined(__GNUC__) && defined(__x86_64__)
  const VgConvKernels *k = vg_conv_kernels();
  if (k)
    return k->isa == VG_SIMD_AVX512 ? group_block_avx512 : group_block_avx2;
#endif
  return group_block_base;
}

void conv1_small(const OpsConv1 *g, const float *w, const float *bias, const VgSeq *in, VgSeq *out,
                 int64_t j0, int64_t j1, float *scratch)
{
  /* The tap pointers of one block live on the stack: the caller sends kernels wider than
   * CONV_SMALL_MAX_TAPS to its GEMM path. scratch holds at least C_in/g floats (conv_scratch). */
  const float *taps[SMALL_NB * CONV_SMALL_MAX_TAPS];
  float *o[SMALL_NB];
  float *zeros = scratch;
  GroupBlockFn group_block = group_block_fn();
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
