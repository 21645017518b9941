/* Shapes of every value for any input length, and which values follow the time axis.
 *
 * Every rule below is ONNX's, applied to batch-1 shapes; a node whose inputs do not fit its rule
 * is an error naming the node. Activation sizes are bounded (VG_MAX_DIM per axis, VG_MAX_ACT in
 * all) so that buffers planned from these shapes stay allocatable.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vg_onnx_priv.h"

#define VG_MAX_ACT (1LL << 30) /* floats in one activation */

int64_t vg_shape_width(const VgShape *shape)
{
  if (shape->rank < 2)
    return 0;
  int64_t w = 1;
  for (int i = 1; i < shape->rank - 1; i++)
    w *= shape->dims[i];
  return w;
}

int64_t vg_shape_count(const VgShape *shape)
{
  int64_t n = 1;
  for (int i = 0; i < shape->rank; i++)
    n *= shape->dims[i];
  return n;
}

/* Every dim in [min_dim, VG_MAX_DIM] and the count within VG_MAX_ACT (products stay below 2^54).
 * Activations are never empty; constant computations (folded at load) may be. */
static int check_act(const VgShape *s, int min_dim, VgError *err)
{
  int64_t n = 1;
  for (int i = 0; i < s->rank; i++) {
    if (s->dims[i] < min_dim || s->dims[i] > VG_MAX_DIM)
      return vg_error_set(err, "output axis %d would have size %lld", i, (long long)s->dims[i]);
    n *= s->dims[i];
    if (n > VG_MAX_ACT)
      return vg_error_set(err, "output would hold more than %lld values", (long long)VG_MAX_ACT);
  }
  return VG_OK;
}

/* ---- sliding windows ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Output length along spatial axis `ax` (ONNX's formulas; the time axis uses vg_time.c's). */
static int64_t axis_out_len(const VgNode *node, int ax, int64_t n)
{
  const VgWindow *w = &node->win;
  if (ax == w->n_spatial - 1)
    return vg_node_time_out_len(node, n);
  int64_t k = w->kernel[ax], s = w->stride[ax], d = w->dilation[ax];
  int64_t pb = w->pad_begin[ax], pe = w->pad_end[ax];
  if (node->op == VG_OP_PAD)
    return n + pb + pe;
  if (node->op == VG_OP_CONV_TRANSPOSE)
    return (n - 1) * s - pb - pe + d * (k - 1) + w->output_padding[ax] + 1;
  int64_t span = n + pb + pe - d * (k - 1) - 1;
  if (span < (w->ceil_mode ? 1 - s : 0)) /* ceil_mode: as vg_time.c's window_out_len */
    return 0;
  if (!w->ceil_mode)
    return span / s + 1;
  int64_t out = -floor_div(-span, s) + 1;
  if ((out - 1) * s >= n + pb)
    out--;
  return out;
}

static int window_shape(const VgNode *node, const VgShape *in, VgShape *out, VgError *err)
{
  int ns = node->win.n_spatial;
  if (in->rank != ns + 2)
    return vg_error_set(err, "input has rank %d, expected %d", in->rank, ns + 2);
  *out = *in;
  for (int a = 0; a < ns; a++) {
    out->dims[2 + a] = axis_out_len(node, a, in->dims[2 + a]);
    if (out->dims[2 + a] < 1)
      return vg_error_set(err, "the window does not fit in an input of length %lld (axis %d)",
                          (long long)in->dims[2 + a], 2 + a);
    int64_t p = node->win.pad_begin[a] > node->win.pad_end[a] ? node->win.pad_begin[a]
                                                              : node->win.pad_end[a];
    if (node->op == VG_OP_PAD && node->pad_mode == VG_PAD_REFLECT && p >= in->dims[2 + a])
      return vg_error_set(err, "reflect padding of %lld needs more than %lld entries (axis %d)",
                          (long long)p, (long long)p, 2 + a);
  }
  return VG_OK;
}

