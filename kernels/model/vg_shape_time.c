/* Which values follow the time axis, and which nodes the streaming engine can run column by
 * column (time-local); see vg_model.h for the definitions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vg_onnx_priv.h"

int vg_model_is_time_value(const VgModel *model, int value)
{
  return value >= 0 && value < model->n_values && model->values[value].is_time;
}

static int is_time(const VgModel *m, int v)
{
  return m->values[v].is_time;
}

/* Whether a reshape maps time to its last axis, row-major order preserved within each column. */
static int reshape_keeps_time(const VgModel *m, const VgNode *node)
{
  const VgShape *in = &m->values[node->inputs[0]].shape;
  int n = node->n_axes;
  switch (node->reshape_kind) {
  case VG_RESHAPE_TARGET: {
    if (n < 3 || node->axes[0] != 1 || node->axes[n - 1] != -1)
      return 0;
    int64_t w = 1;
    for (int i = 1; i < n - 1; i++) {
      if (node->axes[i] < 1)
        return 0;
      w *= node->axes[i];
    }
    return w == vg_shape_width(in);
  }
  case VG_RESHAPE_SQUEEZE:
    for (int k = 0; k < n; k++)
      if (node->axes[k] == 0 || node->axes[k] == in->rank - 1)
        return 0;
    return in->rank - n >= 3;
  case VG_RESHAPE_UNSQUEEZE:
    for (int k = 0; k < n; k++)
      if (node->axes[k] == in->rank + n - 1)
        return 0;
    return in->rank + n >= 3;
  default:
    return 0;
  }
}

int vg_shape_output_is_time(const VgModel *m, const VgNode *node)
{
  const VgShape *out = &m->values[node->output].shape;
  int any = 0;
  for (int k = 0; k < node->n_inputs; k++)
    any |= is_time(m, node->inputs[k]);
  if (!any)
    return 0;
  switch (vg_op_is_arithmetic(node->op) ? VG_OP_ADD : node->op) {
  case VG_OP_GLOBAL_AVG_POOL:
  case VG_OP_GLOBAL_MAX_POOL:
  case VG_OP_GEMM:
  case VG_OP_MATMUL:
    return 0;
  case VG_OP_RESHAPE:
    return is_time(m, node->inputs[0]) && reshape_keeps_time(m, node);
  case VG_OP_ADD: /* every element-wise op of several inputs (vg_op_is_arithmetic) */
    /* the time input's axes must stay where they are: same rank, batch 1 */
    for (int k = 0; k < node->n_inputs; k++)
      if (is_time(m, node->inputs[k]) && m->values[node->inputs[k]].shape.rank != out->rank)
        return 0;
    return out->dims[0] == 1;
  case VG_OP_CONCAT:
    return node->axis != out->rank - 1;
  default:
    return is_time(m, node->inputs[0]);
  }
}

/* A constant operand of a time-local binary op must not vary along time: its last axis (aligned
 * with time by broadcasting) has size 1, or it is a scalar. */
static int const_is_time_free(const VgValue *v)
{
  return v->kind == VG_VALUE_CONST && (v->shape.rank == 0 || v->shape.dims[v->shape.rank - 1] == 1);
}

int vg_node_is_time_local(const VgModel *model, const VgNode *node)
{
  if (!vg_model_is_time_value(model, node->output))
    return 0;
  switch (vg_op_is_arithmetic(node->op) ? VG_OP_ADD : node->op) {
  case VG_OP_SOFTMAX:
    return node->axis != model->values[node->output].shape.rank - 1;
  case VG_OP_INSTANCE_NORM: /* statistics over the whole window */
    return 0;
  case VG_OP_PAD: /* reflect and edge read the signal near the window's edges */
    return node->pad_mode == VG_PAD_CONSTANT;
  case VG_OP_ADD: /* every element-wise op of several inputs (vg_op_is_arithmetic) */
    for (int k = 0; k < node->n_inputs; k++) {
      const VgValue *v = &model->values[node->inputs[k]];
      const VgShape *o = &model->values[node->output].shape;
      if (!v->is_time && !const_is_time_free(v))
        return 0;
      /* a time value of another length broadcast along time (x + pool(x) where the pool spans
       * the window: one column) reads the same column for every output column */
      if (v->is_time && v->shape.dims[v->shape.rank - 1] != o->dims[o->rank - 1])
        return 0;
    }
    return 1;
  case VG_OP_CONCAT:
    for (int k = 0; k < node->n_inputs; k++)
      if (!vg_model_is_time_value(model, node->inputs[k]))
        return 0;
    return 1;
  default: /* the output is a time value only for column-local or sliding-window ops */
    return 1;
  }
}
