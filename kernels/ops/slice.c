/* Slice: a box of a value's fixed axes (channels, frequency, a plain value's axes), copied.
 * Time crops are Pads with negative pads (pad_forward); the loader never slices a time value's
 * time axis here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "ops_priv.h"

/* Copies the box of axes [first, last) of `in` (shape is, row-major over those axes) that starts
 * at node->slice_start into `out` (shape os). The innermost axis is one memcpy per row. */
static int slice_box(const VgNode *node, const VgShape *is, const VgShape *os, int first, int last,
                     const float *in, float *out)
{
  int64_t stride[VG_MAX_RANK], idx[VG_MAX_RANK] = {0}, base = 0;
  if (last <= first)
    return VG_ERR;
  int64_t n = 1;
  for (int a = last - 1; a >= first; a--) {
    stride[a] = n;
    n *= is->dims[a];
  }
  for (int a = first; a < last; a++) {
    int64_t s = node->slice_len[a] < 0 ? 0 : node->slice_start[a];
    if (s < 0 || s + os->dims[a] > is->dims[a])
      return VG_ERR;
    base += s * stride[a];
  }
  int64_t row = os->dims[last - 1], rows = ops_prod(os, first, last - 1);
  for (int64_t r = 0; r < rows; r++) {
    int64_t off = base;
    for (int a = first; a < last - 1; a++)
      off += idx[a] * stride[a];
    memcpy(out + r * row, in + off, (size_t)row * sizeof(float));
    for (int a = last - 2; a >= first; a--) { /* the next row's index */
      if (++idx[a] < os->dims[a])
        break;
      idx[a] = 0;
    }
  }
  return VG_OK;
}

int slice_forward_time(const VgNode *node, const VgShape *shapes, const VgSeq *in, VgSeq *out,
                       int64_t j0, int64_t j1)
{
  const VgShape *is = ops_in_shape(shapes, node, 0), *os = ops_out_shape(shapes, node);
  for (int64_t j = j0; j < j1; j++) /* a column holds axes 1 .. rank-2 */
    if (slice_box(node, is, os, 1, is->rank - 1, seq_col(in, j), seq_col_mut(out, j)) != VG_OK)
      return VG_ERR;
  return VG_OK;
}

int slice_forward_plain(const VgNode *node, const VgShape *shapes, const float *in, float *out)
{
  const VgShape *is = ops_in_shape(shapes, node, 0);
  return slice_box(node, is, ops_out_shape(shapes, node), 0, is->rank, in, out);
}
