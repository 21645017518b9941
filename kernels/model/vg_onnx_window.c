/* Attributes of the sliding-window ops: Conv, ConvTranspose, MaxPool, AveragePool, Pad; and
 * BatchNormalization, which usually follows a conv.
 *
 * ONNX defaults: strides and dilations 1, pads 0, group 1, auto_pad NOTSET, ceil_mode 0,
 * count_include_pad 0. auto_pad SAME_* pads depend on the input length when the stride is above 1;
 * along time that length changes with the window, so it is refused there (pads are resolved once,
 * at the model's own size, along the other axis).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_onnx_ops.h"

/* An INTS attribute of exactly n entries in [lo, VG_MAX_DIM], or `def` everywhere when absent. */
static int ints_n(VgBuild *b, const Onnx__NodeProto *np, const char *name, int n, int64_t lo,
                  int64_t def, int *out, VgError *err)
{
  int64_t v[4];
  int got;
  if (vg_attr_ints(np, name, v, 4, &got, err) != VG_OK)
    return vg_error_prefix(err, "node '%s' (%s)", b->node_name, b->op_type);
  if (got >= 0 && got != n)
    return vg_error_set(err, "node '%s' (%s): %s has %d values, expected %d", b->node_name,
                        b->op_type, name, got, n);
  for (int i = 0; i < n; i++) {
    int64_t x = got < 0 ? def : v[i];
    if (x < lo || x > VG_MAX_DIM)
      return vg_error_set(err, "node '%s' (%s): %s[%d] = %lld", b->node_name, b->op_type, name, i,
                          (long long)x);
    out[i] = (int)x;
  }
  return VG_OK;
}

static int node_int(VgBuild *b, const Onnx__NodeProto *np, const char *name, int64_t def,
                    int64_t lo, int64_t hi, int *out, VgError *err)
{
  int64_t v;
  if (vg_attr_int(np, name, def, &v, err) != VG_OK)
    return vg_error_prefix(err, "node '%s' (%s)", b->node_name, b->op_type);
  if (v < lo || v > hi)
    return vg_error_set(err, "node '%s' (%s): %s = %lld", b->node_name, b->op_type, name,
                        (long long)v);
  *out = (int)v;
  return VG_OK;
}

/* SAME_UPPER / SAME_LOWER: output ceil(n / s), total pad split with the odd one at the end
 * (UPPER) or the beginning (LOWER). */
static int same_pads(VgBuild *b, VgNode *node, int lower, VgError *err)
{
  VgWindow *w = &node->win;
  const VgShape *x = &b->shapes[node->inputs[0]];
  if (x->rank != w->n_spatial + 2)
    return vg_error_set(err, "node '%s' (%s): input rank %d", b->node_name, b->op_type, x->rank);
  for (int a = 0; a < w->n_spatial; a++) {
    int64_t n = x->dims[2 + a], s = w->stride[a];
    if (a == w->n_spatial - 1 && s > 1)
      return vg_unsupported(b, err,
                            "auto_pad SAME with a stride along time (export explicit pads)");
    int64_t total =
        ((n + s - 1) / s - 1) * s + (int64_t)(w->kernel[a] - 1) * w->dilation[a] + 1 - n;
    if (total < 0)
      total = 0;
    w->pad_begin[a] = (int)(lower ? total - total / 2 : total / 2);
    w->pad_end[a] = (int)(total - w->pad_begin[a]);
  }
  return VG_OK;
}