static int conv_shape(const VgModel *m, const VgNode *node, const VgShape *sh, VgShape *out,
                      VgError *err)
{
  const VgShape *x = &sh[node->inputs[0]], *w = &sh[node->inputs[1]];
  int ns = node->win.n_spatial, g = node->win.group;
  int transpose = node->op == VG_OP_CONV_TRANSPOSE;
  if (w->rank != ns + 2 || x->rank != ns + 2)
    return vg_error_set(err, "input rank %d and weight rank %d do not match", x->rank, w->rank);
  for (int a = 0; a < ns; a++)
    if (w->dims[2 + a] != node->win.kernel[a])
      return vg_error_set(err, "weight shape does not match kernel_shape");
  /* Conv: W is [M, C/g, k...]; ConvTranspose: W is [C, M/g, k...]. */
  int64_t c_in = transpose ? w->dims[0] : w->dims[1] * g;
  int64_t m_out = transpose ? w->dims[1] * g : w->dims[0];
  if (x->dims[1] != c_in || (!transpose && m_out % g) || (transpose && c_in % g))
    return vg_error_set(err,
                        "%lld input channels do not fit weights [%lld, %lld, ...] in %d groups",
                        (long long)x->dims[1], (long long)w->dims[0], (long long)w->dims[1], g);
  if (node->n_inputs > 2) {
    const VgShape *b = &sh[node->inputs[2]];
    if (b->rank != 1 || b->dims[0] != m_out)
      return vg_error_set(err, "bias should have shape [%lld]", (long long)m_out);
  }
  if (window_shape(node, x, out, err) != VG_OK)
    return VG_ERR;
  out->dims[1] = m_out;
  (void)m;
  return VG_OK;
}

/* BatchNormalization (inputs 1-4) and InstanceNormalization (1-2, over at least one axis): one
 * parameter per channel. */
static int batch_norm_shape(const VgNode *node, const VgShape *sh, VgShape *out, VgError *err)
{
  const VgShape *x = &sh[node->inputs[0]];
  int instance = node->op == VG_OP_INSTANCE_NORM;
  if (x->rank < (instance ? 3 : 2))
    return vg_error_set(err, "input has rank %d", x->rank);
  int64_t n = instance && node->win.group > 0 ? node->win.group : x->dims[1]; /* GroupNorm's G */
  for (int k = 1; k < (instance ? 3 : 5); k++) {
    const VgShape *p = &sh[node->inputs[k]];
    if (p->rank != 1 || p->dims[0] != n)
      return vg_error_set(err, "parameter %d should have shape [%lld]", k, (long long)n);
  }
  *out = *x;
  return VG_OK;
}

static int global_pool_shape(const VgShape *x, VgShape *out, VgError *err)
{
  if (x->rank < 3)
    return vg_error_set(err, "input has rank %d (at least 3)", x->rank);
  *out = *x;
  for (int i = 2; i < x->rank; i++)
    out->dims[i] = 1;
  return VG_OK;
}

/* ---- broadcasting and products ---- */

/* numpy broadcasting of a and b (aligned on their last axes). */
static int broadcast(const VgShape *a, const VgShape *b, VgShape *out, VgError *err)
{
  int r = a->rank > b->rank ? a->rank : b->rank;
  out->rank = r;
  for (int i = 0; i < r; i++) {
    int ia = a->rank - r + i, ib = b->rank - r + i;
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return vg_error_set(err, "shapes do not broadcast (axis %d: %lld vs %lld)", i, (long long)da,
                          (long long)db);
    out->dims[i] = da == 1 ? db : da;
  }
  return VG_OK;
}

