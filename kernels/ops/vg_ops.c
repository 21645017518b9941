/* The op kernel interface (vg_ops.h): weight preparation, scratch sizes, and the dispatch of
 * time-local and head nodes to the op families.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "ops_priv.h"

VgPacked *ops_packed_new(int64_t n_w, int64_t n_bias, int64_t n_aux, VgError *err)
{
  size_t floats, bytes;
  if (n_w < 0 || n_bias < 0 || n_aux < 0 || !vg_size_add((size_t)n_w, (size_t)n_bias, &floats) ||
      !vg_size_add(floats, (size_t)n_aux, &floats) || !vg_size_mul(floats, sizeof(float), &bytes) ||
      !vg_size_add(bytes, sizeof(VgPacked), &bytes)) {
    vg_error_set(err, "packed weights too large");
    return NULL;
  }
  VgPacked *p = calloc(1, bytes);
  if (!p) {
    vg_error_set(err, "out of memory for %zu bytes of packed weights", bytes);
    return NULL;
  }
  float *f = (float *)(p + 1);
  p->w = f;
  p->bias = f + n_w;
  p->aux = f + n_w + n_bias;
  p->n_w = n_w;
  p->n_bias = n_bias;
  p->n_aux = n_aux;
  return p;
}

void ops_packed_attach(VgNode *node, VgPacked *p)
{
  if (node->packed && node->packed_free)
    node->packed_free(node->packed);
  node->packed = p;
  node->packed_free = free;
}

/* Relu after a Conv on the AVX-512 path: the conv applies it while its outputs are in registers,
 * and the Relu node, which the executor runs in place, then finds nothing to do. Only when the
 * Relu is the conv output's sole reader (and that output is not the graph's), so that no other
 * node sees the rectified values. A Relu run out of place (or again) gives the same values. */
static void fuse_relus(VgModel *model)
{
  for (int i = 0; i < model->n_nodes; i++) {
    const VgNode *relu = &model->nodes[i];
    int v = relu->n_inputs == 1 ? relu->inputs[0] : -1;
    if (relu->op != VG_OP_RELU || v < 0 || vg_model_is_output(model, v) ||
        model->values[v].kind != VG_VALUE_NODE || model->values[v].producer < 0)
      continue;
    VgNode *conv = &model->nodes[model->values[v].producer];
    VgPacked *p = conv->packed;
    if (conv->op != VG_OP_CONV || !p || !conv_fusable(p))
      continue;
    int readers = 0;
    for (int n = 0; n < model->n_nodes; n++)
      for (int k = 0; k < model->nodes[n].n_inputs; k++)
        readers += model->nodes[n].inputs[k] == v;
    p->fused_relu = readers == 1;
  }
}

int vg_ops_node_is_fused(const VgModel *model, const VgNode *node)
{
  if (node->op != VG_OP_RELU || node->n_inputs != 1 || node->inputs[0] < 0)
    return 0;
  int producer = model->values[node->inputs[0]].producer;
  const VgPacked *p = producer >= 0 ? model->nodes[producer].packed : NULL;
  return p && model->nodes[producer].op == VG_OP_CONV && p->fused_relu;
}

/* Whether node's Relu was fused into the conv that produced its input (fuse_relus) and runs in
 * place, so that its output already holds the result. */
static int relu_done(const VgModel *model, const VgNode *node, const VgSeq *x, const VgSeq *out,
                     int64_t j0)
{
  return seq_col(x, j0) == seq_col(out, j0) && vg_ops_node_is_fused(model, node);
}

/* OpenBLAS's thread count as Vigil last set it (0: never; the first vg_ops_prepare then sets the
 * default of one thread, where OpenBLAS alone would start one per core). Set only when it
 * changes, under a lock: openblas_set_num_threads resizes OpenBLAS's thread pool, which must not
 * happen while another thread runs a threaded GEMM, and every model load used to call it (a
 * sweep with several pipelines per process, each loading models, once saw a pipeline stall). */
static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;
static int threads_set;

