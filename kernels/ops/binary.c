/* Add, Sub, Mul, Div, PRelu with ONNX (numpy) broadcasting, and Concat.
 *
 * Also Max, Min, the comparisons (1 or 0) and Where (three inputs: condition, then the values).
 * On time columns the supported cases are: time values of the same width, a time value and a
 * time value of width 1 (one value per column), and time values and constants that do not vary
 * along time. Each constant is expanded once, at prepare time, to one column of the output's width
 * ([c][f] order), so every column then combines element-wise with it. Plain values broadcast
 * generally.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "ops_priv.h"
#include "vg_simd.h"
#include "vg_scalar.h"

/* Inputs of an element-wise op: two, three for Where. */
#define BIN_MAX_INPUTS 3

int ops_broadcast_strides(const VgShape *src, const VgShape *dst, int64_t *strides)
{
  if (src->rank > dst->rank)
    return VG_ERR;
  int64_t step = 1;
  for (int a = dst->rank - 1; a >= 0; a--) {
    int sa = a - (dst->rank - src->rank);
    if (sa < 0) {
      strides[a] = 0;
      continue;
    }
    int64_t d = src->dims[sa];
    if (d == dst->dims[a])
      strides[a] = d == 1 ? 0 : step;
    else if (d == 1)
      strides[a] = 0;
    else
      return VG_ERR;
    step *= d;
  }
  return VG_OK;
}

/* Whether constant input `ci` can be expanded to one column of the (time) output: it does not
 * vary along the last axis. */
static int const_fits_column(const VgShape *cs, const VgShape *os, int64_t *st)
{
  return os->rank >= 2 && ops_broadcast_strides(cs, os, st) == VG_OK &&
         (os->dims[os->rank - 1] == 1 || st[os->rank - 1] == 0);
}

/* Expands each constant input k to one column of the (time) output, aux[k * w + i] for i over the
 * output's dims[1 .. rank-2]; strategy holds a bit per constant input. Leaves no aux when a
 * constant varies along the last axis (then the node can only run on plain values). */
static int expand_consts(VgModel *m, VgNode *node, VgError *err)
{
  const VgShape *os = &m->values[node->output].shape;
  int64_t st[BIN_MAX_INPUTS][VG_MAX_RANK], w = ops_width(os);
  int consts = 0;
  for (int k = 0; k < node->n_inputs; k++) {
    if (!ops_is_const(m, node, k))
      continue;
    if (!const_fits_column(&ops_value(m, node, k)->shape, os, st[k]))
      return VG_OK;
    consts |= 1 << k;
  }
  VgPacked *p = ops_packed_new(0, 0, node->n_inputs * w, err);
  if (!p)
    return vg_error_prefix(err, "%s '%s'", vg_op_name(node->op), node->name);
  p->strategy = consts;
  for (int k = 0; k < node->n_inputs; k++)
    for (int64_t i = 0; consts & (1 << k) && i < w; i++) {
      int64_t rem = i, off = 0;
      for (int a = os->rank - 2; a >= 1; a--) {
        off += (rem % os->dims[a]) * st[k][a];
        rem /= os->dims[a];
      }
      p->aux[k * w + i] = ops_value(m, node, k)->data[off];
    }
  ops_packed_attach(node, p);
  return VG_OK;
}

int binary_prepare(VgModel *m, VgNode *node, VgError *err)
{
  int want = node->op == VG_OP_WHERE ? 3 : 2, consts = 0;
  if (node->n_inputs != want)
    return vg_error_set(err, "%s '%s': %d inputs expected", vg_op_name(node->op), node->name, want);
  for (int k = 0; k < node->n_inputs; k++)
    consts += ops_is_const(m, node, k);
  if (consts > 0 && consts < node->n_inputs)
    return expand_consts(m, node, err);
  return VG_OK;
}

/* out[i] = a[i] op b[i] for i < n: a residual Add, a gate's Mul. The strided loop below stays
 * scalar; this one vectorises (VG_SIMD_CLONES): a ResNet's Add of 128 x 512 floats 31 -> 9 us. */
