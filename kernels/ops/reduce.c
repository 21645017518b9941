/* Reduce: ReduceMean, ReduceMax, ReduceMin, ReduceSum and ReduceL2 over fixed axes (channels and
 * F within each column of a time value, any axes but the batch of a plain value). Reductions over
 * time are global pools (pool.c). Sums accumulate in double.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdint.h>

#include "ops_priv.h"

static float vg_min_nan(float x, float acc)
{
  return (x < acc || x != x) ? x : acc;
}

/* Reduces axes node->axes of the row-major block `in` of shape is over axes [first, last) into
 * `out` (the same axes, the reduced ones of size 1). acc holds one double per output. */
static int reduce_box(const VgNode *node, const VgShape *is, int first, int last, const float *in,
                      float *out, double *acc)
{
  int64_t ostride[VG_MAX_RANK], idx[VG_MAX_RANK] = {0}, n_out = 1, n_in = 1;
  int reduced[VG_MAX_RANK] = {0};
  for (int i = 0; i < node->n_axes; i++) {
    if (node->axes[i] < first || node->axes[i] >= last)
      return VG_ERR;
    reduced[node->axes[i]] = 1;
  }
  for (int a = last - 1; a >= first; a--) {
    ostride[a] = reduced[a] ? 0 : n_out;
    n_out *= reduced[a] ? 1 : is->dims[a];
    n_in *= is->dims[a];
  }
  double init = node->reduce == VG_REDUCE_MAX   ? -INFINITY
                : node->reduce == VG_REDUCE_MIN ? INFINITY
                                                : 0.0;
  for (int64_t o = 0; o < n_out; o++)
    acc[o] = init;
  for (int64_t i = 0, o = 0; i < n_in; i++) {
    double x = in[i];
    switch (node->reduce) {
    case VG_REDUCE_MAX:
      acc[o] = vg_max_nan((float)x, (float)acc[o]);
      break;
    case VG_REDUCE_MIN:
      acc[o] = vg_min_nan((float)x, (float)acc[o]);
      break;
    case VG_REDUCE_L2:
      acc[o] += x * x;
      break;
    default:
      acc[o] += x;
    }
    for (int a = last - 1; a >= first; a--) { /* the next input index, and its output */
      o += ostride[a];
      if (++idx[a] < is->dims[a])
        break;
      o -= ostride[a] * is->dims[a];
      idx[a] = 0;
    }
  }
  double count = (double)(n_in / (n_out ? n_out : 1));
  for (int64_t o = 0; o < n_out; o++)
    out[o] = node->reduce == VG_REDUCE_MEAN ? (float)(acc[o] / count)
             : node->reduce == VG_REDUCE_L2 ? (float)sqrt(acc[o])
                                            : (float)acc[o];
  return VG_OK;
}

int reduce_forward_time(const VgNode *node, const VgShape *shapes, const VgSeq *in, VgSeq *out,
                        int64_t j0, int64_t j1, float *scratch)
{
  const VgShape *is = ops_in_shape(shapes, node, 0);
  double *acc = (double *)(((uintptr_t)scratch + 7) & ~(uintptr_t)7);
  for (int64_t j = j0; j < j1; j++) /* a column holds axes 1 .. rank-2 */
    if (reduce_box(node, is, 1, is->rank - 1, seq_col(in, j), seq_col_mut(out, j), acc) != VG_OK)
      return VG_ERR;
  return VG_OK;
}

int reduce_forward_plain(const VgNode *node, const VgShape *shapes, const float *in, float *out,
                         float *scratch)
{
  const VgShape *is = ops_in_shape(shapes, node, 0);
  double *acc = (double *)(((uintptr_t)scratch + 7) & ~(uintptr_t)7);
  return reduce_box(node, is, 0, is->rank, in, out, acc);
}
