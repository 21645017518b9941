/* The SIMD paths of the 1-D conv: weight packing, the choice of kernels (AVX-512 or AVX2), and the
 * drivers that cut a range of output columns into micro-kernel calls (conv_avx512.c,
 * conv_wino_avx512.c and conv_avx2.c hold the kernels themselves).
 *
 * Direct: out[j][co] = b[co] + sum_k sum_ci W[co][ci][k] in[j*s - p + k*d][ci] is a GEMM whose
 * A row j, reduction index (k, ci), sits at in + (j*s - p)*C + k*d*C + ci: the micro-kernel reads
 * it in place through (lda = s*C, tap = d*C), no im2col. Weights are packed per group and per
 * block of 32 output channels as [k][ci][32] (zero-padded past the last channel), so a block's
 * reduction streams through contiguous 128-byte rows. Columns whose taps reach padding or
 * unstored columns are copied into scratch rows of K*cig floats first (zeros for padding), the
 * same reduction order with lda = K*cig, tap = cig.
 *
 * Winograd F(6,3) (k = 3, stride 1, dilation 1, one group): per tile of 6 output columns and per
 * input channel, the 8 input columns d become v = B^T d; per output channel the 3 taps g become
 * u = G g (at prepare); then m[x] = sum_ci v[x][ci] u[x][ci][co] for each of the 8 points x, which
 * is 8 GEMMs (tiles x ci) x (ci x co) run by the same micro-kernel, and y = A^T m gives the 6
 * outputs. 8 products per 6 outputs instead of 18: 2.25x fewer multiplications, plus transforms
 * linear in ci and co. Padding enters as zero input columns, so edges are exact. Input holding a
 * NaN, an infinity or a lone outlier takes the direct kernel (conv_wino_checks.c).
 *
 * Winograd F(4,5) and F(2,7) (k = 5 or 7, otherwise as F(6,3)) use F(6,3)'s 8 points and so its
 * input transform: 8 products per 4 outputs instead of 20, per 2 instead of 14. Their transforms
 * weigh more per output (8 input values per 4 or 2 outputs, against per 6), still small beside
 * the GEMMs from 16 channels on; their rounding stays at F(6,3)'s (the unit test's bound).
 *
 * Winograd F(4,3), the same scheme with 6 points per 4 outputs (2x fewer multiplications), serves
 * spans of 13 to 24 columns: a streaming hop's new columns, too few for F(6,3)'s tiles to pay. Such
 * a span is one row block, so each point's GEMM reads its transformed weights once for a few rows,
 * and the weights' size decides: F(4,3)'s are 6/8 of F(6,3)'s, and measured faster below 25
 * columns (accelerometer-like H 24: 24.5 -> 22.9 us), slower from 30. Below 13 columns (3 tiles or
 * fewer) the direct kernel wins (H 8: 13.6 against 16.3 us with F(4,3)).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conv_priv.h"
#include "conv_simd.h"

/* Winograd needs enough channels for the transforms to be cheap beside the GEMMs, and enough
 * columns for whole tiles to pay (a streaming hop of a few columns uses the direct kernel). */
#define WINO_MIN_CIN  16
#define WINO_MIN_COUT 32
#define WINO_MIN_COLS 25
/* F(2,7) transforms 8 input columns per 2 outputs, 4x F(6,3)'s share: cin x cout of 32 x 64 or
 * more for it to pay (k 7 over 2048 columns, window ms, direct -> F(2,7): 16 -> 64 0.25 -> 0.27,
 * 32 -> 32 0.21 -> 0.21, 32 -> 64 0.41 -> 0.38, 64 -> 32 0.33 -> 0.27, 128 -> 128 2.5 -> 1.9). */
#define WINO7_MIN_CHANNELS 2048
/* Columns from which F(4,5) and F(2,7) pay (they have no F(4,3) below them; eight_pays also wants
 * a whole tile per phase): the PPG-like model's second block, 16 columns a hop at dilation 2,
 * signal mode at H 64: 16.8 -> 16.1 us a hop from 16 columns (medians of five alternating runs);
 * from 8, its exact mode's bands of 8-15 columns at H 64 36-37 -> 31-33 us, at H 16 28-29 -> 25.5
 * (four and three alternating runs; signal and full unchanged). */