/* kernel (from kernel_shape, or `kernel` when given), strides, dilations, pads, auto_pad. */
static int read_window(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, int ns,
                       const int64_t *kernel, VgError *err)
{
  VgWindow *w = &node->win;
  int pads[4];
  char auto_pad[32];
  w->n_spatial = ns;
  w->group = 1;
  if (!kernel && !vg_attr_find(np, "kernel_shape"))
    return vg_error_set(err, "node '%s' (%s) has no kernel_shape", b->node_name, b->op_type);
  if (kernel && !vg_attr_find(np, "kernel_shape"))
    for (int a = 0; a < ns; a++)
      w->kernel[a] = (int)kernel[a];
  else if (ints_n(b, np, "kernel_shape", ns, 1, 1, w->kernel, err) != VG_OK)
    return VG_ERR;
  if (ints_n(b, np, "strides", ns, 1, 1, w->stride, err) != VG_OK ||
      ints_n(b, np, "dilations", ns, 1, 1, w->dilation, err) != VG_OK ||
      ints_n(b, np, "pads", 2 * ns, 0, 0, pads, err) != VG_OK)
    return VG_ERR;
  for (int a = 0; kernel && a < ns; a++)
    if (w->kernel[a] != kernel[a])
      return vg_error_set(err, "node '%s' (%s): kernel_shape does not match the weights",
                          b->node_name, b->op_type);
  for (int a = 0; a < ns; a++) {
    w->pad_begin[a] = pads[a];
    w->pad_end[a] = pads[ns + a];
  }
  if (vg_attr_string(np, "auto_pad", "NOTSET", auto_pad, sizeof auto_pad, err) != VG_OK)
    return VG_ERR;
  if (strcmp(auto_pad, "NOTSET") == 0 || !auto_pad[0])
    return VG_OK;
  if (strcmp(auto_pad, "VALID") == 0) {
    memset(w->pad_begin, 0, sizeof w->pad_begin);
    memset(w->pad_end, 0, sizeof w->pad_end);
    return VG_OK;
  }
  if (node->op != VG_OP_CONV_TRANSPOSE &&
      (strcmp(auto_pad, "SAME_UPPER") == 0 || strcmp(auto_pad, "SAME_LOWER") == 0))
    return same_pads(b, node, strcmp(auto_pad, "SAME_LOWER") == 0, err);
  return vg_unsupported(b, err, "auto_pad");
}

static int need_const(VgBuild *b, int v, const char *what, VgError *err)
{
  if (v >= 0 && b->m->values[v].kind != VG_VALUE_CONST)
    return vg_unsupported(b, err, what);
  return VG_OK;
}

int vg_parse_conv(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  if (node->inputs[1] < 0)
    return vg_unsupported(b, err, "missing weights");
  if (need_const(b, node->inputs[1], "non-constant weights", err) != VG_OK ||
      (node->n_inputs > 2 && need_const(b, node->inputs[2], "non-constant bias", err) != VG_OK))
    return VG_ERR;
  if (node->n_inputs > 2 && node->inputs[2] < 0)
    node->n_inputs = 2;
  const VgShape *w = &b->shapes[node->inputs[1]];
  int ns = w->rank - 2;
  if (ns < 1 || ns > 2)
    return vg_unsupported(b, err, "weight rank (Vigil runs 1-D and 2-D convolutions)");
  int group;
  if (read_window(b, np, node, ns, &w->dims[2], err) != VG_OK ||
      node_int(b, np, "group", 1, 1, VG_MAX_DIM, &group, err) != VG_OK)
    return VG_ERR;
  node->win.group = group;
  if (node->op != VG_OP_CONV_TRANSPOSE)
    return VG_OK;
  if (vg_attr_find(np, "output_shape"))
    return vg_unsupported(b, err, "output_shape attribute (export pads and output_padding)");
  if (ints_n(b, np, "output_padding", ns, 0, 0, node->win.output_padding, err) != VG_OK)
    return VG_ERR;
  for (int a = 0; a < ns; a++)
    if (node->win.output_padding[a] >= node->win.stride[a] &&
        node->win.output_padding[a] >= node->win.dilation[a])
      return vg_error_set(err, "node '%s' (%s): output_padding must be below stride or dilation",
                          b->node_name, b->op_type);
  return VG_OK;
}

