/* ONNX ops evaluated on constants only, at load time.
 *
 * Exporters surround some ops with shape arithmetic on constants: PyTorch 1.13 writes F.pad,
 * nn.ConstantPad1d and nn.ZeroPad2d as ConstantOfShape, Concat, Reshape, Slice (step -1),
 * Transpose, Cast feeding Pad's pads. Those ops never touch the signal, so Vigil computes them
 * once here and keeps the result as a constant. On a value computed from the input they are
 * refused ("... evaluated on constants only"), like any op Vigil does not run.
 *
 * Values are floats (vg_model.h); the integers these ops move (shapes, pads, indices) are small
 * and exact in float. Slice bounds such as INT64_MAX are clamped before any arithmetic.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_onnx_ops.h"

#define BIG_INDEX ((int64_t)1 << 40) /* |Slice bounds| are clamped to this */

typedef struct {
  int n;
  const VgValue *in[5]; /* NULL for an absent optional input */
} ConstInputs;

int vg_onnx_refuse_computed(VgBuild *b, const char *op, const char *node, const char *input,
                            int graph_input, VgError *err)
{
  if (graph_input) /* e.g. a [1, T, C] model transposing its input */
    return vg_error_set(err,
                        "unsupported op '%s' (node '%s', opset %lld) on the graph input '%s': "
                        "Vigil evaluates it on constants only, and streams the input as the "
                        "file declares it, [1, C, T] or [1, C, F, T] with time last: export "
                        "the model to take that layout, without this %s",
                        op, node, (long long)b->m->opset, input, op);
  return vg_error_set(err,
                      "unsupported op '%s' (node '%s', opset %lld): Vigil evaluates it on "
                      "constants only, and its input '%s' is computed from the graph input",
                      op, node, (long long)b->m->opset, input);
}

/* Resolves the node's inputs; each present one from `first` on must be a constant. */
static int const_inputs(VgBuild *b, const Onnx__NodeProto *np, int first, ConstInputs *ci,
                        VgError *err)
{
  if (np->n_input > 5)
    return vg_error_set(err, "node '%s' (%s) has %zu inputs", b->node_name, b->op_type,
                        np->n_input);
  ci->n = (int)np->n_input;
  for (int k = 0; k < ci->n; k++) {
    ci->in[k] = NULL;
    if (!np->input[k][0])
      continue;
    int v = vg_name_map_get(&b->names, np->input[k]);
    if (v < 0)
      return vg_error_set(err, "node '%s' (%s) reads '%s', an output Vigil does not compute",
                          b->node_name, b->op_type, np->input[k]);
    if (k < first) {
      ci->in[k] = &b->m->values[v];
      continue;
    }
    if (b->m->values[v].kind != VG_VALUE_CONST)
      return vg_onnx_refuse_computed(b, b->op_type, b->node_name, np->input[k], v == b->m->input,
                                     err);
    ci->in[k] = &b->m->values[v];
  }
  if (ci->n < 1 || !ci->in[0])
    return vg_error_set(err, "node '%s' (%s) has no first input", b->node_name, b->op_type);
  return VG_OK;
}

/* Integers of a constant, clamped to +-BIG_INDEX (NaN reads as 0). */
static int ints_of(VgBuild *b, const VgValue *v, int64_t *out, int max, int *n, VgError *err)
{
  int64_t count = vg_shape_count(&v->shape);
  if (count > max)
    return vg_error_set(err, "node '%s' (%s): '%s' has %lld values (at most %d)", b->node_name,
                        b->op_type, v->name, (long long)count, max);
  for (int64_t i = 0; i < count; i++) {
    float x = v->data[i];
    out[i] = x >= (float)BIG_INDEX    ? BIG_INDEX
             : x <= (float)-BIG_INDEX ? -BIG_INDEX
             : x == x                 ? (int64_t)x
                                      : 0;
  }
  *n = (int)count;
  return VG_OK;
}

static int64_t strides_of(const VgShape *s, int64_t *st)
{
  int64_t n = 1;
  for (int i = s->rank - 1; i >= 0; i--) {
    st[i] = n;
    n *= s->dims[i];
  }
  return n;
}

/* Walks every index of `out` in row-major order, reading in->data at the offset `map` gives. */
typedef int64_t (*OffsetFn)(const int64_t *idx, const void *ctx);

