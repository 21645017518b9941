/* ConvTranspose 1-D and 2-D on time-major columns.
 *
 * Input column i adds W-weighted copies of itself into output columns i*s - p + k*d:
 *   out[j][co] = b[co] + sum over (i, k) with i*s - p + k*d = j of sum_ci in[i][ci] * W[ci][co][k]
 * For requested output columns [j0, j1), vg_node_time_deps gives the input columns that reach
 * them. A GEMM of those input columns (read in place, rows C_in apart) with the packed weights
 * B[ci][(k, co)] gives every column's K contributions at once; a scatter-add keeps those that land
 * in [j0, j1). Input columns outside the signal extent are zeros and contribute nothing.
 * 1-D of one group, where Vigil's SIMD kernels run (conv_simd.c): that product is a 1 x 1 conv
 * from C_in to K x C_out channels, on the micro-kernel in blocks of VG_UK_ROWS input columns
 * (an autoencoder's 128 -> 64, k 8, stride 2 decoder layer over 64 columns: OpenBLAS 108 us).
 * 2-D: per input column, Y[(co,kf,kt)][f] = W^T[(co,kf,kt)][ci] x X[ci][f] (the column read in
 * place as a C_in x F matrix), then scatter-add along both axes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "conv_priv.h"
#include "conv_simd.h"

typedef struct {
  int64_t ci, co, g, cig, cog;
  int64_t kt, st, dt, pt;
  int64_t kf, sf, df, pf;
  int64_t fi, fo;
  int two_d;
} ConvTGeom;

static void convt_geom(const VgModel *m, const VgNode *node, const VgShape *shapes, ConvTGeom *g)
{
  const VgShape *w = &ops_value(m, node, 1)->shape;
  const VgWindow *win = &node->win;
  g->two_d = w->rank == 4;
  int t = g->two_d ? 1 : 0;
  g->ci = w->dims[0];
  g->g = win->group > 0 ? win->group : 1;
  g->cig = g->ci / g->g;
  g->cog = w->dims[1];
  g->co = g->cog * g->g;
  g->kt = w->dims[w->rank - 1];
  g->st = win->stride[t] > 0 ? win->stride[t] : 1;
  g->dt = win->dilation[t] > 0 ? win->dilation[t] : 1;
  g->pt = win->pad_begin[t];
  g->kf = g->two_d ? w->dims[2] : 1;
  g->sf = g->two_d && win->stride[0] > 0 ? win->stride[0] : 1;
  g->df = g->two_d && win->dilation[0] > 0 ? win->dilation[0] : 1;
  g->pf = g->two_d ? win->pad_begin[0] : 0;
  g->fi = (g->two_d && shapes) ? shapes[node->inputs[0]].dims[2] : 1;
  g->fo = (g->two_d && shapes) ? shapes[node->output].dims[2] : 1;
}

/* The 1 x 1 conv whose micro-kernel calls compute a 1-D ConvTranspose's product: C_in -> K x C_out
 * channels, output channel k C_out + co holding tap k of channel co. */
static ConvGeom flat_geom(const ConvTGeom *g)
{
  int64_t n = g->kt * g->cog;
  return (ConvGeom){.ci = g->cig,
                    .co = n,
                    .g = 1,
                    .cig = g->cig,
                    .cog = n,
                    .kt = 1,
                    .st = 1,
                    .dt = 1,
                    .kf = 1,
                    .sf = 1,
                    .df = 1,
                    .fi = 1,
                    .fo = 1};
}

/* 1-D, one group, on the micro-kernel: its weights W'[(k, co)][ci] packed as that conv's. */
static int convt_prepare_simd(const VgModel *m, VgNode *node, const ConvTGeom *g, int has_bias,
                              VgError *err)
{
  ConvGeom f = flat_geom(g);
  float *tmp = malloc(sizeof(float) * (size_t)(f.co * f.ci));
  VgPacked *p =
      tmp ? ops_packed_new(conv_simd_w_floats(&f, CONV_SIMD), g->co, conv_simd_aux_floats(&f), err)
          : NULL;
  if (!p) {
    free(tmp);
    if (!tmp)
      vg_error_set(err, "out of memory packing the weights");
    return vg_error_prefix(err, "ConvTranspose '%s'", node->name);
  }
  const float *w = ops_value(m, node, 1)->data; /* W[ci][co][kt] */
  for (int64_t ci = 0; ci < g->ci; ci++)
    for (int64_t co = 0; co < g->cog; co++)
      for (int64_t k = 0; k < g->kt; k++)
        tmp[(k * g->cog + co) * g->ci + ci] = w[(ci * g->cog + co) * g->kt + k];
  p->strategy = CONV_SIMD;
  conv_simd_pack(&f, tmp, NULL, p);
  free(tmp);
  if (has_bias)
    memcpy(p->bias, ops_value(m, node, 2)->data, (size_t)g->co * sizeof(float));
  ops_packed_attach(node, p);
  return VG_OK;
}

