/* Depthwise 2-D convs (one input channel per group), the first half of a depthwise-separable
 * block (MobileNet-style keyword spotting: DS-CNN). Plain C on GCC vector types, compiled for
 * AVX-512, AVX2 and the baseline (VG_SIMD_CLONES).
 *
 * One channel per output channel (C_out = C_in = groups, CONV_DW2T): input columns [c][f] are
 * transposed to [f][c] between zero rows (the frequency padding) and zero channels (C rounded up
 * to DW_CH), so that for an output frequency and a tap (kt, kf) the channels are contiguous: 64
 * channels accumulate in four vector registers over all the taps, against per-tap weight rows
 * packed [kt][kf][c]. The outputs, [f][c], are transposed back.
 *
 * Channel multipliers (C_out = m C_in) run in conv2_freq.c.
 *
 * On OpenBLAS (a GEMM of one row per group) a DS-CNN's 64-channel 3 x 3 layers on 20 x 50 took
 * 383 us each, 3 GFLOP/s.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <string.h>

#include "conv_priv.h"
#include "conv_simd.h"

/* Floats of padded input a chunk of output columns aims for. */
#define DW_CHUNK_FLOATS 65536
/* Channels per register block (4 vectors of 16, or 8 of 8). */
#define DW_CH 64

static int64_t round_up(int64_t n, int64_t m)
{
  return (n + m - 1) / m * m;
}

/* Floats per padded input column: transposed rows of DW_CH-rounded channels. */
static int64_t padded_col(const ConvGeom *g)
{
  return conv2_padded_freqs(g, g->fo) * round_up(g->ci, DW_CH);
}

static int64_t chunk_cols(const ConvGeom *g, int64_t cols)
{
  return conv2_chunk_cols(g->st * padded_col(g), DW_CHUNK_FLOATS, cols);
}

size_t conv2_depthwise_scratch(const ConvGeom *g, int64_t cols)
{
  int64_t r = chunk_cols(g, cols > 0 ? cols : 1);
  /* the padded input, an output column [f][c] and its transpose */
  return (size_t)(conv_in_cols(g, r) * padded_col(g) + 64 + 2 * g->fo * round_up(g->co, DW_CH));
}

int64_t conv2_depthwise_w_floats(const ConvGeom *g)
{
  int64_t c = round_up(g->co, DW_CH);
  return g->kt * g->kf * c + c + 16; /* weight rows, the bias row, alignment */
}

void conv2_depthwise_pack(const ConvGeom *g, const float *w, const float *bias, VgPacked *p)
{
  int64_t c = round_up(g->co, DW_CH);
  float *d = conv_align64(p->w); /* calloc'ed: the padded channels stay zero */
  for (int64_t oc = 0; oc < g->co; oc++) {
    for (int64_t kt = 0; kt < g->kt; kt++)
      for (int64_t kf = 0; kf < g->kf; kf++)
        d[(kt * g->kf + kf) * c + oc] = w[(oc * g->kf + kf) * g->kt + kt];
    d[g->kt * g->kf * c + oc] = bias ? bias[oc] : 0.0f;
  }
}

/* Input columns [c0, c1) inside the signal, transposed to [f][c] between zero rows and channels. */
static void transpose_in(const ConvGeom *g, const VgSeq *in, int64_t c0, int64_t c1, float *tbuf)
{
  int64_t c = round_up(g->ci, DW_CH), col = padded_col(g);
  for (int64_t t = c0; t < c1; t++) {
    if (!seq_has(in, t))
      continue; /* never read: its taps are skipped */
    float *d = tbuf + (t - c0) * col;
    memset(d, 0, (size_t)col * sizeof(float));
    const float *x = seq_col(in, t);
    if (c == g->ci) { /* whole rows of channels: the blocked transpose */
      vg_ops_transpose(x, d + g->pf * c, g->ci, g->fi);
      continue;
    }
    for (int64_t f = 0; f < g->fi; f++)
      for (int64_t ch = 0; ch < g->ci; ch++)
        d[(g->pf + f) * c + ch] = x[ch * g->fi + f];
  }
}

#define DW_CAT2(a, b) a##b
#define DW_CAT(a, b)  DW_CAT2(a, b)

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define DW_WIDE     1 /* a 16-lane instance for AVX-512 CPUs */
#define DW_L        16
#define DW_VF       DwV16
#define DW_FN(name) DW_CAT(name, _16)
#define DW_TARGET   OPS_FMA __attribute__((target("avx512f")))
#include "conv2_depthwise_column.h"
#undef DW_L
#undef DW_VF
#undef DW_FN
#undef DW_TARGET
#endif

/* 8 lanes for the others: x86-64-v3 (AVX2, FMA), the baseline, and clang's builds */
#define DW_L        8
#define DW_VF       DwV8
#define DW_FN(name) DW_CAT(name, _8)
#define DW_TARGET   OPS_FMA VG_SIMD_CLONES
#include "conv2_depthwise_column.h"
#undef DW_L
#undef DW_VF
#undef DW_FN
#undef DW_TARGET

/* Output column j at this CPU's width: 16 lanes where Vigil's conv kernels are the AVX-512 ones
 * (VIGIL_SIMD=avx2 or none takes the 8-lane instance, as an AVX2 CPU would). */
static void column_t(const ConvGeom *g, const VgPacked *p, const VgSeq *in, int64_t j, int64_t c0,
                     const float *tbuf, float *o)
{
#ifdef DW_WIDE
  if (vg_conv_avx512_chosen()) {
    column_t_16(g, p, in, j, c0, tbuf, o);
    return;
  }
#endif
  column_t_8(g, p, in, j, c0, tbuf, o);
}

void conv2_depthwise(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out, int64_t j0,
                     int64_t j1, float *scratch)
{
  int64_t c = round_up(g->co, DW_CH), rmax = chunk_cols(g, j1 - j0);
  float *tbuf = conv_align64(scratch);
  float *o = tbuf + conv_in_cols(g, rmax) * padded_col(g), *ot = o + g->fo * c;
  for (int64_t ja = j0; ja < j1; ja += rmax) {
    int64_t rows = j1 - ja < rmax ? j1 - ja : rmax, c0 = ja * g->st - g->pt;
    transpose_in(g, in, c0, c0 + conv_in_cols(g, rows), tbuf);
    for (int64_t j = ja; j < ja + rows; j++) {
      column_t(g, p, in, j, c0, tbuf, o);
      /* [f][c] -> [c][f]: the real channels are the first co rows */
      float *y = seq_col_mut(out, j);
      vg_ops_transpose(o, c == g->co ? y : ot, g->fo, c);
      if (c != g->co)
        memcpy(y, ot, (size_t)(g->co * g->fo) * sizeof(float));
    }
  }
}
