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
    /* One row (a classifier head on one window): a matrix-vector product. OpenBLAS's sgemm would
     * pack the whole weight matrix on every call, 3-4x the time of sgemv here. With one row, A's
     * k values are contiguous whether transposed or not. y[n] = alpha B'^T a + beta y. */
    cblas_sgemv(CblasRowMajor, node->trans_b ? CblasNoTrans : CblasTrans, (int)bs->dims[0],
                (int)bs->dims[1], node->alpha, in[1], (int)bs->dims[1], in[0], 1, beta, out, 1);
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

void softmax_apply(const float *in, float *out, int64_t outer, int64_t n, int64_t inner)
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
      float scale = (float)(1.0 / sum);
      for (int64_t c = 0; c < n; c++)
        y[c * inner] *= scale;
    }
}
