/* Conv 1-D and 2-D on time-major columns.
 *
 * On CPUs with AVX-512 or AVX2 + FMA, 1-D convs with at least 2 input channels per group run on
 * Vigil's own kernels instead (conv_simd.c: a register-blocked direct kernel, Winograd F(6,3) for
 * k3 stride 1); this file's OpenBLAS paths serve every other CPU and shape, and VIGIL_CONV=blas
 * forces them.
 *
 * 1-D (input columns of C_in floats, output columns of C_out floats), output column j reads input
 * columns j*s - p + k*d for k in [0, K):
 *   out[j][co] = b[co] + sum_k sum_ci W[co][ci][k] * in[j*s - p + k*d][ci]
 * With B_k[ci][co] = W[co][ci][k] this is a sum over taps of GEMMs whose A matrix, row j, is input
 * column j*s - p + k*d: rows s*C_in floats apart. Those A matrices are *shifted views* of the
 * input buffer, read in place (lda = s*C_in), so interior columns need no copy at all.
 * (A single GEMM over all taps at once would need lda = s*C_in < K*C_in, overlapping rows, which
 * BLAS interfaces reject: lda must be at least the row length.)
 * Columns whose receptive field leaves the signal extent [lo, hi) or the stored range, and convs
 * with few input channels per group (where per-tap GEMMs are too thin), use im2col: rows of K*C_in
 * floats built in scratch (zeros for padding) in chunks that stay in cache, then one GEMM.
 * One input channel per group (depthwise, or a single-channel input): direct loops.
 *
 * 2-D (columns [c][f], kernel kF x kT): im2col of a chunk of output columns into
 * A[(ci,kf,kt)][(r,fo)], one GEMM W[co][(ci,kf,kt)] x A per group, then a copy to [co][fo] columns.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "conv_priv.h"
#include "conv_simd.h"

/* Per-tap GEMMs pay off once each tap's inner dimension is this wide. */
#define TAPS_MIN_CIN 32
/* Below this many output columns one GEMM over all taps beats K thin ones (e.g. a last layer
 * whose kernel spans the whole input: one column, a matrix-vector product). */
#define TAPS_MIN_ROWS 8
/* Floats of im2col scratch a chunk aims for (128 KiB: stays in L2). */
#define CHUNK_FLOATS 32768

static void conv_geom(const VgModel *m, const VgNode *node, const VgShape *in_s,
                      const VgShape *out_s, ConvGeom *g)
{
  const VgShape *w = &ops_value(m, node, 1)->shape;
  const VgWindow *win = &node->win;
  int two_d = w->rank == 4;
  int t = two_d ? 1 : 0;
  g->co = w->dims[0];
  g->cig = w->dims[1];
  g->g = win->group > 0 ? win->group : 1;
  g->ci = g->cig * g->g;
  g->cog = g->co / g->g;
  g->kt = w->dims[w->rank - 1];
  g->st = win->stride[t] > 0 ? win->stride[t] : 1;
  g->dt = win->dilation[t] > 0 ? win->dilation[t] : 1;
  g->pt = win->pad_begin[t];
  g->kf = two_d ? w->dims[2] : 1;
  g->sf = two_d && win->stride[0] > 0 ? win->stride[0] : 1;
  g->df = two_d && win->dilation[0] > 0 ? win->dilation[0] : 1;
  g->pf = two_d ? win->pad_begin[0] : 0;
  g->fi = (two_d && in_s) ? in_s->dims[2] : 1;
  g->fo = (two_d && out_s) ? out_s->dims[2] : 1;
}