#define WINO57_MIN_COLS 8
/* Spans of [WINO4_MIN_COLS, WINO_MIN_COLS) columns use F(4,3), whose tiles of 4 fit them. Fewer
 * columns read the weights for too few rows to pay for F(4,3)'s twice larger transformed set. */
#define WINO4_MIN_COLS 13
/* Tiles of the longest F(4,3) span. */
#define WINO4_TILES ((WINO_MIN_COLS - 1 + VG_WINO4_M - 1) / VG_WINO4_M)
/* Floats of transformed input per chunk of tiles (1 MiB): a 960-column window of 128 channels in
 * one chunk, so that the transformed weights stream once; 256 KiB chunks measured no faster. */
#define WINO_CHUNK_FLOATS 262144

static int64_t blocks(int64_t n)
{
  return (n + VG_UK_CO - 1) / VG_UK_CO;
}

int conv_simd_strategy(const ConvGeom *g)
{
  const char *env = getenv("VIGIL_CONV");
  if ((env && strcmp(env, "blas") == 0) || g->kf != 1 || (g->cig < 2 && g->g > 1) ||
      !vg_conv_simd_available())
    return -1;
  int wino = (g->kt == 3 || g->kt == 5 || (g->kt == 7 && g->cig * g->cog >= WINO7_MIN_CHANNELS)) &&
             g->st == 1 && g->g == 1 && g->cig >= WINO_MIN_CIN && g->cog >= WINO_MIN_COUT;
  return wino && !(env && strcmp(env, "direct") == 0) ? CONV_WINO : CONV_SIMD;
}

static int64_t direct_floats(const ConvGeom *g)
{
  return g->g * blocks(g->cog) * g->kt * g->cig * VG_UK_CO;
}

/* Outputs per tile of the 8-point transform: F(6,3), F(4,5) or F(2,7); F(6,3)'s for kernels
 * outside Winograd's domain, so that sizes and thresholds worked out for any geometry (the scratch
 * bound is, before the strategy is known) stay those of a real tile. */
static int wino_outs(const ConvGeom *g)
{
  return g->kt == 5 || g->kt == 7 ? VG_WINO_N + 1 - (int)g->kt : VG_WINO_M;
}

/* Transformed weight sets per (co, ci): the 8 points, and F(4,3)'s 6 for 3 taps undilated. */
static int wino_points(const ConvGeom *g)
{
  return VG_WINO_N + (g->kt == 3 && g->dt == 1 ? VG_WINO4_N : 0);
}

int64_t conv_simd_w_floats(const ConvGeom *g, int strategy)
{
  int64_t n = 16 + direct_floats(g); /* 16: room to align the blocks to 64 bytes */
  if (strategy == CONV_WINO)
    n += blocks(g->cog) * wino_points(g) * g->ci * VG_UK_CO;
  return n;
}

int64_t conv_simd_aux_floats(const ConvGeom *g)
{
  return g->g * blocks(g->cog) * VG_UK_CO; /* biases padded to whole blocks */
}

void conv_simd_pack(const ConvGeom *g, const float *w, const float *bias, VgPacked *p)
{
  int64_t nb = blocks(g->cog), cig = g->cig, kt = g->kt;
  float *d = conv_align64(p->w); /* calloc'ed: the padding stays zero */
  for (int64_t gi = 0; gi < g->g; gi++)
    for (int64_t co = 0; co < g->cog; co++) {
      int64_t oc = gi * g->cog + co, b = gi * nb + co / VG_UK_CO, o = co % VG_UK_CO;
      float *blk = d + b * kt * cig * VG_UK_CO;
      for (int64_t ci = 0; ci < cig; ci++)
        for (int64_t k = 0; k < kt; k++)
          blk[(k * cig + ci) * VG_UK_CO + o] = w[(oc * cig + ci) * kt + k];
      p->aux[b * VG_UK_CO + o] = bias ? bias[oc] : 0.0f;
    }
  if (p->strategy != CONV_WINO)
    return;
  float *u = d + direct_floats(g); /* 8 points, then F(4,3)'s 6: [block][x][ci][32] */
  float *u4 = u + nb * VG_WINO_N * cig * VG_UK_CO;
  for (int64_t co = 0; co < g->cog; co++)
    for (int64_t ci = 0; ci < cig; ci++) {
      double t[VG_WINO_N], t4[VG_WINO4_N];
      vg_wino_weights(w + (co * cig + ci) * kt, (int)kt, t);
      float *blk = u + (co / VG_UK_CO) * VG_WINO_N * cig * VG_UK_CO;
      for (int x = 0; x < VG_WINO_N; x++)
        blk[(x * cig + ci) * VG_UK_CO + co % VG_UK_CO] = (float)t[x];
      if (wino_points(g) == VG_WINO_N)
        continue;
      vg_wino4_weights(w + (co * cig + ci) * 3, t4);
      blk = u4 + (co / VG_UK_CO) * VG_WINO4_N * cig * VG_UK_CO;
      for (int x = 0; x < VG_WINO4_N; x++)
        blk[(x * cig + ci) * VG_UK_CO + co % VG_UK_CO] = (float)t4[x];
    }
}