int convt_prepare(VgModel *m, VgNode *node, VgError *err)
{
  if (node->n_inputs < 2 || !ops_is_const(m, node, 1))
    return vg_error_set(err, "ConvTranspose '%s': the weights must be a constant", node->name);
  const VgValue *wv = ops_value(m, node, 1);
  if (wv->shape.rank != 3 && wv->shape.rank != 4)
    return vg_error_set(err, "ConvTranspose '%s': weights of rank %d (1-D and 2-D only)",
                        node->name, wv->shape.rank);
  ConvTGeom g;
  convt_geom(m, node, NULL, &g);
  if (g.ci % g.g != 0)
    return vg_error_set(err, "ConvTranspose '%s': %lld input channels in %lld groups", node->name,
                        (long long)g.ci, (long long)g.g);
  int has_bias = node->n_inputs > 2 && node->inputs[2] >= 0;
  if (has_bias && (!ops_is_const(m, node, 2) || ops_count(&ops_value(m, node, 2)->shape) != g.co))
    return vg_error_set(err, "ConvTranspose '%s': the bias must be a constant of %lld values",
                        node->name, (long long)g.co);
  ConvGeom f = flat_geom(&g);
  if (!g.two_d && g.g == 1 && conv_simd_strategy(&f) >= 0)
    return convt_prepare_simd(m, node, &g, has_bias, err);
  int64_t taps = g.kf * g.kt;
  VgPacked *p = ops_packed_new(g.ci * g.cog * taps, g.co, 0, err);
  if (!p)
    return vg_error_prefix(err, "ConvTranspose '%s'", node->name);
  const float *w = wv->data; /* W[ci][co][(kf,) kt] */
  for (int64_t gi = 0; gi < g.g; gi++) {
    float *dst = p->w + gi * g.cig * g.cog * taps;
    for (int64_t ci = 0; ci < g.cig; ci++)
      for (int64_t co = 0; co < g.cog; co++)
        for (int64_t k = 0; k < taps; k++) {
          float v = w[((gi * g.cig + ci) * g.cog + co) * taps + k];
          if (g.two_d) /* A[(co, kf, kt)][ci] */
            dst[(co * taps + k) * g.cig + ci] = v;
          else /* B[ci][(k, co)] */
            dst[ci * g.kt * g.cog + k * g.cog + co] = v;
        }
  }
  if (has_bias)
    memcpy(p->bias, ops_value(m, node, 2)->data, (size_t)g.co * sizeof(float));
  ops_packed_attach(node, p);
  return VG_OK;
}

static int64_t convt_rows(const ConvTGeom *g, int64_t cols)
{
  int64_t per = g->kt * g->cog;
  int64_t r = 32768 / (per > 0 ? per : 1);
  return ops_max(ops_min(ops_min(r, 512), cols / g->st + g->kt + 1), 1);
}

size_t convt_scratch(const VgModel *m, const VgNode *node, const VgShape *shapes, int64_t cols)
{
  ConvTGeom g;
  convt_geom(m, node, shapes, &g);
  if (g.two_d)
    return (size_t)(g.cog * g.kf * g.kt * g.fi);
  /* room for either path: the strategy is not known here (a plan may be sized before prepare) */
  size_t blas = (size_t)(convt_rows(&g, cols) * g.kt * g.cog);
  size_t simd = (size_t)(VG_UK_ROWS * g.kt * g.cog + 16);
  return blas > simd ? blas : simd;
}

/* Adds the K contributions of input columns [ia, ia + rows) (y[r][(k, co)], group gi) that land
 * in output columns [j0, j1). */
static void scatter(const ConvTGeom *g, const float *y, int64_t ia, int64_t rows, int64_t gi,
                    VgSeq *out, int64_t j0, int64_t j1)
{
  int64_t n = g->kt * g->cog;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t k = 0; k < g->kt; k++) {
      int64_t j = (ia + r) * g->st - g->pt + k * g->dt;
      if (j < j0 || j >= j1)
        continue;
      float *o = seq_col_mut(out, j) + gi * g->cog;
      const float *src = y + r * n + k * g->cog;
      for (int64_t co = 0; co < g->cog; co++)
        o[co] += src[co];
    }
}