static int gemm_shape(const VgNode *node, const VgShape *sh, VgShape *out, VgError *err)
{
  const VgShape *a = &sh[node->inputs[0]], *b = &sh[node->inputs[1]];
  if (a->rank != 2 || b->rank != 2)
    return vg_error_set(err, "Gemm needs rank-2 inputs (got %d and %d)", a->rank, b->rank);
  int64_t m = a->dims[node->trans_a ? 1 : 0], k = a->dims[node->trans_a ? 0 : 1];
  int64_t kb = b->dims[node->trans_b ? 1 : 0], n = b->dims[node->trans_b ? 0 : 1];
  if (k != kb)
    return vg_error_set(err, "inner dimensions differ (%lld vs %lld)", (long long)k, (long long)kb);
  out->rank = 2;
  out->dims[0] = m;
  out->dims[1] = n;
  if (node->n_inputs > 2) { /* C broadcasts to [M, N] one way only */
    VgShape bc;
    if (broadcast(out, &sh[node->inputs[2]], &bc, err) != VG_OK || bc.rank != 2 ||
        bc.dims[0] != m || bc.dims[1] != n)
      return vg_error_set(err, "C does not broadcast to [%lld, %lld]", (long long)m, (long long)n);
  }
  return VG_OK;
}

/* numpy matmul: rank-1 operands get a 1 prepended (A) or appended (B), removed afterwards. */
static int matmul_shape(const VgNode *node, const VgShape *sh, VgShape *out, VgError *err)
{
  VgShape a = sh[node->inputs[0]], b = sh[node->inputs[1]], ba, bb, batch;
  if (a.rank < 1 || b.rank < 1)
    return vg_error_set(err, "MatMul of a scalar");
  int a1 = a.rank == 1, b1 = b.rank == 1;
  if (a1) {
    a.rank = 2;
    a.dims[1] = a.dims[0];
    a.dims[0] = 1;
  }
  if (b1) {
    b.rank = 2;
    b.dims[1] = 1;
  }
  if (a.dims[a.rank - 1] != b.dims[b.rank - 2])
    return vg_error_set(err, "inner dimensions differ (%lld vs %lld)",
                        (long long)a.dims[a.rank - 1], (long long)b.dims[b.rank - 2]);
  ba = a;
  ba.rank -= 2;
  bb = b;
  bb.rank -= 2;
  if (broadcast(&ba, &bb, &batch, err) != VG_OK)
    return VG_ERR;
  *out = batch;
  if (!a1)
    out->dims[out->rank++] = a.dims[a.rank - 2];
  if (!b1)
    out->dims[out->rank++] = b.dims[b.rank - 1];
  return VG_OK;
}

static int concat_shape(const VgNode *node, const VgShape *sh, VgShape *out, VgError *err)
{
  *out = sh[node->inputs[0]];
  if (node->axis < 0 || node->axis >= out->rank)
    return vg_error_set(err, "axis %d out of range for rank %d", node->axis, out->rank);
  for (int k = 1; k < node->n_inputs; k++) {
    const VgShape *s = &sh[node->inputs[k]];
    if (s->rank != out->rank)
      return vg_error_set(err, "inputs of different ranks");
    for (int i = 0; i < s->rank; i++)
      if (i != node->axis && s->dims[i] != out->dims[i])
        return vg_error_set(err, "inputs differ on axis %d (%lld vs %lld)", i,
                            (long long)s->dims[i], (long long)out->dims[i]);
    out->dims[node->axis] += s->dims[node->axis];
    if (out->dims[node->axis] > VG_MAX_DIM)
      return vg_error_set(err, "concatenation too long");
  }
  return VG_OK;
}

/* ---- reshapes ---- */

static int reshape_target(const VgNode *node, const VgShape *in, VgShape *out, VgError *err)
{
  int64_t total = vg_shape_count(in), known = 1;
  int infer = -1;
  out->rank = node->n_axes;
  for (int i = 0; i < node->n_axes; i++) {
    int64_t d = node->axes[i];
    if (d == 0 && i >= in->rank)
      return vg_error_set(err, "target entry %d copies an axis the input lacks", i);
    d = d == 0 ? in->dims[i] : d;
    if (d == -1) {
      infer = i;
      continue;
    }
    if (d < 1 || d > VG_MAX_DIM)
      return vg_error_set(err, "target entry %d is %lld", i, (long long)d);
    out->dims[i] = d;
    known *= d;
    if (known > total)
      return vg_error_set(err, "target holds more values than the input's %lld", (long long)total);
  }
  if (infer >= 0) {
    if (total % known)
      return vg_error_set(err, "%lld values do not split into the target", (long long)total);
    out->dims[infer] = total / known;
  } else if (known != total) {
    return vg_error_set(err, "target holds %lld values, the input %lld", (long long)known,
                        (long long)total);
  }
  return VG_OK;
}