/* Tiles per Winograd chunk: WINO_CHUNK_FLOATS of transformed input, whole row blocks. */
static int64_t wino_cap(const ConvGeom *g)
{
  int64_t cap = WINO_CHUNK_FLOATS / (VG_WINO_N * g->ci) / VG_UK_ROWS * VG_UK_ROWS;
  return cap > VG_UK_ROWS ? cap : VG_UK_ROWS;
}

size_t conv_simd_scratch(const ConvGeom *g, int64_t cols)
{
  size_t direct = (size_t)(VG_UK_ROWS * g->kt * g->cig + 16);
  int64_t tiles = (cols + wino_outs(g) - 1) / wino_outs(g) + g->dt; /* each phase may round up */
  tiles = tiles < wino_cap(g) ? tiles : wino_cap(g);
  size_t wino =
      (size_t)(tiles * VG_WINO_N * g->ci + VG_WINO_N * VG_UK_ROWS * VG_UK_CO + g->ci + 48);
  size_t wino4 =
      (size_t)(WINO4_TILES * VG_WINO4_N * g->ci + VG_WINO4_N * VG_UK_ROWS * VG_UK_CO + g->ci + 48);
  size_t n = direct > wino ? direct : wino;
  return n > wino4 ? n : wino4;
}

/* A run of n blocks of up to 32 output channels each (n > 1 only for calls of one or two
 * columns, see vg_uk_multi_avx512): packed weights of the first and the stride to the next,
 * padded biases, channels of the run, fused Relu. */
typedef struct {
  const float *w, *bias;
  int width, relu, n;
  int64_t gi, off, bstride; /* group, first output channel, floats between blocks' weights */
} OutBlock;

static void out_uk(const OutBlock *b, const float *a, int64_t lda, int64_t tap, int64_t taps,
                   int64_t cig, int rows, float *c, int64_t ldc)
{
  if (b->n > 1)
    vg_conv_kernels()->uk_multi(a, lda, tap, taps, cig, b->w, b->bstride, b->n, b->bias, rows, c,
                                ldc, b->width, b->relu);
  else
    vg_conv_kernels()->uk(a, lda, tap, taps, cig, b->w, b->bias, rows, c, ldc, b->width, b->relu);
}

/* The taps [k0, k1) of an out_uk call: its weights start k0 taps into the block. */
static OutBlock tap_block(OutBlock b, int64_t k0, int64_t cig)
{
  b.w += k0 * cig * VG_UK_CO;
  return b;
}

/* Rows [j, j + rows) of one output block over taps [k0, k1), all inside the stored signal: in
 * place. */
static void direct_interior(const ConvGeom *g, const OutBlock *b, const VgSeq *in, VgSeq *out,
                            int64_t j, int rows, int64_t k0, int64_t k1)
{
  const float *a = seq_col(in, j * g->st - g->pt + k0 * g->dt) + b->gi * g->cig;
  OutBlock t = tap_block(*b, k0, g->cig);
  out_uk(&t, a, g->st * g->ci, g->dt * g->ci, k1 - k0, g->cig, rows, seq_col_mut(out, j) + b->off,
         out->width);
}

/* Rows near the edges: im2col rows [(k, ci)] of group gi's taps [k0, k1) in scratch, zeros where
 * a tap is padding; every output block then reads them (direct_edge). */
