/* Conv internals shared by conv.c (geometry, strategy, OpenBLAS paths) and conv_simd.c (the
 * SIMD paths' packing and drivers). Internal to kernels/ops.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_CONV_PRIV_H
#define VG_CONV_PRIV_H

#include <stdint.h>

#include "ops_priv.h"

/* VgPacked.strategy of a Conv node, chosen at prepare time. CONV_SIMD and CONV_WINO are the
 * SIMD kernels (conv_simd.c: AVX-512 or AVX2); CONV_WINO packs the weights of F(6,3), F(4,5) or
 * F(2,7) (3, 5 or 7 taps), of F(4,3) (3 taps: spans of 13 to 24 columns) and of the direct kernel
 * (calls with fewer columns). CONV_SIMD2: a
 * 2-D conv on the same micro-kernel, CONV_WINO2 with F(6,3) along time too (conv2_simd.c);
 * CONV_DW2T: depthwise 2-D convs without a channel multiplier (conv2_depthwise.c); CONV_FREQ2:
 * 2-D convs vectorised along frequency (conv2_freq.c: thin, grouped, multiplier, dilated). */
enum {
  CONV_DIRECT,
  CONV_TAPS,
  CONV_IM2COL,
  CONV_2D,
  CONV_SIMD,
  CONV_WINO,
  CONV_SIMD2,
  CONV_FREQ2,
  CONV_DW2T,
  CONV_WINO2
};

typedef struct {
  int64_t ci, co, g, cig, cog; /* channels, groups, channels per group */
  int64_t kt, st, dt, pt;      /* time axis: kernel, stride, dilation, leading pad */
  int64_t kf, sf, df, pf;      /* frequency axis (2-D; kf = 1 for 1-D) */
  int64_t fi, fo;              /* input and output F (1 for 1-D) */
} ConvGeom;

