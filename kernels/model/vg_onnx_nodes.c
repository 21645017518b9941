/* One ONNX node to VgNodes: the op table, inputs, outputs, and the generic steps every op shares.
 * The attributes of each op are read in vg_onnx_ops.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_onnx_ops.h"

#define WINDOW "auto_pad dilations kernel_shape pads strides "

static const VgOpSpec specs[] = {
    {"Conv", VG_OP_CONV, 2, 3, vg_parse_conv, WINDOW "group"},
    {"ConvTranspose", VG_OP_CONV_TRANSPOSE, 2, 3, vg_parse_conv,
     WINDOW "group output_padding output_shape"},
    {"Resize", VG_OP_CONV_TRANSPOSE, 1, 4, vg_parse_resize,
     "mode coordinate_transformation_mode nearest_mode cubic_coeff_a exclude_outside "
     "extrapolation_value"},
    {"BatchNormalization", VG_OP_BATCH_NORM, 5, 5, vg_parse_batch_norm,
     "epsilon momentum spatial training_mode"},
    {"InstanceNormalization", VG_OP_INSTANCE_NORM, 3, 3, vg_parse_instance_norm, "epsilon"},
    {"Relu", VG_OP_RELU, 1, 1, NULL, ""},
    {"LeakyRelu", VG_OP_LEAKY_RELU, 1, 1, vg_parse_alpha, "alpha"},
    {"Sigmoid", VG_OP_SIGMOID, 1, 1, NULL, ""},
    {"Tanh", VG_OP_TANH, 1, 1, NULL, ""},
    {"Clip", VG_OP_CLIP, 1, 3, vg_parse_clip, "min max"},
    {"Elu", VG_OP_ELU, 1, 1, vg_parse_alpha, "alpha"},
    {"Selu", VG_OP_SELU, 1, 1, vg_parse_alpha, "alpha gamma"},
    {"Celu", VG_OP_CELU, 1, 1, vg_parse_alpha, "alpha"},
    {"Softplus", VG_OP_SOFTPLUS, 1, 1, NULL, ""},
    {"HardSigmoid", VG_OP_HARD_SIGMOID, 1, 1, vg_parse_alpha, "alpha beta"},
    {"HardSwish", VG_OP_HARD_SWISH, 1, 1, NULL, ""},
    {"Abs", VG_OP_ABS, 1, 1, NULL, ""},
    {"Neg", VG_OP_NEG, 1, 1, NULL, ""},
    {"Exp", VG_OP_EXP, 1, 1, NULL, ""},
    {"Log", VG_OP_LOG, 1, 1, NULL, ""},
    {"Sqrt", VG_OP_SQRT, 1, 1, NULL, ""},
    {"Reciprocal", VG_OP_RECIPROCAL, 1, 1, NULL, ""},
    {"Pow", VG_OP_POW, 2, 2, vg_parse_pow, ""},
    {"Sign", VG_OP_SIGN, 1, 1, NULL, ""},
    {"Erf", VG_OP_ERF, 1, 1, NULL, ""},
    {"Not", VG_OP_NOT, 1, 1, NULL, ""},
    {"Softmax", VG_OP_SOFTMAX, 1, 1, vg_parse_softmax, "axis"},
    {"LogSoftmax", VG_OP_SOFTMAX, 1, 1, vg_parse_softmax, "axis"},
    {"MaxPool", VG_OP_MAX_POOL, 1, 1, vg_parse_pool, WINDOW "ceil_mode storage_order"},
    {"AveragePool", VG_OP_AVG_POOL, 1, 1, vg_parse_pool, WINDOW "ceil_mode count_include_pad"},
    {"GlobalAveragePool", VG_OP_GLOBAL_AVG_POOL, 1, 1, NULL, ""},
    {"GlobalMaxPool", VG_OP_GLOBAL_MAX_POOL, 1, 1, NULL, ""},
    /* noop_with_empty_axes matters only without axes, which vg_parse_reduce refuses */
    {"ReduceMean", VG_OP_GLOBAL_AVG_POOL, 1, 2, vg_parse_reduce,
     "axes keepdims noop_with_empty_axes"},
    {"ReduceMax", VG_OP_GLOBAL_MAX_POOL, 1, 2, vg_parse_reduce,
     "axes keepdims noop_with_empty_axes"},
    {"ReduceMin", VG_OP_REDUCE, 1, 2, vg_parse_reduce, "axes keepdims noop_with_empty_axes"},
    {"ReduceSum", VG_OP_REDUCE, 1, 2, vg_parse_reduce, "axes keepdims noop_with_empty_axes"},
    {"ReduceL2", VG_OP_REDUCE, 1, 2, vg_parse_reduce, "axes keepdims noop_with_empty_axes"},
    {"Pad", VG_OP_PAD, 1, 4, vg_parse_pad, "mode pads value"},
    {"Flatten", VG_OP_RESHAPE, 1, 1, vg_parse_flatten, "axis"},
    {"Reshape", VG_OP_RESHAPE, 2, 2, vg_parse_reshape, "allowzero"},
    {"Squeeze", VG_OP_RESHAPE, 1, 2, vg_parse_squeeze, "axes"},
    {"Unsqueeze", VG_OP_RESHAPE, 1, 2, vg_parse_unsqueeze, "axes"},
    /* broadcast (before opset 7): unidirectional, which Vigil's Gemm and binary ops do */
    {"Gemm", VG_OP_GEMM, 2, 3, vg_parse_gemm, "alpha beta transA transB broadcast"},
    {"MatMul", VG_OP_MATMUL, 2, 2, NULL, ""},
    {"Add", VG_OP_ADD, 2, 2, NULL, "broadcast"},
    {"Sub", VG_OP_SUB, 2, 2, NULL, "broadcast"},
    {"Mul", VG_OP_MUL, 2, 2, NULL, "broadcast"},
    {"Div", VG_OP_DIV, 2, 2, NULL, "broadcast"},
    {"PRelu", VG_OP_PRELU, 2, 2, NULL, ""},
    /* Max and Min take any number of inputs in ONNX; torch.maximum and torch.minimum export 2 */
    {"Max", VG_OP_MAX, 2, 2, NULL, ""},
    {"Min", VG_OP_MIN, 2, 2, NULL, ""},
    {"Greater", VG_OP_GREATER, 2, 2, NULL, "broadcast"},
    {"GreaterOrEqual", VG_OP_GREATER_EQUAL, 2, 2, NULL, ""},
    {"Less", VG_OP_LESS, 2, 2, NULL, "broadcast"},
    {"LessOrEqual", VG_OP_LESS_EQUAL, 2, 2, NULL, ""},
    {"Equal", VG_OP_EQUAL, 2, 2, NULL, "broadcast"},
    {"Where", VG_OP_WHERE, 3, 3, NULL, ""},
    {"Concat", VG_OP_CONCAT, 1, VG_MAX_NODE_INPUTS, vg_parse_concat, "axis"},
};