static void gather_rows(const ConvGeom *g, const VgSeq *in, int64_t gi, int64_t j, int rows,
                        int64_t k0, int64_t k1, float *scratch)
{
  int64_t row = (k1 - k0) * g->cig;
  for (int r = 0; r < rows; r++)
    for (int64_t k = k0; k < k1; k++) {
      int64_t c = (j + r) * g->st - g->pt + k * g->dt;
      float *dst = scratch + r * row + (k - k0) * g->cig;
      if (seq_has(in, c))
        memcpy(dst, seq_col(in, c) + gi * g->cig, (size_t)g->cig * sizeof(float));
      else
        memset(dst, 0, (size_t)g->cig * sizeof(float));
    }
}

static void direct_edge(const ConvGeom *g, const OutBlock *b, VgSeq *out, int64_t j, int rows,
                        int64_t k0, int64_t k1, const float *scratch)
{
  int64_t row = (k1 - k0) * g->cig;
  OutBlock t = tap_block(*b, k0, g->cig);
  out_uk(&t, scratch, row, g->cig, k1 - k0, g->cig, rows, seq_col_mut(out, j) + b->off, out->width);
}

/* Blocks cb .. cb + n - 1 of group gi (direct layout). */
static OutBlock out_blocks(const ConvGeom *g, const VgPacked *p, int64_t gi, int64_t cb, int n)
{
  int64_t nb = blocks(g->cog), left = g->cog - cb * VG_UK_CO, bs = g->kt * g->cig * VG_UK_CO;
  return (OutBlock){.w = conv_align64c(p->w) + (gi * nb + cb) * bs,
                    .bias = p->aux + (gi * nb + cb) * VG_UK_CO,
                    .width = left < n * VG_UK_CO ? (int)left : n * VG_UK_CO,
                    .relu = p->fused_relu,
                    .n = n,
                    .gi = gi,
                    .off = gi * g->cog + cb * VG_UK_CO,
                    .bstride = bs};
}

/* The taps [ka, kb) within [k0, k1) that read inside the signal for some row of [j, j + rows):
 * the others read only padding, zeros that need not be multiplied (at a window's edge, in signal
 * mode each hop's newest column, the last taps of a "same"-padded conv read nothing: skipping
 * them skips reading their weights). ka = kb when every tap reads padding. */
static void signal_taps(const ConvGeom *g, const VgSeq *in, int64_t j, int rows, int64_t k0,
                        int64_t k1, int64_t *ka, int64_t *kb)
{
  int64_t first = j * g->st - g->pt, last = (j + rows - 1) * g->st - g->pt; /* tap 0's columns */
  *ka = ops_max(k0, ops_ceil_div(in->lo - last, g->dt));
  *kb = ops_min(k1, ops_floor_div(in->hi - 1 - first, g->dt) + 1);
  if (*kb < *ka)
    *kb = *ka;
}

/* With a stored zero tail after the signal (VgSeq.zeros): the end of the rows whose taps all read
 * stored columns, the tail's zeros included; else jb. */
static int64_t zero_tail_end(const ConvGeom *g, const VgSeq *in, int64_t k0, int64_t k1, int64_t j0,
                             int64_t j1, int64_t jb)
{
  if (in->zeros <= 0 || in->count <= 0 || in->first + in->count != in->hi)
    return jb;
  VgSeq ext = *in;
  ext.hi += ext.zeros;
  ext.count += ext.zeros;
  int64_t ja, jz;
  conv1_interior_taps(g, &ext, k0, k1, j0, j1, &ja, &jz);
  return jz;
}

/* Blocks cb .. of group gi for the taps of `span`: its start rows and Relu. */
static OutBlock span_blocks(const ConvGeom *g, const VgPacked *p, const ConvTaps *span, int64_t gi,
                            int64_t cb, int step)
{
  int64_t nb = blocks(g->cog);
  OutBlock b = out_blocks(g, p, gi, cb, (int)(nb - cb < step ? nb - cb : step));
  if (span->start)
    b.bias = span->start + b.off; /* a partial sum in place of the bias (one group) */
  b.relu = span->relu;
  return b;
}

