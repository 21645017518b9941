/* 1-D convs of one input channel per group (CONV_DIRECT): depthwise convs (C_out = C_in, the
 * first half of a depthwise-separable block: MobileNet-1D, QuartzNet, separable TCNs) and channel
 * multipliers. Time-major columns hold a column's channels contiguously, so each tap is an
 * element-wise product of a weight row w[k][c] with an input column. Plain C on GCC vector types
 * (VG_SIMD_CLONES: AVX-512, AVX2, the baseline).
 *
 * Depthwise: per output column, 64 channels accumulate in four vector registers over all taps,
 * and are stored once. The loop this replaces added each tap's products into the output column in
 * memory, through pointers the compiler could not prove apart (baseline SSE at best): a 128-channel
 * k 9 conv over 1000 columns took 200 us (11.5 GFLOP/s).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <string.h>

#include "conv_priv.h"
#include "vg_simd.h"

typedef float V8 __attribute__((vector_size(8 * sizeof(float))));

/* Vectors in and out of memory through memcpy (no helper returning one: a vector return value
 * changes the ABI between the clones). */
#define LOAD8(v, p)  memcpy(&(v), (p), sizeof(V8))
#define STORE8(p, v) memcpy((p), &(v), sizeof(V8))

/* Channels [c, c + 64) of output column j, into o: eight vectors of 8 (ymm registers: 32-byte
 * vectors compile to as good code on AVX2 as on AVX-512, where 64-byte ones spilled on AVX2). */
static inline __attribute__((always_inline)) void
block64(const ConvGeom *g, const VgPacked *p, const VgSeq *in, int64_t j, int64_t c, float *o)
{
  V8 a[8], w, x;
#pragma GCC unroll 8
  for (int v = 0; v < 8; v++)
    LOAD8(a[v], p->bias + c + 8 * v);
  for (int64_t k = 0; k < g->kt; k++) {
    int64_t t = j * g->st - g->pt + k * g->dt;
    if (!seq_has(in, t))
      continue; /* zero padding */
    const float *xs = seq_col(in, t) + c, *ws = p->w + k * g->co + c;
#pragma GCC unroll 8
    for (int v = 0; v < 8; v++) {
      LOAD8(w, ws + 8 * v);
      LOAD8(x, xs + 8 * v);
      a[v] += w * x;
    }
  }
#pragma GCC unroll 8
  for (int v = 0; v < 8; v++)
    STORE8(o + c + 8 * v, a[v]);
}

/* Channels [c, co) of output column j (fewer than 64), one at a time. */
static void tail(const ConvGeom *g, const VgPacked *p, const VgSeq *in, int64_t j, int64_t c,
                 float *o)
{
  for (int64_t ch = c; ch < g->co; ch++)
    o[ch] = p->bias[ch];
  for (int64_t k = 0; k < g->kt; k++) {
    int64_t t = j * g->st - g->pt + k * g->dt;
    if (!seq_has(in, t))
      continue;
    const float *x = seq_col(in, t), *w = p->w + k * g->co;
    for (int64_t ch = c; ch < g->co; ch++)
      o[ch] += w[ch] * x[ch];
  }
}

OPS_FMA VG_SIMD_CLONES static void depthwise(const ConvGeom *g, const VgPacked *p, const VgSeq *in,
                                             VgSeq *out, int64_t j0, int64_t j1)
{
  for (int64_t j = j0; j < j1; j++) {
    float *o = seq_col_mut(out, j);
    int64_t c = 0;
    for (; c + 64 <= g->co; c += 64)
      block64(g, p, in, j, c, o);
    tail(g, p, in, j, c, o);
    if (p->fused_relu)
      ops_relu_cols(o, g->co);
  }
}

/* A channel multiplier: output channel ci * cog + m reads input channel ci. */
static void multiplier(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out,
                       int64_t j0, int64_t j1)
{
  for (int64_t j = j0; j < j1; j++) {
    float *o = seq_col_mut(out, j);
    memcpy(o, p->bias, (size_t)g->co * sizeof(float));
    for (int64_t k = 0; k < g->kt; k++) {
      int64_t c = j * g->st - g->pt + k * g->dt;
      if (!seq_has(in, c))
        continue; /* zero padding */
      const float *x = seq_col(in, c);
      const float *w = p->w + k * g->co;
      for (int64_t ci = 0; ci < g->ci; ci++) {
        float xv = x[ci];
        for (int64_t o2 = ci * g->cog; o2 < (ci + 1) * g->cog; o2++)
          o[o2] += w[o2] * xv;
      }
    }
    if (p->fused_relu)
      ops_relu_cols(o, g->co);
  }
}

void conv1_depthwise(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out, int64_t j0,
                     int64_t j1)
{
  if (g->cog == 1)
    depthwise(g, p, in, out, j0, j1);
  else
    multiplier(g, p, in, out, j0, j1);
}