const VgOpSpec *vg_onnx_find_spec(const char *op_type)
{
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
    if (strcmp(specs[i].name, op_type) == 0)
      return &specs[i];
  return NULL;
}

int vg_unsupported(VgBuild *b, VgError *err, const char *what)
{
  return vg_error_set(err, "unsupported %s in op '%s' (node '%s', opset %lld)", what, b->op_type,
                      b->node_name, (long long)b->m->opset);
}

/* The value an input name refers to; -1 for an absent optional input (""). Inside a channels-last
 * region, names defined there too. */
static int resolve(VgBuild *b, const char *name, int *v, VgError *err)
{
  *v = -1;
  if (!name[0])
    return VG_OK;
  *v = vg_name_map_get(&b->names, name);
  if (*v < 0 && b->in_region)
    *v = vg_onnx_channels_last_value(b, name);
  if (*v < 0)
    return vg_error_set(err,
                        "node '%s' (%s) reads '%s', an output Vigil does not compute "
                        "(it reads the first output of each node only)",
                        b->node_name, b->op_type, name);
  return VG_OK;
}

/* Constant: a `value` tensor, or value_float(s) / value_int(s). */
static int add_constant(VgBuild *b, const Onnx__NodeProto *np, VgError *err)
{
  const Onnx__AttributeProto *a;
  VgShape shape = {0};
  float *data = NULL;
  if ((a = vg_attr_find(np, "value")) && a->t) {
    if (vg_onnx_tensor_read(a->t, &shape, &data, err) != VG_OK)
      return VG_ERR;
  } else if ((a = vg_attr_find(np, "value_float")) || (a = vg_attr_find(np, "value_int"))) {
    data = malloc(sizeof *data);
    if (!data)
      return vg_error_set(err, "out of memory");
    data[0] = a->has_f ? a->f : (float)a->i;
  } else if ((a = vg_attr_find(np, "value_floats")) || (a = vg_attr_find(np, "value_ints"))) {
    size_t n = a->n_floats ? a->n_floats : a->n_ints;
    if (n > VG_MAX_DIM)
      return vg_error_set(err, "Constant '%s' is too large", b->node_name);
    data = malloc((n ? n : 1) * sizeof *data);
    if (!data)
      return vg_error_set(err, "out of memory");
    for (size_t i = 0; i < n; i++)
      data[i] = a->n_floats ? a->floats[i] : (float)a->ints[i];
    shape.rank = 1;
    shape.dims[0] = (int64_t)n;
  } else {
    return vg_unsupported(b, err, "value kind");
  }
  int v = vg_build_add_const(b, np->output[0], &shape, data, err);
  if (v < 0)
    return VG_ERR;
  vg_name_map_put(&b->names, np->output[0], v);
  return VG_OK;
}