static void set_threads(int threads, int only_if_unset)
{
  pthread_mutex_lock(&threads_lock);
  if (threads != threads_set && !(only_if_unset && threads_set)) {
    openblas_set_num_threads(threads);
    threads_set = threads;
  }
  pthread_mutex_unlock(&threads_lock);
}

const char *vg_ops_node_kernel(const VgNode *node)
{
  if (!node->packed)
    return NULL;
  if (node->op == VG_OP_CONV)
    return conv_kernel_name(node->packed, node->win.kernel[node->win.n_spatial - 1],
                            node->win.dilation[node->win.n_spatial - 1]);
  return node->op == VG_OP_CONV_TRANSPOSE ? convt_kernel_name(node->packed) : NULL;
}

int vg_ops_prepare(VgModel *model, VgError *err)
{
  set_threads(1, 1);
  for (int i = 0; i < model->n_nodes; i++) {
    VgNode *node = &model->nodes[i];
    int rc = VG_OK;
    if (node->packed)
      continue; /* prepared already */
    switch (vg_op_is_arithmetic(node->op) ? VG_OP_ADD : node->op) {
    case VG_OP_CONV:
      rc = conv_prepare(model, node, err);
      break;
    case VG_OP_CONV_TRANSPOSE:
      rc = convt_prepare(model, node, err);
      break;
    case VG_OP_BATCH_NORM:
      rc = pointwise_prepare(model, node, err);
      break;
    case VG_OP_ADD: /* every element-wise op of several inputs (vg_op_is_arithmetic) */
      rc = binary_prepare(model, node, err);
      break;
    default:
      break;
    }
    if (rc != VG_OK)
      return rc;
  }
  fuse_relus(model);
  return VG_OK;
}

/* Head ops that read their inputs in ONNX order (all but the global pools and reshapes, which
 * read time-major columns themselves). */
static int reads_onnx_order(VgOpType op)
{
  return op != VG_OP_GLOBAL_AVG_POOL && op != VG_OP_GLOBAL_MAX_POOL && op != VG_OP_RESHAPE &&
         op != VG_OP_IDENTITY;
}

/* Ops that slide a window along time (vg_time.c): they run on time-major columns. */
static int slides_along_time(VgOpType op)
{
  return op == VG_OP_CONV || op == VG_OP_CONV_TRANSPOSE || op == VG_OP_MAX_POOL ||
         op == VG_OP_AVG_POOL || op == VG_OP_PAD;
}

/* Floats a sliding op on a plain value needs besides its kernel's scratch: the value and the
 * output as columns (window_on_plain), and room to align. */
static size_t plain_columns_floats(const VgModel *model, const VgNode *node, const VgShape *shapes)
{
  if (!slides_along_time(node->op) || vg_model_is_time_value(model, node->inputs[0]))
    return 0;
  return (size_t)(ops_count(ops_in_shape(shapes, node, 0)) +
                  ops_count(ops_out_shape(shapes, node))) +
         32;
}

size_t vg_ops_scratch_floats(const VgModel *model, const VgNode *node, const VgShape *shapes,
                             int64_t max_cols)
{
  if (max_cols < 1)
    max_cols = 1;
  switch (node->op) {
  case VG_OP_CONV:
    return conv_scratch(model, node, shapes, max_cols) + plain_columns_floats(model, node, shapes);
  case VG_OP_CONV_TRANSPOSE:
    return convt_scratch(model, node, shapes, max_cols) + plain_columns_floats(model, node, shapes);
  case VG_OP_PAD:
    if (node->pad_mode != VG_PAD_CONSTANT)
      break; /* a head op: its time input in ONNX order, below */
    return plain_columns_floats(model, node, shapes);
  case VG_OP_MAX_POOL:
  case VG_OP_AVG_POOL:
    return plain_columns_floats(model, node, shapes);
  case VG_OP_REDUCE: /* a double per output value of a column (or of a plain value) */
    return 2 * (size_t)(vg_model_is_time_value(model, node->output)
                            ? ops_width(ops_out_shape(shapes, node))
                            : ops_count(ops_out_shape(shapes, node))) +
           2;
  default:
    break;
  }
  /* A head node other than the global pools and reshapes gets its time inputs in ONNX order. */
  size_t n = 0;
  if (reads_onnx_order(node->op) && !vg_node_is_time_local(model, node))
    for (int i = 0; i < node->n_inputs; i++)
      if (node->inputs[i] >= 0 && vg_model_is_time_value(model, node->inputs[i]))
        n += (size_t)ops_count(&shapes[node->inputs[i]]);
  return n;
}