VG_SIMD_CLONES static int bin_dense(VgOpType op, const float *a, const float *b, float *out,
                                    int64_t n)
{
  switch (op) {
  case VG_OP_ADD:
    for (int64_t i = 0; i < n; i++)
      out[i] = a[i] + b[i];
    return 1;
  case VG_OP_SUB:
    for (int64_t i = 0; i < n; i++)
      out[i] = a[i] - b[i];
    return 1;
  case VG_OP_MUL:
    for (int64_t i = 0; i < n; i++)
      out[i] = a[i] * b[i];
    return 1;
  case VG_OP_DIV:
    for (int64_t i = 0; i < n; i++)
      out[i] = a[i] / b[i];
    return 1;
  default:
    return 0;
  }
}

/* out[i] = a[i*sa] op b[i*sb] for i < n (sa, sb in {0, 1}). */
static void bin_run(VgOpType op, const float *a, int64_t sa, const float *b, int64_t sb, float *out,
                    int64_t n)
{
  if (sa == 1 && sb == 1 && bin_dense(op, a, b, out, n))
    return;
  switch (op) {
  case VG_OP_ADD:
    for (int64_t i = 0; i < n; i++)
      out[i] = a[i * sa] + b[i * sb];
    break;
  case VG_OP_SUB:
    for (int64_t i = 0; i < n; i++)
      out[i] = a[i * sa] - b[i * sb];
    break;
  case VG_OP_MUL:
    for (int64_t i = 0; i < n; i++)
      out[i] = a[i * sa] * b[i * sb];
    break;
  case VG_OP_DIV:
    for (int64_t i = 0; i < n; i++)
      out[i] = a[i * sa] / b[i * sb];
    break;
  default: /* PRelu, Max, Min, the comparisons */
    for (int64_t i = 0; i < n; i++)
      out[i] = vg_binary(op, a[i * sa], b[i * sb]);
    break;
  }
}

/* One output value from the inputs' values x[0 .. n). */
static float bin_value(VgOpType op, const float *x)
{
  return op == VG_OP_WHERE ? vg_where(x[0], x[1], x[2]) : vg_binary(op, x[0], x[1]);
}

/* out = op(src[0], ...) over shape os, input k read through broadcast strides st[k]
 * (ops_broadcast_strides). */
static void bin_strided(VgOpType op, int n, const float *const *src, int64_t st[][VG_MAX_RANK],
                        const VgShape *os, float *out)
{
  int64_t idx[VG_MAX_RANK] = {0}, count = ops_count(os), off[BIN_MAX_INPUTS] = {0};
  float x[BIN_MAX_INPUTS];
  for (int64_t i = 0; i < count; i++) {
    for (int k = 0; k < n; k++)
      x[k] = src[k][off[k]];
    out[i] = bin_value(op, x);
    /* next row-major index of the output, moving the source offsets along */
    for (int d = os->rank - 1; d >= 0; d--) {
      for (int k = 0; k < n; k++)
        off[k] += st[k][d];
      if (++idx[d] < os->dims[d])
        break;
      for (int k = 0; k < n; k++)
        off[k] -= st[k][d] * os->dims[d];
      idx[d] = 0;
    }
  }
}

/* The shape of one column of a time value: its axes but time. */
static VgShape column_shape(const VgShape *s)
{
  VgShape c = *s;
  c.rank = s->rank - 1;
  return c;
}

/* One output column from input columns of widths wk, each w or 1 (one value per column). */
static void bin_column(VgOpType op, int n, const float *const *x, const int64_t *wk, int64_t w,
                       float *out)
{
  if (n == 2) {
    bin_run(op, x[0], wk[0] == w, x[1], wk[1] == w, out, w);
    return;
  }
  for (int64_t i = 0; i < w; i++)
    out[i] = vg_where(x[0][wk[0] == w ? i : 0], x[1][wk[1] == w ? i : 0], x[2][wk[2] == w ? i : 0]);
}

/* Columns of time values, or of time values and constants (expanded to the output's column,
 * aux). Operands as wide as the output or of one value per column take bin_column; others (a
 * [1, 1, F, T] gate on [1, C, F, T] features) broadcast within the column. */
