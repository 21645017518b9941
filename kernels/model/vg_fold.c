/* Load-time folding: nodes computed from constants only, and BatchNormalization into the conv
 * before it.
 *
 * BatchNormalization y = scale * (x - mean) / sqrt(var + eps) + B is, per output channel c, an
 * affine map y = s[c] * x + (B[c] - mean[c] * s[c]) with s[c] = scale[c] / sqrt(var[c] + eps).
 * After a convolution x = W * u + b it becomes a convolution with W'[c] = s[c] * W[c] and
 * b'[c] = s[c] * b[c] + B[c] - mean[c] * s[c]. The folded weights are new constants (copy on
 * fold): the old ones may be shared with another conv, and stay as they were for it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vg_onnx_priv.h"
#include "vg_scalar.h"

/* ---- constant folding ---- */

/* Offset in a broadcast operand of shape s for the output multi-index idx (of rank r). */
static int64_t bcast_offset(const VgShape *s, const int64_t *idx, int r)
{
  int64_t off = 0;
  for (int i = 0; i < s->rank; i++) {
    int64_t d = s->dims[i];
    off = off * d + (d == 1 ? 0 : idx[r - s->rank + i]);
  }
  return off;
}

/* Two inputs, or Where's three. */
static void eval_binary(const VgModel *m, const VgNode *n, const VgShape *out, float *d)
{
  const VgValue *a = &m->values[n->inputs[0]], *b = &m->values[n->inputs[1]];
  const VgValue *c = n->op == VG_OP_WHERE ? &m->values[n->inputs[2]] : NULL;
  int64_t idx[VG_MAX_RANK] = {0}, count = vg_shape_count(out);
  for (int64_t i = 0; i < count; i++) {
    float x = a->data[bcast_offset(&a->shape, idx, out->rank)];
    float y = b->data[bcast_offset(&b->shape, idx, out->rank)];
    d[i] = c ? vg_where(x, y, c->data[bcast_offset(&c->shape, idx, out->rank)])
             : vg_binary(n->op, x, y);
    for (int k = out->rank - 1; k >= 0 && ++idx[k] == out->dims[k]; k--)
      idx[k] = 0;
  }
}

/* Concat: for each of the `outer` blocks before the axis, each input's inner run in turn. */
static void eval_concat(const VgModel *m, const VgNode *n, const VgShape *out, float *d)
{
  int64_t outer = 1;
  for (int i = 0; i < n->axis; i++)
    outer *= out->dims[i];
  for (int64_t o = 0; o < outer; o++)
    for (int k = 0; k < n->n_inputs; k++) {
      const VgValue *v = &m->values[n->inputs[k]];
      int64_t inner = vg_shape_count(&v->shape) / (outer ? outer : 1);
      memcpy(d, v->data + o * inner, (size_t)inner * sizeof *d);
      d += inner;
    }
}

static int foldable(VgOpType op)
{
  return vg_op_is_activation(op) || vg_op_is_arithmetic(op) || op == VG_OP_RESHAPE ||
         op == VG_OP_CONCAT;
}

int vg_fold_constant_node(VgBuild *b, int ni, VgError *err)
{
  VgModel *m = b->m;
  VgNode *n = &m->nodes[ni];
  for (int k = 0; k < n->n_inputs; k++)
    if (m->values[n->inputs[k]].kind != VG_VALUE_CONST)
      return 0;
  if (!foldable(n->op))
    return 0;
  VgValue *out = &m->values[n->output];
  int64_t count = vg_shape_count(&out->shape);
  if (count > VG_MAX_CONST_VALUES - b->const_floats)
    return vg_error_set(err, "constants exceed %ld floats in all", (long)VG_MAX_CONST_VALUES);
  float *d = malloc((size_t)(count ? count : 1) * sizeof *d);
  if (!d)
    return vg_error_set(err, "out of memory");
  const float *x = m->values[n->inputs[0]].data;
  if (n->op == VG_OP_RESHAPE)
    memcpy(d, x, (size_t)count * sizeof *d);
  else if (n->op == VG_OP_CONCAT)
    eval_concat(m, n, &out->shape, d);
  else if (vg_op_is_arithmetic(n->op))
    eval_binary(m, n, &out->shape, d);
  else
    for (int64_t i = 0; i < count; i++)
      d[i] = vg_unary(n, x[i]);
  b->const_floats += count;
  out->kind = VG_VALUE_CONST;
  out->data = d;
  out->producer = -1;
  out->is_time = 0;
  n->op = VG_OP_DEAD;
  return 1;
}

/* ---- BatchNormalization into the preceding conv ---- */

static int uses_of(const VgModel *m, int v)
{
  int uses = vg_model_is_output(m, v);
  for (int i = 0; i < m->n_nodes; i++) {
    const VgNode *n = &m->nodes[i];
    for (int k = 0; n->op != VG_OP_DEAD && k < n->n_inputs; k++)
      uses += n->inputs[k] == v;
  }
  return uses;
}

