/* Head ops on plain values: Gemm, MatMul and Softmax.
 *
 * Gemm: Y = alpha * A' B' + beta * C with A' = A or A^T, B' = B or B^T (ONNX transA/transB) and C
 * broadcast to [M, N]. Y is filled with beta * C first and handed to cblas_sgemm with beta 1.
 * MatMul: [..., M, K] x [K, N] (or [K]) as one GEMM over the flattened leading axes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "ops_priv.h"

/* One row (a classifier head on one window): y[n] = alpha * a[k] B' + beta * y as a
 * matrix-vector product. sgemm would pack all of B into its own layout on every call, which cost
 * the streaming hop of the accelerometer-like model a fifth of its time (perf: sgemm_incopy).
 * With M = 1, A and A^T are the same k contiguous floats. */
static void gemm_row(const VgNode *node, const float *a, const float *b, int64_t k, int64_t n,
                     float beta, float *out)
{
  if (node->trans_b) /* B is [n, k]: y = B a */
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, node->alpha, b, (int)k, a, 1, beta,
                out, 1);
  else /* B is [k, n]: y = B^T a */
    cblas_sgemv(CblasRowMajor, CblasTrans, (int)k, (int)n, node->alpha, b, (int)n, a, 1, beta, out,
                1);
}

int gemm_forward(const VgModel *m, const VgNode *node, const VgShape *shapes,
                 const float *const *in, float *out)
{
  const VgShape *as = ops_in_shape(shapes, node, 0), *bs = ops_in_shape(shapes, node, 1);
  if (as->rank != 2 || bs->rank != 2)
    return VG_ERR;
  int64_t mm = node->trans_a ? as->dims[1] : as->dims[0];
  int64_t k = node->trans_a ? as->dims[0] : as->dims[1];
  int64_t n = node->trans_b ? bs->dims[0] : bs->dims[1];
  int64_t kb = node->trans_b ? bs->dims[1] : bs->dims[0];
  if (k != kb)
    return VG_ERR;
  float beta = 0.0f;
  if (node->n_inputs > 2 && node->inputs[2] >= 0 && node->beta != 0.0f) {
    VgShape ys = {.rank = 2, .dims = {mm, n}};
    int64_t st[VG_MAX_RANK];
    if (ops_broadcast_strides(ops_in_shape(shapes, node, 2), &ys, st) != VG_OK)
      return VG_ERR;
    for (int64_t r = 0; r < mm; r++)
      for (int64_t c = 0; c < n; c++)
        out[r * n + c] = in[2][r * st[0] + c * st[1]];
    beta = node->beta;
  }
  if (mm == 1) {
    gemm_row(node, in[0], in[1], k, n, beta, out);
    return VG_OK;
  }
  cblas_sgemm(CblasRowMajor, node->trans_a ? CblasTrans : CblasNoTrans,
              node->trans_b ? CblasTrans : CblasNoTrans, (int)mm, (int)n, (int)k, node->alpha,
              in[0], (int)as->dims[1], in[1], (int)bs->dims[1], beta, out, (int)n);
  return VG_OK;
}

int matmul_forward(const VgModel *m, const VgNode *node, const VgShape *shapes,
                   const float *const *in, float *out)
{
  const VgShape *as = ops_in_shape(shapes, node, 0), *bs = ops_in_shape(shapes, node, 1);
  if (as->rank < 1 || bs->rank < 1 || bs->rank > 2)
    return VG_ERR;
  int64_t k = as->dims[as->rank - 1];
  int64_t rows = ops_count(as) / (k > 0 ? k : 1);
  int64_t n = bs->rank == 2 ? bs->dims[1] : 1;
  if (bs->dims[0] != k)
    return VG_ERR;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)n, (int)k, 1.0f, in[0],
              (int)k, in[1], (int)n, 0.0f, out, (int)n);
  return VG_OK;
}

void softmax_apply(const float *in, float *out, int64_t outer, int64_t n, int64_t inner,
                   int take_log)
{
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      const float *x = in + o * n * inner + i;
      float *y = out + o * n * inner + i;
      float mx = -INFINITY;
      for (int64_t c = 0; c < n; c++)
        mx = x[c * inner] > mx ? x[c * inner] : mx;
      double sum = 0.0;
      for (int64_t c = 0; c < n; c++) {
        y[c * inner] = expf(x[c * inner] - mx);
        sum += y[c * inner];
      }
      if (take_log) { /* LogSoftmax, as PyTorch: x - max - log(sum(exp(x - max))) */
        float shift = mx + (float)log(sum);
        for (int64_t c = 0; c < n; c++)
          y[c * inner] = x[c * inner] - shift;
        continue;
      }
      float scale = (float)(1.0 / sum);
      for (int64_t c = 0; c < n; c++)
        y[c * inner] *= scale;
    }
}