static void gather_by(const VgShape *out, float *d, const float *src, OffsetFn map, const void *ctx)
{
  int64_t idx[VG_MAX_RANK] = {0}, count = vg_shape_count(out);
  for (int64_t i = 0; i < count; i++) {
    d[i] = src[map(idx, ctx)];
    for (int k = out->rank - 1; k >= 0 && ++idx[k] == out->dims[k]; k--)
      idx[k] = 0;
  }
}

/* ---- Transpose ---- */

typedef struct {
  int rank;
  int64_t perm[VG_MAX_RANK], in_stride[VG_MAX_RANK];
} TransposeCtx;

static int64_t transpose_offset(const int64_t *idx, const void *ctx)
{
  const TransposeCtx *t = ctx;
  int64_t off = 0;
  for (int i = 0; i < t->rank; i++)
    off += idx[i] * t->in_stride[t->perm[i]];
  return off;
}

static int op_transpose(VgBuild *b, const Onnx__NodeProto *np, const ConstInputs *ci, VgShape *out,
                        float **d, VgError *err)
{
  const VgShape *x = &ci->in[0]->shape;
  TransposeCtx t = {.rank = x->rank};
  int n, seen = 0;
  if (vg_attr_ints(np, "perm", t.perm, VG_MAX_RANK, &n, err) != VG_OK)
    return vg_error_prefix(err, "node '%s' (Transpose)", b->node_name);
  for (int i = 0; n < 0 && i < x->rank; i++)
    t.perm[i] = x->rank - 1 - i;
  if (n >= 0 && n != x->rank)
    return vg_error_set(err, "node '%s' (Transpose): perm of %d axes for rank %d", b->node_name, n,
                        x->rank);
  for (int i = 0; i < x->rank; i++) {
    if (t.perm[i] < 0 || t.perm[i] >= x->rank || (seen & (1 << t.perm[i])))
      return vg_error_set(err, "node '%s' (Transpose): perm is not a permutation", b->node_name);
    seen |= 1 << t.perm[i];
  }
  strides_of(x, t.in_stride);
  out->rank = x->rank;
  for (int i = 0; i < x->rank; i++)
    out->dims[i] = x->dims[t.perm[i]];
  gather_by(out, *d, ci->in[0]->data, transpose_offset, &t);
  return VG_OK;
}

/* ---- Slice ---- */

typedef struct {
  int rank;
  int64_t start[VG_MAX_RANK], step[VG_MAX_RANK], in_stride[VG_MAX_RANK];
} SliceCtx;

static int64_t slice_offset(const int64_t *idx, const void *ctx)
{
  const SliceCtx *s = ctx;
  int64_t off = 0;
  for (int i = 0; i < s->rank; i++)
    off += (s->start[i] + idx[i] * s->step[i]) * s->in_stride[i];
  return off;
}

/* ONNX's clamping: negative bounds count from the end; a positive step clamps to [0, dim], a
 * negative one to [0, dim - 1] for the start and [-1, dim - 1] for the end. */
static int64_t slice_len(int64_t dim, int64_t *start, int64_t end, int64_t step)
{
  int64_t s = *start < 0 ? *start + dim : *start, e = end < 0 ? end + dim : end;
  int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? dim : dim - 1;
  s = s < 0 ? 0 : (s > (step > 0 ? dim : dim - 1) ? (step > 0 ? dim : dim - 1) : s);
  e = e < lo ? lo : (e > hi ? hi : e);
  *start = s;
  int64_t len = step > 0 ? (e - s + step - 1) / step : (s - e + (-step) - 1) / (-step);
  return len > 0 ? len : 0;
}

/* Slice's starts, ends, axes and steps (attributes before opset 10, constant inputs from 10;
 * in[1 .. 4] those inputs, NULL when absent) resolved against shape x. */
