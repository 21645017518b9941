/* nn.Linear over the channels of a time value, loaded as a 1x1 convolution.
 *
 * PyTorch writes `self.fc(x.transpose(1, 2)).transpose(1, 2)` on a [1, C, T] value (and
 * `x.permute(0, 2, 3, 1)` ... `permute(0, 3, 1, 2)` on [1, C, F, T]) as Transpose, MatMul by a
 * constant W [C_in, C_out], Add of the bias [C_out], Transpose back; an activation may come before
 * the Transpose back. Per time column (and frequency) that is y = W^T x + b: a Conv with weights
 * W^T as [C_out, C_in, 1(, 1)] and bias b, which every part of Vigil runs and streams.
 *
 * The rewrite happens while parsing, without looking ahead: a Transpose of a time value that moves
 * the channels last (perm[0] = 0, perm[rank - 1] = 1) opens a *channels-last region*. Its output
 * name is not defined in VgBuild.names but here, as an entry naming the untransposed value (conv
 * layout). A node reading such a name is converted in conv layout, and its output is a region
 * name too: MatMul by a constant becomes the 1x1 Conv; element-wise activations stay as they are;
 * Add, Sub, Mul, Div and PRelu take other region values (same perm) and constants that are scalars
 * or one value per channel (broadcast along the last axis, reshaped to [C, 1(, 1)]); Softmax over
 * the last axis becomes Softmax over the channels, and so does a Reduce* kept over it, which with
 * the ops above makes nn.LayerNorm over channels (opset 17's LayerNormalization is expanded). A
 * Transpose by the inverse perm closes the region: its output name is the conv-layout value. Every
 * node emitted is an ordinary conv-layout node whose shape and time flag the usual rules give, so
 * nothing after the loader knows about regions, and a refusal names the node that breaks the
 * pattern. vg_fold_conv_biases then makes the Add of the bias the conv's own bias. (A pass after
 * parsing would have to undo shapes, time flags and folds already computed in the transposed
 * layout.)
 *
 * Refused: any other op on a region name, a constant that varies along another axis, a closing
 * Transpose that is not the inverse, a region name as the graph output. When the refused node
 * reads the opening Transpose's output itself, the message is the one a Transpose of a computed
 * value always had (vg_onnx_refuse_computed); otherwise it names the node and says to write the
 * layer as a 1x1 convolution.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_onnx_ops.h"

struct VgChannelsLast {
  int value; /* holds the values, in conv layout [1, C, (F,) T] */
  int rank;
  int64_t perm[VG_MAX_RANK]; /* the opening Transpose's */
  const char *source;        /* the opening Transpose's input name */
  char transpose[96];        /* the opening Transpose's node name */
};

static const VgChannelsLast *find(const VgBuild *b, const char *name)
{
  int e = b->cl_names.cap && name[0] ? vg_name_map_get(&b->cl_names, name) : -1;
  return e < 0 ? NULL : &b->cl[e];
}

int vg_onnx_channels_last_value(const VgBuild *b, const char *name)
{
  const VgChannelsLast *e = find(b, name);
  return e ? e->value : -1;
}

/* The first input of np that is a region name, or NULL. */
static const VgChannelsLast *region_input(const VgBuild *b, const Onnx__NodeProto *np)
{
  for (size_t k = 0; k < np->n_input; k++)
    if (find(b, np->input[k]))
      return find(b, np->input[k]);
  return NULL;
}

/* Defines `name` as a region name: `like`'s region (a copy, not an entry of b->cl, which this may
 * move), values in `value`. */
static int put(VgBuild *b, const char *name, const VgChannelsLast *like, int value, VgError *err)
{
  if (!b->cl_names.cap && vg_name_map_init(&b->cl_names, (size_t)b->cap_values) != VG_OK)
    return vg_error_set(err, "out of memory");
  if (b->n_cl == b->cap_cl) {
    int cap = b->cap_cl ? 2 * b->cap_cl : 16;
    VgChannelsLast *cl = realloc(b->cl, (size_t)cap * sizeof *cl);
    if (!cl)
      return vg_error_set(err, "out of memory");
    b->cl = cl;
    b->cap_cl = cap;
  }
  b->cl[b->n_cl] = *like;
  b->cl[b->n_cl].value = value;
  vg_name_map_put(&b->cl_names, name, b->n_cl++);
  return VG_OK;
}

