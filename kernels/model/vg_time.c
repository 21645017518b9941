/* Time-axis behaviour of graph nodes: output lengths, column dependencies and time scales.
 *
 * Conventions (window-relative columns, time axis = last spatial axis, index t = n_spatial - 1):
 * - Conv and pools, kernel k, stride s, dilation d, leading pad p:
 *     output column j reads input columns j*s - p + i*d for i in [0, k).
 * - ConvTranspose: input column i adds into output columns i*s - p + i'*d for i' in [0, k), so
 *     output column j receives from inputs i with i*s <= j + p <= i*s + (k-1)*d.
 * - Pad: output column j is input column j - p.
 * - Everything else that is time-local maps column j to column j.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vg_model.h"

static int time_axis(const VgNode *node)
{
  return node->win.n_spatial > 0 ? node->win.n_spatial - 1 : 0;
}

static int has_window(const VgNode *node)
{
  switch (node->op) {
  case VG_OP_CONV:
  case VG_OP_CONV_TRANSPOSE:
  case VG_OP_MAX_POOL:
  case VG_OP_AVG_POOL:
  case VG_OP_PAD:
    return 1;
  default:
    return 0;
  }
}

/* Floor division for possibly negative numerators (C rounds toward zero). */
static int64_t floor_div(int64_t a, int64_t b)
{
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
  return -floor_div(-a, b);
}

/* Output length of a sliding window along one axis: ONNX's formula, and for ceil_mode the rule
 * ONNX Runtime and PyTorch share that the last window must start inside the input or left pad.
 * With ceil_mode a window may reach up to s - 1 columns past the padded input, the first one
 * too: MaxPool1d(2, 2, ceil_mode=True) gives one column at length 1. */
static int64_t window_out_len(int64_t n, int k, int s, int d, int pb, int pe, int ceil_mode)
{
  int64_t span = n + pb + pe - (int64_t)d * (k - 1) - 1;
  if (span < (ceil_mode ? 1 - (int64_t)s : 0))
    return 0;
  if (!ceil_mode)
    return span / s + 1;
  int64_t out = ceil_div(span, s) + 1;
  if ((out - 1) * s >= n + pb)
    out--;
  return out;
}

int64_t vg_node_time_out_len(const VgNode *node, int64_t t_in)
{
  const VgWindow *w = &node->win;
  int t = time_axis(node);
  if (!has_window(node))
    return t_in;
  switch (node->op) {
  case VG_OP_PAD:
    return t_in + w->pad_begin[t] + w->pad_end[t];
  case VG_OP_CONV_TRANSPOSE:
    return (t_in - 1) * w->stride[t] - w->pad_begin[t] - w->pad_end[t] +
           (int64_t)w->dilation[t] * (w->kernel[t] - 1) + w->output_padding[t] + 1;
  default:
    return window_out_len(t_in, w->kernel[t], w->stride[t], w->dilation[t], w->pad_begin[t],
                          w->pad_end[t], w->ceil_mode);
  }
}

void vg_node_time_deps(const VgNode *node, int64_t j0, int64_t j1, int64_t *first, int64_t *last)
{
  const VgWindow *w = &node->win;
  int t = time_axis(node);
  if (!has_window(node)) {
    *first = j0;
    *last = j1;
    return;
  }
  int64_t s = w->stride[t], d = w->dilation[t], k = w->kernel[t], p = w->pad_begin[t];
  switch (node->op) {
  case VG_OP_PAD:
    *first = j0 - p;
    *last = j1 - p;
    break;
  case VG_OP_CONV_TRANSPOSE:
    *first = ceil_div(j0 + p - d * (k - 1), s);
    *last = floor_div(j1 + p, s);
    break;
  default:
    *first = j0 * s - p;
    *last = j1 * s - p + d * (k - 1);
    break;
  }
}

void vg_node_time_scale(const VgNode *node, int64_t *num, int64_t *den)
{
  int t = time_axis(node);
  *num = 1;
  *den = 1;
  if (node->op == VG_OP_CONV || node->op == VG_OP_MAX_POOL || node->op == VG_OP_AVG_POOL)
    *den = node->win.stride[t];
  else if (node->op == VG_OP_CONV_TRANSPOSE)
    *num = node->win.stride[t];
}
