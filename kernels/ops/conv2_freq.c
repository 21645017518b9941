/* 2-D convs vectorised along frequency (CONV_FREQ2): the convs that the micro-kernel of
 * conv2_simd.c does not take, grouped convs (depthwise with a channel multiplier included) and
 * convs dilated along frequency, which went to OpenBLAS as GEMMs of a few rows per group.
 *
 * A column holds [C][F] (ONNX order), so one channel's frequencies are contiguous, and an output
 * channel's frequencies are contiguous in the output column too: vectors of 8 output frequencies
 * accumulate, over the input channels of the output channel's group and the taps (kt, kf), the
 * weight (broadcast) times 8 input frequencies, and are stored in place, with no transpose either
 * side. Each input channel's row is copied between zeros (the frequency padding) and split into
 * sf phase rows (phase q holds padded frequencies q, q + sf, ...), so that a tap's 8 inputs are
 * contiguous whatever the frequency stride and dilation. Four output channels times up to three
 * vectors of frequencies (eight channels when one vector holds them) make eight to twelve
 * independent accumulators, enough to hide the FMA latency (one accumulator per channel and vector
 * ran a channel multiplier's depthwise conv at 9.5 GFLOP/s); when the channels share their group,
 * each input vector is loaded once for all.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conv_priv.h"
#include "vg_simd.h"

/* Frequencies per vector: 8 (32-byte vectors). 64-byte ones spilled on AVX2 CPUs, whose 16
 * registers hold 8 of them, 4 to 16x slower than OpenBLAS there; 8 lanes run as fast as 16 on
 * AVX-512 (grouped 3 x 3 on 20 x 50: 0.13-0.19 ms either way; a channel multiplier's 0.048 ->
 * 0.033 ms, less padding on short frequency axes) and 2-4x faster than OpenBLAS on AVX2. */
#define FQ_LANES 8
#define FQ_OCB   8 /* output channels per register block, at most */
#define FQ_FB    3 /* vectors of frequencies per register block, at most */
#define FQ_BLOCK (FQ_LANES * FQ_FB)
/* Floats of phase rows a chunk of output columns aims for. */
#define FQ_CHUNK_FLOATS 65536

typedef float VF __attribute__((vector_size(FQ_LANES * sizeof(float))));

/* Vectors in and out of memory through memcpy, and no helper that returns one (a vector return
 * value changes the ABI between the clones). */
#define LOADV(v, p) memcpy(&(v), (p), sizeof(VF))

static int64_t round_up(int64_t n, int64_t m)
{
  return (n + m - 1) / m * m;
}

/* Floats of one phase row: the padded frequencies that the outputs of whole register blocks read,
 * over sf phases. */
static int64_t phase_len(const ConvGeom *g)
{
  return (conv2_padded_freqs(g, round_up(g->fo, FQ_BLOCK)) + g->sf - 1) / g->sf;
}

static int64_t padded_col(const ConvGeom *g)
{
  return g->ci * g->sf * phase_len(g);
}

static int64_t chunk_cols(const ConvGeom *g, int64_t cols)
{
  return conv2_chunk_cols(g->st * padded_col(g), FQ_CHUNK_FLOATS, cols);
}

int conv2_freq_usable(const ConvGeom *g)
{
  if (g->cig == 1 && g->g > 1)
    return 1; /* depthwise with a multiplier: Vigil's own kernel whatever VIGIL_CONV says */
  const char *env = getenv("VIGIL_CONV");
  return !(env && strcmp(env, "blas") == 0);
}

/* Weights [co / 8][(ci, kf, kt)][8]: a tap's weights of eight consecutive output channels in one
 * 32-byte run (a register block's broadcasts from one line, the taps in order), channels past the
 * last zero. */
int64_t conv2_freq_w_floats(const ConvGeom *g)
{
  return round_up(g->co, FQ_OCB) * g->cig * g->kf * g->kt;
}

void conv2_freq_pack(const ConvGeom *g, const float *w, VgPacked *p)
{
  int64_t per_oc = g->cig * g->kf * g->kt;
  for (int64_t oc = 0; oc < g->co; oc++)
    for (int64_t i = 0; i < per_oc; i++)
      p->w[((oc / FQ_OCB) * per_oc + i) * FQ_OCB + oc % FQ_OCB] = w[oc * per_oc + i];
}

size_t conv2_freq_scratch(const ConvGeom *g, int64_t cols)
{
  int64_t r = chunk_cols(g, cols > 0 ? cols : 1);
  /* phase rows, the taps' offsets and weight indices (two int64_t each), alignment */
  return (size_t)(conv_in_cols(g, r) * padded_col(g) + 4 * g->kt * g->cig * g->kf + 32);
}