static int slice_bounds(VgBuild *b, const Onnx__NodeProto *np, const ConstInputs *ci,
                        const VgShape *x, VgSliceBounds *s, VgError *err)
{
  int64_t starts[VG_MAX_RANK], ends[VG_MAX_RANK], axes[VG_MAX_RANK], steps[VG_MAX_RANK];
  int ns = -1, ne = -1, na = -1, nt = -1;
  if (b->m->opset < 10) {
    if (vg_attr_ints(np, "starts", starts, VG_MAX_RANK, &ns, err) != VG_OK ||
        vg_attr_ints(np, "ends", ends, VG_MAX_RANK, &ne, err) != VG_OK ||
        vg_attr_ints(np, "axes", axes, VG_MAX_RANK, &na, err) != VG_OK)
      return vg_error_prefix(err, "node '%s' (Slice)", b->node_name);
  } else {
    if (ci->n < 3 || !ci->in[1] || !ci->in[2])
      return vg_unsupported(b, err, "Slice without starts or ends");
    if (ints_of(b, ci->in[1], starts, VG_MAX_RANK, &ns, err) != VG_OK ||
        ints_of(b, ci->in[2], ends, VG_MAX_RANK, &ne, err) != VG_OK ||
        (ci->n > 3 && ci->in[3] && ints_of(b, ci->in[3], axes, VG_MAX_RANK, &na, err) != VG_OK) ||
        (ci->n > 4 && ci->in[4] && ints_of(b, ci->in[4], steps, VG_MAX_RANK, &nt, err) != VG_OK))
      return VG_ERR;
  }
  if (ns < 0 || ns != ne || (na >= 0 && na != ns) || (nt >= 0 && nt != ns))
    return vg_error_set(err, "node '%s' (Slice): starts, ends, axes, steps differ in length",
                        b->node_name);
  memset(s, 0, sizeof *s);
  for (int i = 0; i < x->rank; i++) {
    s->step[i] = 1;
    s->len[i] = x->dims[i];
  }
  for (int k = 0; k < ns; k++) {
    int64_t a = na >= 0 ? axes[k] : k, step = nt >= 0 ? steps[k] : 1;
    a = a < 0 ? a + x->rank : a;
    if (a < 0 || a >= x->rank || step == 0 || s->named[a])
      return vg_error_set(err, "node '%s' (Slice): axis or step out of range", b->node_name);
    s->named[a] = 1;
    s->raw_start[a] = s->start[a] = starts[k];
    s->raw_end[a] = ends[k];
    s->step[a] = step;
    s->len[a] = slice_len(x->dims[a], &s->start[a], ends[k], step);
  }
  return VG_OK;
}

static int op_slice(VgBuild *b, const Onnx__NodeProto *np, const ConstInputs *ci, VgShape *out,
                    float **d, VgError *err)
{
  const VgShape *x = &ci->in[0]->shape;
  VgSliceBounds sb;
  if (slice_bounds(b, np, ci, x, &sb, err) != VG_OK)
    return VG_ERR;
  SliceCtx s = {.rank = x->rank};
  *out = *x;
  for (int i = 0; i < x->rank; i++) {
    s.start[i] = sb.start[i];
    s.step[i] = sb.step[i];
    out->dims[i] = sb.len[i];
  }
  strides_of(x, s.in_stride);
  gather_by(out, *d, ci->in[0]->data, slice_offset, &s);
  return VG_OK;
}

int vg_onnx_slice_bounds(VgBuild *b, const Onnx__NodeProto *np, const VgShape *x, VgSliceBounds *s,
                         VgError *err)
{
  ConstInputs ci;
  if (const_inputs(b, np, 1, &ci, err) != VG_OK)
    return VG_ERR;
  return slice_bounds(b, np, &ci, x, s, err);
}

/* ---- Gather ---- */

typedef struct {
  int axis, idx_rank, rank;
  const VgValue *indices;
  int64_t in_stride[VG_MAX_RANK], idx_stride[VG_MAX_RANK], dim;
} GatherCtx;

static int64_t gather_offset(const int64_t *idx, const void *ctx)
{
  const GatherCtx *g = ctx;
  int64_t off = 0, j = 0;
  for (int i = 0; i < g->idx_rank; i++)
    j += idx[g->axis + i] * g->idx_stride[i];
  int64_t at = (int64_t)g->indices->data[j];
  at = at < 0 ? at + g->dim : at;
  for (int i = 0; i < g->axis; i++)
    off += idx[i] * g->in_stride[i];
  off += at * g->in_stride[g->axis];
  for (int i = g->axis + 1; i < g->rank; i++)
    off += idx[i - 1 + g->idx_rank] * g->in_stride[i];
  return off;
}