/* Identity and Dropout: the output name becomes another name of the input value. A Dropout whose
 * training_mode input (opset 12 and later) is true or computed drops values at random: refused. */
static int add_bypass(VgBuild *b, const Onnx__NodeProto *np, VgError *err)
{
  int v = -1, training = -1;
  if (np->n_input > 0 && resolve(b, np->input[0], &v, err) != VG_OK)
    return VG_ERR;
  if (v < 0)
    return vg_error_set(err, "node '%s' (%s) has no input", b->node_name, b->op_type);
  if (strcmp(b->op_type, "Dropout") == 0 && np->n_input > 2 &&
      resolve(b, np->input[2], &training, err) != VG_OK)
    return VG_ERR;
  if (training >= 0) {
    const VgValue *t = &b->m->values[training];
    if (t->kind != VG_VALUE_CONST || vg_shape_count(&t->shape) != 1 || t->data[0] != 0.0f)
      return vg_unsupported(b, err, "training_mode" VG_ONNX_TRAINING_HINT);
  }
  vg_name_map_put(&b->names, np->output[0], v);
  return VG_OK;
}

static int node_init(VgBuild *b, const Onnx__NodeProto *np, const VgOpSpec *spec, VgNode *node,
                     VgError *err)
{
  memset(node, 0, sizeof *node);
  node->op = spec->op;
  node->alpha = 1.0f;
  node->beta = 1.0f;
  node->name = strdup(b->node_name);
  node->inputs = malloc(np->n_input * sizeof *node->inputs);
  if (!node->name || !node->inputs)
    return vg_error_set(err, "out of memory");
  node->n_inputs = (int)np->n_input;
  for (size_t k = 0; k < np->n_input; k++)
    if (resolve(b, np->input[k], &node->inputs[k], err) != VG_OK)
      return VG_ERR;
  if (node->inputs[0] < 0)
    return vg_error_set(err, "node '%s' (%s) has no first input", b->node_name, b->op_type);
  return VG_OK;
}

/* After parsing: every input the node kept must be present. */
static int check_inputs(VgBuild *b, const VgNode *node, VgError *err)
{
  for (int k = 0; k < node->n_inputs; k++)
    if (node->inputs[k] < 0)
      return vg_error_set(err, "node '%s' (%s) lacks input %d", b->node_name, b->op_type, k);
  return VG_OK;
}