/* Rows of the chunk at j of the columns [j0, j1): chunks of VG_UK_ROWS, but a span of
 * VG_UK_ROWS + 1 to 2 VG_UK_ROWS - 1 columns (a hop's new columns) runs as two equal chunks. A
 * short chunk reads all the weights for a few rows, bound by loads and FMA latency: 16 columns run
 * as 8 + 8, not 14 + 2 (PPG-like H 16 signal: 5.7 -> 5.4 us). Longer spans keep the short last
 * chunk: it is an edge chunk there, copied whole, and copying fewer rows pays more. */
static int chunk_rows(int64_t j0, int64_t j, int64_t j1)
{
  int64_t left = j1 - j;
  if (j1 - j0 > VG_UK_ROWS && j1 - j0 < 2 * VG_UK_ROWS)
    return (int)(j == j0 ? (j1 - j0 + 1) / 2 : left);
  return (int)(left < VG_UK_ROWS ? left : VG_UK_ROWS);
}

/* Output columns [j0, j1) over the taps of `span`, in chunks of up to VG_UK_ROWS rows. Interior
 * chunks read the input in place, block by block (a block's weights stay in L1 over its chunks).
 * A chunk that reaches an edge is copied whole (im2col) rather than cut at the interior's bound,
 * since each chunk reads all of the weights (the hop's last new column, at signal mode's right
 * edge, must not be a chunk of its own), and copied once for all blocks; unless the input keeps
 * its right padding as stored zeros (signal mode's streams): then the edge chunk reads in place
 * too, over the taps that read inside the signal. */
static void conv1_direct_simd(const ConvGeom *g, const VgPacked *p, const ConvTaps *span,
                              const VgSeq *in, VgSeq *out, int64_t j0, int64_t j1, float *scratch)
{
  int64_t ja, jb, nb = blocks(g->cog), k0 = span->k0, k1 = span->k1;
  int step = j1 - j0 <= 2 ? VG_UK_MULTI : 1; /* blocks per call (vg_uk_multi_avx512) */
  float *rows_buf = conv_align64(scratch);
  conv1_interior_taps(g, in, k0, k1, j0, j1, &ja, &jb);
  int64_t jz = zero_tail_end(g, in, k0, k1, j0, j1, jb);
  for (int64_t gi = 0; gi < g->g; gi++) {
    for (int64_t cb = 0; cb < nb; cb += step) {
      OutBlock b = span_blocks(g, p, span, gi, cb, step);
      for (int64_t j = j0; j < j1; j += chunk_rows(j0, j, j1))
        if (j >= ja && j + chunk_rows(j0, j, j1) <= jb)
          direct_interior(g, &b, in, out, j, chunk_rows(j0, j, j1), k0, k1);
    }
    for (int64_t j = j0; j < j1; j += chunk_rows(j0, j, j1)) {
      int rows = chunk_rows(j0, j, j1);
      if (j >= ja && j + rows <= jb)
        continue;
      int64_t ka, kb;
      signal_taps(g, in, j, rows, k0, k1, &ka, &kb);
      if (j >= ja && j + rows <= jz) {
        for (int64_t cb = 0; cb < nb; cb += step) {
          OutBlock b = span_blocks(g, p, span, gi, cb, step);
          direct_interior(g, &b, in, out, j, rows, ka, kb);
        }
        continue;
      }
      gather_rows(g, in, gi, j, rows, ka, kb, rows_buf);
      for (int64_t cb = 0; cb < nb; cb += step) {
        OutBlock b = span_blocks(g, p, span, gi, cb, step);
        direct_edge(g, &b, out, j, rows, ka, kb, rows_buf);
      }
    }
  }
}

void conv1_simd_rows(const ConvGeom *g, const VgPacked *p, const float *a, int64_t lda, int64_t tap,
                     int rows, int64_t k0, int64_t k1, float *out, int64_t ldc)
{
  for (int64_t cb = 0; cb < blocks(g->cog); cb++) {
    OutBlock b = tap_block(out_blocks(g, p, 0, cb, 1), k0, g->cig);
    b.relu = 0;
    out_uk(&b, a, lda, tap, k1 - k0, g->cig, rows, out + b.off, ldc);
  }
}

void conv1_simd_taps(const ConvGeom *g, const VgPacked *p, const ConvTaps *span, const VgSeq *in,
                     VgSeq *out, int64_t j0, int64_t j1, float *scratch)
{
  conv1_direct_simd(g, p, span, in, out, j0, j1, scratch);
}