/* Input columns [c0, c1) inside the signal: each channel's row between zeros, in sf phases. */
static void phase_rows(const ConvGeom *g, const VgSeq *in, int64_t c0, int64_t c1, float *pbuf)
{
  int64_t len = phase_len(g), col = padded_col(g);
  for (int64_t t = c0; t < c1; t++) {
    if (!seq_has(in, t))
      continue; /* never read: its taps are skipped */
    float *d = pbuf + (t - c0) * col;
    const float *x = seq_col(in, t);
    memset(d, 0, (size_t)col * sizeof(float));
    for (int64_t ch = 0; ch < g->ci; ch++) {
      float *row = d + ch * g->sf * len;
      if (g->sf == 1) {
        memcpy(row + g->pf, x + ch * g->fi, (size_t)g->fi * sizeof(float));
        continue;
      }
      for (int64_t f = 0; f < g->fi; f++) {
        int64_t pf = f + g->pf;
        row[(pf % g->sf) * len + pf / g->sf] = x[ch * g->fi + f];
      }
    }
  }
}

/* Taps [ka, kb) of output column j read inside the signal (the others read zero padding). */
static void valid_taps(const ConvGeom *g, const VgSeq *in, int64_t j, int64_t *ka, int64_t *kb)
{
  int64_t first = j * g->st - g->pt;
  *ka = 0;
  *kb = g->kt;
  while (*ka < *kb && !seq_has(in, first + *ka * g->dt))
    (*ka)++;
  while (*kb > *ka && !seq_has(in, first + (*kb - 1) * g->dt))
    (*kb)--;
}

/* What every register block of an output column shares: its taps inside the signal, as offsets
 * from the phase rows of the group's first channel at the column of the first such tap, and as
 * indices of the weights [ci][kf][kt] of an output channel. */
typedef struct {
  const float *x;
  const int64_t *off, *wi;
  int64_t taps, group; /* floats between the phase rows of consecutive groups */
} FreqColumn;

/* Output channels oc[0 .. ocb) (indices past the last channel repeat it: computed, not stored),
 * frequencies f0 .. f0 + 8 fb - 1, into acc. x[o]: output channel o's group's first phase row at
 * f0. shared: the channels are in one group (x[o] all equal), so each input vector serves all.
 * ocb x fb accumulators: 8 x 1, 4 x 2 or 4 x 3, enough to hide the FMA latency. */
static inline __attribute__((always_inline)) void
block(const ConvGeom *g, const VgPacked *p, const FreqColumn *c, const int64_t oc[FQ_OCB],
      const float *const x[FQ_OCB], VF acc[FQ_OCB][FQ_FB], const int ocb, const int fb,
      const int shared)
{
  int64_t per_oc = g->cig * g->kf * g->kt;
  /* oc[0] is a multiple of ocb: its channels are one run of each tap's packed weights */
  const float *w = p->w + (oc[0] / FQ_OCB) * per_oc * FQ_OCB + oc[0] % FQ_OCB;
#pragma GCC unroll 8
  for (int o = 0; o < ocb; o++)
#pragma GCC unroll 4
    for (int v = 0; v < fb; v++)
      acc[o][v] = (VF){0} + p->bias[oc[o]];
  for (int64_t t = 0; t < c->taps; t++) {
    int64_t off = c->off[t], wi = c->wi[t];
    VF xs[FQ_FB];
#pragma GCC unroll 4
    for (int v = 0; v < fb && shared; v++)
      LOADV(xs[v], x[0] + off + v * FQ_LANES);
#pragma GCC unroll 8
    for (int o = 0; o < ocb; o++)
#pragma GCC unroll 4
      for (int v = 0; v < fb; v++) {
        if (!shared)
          LOADV(xs[v], x[o] + off + v * FQ_LANES);
        acc[o][v] += w[wi * FQ_OCB + o] * xs[v];
      }
  }
}

/* acc's vectors into output channels oc0 .. of col from frequency f0 on: whole vectors through
 * fixed-size copies (single stores), the last partial one value by value. */
static inline __attribute__((always_inline)) void store(const ConvGeom *g, VF acc[FQ_OCB][FQ_FB],
                                                        const int ocb, const int fb, int64_t oc0,
                                                        int64_t f0, float *col)
{
  for (int o = 0; o < ocb && oc0 + o < g->co; o++)
#pragma GCC unroll 4
    for (int v = 0; v < fb; v++) {
      int64_t f = f0 + v * FQ_LANES, n = g->fo - f;
      float *d = col + (oc0 + o) * g->fo + f;
      if (n >= FQ_LANES) {
        memcpy(d, &acc[o][v], sizeof(VF));
      } else if (n > 0) {
        float y[FQ_LANES];
        memcpy(y, &acc[o][v], sizeof y);
        for (int64_t i = 0; i < n; i++)
          d[i] = y[i];
      }
    }
}