/* A 2-D conv on the SIMD micro-kernel (conv2_simd.c). */
static int conv2_prepare_simd(VgModel *m, VgNode *node, const ConvGeom *g, int has_bias,
                              VgError *err)
{
  float *tmp = malloc(sizeof(float) * (size_t)(g->co * g->ci * g->kf * g->kt));
  VgPacked *p =
      tmp ? ops_packed_new(conv2_simd_w_floats(g), g->co, conv_simd_aux_floats(g), err) : NULL;
  if (!p) {
    free(tmp);
    if (!tmp)
      vg_error_set(err, "out of memory packing the weights");
    return vg_error_prefix(err, "Conv '%s'", node->name);
  }
  conv2_simd_pack(g, ops_value(m, node, 1)->data, has_bias ? ops_value(m, node, 2)->data : NULL,
                  tmp, p);
  free(tmp);
  ops_packed_attach(node, p);
  return VG_OK;
}

/* A depthwise 2-D conv of one channel per output channel (conv2_depthwise.c, CONV_DW2T). */
static int conv2_prepare_depthwise(VgModel *m, VgNode *node, const ConvGeom *g, int has_bias,
                                   VgError *err)
{
  VgPacked *p = ops_packed_new(conv2_depthwise_w_floats(g), g->co, 0, err);
  if (!p)
    return vg_error_prefix(err, "Conv '%s'", node->name);
  p->strategy = CONV_DW2T;
  conv2_depthwise_pack(g, ops_value(m, node, 1)->data,
                       has_bias ? ops_value(m, node, 2)->data : NULL, p);
  ops_packed_attach(node, p);
  return VG_OK;
}

int conv_prepare(VgModel *m, VgNode *node, VgError *err)
{
  if (node->n_inputs < 2 || !ops_is_const(m, node, 1))
    return vg_error_set(err, "Conv '%s': the weights must be a constant", node->name);
  const VgValue *wv = ops_value(m, node, 1);
  if (wv->shape.rank != 3 && wv->shape.rank != 4)
    return vg_error_set(err, "Conv '%s': weights of rank %d (1-D and 2-D convs only)", node->name,
                        wv->shape.rank);
  ConvGeom g;
  conv_geom(m, node, NULL, NULL, &g);
  if (g.co % g.g != 0)
    return vg_error_set(err, "Conv '%s': %lld output channels in %lld groups", node->name,
                        (long long)g.co, (long long)g.g);
  int has_bias = node->n_inputs > 2 && node->inputs[2] >= 0;
  if (has_bias && (!ops_is_const(m, node, 2) || ops_count(&ops_value(m, node, 2)->shape) != g.co))
    return vg_error_set(err, "Conv '%s': the bias must be a constant of %lld values", node->name,
                        (long long)g.co);
  int64_t per_co = g.cig * g.kf * g.kt;
  int freq = wv->shape.rank == 4 && conv2_freq_usable(&g);
  if (wv->shape.rank == 4 && conv2_simd_usable(&g))
    return conv2_prepare_simd(m, node, &g, has_bias, err);
  if (wv->shape.rank == 4 && g.cig == 1 && g.cog == 1 && g.g > 1)
    return conv2_prepare_depthwise(m, node, &g, has_bias, err);
  int simd = wv->shape.rank == 3 ? conv_simd_strategy(&g) : -1;
  VgPacked *p =
      simd >= 0 ? ops_packed_new(conv_simd_w_floats(&g, simd), g.co, conv_simd_aux_floats(&g), err)
      : freq    ? ops_packed_new(conv2_freq_w_floats(&g), g.co, 0, err)
                : ops_packed_new(g.co * per_co, g.co, 0, err);
  if (!p)
    return vg_error_prefix(err, "Conv '%s'", node->name);
  const float *w = wv->data;
  if (simd >= 0) {
    p->strategy = simd; /* SIMD kernels, their own layout (conv_simd.c) */
    conv_simd_pack(&g, w, has_bias ? ops_value(m, node, 2)->data : NULL, p);
  } else if (freq) {
    p->strategy = CONV_FREQ2;
    conv2_freq_pack(&g, w, p);
  } else if (wv->shape.rank == 4) {
    p->strategy = CONV_2D; /* W[co][ci][kf][kt] is already the GEMM's A, [co][(ci,kf,kt)] */
    memcpy(p->w, w, (size_t)(g.co * per_co) * sizeof(float));
  } else if (g.cig == 1) {
    p->strategy = CONV_DIRECT; /* w[k][co]: the inner loop runs over contiguous channels */
    for (int64_t co = 0; co < g.co; co++)
      for (int64_t k = 0; k < g.kt; k++)
        p->w[k * g.co + co] = w[co * g.kt + k];
  } else {
    p->strategy = g.cig >= TAPS_MIN_CIN ? CONV_TAPS : CONV_IM2COL;
    /* Group gi's B matrix: [(k, ci)][co] = W[gi*cog + co][ci][k], row-major. */
    for (int64_t gi = 0; gi < g.g; gi++) {
      float *b = p->w + gi * g.kt * g.cig * g.cog;
      for (int64_t co = 0; co < g.cog; co++)
        for (int64_t ci = 0; ci < g.cig; ci++)
          for (int64_t k = 0; k < g.kt; k++)
            b[(k * g.cig + ci) * g.cog + co] = w[((gi * g.cog + co) * g.cig + ci) * g.kt + k];
    }
  }
  if (has_bias)
    memcpy(p->bias, ops_value(m, node, 2)->data, (size_t)g.co * sizeof(float));
  ops_packed_attach(node, p);
  return VG_OK;
}