int vg_parse_pool(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  int ns = b->shapes[node->inputs[0]].rank - 2, v;
  if (ns < 1 || ns > 2)
    return vg_unsupported(b, err, "input rank (pools run over [1, C, T] or [1, C, F, T])");
  if (read_window(b, np, node, ns, NULL, err) != VG_OK ||
      node_int(b, np, "ceil_mode", 0, 0, 1, &node->win.ceil_mode, err) != VG_OK)
    return VG_ERR;
  if (node->op == VG_OP_AVG_POOL)
    return node_int(b, np, "count_include_pad", 0, 0, 1, &node->win.count_include_pad, err);
  if (node_int(b, np, "storage_order", 0, 0, 1, &v, err) != VG_OK)
    return VG_ERR;
  return v ? vg_unsupported(b, err, "storage_order=1") : VG_OK;
}

int vg_parse_batch_norm(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  int training;
  for (int k = 1; k < 5; k++)
    if (need_const(b, node->inputs[k], "non-constant statistics", err) != VG_OK)
      return VG_ERR;
  if (vg_attr_float(np, "epsilon", 1e-5f, &node->epsilon, err) != VG_OK ||
      node_int(b, np, "training_mode", 0, 0, 1, &training, err) != VG_OK)
    return VG_ERR;
  if (!(node->epsilon >= 0.0f))
    return vg_error_set(err, "node '%s' (%s): epsilon %g", b->node_name, b->op_type,
                        (double)node->epsilon);
  return training ? vg_unsupported(b, err, "training_mode=1" VG_ONNX_TRAINING_HINT) : VG_OK;
}

/* Whether every node reading `name` is a Reshape of it (its data input). */
static int read_by_reshapes_only(const VgBuild *b, const char *name)
{
  for (size_t i = 0; i < b->graph->n_node; i++) {
    const Onnx__NodeProto *n = b->graph->node[i];
    for (size_t k = 0; k < n->n_input; k++)
      if (strcmp(n->input[k], name) == 0 && (k != 0 || strcmp(n->op_type, "Reshape") != 0))
        return 0;
  }
  return 1;
}

/* nn.GroupNorm(G, C) exports as Reshape of x [1, C, (F,) T] to [1, G, -1], InstanceNormalization
 * of that, Reshape back (then the affine Mul and Add). The groups are contiguous in x's ONNX
 * order, so the InstanceNormalization's output, flattened, is x normalised per group: the node
 * reads x itself (node->win.group = G) and gives x's shape, a time value that the Reshape back
 * keeps. Only when Reshapes alone read the output, which then see the same values in the same
 * order. Without this, the Reshapes would take the values out of time-major layout and a conv
 * after them could not run. */
static void group_norm(VgBuild *b, const Onnx__NodeProto *np, VgNode *node)
{
  const VgModel *m = b->m;
  int v = node->inputs[0], p = m->values[v].producer;
  const VgShape *vs = &b->shapes[v];
  if (p < 0 || m->nodes[p].op != VG_OP_RESHAPE || vs->rank != 3 || vs->dims[1] < 1 ||
      !read_by_reshapes_only(b, np->output[0]))
    return;
  int x = m->nodes[p].inputs[0];
  const VgShape *xs = &b->shapes[x];
  if (!m->values[x].is_time || xs->rank < 3 || xs->dims[1] % vs->dims[1] != 0 ||
      vg_shape_count(xs) != vg_shape_count(vs))
    return;
  node->inputs[0] = x;
  node->win.group = (int)vs->dims[1];
}

int vg_parse_instance_norm(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  for (int k = 1; k < 3; k++)
    if (need_const(b, node->inputs[k], "non-constant scale or bias", err) != VG_OK)
      return VG_ERR;
  group_norm(b, np, node);
  if (vg_attr_float(np, "epsilon", 1e-5f, &node->epsilon, err) != VG_OK)
    return VG_ERR;
  if (!(node->epsilon >= 0.0f))
    return vg_error_set(err, "node '%s' (%s): epsilon %g", b->node_name, b->op_type,
                        (double)node->epsilon);
  return VG_OK;
}