/* Channels-by-F columns: floats per channel, for BatchNorm (F for [1, C, F, T], 1 for [1, C, T]).
 */
static int64_t per_channel(const VgShape *s)
{
  return s->rank >= 3 ? ops_prod(s, 2, s->rank - 1) : 1;
}

static int softmax_time(const VgModel *model, const VgNode *node, const VgShape *os,
                        const VgSeq *in, VgSeq *out, int64_t j0, int64_t j1)
{
  int a = node->axis;
  if (a == 0) { /* over the batch axis of size 1: every value is 1 */
    for (int64_t j = j0; j < j1; j++)
      for (int64_t i = 0; i < out->width; i++)
        seq_col_mut(out, j)[i] = node->log_softmax ? 0.0f : 1.0f;
    return VG_OK;
  }
  if (a > os->rank - 2 || model->opset < 13)
    return VG_ERR; /* along time (or, before opset 13, over axes a .. time) is not column-local */
  int64_t outer = ops_prod(os, 1, a), n = os->dims[a], inner = ops_prod(os, a + 1, os->rank - 1);
  for (int64_t j = j0; j < j1; j++)
    softmax_apply(seq_col(in, j), seq_col_mut(out, j), outer, n, inner, node->log_softmax);
  return VG_OK;
}

int vg_ops_forward_time(const VgModel *model, const VgNode *node, const VgShape *shapes,
                        const VgSeq *const *in, VgSeq *out, int64_t j0, int64_t j1, float *scratch)
{
  const VgSeq *x = in[0];
  if (j1 <= j0)
    return VG_OK;
  if (!node->packed &&
      (node->op == VG_OP_CONV || node->op == VG_OP_CONV_TRANSPOSE || node->op == VG_OP_BATCH_NORM))
    return VG_ERR; /* vg_ops_prepare was not called */
  switch (vg_op_is_arithmetic(node->op) ? VG_OP_ADD : node->op) {
  case VG_OP_CONV:
    return x ? conv_forward(model, node, shapes, x, out, j0, j1, scratch, NULL) : VG_ERR;
  case VG_OP_CONV_TRANSPOSE:
    return x ? convt_forward(model, node, shapes, x, out, j0, j1, scratch) : VG_ERR;
  case VG_OP_MAX_POOL:
  case VG_OP_AVG_POOL:
    return x ? pool_forward(model, node, shapes, x, out, j0, j1) : VG_ERR;
  case VG_OP_PAD:
    return x ? pad_forward(model, node, shapes, x, out, j0, j1) : VG_ERR;
  case VG_OP_ADD: /* every element-wise op of several inputs (vg_op_is_arithmetic) */
    return binary_forward_time(model, node, shapes, in, out, j0, j1);
  case VG_OP_CONCAT:
    return concat_forward_time(node, shapes, in, out, j0, j1);
  case VG_OP_SLICE:
    return x ? slice_forward_time(node, shapes, x, out, j0, j1) : VG_ERR;
  case VG_OP_REDUCE:
    return x ? reduce_forward_time(node, shapes, x, out, j0, j1, scratch) : VG_ERR;
  case VG_OP_SOFTMAX:
    return x ? softmax_time(model, node, ops_out_shape(shapes, node), x, out, j0, j1) : VG_ERR;
  case VG_OP_RESHAPE:
  case VG_OP_IDENTITY:
    /* a column-local reshape keeps every column's floats in the same order */
    if (!x || x->width != out->width)
      return VG_ERR;
    if (seq_col(x, j0) == seq_col_mut(out, j0))
      return VG_OK; /* the executor ran it in place */
    memmove(seq_col_mut(out, j0), seq_col(x, j0), (size_t)((j1 - j0) * out->width) * sizeof(float));
    return VG_OK;
  default:
    if (!x || !is_pointwise(node->op) || x->width != out->width)
      return VG_ERR;
    if (relu_done(model, node, x, out, j0))
      return VG_OK;
    return pointwise_apply(node, seq_col(x, j0), seq_col_mut(out, j0), j1 - j0, out->width,
                           per_channel(ops_out_shape(shapes, node)));
  }
}