/* Whether e is the opening Transpose's output itself (no op applied since). */
static int direct(const VgBuild *b, const VgChannelsLast *e)
{
  return e->value == vg_name_map_get(&b->names, e->source);
}

static int refuse(VgBuild *b, const VgChannelsLast *e, const char *what, VgError *err)
{
  if (direct(b, e))
    return vg_onnx_refuse_computed(b, "Transpose", e->transpose, e->source, e->value == b->m->input,
                                   err);
  return vg_error_set(err,
                      "unsupported %s%sop '%s' (node '%s', opset %lld) after Transpose '%s' "
                      "(channels last): Vigil runs nn.Linear over channels (Transpose, MatMul, "
                      "Add, Transpose back) as a 1x1 convolution, with element-wise ops, "
                      "per-channel constants and Softmax over the channels before the Transpose "
                      "back; use "
                      "nn.Conv1d(C_in, C_out, 1) (nn.Conv2d for [1, C, F, T]) instead",
                      what, what[0] ? " in " : "", b->op_type, b->node_name, (long long)b->m->opset,
                      e->transpose);
}

/* The perm attribute of a Transpose of rank r: 1 when it is a permutation, 0 if not. */
static int read_perm(const Onnx__NodeProto *np, int r, int64_t *perm)
{
  VgError ignored;
  int n, seen = 0;
  if (vg_attr_ints(np, "perm", perm, VG_MAX_RANK, &n, &ignored) != VG_OK || n != r)
    return 0;
  for (int i = 0; i < r; i++) {
    if (perm[i] < 0 || perm[i] >= r || (seen & (1 << perm[i])))
      return 0;
    seen |= 1 << perm[i];
  }
  return 1;
}

/* A Transpose of a time value moving the channels last opens a region (1); anything else is left
 * to vg_onnx_const_op (0), which refuses it on a computed value. */
static int open_region(VgBuild *b, const Onnx__NodeProto *np, VgError *err)
{
  VgChannelsLast e = {0};
  e.value = np->n_input == 1 ? vg_name_map_get(&b->names, np->input[0]) : -1;
  if (e.value < 0 || !b->m->values[e.value].is_time)
    return 0;
  e.rank = b->shapes[e.value].rank;
  if (e.rank < 3 || e.rank > 4 || !read_perm(np, e.rank, e.perm) || e.perm[0] != 0 ||
      e.perm[e.rank - 1] != 1)
    return 0;
  if (vg_check_attrs(b, np, "perm", err) != VG_OK)
    return VG_ERR;
  e.source = np->input[0];
  snprintf(e.transpose, sizeof e.transpose, "%s", b->node_name);
  return put(b, np->output[0], &e, e.value, err) == VG_OK ? 1 : VG_ERR;
}

/* A Transpose of a region name: the inverse of the opening perm ends the region. */
static int close_region(VgBuild *b, const Onnx__NodeProto *np, const VgChannelsLast *e,
                        VgError *err)
{
  int64_t perm[VG_MAX_RANK];
  if (np->n_input != 1 || !read_perm(np, e->rank, perm))
    return refuse(b, e, "perm", err);
  for (int i = 0; i < e->rank; i++)
    if (e->perm[perm[i]] != i)
      return refuse(b, e, "perm (not the inverse of the first Transpose's)", err);
  if (vg_check_attrs(b, np, "perm", err) != VG_OK)
    return VG_ERR;
  vg_name_map_put(&b->names, np->output[0], e->value);
  return 1;
}

/* MatMul(x, W) of a region value x ([1, .., C_in] channels last) and a constant W [C_in, C_out]:
 * a Conv with weights W^T as [C_out, C_in, 1(, 1)]. */