/* Output channel of weight row (i0, i1): Conv W is [M, C/g, ...] (channel i0); ConvTranspose W
 * is [C, M/g, ...] and row (i0, i1) feeds channel (i0 / (C/g)) * (M/g) + i1. */
static int64_t out_channel(const VgNode *conv, const VgShape *w, int64_t i0, int64_t i1)
{
  if (conv->op == VG_OP_CONV)
    return i0;
  int64_t c_per_g = w->dims[0] / conv->win.group;
  return (i0 / c_per_g) * w->dims[1] + i1;
}

static int fold_one(VgBuild *b, VgNode *conv, VgNode *bn, VgError *err)
{
  VgModel *m = b->m;
  const VgValue *w = &m->values[conv->inputs[1]];
  const float *bias = conv->n_inputs > 2 ? m->values[conv->inputs[2]].data : NULL;
  const float *scale = m->values[bn->inputs[1]].data, *beta = m->values[bn->inputs[2]].data;
  const float *mean = m->values[bn->inputs[3]].data, *var = m->values[bn->inputs[4]].data;
  int64_t n_out = m->values[bn->inputs[1]].shape.dims[0], count = vg_shape_count(&w->shape);
  int64_t inner = count / (w->shape.dims[0] * w->shape.dims[1]);
  float *w2 = malloc((size_t)count * sizeof *w2), *b2 = malloc((size_t)n_out * sizeof *b2);
  int *inputs = realloc(conv->inputs, 3 * sizeof *inputs);
  if (inputs)
    conv->inputs = inputs;
  if (!w2 || !b2 || !inputs) {
    free(w2);
    free(b2);
    return vg_error_set(err, "out of memory");
  }
  for (int64_t c = 0; c < n_out; c++) {
    float s = scale[c] / sqrtf(var[c] + bn->epsilon);
    b2[c] = (bias ? bias[c] : 0.0f) * s + beta[c] - mean[c] * s;
  }
  for (int64_t i = 0; i < count; i++) {
    int64_t row = i / inner,
            c = out_channel(conv, &w->shape, row / w->shape.dims[1], row % w->shape.dims[1]);
    w2[i] = w->data[i] * (scale[c] / sqrtf(var[c] + bn->epsilon));
  }
  VgShape bshape = {.rank = 1, .dims = {n_out}};
  VgShape wshape = w->shape;
  int vw = vg_build_add_const(b, "bn_folded_weight", &wshape, w2, err);
  int vb = vw < 0 ? VG_ERR : vg_build_add_const(b, "bn_folded_bias", &bshape, b2, err);
  if (vw < 0 || vb < 0) {
    if (vw < 0)
      free(b2);
    return VG_ERR;
  }
  conv->inputs[1] = vw;
  conv->inputs[2] = vb;
  conv->n_inputs = 3;
  return VG_OK;
}

int vg_fold_batch_norms(VgBuild *b, VgError *err)
{
  VgModel *m = b->m;
  for (int i = 0; i < m->n_nodes; i++) {
    VgNode *bn = &m->nodes[i];
    if (bn->op != VG_OP_BATCH_NORM)
      continue;
    int x = bn->inputs[0], p = m->values[x].producer;
    if (p < 0 || (m->nodes[p].op != VG_OP_CONV && m->nodes[p].op != VG_OP_CONV_TRANSPOSE) ||
        uses_of(m, x) != 1)
      continue;
    VgNode *conv = &m->nodes[p];
    if (fold_one(b, conv, bn, err) != VG_OK)
      return vg_error_prefix(err, "folding '%s' into '%s'", bn->name, conv->name);
    /* the conv now computes the BN's output value */
    conv->output = bn->output;
    m->values[bn->output].producer = p;
    m->values[x].producer = -1;
    bn->op = VG_OP_DEAD;
  }
  return VG_OK;
}

/* ---- crops of a conv's padding into its pads ---- */

/* A time crop (a Pad of -a and -b, vg_onnx_slice.c) of a Conv's output that nothing else reads
 * becomes the conv's own: with time stride s, output column j + a reads input columns
 * (j + a) s - p + i d, which is column j of the same conv with a s columns less leading pad, and
 * b s columns less trailing pad drop exactly its b last outputs. The crop of a TCN's Chomp1d
 * (padding (k-1) d on both sides, the right side cropped) thus leaves a conv padded on the left
 * only, whose columns near the window's right edge read no padding: the streaming engine then
 * has no right band to recompute at every hop. */