/* Integer values of a constant input (Reshape's shape, Pad's pads, axes), at most max. */
int vg_const_ints(VgBuild *b, int v, int64_t *out, int max, int *n, VgError *err)
{
  const VgValue *val = &b->m->values[v];
  if (val->kind != VG_VALUE_CONST)
    return vg_unsupported(b, err, "shape or pads computed at run time (export with fixed shapes)");
  int64_t count = vg_shape_count(&val->shape);
  if (count > max)
    return vg_error_set(err, "node '%s' (%s): '%s' has %lld values (at most %d)", b->node_name,
                        b->op_type, val->name, (long long)count, max);
  for (int64_t i = 0; i < count; i++) {
    float x = val->data[i];
    if (!(x >= -2147483648.0f && x <= 2147483647.0f) || x != (float)(int64_t)x)
      return vg_error_set(err, "node '%s' (%s): '%s' holds %g where an integer is expected",
                          b->node_name, b->op_type, val->name, (double)x);
    out[i] = (int64_t)x;
  }
  *n = (int)count;
  return VG_OK;
}

/* Pad: pads from the `pads` attribute (opset < 11) or the second input; constant mode only. */
int vg_parse_pad(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  int r = b->shapes[node->inputs[0]].rank, n = -1;
  int64_t pads[2 * VG_MAX_RANK];
  char mode[32];
  if (vg_attr_string(np, "mode", "constant", mode, sizeof mode, err) != VG_OK)
    return VG_ERR;
  node->pad_mode = strcmp(mode, "reflect") == 0 ? VG_PAD_REFLECT
                   : strcmp(mode, "edge") == 0  ? VG_PAD_EDGE
                                                : VG_PAD_CONSTANT;
  if (node->pad_mode == VG_PAD_CONSTANT && strcmp(mode, "constant") != 0)
    return vg_unsupported(b, err, "mode (constant, reflect and edge)");
  if (b->m->opset < 11) {
    if (vg_attr_ints(np, "pads", pads, 2 * VG_MAX_RANK, &n, err) != VG_OK ||
        vg_attr_float(np, "value", 0.0f, &node->pad_value, err) != VG_OK)
      return VG_ERR;
  } else {
    if (node->n_inputs < 2 || node->inputs[1] < 0)
      return vg_unsupported(b, err, "Pad without pads");
    if (vg_const_ints(b, node->inputs[1], pads, 2 * VG_MAX_RANK, &n, err) != VG_OK)
      return VG_ERR;
    if (node->n_inputs > 3 && node->inputs[3] >= 0)
      return vg_unsupported(b, err, "axes input");
    if (node->n_inputs > 2 && node->inputs[2] >= 0) {
      const VgValue *c = &b->m->values[node->inputs[2]];
      if (need_const(b, node->inputs[2], "computed constant_value", err) != VG_OK)
        return VG_ERR;
      if (vg_shape_count(&c->shape) != 1)
        return vg_error_set(err, "node '%s' (Pad): constant_value is not a scalar", b->node_name);
      node->pad_value = c->data[0];
    }
  }
  if (n != 2 * r || r < 3 || r > 4)
    return vg_error_set(err,
                        "node '%s' (Pad): %d pads for a rank-%d input (Vigil pads [1, C, T] "
                        "or [1, C, F, T])",
                        b->node_name, n, r);
  node->n_inputs = 1;
  node->win.n_spatial = r - 2;
  for (int a = 0; a < r; a++) {
    if (pads[a] < 0 || pads[r + a] < 0)
      return vg_unsupported(b, err, "negative pads (cropping)");
    if (pads[a] > VG_MAX_DIM || pads[r + a] > VG_MAX_DIM)
      return vg_error_set(err, "node '%s' (Pad): pad of %lld", b->node_name,
                          (long long)(pads[a] > pads[r + a] ? pads[a] : pads[r + a]));
    if (a < 2 && (pads[a] || pads[r + a]))
      return vg_unsupported(b, err, "padding of the batch or channel axis");
    if (a >= 2) {
      node->win.kernel[a - 2] = node->win.stride[a - 2] = node->win.dilation[a - 2] = 1;
      node->win.pad_begin[a - 2] = (int)pads[a];
      node->win.pad_end[a - 2] = (int)pads[r + a];
    }
  }
  return VG_OK;
}