static int reshape_shape(const VgNode *node, const VgShape *in, VgShape *out, VgError *err)
{
  switch (node->reshape_kind) {
  case VG_RESHAPE_TARGET:
    return reshape_target(node, in, out, err);
  case VG_RESHAPE_FLATTEN: {
    if (node->axis < 0 || node->axis > in->rank)
      return vg_error_set(err, "axis %d out of range", node->axis);
    out->rank = 2;
    out->dims[0] = out->dims[1] = 1;
    for (int i = 0; i < in->rank; i++)
      out->dims[i < node->axis ? 0 : 1] *= in->dims[i];
    return VG_OK;
  }
  case VG_RESHAPE_SQUEEZE: {
    out->rank = 0;
    for (int i = 0, k = 0; i < in->rank; i++) {
      if (k < node->n_axes && node->axes[k] == i) {
        if (in->dims[i] != 1)
          return vg_error_set(err, "cannot squeeze axis %d of size %lld", i,
                              (long long)in->dims[i]);
        k++;
        continue;
      }
      out->dims[out->rank++] = in->dims[i];
    }
    return VG_OK;
  }
  default: { /* VG_RESHAPE_UNSQUEEZE */
    int r = in->rank + node->n_axes;
    if (r > VG_MAX_RANK)
      return vg_error_set(err, "output rank %d (at most %d)", r, VG_MAX_RANK);
    out->rank = r;
    for (int i = 0, k = 0, j = 0; i < r; i++) {
      if (k < node->n_axes && node->axes[k] == i) {
        out->dims[i] = 1;
        k++;
      } else {
        out->dims[i] = in->dims[j++];
      }
    }
    return VG_OK;
  }
  }
}

/* Slice: a box of fixed axes (vg_onnx_slice.c); axes marked -1 keep their length, time's too. */
static int slice_shape(const VgNode *node, const VgShape *in, VgShape *out, VgError *err)
{
  *out = *in;
  for (int a = 0; a < in->rank; a++) {
    int64_t s = node->slice_start[a], n = node->slice_len[a];
    if (n < 0)
      continue;
    if (s < 0 || n < 1 || s > in->dims[a] - n)
      return vg_error_set(err, "entries [%lld, %lld) of axis %d, which has %lld", (long long)s,
                          (long long)(s + n), a, (long long)in->dims[a]);
    out->dims[a] = n;
  }
  return VG_OK;
}

/* ---- one node ---- */

static int node_shape(const VgModel *m, const VgNode *node, const VgShape *sh, VgShape *out,
                      VgError *err)
{
  const VgShape *x = &sh[node->inputs[0]];
  if (vg_op_is_arithmetic(node->op)) { /* Where's three inputs broadcast together */
    VgShape ab;
    if (broadcast(x, &sh[node->inputs[1]], &ab, err) != VG_OK)
      return VG_ERR;
    return node->n_inputs > 2 ? broadcast(&ab, &sh[node->inputs[2]], out, err) : (*out = ab, VG_OK);
  }
  switch (node->op) {
  case VG_OP_CONV:
  case VG_OP_CONV_TRANSPOSE:
    return conv_shape(m, node, sh, out, err);
  case VG_OP_MAX_POOL:
  case VG_OP_AVG_POOL:
  case VG_OP_PAD:
    return window_shape(node, x, out, err);
  case VG_OP_BATCH_NORM:
  case VG_OP_INSTANCE_NORM:
    return batch_norm_shape(node, sh, out, err);
  case VG_OP_GLOBAL_AVG_POOL:
  case VG_OP_GLOBAL_MAX_POOL:
    return global_pool_shape(x, out, err);
  case VG_OP_RESHAPE:
    return reshape_shape(node, x, out, err);
  case VG_OP_GEMM:
    return gemm_shape(node, sh, out, err);
  case VG_OP_MATMUL:
    return matmul_shape(node, sh, out, err);
  case VG_OP_CONCAT:
    return concat_shape(node, sh, out, err);
  case VG_OP_SLICE:
    return slice_shape(node, x, out, err);
  case VG_OP_REDUCE:
    *out = *x;
    for (int i = 0; i < node->n_axes; i++) {
      if (node->axes[i] < 1 || node->axes[i] >= x->rank)
        return vg_error_set(err, "axis %lld out of range", (long long)node->axes[i]);
      out->dims[node->axes[i]] = 1;
    }
    return VG_OK;
  case VG_OP_SOFTMAX:
    if (node->axis < 0 || node->axis >= x->rank)
      return vg_error_set(err, "axis %d out of range for rank %d", node->axis, x->rank);
    *out = *x;
    return VG_OK;
  default: /* pointwise */
    *out = *x;
    return VG_OK;
  }
}

