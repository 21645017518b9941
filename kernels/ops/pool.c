/* MaxPool, AveragePool, Pad (constant) and the global pools.
 *
 * Window positions follow vg_time.c: output column j reads input columns j*s - p + k*d. A tap
 * outside the signal extent [lo, hi) (or outside [0, F) along frequency) is padding: MaxPool
 * ignores it; AveragePool divides by the taps inside the input (count_include_pad = 0) or by the
 * taps inside the input *and its explicit pads* (count_include_pad = 1). The latter is PyTorch's
 * rule: in ceil_mode a last window running past the end pad counts only up to that pad, i.e. the
 * divisor is min(start + k, n + pad_end) - start.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "ops_priv.h"

typedef struct {
  int64_t c, fi, fo;
  int64_t kt, st, dt, pt, et; /* et: trailing pad along time */
  int64_t kf, sf, df, pf, ef;
  int is_max, include_pad;
} PoolGeom;

static void pool_geom(const VgNode *node, const VgShape *in_s, const VgShape *out_s, PoolGeom *g)
{
  const VgWindow *w = &node->win;
  int two_d = in_s->rank == 4;
  int t = w->n_spatial > 1 ? 1 : 0;
  g->c = in_s->dims[1];
  g->fi = two_d ? in_s->dims[2] : 1;
  g->fo = two_d ? out_s->dims[2] : 1;
  g->kt = w->kernel[t] > 0 ? w->kernel[t] : 1;
  g->st = w->stride[t] > 0 ? w->stride[t] : 1;
  g->dt = w->dilation[t] > 0 ? w->dilation[t] : 1;
  g->pt = w->pad_begin[t];
  g->et = w->pad_end[t];
  g->kf = two_d ? w->kernel[0] : 1;
  g->sf = two_d && w->stride[0] > 0 ? w->stride[0] : 1;
  g->df = two_d && w->dilation[0] > 0 ? w->dilation[0] : 1;
  g->pf = two_d ? w->pad_begin[0] : 0;
  g->ef = two_d ? w->pad_end[0] : 0;
  g->is_max = node->op == VG_OP_MAX_POOL;
  g->include_pad = w->count_include_pad;
}

/* acc[0 .. w) = max or sum over output column j's time taps inside the signal of their whole
 * input columns (w floats each: contiguous, vectorised at the caller's target); the counts of
 * those taps and of the taps inside the signal and its explicit pads, for the divisors. */
static inline __attribute__((always_inline)) void pool_time_taps(const PoolGeom *g, const VgSeq *in,
                                                                 int64_t j, int64_t w, float *acc,
                                                                 int64_t *valid, int64_t *incl)
{
  for (int64_t i = 0; i < w; i++)
    acc[i] = g->is_max ? -INFINITY : 0.0f;
  *valid = *incl = 0;
  for (int64_t k = 0; k < g->kt; k++) {
    int64_t t = j * g->st - g->pt + k * g->dt;
    *incl += t >= in->lo - g->pt && t < in->hi + g->et;
    if (!seq_has(in, t))
      continue;
    (*valid)++;
    const float *x = seq_col(in, t);
    if (g->is_max) {
      for (int64_t i = 0; i < w; i++)
        acc[i] = vg_max_nan(x[i], acc[i]);
    } else {
      for (int64_t i = 0; i < w; i++)
        acc[i] += x[i];
    }
  }
}

/* 1-D: whole columns combine element-wise, so the inner loop runs over contiguous channels. */
VG_SIMD_CLONES static void pool1(const PoolGeom *g, const VgSeq *in, VgSeq *out, int64_t j0,
                                 int64_t j1)
{
  for (int64_t j = j0; j < j1; j++) {
    float *o = seq_col_mut(out, j);
    int64_t n_valid, n_incl;
    pool_time_taps(g, in, j, g->c, o, &n_valid, &n_incl);
    if (!g->is_max) {
      int64_t div = g->include_pad ? n_incl : n_valid;
      float scale = div > 0 ? 1.0f / (float)div : 0.0f;
      for (int64_t c = 0; c < g->c; c++)
        o[c] *= scale;
    }
  }
}

