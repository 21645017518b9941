/* Reductions the loader makes of several nodes.
 *
 * ReduceLogSumExp (torch.logsumexp) of a computed value, as the nodes of its stable form
 *
 *   m = ReduceMax(x), c = Clip(m, -FLT_MAX, FLT_MAX), y = Log(ReduceSum(Exp(x - c))) + c
 *
 * over the node's axes, kept (then a Squeeze when keepdims=0). Each reduction is the one a
 * ReduceMax or ReduceSum over those axes would load as (vg_reduce_setup): over time, global
 * pools, the rest then per window; over channels and F, Reduce nodes, time-local. This is how
 * PyTorch computes it. The Clip keeps infinite maxima finite: PyTorch substitutes 0 for them,
 * which gives the same results (all -inf: -inf; a +inf: +inf), where x - m would be NaN.
 *
 * ReduceMean, ReduceMax and ReduceSum over the time axis only of a [1, C, F, T] value
 * (`h.mean(-1)` before a dense head on [C, F]): a Reshape to [1, C * F, T], which keeps each
 * column's values in order, the global pool over time of that 1-D value, and a Reshape of the
 * pooled [1, C * F, 1] to [1, C, F, 1]. Exact: the pool reduces the same values per (c, f).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <float.h>
#include <stdio.h>
#include <string.h>

#include "vg_onnx_ops.h"

/* A loader-made node of op over x (and y, -1 for none), its output named after np's with `what`;
 * returns the node, or NULL with err set. Emitted by the caller (vg_onnx_emit_node). */
static VgNode *lse_node(VgBuild *b, VgOpType op, const char *what, int x, int y, VgError *err)
{
  char name[160];
  snprintf(name, sizeof name, "%.120s:%s", b->node_name, what);
  return vg_onnx_new_node(b, op, name, x, y, err);
}

static int lse_emit(VgBuild *b, const Onnx__NodeProto *np, VgNode *n, const char *what,
                    VgError *err)
{
  char value[160];
  snprintf(value, sizeof value, "%.120s:%s", np->output[0], what);
  if (!what[0])
    snprintf(value, sizeof value, "%s", np->output[0]);
  return vg_onnx_emit_node(b, n, value, err) == VG_OK ? n->output : VG_ERR;
}

/* An element-wise node (or Clip) of x (and y); returns its output. */
static int lse_pointwise(VgBuild *b, const Onnx__NodeProto *np, VgOpType op, const char *what,
                         int x, int y, VgError *err)
{
  VgNode *n = lse_node(b, op, what, x, y, err);
  if (!n)
    return VG_ERR;
  n->clip_min = -FLT_MAX; /* read by Clip only */
  n->clip_max = FLT_MAX;
  return lse_emit(b, np, n, what, err);
}

/* A reduction of x of kind `kind` over the axes `seen`, kept; returns its output. */
static int lse_reduce(VgBuild *b, const Onnx__NodeProto *np, VgReduce kind, const char *what, int x,
                      int seen, VgError *err)
{
  VgNode *n = lse_node(b, VG_OP_REDUCE, what, x, -1, err);
  if (!n)
    return VG_ERR;
  n->reduce = kind;
  if (vg_reduce_setup(b, n, seen, err) != VG_OK)
    return VG_ERR;
  return lse_emit(b, np, n, what, err);
}

/* The axes of the ReduceLogSumExp np, as vg_reduce_axes reads them (attribute, or input from
 * opset 18), into *seen. */
static int lse_axes(VgBuild *b, const Onnx__NodeProto *np, int x, int *seen, VgError *err)
{
  int axes = np->n_input > 1 && np->input[1][0] ? vg_name_map_get(&b->names, np->input[1]) : -1;
  VgNode probe;
  int inputs[2] = {x, axes};
  memset(&probe, 0, sizeof probe);
  probe.inputs = inputs;
  probe.n_inputs = axes >= 0 ? 2 : 1;
  if (np->n_input > 1 && np->input[1][0] && axes < 0)
    return vg_error_set(err, "node '%s' (%s) reads '%s', which nothing defines", b->node_name,
                        b->op_type, np->input[1]);
  return vg_reduce_axes(b, np, &probe, seen, err);
}

/* keepdims=0: a Squeeze of the reduced axes, under the ONNX output's name. */
static int lse_squeeze(VgBuild *b, const Onnx__NodeProto *np, int y, int seen, VgError *err)
{
  VgNode *sq = lse_node(b, VG_OP_RESHAPE, "squeeze", y, -1, err);
  if (!sq)
    return VG_ERR;
  sq->reshape_kind = VG_RESHAPE_SQUEEZE;
  sq->n_axes = 0;
  for (int a = 0; a < VG_MAX_RANK; a++)
    if (seen & (1 << a))
      sq->axes[sq->n_axes++] = a;
  return lse_emit(b, np, sq, "", err);
}

