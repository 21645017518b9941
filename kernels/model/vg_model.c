/* The model IR's lifetime and names.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "vg_model.h"

/* The first pool whose time kernel spans its whole input at the model's length, or NULL. */
static const VgNode *whole_input_pool(const VgModel *model)
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

/* The node that computes value v, or NULL. */
static const VgNode *producer(const VgModel *model, int v)
{
  for (int i = 0; i < model->n_nodes; i++)
    if (model->nodes[i].output == v)
      return &model->nodes[i];
  return NULL;
}

/* PyTorch 1.13 exports AvgPool1d/2d(padding=p, ceil_mode=True, count_include_pad=True) as a Pad of
 * zeros and an AveragePool with ceil_mode and no pads. PyTorch drops a last window that starts in
 * the right padding; after the Pad that padding is input, so the file's pool keeps it: one column
 * more than the module, whose values shift everything after it. Warns when the two lengths differ
 * at `window` (the exported length included). */
static int padded_ceil_pool_warning(const VgModel *model, int64_t window, char *buf, size_t size)
{
  VgShape *shapes = calloc((size_t)model->n_values, sizeof(*shapes));
  VgError err;
  int found = 0;
  if (!shapes || vg_model_infer_shapes(model, window, shapes, &err) != VG_OK) {
    free(shapes);
    return 0;
  }
  for (int i = 0; i < model->n_nodes && !found; i++) {
    const VgNode *pool = &model->nodes[i];
    if (pool->op != VG_OP_AVG_POOL || !pool->win.ceil_mode || pool->win.count_include_pad ||
        pool->n_inputs < 1 || !vg_model_is_time_value(model, pool->inputs[0]))
      continue;
    const VgNode *pad = producer(model, pool->inputs[0]);
    int t = pool->win.n_spatial - 1;
    if (!pad || pad->op != VG_OP_PAD || pad->pad_mode != VG_PAD_CONSTANT || pad->pad_value != 0 ||
        pad->win.n_spatial != pool->win.n_spatial || pad->win.pad_end[t] <= 0 ||
        pool->win.pad_begin[t] != 0 || pool->win.pad_end[t] != 0)
      continue;
    const VgShape *in = &shapes[pad->inputs[0]];
    int64_t length = in->dims[in->rank - 1];
    VgNode module = *pool; /* the pool PyTorch ran: the pads its own, counted in the average */
    module.win.pad_begin[t] = pad->win.pad_begin[t];
    module.win.pad_end[t] = pad->win.pad_end[t];
    int64_t file = vg_node_time_out_len(pool, vg_node_time_out_len(pad, length));
    int64_t torch = vg_node_time_out_len(&module, length);
    if (file == torch)
      continue;
    snprintf(buf, size,
             "AveragePool '%s' reads Pad '%s' with ceil_mode (how PyTorch 1.13 exports "
             "AvgPool with padding, ceil_mode=True and count_include_pad=True): with window %lld "
             "it computes %lld columns where the PyTorch module computes %lld (its last window "
             "starts in the right padding, which PyTorch drops); Vigil follows the file: export "
             "the pool with ceil_mode=False or count_include_pad=False",
             pool->name, pad->name, (long long)window, (long long)file, (long long)torch);
    found = 1;
  }
  free(shapes);
  return found;
}

int vg_model_pool_warning(const VgModel *model, int64_t window, char *buf, size_t size)
{
  const VgNode *pool = whole_input_pool(model);
  const VgShape *in = &model->values[model->input].shape;
  int64_t length = in->dims[in->rank - 1];
  if (!pool || window == length)
    return padded_ceil_pool_warning(model, window, buf, size);
  snprintf(buf, size,
           "%s '%s' pools all of its input at the model's exported length %lld (how PyTorch "
           "exports AdaptiveMaxPool1d(1)); with window %lld it still pools only its first %d "
           "columns: export the model at the window you stream, or pool with x.amax(-1) "
           "(ReduceMax), which Vigil runs as a global max pool",
           vg_op_name(pool->op), pool->name, (long long)length, (long long)window,
           pool->win.kernel[pool->win.n_spatial - 1]);
  return 1;
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
    [VG_OP_SELU] = "Selu",
    [VG_OP_CELU] = "Celu",
    [VG_OP_SOFTPLUS] = "Softplus",
    [VG_OP_HARD_SIGMOID] = "HardSigmoid",
    [VG_OP_HARD_SWISH] = "HardSwish",
    [VG_OP_ABS] = "Abs",
    [VG_OP_NEG] = "Neg",
    [VG_OP_EXP] = "Exp",
    [VG_OP_LOG] = "Log",
    [VG_OP_SQRT] = "Sqrt",
    [VG_OP_RECIPROCAL] = "Reciprocal",
    [VG_OP_POW] = "Pow",
    [VG_OP_SIGN] = "Sign",
    [VG_OP_NOT] = "Not",
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
    [VG_OP_PRELU] = "PRelu",
    [VG_OP_MAX] = "Max",
    [VG_OP_MIN] = "Min",
    [VG_OP_GREATER] = "Greater",
    [VG_OP_GREATER_EQUAL] = "GreaterOrEqual",
    [VG_OP_LESS] = "Less",
    [VG_OP_LESS_EQUAL] = "LessOrEqual",
    [VG_OP_EQUAL] = "Equal",
    [VG_OP_WHERE] = "Where",
    [VG_OP_CONCAT] = "Concat",
    [VG_OP_SLICE] = "Slice",
    [VG_OP_REDUCE] = "Reduce",
    [VG_OP_INSTANCE_NORM] = "InstanceNormalization",
    [VG_OP_IDENTITY] = "Identity",
};

const char *vg_op_name(VgOpType op)
{
  return (unsigned)op < VG_OP_COUNT ? op_names[op] : "?";
}

const char *vg_node_op_name(const VgNode *node)
{
  static const char *const reduce[] = {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum",
                                       "ReduceL2"};
  if (node->op == VG_OP_REDUCE && (unsigned)node->reduce < sizeof reduce / sizeof reduce[0])
    return reduce[node->reduce];
  if (node->op == VG_OP_GLOBAL_AVG_POOL && node->reduce == VG_REDUCE_SUM)
    return "GlobalSum";
  if (node->op == VG_OP_SOFTMAX && node->log_softmax)
    return "LogSoftmax";
  return vg_op_name(node->op);
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
