/* A naive, independent implementation of the pieces of the model and op interfaces that the
 * streaming engine uses, for 1-D graphs of Conv, ConvTranspose, MaxPool, Relu and Add built by
 * hand. test_stream_engine links the engine against it (not against kernels/ops), so the engine's
 * logic is tested on its own: every column an op reads must be stored in its VgSeq or lie outside
 * [lo, hi) — a read of a column the engine did not provide fails the test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "naive_ops.h"
#include "vg_exec.h"

int naive_bad_reads;
int naive_fuse_relus;
int naive_split_calls;
int naive_defer;

/* The Relu node that alone reads the conv's output, or NULL. */
static const VgNode *sole_relu_reader(const VgModel *m, const VgNode *conv)
{
  const VgNode *relu = NULL;
  int readers = 0;
  for (int n = 0; n < m->n_nodes; n++)
    for (int i = 0; i < m->nodes[n].n_inputs; i++)
      if (m->nodes[n].inputs[i] == conv->output) {
        readers++;
        relu = &m->nodes[n];
      }
  return readers == 1 && relu->op == VG_OP_RELU && conv->output != m->output ? relu : NULL;
}

int vg_ops_node_is_fused(const VgModel *model, const VgNode *node)
{
  if (!naive_fuse_relus || node->op != VG_OP_RELU)
    return 0;
  int producer = model->values[node->inputs[0]].producer;
  return producer >= 0 && model->nodes[producer].op == VG_OP_CONV &&
         sole_relu_reader(model, &model->nodes[producer]) == node;
}

const char *vg_op_name(VgOpType op)
{
  static const char *names[] = {[VG_OP_CONV] = "Conv",
                                [VG_OP_CONV_TRANSPOSE] = "ConvTranspose",
                                [VG_OP_RELU] = "Relu",
                                [VG_OP_MAX_POOL] = "MaxPool",
                                [VG_OP_ADD] = "Add"};
  return op < VG_OP_COUNT && names[op] ? names[op] : "?";
}

int vg_node_is_time_local(const VgModel *model, const VgNode *node)
{
  (void)model;
  return node->op == VG_OP_CONV || node->op == VG_OP_CONV_TRANSPOSE || node->op == VG_OP_RELU ||
         node->op == VG_OP_MAX_POOL || node->op == VG_OP_ADD;
}

int vg_model_is_time_value(const VgModel *model, int value)
{
  return model->values[value].kind != VG_VALUE_CONST;
}

int64_t vg_shape_width(const VgShape *s)
{
  int64_t w = 1;
  for (int i = 1; i < s->rank - 1; i++)
    w *= s->dims[i];
  return w;
}

int64_t vg_shape_count(const VgShape *s)
{
  int64_t n = 1;
  for (int i = 0; i < s->rank; i++)
    n *= s->dims[i];
  return n;
}

int vg_model_infer_shapes(const VgModel *m, int64_t t_in, VgShape *shapes, VgError *err)
{
  for (int v = 0; v < m->n_values; v++)
    shapes[v] = m->values[v].shape;
  shapes[m->input].dims[2] = t_in;
  for (int n = 0; n < m->n_nodes; n++) {
    const VgNode *node = &m->nodes[n];
    VgShape s = shapes[node->inputs[0]];
    if (node->op == VG_OP_CONV)
      s.dims[1] = m->values[node->inputs[1]].shape.dims[0];
    else if (node->op == VG_OP_CONV_TRANSPOSE)
      s.dims[1] = m->values[node->inputs[1]].shape.dims[1];
    s.dims[2] = node->op == VG_OP_GLOBAL_AVG_POOL ? 1 : vg_node_time_out_len(node, s.dims[2]);
    if (s.dims[2] < 1)
      return vg_error_set(err, "node %s: no output column", node->name);
    shapes[node->output] = s;
  }
  return VG_OK;
}

size_t vg_ops_scratch_floats(const VgModel *model, const VgNode *node, const VgShape *shapes,
                             int64_t max_cols)
{
  return 1;
}