int vg_onnx_add_logsumexp(VgBuild *b, const Onnx__NodeProto *np, int x, VgError *err)
{
  int64_t keepdims;
  int seen;
  if (vg_check_attrs(b, np, "axes keepdims noop_with_empty_axes", err) != VG_OK ||
      vg_attr_int(np, "keepdims", 1, &keepdims, err) != VG_OK ||
      lse_axes(b, np, x, &seen, err) != VG_OK)
    return VG_ERR;
  if (!seen) /* no axes: every axis, the batch's too, which no reduction here covers */
    return vg_unsupported(b, err, "axes (none given: over every axis)");
  int m = lse_reduce(b, np, VG_REDUCE_MAX, "max", x, seen, err);
  int c = m < 0 ? VG_ERR : lse_pointwise(b, np, VG_OP_CLIP, "finite_max", m, -1, err);
  int d = c < 0 ? VG_ERR : lse_pointwise(b, np, VG_OP_SUB, "shifted", x, c, err);
  int e = d < 0 ? VG_ERR : lse_pointwise(b, np, VG_OP_EXP, "exp", d, -1, err);
  int s = e < 0 ? VG_ERR : lse_reduce(b, np, VG_REDUCE_SUM, "sum", e, seen, err);
  int l = s < 0 ? VG_ERR : lse_pointwise(b, np, VG_OP_LOG, "log", s, -1, err);
  if (l < 0)
    return VG_ERR;
  VgNode *y = lse_node(b, VG_OP_ADD, "plus_max", l, c, err);
  if (!y || lse_emit(b, np, y, keepdims ? "" : "kept", err) < 0)
    return VG_ERR;
  return keepdims ? VG_OK : lse_squeeze(b, np, y->output, seen, err) < 0 ? VG_ERR : VG_OK;
}

/* A Reshape of x to the target dims[0 .. n), emitted; returns its output. */
static int rt_reshape(VgBuild *b, const Onnx__NodeProto *np, const char *what, int x,
                      const int64_t *dims, int n, VgError *err)
{
  VgNode *r = lse_node(b, VG_OP_RESHAPE, what, x, -1, err);
  if (!r)
    return VG_ERR;
  r->reshape_kind = VG_RESHAPE_TARGET;
  r->n_axes = n;
  memcpy(r->axes, dims, (size_t)n * sizeof *dims);
  return lse_emit(b, np, r, what, err);
}

int vg_onnx_add_time_reduce(VgBuild *b, const Onnx__NodeProto *np, int x, VgError *err)
{
  static const struct {
    const char *op;
    VgReduce kind;
  } kinds[] = {
      {"ReduceMean", VG_REDUCE_MEAN}, {"ReduceMax", VG_REDUCE_MAX}, {"ReduceSum", VG_REDUCE_SUM}};
  const VgShape *s = &b->shapes[x];
  int k = 0, seen;
  while (k < 3 && strcmp(b->op_type, kinds[k].op) != 0)
    k++;
  if (k == 3 || !b->m->values[x].is_time || s->rank != 4)
    return 0;
  int64_t keepdims;
  if (vg_check_attrs(b, np, "axes keepdims noop_with_empty_axes", err) != VG_OK ||
      vg_attr_int(np, "keepdims", 1, &keepdims, err) != VG_OK ||
      lse_axes(b, np, x, &seen, err) != VG_OK)
    return VG_ERR;
  if (seen != 1 << 3)
    return 0; /* the usual reductions (vg_parse_reduce) */
  int64_t flat[3] = {1, s->dims[1] * s->dims[2], -1}, back[4] = {1, s->dims[1], s->dims[2], 1};
  int f = rt_reshape(b, np, "columns", x, flat, 3, err);
  VgNode *pool = f < 0 ? NULL
                       : lse_node(b,
                                  kinds[k].kind == VG_REDUCE_MAX ? VG_OP_GLOBAL_MAX_POOL
                                                                 : VG_OP_GLOBAL_AVG_POOL,
                                  "pool", f, -1, err);
  if (!pool)
    return VG_ERR;
  pool->reduce = kinds[k].kind;
  int p = lse_emit(b, np, pool, "pool", err);
  int y = p < 0 ? VG_ERR : rt_reshape(b, np, keepdims ? "" : "kept", p, back, 4, err);
  if (y < 0)
    return VG_ERR;
  return keepdims ? 1 : lse_squeeze(b, np, y, seen, err) < 0 ? VG_ERR : 1;
}
