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

/* Floats of padded input a chunk of output columns aims for. */
#define DW_CHUNK_FLOATS 65536
/* Channels per register block (4 vectors of 16). */
#define DW_CH 64
typedef float V16 __attribute__((vector_size(16 * sizeof(float))));

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

/* Vectors in and out of memory through memcpy, and no helper that returns one (a vector return
 * value changes the ABI between the clones). */
#define LOAD16(v, p) memcpy(&(v), (p), sizeof(V16))

/* max(y, 0) keeping NaN, as vg_relu (a loop of its own: vector masks in column_t were
 * scalarised). */
VG_SIMD_CLONES static void relu_cols(float *y, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    y[i] = vg_max_nan(y[i], 0.0f);
}

/* Output column j, transposed path: per output frequency and block of DW_CH channels, the taps
 * accumulate in four vectors; [f][c] into o. */
VG_SIMD_CLONES static void column_t(const ConvGeom *g, const VgPacked *p, const VgSeq *in,
                                    int64_t j, int64_t c0, const float *tbuf, float *o)
{
  int64_t c = round_up(g->co, DW_CH), col = padded_col(g), first = j * g->st - g->pt;
  const float *w = conv_align64(p->w), *bias = w + g->kt * g->kf * c;
  for (int64_t fo = 0; fo < g->fo; fo++)
    for (int64_t cb = 0; cb < c; cb += DW_CH) {
      V16 a0, a1, a2, a3, w0, w1, w2, w3, x0, x1, x2, x3;
      LOAD16(a0, bias + cb);
      LOAD16(a1, bias + cb + 16);
      LOAD16(a2, bias + cb + 32);
      LOAD16(a3, bias + cb + 48);
      for (int64_t kt = 0; kt < g->kt; kt++) {
        int64_t t = first + kt * g->dt;
        if (!seq_has(in, t))
          continue;
        const float *x = tbuf + (t - c0) * col + fo * g->sf * c + cb;
        const float *wk = w + kt * g->kf * c + cb;
        for (int64_t kf = 0; kf < g->kf; kf++, x += g->df * c, wk += c) {
          LOAD16(w0, wk);
          LOAD16(w1, wk + 16);
          LOAD16(w2, wk + 32);
          LOAD16(w3, wk + 48);
          LOAD16(x0, x);
          LOAD16(x1, x + 16);
          LOAD16(x2, x + 32);
          LOAD16(x3, x + 48);
          a0 += w0 * x0;
          a1 += w1 * x1;
          a2 += w2 * x2;
          a3 += w3 * x3;
        }
      }
      float *y = o + fo * c + cb;
      memcpy(y, &a0, sizeof a0);
      memcpy(y + 16, &a1, sizeof a1);
      memcpy(y + 32, &a2, sizeof a2);
      memcpy(y + 48, &a3, sizeof a3);
    }
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
      if (p->fused_relu)
        relu_cols(y, g->co * g->fo);
    }
  }
}