/* A tile's input column c, or zeros for padding and for the columns past `last`, which only the
 * discarded outputs of a span's last tile need: they need not be stored. */
static const float *tile_col(const VgSeq *in, int64_t c, int64_t last, const float *zero)
{
  return seq_has(in, c) && c <= last ? seq_col(in, c) : zero;
}

/* The tiles of a call's outputs [j0, j0 + n): a dilated conv's phase 0 (outputs j0, j0 + dt, ...),
 * then phase 1, and so on, each phase an undilated conv of its own (its taps read only its own
 * input columns, one column apart there), its outputs cut into tiles of `outs`; with dt = 1 the
 * call's one phase. One GEMM takes tiles of every phase (its rows are independent); the input and
 * output transforms place each tile by its phase. */
typedef struct {
  const ConvGeom *g;
  int64_t j0, n, outs; /* the call's outputs and outputs per tile */
  int64_t phase, tile; /* the cursor: a phase and its tile */
} Tiles;

static int64_t phase_outs(const Tiles *c, int64_t phase)
{
  return conv_phase_outs(c->g, c->n, phase);
}

static int64_t phase_tiles(const Tiles *c, int64_t phase)
{
  return (phase_outs(c, phase) + c->outs - 1) / c->outs;
}

static Tiles tiles_start(const ConvGeom *g, int64_t j0, int64_t j1)
{
  return (Tiles){g, j0, j1 - j0, wino_outs(g), 0, 0};
}

static int64_t tiles_count(const Tiles *c)
{
  int64_t t = 0;
  for (int64_t ph = 0; ph < c->g->dt && ph < c->n; ph++)
    t += phase_tiles(c, ph);
  return t;
}

/* The cursor's tile: its first output column, and how many outputs of its phase remain from it. */
static int64_t tile_col0(const Tiles *c)
{
  return c->j0 + c->phase + c->tile * c->outs * c->g->dt;
}

static int64_t tile_left(const Tiles *c)
{
  return phase_outs(c, c->phase) - c->tile * c->outs;
}

/* Advances the cursor by k tiles (not past its phase's end when k <= tiles left in it). */
static void tiles_next(Tiles *c, int64_t k)
{
  c->tile += k;
  while (c->phase < c->g->dt && c->tile >= phase_tiles(c, c->phase) && c->tile > 0) {
    c->tile -= phase_tiles(c, c->phase);
    c->phase++;
  }
}

/* v[x][t][ci] for nt tiles from the cursor (each reads its phase's columns, dt apart); whether
 * their input was finite. */
static int wino_inputs(const ConvGeom *g, const VgSeq *in, Tiles c, int64_t nt, const float *zero,
                       float *v, int64_t vs)
{
  int finite = 1;
  for (int64_t t = 0; t < nt; t++, tiles_next(&c, 1)) {
    /* columns past the phase's last output's last tap serve only discarded outputs: zeros */
    int64_t jt = tile_col0(&c), last = conv_phase_last_in(g, jt, tile_left(&c));
    const float *d[VG_WINO_N];
    for (int k = 0; k < VG_WINO_N; k++)
      d[k] = tile_col(in, jt - g->pt + k * g->dt, last, zero);
    finite &= vg_conv_kernels()->wino_input(d, g->ci, v + t * g->ci, vs);
  }
  return finite;
}

/* Columns [j, je) of a chunk whose input holds a NaN or an infinity (see conv_wino_checks.c): the
 * direct kernel, its columns added to sums when the caller fuses a global pool (the other chunks
 * summed theirs instead of storing them). The direct kernel's scratch may overlap the chunk's
 * buffers, the zero column included: it is cleared again. */
static void wino_chunk_direct(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out,
                              int64_t j, int64_t je, float *scratch, float *sums, float *zero)
{
  ConvTaps all = {0, g->kt, NULL, p->fused_relu};
  conv1_direct_simd(g, p, &all, in, out, j, je, scratch);
  for (int64_t c = j; sums && c < je; c++) {
    const float *y = seq_col(out, c);
    for (int64_t o = 0; o < g->co; o++)
      sums[o] += y[o];
  }
  memset(zero, 0, (size_t)g->ci * sizeof(float));
}

