/* Add, Sub, Mul, Div, PRelu with ONNX (numpy) broadcasting, and Concat.
 *
 * On time columns the supported cases are: two time values of the same width, a time value and a
 * time value of width 1 (one value per column), and a time value and a constant that does not vary
 * along time. The constant is expanded once, at prepare time, to one column of the output's width
 * ([c][f] order), so every column then combines element-wise with it. Plain values broadcast
 * generally.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "ops_priv.h"
#include "vg_scalar.h"

enum { BIN_NO_CONST = 0, BIN_CONST_A = 1, BIN_CONST_B = 2 };

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

/* Expands constant input `ci` to one column of the (time) output: aux[w] for w over the
 * output's dims[1 .. rank-2]. Leaves no aux when the constant varies along the last axis (then
 * the node can only run on plain values). */
static int expand_const(VgModel *m, VgNode *node, int ci, VgError *err)
{
  const VgValue *cv = ops_value(m, node, ci);
  const VgShape *os = &m->values[node->output].shape;
  int64_t st[VG_MAX_RANK];
  if (os->rank < 2 || ops_broadcast_strides(&cv->shape, os, st) != VG_OK ||
      (os->dims[os->rank - 1] != 1 && st[os->rank - 1] != 0))
    return VG_OK;
  int64_t w = ops_width(os);
  VgPacked *p = ops_packed_new(0, 0, w, err);
  if (!p)
    return vg_error_prefix(err, "%s '%s'", vg_op_name(node->op), node->name);
  p->strategy = ci == 0 ? BIN_CONST_A : BIN_CONST_B;
  for (int64_t i = 0; i < w; i++) {
    int64_t rem = i, off = 0;
    for (int a = os->rank - 2; a >= 1; a--) {
      off += (rem % os->dims[a]) * st[a];
      rem /= os->dims[a];
    }
    p->aux[i] = cv->data[off];
  }
  ops_packed_attach(node, p);
  return VG_OK;
}

int binary_prepare(VgModel *m, VgNode *node, VgError *err)
{
  if (node->n_inputs != 2)
    return vg_error_set(err, "%s '%s': 2 inputs expected", vg_op_name(node->op), node->name);
  int ca = ops_is_const(m, node, 0), cb = ops_is_const(m, node, 1);
  if (ca != cb)
    return expand_const(m, node, ca ? 0 : 1, err);
  return VG_OK;
}

/* out[i] = a[i*sa] op b[i*sb] for i < n (sa, sb in {0, 1}). */
static void bin_run(VgOpType op, const float *a, int64_t sa, const float *b, int64_t sb, float *out,
                    int64_t n)
{
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
  case VG_OP_PRELU:
    for (int64_t i = 0; i < n; i++)
      out[i] = vg_binary(VG_OP_PRELU, a[i * sa], b[i * sb]);
    break;
  default:
    for (int64_t i = 0; i < n; i++)
      out[i] = a[i * sa] / b[i * sb];
    break;
  }
}

/* out = a op b over shape os, a and b read through broadcast strides (ops_broadcast_strides). */
static void bin_strided(VgOpType op, const float *a, const int64_t *sa, const float *b,
                        const int64_t *sb, const VgShape *os, float *out)
{
  int64_t idx[VG_MAX_RANK] = {0}, n = ops_count(os), oa = 0, ob = 0;
  for (int64_t i = 0; i < n; i++) {
    out[i] = vg_binary(op, a[oa], b[ob]);
    /* next row-major index of the output, moving the two source offsets along */
    for (int d = os->rank - 1; d >= 0; d--) {
      oa += sa[d];
      ob += sb[d];
      if (++idx[d] < os->dims[d])
        break;
      oa -= sa[d] * os->dims[d];
      ob -= sb[d] * os->dims[d];
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

/* Columns of two time values, or of one and a constant (expanded to the output's column, aux).
 * Operands as wide as the output or of one value per column take bin_run; others (a [1, 1, F, T]
 * gate on [1, C, F, T] features) broadcast within the column. */
int binary_forward_time(const VgModel *m, const VgNode *node, const VgShape *shapes,
                        const VgSeq *const *in, VgSeq *out, int64_t j0, int64_t j1)
{
  const VgPacked *p = node->packed;
  const VgSeq *a = in[0], *b = in[1];
  int64_t w = out->width, wa = a ? a->width : w, wb = b ? b->width : w;
  if ((!a && !b) || ((!a || !b) && (!p || !p->aux || p->n_aux != w)))
    return VG_ERR;
  const VgShape *os = ops_out_shape(shapes, node);
  VgShape co = column_shape(os);
  VgShape ca = a ? column_shape(ops_in_shape(shapes, node, 0)) : co;
  VgShape cb = b ? column_shape(ops_in_shape(shapes, node, 1)) : co;
  int64_t sa[VG_MAX_RANK], sb[VG_MAX_RANK];
  int fast = (wa == w || wa == 1) && (wb == w || wb == 1);
  if (!fast && (ops_broadcast_strides(&ca, &co, sa) != VG_OK ||
                ops_broadcast_strides(&cb, &co, sb) != VG_OK || ops_count(&co) != w))
    return VG_ERR;
  for (int64_t j = j0; j < j1; j++) {
    const float *pa = a ? seq_col(a, j) : p->aux, *pb = b ? seq_col(b, j) : p->aux;
    if (fast)
      bin_run(node->op, pa, wa == w, pb, wb == w, seq_col_mut(out, j), w);
    else
      bin_strided(node->op, pa, sa, pb, sb, &co, seq_col_mut(out, j));
  }
  return VG_OK;
}

int binary_forward_plain(const VgModel *m, const VgNode *node, const VgShape *shapes,
                         const float *a, const float *b, float *out)
{
  const VgShape *os = ops_out_shape(shapes, node);
  int64_t sa[VG_MAX_RANK], sb[VG_MAX_RANK];
  if (ops_broadcast_strides(ops_in_shape(shapes, node, 0), os, sa) != VG_OK ||
      ops_broadcast_strides(ops_in_shape(shapes, node, 1), os, sb) != VG_OK)
    return VG_ERR;
  bin_strided(node->op, a, sa, b, sb, os, out);
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