int vg_check_attrs(VgBuild *b, const Onnx__NodeProto *np, const char *attrs, VgError *err)
{
  for (size_t i = 0; i < np->n_attribute; i++) {
    const char *name = np->attribute[i]->name ? np->attribute[i]->name : "";
    size_t len = strlen(name);
    const char *at = attrs;
    while (len && (at = strstr(at, name)) &&
           !((at == attrs || at[-1] == ' ') && (at[len] == ' ' || !at[len])))
      at += len;
    if ((!len || !at) && strcmp(name, "consumed_inputs") != 0) {
      char what[96];
      snprintf(what, sizeof what, "attribute '%.64s'", name);
      return vg_unsupported(b, err, what);
    }
  }
  return VG_OK;
}

int vg_onnx_add_op(VgBuild *b, const Onnx__NodeProto *np, const VgOpSpec *spec, VgError *err)
{
  VgModel *m = b->m;
  if (np->n_input < (size_t)spec->min_in || np->n_input > (size_t)spec->max_in)
    return vg_error_set(err, "node '%s' (%s) has %zu inputs (expected %d to %d)", b->node_name,
                        b->op_type, np->n_input, spec->min_in, spec->max_in);
  for (size_t o = 1; o < np->n_output; o++)
    if (np->output[o][0])
      return vg_unsupported(b, err,
                            spec->op == VG_OP_BATCH_NORM ? "second output" VG_ONNX_TRAINING_HINT
                                                         : "second output");
  if (vg_check_attrs(b, np, spec->attrs, err) != VG_OK)
    return VG_ERR;
  if (m->n_nodes >= b->cap_nodes)
    return vg_error_set(err, "too many nodes");
  VgNode *node = &m->nodes[m->n_nodes++]; /* counted now so that vg_model_free frees it */
  if (node_init(b, np, spec, node, err) != VG_OK)
    return VG_ERR;
  if (spec->parse && spec->parse(b, np, node, err) != VG_OK)
    return VG_ERR;
  if (check_inputs(b, node, err) != VG_OK)
    return VG_ERR;
  int out = vg_build_add_value(b, np->output[0], VG_VALUE_NODE, err);
  if (out < 0)
    return VG_ERR;
  node->output = out;
  m->values[out].producer = m->n_nodes - 1;
  VgShape *shapes = b->shapes;
  shapes[out] = m->values[out].shape;
  if (vg_shape_node(m, node, shapes, err) != VG_OK)
    return VG_ERR;
  m->values[out].shape = shapes[out];
  int time_keeping = spec->parse ? vg_parse_after_shape(b, node, err) : 0;
  if (time_keeping < 0)
    return VG_ERR;
  m->values[out].is_time = vg_shape_output_is_time(m, node);
  if (!b->in_region)
    vg_name_map_put(&b->names, np->output[0], out);
  if (vg_fold_constant_node(b, m->n_nodes - 1, err) < 0)
    return VG_ERR;
  vg_onnx_time_sized_inputs(b, np, node, time_keeping);
  return out;
}

VgNode *vg_onnx_new_node(VgBuild *b, VgOpType op, const char *name, int input, int second,
                         VgError *err)
{
  VgModel *m = b->m;
  if (m->n_nodes >= b->cap_nodes) {
    vg_error_set(err, "too many nodes");
    return NULL;
  }
  VgNode *node = &m->nodes[m->n_nodes++]; /* counted now so that vg_model_free frees it */
  memset(node, 0, sizeof *node);
  node->op = op;
  node->alpha = node->beta = 1.0f;
  for (int a = 0; a < VG_MAX_RANK; a++)
    node->slice_len[a] = -1;
  node->name = strdup(name);
  node->inputs = malloc(2 * sizeof *node->inputs);
  if (!node->name || !node->inputs) {
    vg_error_set(err, "out of memory");
    return NULL;
  }
  node->n_inputs = second >= 0 ? 2 : 1;
  node->inputs[0] = input;
  node->inputs[1] = second;
  return node;
}

