/* The model IR's lifetime and names.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>

#include "vg_model.h"

const VgNode *vg_model_whole_input_pool(const VgModel *model)
{
  for (int i = 0; i < model->n_nodes; i++) {
    const VgNode *node = &model->nodes[i];
    if ((node->op != VG_OP_MAX_POOL && node->op != VG_OP_AVG_POOL) || node->n_inputs < 1 ||
        !vg_model_is_time_value(model, node->inputs[0]))
      continue;
    const VgShape *in = &model->values[node->inputs[0]].shape;
    int t = node->win.n_spatial - 1;
    if (t >= 0 && in->rank >= 3 && node->win.kernel[t] > 1 &&
        node->win.kernel[t] == in->dims[in->rank - 1] && node->win.pad_begin[t] == 0 &&
        node->win.pad_end[t] == 0)
      return node;
  }
  return NULL;
}

static const char *const op_names[VG_OP_COUNT] = {
    [VG_OP_CONV] = "Conv",
    [VG_OP_CONV_TRANSPOSE] = "ConvTranspose",
    [VG_OP_BATCH_NORM] = "BatchNormalization",
    [VG_OP_RELU] = "Relu",
    [VG_OP_LEAKY_RELU] = "LeakyRelu",
    [VG_OP_SIGMOID] = "Sigmoid",
    [VG_OP_TANH] = "Tanh",
    [VG_OP_CLIP] = "Clip",
    [VG_OP_ELU] = "Elu",
    [VG_OP_ERF] = "Erf",
    [VG_OP_SOFTMAX] = "Softmax",
    [VG_OP_MAX_POOL] = "MaxPool",
    [VG_OP_AVG_POOL] = "AveragePool",
    [VG_OP_GLOBAL_AVG_POOL] = "GlobalAveragePool",
    [VG_OP_GLOBAL_MAX_POOL] = "GlobalMaxPool",
    [VG_OP_PAD] = "Pad",
    [VG_OP_RESHAPE] = "Reshape",
    [VG_OP_GEMM] = "Gemm",
    [VG_OP_MATMUL] = "MatMul",
    [VG_OP_ADD] = "Add",
    [VG_OP_SUB] = "Sub",
    [VG_OP_MUL] = "Mul",
    [VG_OP_DIV] = "Div",
    [VG_OP_CONCAT] = "Concat",
    [VG_OP_IDENTITY] = "Identity",
};

const char *vg_op_name(VgOpType op)
{
  return (unsigned)op < VG_OP_COUNT ? op_names[op] : "?";
}

void vg_model_free(VgModel *model)
{
  if (!model)
    return;
  for (int i = 0; i < model->n_values; i++) {
    free(model->values[i].name);
    free(model->values[i].data);
  }
  for (int i = 0; i < model->n_nodes; i++) {
    VgNode *n = &model->nodes[i];
    free(n->name);
    free(n->inputs);
    if (n->packed && n->packed_free)
      n->packed_free(n->packed);
  }
  free(model->values);
  free(model->nodes);
  free(model->input_mean);
  free(model->input_std);
  free(model);
}