/* Output columns per im2col chunk: about CHUNK_FLOATS of scratch, at least 1, at most `cols`. */
static int64_t chunk_cols(int64_t floats_per_col, int64_t cols)
{
  int64_t r = CHUNK_FLOATS / (floats_per_col > 0 ? floats_per_col : 1);
  r = ops_max(ops_min(r, 512), 8);
  return ops_max(ops_min(r, cols), 1);
}

size_t conv_scratch(const VgModel *m, const VgNode *node, const VgShape *shapes, int64_t cols)
{
  ConvGeom g;
  conv_geom(m, node, ops_in_shape(shapes, node, 0), ops_out_shape(shapes, node), &g);
  if (ops_value(m, node, 1)->shape.rank == 4) {
    int64_t per_col = g.fo * (g.cig * g.kf * g.kt + g.cog);
    size_t blas = (size_t)(chunk_cols(per_col, cols) * per_col);
    size_t simd = conv2_simd_scratch(&g, cols), dw = conv2_depthwise_scratch(&g, cols);
    size_t freq = conv2_freq_scratch(&g, cols);
    blas = blas > simd ? blas : simd;
    blas = blas > dw ? blas : dw;
    return blas > freq ? blas : freq;
  }
  if (g.cig == 1 && g.g > 1)
    return 0; /* depthwise: direct, in place */
  /* The strategy is not known here (a plan may be sized before prepare): room for either. */
  size_t blas = (size_t)(chunk_cols(g.kt * g.cig, cols) * g.kt * g.cig);
  size_t simd = conv_simd_scratch(&g, cols);
  return blas > simd ? blas : simd;
}

static void fill_bias(VgSeq *out, int64_t j0, int64_t j1, const float *bias, int64_t co)
{
  for (int64_t j = j0; j < j1; j++)
    memcpy(seq_col_mut(out, j), bias, (size_t)co * sizeof(float));
}

/* 1-D, im2col over output columns [j0, j1) in chunks; out holds the bias already. */
static void conv1_im2col(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out,
                         int64_t j0, int64_t j1, float *scratch)
{
  int64_t row = g->kt * g->cig;
  int64_t rows_max = chunk_cols(row, j1 - j0);
  for (int64_t ja = j0; ja < j1; ja += rows_max) {
    int64_t rows = ops_min(rows_max, j1 - ja);
    for (int64_t gi = 0; gi < g->g; gi++) {
      for (int64_t r = 0; r < rows; r++) {
        int64_t j = ja + r;
        for (int64_t k = 0; k < g->kt; k++) {
          int64_t c = j * g->st - g->pt + k * g->dt;
          float *dst = scratch + r * row + k * g->cig;
          if (seq_has(in, c))
            memcpy(dst, seq_col(in, c) + gi * g->cig, (size_t)g->cig * sizeof(float));
          else
            memset(dst, 0, (size_t)g->cig * sizeof(float));
        }
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)g->cog, (int)row, 1.0f,
                  scratch, (int)row, p->w + gi * row * g->cog, (int)g->cog, 1.0f,
                  seq_col_mut(out, ja) + gi * g->cog, (int)g->co);
    }
  }
}

