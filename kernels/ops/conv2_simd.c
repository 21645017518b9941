/* 2-D convs on the SIMD micro-kernel (AVX-512 or AVX2, conv_simd.h), for one group and no
 * dilation along frequency: the keyword-spotting and spectrogram CNNs' 3 x 3 layers (the
 * depthwise ones are in conv2_depthwise.c).
 *
 * A column holds [C][F] (ONNX order). Transposed to [F][C] and padded with pf zero rows above and
 * enough below (tbuf), output frequency fo of output column j reads, at each time tap kt, the kf
 * rows fo * sf - pf .. fo * sf - pf + kf - 1 of input column j * st - pt + kt * dt: kf * C
 * contiguous floats, the (kf, ci) "channels" of a 1-D conv over time. The micro-kernel then takes
 * the output frequencies of a column as its rows (sf * C floats apart), the time taps as its taps
 * (a padded column apart) and kf * C channels, for each block of 32 output channels, with the
 * weights packed as a 1-D conv's (conv_simd_pack) of kf * C input channels in that order. Rows
 * are written [F][C] and transposed back. Taps that read padding along time are skipped (their
 * product is zero), so no output column is ever copied for its edges. Convs of 3 time taps also
 * run Winograd F(6,3) along time in windows (wino_chunk).
 *
 * The OpenBLAS path this replaces (im2col of a few columns, then a GEMM of 64 rows) ran a keyword-
 * spotting CNN's 32 -> 64 and 64 -> 64 layers at 36-38 GFLOP/s.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <string.h>

#include "conv_priv.h"
#include "conv_simd.h"

/* Floats of transposed input and [F][C] output a chunk of output columns aims for. */
#define CHUNK2_FLOATS 65536

static int64_t blocks(int64_t n)
{
  return (n + VG_UK_CO - 1) / VG_UK_CO;
}

/* The 1-D conv whose micro-kernel calls compute the 2-D one: kf * C input channels. */
static ConvGeom flat_geom(const ConvGeom *g)
{
  ConvGeom f = *g;
  f.ci = f.cig = g->kf * g->ci;
  f.kf = f.sf = f.df = 1;
  f.pf = 0;
  f.fi = f.fo = 1;
  return f;
}

int conv2_simd_usable(const ConvGeom *g)
{
  ConvGeom f = flat_geom(g);
  return g->g == 1 && g->df == 1 && conv_simd_strategy(&f) >= 0;
}

/* CONV_WINO when the flat conv qualifies for Winograd F(6,3) along time (k 3 along time, stride
 * and dilation 1, enough channels), else CONV_SIMD: wino_chunk has F(6,3)'s tiles only (the 1-D
 * conv's F(4,5), F(2,7) and dilated phases are not wired here). */
static int flat_strategy(const ConvGeom *g)
{
  ConvGeom f = flat_geom(g);
  int s = conv_simd_strategy(&f);
  return s == CONV_WINO && (g->kt != 3 || g->dt != 1) ? CONV_SIMD : s;
}

int64_t conv2_simd_w_floats(const ConvGeom *g)
{
  ConvGeom f = flat_geom(g);
  return conv_simd_w_floats(&f, flat_strategy(g));
}

void conv2_simd_pack(const ConvGeom *g, const float *w, const float *bias, float *tmp, VgPacked *p)
{
  /* W[co][ci][kf][kt] -> W'[co][kf * C + ci][kt], the order of a transposed column's rows */
  for (int64_t co = 0; co < g->co; co++)
    for (int64_t ci = 0; ci < g->ci; ci++)
      for (int64_t kf = 0; kf < g->kf; kf++)
        for (int64_t kt = 0; kt < g->kt; kt++)
          tmp[((co * g->kf + kf) * g->ci + ci) * g->kt + kt] =
              w[((co * g->ci + ci) * g->kf + kf) * g->kt + kt];
  ConvGeom f = flat_geom(g);
  p->strategy = flat_strategy(g); /* what conv_simd_pack packs: the direct kernel's, F(6,3)'s */
  conv_simd_pack(&f, tmp, bias, p);
  p->strategy = p->strategy == CONV_WINO ? CONV_WINO2 : CONV_SIMD2;
}

/* Rows of a padded, transposed column (df = 1 here). */
static int64_t padded_rows(const ConvGeom *g)
{
  return conv2_padded_freqs(g, g->fo);
}