/* max(y, 0) keeping NaN, as vg_relu (a loop of its own: in the register blocks, vector masks
 * without AVX512DQ were scalarised, 10x slower). */
static inline void relu_cols(float *y, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    y[i] = vg_max_nan(y[i], 0.0f);
}

/* One register block of ocb channels from oc0 and frequencies from f0 (fb vectors), stored. */
static inline __attribute__((always_inline)) void block_stored(const ConvGeom *g, const VgPacked *p,
                                                               const FreqColumn *c, int64_t oc0,
                                                               int64_t f0, const int ocb,
                                                               const int fb, float *col)
{
  int64_t oc[FQ_OCB];
  const float *x[FQ_OCB];
  /* the block's channels in one group: one division, not one per channel */
  int shared = g->g == 1 || oc0 / g->cog == (oc0 + ocb - 1) / g->cog;
  for (int o = 0; o < ocb; o++) {
    oc[o] = oc0 + o < g->co ? oc0 + o : g->co - 1;
    x[o] = c->x + (shared ? oc0 : oc[o]) / g->cog * c->group + f0;
  }
  VF acc[FQ_OCB][FQ_FB];
  if (shared)
    block(g, p, c, oc, x, acc, ocb, fb, 1);
  else
    block(g, p, c, oc, x, acc, ocb, fb, 0);
  store(g, acc, ocb, fb, oc0, f0, col);
}

/* Every register block of an output column, into col ([co][fo]): eight channels at a time when
 * one vector holds the frequencies, else four. */
OPS_FMA VG_SIMD_CLONES static void column_blocks(const ConvGeom *g, const VgPacked *p,
                                                 const FreqColumn *c, float *col)
{
  if (g->fo <= FQ_LANES) {
    for (int64_t oc0 = 0; oc0 < g->co; oc0 += 8)
      block_stored(g, p, c, oc0, 0, 8, 1, col);
  } else {
    for (int64_t oc0 = 0; oc0 < g->co; oc0 += 4)
      for (int64_t f0 = 0; f0 < g->fo; f0 += FQ_BLOCK) {
        /* vectors this block needs: fewer for the last */
        int64_t fb = (g->fo - f0 + FQ_LANES - 1) / FQ_LANES;
        if (fb == 1)
          block_stored(g, p, c, oc0, f0, 4, 1, col);
        else if (fb == 2)
          block_stored(g, p, c, oc0, f0, 4, 2, col);
        else
          block_stored(g, p, c, oc0, f0, 4, 3, col);
      }
  }
  if (p->fused_relu)
    relu_cols(col, g->co * g->fo);
}

/* Output column j into col, from the chunk's phase rows (input column c0 first). Padded
 * frequency kf df of a channel is in phase (kf df) mod sf at index (kf df) / sf. */
static void column(const ConvGeom *g, const VgPacked *p, const VgSeq *in, int64_t j, int64_t c0,
                   const float *pbuf, int64_t *taps, float *col)
{
  int64_t ka, kb, len = phase_len(g), pcol = padded_col(g);
  valid_taps(g, in, j, &ka, &kb);
  FreqColumn c = {.x = pbuf, .off = taps, .wi = taps + g->kt * g->cig * g->kf, .taps = 0};
  c.group = g->cig * g->sf * len;
  if (ka < kb) /* else the bias alone */
    c.x = pbuf + (j * g->st - g->pt + ka * g->dt - c0) * pcol;
  for (int64_t kt = ka; kt < kb; kt++)
    for (int64_t ci = 0; ci < g->cig; ci++)
      for (int64_t kf = 0; kf < g->kf; kf++, c.taps++) {
        int64_t pf = kf * g->df;
        taps[c.taps] = (kt - ka) * g->dt * pcol + (ci * g->sf + pf % g->sf) * len + pf / g->sf;
        taps[g->kt * g->cig * g->kf + c.taps] = (ci * g->kf + kf) * g->kt + kt;
      }
  column_blocks(g, p, &c, col);
}

void conv2_freq(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out, int64_t j0,
                int64_t j1, float *scratch)
{
  int64_t rmax = chunk_cols(g, j1 - j0);
  float *pbuf = conv_align64(scratch);
  int64_t *taps = (int64_t *)conv_align64(pbuf + conv_in_cols(g, rmax) * padded_col(g));
  for (int64_t ja = j0; ja < j1; ja += rmax) {
    int64_t rows = j1 - ja < rmax ? j1 - ja : rmax, c0 = ja * g->st - g->pt;
    phase_rows(g, in, c0, c0 + conv_in_cols(g, rows), pbuf);
    for (int64_t j = ja; j < ja + rows; j++)
      column(g, p, in, j, c0, pbuf, taps, seq_col_mut(out, j));
  }
}