int vg_ops_forward_plain(const VgModel *model, const VgNode *node, const VgShape *shapes,
                         const float *const *in, float *out, float *scratch)
{
  return VG_ERR;
}

/* Column j, channel c of a sequence; 0 outside its extent (*pad = 1); a bad read otherwise. */
static float at(const VgSeq *s, int64_t j, int64_t c, int *pad)
{
  *pad = j < s->lo || j >= s->hi;
  if (*pad)
    return 0.0f;
  if (j < s->first || j >= s->first + s->count) {
    naive_bad_reads++;
    return NAN;
  }
  return s->data[(j - s->first) * s->width + c];
}

/* Column j of a conv over taps [k0, k1), starting from `start` (NULL: the bias), then the fused
 * Relu if finish. */
static void conv_part(const VgModel *m, const VgNode *node, const VgSeq *x, VgSeq *y, int64_t j,
                      int64_t k0, int64_t k1, const float *start, int finish)
{
  const VgShape *ws = &m->values[node->inputs[1]].shape;
  const float *w = m->values[node->inputs[1]].data;
  const float *b = node->n_inputs > 2 ? m->values[node->inputs[2]].data : NULL;
  int64_t co = ws->dims[0], ci = ws->dims[1], k = ws->dims[2];
  int s = node->win.stride[0], d = node->win.dilation[0], p = node->win.pad_begin[0];
  float *out = y->data + (j - y->first) * y->width;
  for (int64_t o = 0; o < co; o++) {
    double acc = start ? start[o] : b ? b[o] : 0;
    for (int64_t i = k0; i < k1; i++)
      for (int64_t c = 0; c < ci; c++) {
        int pad;
        float v = at(x, j * s - p + i * d, c, &pad);
        acc += (double)w[(o * ci + c) * k + i] * v;
      }
    out[o] = (float)acc;
    if (finish && naive_fuse_relus && sole_relu_reader(m, node) && !(out[o] > 0) && !isnan(out[o]))
      out[o] = 0;
  }
}

static void conv(const VgModel *m, const VgNode *node, const VgSeq *x, VgSeq *y, int64_t j)
{
  conv_part(m, node, x, y, j, 0, m->values[node->inputs[1]].shape.dims[2], NULL, 1);
}

int vg_ops_conv_split(const VgModel *model, const VgNode *node, const VgShape *shapes,
                      VgConvSplit *split)
{
  if (!naive_defer || node->op != VG_OP_CONV)
    return 0;
  const VgShape *ws = &model->values[node->inputs[1]].shape;
  if (ws->dims[2] < 2)
    return 0;
  *split = (VgConvSplit){.taps = ws->dims[2],
                         .stride = node->win.stride[0],
                         .dilation = node->win.dilation[0],
                         .pad = node->win.pad_begin[0],
                         .row_floats = ws->dims[0],
                         .weight_bytes = ws->dims[0] * ws->dims[1] * ws->dims[2] * 4,
                         .in_width = ws->dims[1],
                         .max_rows = 14};
  return 1;
}

int vg_ops_conv_taps(const VgModel *model, const VgNode *node, const VgShape *shapes,
                     const VgSeq *in, VgSeq *out, int64_t j0, int64_t j1, int64_t k0, int64_t k1,
                     const float *start, int finish, float *scratch)
{
  VgConvSplit split;
  if (!vg_ops_conv_split(model, node, shapes, &split) || k0 < 0 || k1 > split.taps || k0 >= k1 ||
      (start && j1 - j0 != 1) || j0 < out->first || j1 > out->first + out->count)
    return VG_ERR;
  naive_split_calls++;
  for (int64_t j = j0; j < j1; j++)
    conv_part(model, node, in, out, j, k0, k1, start, finish);
  return VG_OK;
}