/* Output columns per chunk: their transposed input and [F][C] output. */
static int64_t chunk_cols(const ConvGeom *g, int64_t cols)
{
  return conv2_chunk_cols(g->st * padded_rows(g) * g->ci + g->fo * g->co, CHUNK2_FLOATS, cols);
}

/* Winograd's transformed input of a chunk's tiles, their point products and a zero column. */
static int64_t wino_floats(const ConvGeom *g, int64_t rows)
{
  int64_t tiles = (rows + VG_WINO_M - 1) / VG_WINO_M, wp = padded_rows(g) * g->ci;
  return tiles * VG_WINO_N * wp + VG_WINO_N * VG_UK_ROWS * VG_UK_CO + wp + 32;
}

size_t conv2_simd_scratch(const ConvGeom *g, int64_t cols)
{
  int64_t r = chunk_cols(g, cols > 0 ? cols : 1);
  return (size_t)(conv_in_cols(g, r) * padded_rows(g) * g->ci + r * g->fo * g->co + 32 +
                  wino_floats(g, r));
}

/* Input columns [c0, c1) inside the signal, transposed to [F][C] between zero rows. */
static void transpose_in(const ConvGeom *g, const VgSeq *in, int64_t c0, int64_t c1, float *tbuf)
{
  int64_t wp = padded_rows(g) * g->ci;
  for (int64_t c = c0; c < c1; c++) {
    if (!seq_has(in, c))
      continue; /* never read: its taps are skipped */
    float *t = tbuf + (c - c0) * wp;
    memset(t, 0, (size_t)(g->pf * g->ci) * sizeof(float));
    vg_ops_transpose(seq_col(in, c), t + g->pf * g->ci, g->ci, g->fi);
    int64_t below = wp - (g->pf + g->fi) * g->ci;
    memset(t + (g->pf + g->fi) * g->ci, 0, (size_t)below * sizeof(float));
  }
}

/* Rows per micro-kernel call for fo rows: whole blocks of VG_UK_ROWS, balanced (20 rows as
 * 10 + 10, not 14 + 6: a call reads all of a block's weights whatever its rows). */
static int rows_per_call(int64_t fo)
{
  int64_t calls = (fo + VG_UK_ROWS - 1) / VG_UK_ROWS;
  return (int)((fo + calls - 1) / calls);
}

/* Output column j of the chunk starting at input column c0: every block of output channels,
 * every output frequency, over the time taps that read inside the signal; [F][C] into o. */
static void column(const ConvGeom *g, const VgPacked *p, const VgSeq *in, int64_t j, int64_t c0,
                   const float *tbuf, float *o)
{
  int64_t first = j * g->st - g->pt, cin = g->kf * g->ci, wp = padded_rows(g) * g->ci;
  int64_t ka = 0, kb = g->kt;
  while (ka < kb && !seq_has(in, first + ka * g->dt))
    ka++;
  while (kb > ka && !seq_has(in, first + (kb - 1) * g->dt))
    kb--;
  const float *a = tbuf + (first + ka * g->dt - c0) * wp;
  int64_t bs = g->kt * cin * VG_UK_CO, step = rows_per_call(g->fo);
  const float *w = conv_align64c(p->w);
  for (int64_t cb = 0; cb < blocks(g->co); cb++) {
    int64_t left = g->co - cb * VG_UK_CO;
    int width = left < VG_UK_CO ? (int)left : VG_UK_CO;
    for (int64_t f0 = 0; f0 < g->fo; f0 += step) {
      int rows = (int)(g->fo - f0 < step ? g->fo - f0 : step);
      /* no tap inside the signal: taps = 0, the bias alone (the kernel's empty reduction) */
      vg_conv_kernels()->uk(a + f0 * g->sf * g->ci, g->sf * g->ci, g->dt * wp, kb - ka, cin,
                            w + cb * bs + ka * cin * VG_UK_CO, p->aux + cb * VG_UK_CO, rows,
                            o + f0 * g->co + cb * VG_UK_CO, g->co, width, p->fused_relu);
    }
  }
}

/* Winograd F(6,3) along time over the chunk's output columns [ja, ja + rows) (window inference
 * only: in a stream's kept columns an outlier's rounding would spread to its tile-mates, see
 * conv_simd.c): the input transform of every tile over whole padded columns (all frequencies and
 * channels at once), then per tile and block of 32 output channels the 8 point GEMMs with the
 * output frequencies as rows (kF x C channels at each one's offset; a spectrogram's windows are
 * too short for rows of tiles) and the output transform of each row into the chunk's [f][c]
 * columns. 0 when the input is not finite (the caller then runs the direct
 * kernel, which propagates NaN and infinities as windowed inference does). */