int vg_onnx_emit_node(VgBuild *b, VgNode *node, const char *name, VgError *err)
{
  VgModel *m = b->m;
  int out = vg_build_add_value(b, name, VG_VALUE_NODE, err);
  if (out < 0)
    return VG_ERR;
  node->output = out;
  m->values[out].producer = (int)(node - m->nodes);
  if (vg_shape_node(m, node, b->shapes, err) != VG_OK)
    return VG_ERR;
  m->values[out].shape = b->shapes[out];
  m->values[out].is_time = vg_shape_output_is_time(m, node);
  if (vg_name_map_set(&b->names, name, out) != VG_OK)
    return vg_error_set(err, "out of memory");
  return VG_OK;
}

/* A Reduce* became a global pool or a Reduce node (vg_parse_reduce); without keepdims a Squeeze of
 * the reduced axes follows, and takes over the ONNX output name. */
static int add_reduce_squeeze(VgBuild *b, const Onnx__NodeProto *np, VgError *err)
{
  VgModel *m = b->m;
  int64_t keepdims;
  if (vg_attr_int(np, "keepdims", 1, &keepdims, err) != VG_OK)
    return vg_error_prefix(err, "node '%s' (%s)", b->node_name, b->op_type);
  int pooled = vg_name_map_get(&b->names, np->output[0]);
  if (keepdims || pooled < 0 || m->values[pooled].kind != VG_VALUE_NODE)
    return VG_OK;
  char name[160];
  snprintf(name, sizeof name, "%.140s:squeeze", b->node_name);
  VgNode *sq = vg_onnx_new_node(b, VG_OP_RESHAPE, name, pooled, -1, err);
  char *pooled_name = malloc(strlen(np->output[0]) + 16);
  if (!sq || !pooled_name) {
    free(pooled_name);
    return sq ? vg_error_set(err, "out of memory") : VG_ERR;
  }
  sprintf(pooled_name, "%s:pooled", np->output[0]);
  free(m->values[pooled].name);
  m->values[pooled].name = pooled_name;
  const VgNode *reduce = &m->nodes[m->values[pooled].producer];
  sq->reshape_kind = VG_RESHAPE_SQUEEZE;
  sq->n_axes = reduce->op == VG_OP_REDUCE ? reduce->n_axes : m->values[pooled].shape.rank - 2;
  for (int i = 0; i < sq->n_axes; i++)
    sq->axes[i] = reduce->op == VG_OP_REDUCE ? reduce->axes[i] : 2 + i;
  return vg_onnx_emit_node(b, sq, np->output[0], err);
}

/* Cast of a computed value to float, or to bool of a comparison's output: the value itself, since
 * Vigil computes in float32 and its comparisons give 1 or 0 (`(h > 0).float()`). Also to double,
 * computed in float32 all the same: PyTorch 1.13 exports `torch.where(c, 1.0, -1.0) + h` with
 * double constants, a double Where and h cast to double. Returns 1 when bypassed, 0 for another
 * Cast (refused as a constant-only op), or VG_ERR. */
static int cast_bypass(VgBuild *b, const Onnx__NodeProto *np, int x, VgError *err)
{
  const VgModel *m = b->m;
  int64_t to;
  if (vg_check_attrs(b, np, "to", err) != VG_OK ||
      vg_attr_int(np, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, &to, err) != VG_OK)
    return VG_ERR;
  int producer = m->values[x].producer;
  VgOpType op = producer >= 0 ? m->nodes[producer].op : VG_OP_IDENTITY;
  int boolean = (op >= VG_OP_GREATER && op <= VG_OP_EQUAL) || op == VG_OP_NOT;
  if (to != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && to != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE &&
      !(to == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL && boolean))
    return 0;
  vg_name_map_put(&b->names, np->output[0], x);
  return 1;
}

/* Attributes from ONNX opsets before 7 and 9 that change what an op computes, refused rather
 * than ignored: a binary op's `axis` (broadcasting B from that axis on, not numpy's trailing axes)
 * and BatchNormalization's spatial=0 (statistics per element, not per channel). */