static int parse_linear(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  const VgChannelsLast *e = region_input(b, np);
  const VgShape *x = &b->shapes[node->inputs[0]];
  const VgValue *w = node->inputs[1] >= 0 ? &b->m->values[node->inputs[1]] : NULL;
  if (!find(b, np->input[0]) || !w || w->kind != VG_VALUE_CONST || w->shape.rank != 2 ||
      w->shape.dims[0] != x->dims[1])
    return refuse(b, e, "weight (a constant [C_in, C_out] is needed)", err);
  int64_t c_in = w->shape.dims[0], c_out = w->shape.dims[1];
  VgShape ws = {.rank = x->rank, .dims = {c_out, c_in, 1, 1}};
  float *wt = malloc((size_t)(c_in * c_out > 0 ? c_in * c_out : 1) * sizeof *wt);
  char name[160];
  if (!wt)
    return vg_error_set(err, "out of memory");
  for (int64_t o = 0; o < c_out; o++)
    for (int64_t i = 0; i < c_in; i++)
      wt[o * c_in + i] = w->data[i * c_out + o];
  snprintf(name, sizeof name, "%.140s:linear", b->node_name);
  int v = vg_build_add_const(b, name, &ws, wt, err);
  if (v < 0)
    return VG_ERR;
  vg_window_unit(&node->win, x->rank - 2);
  node->inputs[1] = v;
  return VG_OK;
}

/* A constant operand of a binary op in the region: a scalar stays; one value per channel (the last
 * axis here, every other axis 1) becomes [C, 1(, 1)], which broadcasts along the conv layout's
 * channel axis. *v is replaced; anything else is refused. */
static int per_channel(VgBuild *b, const VgChannelsLast *e, int64_t channels, int *v, VgError *err)
{
  const VgValue *c = &b->m->values[*v];
  int64_t n = vg_shape_count(&c->shape);
  int ok = c->kind == VG_VALUE_CONST && c->shape.rank <= e->rank;
  for (int i = 0; ok && i < c->shape.rank - 1; i++)
    ok = c->shape.dims[i] == 1;
  if (!ok || (n != 1 && n != channels))
    return refuse(b, e,
                  c->kind == VG_VALUE_CONST
                      ? "constant (neither a scalar nor one value per channel)"
                      : "operand (computed outside the channels-last values)",
                  err);
  if (n == 1)
    return VG_OK;
  VgShape s = {.rank = e->rank - 1, .dims = {n, 1, 1}};
  float *d = malloc((size_t)n * sizeof *d);
  char name[160];
  if (!d)
    return vg_error_set(err, "out of memory");
  memcpy(d, c->data, (size_t)n * sizeof *d);
  snprintf(name, sizeof name, "%.140s:per_channel", c->name);
  *v = vg_build_add_const(b, name, &s, d, err);
  return *v < 0 ? VG_ERR : VG_OK;
}

/* Add, Sub, Mul, Div, PRelu: region values of the same perm, and constants per_channel takes. */
static int parse_binary(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  const VgChannelsLast *e = region_input(b, np);
  int64_t channels = 1;
  for (int k = 0; k < node->n_inputs; k++) {
    const VgChannelsLast *f = find(b, np->input[k]);
    if (f && (f->rank != e->rank || memcmp(f->perm, e->perm, sizeof e->perm) != 0))
      return refuse(b, e, "operand (transposed otherwise)", err);
    if (f && b->shapes[f->value].dims[1] > channels)
      channels = b->shapes[f->value].dims[1];
  }
  for (int k = 0; k < node->n_inputs; k++) {
    if (node->inputs[k] < 0)
      return vg_error_set(err, "node '%s' (%s) lacks input %d", b->node_name, b->op_type, k);
    if (!find(b, np->input[k]) && per_channel(b, e, channels, &node->inputs[k], err) != VG_OK)
      return VG_ERR;
  }
  return VG_OK;
}

/* Softmax over the last axis (the channels here) becomes Softmax over axis 1. Before opset 13
 * the IR's Softmax flattens the axes from `axis` on (vg_parse_softmax): refused there. */