/* Resize's settings that PyTorch writes for nn.Upsample(scale_factor=s) in its default mode:
 * nearest, asymmetric coordinates, floor. With an integer s, output column j then repeats input
 * column floor(j / s). */
static int nearest_upsampling(VgBuild *b, const Onnx__NodeProto *np, VgError *err)
{
  char mode[32], coords[32], rounding[32];
  if (vg_attr_string(np, "mode", "nearest", mode, sizeof mode, err) != VG_OK ||
      vg_attr_string(np, "coordinate_transformation_mode", "half_pixel", coords, sizeof coords,
                     err) != VG_OK ||
      vg_attr_string(np, "nearest_mode", "round_prefer_floor", rounding, sizeof rounding, err) !=
          VG_OK)
    return vg_error_prefix(err, "node '%s' (%s)", b->node_name, b->op_type);
  if (strcmp(mode, "nearest") != 0 || strcmp(coords, "asymmetric") != 0 ||
      strcmp(rounding, "floor") != 0)
    return vg_unsupported(b, err,
                          "mode (Vigil runs nn.Upsample's default: mode nearest, asymmetric "
                          "coordinates, floor; and linear modes with align_corners=False; for "
                          "integer scale factors)");
  return VG_OK;
}

int vg_resize_factors(VgBuild *b, const VgShape *x, const VgValue *scales, int has_sizes, int *s,
                      VgError *err)
{
  if (x->rank < 3 || x->rank > 4)
    return vg_unsupported(b, err, "input rank (Resize runs over [1, C, T] or [1, C, F, T])");
  if (has_sizes)
    return vg_unsupported(b, err, "sizes input (export nn.Upsample with scale_factor)");
  if (!scales || scales->kind != VG_VALUE_CONST || vg_shape_count(&scales->shape) != x->rank)
    return vg_unsupported(b, err, "scales (a constant with one factor per axis is needed)");
  for (int a = 0; a < x->rank; a++) {
    float f = scales->data[a];
    if (!(f >= 1.0f && f <= 64.0f && f == floorf(f)) || (a < 2 && f != 1.0f))
      return vg_unsupported(b, err,
                            "scales (integer factors from 1 to 64 along the spatial axes only)");
    if (a >= 2)
      s[a - 2] = (int)f;
  }
  return VG_OK;
}

/* Resize as nearest upsampling by integer factors s (nn.Upsample(scale_factor=s)): a depthwise
 * ConvTranspose with kernel = stride = s and weights 1 gives exactly output column j = input
 * column floor(j / s), so it is loaded as one, and streams as any transposed conv. The scales
 * input must be a constant [1, 1, (s_f,) s_t] of integers; `sizes` (nn.Upsample(size=...)) is
 * refused: at another window it would not scale. */
int vg_parse_resize(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  const VgShape *x = &b->shapes[node->inputs[0]];
  int ns = x->rank - 2, si = b->m->opset < 11 ? 1 : 2, s[2]; /* opset 10: X, scales */
  const VgValue *sc =
      si < node->n_inputs && node->inputs[si] >= 0 ? &b->m->values[node->inputs[si]] : NULL;
  if (nearest_upsampling(b, np, err) != VG_OK ||
      vg_resize_factors(b, x, sc, node->n_inputs > si + 1 && node->inputs[si + 1] >= 0, s, err) !=
          VG_OK)
    return VG_ERR;
  VgShape ws = {.rank = x->rank, .dims = {x->dims[1], 1}};
  for (int a = 0; a < ns; a++)
    ws.dims[2 + a] = s[a];
  char name[160];
  snprintf(name, sizeof name, "%.140s:nearest", b->node_name);
  int w = vg_build_add_filled(b, name, &ws, 1.0f, err);
  if (w < 0)
    return VG_ERR;
  VgWindow *win = &node->win;
  vg_window_unit(win, ns);
  for (int a = 0; a < ns; a++)
    win->kernel[a] = win->stride[a] = (int)ws.dims[2 + a];
  win->group = (int)x->dims[1];
  node->inputs[1] = w;
  node->n_inputs = 2;
  return VG_OK;
}