/* One block of 32 output channels for nt tiles from the cursor: per row block, the 8 point GEMMs
 * into m ([x][r][32]), then A^T m plus the bias into the output columns (dt apart), phase by
 * phase, or added to sums[off ..). */
static void wino_block(const ConvGeom *g, const OutBlock *b, const float *v, int64_t vs, Tiles c,
                       int64_t nt, float *m, VgSeq *out, float *sums)
{
  int64_t left_blocks = (nt + VG_UK_ROWS - 1) / VG_UK_ROWS;
  for (int64_t rb = 0, rows; rb < nt; rb += rows, left_blocks--) {
    rows = (nt - rb + left_blocks - 1) / left_blocks; /* even blocks: see the comment above */
    for (int x = 0; x < VG_WINO_N; x++)
      vg_conv_kernels()->uk(v + x * vs + rb * g->ci, g->ci, 0, 1, g->ci,
                            b->w + x * g->ci * VG_UK_CO, NULL, (int)rows,
                            m + x * VG_UK_ROWS * VG_UK_CO, VG_UK_CO, VG_UK_CO, 0);
    for (int r = 0; r < rows;) { /* the row block's tiles, one run per phase */
      int seg = (int)ops_min(rows - r, phase_tiles(&c, c.phase) - c.tile);
      int64_t j = tile_col0(&c), cols = ops_min(tile_left(&c), (int64_t)seg * c.outs);
      vg_conv_kernels()->wino_output((int)c.outs, m + r * VG_UK_CO, VG_UK_ROWS * VG_UK_CO, seg,
                                     b->bias, sums ? NULL : seq_col_mut(out, j) + b->off,
                                     out->width * g->dt, cols, b->width, b->relu,
                                     sums ? sums + b->off : NULL);
      tiles_next(&c, seg);
      r += seg;
    }
  }
}

/* Winograd F(6,3), F(4,5) or F(2,7) over [j0, j1), chunk by chunk of tiles. A chunk whose input
 * is not finite (found by the input transform itself, which reads it anyway) runs the direct
 * kernel over the columns its tiles span instead (every phase's: conv1_simd allows sums for
 * dt = 1 only): the window executor's only check (conv_wino_finite), without a pass of its
 * own. */
static void conv1_wino(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out,
                       int64_t j0, int64_t j1, float *scratch, float *sums)
{
  Tiles c = tiles_start(g, j0, j1);
  int64_t tiles = tiles_count(&c), nb = blocks(g->cog);
  int64_t chunk = tiles < wino_cap(g) ? tiles : wino_cap(g);
  float *v = conv_align64(scratch), *m = conv_align64(v + chunk * VG_WINO_N * g->ci);
  float *zero = m + VG_WINO_N * VG_UK_ROWS * VG_UK_CO;
  memset(zero, 0, (size_t)g->ci * sizeof(float));
  const float *u0 = conv_align64c(p->w) + direct_floats(g);
  int64_t vs = chunk * g->ci;
  for (int64_t t0 = 0; t0 < tiles; t0 += chunk) {
    int64_t nt = tiles - t0 < chunk ? tiles - t0 : chunk;
    if (!wino_inputs(g, in, c, nt, zero, v, vs)) {
      Tiles e = c; /* the chunk's columns: of its phase, or the call's when it spans phases */
      tiles_next(&e, nt - 1);
      int64_t ja = j0, jb = j1;
      if (c.phase == e.phase) {
        ja = tile_col0(&c);
        jb = ops_min(tile_col0(&e) + (ops_min(tile_left(&e), c.outs) - 1) * g->dt + 1, j1);
      }
      wino_chunk_direct(g, p, in, out, ja, jb, scratch, sums, zero);
    } else {
      for (int64_t cb = 0; cb < nb; cb++) {
        OutBlock b = out_blocks(g, p, 0, cb, 1); /* bias, width, offset; then Winograd's weights */
        b.w = u0 + cb * VG_WINO_N * g->ci * VG_UK_CO;
        wino_block(g, &b, v, vs, c, nt, m, out, sums);
      }
    }
    tiles_next(&c, nt);
  }
}