/* p rounded up to 64 bytes: packed weights and scratch areas start on a cache line. */
static inline float *conv_align64(float *p)
{
  return (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

static inline const float *conv_align64c(const float *p)
{
  return (const float *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

/* Input columns that `rows` consecutive output columns read (their time taps' span). */
static inline int64_t conv_in_cols(const ConvGeom *g, int64_t rows)
{
  return (rows - 1) * g->st + (g->kt - 1) * g->dt + 1;
}

/* A stride-1 conv of dilation dt as dt undilated ones: phase ph of the outputs [j0, j0 + n) is
 * j0 + ph, j0 + ph + dt, ...; how many of them. */
static inline int64_t conv_phase_outs(const ConvGeom *g, int64_t n, int64_t ph)
{
  return (n - ph + g->dt - 1) / g->dt;
}

/* The last input column that the n outputs j, j + dt, ... of a stride-1 conv read. */
static inline int64_t conv_phase_last_in(const ConvGeom *g, int64_t j, int64_t n)
{
  return j + (n - 1 + g->kt - 1) * g->dt - g->pt;
}

/* 2-D: frequencies of an input column padded for outputs [0, fo): every frequency they read
 * (from -pf on), and the input's own. */
static inline int64_t conv2_padded_freqs(const ConvGeom *g, int64_t fo)
{
  int64_t read = (fo - 1) * g->sf + (g->kf - 1) * g->df + 1, own = g->pf + g->fi;
  return read > own ? read : own;
}

/* 2-D: output columns per chunk, about `budget` floats of per-column buffers, in [1, cols]. */
static inline int64_t conv2_chunk_cols(int64_t per_col, int64_t budget, int64_t cols)
{
  int64_t r = budget / (per_col > 0 ? per_col : 1);
  r = r < cols ? r : cols;
  return r > 1 ? r : 1;
}

/* Output columns [ja, jb) within [j0, j1) whose taps all lie inside the signal extent and the
 * stored range of `in` (so they can be read in place). */
void conv1_interior(const ConvGeom *g, const VgSeq *in, int64_t j0, int64_t j1, int64_t *ja,
                    int64_t *jb);
/* The same for the taps [k0, k1) alone. */
void conv1_interior_taps(const ConvGeom *g, const VgSeq *in, int64_t k0, int64_t k1, int64_t j0,
                         int64_t j1, int64_t *ja, int64_t *jb);

/* Part of a conv's taps (vg_ops_conv_taps): taps [k0, k1), added to `start` (32 floats per block
 * of output channels; NULL: the bias), then the Relu if relu. */
typedef struct {
  int64_t k0, k1;
  const float *start;
  int relu;
} ConvTaps;

/* Which SIMD strategy suits a 1-D conv on this CPU under the VIGIL_CONV setting (CONV_SIMD,
 * CONV_WINO), or -1 for the OpenBLAS paths. VIGIL_CONV=blas forces OpenBLAS, VIGIL_CONV=direct
 * disables Winograd (both for tests and benchmarks of the other paths). */
int conv_simd_strategy(const ConvGeom *g);
/* Floats of VgPacked.w and .aux that conv_simd_pack needs for a strategy. */
int64_t conv_simd_w_floats(const ConvGeom *g, int strategy);
int64_t conv_simd_aux_floats(const ConvGeom *g);
/* Packs the weights W[co][cig][kt] and the bias (NULL: zeros) for the strategy in p. */
void conv_simd_pack(const ConvGeom *g, const float *w, const float *bias, VgPacked *p);
/* Scratch floats conv1_simd needs for up to `cols` output columns (any SIMD strategy). */
size_t conv_simd_scratch(const ConvGeom *g, int64_t cols);
/* Output columns [j0, j1) (the caller checked the widths). With sums != NULL the Winograd path
 * adds each output column to sums[0 .. co) instead of storing it, and returns 1;
 * otherwise (and on the direct path, which stores as usual) it returns 0. */
int conv1_simd(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out, int64_t j0,
               int64_t j1, float *scratch, float *sums);
/* Rows of inputs (vg_ops_conv_taps_rows) over taps [k0, k1), bias added, no Relu. */
void conv1_simd_rows(const ConvGeom *g, const VgPacked *p, const float *a, int64_t lda, int64_t tap,
                     int rows, int64_t k0, int64_t k1, float *out, int64_t ldc);
/* Output columns [j0, j1) of the SIMD direct kernel over part of the taps (one group). */
void conv1_simd_taps(const ConvGeom *g, const VgPacked *p, const ConvTaps *span, const VgSeq *in,
                     VgSeq *out, int64_t j0, int64_t j1, float *scratch);

/* conv_wino_checks.c. Whether Winograd tiles of m outputs may run the outputs [j0, j1) of a
 * history (VgSeq.kept): input finite, and no tile's largest input magnitude far above one of its
 * outputs' own (each phase of a dilated conv on its own columns). */
int conv_wino_tame(const ConvGeom *g, const VgSeq *in, int64_t j0, int64_t j1, int m);
/* Whether the input that outputs [j0, j1) read is finite. */
int conv_wino_finite(const ConvGeom *g, const VgSeq *in, int64_t j0, int64_t j1);

/* conv1_depthwise.c: 1-D convs of one input channel per group (CONV_DIRECT), the weights
 * w[k][co] and the bias in p. */
void conv1_depthwise(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out, int64_t j0,
                     int64_t j1);

/* conv2_simd.c: 2-D convs of one group without dilation along frequency on the SIMD micro-kernel
 * (usable: this CPU and VIGIL_CONV allow it). Packing needs g->co * g->ci * g->kf * g->kt floats
 * of tmp; the forward pass writes output columns [j0, j1) like conv2_gemm. */
int conv2_simd_usable(const ConvGeom *g);
int64_t conv2_simd_w_floats(const ConvGeom *g);
void conv2_simd_pack(const ConvGeom *g, const float *w, const float *bias, float *tmp, VgPacked *p);
size_t conv2_simd_scratch(const ConvGeom *g, int64_t cols);
void conv2_simd(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out, int64_t j0,
                int64_t j1, float *scratch);
/* conv2_depthwise.c: 2-D convs of one input and one output channel per group (CONV_DW2T), the
 * weights packed (w_floats, pack). */
int64_t conv2_depthwise_w_floats(const ConvGeom *g);
void conv2_depthwise_pack(const ConvGeom *g, const float *w, const float *bias, VgPacked *p);
void conv2_depthwise(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out, int64_t j0,
                     int64_t j1, float *scratch);
size_t conv2_depthwise_scratch(const ConvGeom *g, int64_t cols);
/* conv2_freq.c: any 2-D conv, vectorised along frequency (CONV_FREQ2), the weights packed
 * (w_floats, pack) and the bias in p->bias, for the 2-D convs that conv2_simd.c and
 * conv2_depthwise.c do not take. usable: this VIGIL_CONV setting allows it (depthwise convs
 * with a multiplier always). A dense conv of one group stays on the micro-kernel even with one
 * input channel (a spectrogram's first layer, 1 -> 32 on 40 x 101: 42 us there, 48 here: nine
 * taps per register block are too few to pay for its set-up and stores). */
int conv2_freq_usable(const ConvGeom *g);
int64_t conv2_freq_w_floats(const ConvGeom *g);
void conv2_freq_pack(const ConvGeom *g, const float *w, VgPacked *p);
size_t conv2_freq_scratch(const ConvGeom *g, int64_t cols);
void conv2_freq(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out, int64_t j0,
                int64_t j1, float *scratch);

#endif