/* One output value of a 2-D pool: channel c, frequency fo, column j. */
static float pool2_value(const PoolGeom *g, const VgSeq *in, int64_t j, int64_t c, int64_t fo)
{
  float acc = g->is_max ? -INFINITY : 0.0f;
  int64_t n_valid = 0, n_incl_t = 0, n_incl_f = 0;
  for (int64_t kf = 0; kf < g->kf; kf++) {
    int64_t f = fo * g->sf - g->pf + kf * g->df;
    n_incl_f += f >= -g->pf && f < g->fi + g->ef;
  }
  for (int64_t kt = 0; kt < g->kt; kt++) {
    int64_t t = j * g->st - g->pt + kt * g->dt;
    n_incl_t += t >= in->lo - g->pt && t < in->hi + g->et;
    if (!seq_has(in, t))
      continue;
    const float *x = seq_col(in, t) + c * g->fi;
    for (int64_t kf = 0; kf < g->kf; kf++) {
      int64_t f = fo * g->sf - g->pf + kf * g->df;
      if (f < 0 || f >= g->fi)
        continue;
      n_valid++;
      if (g->is_max)
        acc = vg_max_nan(x[f], acc);
      else
        acc += x[f];
    }
  }
  if (g->is_max)
    return acc;
  int64_t div = g->include_pad ? n_incl_t * n_incl_f : n_valid;
  return div > 0 ? acc / (float)div : 0.0f;
}

/* Divisor of output frequency fo's average, given the time taps' counts: the frequency taps
 * inside the pads (count_include_pad) or inside [0, fi). */
static int64_t pool2_divisor(const PoolGeom *g, int64_t fo, int64_t valid_t, int64_t incl_t)
{
  int64_t valid_f = 0, incl_f = 0;
  for (int64_t kf = 0; kf < g->kf; kf++) {
    int64_t f = fo * g->sf - g->pf + kf * g->df;
    incl_f += f >= -g->pf && f < g->fi + g->ef;
    valid_f += f >= 0 && f < g->fi;
  }
  return g->include_pad ? incl_t * incl_f : valid_t * valid_f;
}

/* Output frequencies fo whose tap kf lands inside [0, fi): [*lo, *hi). */
static void pool2_freq_range(const PoolGeom *g, int64_t kf, int64_t *lo, int64_t *hi)
{
  int64_t base = kf * g->df - g->pf; /* f = fo * sf + base */
  *lo = base >= 0 ? 0 : (-base + g->sf - 1) / g->sf;
  *hi = base >= g->fi ? 0 : (g->fi - 1 - base) / g->sf + 1;
  *hi = *hi < g->fo ? *hi : g->fo;
}

/* Combines row[] (one channel's time-combined frequencies) into that channel's outputs, tap by
 * tap: each tap is a strided pass over fo without branches. */
static inline void pool2_freq(const PoolGeom *g, const float *row, float *o)
{
  for (int64_t fo = 0; fo < g->fo; fo++)
    o[fo] = g->is_max ? -INFINITY : 0.0f;
  for (int64_t kf = 0; kf < g->kf; kf++) {
    int64_t lo, hi;
    pool2_freq_range(g, kf, &lo, &hi);
    int64_t base = kf * g->df - g->pf;
    if (g->is_max)
      for (int64_t fo = lo; fo < hi; fo++)
        o[fo] = vg_max_nan(row[base + fo * g->sf], o[fo]);
    else
      for (int64_t fo = lo; fo < hi; fo++)
        o[fo] += row[base + fo * g->sf];
  }
}

/* Floats of a 2-D pool's time-combined column that pool2 keeps on the stack (C x F at most). */
#define POOL2_ROW 4096

/* Whether the frequency windows tile the axis (kernel = stride, no dilation or padding, no partial
 * window: 2x2 pools of spectrograms): then output i of the whole column, channels included,
 * combines row[i kf .. i kf + kf), and every output counts kf frequency taps. */
static int pool2_freq_tiles(const PoolGeom *g)
{
  return g->kf == g->sf && g->df == 1 && g->pf == 0 && g->kf <= 4 && g->fo * g->kf == g->fi;
}