static void conv_t(const VgModel *m, const VgNode *node, const VgSeq *x, VgSeq *y, int64_t j)
{
  const VgShape *ws = &m->values[node->inputs[1]].shape;
  const float *w = m->values[node->inputs[1]].data;
  int64_t ci = ws->dims[0], co = ws->dims[1], k = ws->dims[2];
  int s = node->win.stride[0], d = node->win.dilation[0], p = node->win.pad_begin[0];
  float *out = y->data + (j - y->first) * y->width;
  for (int64_t o = 0; o < co; o++) {
    double acc = 0;
    for (int64_t i = 0; i < k; i++) {
      int64_t num = j + p - i * d; /* input column t with t*s == num */
      if (num % s != 0)
        continue;
      for (int64_t c = 0; c < ci; c++) {
        int pad;
        float v = at(x, num / s, c, &pad);
        acc += (double)w[(c * co + o) * k + i] * v;
      }
    }
    out[o] = (float)acc;
  }
}

static void max_pool(const VgNode *node, const VgSeq *x, VgSeq *y, int64_t j)
{
  int s = node->win.stride[0], d = node->win.dilation[0], p = node->win.pad_begin[0];
  float *out = y->data + (j - y->first) * y->width;
  for (int64_t c = 0; c < y->width; c++) {
    float best = -INFINITY;
    for (int i = 0; i < node->win.kernel[0]; i++) {
      int pad;
      float v = at(x, j * s - p + i * d, c, &pad);
      if (!pad && v > best)
        best = v;
    }
    out[c] = best;
  }
}

int vg_ops_forward_time(const VgModel *m, const VgNode *node, const VgShape *shapes,
                        const VgSeq *const *in, VgSeq *out, int64_t j0, int64_t j1, float *scratch)
{
  if (j0 < out->first || j1 > out->first + out->count)
    return VG_ERR;
  for (int64_t j = j0; j < j1; j++) {
    float *o = out->data + (j - out->first) * out->width;
    int pad;
    switch (node->op) {
    case VG_OP_CONV:
      conv(m, node, in[0], out, j);
      break;
    case VG_OP_CONV_TRANSPOSE:
      conv_t(m, node, in[0], out, j);
      break;
    case VG_OP_MAX_POOL:
      max_pool(node, in[0], out, j);
      break;
    case VG_OP_RELU:
      for (int64_t c = 0; c < out->width; c++) {
        float v = at(in[0], j, c, &pad);
        o[c] = v > 0 ? v : 0;
      }
      break;
    case VG_OP_ADD:
      for (int64_t c = 0; c < out->width; c++) {
        int pad2;
        o[c] = at(in[0], j, c, &pad) + at(in[1], j, c, &pad2);
      }
      break;
    default:
      return VG_ERR;
    }
  }
  return VG_OK;
}

/* Full mode runs the window executor (kernels/exec), which this test does not link: full mode is
 * tested against PyTorch by tests/py/test_stream.py. */
VgExec *vg_exec_create(VgModel *model, int64_t t_in, VgError *err)
{
  vg_error_set(err, "no window executor in this test");
  return NULL;
}

int vg_exec_run(VgExec *x, const float *input, float *output, VgError *err)
{
  return VG_ERR;
}

void vg_exec_destroy(VgExec *x)
{
}

int vg_ops_conv_taps_rows(const VgModel *model, const VgNode *node, const VgShape *shapes,
                          const float *a, int64_t lda, int64_t tap, int rows, int64_t k0,
                          int64_t k1, float *out, int64_t ldc)
{
  VgConvSplit split;
  if (!vg_ops_conv_split(model, node, shapes, &split) || k0 < 0 || k1 > split.taps || k0 >= k1 ||
      rows < 1 || rows > split.max_rows || ldc < split.row_floats)
    return VG_ERR;
  naive_split_calls++;
  const float *w = model->values[node->inputs[1]].data;
  const float *b = node->n_inputs > 2 ? model->values[node->inputs[2]].data : NULL;
  int64_t co = split.row_floats, ci = split.in_width, k = split.taps;
  for (int r = 0; r < rows; r++)
    for (int64_t o = 0; o < co; o++) {
      double acc = b ? b[o] : 0;
      for (int64_t t = k0; t < k1; t++)
        for (int64_t c = 0; c < ci; c++)
          acc += (double)w[(o * ci + c) * k + t] * a[r * lda + (t - k0) * tap + c];
      out[r * ldc + o] = (float)acc;
    }
  return VG_OK;
}