static int op_gather(VgBuild *b, const Onnx__NodeProto *np, const ConstInputs *ci, VgShape *out,
                     float **d, VgError *err)
{
  const VgShape *x = &ci->in[0]->shape;
  int64_t axis;
  if (ci->n != 2 || !ci->in[1])
    return vg_error_set(err, "node '%s' (Gather) needs data and indices", b->node_name);
  const VgShape *is = &ci->in[1]->shape;
  if (vg_attr_int(np, "axis", 0, &axis, err) != VG_OK)
    return vg_error_prefix(err, "node '%s' (Gather)", b->node_name);
  axis = axis < 0 ? axis + x->rank : axis;
  if (axis < 0 || axis >= x->rank || x->rank - 1 + is->rank > VG_MAX_RANK)
    return vg_error_set(err, "node '%s' (Gather): axis or rank out of range", b->node_name);
  GatherCtx g = {.axis = (int)axis, .idx_rank = is->rank, .rank = x->rank, .indices = ci->in[1]};
  g.dim = x->dims[axis];
  int64_t n_idx = strides_of(is, g.idx_stride);
  for (int64_t i = 0; i < n_idx; i++) {
    float at = ci->in[1]->data[i];
    if (!(at >= (float)-g.dim && at < (float)g.dim))
      return vg_error_set(err, "node '%s' (Gather): index %g out of range", b->node_name,
                          (double)at);
  }
  strides_of(x, g.in_stride);
  out->rank = 0;
  for (int i = 0; i < x->rank; i++) {
    if (i == axis)
      for (int k = 0; k < is->rank; k++)
        out->dims[out->rank++] = is->dims[k];
    else
      out->dims[out->rank++] = x->dims[i];
  }
  gather_by(out, *d, ci->in[0]->data, gather_offset, &g);
  return VG_OK;
}

/* ---- Shape, ConstantOfShape, Cast ---- */

/* Shape's [start, end) over a value of rank `rank`: negative bounds count from the end, both
 * clamped to [0, rank] (opset 15's attributes; before it, the whole shape). */
static int shape_slice(VgBuild *b, const Onnx__NodeProto *np, int rank, int64_t *start,
                       int64_t *end, VgError *err)
{
  if (vg_attr_int(np, "start", 0, start, err) != VG_OK ||
      vg_attr_int(np, "end", rank, end, err) != VG_OK)
    return vg_error_prefix(err, "node '%s' (Shape)", b->node_name);
  *start = *start < 0 ? *start + rank : *start;
  *end = *end < 0 ? *end + rank : *end;
  *start = *start < 0 ? 0 : (*start > rank ? rank : *start);
  *end = *end < *start ? *start : (*end > rank ? rank : *end);
  return VG_OK;
}

static int op_shape(VgBuild *b, const Onnx__NodeProto *np, const ConstInputs *ci, VgShape *out,
                    float **d, VgError *err)
{
  const VgShape *x = &ci->in[0]->shape;
  int64_t start, end;
  if (shape_slice(b, np, x->rank, &start, &end, err) != VG_OK)
    return VG_ERR;
  out->rank = 1;
  out->dims[0] = end - start;
  for (int64_t i = start; i < end; i++)
    (*d)[i - start] = (float)x->dims[i];
  return VG_OK;
}

static int op_constant_of_shape(VgBuild *b, const Onnx__NodeProto *np, const ConstInputs *ci,
                                VgShape *out, float **d, VgError *err)
{
  int64_t dims[VG_MAX_RANK], count = 1;
  int n;
  if (ints_of(b, ci->in[0], dims, VG_MAX_RANK, &n, err) != VG_OK)
    return VG_ERR;
  out->rank = n;
  for (int i = 0; i < n; i++) {
    if (dims[i] < 0 || dims[i] > VG_MAX_DIM)
      return vg_error_set(err, "node '%s' (ConstantOfShape): dimension %lld", b->node_name,
                          (long long)dims[i]);
    out->dims[i] = dims[i];
    count *= dims[i];
    if (count > VG_MAX_CONST_VALUES - b->const_floats)
      return vg_error_set(err, "node '%s' (ConstantOfShape): too large", b->node_name);
  }
  float value = 0.0f, *fill = NULL;
  const Onnx__AttributeProto *a = vg_attr_find(np, "value");
  VgShape vs;
  if (a && a->t) {
    if (vg_onnx_tensor_read(a->t, &vs, &fill, err) != VG_OK)
      return vg_error_prefix(err, "node '%s' (ConstantOfShape)", b->node_name);
    value = vg_shape_count(&vs) == 1 ? fill[0] : 0.0f;
    free(fill);
  }
  float *nd = realloc(*d, (size_t)(count ? count : 1) * sizeof *nd);
  if (!nd)
    return vg_error_set(err, "out of memory");
  *d = nd;
  for (int64_t i = 0; i < count; i++)
    nd[i] = value;
  return VG_OK;
}