/* o[i] = max or sum of row[i kf + k], k < kf, for i < n; kf a constant after inlining, so that
 * the strided loads vectorise. */
static inline __attribute__((always_inline)) void tiled_freq(const float *row, float *o, int64_t n,
                                                             int kf, int is_max)
{
  for (int64_t i = 0; i < n; i++) {
    float acc = row[i * kf];
    for (int k = 1; k < kf; k++)
      acc = is_max ? vg_max_nan(row[i * kf + k], acc) : acc + row[i * kf + k];
    o[i] = acc;
  }
}

VG_SIMD_CLONES static void pool2_freq_tiled(const PoolGeom *g, const float *row, float *o)
{
  int64_t n = g->c * g->fo;
  switch (g->kf * 2 + g->is_max) {
  case 2 * 2 + 1:
    tiled_freq(row, o, n, 2, 1);
    break;
  case 2 * 2:
    tiled_freq(row, o, n, 2, 0);
    break;
  case 3 * 2 + 1:
    tiled_freq(row, o, n, 3, 1);
    break;
  case 3 * 2:
    tiled_freq(row, o, n, 3, 0);
    break;
  case 4 * 2 + 1:
    tiled_freq(row, o, n, 4, 1);
    break;
  default:
    tiled_freq(row, o, n, (int)g->kf, g->is_max);
    break;
  }
}

/* 2-D, separably: the window's valid taps form a rectangle (valid times x valid frequencies), and
 * max, sum and both divisors (count_include_pad or not) factor over it. Per output column the
 * valid time taps combine whole input columns element-wise (contiguous: vectorised) into row[],
 * then each channel's frequencies combine tap by tap (pool2_freq). */
VG_SIMD_CLONES static void pool2(const PoolGeom *g, const VgSeq *in, VgSeq *out, int64_t j0,
                                 int64_t j1)
{
  float row[POOL2_ROW];
  int64_t w = g->c * g->fi;
  int tiles = pool2_freq_tiles(g);
  for (int64_t j = j0; j < j1; j++) {
    int64_t valid_t, incl_t;
    pool_time_taps(g, in, j, w, row, &valid_t, &incl_t);
    float *o = seq_col_mut(out, j);
    if (tiles)
      pool2_freq_tiled(g, row, o);
    else
      for (int64_t c = 0; c < g->c; c++)
        pool2_freq(g, row + c * g->fi, o + c * g->fo);
    for (int64_t fo = 0; fo < g->fo && !g->is_max; fo++) {
      int64_t div = pool2_divisor(g, fo, valid_t, incl_t);
      float scale = div > 0 ? 1.0f / (float)div : 0.0f;
      for (int64_t c = 0; c < g->c; c++)
        o[c * g->fo + fo] *= scale;
    }
  }
}

int pool_forward(const VgModel *m, const VgNode *node, const VgShape *shapes, const VgSeq *in,
                 VgSeq *out, int64_t j0, int64_t j1)
{
  PoolGeom g;
  pool_geom(node, ops_in_shape(shapes, node, 0), ops_out_shape(shapes, node), &g);
  if (in->width != g.c * g.fi || out->width != g.c * g.fo)
    return VG_ERR;
  if (g.fi == 1 && g.fo == 1 && g.kf == 1) {
    pool1(&g, in, out, j0, j1);
    return VG_OK;
  }
  if (g.c * g.fi <= POOL2_ROW) {
    pool2(&g, in, out, j0, j1);
    return VG_OK;
  }
  for (int64_t j = j0; j < j1; j++) {
    float *o = seq_col_mut(out, j);
    for (int64_t c = 0; c < g.c; c++)
      for (int64_t fo = 0; fo < g.fo; fo++)
        o[c * g.fo + fo] = pool2_value(&g, in, j, c, fo);
  }
  return VG_OK;
}

/* Index i of an axis of n entries, padded by reflection (the edge entry not repeated: -1 reads 1)
 * or by repeating the edge entry; ONNX's reflect and edge modes. Reflect needs n > the pad. */
