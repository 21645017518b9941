/* Attributes of the pointwise, dense, concat and reshape ops, with ONNX's defaults and the
 * opset-dependent forms (Clip bounds and Squeeze/Unsqueeze axes moved from attributes to inputs in
 * opsets 11 and 13; Softmax changed meaning in opset 13).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "vg_onnx_ops.h"

static int attr_fail(VgBuild *b, VgError *err)
{
  return vg_error_prefix(err, "node '%s' (%s)", b->node_name, b->op_type);
}

/* Normalises an axis in [-r, r + extra) to [0, r + extra). */
static int norm_axis(VgBuild *b, int64_t axis, int r, int extra, int *out, VgError *err)
{
  if (axis < -r || axis >= r + extra)
    return vg_error_set(err, "node '%s' (%s): axis %lld out of range for rank %d", b->node_name,
                        b->op_type, (long long)axis, r);
  *out = (int)(axis < 0 ? axis + r : axis);
  return VG_OK;
}

/* alpha of LeakyRelu, Elu, Celu, Selu and HardSigmoid, and Selu's gamma or HardSigmoid's beta
 * (in node->beta), with ONNX's defaults. */
int vg_parse_alpha(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  float def = node->op == VG_OP_LEAKY_RELU     ? 0.01f
              : node->op == VG_OP_SELU         ? 1.67326319217681884765625f
              : node->op == VG_OP_HARD_SIGMOID ? 0.2f
                                               : 1.0f;
  if (vg_attr_float(np, "alpha", def, &node->alpha, err) != VG_OK ||
      (node->op == VG_OP_SELU &&
       vg_attr_float(np, "gamma", 1.05070102214813232421875f, &node->beta, err) != VG_OK) ||
      (node->op == VG_OP_HARD_SIGMOID &&
       vg_attr_float(np, "beta", 0.5f, &node->beta, err) != VG_OK))
    return attr_fail(b, err);
  if (node->op == VG_OP_CELU && !(node->alpha > 0.0f))
    return vg_unsupported(b, err, "alpha (Celu needs alpha > 0)");
  return VG_OK;
}

static int const_scalar(VgBuild *b, int v, float *out, VgError *err)
{
  const VgValue *val = &b->m->values[v];
  if (val->kind != VG_VALUE_CONST || vg_shape_count(&val->shape) != 1)
    return vg_unsupported(b, err, "bound that is not a constant scalar");
  *out = val->data[0];
  return VG_OK;
}

int vg_parse_pow(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  const VgValue *y = &b->m->values[node->inputs[1]];
  if (y->kind != VG_VALUE_CONST || vg_shape_count(&y->shape) != 1)
    return vg_unsupported(b, err, "exponent (a constant scalar is needed: x ** 2, x.pow(0.5))");
  node->alpha = y->data[0];
  node->n_inputs = 1;
  return VG_OK;
}

/* Clip: bounds are attributes before opset 11, optional constant inputs from 11. */
int vg_parse_clip(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  node->clip_min = -INFINITY;
  node->clip_max = INFINITY;
  if (b->m->opset < 11) {
    if (vg_attr_float(np, "min", -INFINITY, &node->clip_min, err) != VG_OK ||
        vg_attr_float(np, "max", INFINITY, &node->clip_max, err) != VG_OK)
      return attr_fail(b, err);
  } else {
    if (node->n_inputs > 1 && node->inputs[1] >= 0 &&
        const_scalar(b, node->inputs[1], &node->clip_min, err) != VG_OK)
      return VG_ERR;
    if (node->n_inputs > 2 && node->inputs[2] >= 0 &&
        const_scalar(b, node->inputs[2], &node->clip_max, err) != VG_OK)
      return VG_ERR;
  }
  node->n_inputs = 1;
  return VG_OK;
}