int vg_ops_forward_pooled(const VgModel *model, const VgNode *node, const VgNode *pool,
                          const VgShape *shapes, const VgSeq *const *in, VgSeq *out, float *pooled,
                          float *scratch)
{
  const VgShape *ps = ops_in_shape(shapes, pool, 0);
  if (pool->op != VG_OP_GLOBAL_AVG_POOL || ps->rank != 3 || out->first != 0 ||
      out->width != ps->dims[1] || out->count != ps->dims[2])
    return VG_ERR;
  if (node->op == VG_OP_CONV && in[0] && node->packed) {
    memset(pooled, 0, (size_t)out->width * sizeof(float));
    int rc = conv_forward(model, node, shapes, in[0], out, 0, out->count, scratch, pooled);
    if (rc == CONV_SUMMED) {
      for (int64_t c = 0; c < out->width && pool->reduce != VG_REDUCE_SUM; c++)
        pooled[c] /= (float)out->count; /* as global_pool_forward divides */
      return VG_OK;
    }
    if (rc != VG_OK)
      return rc;
  } else if (vg_ops_forward_time(model, node, shapes, in, out, 0, out->count, scratch) != VG_OK) {
    return VG_ERR;
  }
  return global_pool_forward(pool, ps, 1, out->data, pooled);
}

/* A conv, pool or pad over a plain value (a 1x1 conv after a global pool in a squeeze-and-
 * excitation block, [1, C, 1]): its last axis is run as time, the value turned into columns and
 * back around the time kernel. scratch: plain_columns_floats, then the kernel's. */
static int window_on_plain(const VgModel *model, const VgNode *node, const VgShape *shapes,
                           const float *in, float *out, float *scratch)
{
  const VgShape *is = ops_in_shape(shapes, node, 0), *os = ops_out_shape(shapes, node);
  int64_t ti = is->dims[is->rank - 1], to = os->dims[os->rank - 1];
  if (is->rank < 3 || ti < 1 || to < 1)
    return VG_ERR;
  int64_t wi = ops_count(is) / ti, wo = ops_count(os) / to;
  float *ci = scratch, *co = ci + ops_count(is);
  float *kernel = (float *)(((uintptr_t)(co + ops_count(os)) + 63) & ~(uintptr_t)63);
  vg_ops_transpose(in, ci, wi, ti);
  VgSeq x = {.data = ci, .first = 0, .count = ti, .lo = 0, .hi = ti, .width = wi};
  VgSeq y = {.data = co, .first = 0, .count = to, .lo = 0, .hi = to, .width = wo};
  const VgSeq *xs[1] = {&x};
  if (vg_ops_forward_time(model, node, shapes, xs, &y, 0, to, kernel) != VG_OK)
    return VG_ERR;
  vg_ops_transpose(co, out, to, wo);
  return VG_OK;
}

/* Time-major columns [t][w] of a time value to ONNX order [w][t]. */
static void columns_to_onnx(const float *in, float *out, int64_t t_len, int64_t w)
{
  vg_ops_transpose(in, out, t_len, w);
}

static int softmax_plain(const VgModel *model, const VgNode *node, const VgShape *s,
                         const float *in, float *out)
{
  int a = node->axis;
  if (a < 0 || a >= s->rank)
    return VG_ERR;
  if (model->opset < 13) /* opset 1-12: softmax over the flattened axes a .. rank-1 */
    softmax_apply(in, out, ops_prod(s, 0, a), ops_prod(s, a, s->rank), 1, node->log_softmax);
  else
    softmax_apply(in, out, ops_prod(s, 0, a), s->dims[a], ops_prod(s, a + 1, s->rank),
                  node->log_softmax);
  return VG_OK;
}