void vg_fold_crops(VgBuild *b)
{
  VgModel *m = b->m;
  for (int i = 0; i < m->n_nodes; i++) {
    VgNode *crop = &m->nodes[i];
    if (crop->op != VG_OP_PAD)
      continue;
    int x = crop->inputs[0], p = m->values[x].producer, ns = crop->win.n_spatial, t = ns - 1;
    if (p < 0 || m->nodes[p].op != VG_OP_CONV || m->nodes[p].win.n_spatial != ns ||
        uses_of(m, x) != 1 || crop->win.pad_begin[t] > 0 || crop->win.pad_end[t] > 0 ||
        (ns == 2 && (crop->win.pad_begin[0] != 0 || crop->win.pad_end[0] != 0)))
      continue;
    VgWindow *w = &m->nodes[p].win;
    int64_t first = -(int64_t)crop->win.pad_begin[t] * w->stride[t];
    int64_t last = -(int64_t)crop->win.pad_end[t] * w->stride[t];
    if (first > w->pad_begin[t] || last > w->pad_end[t])
      continue;
    w->pad_begin[t] -= (int)first;
    w->pad_end[t] -= (int)last;
    m->nodes[p].output = crop->output;
    m->values[crop->output].producer = p;
    m->values[x].producer = -1;
    crop->op = VG_OP_DEAD;
  }
}

/* ---- Pads of nothing ---- */

/* A Pad whose pads are all 0 copies its input (in any mode): PyTorch 1.13 exports every AvgPool1d
 * as Pad + AveragePool, with zero pads when the pool has none (3 of the PPG-like model's 25 nodes,
 * each a copy of the window's columns, and in a stream a history of its own). Its readers read
 * its input instead. Kept when it is a graph output (its value must exist under that name). */
void vg_fold_zero_pads(VgBuild *b)
{
  VgModel *m = b->m;
  for (int i = 0; i < m->n_nodes; i++) {
    VgNode *pad = &m->nodes[i];
    int zero = pad->op == VG_OP_PAD && !vg_model_is_output(m, pad->output);
    for (int a = 0; zero && a < pad->win.n_spatial; a++)
      zero = pad->win.pad_begin[a] == 0 && pad->win.pad_end[a] == 0;
    if (!zero)
      continue;
    for (int j = 0; j < m->n_nodes; j++)
      for (int k = 0; m->nodes[j].op != VG_OP_DEAD && k < m->nodes[j].n_inputs; k++)
        if (m->nodes[j].inputs[k] == pad->output)
          m->nodes[j].inputs[k] = pad->inputs[0];
    pad->op = VG_OP_DEAD;
  }
}

/* ---- the Add of one constant per channel into a bias-free Conv before it ---- */

/* Whether constant c, broadcast against a conv output of rank r, holds one value per channel
 * (every axis but the one aligned with axis 1 has size 1) for `channels` channels. */
static int per_channel(const VgValue *c, int r, int64_t channels)
{
  if (c->kind != VG_VALUE_CONST || c->shape.rank > r || vg_shape_count(&c->shape) != channels)
    return 0;
  for (int i = 0; i < c->shape.rank; i++)
    if (c->shape.dims[i] != 1 && r - c->shape.rank + i != 1)
      return 0;
  return 1;
}

int vg_fold_conv_biases(VgBuild *b, VgError *err)
{
  VgModel *m = b->m;
  for (int i = 0; i < m->n_nodes; i++) {
    VgNode *add = &m->nodes[i];
    for (int k = 0; add->op == VG_OP_ADD && k < 2; k++) {
      int x = add->inputs[k], p = m->values[x].producer;
      const VgValue *c = &m->values[add->inputs[1 - k]];
      if (p < 0 || m->nodes[p].op != VG_OP_CONV || m->nodes[p].n_inputs != 2 ||
          !per_channel(c, m->values[x].shape.rank, m->values[x].shape.dims[1]) ||
          uses_of(m, x) != 1)
        continue;
      VgNode *conv = &m->nodes[p];
      VgShape s = {.rank = 1, .dims = {vg_shape_count(&c->shape)}};
      float *d = malloc((size_t)(s.dims[0] > 0 ? s.dims[0] : 1) * sizeof *d);
      int *inputs = realloc(conv->inputs, 3 * sizeof *inputs);
      if (inputs)
        conv->inputs = inputs;
      if (!d || !inputs) {
        free(d);
        return vg_error_set(err, "out of memory");
      }
      memcpy(d, c->data, (size_t)s.dims[0] * sizeof *d);
      int v = vg_build_add_const(b, "bias", &s, d, err);
      if (v < 0)
        return vg_error_prefix(err, "folding '%s' into '%s'", add->name, conv->name);
      conv->inputs[2] = v;
      conv->n_inputs = 3;
      conv->output = add->output; /* as for a BatchNormalization */
      m->values[add->output].producer = p;
      m->values[x].producer = -1;
      add->op = VG_OP_DEAD;
    }
  }
  return VG_OK;
}