int binary_forward_time(const VgModel *m, const VgNode *node, const VgShape *shapes,
                        const VgSeq *const *in, VgSeq *out, int64_t j0, int64_t j1)
{
  const VgPacked *p = node->packed;
  int n = node->n_inputs, fast = 1, times = 0;
  int64_t w = out->width, wk[BIN_MAX_INPUTS], st[BIN_MAX_INPUTS][VG_MAX_RANK];
  if (n < 2 || n > BIN_MAX_INPUTS)
    return VG_ERR;
  const VgShape *os = ops_out_shape(shapes, node);
  VgShape co = column_shape(os);
  for (int k = 0; k < n; k++) {
    if (!in[k] && (!p || !p->aux || p->n_aux != n * w || !(p->strategy & (1 << k))))
      return VG_ERR; /* a constant input not expanded at prepare */
    times += in[k] != NULL;
    wk[k] = in[k] ? in[k]->width : w;
    fast &= wk[k] == w || wk[k] == 1;
  }
  for (int k = 0; k < n && !fast; k++) {
    VgShape ck = in[k] ? column_shape(ops_in_shape(shapes, node, k)) : co;
    if (ops_broadcast_strides(&ck, &co, st[k]) != VG_OK)
      return VG_ERR;
  }
  if (!times || (!fast && ops_count(&co) != w))
    return VG_ERR;
  for (int64_t j = j0; j < j1; j++) {
    const float *x[BIN_MAX_INPUTS];
    for (int k = 0; k < n; k++)
      x[k] = in[k] ? seq_col(in[k], j) : p->aux + k * w;
    if (fast)
      bin_column(node->op, n, x, wk, w, seq_col_mut(out, j));
    else
      bin_strided(node->op, n, x, st, &co, seq_col_mut(out, j));
  }
  return VG_OK;
}

int binary_forward_plain(const VgModel *m, const VgNode *node, const VgShape *shapes,
                         const float *const *in, float *out)
{
  const VgShape *os = ops_out_shape(shapes, node);
  int64_t st[BIN_MAX_INPUTS][VG_MAX_RANK];
  if (node->n_inputs < 2 || node->n_inputs > BIN_MAX_INPUTS)
    return VG_ERR;
  for (int k = 0; k < node->n_inputs; k++)
    if (ops_broadcast_strides(ops_in_shape(shapes, node, k), os, st[k]) != VG_OK)
      return VG_ERR;
  bin_strided(node->op, node->n_inputs, in, st, os, out);
  return VG_OK;
}

/* Concat along `axis` of blocks: for each of `outer` rows, input i contributes block[i] floats. */
static int concat_rows(const VgNode *node, const VgShape *shapes, int first_axis, int last_axis,
                       const float *const *src, float *dst)
{
  const VgShape *os = ops_out_shape(shapes, node);
  int axis = node->axis;
  if (axis < first_axis || axis >= last_axis)
    return VG_ERR;
  int64_t outer = ops_prod(os, first_axis, axis), out_block = ops_prod(os, axis, last_axis);
  int64_t off = 0;
  for (int i = 0; i < node->n_inputs; i++) {
    int64_t block = ops_prod(ops_in_shape(shapes, node, i), axis, last_axis);
    if (off + block > out_block)
      return VG_ERR;
    for (int64_t o = 0; o < outer; o++)
      memcpy(dst + o * out_block + off, src[i] + o * block, (size_t)block * sizeof(float));
    off += block;
  }
  return off == out_block ? VG_OK : VG_ERR;
}

int concat_forward_time(const VgNode *node, const VgShape *shapes, const VgSeq *const *in,
                        VgSeq *out, int64_t j0, int64_t j1)
{
  const float *src[VG_MAX_NODE_INPUTS];
  int rank = ops_out_shape(shapes, node)->rank;
  if (node->n_inputs > VG_MAX_NODE_INPUTS)
    return VG_ERR;
  for (int64_t j = j0; j < j1; j++) {
    for (int i = 0; i < node->n_inputs; i++) {
      if (!in[i])
        return VG_ERR;
      src[i] = seq_col(in[i], j);
    }
    /* axes 1 .. rank-2 are the column's; the time axis may not be concatenated here */
    if (concat_rows(node, shapes, 1, rank - 1, src, seq_col_mut(out, j)) != VG_OK)
      return VG_ERR;
  }
  return VG_OK;
}

int concat_forward_plain(const VgNode *node, const VgShape *shapes, const float *const *in,
                         float *out)
{
  return concat_rows(node, shapes, 0, ops_out_shape(shapes, node)->rank, in, out);
}