/* 1-D on the micro-kernel: blocks of VG_UK_ROWS input columns, read in place. */
static void convt1_simd(const ConvTGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out,
                        int64_t i0, int64_t i1, int64_t j0, int64_t j1, float *scratch)
{
  ConvGeom f = flat_geom(g);
  float *y = conv_align64(scratch);
  for (int64_t ia = i0; ia < i1; ia += VG_UK_ROWS) {
    int rows = (int)ops_min(VG_UK_ROWS, i1 - ia);
    conv1_simd_rows(&f, p, seq_col(in, ia), in->width, 0, rows, 0, 1, y, f.co);
    scatter(g, y, ia, rows, 0, out, j0, j1);
  }
}

static void convt1(const ConvTGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out, int64_t i0,
                   int64_t i1, int64_t j0, int64_t j1, float *y)
{
  int64_t n = g->kt * g->cog;
  int64_t rows_max = convt_rows(g, j1 - j0);
  for (int64_t ia = i0; ia < i1; ia += rows_max) {
    int64_t rows = ops_min(rows_max, i1 - ia);
    for (int64_t gi = 0; gi < g->g; gi++) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)n, (int)g->cig, 1.0f,
                  seq_col(in, ia) + gi * g->cig, (int)g->ci, p->w + gi * g->cig * n, (int)n, 0.0f,
                  y, (int)n);
      scatter(g, y, ia, rows, gi, out, j0, j1);
    }
  }
}

static void convt2(const ConvTGeom *g, const VgPacked *p, const VgSeq *in, VgSeq *out, int64_t i0,
                   int64_t i1, int64_t j0, int64_t j1, float *y)
{
  int64_t taps = g->kf * g->kt;
  for (int64_t i = i0; i < i1; i++)
    for (int64_t gi = 0; gi < g->g; gi++) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(g->cog * taps), (int)g->fi,
                  (int)g->cig, 1.0f, p->w + gi * g->cog * taps * g->cig, (int)g->cig,
                  seq_col(in, i) + gi * g->cig * g->fi, (int)g->fi, 0.0f, y, (int)g->fi);
      for (int64_t co = 0; co < g->cog; co++)
        for (int64_t kf = 0; kf < g->kf; kf++)
          for (int64_t kt = 0; kt < g->kt; kt++) {
            int64_t j = i * g->st - g->pt + kt * g->dt;
            if (j < j0 || j >= j1)
              continue;
            float *o = seq_col_mut(out, j) + (gi * g->cog + co) * g->fo;
            const float *src = y + ((co * g->kf + kf) * g->kt + kt) * g->fi;
            for (int64_t f = 0; f < g->fi; f++) {
              int64_t fo = f * g->sf - g->pf + kf * g->df;
              if (fo >= 0 && fo < g->fo)
                o[fo] += src[f];
            }
          }
    }
}

const char *convt_kernel_name(const VgPacked *p)
{
  return p->strategy == CONV_SIMD ? "Vigil's micro-kernel, then a scatter-add"
                                  : "OpenBLAS GEMM, then a scatter-add";
}

int convt_forward(const VgModel *m, const VgNode *node, const VgShape *shapes, const VgSeq *in,
                  VgSeq *out, int64_t j0, int64_t j1, float *scratch)
{
  const VgPacked *p = node->packed;
  ConvTGeom g;
  convt_geom(m, node, shapes, &g);
  if (in->width != g.ci * g.fi || out->width != g.co * g.fo)
    return VG_ERR;
  for (int64_t j = j0; j < j1; j++) {
    float *o = seq_col_mut(out, j);
    for (int64_t co = 0; co < g.co; co++)
      for (int64_t fo = 0; fo < g.fo; fo++)
        o[co * g.fo + fo] = p->bias[co];
  }
  if (j1 <= j0)
    return VG_OK;
  int64_t first, last;
  vg_node_time_deps(node, j0, j1 - 1, &first, &last);
  int64_t i0 = ops_max(first, in->lo), i1 = ops_min(last + 1, in->hi);
  if (i1 <= i0)
    return VG_OK;
  if (g.two_d)
    convt2(&g, p, in, out, i0, i1, j0, j1, scratch);
  else if (p->strategy == CONV_SIMD)
    convt1_simd(&g, p, in, out, i0, i1, j0, j1, scratch);
  else
    convt1(&g, p, in, out, i0, i1, j0, j1, scratch);
  return VG_OK;
}