/* ReduceProd of a constant: `x.std(-1)` exports the count of its Bessel correction as the product
 * of the reduced dims, read from a Shape. Axes from the attribute (opset < 18) or input. */
static int op_reduce_prod(VgBuild *b, const Onnx__NodeProto *np, const ConstInputs *ci,
                          VgShape *out, float **d, VgError *err)
{
  const VgShape *x = &ci->in[0]->shape;
  int64_t axes[VG_MAX_RANK], keepdims, noop;
  int n = -1, reduced[VG_MAX_RANK] = {0};
  if (vg_attr_int(np, "keepdims", 1, &keepdims, err) != VG_OK ||
      vg_attr_int(np, "noop_with_empty_axes", 0, &noop, err) != VG_OK ||
      (b->m->opset < 18 && vg_attr_ints(np, "axes", axes, VG_MAX_RANK, &n, err) != VG_OK))
    return vg_error_prefix(err, "node '%s' (ReduceProd)", b->node_name);
  if (b->m->opset >= 18 && ci->n > 1 && ci->in[1] &&
      ints_of(b, ci->in[1], axes, VG_MAX_RANK, &n, err) != VG_OK)
    return VG_ERR;
  for (int i = 0; i < x->rank; i++)
    reduced[i] = n <= 0 && !noop; /* no axes: all of them, or none with noop_with_empty_axes */
  for (int k = 0; k < n; k++) {
    int64_t a = axes[k] < 0 ? axes[k] + x->rank : axes[k];
    if (a < 0 || a >= x->rank)
      return vg_error_set(err, "node '%s' (ReduceProd): axis out of range", b->node_name);
    reduced[a] = 1;
  }
  int64_t stride[VG_MAX_RANK], idx[VG_MAX_RANK] = {0}, n_out = 1;
  out->rank = 0;
  for (int i = x->rank - 1; i >= 0; i--) {
    stride[i] = reduced[i] ? 0 : n_out;
    n_out *= reduced[i] ? 1 : x->dims[i];
  }
  for (int i = 0; i < x->rank; i++)
    if (!reduced[i] || keepdims)
      out->dims[out->rank++] = reduced[i] ? 1 : x->dims[i];
  for (int64_t o = 0; o < n_out; o++)
    (*d)[o] = 1.0f;
  for (int64_t i = 0, o = 0; i < vg_shape_count(x); i++) {
    (*d)[o] *= ci->in[0]->data[i];
    for (int a = x->rank - 1; a >= 0; a--) { /* the next input index, and its output */
      o += stride[a];
      if (++idx[a] < x->dims[a])
        break;
      o -= stride[a] * x->dims[a];
      idx[a] = 0;
    }
  }
  return VG_OK;
}

static int op_cast(VgBuild *b, const Onnx__NodeProto *np, const ConstInputs *ci, VgShape *out,
                   float **d, VgError *err)
{
  int64_t to;
  if (vg_attr_int(np, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, &to, err) != VG_OK)
    return vg_error_prefix(err, "node '%s' (Cast)", b->node_name);
  if (to < ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || to > ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16 ||
      to == ONNX__TENSOR_PROTO__DATA_TYPE__STRING ||
      to == ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64 ||
      to == ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128) {
    char what[48];
    snprintf(what, sizeof what, "target type %lld", (long long)to);
    return vg_unsupported(b, err, what);
  }
  int is_float =
      to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || to == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ||
      to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 || to == ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16;
  *out = ci->in[0]->shape;
  int64_t count = vg_shape_count(out);
  for (int64_t i = 0; i < count; i++) {
    float x = ci->in[0]->data[i];
    if (to == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL)
      x = x != 0.0f;
    else if (!is_float) /* integer types truncate toward zero */
      x = x >= (float)BIG_INDEX || x <= (float)-BIG_INDEX || x != x ? x : (float)(int64_t)x;
    (*d)[i] = x;
  }
  return VG_OK;
}

