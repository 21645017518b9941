/* The checks that keep Winograd away from input it would spoil (conv_simd.c calls them): NaN and
 * infinities, and in streaming histories outliers. Internal to kernels/ops.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <float.h>
#include <stdint.h>

#include "conv_priv.h"
#include "conv_simd.h"

/* Ratio of a tile's largest input magnitude to an output's own above which the span takes the
 * direct kernel (wino_inputs_tame). An output's Winograd error is about 1e-7 to 4e-7 of its tile's
 * largest magnitude times the weights' (measured on spikes: 3.6e-7 x the ratio for F(6,3), 0.7e-7
 * for F(6,3) and F(4,5) at dilation 3, relative to the window's largest output), so at 64 it stays
 * below 2.5e-5 of the window's outputs, within the 1e-4 that the tests hold streams to. 4096 let a
 * spike 300 times the signal put 1.2e-4 on the columns beside it, 3000 times 1.1e-3 (acceptance
 * sweep of session 15), which later windows reused after the spike had left. */
#define WINO_OUTLIER 64.0f

/* Input columns whose peaks tame_tiles takes per call: 32 tiles of F(6,3). */
#define PEAK_COLS (32 * VG_WINO_M + 2)

/* Whether each tile of m outputs (m + kt - 1 inputs) among n outputs has finite input whose
 * largest magnitude is at most WINO_OUTLIER times the largest of each of its outputs' own kt
 * columns; peak[q] is the peak of the q-th input column of the outputs' phase, npk of them. */
static int tame_tiles(const float *peak, int64_t npk, int64_t kt, int64_t n, int m)
{
  float own[PEAK_COLS]; /* own[q] = max of peak[q .. q + kt - 1] */
  int finite = 1;
  for (int64_t q = 0; q < npk; q++)
    finite &= peak[q] <= FLT_MAX; /* false for NaN and the infinities */
  if (!finite)
    return 0;
  for (int64_t q = 0; q + kt - 1 < npk; q++) {
    float a = peak[q];
    for (int64_t k = 1; k < kt; k++)
      a = peak[q + k] > a ? peak[q + k] : a;
    own[q] = a;
  }
  for (int64_t o = 0; o < n; o += m) {
    int rows = (int)(n - o < m ? n - o : m);
    float tile = own[o], least = own[o];
    for (int i = 1; i < m; i++)
      tile = own[o + i] > tile ? own[o + i] : tile;
    for (int i = 1; i < rows; i++)
      least = own[o + i] < least ? own[o + i] : least;
    if (tile > WINO_OUTLIER * least)
      return 0;
  }
  return 1;
}

/* peak[q] for the input columns c0 + q * dt, q < npk: 0 outside the signal and past `last` (the
 * columns tile_col reads as zeros). */
static void phase_peaks(const ConvGeom *g, const VgSeq *in, int64_t c0, int64_t npk, int64_t last,
                        float *peak)
{
  int64_t qa = 0, qb = npk, d = g->dt; /* [qa, qb): the columns inside the stored signal */
  while (qa < qb && c0 + qa * d < in->lo)
    qa++;
  while (qb > qa && (c0 + (qb - 1) * d >= in->hi || c0 + (qb - 1) * d > last))
    qb--;
  for (int64_t q = 0; q < npk; q++)
    if (q < qa || q >= qb)
      peak[q] = 0.0f;
  if (qa < qb)
    vg_conv_kernels()->column_peaks(seq_col(in, c0 + qa * d), qb - qa, in->width, d * in->width,
                                    peak + qa);
}

/* Whether Winograd may run the n outputs first + i * dt (a call's columns, or one phase of a
 * dilated conv's) with tiles of m outputs. Its transforms mix a tile's columns,
 * so that each output's rounding error scales with the largest magnitude in its tile rather than
 * in its own terms (the unit test measures up to 1e-6 of it). A NaN or an infinity would thus
 * reach every output of the tile, and an outlier (a glitch, a 1e30 sentinel, and the columns a conv
 * spreads it to) would swamp the outputs beside it that do not read it: in a stream, later windows
 * that hold those outputs but not the outlier would be wrong where windowed inference is not (a
 * 1e6 spike among values of about 1 put errors of 0.3 % on its tile-mates, 1e30 put 1e20). Such
 * spans run the direct kernel. The check takes each input column's largest magnitude (one pass
 * over the input) and compares, per tile, the largest to each output's own columns'. It costs 3 %
 * of the accelerometer-like window, so it runs where the outputs are kept for later windows
 * (VgSeq.kept: the streaming engine's histories); a window computed for itself only needs its
 * input finite (F(6,3)'s input transform finds that as it runs, conv_wino_finite for F(4,3)), the
 * outlier's rounding staying within its own magnitudes. */
static int wino_inputs_tame(const ConvGeom *g, const VgSeq *in, int64_t first, int64_t n, int m)
{
  float peak[PEAK_COLS];
  int64_t last = conv_phase_last_in(g, first, n); /* later columns read as zeros */
  int64_t step = (PEAK_COLS - g->kt + 1) / m * m; /* outputs per pass */
  for (int64_t o0 = 0; o0 < n; o0 += step) {
    int64_t on = ops_min(step, n - o0), npk = (on + m - 1) / m * m + g->kt - 1;
    phase_peaks(g, in, first + o0 * g->dt - g->pt, npk, last, peak);
    if (!tame_tiles(peak, npk, g->kt, on, m))
      return 0;
  }
  return 1;
}

int conv_wino_tame(const ConvGeom *g, const VgSeq *in, int64_t j0, int64_t j1, int m)
{
  for (int64_t first = j0; first < j0 + g->dt && first < j1; first++)
    if (!wino_inputs_tame(g, in, first, conv_phase_outs(g, j1 - j0, first - j0), m))
      return 0;
  return 1;
}

/* Whether the input of [j0, j1) is finite: enough where the outputs serve this window only (an
 * outlier's rounding then stays within the window's own magnitudes). */
int conv_wino_finite(const ConvGeom *g, const VgSeq *in, int64_t j0, int64_t j1)
{
  int64_t a = ops_max(j0 - g->pt, in->lo),
          b = ops_min(conv_phase_last_in(g, j1 - 1, 1), in->hi - 1);
  return b < a || vg_conv_kernels()->finite(seq_col(in, a), (b - a + 1) * in->width);
}
