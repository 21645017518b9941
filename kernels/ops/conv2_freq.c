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
#include "conv_simd.h"

/* Frequencies per vector (16 on AVX-512, else 8: conv2_freq_blocks.h), at most. */
#define FQ_LANES 16
#define FQ_OCB   8 /* output channels per register block, at most */
#define FQ_FB    3 /* vectors of frequencies per register block, at most */
#define FQ_BLOCK (FQ_LANES * FQ_FB)
/* Floats of phase rows a chunk of output columns aims for. */
#define FQ_CHUNK_FLOATS 65536

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

#define FQ_CAT2(a, b) a##b
#define FQ_CAT(a, b)  FQ_CAT2(a, b)

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define FQ_WIDE     1 /* a 16-lane instance for AVX-512 CPUs */
#define FQ_L        16
#define FQ_VF       VF16
#define FQ_FN(name) FQ_CAT(name, _16)
#define FQ_TARGET   OPS_FMA __attribute__((target("avx512f")))
#include "conv2_freq_blocks.h"
#undef FQ_L
#undef FQ_VF
#undef FQ_FN
#undef FQ_TARGET
#endif

/* 8 lanes for the others: x86-64-v3 (AVX2, FMA), the baseline, and clang's builds */
#define FQ_L        8
#define FQ_VF       VF8
#define FQ_FN(name) FQ_CAT(name, _8)
#ifdef FQ_WIDE
#define FQ_TARGET OPS_FMA __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define FQ_TARGET OPS_FMA
#endif
#include "conv2_freq_blocks.h"
#undef FQ_L
#undef FQ_VF
#undef FQ_FN
#undef FQ_TARGET

/* Every register block of an output column, at this CPU's width: 16 lanes where Vigil's conv
 * kernels are the AVX-512 ones (VIGIL_SIMD=avx2 or none takes the 8-lane instance, as an AVX2
 * CPU would: the tests' AVX2 variants run it). */
static void column_blocks(const ConvGeom *g, const VgPacked *p, const FreqColumn *c, float *col)
{
#ifdef FQ_WIDE
  if (vg_conv_avx512_chosen()) {
    column_blocks_16(g, p, c, col);
    return;
  }
#endif
  column_blocks_8(g, p, c, col);
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