/* 1-D, interior columns [ja, jb) as per-tap GEMMs on shifted views of the input, in place. */
static void conv1_taps(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out,
                       int64_t ja, int64_t jb)
{
  for (int64_t gi = 0; gi < g->g; gi++) {
    const float *b = p->w + gi * g->kt * g->cig * g->cog;
    for (int64_t k = 0; k < g->kt; k++) {
      const float *a = seq_col(in, ja * g->st - g->pt + k * g->dt) + gi * g->cig;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(jb - ja), (int)g->cog,
                  (int)g->cig, 1.0f, a, (int)(g->st * g->ci), b + k * g->cig * g->cog, (int)g->cog,
                  1.0f, seq_col_mut(out, ja) + gi * g->cog, (int)g->co);
    }
  }
}

void conv1_interior_taps(const ConvGeom *g, const VgSeq *in, int64_t k0, int64_t k1, int64_t j0,
                         int64_t j1, int64_t *ja, int64_t *jb)
{
  int64_t lower = ops_max(in->lo, in->first);
  int64_t upper = ops_min(in->hi, in->first + in->count);
  int64_t first = k0 * g->dt - g->pt, last = (k1 - 1) * g->dt - g->pt; /* taps' offsets */
  *ja = ops_min(ops_max(ops_ceil_div(lower - first, g->st), j0), j1);
  *jb = ops_min(ops_max(ops_floor_div(upper - 1 - last, g->st) + 1, *ja), j1);
}

void conv1_interior(const ConvGeom *g, const VgSeq *in, int64_t j0, int64_t j1, int64_t *ja,
                    int64_t *jb)
{
  conv1_interior_taps(g, in, 0, g->kt, j0, j1, ja, jb);
}

static void conv1_gemm(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out,
                       int64_t j0, int64_t j1, float *scratch)
{
  if (j1 - j0 <= CONV_SMALL_MAX_COLS && g->kt <= CONV_SMALL_MAX_TAPS) {
    OpsConv1 c = {g->g, g->cig, g->cog, g->kt, g->st, g->dt, g->pt};
    conv1_small(&c, p->w, p->bias, in, out, j0, j1, scratch); /* conv_small.c */
    return;
  }
  fill_bias(out, j0, j1, p->bias, g->co);
  if (p->strategy == CONV_IM2COL || j1 - j0 < TAPS_MIN_ROWS) {
    conv1_im2col(g, p, in, out, j0, j1, scratch);
    return;
  }
  int64_t ja, jb;
  conv1_interior(g, in, j0, j1, &ja, &jb);
  if (ja > j0)
    conv1_im2col(g, p, in, out, j0, ja, scratch);
  if (jb > ja)
    conv1_taps(g, p, in, out, ja, jb);
  if (j1 > jb)
    conv1_im2col(g, p, in, out, jb, j1, scratch);
}