int vg_ops_forward_plain(const VgModel *model, const VgNode *node, const VgShape *shapes,
                         const float *const *in, float *out, float *scratch)
{
  const float *src[VG_MAX_NODE_INPUTS];
  if (node->n_inputs > VG_MAX_NODE_INPUTS || node->n_inputs < 1)
    return VG_ERR;
  for (int i = 0; i < node->n_inputs; i++)
    src[i] =
        (in && in[i]) ? in[i] : (node->inputs[i] >= 0 ? ops_value(model, node, i)->data : NULL);
  if (!src[0])
    return VG_ERR;
  const VgShape *is = ops_in_shape(shapes, node, 0), *os = ops_out_shape(shapes, node);
  int time_in = vg_model_is_time_value(model, node->inputs[0]);
  if (node->op == VG_OP_PAD && node->pad_mode != VG_PAD_CONSTANT) {
    if (!time_in)
      return pad_modes_forward(node, is, os, src[0], out);
  } else if (slides_along_time(node->op)) { /* on time values: vg_ops_forward_time */
    return time_in ? VG_ERR : window_on_plain(model, node, shapes, src[0], out, scratch);
  }
  if (reads_onnx_order(node->op)) {
    /* time inputs (e.g. MatMul or Softmax along time) to ONNX order, in scratch */
    for (int i = 0; i < node->n_inputs; i++) {
      if (node->inputs[i] < 0 || !vg_model_is_time_value(model, node->inputs[i]))
        continue;
      const VgShape *s = &shapes[node->inputs[i]];
      columns_to_onnx(src[i], scratch, s->dims[s->rank - 1], ops_width(s));
      src[i] = scratch;
      scratch += ops_count(s);
    }
    time_in = 0;
  }
  switch (vg_op_is_arithmetic(node->op) ? VG_OP_ADD : node->op) {
  case VG_OP_GLOBAL_AVG_POOL:
  case VG_OP_GLOBAL_MAX_POOL:
    return global_pool_forward(node, is, time_in, src[0], out);
  case VG_OP_RESHAPE:
  case VG_OP_IDENTITY:
    if (ops_count(is) != ops_count(os))
      return VG_ERR;
    if (time_in)
      columns_to_onnx(src[0], out, is->dims[is->rank - 1], ops_width(is));
    else if (out != src[0])
      memmove(out, src[0], (size_t)ops_count(os) * sizeof(float));
    return VG_OK;
  case VG_OP_ADD: /* every element-wise op of several inputs (vg_op_is_arithmetic) */
    for (int i = 1; i < node->n_inputs; i++)
      if (!src[i])
        return VG_ERR;
    return binary_forward_plain(model, node, shapes, src, out);
  case VG_OP_CONCAT:
    return concat_forward_plain(node, shapes, src, out);
  case VG_OP_SLICE:
    return slice_forward_plain(node, shapes, src[0], out);
  case VG_OP_REDUCE:
    return reduce_forward_plain(node, shapes, src[0], out, scratch);
  case VG_OP_GEMM:
    return gemm_forward(model, node, shapes, src, out);
  case VG_OP_MATMUL:
    return matmul_forward(model, node, shapes, src, out);
  case VG_OP_SOFTMAX:
    return softmax_plain(model, node, is, src[0], out);
  case VG_OP_PAD: /* reflect or edge, the input now in ONNX order */
    return pad_modes_forward(node, is, os, src[0], out);
  case VG_OP_INSTANCE_NORM:
    return instance_norm_forward(model, node, is, src[0], out);
  default:
    if (!is_pointwise(node->op))
      return VG_ERR;
    return pointwise_apply(node, src[0], out, 1, ops_count(os),
                           os->rank >= 2 ? ops_prod(os, 2, os->rank) : 1);
  }
}

void vg_ops_set_threads(int threads)
{
  set_threads(threads > 0 ? threads : 1, 0);
}