static int wino_chunk(const ConvGeom *g, const VgPacked *p, const VgSeq *in, int64_t rows,
                      int64_t c0, const float *tbuf, float *obuf, float *wbuf)
{
  int64_t wp = padded_rows(g) * g->ci, tiles = (rows + VG_WINO_M - 1) / VG_WINO_M;
  int64_t vs = tiles * wp, cin = g->kf * g->ci, last = c0 + conv_in_cols(g, rows) - 1;
  float *v = wbuf, *m = v + VG_WINO_N * vs, *zero = m + VG_WINO_N * VG_UK_ROWS * VG_UK_CO;
  memset(zero, 0, (size_t)wp * sizeof(float));
  int finite = 1;
  for (int64_t t = 0; t < tiles; t++) {
    const float *d[VG_WINO_N];
    for (int k = 0; k < VG_WINO_N; k++) {
      int64_t c = c0 + t * VG_WINO_M + k;
      d[k] = c <= last && seq_has(in, c) ? tbuf + (c - c0) * wp : zero;
    }
    finite &= vg_conv_kernels()->wino_input(d, wp, v + t * wp, vs);
  }
  if (!finite)
    return 0;
  const float *u =
      conv_align64c(p->w) + blocks(g->co) * g->kt * cin * VG_UK_CO; /* after the direct kernel's */
  int step = rows_per_call(g->fo);
  for (int64_t t = 0; t < tiles; t++) {
    int64_t col = t * VG_WINO_M, cols = rows - col < VG_WINO_M ? rows - col : VG_WINO_M;
    for (int64_t cb = 0; cb < blocks(g->co); cb++) {
      int64_t left = g->co - cb * VG_UK_CO;
      int width = left < VG_UK_CO ? (int)left : VG_UK_CO;
      const float *ub = u + cb * VG_WINO_N * cin * VG_UK_CO;
      for (int64_t f0 = 0; f0 < g->fo; f0 += step) {
        int n = (int)(g->fo - f0 < step ? g->fo - f0 : step);
        for (int x = 0; x < VG_WINO_N; x++) /* rows: the output frequencies, as the direct path */
          vg_conv_kernels()->uk(v + x * vs + t * wp + f0 * g->sf * g->ci, g->sf * g->ci, 0, 1, cin,
                                ub + x * cin * VG_UK_CO, NULL, n, m + x * VG_UK_ROWS * VG_UK_CO,
                                VG_UK_CO, VG_UK_CO, 0);
        for (int r = 0; r < n; r++)
          vg_conv_kernels()->wino_output(VG_WINO_M, m + r * VG_UK_CO, VG_UK_ROWS * VG_UK_CO, 1,
                                         p->aux + cb * VG_UK_CO,
                                         obuf + (col * g->fo + f0 + r) * g->co + cb * VG_UK_CO,
                                         g->fo * g->co, cols, width, p->fused_relu, NULL);
      }
    }
  }
  return 1;
}

void conv2_simd(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out, int64_t j0,
                int64_t j1, float *scratch)
{
  float *tbuf = conv_align64(scratch);
  int64_t rmax = chunk_cols(g, j1 - j0);
  float *obuf = tbuf + conv_in_cols(g, rmax) * padded_rows(g) * g->ci;
  float *wbuf = conv_align64(obuf + rmax * g->fo * g->co);
  for (int64_t ja = j0; ja < j1; ja += rmax) {
    int64_t rows = j1 - ja < rmax ? j1 - ja : rmax, c0 = ja * g->st - g->pt;
    transpose_in(g, in, c0, c0 + conv_in_cols(g, rows), tbuf);
    int wino = p->strategy == CONV_WINO2 && !out->kept && rows >= 2 * VG_WINO_M &&
               wino_chunk(g, p, in, rows, c0, tbuf, obuf, wbuf);
    for (int64_t j = ja; j < ja + rows; j++) {
      float *o = obuf + (j - ja) * g->fo * g->co;
      if (!wino)
        column(g, p, in, j, c0, tbuf, o);
      vg_ops_transpose(o, seq_col_mut(out, j), g->fo, g->co);
    }
  }
}