/* 2-D: chunks of output columns, A[(ci,kf,kt)][(r,fo)] in scratch, C[co][(r,fo)] after it. */
static void conv2_im2col(const ConvGeom *g, const VgSeq *in, int64_t gi, int64_t ja, int64_t rows,
                         float *a)
{
  int64_t n = rows * g->fo;
  for (int64_t ci = 0; ci < g->cig; ci++)
    for (int64_t kf = 0; kf < g->kf; kf++)
      for (int64_t kt = 0; kt < g->kt; kt++) {
        float *arow = a + ((ci * g->kf + kf) * g->kt + kt) * n;
        for (int64_t r = 0; r < rows; r++) {
          int64_t c = (ja + r) * g->st - g->pt + kt * g->dt;
          float *dst = arow + r * g->fo;
          if (!seq_has(in, c)) {
            memset(dst, 0, (size_t)g->fo * sizeof(float));
            continue;
          }
          const float *x = seq_col(in, c) + (gi * g->cig + ci) * g->fi;
          for (int64_t fo = 0; fo < g->fo; fo++) {
            int64_t f = fo * g->sf - g->pf + kf * g->df;
            dst[fo] = (f >= 0 && f < g->fi) ? x[f] : 0.0f;
          }
        }
      }
}

static void conv2_gemm(const ConvGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out,
                       int64_t j0, int64_t j1, float *scratch)
{
  int64_t kk = g->cig * g->kf * g->kt;
  int64_t rows_max = chunk_cols(g->fo * (kk + g->cog), j1 - j0);
  for (int64_t ja = j0; ja < j1; ja += rows_max) {
    int64_t rows = ops_min(rows_max, j1 - ja);
    int64_t n = rows * g->fo;
    float *a = scratch, *c = scratch + kk * n;
    for (int64_t gi = 0; gi < g->g; gi++) {
      conv2_im2col(g, in, gi, ja, rows, a);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->cog, (int)n, (int)kk, 1.0f,
                  p->w + gi * g->cog * kk, (int)kk, a, (int)n, 0.0f, c, (int)n);
      for (int64_t r = 0; r < rows; r++) {
        float *o = seq_col_mut(out, ja + r);
        for (int64_t co = 0; co < g->cog; co++) {
          int64_t oc = gi * g->cog + co;
          const float *src = c + co * n + r * g->fo;
          for (int64_t fo = 0; fo < g->fo; fo++)
            o[oc * g->fo + fo] = src[fo] + p->bias[oc];
        }
      }
    }
  }
}

const char *conv_kernel_name(const VgPacked *p, int64_t kt, int64_t dt)
{
  switch (p->strategy) {
  case CONV_DIRECT:
    return "direct loops over the channels";
  case CONV_TAPS:
    return "OpenBLAS, one GEMM per tap";
  case CONV_IM2COL:
  case CONV_2D:
    return "OpenBLAS, im2col GEMMs";
  case CONV_SIMD:
  case CONV_SIMD2:
    return "Vigil's micro-kernel";
  case CONV_WINO:
    return kt == 7   ? "Winograd F(2,7) on Vigil's micro-kernel"
           : kt == 5 ? "Winograd F(4,5) on Vigil's micro-kernel"
           : dt > 1  ? "Winograd F(6,3) on Vigil's micro-kernel" /* F(4,3): undilated only */
                     : "Winograd F(6,3) and F(4,3) on Vigil's micro-kernel";
  case CONV_WINO2:
    return "Winograd F(6,3) along time on Vigil's micro-kernel";
  case CONV_DW2T:
    return "depthwise, vectorised over channels";
  case CONV_FREQ2:
    return "vectorised along frequency";
  default:
    return "unknown";
  }
}

int conv_fusable(const VgPacked *p)
{
  return p->strategy == CONV_SIMD || p->strategy == CONV_WINO || p->strategy == CONV_SIMD2 ||
         p->strategy == CONV_DIRECT || p->strategy == CONV_FREQ2 || p->strategy == CONV_DW2T ||
         p->strategy == CONV_WINO2;
}