static int64_t padded_index(int64_t i, int64_t n, VgPadMode mode)
{
  if (mode == VG_PAD_EDGE)
    return i < 0 ? 0 : (i >= n ? n - 1 : i);
  i = i < 0 ? -i : i;
  return i >= n ? 2 * (n - 1) - i : i;
}

int pad_modes_forward(const VgNode *node, const VgShape *is, const VgShape *os, const float *in,
                      float *out)
{
  int r = is->rank, ns = node->win.n_spatial;
  if ((r != 3 && r != 4) || ns != r - 2 || os->dims[1] != is->dims[1])
    return VG_ERR;
  int64_t fi = r == 4 ? is->dims[2] : 1, fo = r == 4 ? os->dims[2] : 1;
  int64_t ti = is->dims[r - 1], to = os->dims[r - 1], c = is->dims[1];
  int64_t pt = node->win.pad_begin[ns - 1], pf = r == 4 ? node->win.pad_begin[0] : 0;
  for (int64_t ch = 0; ch < c; ch++)
    for (int64_t f = 0; f < fo; f++) {
      const float *row = in + (ch * fi + padded_index(f - pf, fi, node->pad_mode)) * ti;
      float *dst = out + (ch * fo + f) * to;
      for (int64_t t = 0; t < to; t++)
        dst[t] = row[padded_index(t - pt, ti, node->pad_mode)];
    }
  return VG_OK;
}

/* Pad: output column j is input column j - p_t; along frequency f' reads f' - p_f. */
int pad_forward(const VgModel *m, const VgNode *node, const VgShape *shapes, const VgSeq *in,
                VgSeq *out, int64_t j0, int64_t j1)
{
  const VgWindow *w = &node->win;
  const VgShape *is = ops_in_shape(shapes, node, 0), *os = ops_out_shape(shapes, node);
  int t = w->n_spatial > 1 ? 1 : 0;
  int64_t pt = w->pad_begin[t];
  int64_t c = is->dims[1];
  int64_t fi = is->rank == 4 ? is->dims[2] : 1, fo = os->rank == 4 ? os->dims[2] : 1;
  int64_t pf = is->rank == 4 && w->n_spatial > 1 ? w->pad_begin[0] : 0;
  if (os->dims[1] != c || in->width != c * fi || out->width != c * fo)
    return VG_ERR; /* padding along channels is not a time-local op */
  for (int64_t j = j0; j < j1; j++) {
    float *o = seq_col_mut(out, j);
    int64_t src = j - pt;
    if (!seq_has(in, src)) {
      for (int64_t i = 0; i < out->width; i++)
        o[i] = node->pad_value;
      continue;
    }
    const float *x = seq_col(in, src);
    if (fi == fo) {
      memcpy(o, x, (size_t)out->width * sizeof(float));
      continue;
    }
    for (int64_t ch = 0; ch < c; ch++)
      for (int64_t f = 0; f < fo; f++) {
        int64_t sf = f - pf;
        o[ch * fo + f] = (sf >= 0 && sf < fi) ? x[ch * fi + sf] : node->pad_value;
      }
  }
  return VG_OK;
}

/* InstanceNormalization on a value in ONNX order [1, C, S...]: per channel c (per group of
 * channels for GroupNorm), over its n values,
 * y = (x - mean) / sqrt(var + epsilon) * scale[c] + b[c] with the biased variance, as PyTorch's
 * InstanceNorm computes. Mean and variance in double, the variance from the centred values. */
int instance_norm_forward(const VgModel *m, const VgNode *node, const VgShape *in_shape,
                          const float *in, float *out)
{
  /* GroupNorm's groups (vg_parse_instance_norm) are blocks of C / G contiguous channels */
  int64_t c = node->win.group > 0 ? node->win.group : in_shape->dims[1];
  int64_t n = ops_prod(in_shape, 1, in_shape->rank) / (c > 0 ? c : 1);
  const float *scale = m->values[node->inputs[1]].data, *bias = m->values[node->inputs[2]].data;
  if (c <= 0 || n <= 0 || !scale || !bias)
    return VG_ERR;
  for (int64_t ch = 0; ch < c; ch++) {
    const float *x = in + ch * n;
    double mean = 0.0, var = 0.0;
    for (int64_t i = 0; i < n; i++)
      mean += x[i];
    mean /= (double)n;
    for (int64_t i = 0; i < n; i++)
      var += ((double)x[i] - mean) * ((double)x[i] - mean);
    double k = (double)scale[ch] / sqrt(var / (double)n + (double)node->epsilon);
    for (int64_t i = 0; i < n; i++)
      out[ch * n + i] = (float)(((double)x[i] - mean) * k + (double)bias[ch]);
  }
  return VG_OK;
}