static int refuse_legacy_attrs(VgBuild *b, const Onnx__NodeProto *np, VgError *err)
{
  static const char *const binary[] = {"Add", "Sub", "Mul", "Div"};
  for (size_t i = 0; i < sizeof binary / sizeof binary[0]; i++)
    if (strcmp(b->op_type, binary[i]) == 0 && vg_attr_find(np, "axis"))
      return vg_unsupported(b, err,
                            "legacy 'axis' broadcasting (opsets before 7; re-export with "
                            "opset_version 7 or later)");
  int64_t spatial = 1;
  if (strcmp(b->op_type, "BatchNormalization") == 0 &&
      (vg_attr_int(np, "spatial", 1, &spatial, err) != VG_OK || spatial == 0))
    return spatial == 0 ? vg_unsupported(b, err,
                                         "attribute spatial=0 (per-element statistics, opsets "
                                         "before 9)")
                        : VG_ERR;
  return VG_OK;
}

int vg_onnx_add_node(VgBuild *b, const Onnx__NodeProto *np, int index, VgError *err)
{
  const char *op = np->op_type ? np->op_type : "";
  snprintf(b->label, sizeof b->label, "%.64s#%d", op[0] ? op : "node", index);
  b->op_type = op;
  b->node_name = np->name && np->name[0] ? np->name : b->label;
  if (np->domain && np->domain[0] && strcmp(np->domain, "ai.onnx") != 0)
    return vg_error_set(err, "unsupported op '%s' from domain '%s' (node '%s', opset %lld)", op,
                        np->domain, b->node_name, (long long)b->m->opset);
  if (np->n_output < 1 || !np->output[0][0])
    return vg_error_set(err, "node '%s' (%s) has no output", b->node_name, op);
  if (vg_name_map_get(&b->names, np->output[0]) >= 0)
    return vg_error_set(err, "value '%s' is defined twice", np->output[0]);
  if (strcmp(op, "Constant") == 0)
    return add_constant(b, np, err);
  int done = vg_onnx_channels_last(b, np, err);
  if (done != 0)
    return done < 0 ? VG_ERR : VG_OK;
  if (strcmp(op, "Identity") == 0 || strcmp(op, "Dropout") == 0)
    return add_bypass(b, np, err);
  if (strcmp(op, "Split") == 0)
    return vg_onnx_add_split(b, np, err);
  int x = np->n_input > 0 && np->input[0][0] ? vg_name_map_get(&b->names, np->input[0]) : -1;
  if (strcmp(op, "Expand") == 0 && x >= 0 && b->m->values[x].kind != VG_VALUE_CONST)
    return vg_onnx_add_expand(b, np, x, err);
  if (strcmp(op, "ReduceLogSumExp") == 0 && x >= 0 && b->m->values[x].kind != VG_VALUE_CONST)
    return vg_onnx_add_logsumexp(b, np, x, err);
  int reduced =
      x >= 0 && b->m->values[x].kind != VG_VALUE_CONST ? vg_onnx_add_time_reduce(b, np, x, err) : 0;
  if (reduced != 0)
    return reduced < 0 ? VG_ERR : VG_OK;
  char mode[16] = "";
  if (strcmp(op, "Resize") == 0 && x >= 0 && b->m->values[x].kind != VG_VALUE_CONST &&
      vg_attr_string(np, "mode", "nearest", mode, sizeof mode, err) == VG_OK &&
      strcmp(mode, "linear") == 0)
    return vg_onnx_add_resize_linear(b, np, x, err);
  if (refuse_legacy_attrs(b, np, err) != VG_OK)
    return VG_ERR;
  int cast = strcmp(op, "Cast") == 0 && x >= 0 && b->m->values[x].kind != VG_VALUE_CONST
                 ? cast_bypass(b, np, x, err)
                 : 0;
  if (cast != 0)
    return cast < 0 ? VG_ERR : VG_OK;
  int folded = vg_onnx_const_op(b, np, err);
  if (folded != 0)
    return folded < 0 ? VG_ERR : VG_OK;
  const VgOpSpec *spec = vg_onnx_find_spec(op);
  if (!spec)
    return vg_error_set(err, "unsupported op '%s' (node '%s', opset %lld)", op, b->node_name,
                        (long long)b->m->opset);
  if (vg_onnx_add_op(b, np, spec, err) < 0)
    return VG_ERR;
  return spec->parse == vg_parse_reduce ? add_reduce_squeeze(b, np, err) : VG_OK;
}