/* Softmax: opset >= 13 normalises along `axis` (default -1). Before 13 it flattened the input to
 * [prod(dims[0 .. axis)), prod(dims[axis ..))] (default axis 1): the same thing only when every
 * axis after `axis` has size 1, which is the only case accepted. */
int vg_parse_softmax(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  node->log_softmax = strcmp(b->op_type, "LogSoftmax") == 0;
  const VgShape *x = &b->shapes[node->inputs[0]];
  int64_t axis;
  int old = b->m->opset < 13;
  if (vg_attr_int(np, "axis", old ? 1 : -1, &axis, err) != VG_OK)
    return attr_fail(b, err);
  if (norm_axis(b, axis, x->rank, 0, &node->axis, err) != VG_OK)
    return VG_ERR;
  for (int i = node->axis + 1; old && i < x->rank; i++)
    if (x->dims[i] != 1)
      return vg_unsupported(b, err,
                            "opset < 13 Softmax over several axes (export with opset 13 "
                            "or later)");
  return VG_OK;
}

int vg_parse_gemm(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  int64_t ta, tb;
  if (vg_attr_float(np, "alpha", 1.0f, &node->alpha, err) != VG_OK ||
      vg_attr_float(np, "beta", 1.0f, &node->beta, err) != VG_OK ||
      vg_attr_int(np, "transA", 0, &ta, err) != VG_OK ||
      vg_attr_int(np, "transB", 0, &tb, err) != VG_OK)
    return attr_fail(b, err);
  node->trans_a = ta != 0;
  node->trans_b = tb != 0;
  if (node->n_inputs > 2 && node->inputs[2] < 0)
    node->n_inputs = 2;
  return VG_OK;
}

int vg_parse_concat(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  int64_t axis;
  if (!vg_attr_find(np, "axis"))
    return vg_error_set(err, "node '%s' (Concat) has no axis", b->node_name);
  if (vg_attr_int(np, "axis", 0, &axis, err) != VG_OK)
    return attr_fail(b, err);
  for (int k = 0; k < node->n_inputs; k++)
    if (node->inputs[k] < 0)
      return vg_error_set(err, "node '%s' (Concat) has an empty input", b->node_name);
  return norm_axis(b, axis, b->shapes[node->inputs[0]].rank, 0, &node->axis, err);
}

/* Reduce*: axes from the attribute (ReduceSum before opset 13, the others before 18) or the
 * input. Over every axis after the channels they are global pools (`x.mean(-1)`, `x.sum(-1)`);
 * over fixed axes of a time value's columns (channels, F: `x.mean(1, keepdim=True)`) or any
 * axes but the batch of a plain value, a Reduce node. Time with other axes is refused. */
int vg_reduce_axes(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, int *seen, VgError *err)
{
  static const struct {
    const char *op;
    VgReduce kind;
  } kinds[] = {{"ReduceMean", VG_REDUCE_MEAN},
               {"ReduceMax", VG_REDUCE_MAX},
               {"ReduceMin", VG_REDUCE_MIN},
               {"ReduceSum", VG_REDUCE_SUM},
               {"ReduceL2", VG_REDUCE_L2}};
  int x = node->inputs[0], r = b->shapes[x].rank, n = -1;
  int64_t axes[VG_MAX_RANK];
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(b->op_type, kinds[i].op) == 0)
      node->reduce = kinds[i].kind;
  if (b->m->opset < (node->reduce == VG_REDUCE_SUM ? 13 : 18)) {
    if (vg_attr_ints(np, "axes", axes, VG_MAX_RANK, &n, err) != VG_OK)
      return attr_fail(b, err);
  } else if (node->n_inputs > 1 && node->inputs[1] >= 0) {
    if (vg_const_ints(b, node->inputs[1], axes, VG_MAX_RANK, &n, err) != VG_OK)
      return VG_ERR;
  }
  node->n_inputs = 1;
  *seen = 0;
  for (int i = 0; i < n; i++) {
    int a = 0;
    if (norm_axis(b, axes[i], r, 0, &a, err) != VG_OK)
      return VG_ERR;
    *seen |= 1 << a;
  }
  return VG_OK;
}