/* F(4,3) over a short span [j0, j1) (WINO4_TILES tiles at most, one row block): the 6 point
 * GEMMs of every block of 32 output channels, then A^T m into the output columns. */
static void conv1_wino4(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out,
                        int64_t j0, int64_t j1, float *scratch)
{
  int64_t tiles = (j1 - j0 + VG_WINO4_M - 1) / VG_WINO4_M, ci = g->ci, nb = blocks(g->cog);
  float *v = conv_align64(scratch), *m = conv_align64(v + VG_WINO4_N * tiles * ci);
  float *zero = m + VG_WINO4_N * VG_UK_ROWS * VG_UK_CO;
  memset(zero, 0, (size_t)ci * sizeof(float));
  int64_t last = conv_phase_last_in(g, j1 - 1, 1), vs = tiles * ci;
  for (int64_t t = 0; t < tiles; t++) {
    const float *d[VG_WINO4_N];
    for (int k = 0; k < VG_WINO4_N; k++)
      d[k] = tile_col(in, j0 + t * VG_WINO4_M - g->pt + k, last, zero);
    vg_conv_kernels()->wino4_input(d, ci, v + t * ci, vs);
  }
  const float *u0 = conv_align64c(p->w) + direct_floats(g) + nb * VG_WINO_N * ci * VG_UK_CO;
  for (int64_t cb = 0; cb < nb; cb++) {
    OutBlock b = out_blocks(g, p, 0, cb, 1);
    const float *u = u0 + cb * VG_WINO4_N * ci * VG_UK_CO;
    for (int x = 0; x < VG_WINO4_N; x++)
      vg_conv_kernels()->uk(v + x * vs, ci, 0, 1, ci, u + x * ci * VG_UK_CO, NULL, (int)tiles,
                            m + x * VG_UK_ROWS * VG_UK_CO, VG_UK_CO, VG_UK_CO, 0);
    for (int64_t t = 0; t < tiles; t++) {
      int64_t j = j0 + t * VG_WINO4_M;
      int rows = (int)(j1 - j < VG_WINO4_M ? j1 - j : VG_WINO4_M);
      float *y[VG_WINO4_M];
      for (int i = 0; i < rows; i++)
        y[i] = seq_col_mut(out, j + i) + b.off;
      vg_conv_kernels()->wino4_output(m + t * VG_UK_CO, VG_UK_ROWS * VG_UK_CO, b.bias, y, rows,
                                      b.width, b.relu);
    }
  }
}

/* Whether the 8-point transforms pay for a call of n columns: 3 taps from WINO_MIN_COLS (F(4,3)
 * serves shorter calls), 5 and 7 from WINO57_MIN_COLS, and at least a whole tile per phase. */
static int eight_pays(const ConvGeom *g, int64_t n)
{
  return n >= (g->kt == 3 ? WINO_MIN_COLS : WINO57_MIN_COLS) && n >= wino_outs(g) * g->dt;
}

int conv1_simd(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out, int64_t j0,
               int64_t j1, float *scratch, float *sums)
{
  int64_t n = j1 - j0;
  /* 8 points where they pay, with running sums for dt = 1 only (a dilated chunk's direct fallback
   * computes every phase's columns); F(4,3) (3 taps, no dilation) below, without running sums. */
  int eight = eight_pays(g, n) && (g->dt == 1 || !sums);
  int m = eight ? wino_outs(g) : VG_WINO4_M;
  int usable = eight || (g->kt == 3 && g->dt == 1 && n >= WINO4_MIN_COLS && !sums);
  /* the 8-point input transform checks finiteness as it runs (conv1_wino); kept outputs need the
   * outliers checked first */
  int wino = p->strategy == CONV_WINO && usable &&
             (out->kept ? conv_wino_tame(g, in, j0, j1, m)
              : !eight  ? conv_wino_finite(g, in, j0, j1)
                        : 1);
  if (wino && eight) {
    conv1_wino(g, p, in, out, j0, j1, scratch, sums);
    return sums != NULL;
  }
  if (wino) {
    conv1_wino4(g, p, in, out, j0, j1, scratch);
    return 0;
  }
  ConvTaps all = {0, g->kt, NULL, p->fused_relu};
  conv1_direct_simd(g, p, &all, in, out, j0, j1, scratch);
  return 0;
}