static int parse_softmax(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  const VgChannelsLast *e = region_input(b, np);
  int64_t axis;
  if (b->m->opset < 13)
    return refuse(b, e, "opset < 13 Softmax (export with opset 13 or later)", err);
  if (vg_attr_int(np, "axis", -1, &axis, err) != VG_OK)
    return vg_error_prefix(err, "node '%s' (%s)", b->node_name, b->op_type);
  node->log_softmax = strcmp(b->op_type, "LogSoftmax") == 0;
  if (axis != -1 && axis != e->rank - 1)
    return refuse(b, e, "axis (Softmax over the channels, the last axis, only)", err);
  node->axis = 1;
  return VG_OK;
}

/* ReduceMean (and the other Reduce*) over the last axis, the channels here, keeping it: a Reduce
 * over axis 1 in conv layout. With Sub, Pow, Sqrt, Div and the per-channel scale and shift it is
 * nn.LayerNorm over channels as PyTorch exports it before opset 17. */
static int parse_reduce(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err)
{
  const VgChannelsLast *e = region_input(b, np);
  int seen;
  int64_t keepdims;
  if (vg_reduce_axes(b, np, node, &seen, err) != VG_OK ||
      vg_attr_int(np, "keepdims", 1, &keepdims, err) != VG_OK)
    return VG_ERR;
  if (seen != 1 << (e->rank - 1) || !keepdims)
    return refuse(b, e, "axes (a reduction over the channels, the last axis, kept)", err);
  node->op = VG_OP_REDUCE;
  node->n_axes = 1;
  node->axes[0] = 1;
  return VG_OK;
}

/* A loader-made node of the LayerNormalization below: op over x (and y, -1 for none), its output
 * named after np's with `what`; returns the output value, or -1 with err set. */
static int ln_node(VgBuild *b, const Onnx__NodeProto *np, VgOpType op, const char *what, int x,
                   int y, VgError *err)
{
  char name[160], value[160];
  snprintf(name, sizeof name, "%.120s:%s", b->node_name, what);
  snprintf(value, sizeof value, "%.120s:%s", np->output[0], what);
  VgNode *n = vg_onnx_new_node(b, op, name, x, y, err);
  if (!n)
    return VG_ERR;
  if (op == VG_OP_REDUCE) { /* the mean over the channels */
    n->reduce = VG_REDUCE_MEAN;
    n->n_axes = 1;
    n->axes[0] = 1;
  }
  if (op == VG_OP_POW)
    n->alpha = 2.0f;
  return vg_onnx_emit_node(b, n, value, err) == VG_OK ? n->output : VG_ERR;
}

/* LayerNormalization (opset 17) over the last axis, the channels here: (x - mean) / sqrt(var +
 * epsilon) * scale + bias over each column's channels, emitted as the nodes PyTorch's export
 * before opset 17 has (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add). */