int vg_reduce_setup(VgBuild *b, VgNode *node, int seen, VgError *err)
{
  int x = node->inputs[0], r = b->shapes[x].rank;
  int time = b->m->values[x].is_time, all_after_channels = ((1 << r) - 1) & ~3;
  if (time && (r == 3 || r == 4) && seen == all_after_channels) {
    if (node->reduce == VG_REDUCE_MIN || node->reduce == VG_REDUCE_L2)
      return vg_unsupported(b, err, "reduction over time (global pools: mean, max and sum)");
    node->op = node->reduce == VG_REDUCE_MAX ? VG_OP_GLOBAL_MAX_POOL : VG_OP_GLOBAL_AVG_POOL;
    return VG_OK;
  }
  int fixed = ((1 << (time ? r - 1 : r)) - 1) & ~1; /* the axes after the batch, time's not */
  if (!seen || (seen & ~fixed))
    return vg_unsupported(b, err,
                          "axes (Vigil reduces over every axis after the channels, a global "
                          "pool, or over channels and F within each time step)");
  node->op = VG_OP_REDUCE;
  node->n_axes = 0;
  for (int a = 0; a < r; a++)
    if (seen & (1 << a))
      node->axes[node->n_axes++] = a;
  return VG_OK;
}

int vg_parse_reduce(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  int seen;
  if (vg_reduce_axes(b, np, node, &seen, err) != VG_OK)
    return VG_ERR;
  return vg_reduce_setup(b, node, seen, err);
}

/* ---- the reshape family ---- */

int vg_parse_flatten(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  int64_t axis;
  if (vg_attr_int(np, "axis", 1, &axis, err) != VG_OK)
    return attr_fail(b, err);
  node->reshape_kind = VG_RESHAPE_FLATTEN;
  return norm_axis(b, axis, b->shapes[node->inputs[0]].rank, 1, &node->axis, err);
}

int vg_parse_reshape(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  int64_t allowzero;
  int n, n_infer = 0;
  if (node->inputs[1] < 0)
    return vg_error_set(err, "node '%s' (Reshape) has no shape", b->node_name);
  if (vg_attr_int(np, "allowzero", 0, &allowzero, err) != VG_OK)
    return attr_fail(b, err);
  if (vg_const_ints(b, node->inputs[1], node->axes, VG_MAX_RANK, &n, err) != VG_OK)
    return VG_ERR;
  for (int i = 0; i < n; i++) {
    n_infer += node->axes[i] == -1;
    if (node->axes[i] < -1 || (allowzero && node->axes[i] == 0))
      return vg_error_set(err, "node '%s' (Reshape): target entry %lld", b->node_name,
                          (long long)node->axes[i]);
  }
  if (n_infer > 1)
    return vg_error_set(err, "node '%s' (Reshape): more than one -1 in the target", b->node_name);
  node->reshape_kind = VG_RESHAPE_TARGET;
  node->n_axes = n;
  node->allowzero = (int)allowzero;
  node->n_inputs = 1;
  return VG_OK;
}

/* Sorts axes ascending (insertion sort: at most VG_MAX_RANK) and refuses duplicates. */
static int sort_axes(VgBuild *b, int64_t *axes, int n, VgError *err)
{
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && axes[j - 1] > axes[j]; j--) {
      int64_t t = axes[j];
      axes[j] = axes[j - 1];
      axes[j - 1] = t;
    }
  for (int i = 1; i < n; i++)
    if (axes[i] == axes[i - 1])
      return vg_error_set(err, "node '%s' (%s): axis %lld repeated", b->node_name, b->op_type,
                          (long long)axes[i]);
  return VG_OK;
}