int conv_forward(const VgModel *m, const VgNode *node, const VgShape *shapes, const VgSeq *in,
                 VgSeq *out, int64_t j0, int64_t j1, float *scratch, float *sums)
{
  const VgPacked *p = node->packed;
  ConvGeom g;
  conv_geom(m, node, ops_in_shape(shapes, node, 0), ops_out_shape(shapes, node), &g);
  if (in->width != g.ci * g.fi || out->width != g.co * g.fo)
    return VG_ERR; /* the caller passed views of other widths than the shapes say */
  if (p->strategy == CONV_2D)
    conv2_gemm(&g, p, in, out, j0, j1, scratch);
  else if (p->strategy == CONV_SIMD2 || p->strategy == CONV_WINO2)
    conv2_simd(&g, p, in, out, j0, j1, scratch);
  else if (p->strategy == CONV_DW2T)
    conv2_depthwise(&g, p, in, out, j0, j1, scratch);
  else if (p->strategy == CONV_FREQ2)
    conv2_freq(&g, p, in, out, j0, j1, scratch);
  else if (p->strategy == CONV_DIRECT)
    conv1_depthwise(&g, p, in, out, j0, j1);
  else if (p->strategy == CONV_SIMD || p->strategy == CONV_WINO)
    return conv1_simd(&g, p, in, out, j0, j1, scratch, sums) ? CONV_SUMMED : VG_OK;
  else
    conv1_gemm(&g, p, in, out, j0, j1, scratch);
  return VG_OK;
}

int vg_ops_conv_split(const VgModel *m, const VgNode *node, const VgShape *shapes,
                      VgConvSplit *split)
{
  const VgPacked *p = node->packed;
  if (node->op != VG_OP_CONV || !p || (p->strategy != CONV_SIMD && p->strategy != CONV_WINO))
    return 0;
  ConvGeom g;
  conv_geom(m, node, ops_in_shape(shapes, node, 0), ops_out_shape(shapes, node), &g);
  if (g.g != 1 || g.kf != 1 || g.kt < 2)
    return 0;
  int64_t nb = (g.co + VG_UK_CO - 1) / VG_UK_CO;
  *split = (VgConvSplit){.taps = g.kt,
                         .stride = g.st,
                         .dilation = g.dt,
                         .pad = g.pt,
                         .row_floats = nb * VG_UK_CO,
                         .weight_bytes = nb * VG_UK_CO * g.kt * g.ci * (int64_t)sizeof(float),
                         .in_width = g.ci,
                         .max_rows = VG_UK_ROWS};
  return 1;
}

int vg_ops_conv_taps(const VgModel *m, const VgNode *node, const VgShape *shapes, const VgSeq *in,
                     VgSeq *out, int64_t j0, int64_t j1, int64_t k0, int64_t k1, const float *start,
                     int finish, float *scratch)
{
  VgConvSplit split;
  if (!vg_ops_conv_split(m, node, shapes, &split) || k0 < 0 || k1 > split.taps || k0 >= k1 ||
      (start && j1 - j0 != 1))
    return VG_ERR;
  const VgPacked *p = node->packed;
  ConvGeom g;
  conv_geom(m, node, ops_in_shape(shapes, node, 0), ops_out_shape(shapes, node), &g);
  if (in->width != g.ci || out->width < g.co)
    return VG_ERR;
  ConvTaps span = {k0, k1, start, finish && p->fused_relu};
  conv1_simd_taps(&g, p, &span, in, out, j0, j1, scratch);
  return VG_OK;
}

int vg_ops_conv_taps_rows(const VgModel *m, const VgNode *node, const VgShape *shapes,
                          const float *a, int64_t lda, int64_t tap, int rows, int64_t k0,
                          int64_t k1, float *out, int64_t ldc)
{
  VgConvSplit split;
  if (!vg_ops_conv_split(m, node, shapes, &split) || k0 < 0 || k1 > split.taps || k0 >= k1 ||
      rows < 1 || rows > split.max_rows || ldc < split.row_floats)
    return VG_ERR;
  ConvGeom g;
  conv_geom(m, node, ops_in_shape(shapes, node, 0), ops_out_shape(shapes, node), &g);
  conv1_simd_rows(&g, node->packed, a, lda, tap, rows, k0, k1, out, ldc);
  return VG_OK;
}