static int layer_norm(VgBuild *b, const Onnx__NodeProto *np, const VgChannelsLast *e, VgError *err)
{
  int64_t axis;
  float eps;
  VgChannelsLast copy = *e; /* put() may move b->cl */
  if (vg_check_attrs(b, np, "axis epsilon stash_type", err) != VG_OK ||
      vg_attr_int(np, "axis", -1, &axis, err) != VG_OK ||
      vg_attr_float(np, "epsilon", 1e-5f, &eps, err) != VG_OK)
    return VG_ERR;
  if ((axis != -1 && axis != e->rank - 1) || np->n_input < 2 || find(b, np->input[1]) ||
      (np->n_output > 1 && np->output[1][0]) || (np->n_output > 2 && np->output[2][0]))
    return refuse(b, e, "axis, inputs or outputs (over the channels, the last axis, only)", err);
  int scale = vg_name_map_get(&b->names, np->input[1]);
  if (scale < 0)
    return refuse(b, e, "scale (a constant per channel is needed)", err);
  int bias = np->n_input > 2 && np->input[2][0] ? vg_name_map_get(&b->names, np->input[2]) : -1;
  int64_t c = b->shapes[e->value].dims[1];
  float *d = malloc(sizeof *d);
  VgShape one = {.rank = 0};
  if (!d)
    return vg_error_set(err, "out of memory");
  *d = eps;
  char name[160];
  snprintf(name, sizeof name, "%.140s:epsilon", b->node_name);
  int ve = vg_build_add_const(b, name, &one, d, err);
  if (ve < 0 || per_channel(b, e, c, &scale, err) != VG_OK ||
      (bias >= 0 && per_channel(b, e, c, &bias, err) != VG_OK))
    return VG_ERR;
  int x = copy.value, y;
  int mean = ln_node(b, np, VG_OP_REDUCE, "mean", x, -1, err);
  int diff = mean < 0 ? -1 : ln_node(b, np, VG_OP_SUB, "centred", x, mean, err);
  int sq = diff < 0 ? -1 : ln_node(b, np, VG_OP_POW, "squared", diff, -1, err);
  int var = sq < 0 ? -1 : ln_node(b, np, VG_OP_REDUCE, "variance", sq, -1, err);
  int plus = var < 0 ? -1 : ln_node(b, np, VG_OP_ADD, "plus_epsilon", var, ve, err);
  int sd = plus < 0 ? -1 : ln_node(b, np, VG_OP_SQRT, "deviation", plus, -1, err);
  int norm = sd < 0 ? -1 : ln_node(b, np, VG_OP_DIV, "normalised", diff, sd, err);
  y = norm < 0 ? -1 : ln_node(b, np, VG_OP_MUL, "scaled", norm, scale, err);
  if (y >= 0 && bias >= 0)
    y = ln_node(b, np, VG_OP_ADD, "shifted", y, bias, err);
  if (y < 0)
    return VG_ERR;
  return put(b, np->output[0], &copy, y, err) == VG_OK ? 1 : VG_ERR;
}

int vg_onnx_channels_last(VgBuild *b, const Onnx__NodeProto *np, VgError *err)
{
  const VgChannelsLast *e = region_input(b, np);
  int transpose = strcmp(b->op_type, "Transpose") == 0;
  if (!e)
    return transpose ? open_region(b, np, err) : 0;
  if (transpose)
    return close_region(b, np, e, err);
  if (e == find(b, np->input[0]) && (strcmp(b->op_type, "Identity") == 0 ||
                                     (strcmp(b->op_type, "Dropout") == 0 && np->n_input == 1))) {
    VgChannelsLast copy = *e;
    return put(b, np->output[0], &copy, copy.value, err) == VG_OK ? 1 : VG_ERR;
  }
  if (strcmp(b->op_type, "LayerNormalization") == 0)
    return layer_norm(b, np, e, err);
  const VgOpSpec *found = vg_onnx_find_spec(b->op_type);
  if (!found)
    return refuse(b, e, "", err);
  VgOpSpec spec = *found;
  if (spec.op == VG_OP_MATMUL) {
    spec.op = VG_OP_CONV;
    spec.parse = parse_linear;
  } else if (spec.op == VG_OP_SOFTMAX) {
    spec.parse = parse_softmax;
  } else if (spec.parse == vg_parse_reduce) {
    spec.parse = parse_reduce;
  } else if (vg_op_is_arithmetic(spec.op)) {
    spec.parse = parse_binary;
  } else if (!vg_op_is_activation(spec.op)) {
    return refuse(b, e, "", err);
  }
  VgChannelsLast copy = *e; /* put() may move b->cl */
  b->in_region = 1;
  int out = vg_onnx_add_op(b, np, &spec, err);
  b->in_region = 0;
  if (out < 0)
    return VG_ERR;
  return put(b, np->output[0], &copy, out, err) == VG_OK ? 1 : VG_ERR;
}

int vg_onnx_channels_last_output(VgBuild *b, const char *name, VgError *err)
{
  const VgChannelsLast *e = find(b, name);
  if (!e)
    return VG_OK;
  if (direct(b, e))
    return vg_onnx_refuse_computed(b, "Transpose", e->transpose, e->source, e->value == b->m->input,
                                   err);
  return vg_error_set(err,
                      "the graph output '%s' is channels last (after Transpose '%s'): Vigil's "
                      "outputs keep time last; transpose it back, or use nn.Conv1d(C_in, C_out, "
                      "1) (nn.Conv2d for [1, C, F, T]) instead of nn.Linear over channels",
                      name, e->transpose);
}