/* Sum (or max) over t of rows of n floats spaced `stride` apart, into acc[0 .. n). */
VG_SIMD_CLONES static void reduce_rows(const float *in, int64_t rows, int64_t stride, int64_t n,
                                       int is_max, float *acc)
{
  for (int64_t r = 0; r < rows; r++) {
    const float *x = in + r * stride;
    if (is_max) {
      for (int64_t i = 0; i < n; i++)
        acc[i] = vg_max_nan(x[i], acc[i]);
    } else {
      for (int64_t i = 0; i < n; i++)
        acc[i] += x[i];
    }
  }
}

/* A 2-D time value's window [t][c][f] reduced per channel: blocks of channels whose [c][f] floats
 * fit in a stack row combine over time element-wise (whole rows: vectorised), then each
 * channel's f values; a call per channel and column reduced f values one dependent add at a time
 * (a DS-CNN's 64 x 20 x 50: 126 us). */
static void global_pool_2d(const float *in, int64_t t_len, int64_t c, int64_t f, int is_max,
                           float *out)
{
  float row[POOL2_ROW];
  int64_t step = POOL2_ROW / f;
  for (int64_t c0 = 0; c0 < c; c0 += step) {
    int64_t n = (c - c0 < step ? c - c0 : step) * f;
    for (int64_t i = 0; i < n; i++)
      row[i] = is_max ? -INFINITY : 0.0f;
    reduce_rows(in + c0 * f, t_len, c * f, n, is_max, row);
    for (int64_t ch = c0; ch < c0 + n / f; ch++)
      reduce_rows(row + (ch - c0) * f, f, 1, 1, is_max, &out[ch]);
  }
}

/* GlobalAveragePool / GlobalMaxPool to [1, C, 1(, 1)]. A time input arrives as its full window
 * of columns [t][c][f]; a plain input in ONNX order [c][spatial]. */
int global_pool_forward(const VgNode *node, const VgShape *in_shape, int in_is_time,
                        const float *in, float *out)
{
  int is_max = node->op == VG_OP_GLOBAL_MAX_POOL;
  int64_t c = in_shape->dims[1];
  int64_t inner = ops_prod(in_shape, 2, in_shape->rank); /* F*T values per channel */
  if (c <= 0 || inner <= 0)
    return VG_ERR;
  for (int64_t ch = 0; ch < c; ch++)
    out[ch] = is_max ? -INFINITY : 0.0f;
  if (in_is_time) {
    int64_t t_len = in_shape->dims[in_shape->rank - 1], f = inner / t_len;
    if (f == 1) { /* columns of C floats: whole columns combine element-wise */
      reduce_rows(in, t_len, c, c, is_max, out);
    } else if (f <= POOL2_ROW) {
      global_pool_2d(in, t_len, c, f, is_max, out);
    } else {
      for (int64_t t = 0; t < t_len; t++)
        for (int64_t ch = 0; ch < c; ch++) {
          float acc = out[ch];
          reduce_rows(in + (t * c + ch) * f, f, 1, 1, is_max, &acc);
          out[ch] = acc;
        }
    }
  } else {
    for (int64_t ch = 0; ch < c; ch++)
      reduce_rows(in + ch * inner, inner, 1, 1, is_max, out + ch);
  }
  if (!is_max && node->reduce != VG_REDUCE_SUM) /* ReduceSum over time: the sum */
    for (int64_t ch = 0; ch < c; ch++)
      out[ch] /= (float)inner;
  return VG_OK;
}
