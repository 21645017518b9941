/* Resize in linear mode by integer factors (nn.Upsample(scale_factor=s, mode='linear' or
 * 'bilinear'), F.interpolate's default align_corners=False): an edge Pad of one column on each
 * side, then a depthwise ConvTranspose whose kernel is the interpolation's tent.
 *
 * With half-pixel coordinates, output i reads the input at x = (i + 0.5) / s - 0.5, clamped to the
 * input, as (1 - l) in[floor(x)] + l in[floor(x) + 1] with l = x - floor(x). Padding the input
 * with one copy of its edge entry on each side makes the clamp unnecessary (beyond the edges both
 * terms read the same entry), and the unclamped interpolation over the padded input is
 * out[i] = sum_k in_p[k] tent((i + 0.5) / s + 0.5 - k), tent(u) = max(0, 1 - |u|): a transposed
 * conv of stride s whose kernel position q = i + p - s k carries tent((q - p + 0.5 + s / 2) / s).
 * p = ceil(1.5 s - 0.5) puts the first nonzero tap at q = 0, K = ceil(p - 0.5 + s / 2) taps hold
 * them all, and a trailing pad of s + K - p gives the s n columns of the output. s = 2: the taps
 * 0.25, 0.75, 0.75, 0.25. The edge Pad reads the window's edges, so from it on the model runs per
 * window (vg_node_is_time_local), equal to PyTorch's output.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vg_onnx_ops.h"

/* The tent kernel of factor s: K taps into w (at most 2 s + 1), the transposed conv's pads. */
static int tent(int s, float *w, int *pad_begin, int *pad_end)
{
  int p = (int)ceil(1.5 * s - 0.5), k = (int)ceil(p - 0.5 + 0.5 * s);
  for (int q = 0; q < k; q++) {
    double u = fabs((q - p + 0.5 + 0.5 * s) / s);
    w[q] = (float)(u < 1.0 ? 1.0 - u : 0.0);
  }
  *pad_begin = p;
  *pad_end = s + k - p;
  return k;
}

/* The edge Pad of one entry on each side of the axes with a factor above 1. */
static VgNode *edge_pad(VgBuild *b, int x, int ns, const int *s, VgError *err)
{
  char name[160];
  snprintf(name, sizeof name, "%.140s:edge", b->node_name);
  VgNode *pad = vg_onnx_new_node(b, VG_OP_PAD, name, x, -1, err);
  if (!pad)
    return NULL;
  vg_window_unit(&pad->win, ns);
  pad->pad_mode = VG_PAD_EDGE;
  for (int a = 0; a < ns; a++)
    pad->win.pad_begin[a] = pad->win.pad_end[a] = s[a] > 1;
  return pad;
}

/* Reads the linear mode's settings and integer factors s[] of the spatial axes; VG_ERR refuses. */
static int linear_factors(VgBuild *b, const Onnx__NodeProto *np, const VgShape *x, int *s,
                          VgError *err)
{
  char coords[32];
  if (vg_attr_string(np, "coordinate_transformation_mode", "half_pixel", coords, sizeof coords,
                     err) != VG_OK)
    return vg_error_prefix(err, "node '%s' (Resize)", b->node_name);
  if (b->m->opset < 11 ||
      (strcmp(coords, "half_pixel") != 0 && strcmp(coords, "pytorch_half_pixel") != 0))
    return vg_unsupported(b, err,
                          "coordinates (linear mode runs with half-pixel coordinates, "
                          "nn.Upsample's align_corners=False, from opset 11)");
  int v = np->n_input > 2 && np->input[2][0] ? vg_name_map_get(&b->names, np->input[2]) : -1;
  return vg_resize_factors(b, x, v >= 0 ? &b->m->values[v] : NULL,
                           np->n_input > 3 && np->input[3][0], s, err);
}

int vg_onnx_add_resize_linear(VgBuild *b, const Onnx__NodeProto *np, int x, VgError *err)
{
  const VgShape *xs = &b->shapes[x];
  int s[2] = {1, 1}, ns = xs->rank - 2;
  if (vg_check_attrs(b, np,
                     "mode coordinate_transformation_mode nearest_mode cubic_coeff_a "
                     "exclude_outside extrapolation_value",
                     err) != VG_OK ||
      linear_factors(b, np, xs, s, err) != VG_OK)
    return VG_ERR;
  float taps[2][2 * 64 + 1];
  int k[2] = {1, 1}, pb[2] = {0, 0}, pe[2] = {0, 0};
  for (int a = 0; a < ns; a++)
    if (s[a] > 1)
      k[a] = tent(s[a], taps[a], &pb[a], &pe[a]);
    else
      taps[a][0] = 1.0f;
  int64_t c = xs->dims[1];
  VgShape ws = {.rank = xs->rank, .dims = {c, 1, k[0], k[1]}};
  char name[160];
  snprintf(name, sizeof name, "%.140s:tent", b->node_name);
  int w = vg_build_add_filled(b, name, &ws, 1.0f, err);
  if (w < 0)
    return VG_ERR;
  float *d = b->m->values[w].data; /* [C][1][(K_f)][K_t]: the tents' outer product per channel */
  int64_t per = vg_shape_count(&ws) / c;
  for (int64_t i = 0; i < vg_shape_count(&ws); i++)
    d[i] = ns == 1 ? taps[0][i % per] : taps[0][(i % per) / k[1]] * taps[1][(i % per) % k[1]];
  VgNode *pad = edge_pad(b, x, ns, s, err);
  if (!pad || vg_onnx_emit_node(b, pad, name, err) != VG_OK) /* name: not an ONNX value's */
    return VG_ERR;
  VgNode *up = vg_onnx_new_node(b, VG_OP_CONV_TRANSPOSE, b->node_name, pad->output, w, err);
  if (!up)
    return VG_ERR;
  vg_window_unit(&up->win, ns);
  up->win.group = (int)c;
  for (int a = 0; a < ns; a++) {
    up->win.kernel[a] = k[a];
    up->win.stride[a] = s[a];
    up->win.pad_begin[a] = pb[a];
    up->win.pad_end[a] = pe[a];
  }
  return vg_onnx_emit_node(b, up, np->output[0], err);
}