typedef int (*ConstOpFn)(VgBuild *b, const Onnx__NodeProto *np, const ConstInputs *ci, VgShape *out,
                         float **d, VgError *err);

/* attrs: the attributes each op may carry; any other is refused (see VgOpSpec). Slice's are
 * those of opsets 1-9 (inputs since 10). */
static const struct {
  const char *name;
  ConstOpFn fn;
  const char *attrs;
} const_ops[] = {
    {"Shape", op_shape, "start end"},
    {"ConstantOfShape", op_constant_of_shape, "value"},
    {"Gather", op_gather, "axis"},
    {"Slice", op_slice, "starts ends axes"},
    {"Cast", op_cast, "to"},
    {"Transpose", op_transpose, "perm"},
    {"ReduceProd", op_reduce_prod, "axes keepdims noop_with_empty_axes"},
};

/* Largest output any of these ops can produce from inputs of n floats (before ConstantOfShape,
 * which sizes its own buffer): Gather can repeat data, but only as many times as it has indices. */
static int64_t out_bound(const ConstInputs *ci, int gather)
{
  int64_t n = vg_shape_count(&ci->in[0]->shape);
  if (gather && ci->n > 1 && ci->in[1])
    n *= vg_shape_count(&ci->in[1]->shape) > 0 ? vg_shape_count(&ci->in[1]->shape) : 1;
  return n > VG_MAX_RANK ? n : VG_MAX_RANK;
}

int vg_onnx_const_op(VgBuild *b, const Onnx__NodeProto *np, VgError *err)
{
  ConstOpFn fn = NULL;
  const char *attrs = "";
  for (size_t i = 0; i < sizeof const_ops / sizeof const_ops[0]; i++)
    if (strcmp(b->op_type, const_ops[i].name) == 0) {
      fn = const_ops[i].fn;
      attrs = const_ops[i].attrs;
    }
  if (!fn)
    return 0;
  if (vg_check_attrs(b, np, attrs, err) != VG_OK)
    return VG_ERR;
  int x = np->n_input >= 1 && np->input[0][0] ? vg_name_map_get(&b->names, np->input[0]) : -1;
  if (fn == op_shape && x >= 0 && b->m->values[x].kind != VG_VALUE_CONST) { /* vg_time_sized.c */
    int64_t start, end;
    if (shape_slice(b, np, b->shapes[x].rank, &start, &end, err) != VG_OK)
      return VG_ERR;
    return vg_onnx_shape_of_computed(b, np, x, start, end, err) == VG_OK ? 1 : VG_ERR;
  }
  if (fn == op_slice && x >= 0 && b->m->values[x].kind != VG_VALUE_CONST)
    return vg_onnx_add_slice(b, np, x, err) == VG_OK ? 1 : VG_ERR; /* vg_onnx_slice.c */
  if (fn == op_gather && x >= 0 && b->m->values[x].kind != VG_VALUE_CONST)
    return vg_onnx_add_gather(b, np, x, err) == VG_OK ? 1 : VG_ERR;
  ConstInputs ci;
  if (const_inputs(b, np, 0, &ci, err) != VG_OK)
    return VG_ERR;
  int64_t bound = out_bound(&ci, fn == op_gather);
  if (bound > VG_MAX_CONST_VALUES - b->const_floats)
    return vg_error_set(err, "node '%s' (%s): result too large", b->node_name, b->op_type);
  VgShape out = {0};
  float *d = malloc((size_t)bound * sizeof *d);
  if (!d)
    return vg_error_set(err, "out of memory");
  if (fn(b, np, &ci, &out, &d, err) != VG_OK) {
    free(d);
    return VG_ERR;
  }
  int v = vg_build_add_const(b, np->output[0], &out, d, err);
  if (v < 0)
    return VG_ERR;
  if (fn == op_gather)
    b->time_sized[v] = vg_onnx_gather_mark(b, ci.in[0], ci.in[1], &b->m->values[v]);
  else /* computed from a time-sized constant: time-sized too */
    for (int k = 0; k < ci.n; k++)
      if (ci.in[k] && b->time_sized[ci.in[k] - b->m->values])
        b->time_sized[v] = VG_TIME_SIZED_ALL;
  vg_name_map_put(&b->names, np->output[0], v);
  return 1;
}
