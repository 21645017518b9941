/* Vigil kernels: the scalar definition of each pointwise and binary op, shared by the runtime
 * kernels (kernels/ops) and load-time constant folding (vg_fold.c), so that a folded constant and a
 * computed activation are the same function of their input. NaN propagates as in PyTorch.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_SCALAR_H
#define VG_SCALAR_H

#include <math.h>

#include "vg_model.h"

static inline float vg_relu(float x)
{
  return x < 0.0f ? 0.0f : x; /* NaN stays NaN */
}

static inline float vg_leaky_relu(float x, float alpha)
{
  return x >= 0.0f ? x : alpha * x;
}

static inline float vg_sigmoid(float x)
{
  /* 1 / (1 + e^-x) without overflow for large negative x */
  if (x >= 0.0f)
    return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}

static inline float vg_clip(float x, float lo, float hi)
{
  return x != x ? x : fminf(fmaxf(x, lo), hi);
}

static inline float vg_elu(float x, float alpha)
{
  return x > 0.0f ? x : alpha * expm1f(x);
}

/* ONNX Softplus, ln(exp(x) + 1), written so that neither branch overflows or loses x. */
static inline float vg_softplus(float x)
{
  return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
}

/* ONNX HardSigmoid, max(0, min(1, alpha x + beta)); NaN stays (vg_clip). */
static inline float vg_hard_sigmoid(float x, float alpha, float beta)
{
  return vg_clip(alpha * x + beta, 0.0f, 1.0f);
}

/* ONNX Celu, max(0, x) + min(0, alpha (exp(x / alpha) - 1)) for alpha > 0: one branch per sign,
 * so that NaN stays NaN (fmaxf would turn it into 0). */
static inline float vg_celu(float x, float alpha)
{
  return x > 0.0f ? x : alpha * expm1f(x / alpha);
}

/* x^e as PyTorch computes a tensor to a scalar power: the exponents it special-cases by their
 * own operations (x * x for 2, sqrt for 0.5, ...), the others by powf. */
static inline float vg_pow(float x, float e)
{
  if (e == 2.0f)
    return x * x;
  if (e == 3.0f)
    return x * x * x;
  if (e == 0.5f)
    return sqrtf(x);
  if (e == -0.5f)
    return 1.0f / sqrtf(x);
  if (e == -1.0f)
    return 1.0f / x;
  if (e == -2.0f)
    return 1.0f / (x * x);
  return powf(x, e);
}

/* One value of a pointwise node (Relu .. Erf: vg_op_is_activation). */
static inline float vg_unary(const VgNode *n, float x)
{
  switch (n->op) {
  case VG_OP_RELU:
    return vg_relu(x);
  case VG_OP_LEAKY_RELU:
    return vg_leaky_relu(x, n->alpha);
  case VG_OP_SIGMOID:
    return vg_sigmoid(x);
  case VG_OP_TANH:
    return tanhf(x);
  case VG_OP_CLIP:
    return vg_clip(x, n->clip_min, n->clip_max);
  case VG_OP_ELU:
    return vg_elu(x, n->alpha);
  case VG_OP_SELU:
    return n->beta * vg_elu(x, n->alpha);
  case VG_OP_CELU:
    return vg_celu(x, n->alpha);
  case VG_OP_SOFTPLUS:
    return vg_softplus(x);
  case VG_OP_HARD_SIGMOID:
    return vg_hard_sigmoid(x, n->alpha, n->beta);
  case VG_OP_HARD_SWISH:
    return x * vg_hard_sigmoid(x, 1.0f / 6.0f, 0.5f);
  case VG_OP_ABS:
    return fabsf(x);
  case VG_OP_NEG:
    return -x;
  case VG_OP_EXP:
    return expf(x);
  case VG_OP_LOG:
    return logf(x);
  case VG_OP_SQRT:
    return sqrtf(x);
  case VG_OP_RECIPROCAL:
    return 1.0f / x;
  case VG_OP_POW:
    return vg_pow(x, n->alpha);
  case VG_OP_SIGN: /* PyTorch's: 0 for NaN */
    return (float)(x > 0.0f) - (float)(x < 0.0f);
  case VG_OP_NOT: /* of a comparison's 1 or 0 */
    return (float)(x == 0.0f);
  default: /* VG_OP_ERF */
    return erff(x);
  }
}

/* a op b for Add, Sub, Mul, Div, PRelu (b the slope), Max, Min and the comparisons. */
static inline float vg_binary(VgOpType op, float a, float b)
{
  switch (op) {
  case VG_OP_MAX: /* torch.maximum: NaN if either is */
    return a != a || b != b ? a + b : (a > b ? a : b);
  case VG_OP_MIN:
    return a != a || b != b ? a + b : (a < b ? a : b);
  case VG_OP_GREATER:
    return (float)(a > b);
  case VG_OP_GREATER_EQUAL:
    return (float)(a >= b);
  case VG_OP_LESS:
    return (float)(a < b);
  case VG_OP_LESS_EQUAL:
    return (float)(a <= b);
  case VG_OP_EQUAL:
    return (float)(a == b);
  case VG_OP_ADD:
    return a + b;
  case VG_OP_SUB:
    return a - b;
  case VG_OP_MUL:
    return a * b;
  case VG_OP_PRELU:
    return a < 0.0f ? b * a : a; /* NaN stays */
  default:
    return a / b;
  }
}

/* Where: c != 0 ? a : b. The other operand is not read into the result, so that its NaN or
 * infinity (exp of a large value in the branch not taken) does not reach it. */
static inline float vg_where(float c, float a, float b)
{
  return c != 0.0f ? a : b;
}

#endif
