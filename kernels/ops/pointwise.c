/* One-input element-wise ops: Relu, LeakyRelu, Sigmoid, Tanh, Clip, Elu, Erf, and BatchNorm left
 * unfused (y = a[c] * x + b[c] with a = scale / sqrt(var + eps), b = B - mean * a, folded once at
 * prepare time). They act the same on time columns and on plain values.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "ops_priv.h"
#include "vg_scalar.h"

int is_pointwise(VgOpType op)
{
  return vg_op_is_activation(op) || op == VG_OP_BATCH_NORM;
}

int pointwise_prepare(VgModel *m, VgNode *node, VgError *err)
{
  if (node->op != VG_OP_BATCH_NORM)
    return VG_OK;
  if (node->n_inputs < 5)
    return vg_error_set(err, "BatchNormalization '%s': 5 inputs expected", node->name);
  int64_t c = -1;
  for (int i = 1; i < 5; i++) {
    if (!ops_is_const(m, node, i))
      return vg_error_set(err, "BatchNormalization '%s': input %d must be a constant", node->name,
                          i);
    int64_t n = ops_count(&ops_value(m, node, i)->shape);
    if (c >= 0 && n != c)
      return vg_error_set(err, "BatchNormalization '%s': parameters of different lengths",
                          node->name);
    c = n;
  }
  VgPacked *p = ops_packed_new(c, c, 0, err);
  if (!p)
    return vg_error_prefix(err, "BatchNormalization '%s'", node->name);
  const float *scale = ops_value(m, node, 1)->data, *shift = ops_value(m, node, 2)->data;
  const float *mean = ops_value(m, node, 3)->data, *var = ops_value(m, node, 4)->data;
  for (int64_t i = 0; i < c; i++) {
    double a = scale[i] / sqrt((double)var[i] + node->epsilon);
    p->w[i] = (float)a;
    p->bias[i] = (float)(shift[i] - mean[i] * a);
  }
  ops_packed_attach(node, p);
  return VG_OK;
}

VG_SIMD_CLONES static void batch_norm(const VgPacked *p, const float *in, float *out, int64_t rows,
                                      int64_t width, int64_t per_channel)
{
  int64_t channels = width / per_channel;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < channels; c++) {
      const float *x = in + r * width + c * per_channel;
      float *y = out + r * width + c * per_channel;
      for (int64_t i = 0; i < per_channel; i++)
        y[i] = p->w[c] * x[i] + p->bias[c];
    }
}

VG_SIMD_CLONES int pointwise_apply(const VgNode *node, const float *in, float *out, int64_t rows,
                                   int64_t width, int64_t per_channel)
{
  int64_t n = rows * width;
  float a = node->alpha;
  switch (node->op) {
  case VG_OP_RELU:
    for (int64_t i = 0; i < n; i++)
      out[i] = vg_relu(in[i]);
    return VG_OK;
  case VG_OP_LEAKY_RELU:
    for (int64_t i = 0; i < n; i++)
      out[i] = vg_leaky_relu(in[i], a);
    return VG_OK;
  case VG_OP_SIGMOID:
    for (int64_t i = 0; i < n; i++)
      out[i] = vg_sigmoid(in[i]);
    return VG_OK;
  case VG_OP_TANH:
    for (int64_t i = 0; i < n; i++)
      out[i] = tanhf(in[i]);
    return VG_OK;
  case VG_OP_CLIP:
    for (int64_t i = 0; i < n; i++)
      out[i] = vg_clip(in[i], node->clip_min, node->clip_max);
    return VG_OK;
  case VG_OP_ELU:
    for (int64_t i = 0; i < n; i++)
      out[i] = vg_elu(in[i], a);
    return VG_OK;
  case VG_OP_ERF:
    for (int64_t i = 0; i < n; i++)
      out[i] = erff(in[i]);
    return VG_OK;
  case VG_OP_SELU:
  case VG_OP_CELU:
  case VG_OP_SOFTPLUS:
  case VG_OP_HARD_SIGMOID:
  case VG_OP_HARD_SWISH:
  case VG_OP_ABS:
  case VG_OP_NEG:
  case VG_OP_EXP:
  case VG_OP_LOG:
  case VG_OP_SQRT:
  case VG_OP_RECIPROCAL:
  case VG_OP_POW:
  case VG_OP_NOT:
  case VG_OP_SIGN: /* rarer activations: one loop for all (vg_unary switches per value) */
    for (int64_t i = 0; i < n; i++)
      out[i] = vg_unary(node, in[i]);
    return VG_OK;
  case VG_OP_BATCH_NORM:
    if (!node->packed || per_channel <= 0 || width % per_channel != 0 ||
        width / per_channel != ((const VgPacked *)node->packed)->n_w)
      return VG_ERR;
    batch_norm(node->packed, in, out, rows, width, per_channel);
    return VG_OK;
  default:
    return VG_ERR;
  }
}