int vg_shape_node(const VgModel *m, const VgNode *node, VgShape *shapes, VgError *err)
{
  VgShape out;
  int all_const = 1;
  memset(&out, 0, sizeof out);
  for (int k = 0; k < node->n_inputs; k++)
    all_const &= m->values[node->inputs[k]].kind == VG_VALUE_CONST;
  if (node_shape(m, node, shapes, &out, err) != VG_OK ||
      check_act(&out, all_const ? 0 : 1, err) != VG_OK)
    return vg_error_prefix(err, "node '%s' (%s)", node->name, vg_op_name(node->op));
  shapes[node->output] = out;
  return VG_OK;
}

/* A binary op the loader made time-local (its time inputs as long as its output at the loaded
 * length) reads column j of each time input for output column j. At another length one input may
 * have one column where the other has several (x + branch(x) when the branch's strides leave one
 * column of a short window): ONNX broadcasts it, which column-aligned kernels cannot do (they read
 * past the one column), so that length is refused. */
static int time_inputs_aligned(const VgModel *model, const VgNode *node, const VgShape *shapes,
                               VgError *err)
{
  if (!vg_op_is_arithmetic(node->op) || !vg_node_is_time_local(model, node))
    return VG_OK;
  const VgShape *o = &shapes[node->output];
  for (int k = 0; k < node->n_inputs; k++) {
    const VgShape *s = &shapes[node->inputs[k]];
    if (vg_model_is_time_value(model, node->inputs[k]) &&
        s->dims[s->rank - 1] != o->dims[o->rank - 1])
      return vg_error_set(err,
                          "node '%s' (%s): its input '%s' has %lld columns and its output %lld; "
                          "Vigil does not broadcast a time input along time (a longer window "
                          "aligns them)",
                          node->name, vg_op_name(node->op), model->values[node->inputs[k]].name,
                          (long long)s->dims[s->rank - 1], (long long)o->dims[o->rank - 1]);
  }
  return VG_OK;
}

int vg_model_infer_shapes(const VgModel *model, int64_t t_in, VgShape *shapes, VgError *err)
{
  const VgShape *in = &model->values[model->input].shape;
  if (t_in < 1 || t_in > VG_MAX_DIM)
    return vg_error_set(err, "input length %lld out of range [1, %ld]", (long long)t_in,
                        (long)VG_MAX_DIM);
  if (model->fixed_length && t_in != model->fixed_length)
    return vg_error_set(err,
                        "the model computes sizes from the length of its time axis (%s), so it "
                        "runs only at the length it was loaded at, %lld columns, not %lld",
                        model->fixed_length_why, (long long)model->fixed_length, (long long)t_in);
  for (int i = 0; i < model->n_values; i++)
    shapes[i] = model->values[i].shape;
  shapes[model->input].dims[in->rank - 1] = t_in;
  for (int i = 0; i < model->n_nodes; i++)
    if (vg_shape_node(model, &model->nodes[i], shapes, err) != VG_OK ||
        time_inputs_aligned(model, &model->nodes[i], shapes, err) != VG_OK)
      return vg_error_prefix(err, "at input length %lld", (long long)t_in);
  return VG_OK;
}
