/* Time-sized constants: sizes a graph computes from the shape of a value (PyTorch's dynamic_axes
 * exports read x.size(2) with Shape and Gather), valid at the length the model is loaded at only.
 * Shape of a computed value is folded there, marked per entry with whether it depends on the
 * length (the graph so far re-shaped at another length tells); Gather keeps the marks of the
 * entries it picks; anything else computed from a marked constant is marked whole; and a live
 * node that reads one ties the model to its length (VgModel.fixed_length), but for the target of
 * a Reshape that keeps time last, which is re-applied at every length.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "vg_onnx_ops.h"

/* Shape nodes of computed values whose dependence on the length shape_varies works out; past
 * them (a hostile graph) each binds the model to its length unchecked. */
#define SHAPE_CHECKS_MAX 64

/* Which of dims [start, end) of value v (a node output or the input) depend on the input length,
 * as a time-sized mark (bit i for dim start + i; VG_TIME_SIZED_ALL when unknown): the nodes so far
 * re-shaped at another length (2 T + 7, so that every size that follows T changes). A model that
 * cannot take that length (a dense head after Flatten), or is already tied to its own, counts as
 * depending on it everywhere: it runs at this length only either way. */
static int shape_varies(VgBuild *b, int v, int64_t start, int64_t end, VgError *err)
{
  VgModel *m = b->m;
  const VgShape *in = &m->values[m->input].shape;
  if (++b->shape_checks > SHAPE_CHECKS_MAX)
    return VG_TIME_SIZED_ALL;
  VgShape *s = malloc((size_t)m->n_values * sizeof *s);
  if (!s)
    return vg_error_set(err, "out of memory");
  VgError ignored;
  int mark = 0;
  if (vg_model_infer_shapes(m, 2 * in->dims[in->rank - 1] + 7, s, &ignored) != VG_OK)
    mark = VG_TIME_SIZED_ALL;
  for (int64_t i = start; i < end && mark != VG_TIME_SIZED_ALL; i++)
    if (s[v].dims[i] != m->values[v].shape.dims[i])
      mark |= i - start < 8 ? 1 << (i - start) : VG_TIME_SIZED_ALL;
  free(s);
  return mark;
}

int vg_onnx_shape_of_computed(VgBuild *b, const Onnx__NodeProto *np, int v, int64_t start,
                              int64_t end, VgError *err)
{
  const VgShape *x = &b->shapes[v];
  VgShape out = {.rank = 1, .dims = {end - start}};
  float *d = malloc(VG_MAX_RANK * sizeof *d);
  if (!d)
    return vg_error_set(err, "out of memory");
  for (int64_t i = start; i < end; i++)
    d[i - start] = (float)x->dims[i];
  int varies = shape_varies(b, v, start, end, err); /* a mark */
  if (varies < 0) {
    free(d);
    return VG_ERR;
  }
  int o = vg_build_add_const(b, np->output[0], &out, d, err);
  if (o < 0)
    return VG_ERR;
  vg_name_map_put(&b->names, np->output[0], o);
  if (varies && !b->time_sized_from[0])
    snprintf(b->time_sized_from, sizeof b->time_sized_from, "Shape node '%s'", b->node_name);
  b->time_sized[o] = (unsigned char)varies;
  return VG_OK;
}

unsigned char vg_onnx_gather_mark(const VgBuild *b, const VgValue *data, const VgValue *indices,
                                  const VgValue *out)
{
  unsigned char mark = b->time_sized[data - b->m->values];
  int64_t n = vg_shape_count(&indices->shape);
  if (b->time_sized[indices - b->m->values])
    return VG_TIME_SIZED_ALL;
  if (mark == VG_TIME_SIZED_ALL || data->shape.rank != 1 || n > 8 ||
      vg_shape_count(&out->shape) != n)
    return mark ? VG_TIME_SIZED_ALL : 0;
  unsigned char picked = 0;
  for (int64_t k = 0; k < n; k++) {
    int64_t at = (int64_t)indices->data[k];
    at = at < 0 ? at + data->shape.dims[0] : at;
    if (at >= 8 || (mark >> at) & 1)
      picked |= (unsigned char)(1u << k);
  }
  return picked;
}

/* Whether ONNX input k of np is a time-sized constant. */
static int input_time_sized(VgBuild *b, const Onnx__NodeProto *np, size_t k)
{
  int v = np->input[k][0] ? vg_name_map_get(&b->names, np->input[k]) : -1;
  return v >= 0 && b->time_sized[v];
}

void vg_onnx_time_sized_inputs(VgBuild *b, const Onnx__NodeProto *np, const VgNode *node,
                               int time_keeping)
{
  int any = 0, others = 0;
  for (size_t k = 0; k < np->n_input; k++) {
    int t = input_time_sized(b, np, k);
    any |= t;
    others |= t && !(time_keeping && k == 1); /* a time-keeping Reshape's target is re-applied */
  }
  if (node->op == VG_OP_DEAD) { /* folded: its constant output carries the mark */
    b->time_sized[node->output] = any ? VG_TIME_SIZED_ALL : 0;
    return;
  }
  VgModel *m = b->m;
  if (others && !m->fixed_length) {
    const VgShape *in = &m->values[m->input].shape;
    m->fixed_length = in->dims[in->rank - 1];
    snprintf(m->fixed_length_why, sizeof m->fixed_length_why, "%s", b->time_sized_from);
  }
}