/* Axes from the `axes` attribute (opset < 13) or the optional second input; *n = -1 if absent. */
static int read_axes(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, int64_t *axes, int *n,
                     VgError *err)
{
  *n = -1;
  if (b->m->opset < 13) {
    if (vg_attr_ints(np, "axes", axes, VG_MAX_RANK, n, err) != VG_OK)
      return attr_fail(b, err);
  } else if (node->n_inputs > 1 && node->inputs[1] >= 0) {
    if (vg_const_ints(b, node->inputs[1], axes, VG_MAX_RANK, n, err) != VG_OK)
      return VG_ERR;
  }
  node->n_inputs = 1;
  return VG_OK;
}

/* Normalises axes for an output (Unsqueeze) or input (Squeeze) of rank r, and sorts them. */
static int axes_to_node(VgBuild *b, VgNode *node, const int64_t *axes, int n, int r, VgError *err)
{
  for (int i = 0; i < n; i++) {
    int a = 0;
    if (norm_axis(b, axes[i], r, 0, &a, err) != VG_OK)
      return VG_ERR;
    node->axes[i] = a;
  }
  node->n_axes = n;
  return sort_axes(b, node->axes, n, err);
}

int vg_parse_squeeze(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  const VgShape *x = &b->shapes[node->inputs[0]];
  int64_t axes[VG_MAX_RANK];
  int n;
  if (read_axes(b, np, node, axes, &n, err) != VG_OK)
    return VG_ERR;
  node->reshape_kind = VG_RESHAPE_SQUEEZE;
  if (n < 0) { /* every axis of size 1, at the model's own length */
    n = 0;
    for (int i = 0; i < x->rank; i++)
      if (x->dims[i] == 1)
        axes[n++] = i;
  }
  return axes_to_node(b, node, axes, n, x->rank, err);
}

int vg_parse_unsqueeze(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  int64_t axes[VG_MAX_RANK];
  int n, r = b->shapes[node->inputs[0]].rank;
  if (read_axes(b, np, node, axes, &n, err) != VG_OK)
    return VG_ERR;
  if (n < 0)
    return vg_error_set(err, "node '%s' (Unsqueeze) has no axes", b->node_name);
  if (r + n > VG_MAX_RANK)
    return vg_error_set(err, "node '%s' (Unsqueeze): rank %d (at most %d)", b->node_name, r + n,
                        VG_MAX_RANK);
  node->reshape_kind = VG_RESHAPE_UNSQUEEZE;
  return axes_to_node(b, node, axes, n, r + n, err);
}

/* A Reshape whose result keeps the time axis last with the same values per column (e.g.
 * [1, C, F, T] -> [1, C*F, T]) is rewritten as literal dims with -1 last, so that it keeps doing
 * so at every length. That is what a target with 0 or -1 there means; a literal T is how a
 * fixed-shape export writes the same thing, and a T read from a Shape how a dynamic_axes export
 * does. Returns 1 when it rewrote the node, else 0. */
int vg_parse_after_shape(VgBuild *b, VgNode *node, VgError *err)
{
  if (node->op != VG_OP_RESHAPE || node->reshape_kind != VG_RESHAPE_TARGET)
    return 0;
  const VgShape *in = &b->shapes[node->inputs[0]], *out = &b->shapes[node->output];
  int n = node->n_axes;
  int64_t last = node->axes[n - 1 < 0 ? 0 : n - 1], t = in->dims[in->rank - 1];
  if (!b->m->values[node->inputs[0]].is_time || n < 3 || out->dims[0] != 1 ||
      out->dims[n - 1] != t || vg_shape_width(out) != vg_shape_width(in))
    return 0;
  if (!((last == 0 && n == in->rank) || last == -1 || last == t))
    return 0;
  for (int i = 0; i < n - 1; i++)
    node->axes[i] = out->dims[i];
  node->axes[n - 1] = -1;
  (void)err;
  return 1;
}
