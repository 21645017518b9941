/* Unit test of the windowed op kernels (Conv, ConvTranspose, MaxPool, AveragePool, Pad) against
 * naive loops written from the ONNX definitions, through the VgSeq contract of vg_ops.h:
 * random geometry (1-D and 2-D, strides, dilations, pads, groups incl. depthwise, ceil_mode,
 * count_include_pad), random requested column ranges [j0, j1), a signal extent [lo, hi) that
 * does not always start at 0 or end at the window's end, and only the needed input columns stored
 * (in an exactly sized allocation, so the sanitizer sees any read outside them). Stored columns
 * outside [lo, hi) hold NaN: a kernel must treat them as padding, not read them. Each output is
 * within 1e-5 x (1 + the sum of its terms' magnitudes), or for a Winograd conv of the largest such
 * sum within its tile (tile_mag).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_ops.h"
#include "vg_rand.h"

static long values_checked, cases_run;
static int whole_range; /* request every output column (more than conv_small.c takes) */

/* The signal: a deterministic value for column c, index w (c inside [lo, hi)). */
static float sig(int64_t c, int64_t w)
{
  unsigned h = (unsigned)(c * 7919 + w * 104729 + 17);
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  return (float)(h % 20001u) / 10000.0f - 1.0f;
}

typedef struct {
  VgModel m;
  VgValue values[4];
  VgNode node;
  int inputs[3];
  VgShape shapes[4];
} OneNode;

static float *rand_array(int64_t n)
{
  float *a = malloc((size_t)n * sizeof(float));
  for (int64_t i = 0; i < n; i++)
    a[i] = rfloat();
  return a;
}

static void shape_set(VgShape *s, int two_d, int64_t c, int64_t f, int64_t t)
{
  s->rank = two_d ? 4 : 3;
  s->dims[0] = 1;
  s->dims[1] = c;
  if (two_d)
    s->dims[2] = f;
  s->dims[s->rank - 1] = t;
}

static int64_t width_of(const VgShape *s)
{
  int64_t w = 1;
  for (int i = 1; i < s->rank - 1; i++)
    w *= s->dims[i];
  return w;
}

/* Output length along F (no ceil_mode along F in these tests). */
static int64_t f_out(const OneNode *o, int64_t fi)
{
  const VgWindow *w = &o->node.win;
  if (o->node.op == VG_OP_CONV_TRANSPOSE)
    return (fi - 1) * w->stride[0] - w->pad_begin[0] - w->pad_end[0] +
           (int64_t)w->dilation[0] * (w->kernel[0] - 1) + w->output_padding[0] + 1;
  if (o->node.op == VG_OP_PAD)
    return fi + w->pad_begin[0] + w->pad_end[0];
  return (fi + w->pad_begin[0] + w->pad_end[0] - (int64_t)w->dilation[0] * (w->kernel[0] - 1) - 1) /
             w->stride[0] +
         1;
}

static void random_window(VgWindow *w, int two_d, int transposed)
{
  memset(w, 0, sizeof(*w));
  w->n_spatial = two_d ? 2 : 1;
  for (int a = 0; a < w->n_spatial; a++) {
    w->kernel[a] = rint_in(1, 5);
    w->stride[a] = rint_in(1, 3);
    w->dilation[a] = rint_in(1, 3);
    int span = w->dilation[a] * (w->kernel[a] - 1);
    w->pad_begin[a] = rint_in(0, span);
    w->pad_end[a] = rint_in(0, span);
    if (transposed)
      w->output_padding[a] =
          rint_in(0, w->stride[a] - 1 < w->dilation[a] - 1 ? w->stride[a] - 1 : w->dilation[a] - 1);
  }
  w->group = 1;
}

/* ---- references, one output value at (column j, channel co, frequency fo) ---- */

static double ref_conv(const OneNode *o, int64_t lo, int64_t hi, int64_t fi, int64_t j, int64_t co,
                       int64_t fo, double *mag)
{
  const VgWindow *w = &o->node.win;
  const VgShape *ws = &o->values[1].shape;
  int two_d = ws->rank == 4, t = two_d;
  int64_t cog = ws->dims[0] / w->group, cig = ws->dims[1], kf = two_d ? ws->dims[2] : 1;
  int64_t kt = ws->dims[ws->rank - 1], g = co / cog;
  double acc = o->values[2].data[co];
  *mag = fabs(acc);
  for (int64_t ci = 0; ci < cig; ci++)
    for (int64_t a = 0; a < kf; a++)
      for (int64_t k = 0; k < kt; k++) {
        int64_t c = j * w->stride[t] - w->pad_begin[t] + k * w->dilation[t];
        int64_t f = two_d ? fo * w->stride[0] - w->pad_begin[0] + a * w->dilation[0] : 0;
        if (c < lo || c >= hi || f < 0 || f >= fi)
          continue;
        double v = o->values[1].data[((co * cig + ci) * kf + a) * kt + k] *
                   (double)sig(c, (g * cig + ci) * fi + f);
        acc += v;
        *mag += fabs(v);
      }
  return acc;
}

/* Winograd computes a tile's outputs (time columns dilation apart) from a shared transform of their
 * inputs, so its rounding error scales with the magnitudes of the whole tile rather than each
 * output's own terms (test_conv_kernel.c bounds it so): the largest magnitude among the outputs
 * within (8 - k) * dilation columns (a tile of F(6,3), F(4,5), F(2,7) holds 9 - k outputs), for a
 * conv that `vigil-model info` would say runs Winograd; `own` otherwise. */
static double tile_mag(const OneNode *o, int64_t lo, int64_t hi, int64_t fi, int64_t j, int64_t co,
                       int64_t fo, int64_t t_out, double own)
{
  const char *kernel = vg_ops_node_kernel(&o->node);
  if (o->node.op != VG_OP_CONV || !kernel || strncmp(kernel, "Winograd", 8) != 0)
    return own;
  const VgWindow *w = &o->node.win;
  int t = w->n_spatial - 1;
  int64_t near = (8 - w->kernel[t]) * (int64_t)w->dilation[t];
  double m = own;
  for (int64_t q = j - near; q <= j + near; q++) {
    double mq;
    if (q >= 0 && q < t_out && isfinite(ref_conv(o, lo, hi, fi, q, co, fo, &mq)) && mq > m)
      m = mq;
  }
  return m;
}

static double ref_convt(const OneNode *o, int64_t lo, int64_t hi, int64_t fi, int64_t j, int64_t co,
                        int64_t fo, double *mag)
{
  const VgWindow *w = &o->node.win;
  const VgShape *ws = &o->values[1].shape;
  int two_d = ws->rank == 4, t = two_d;
  int64_t cog = ws->dims[1], cig = ws->dims[0] / w->group, kf = two_d ? ws->dims[2] : 1;
  int64_t kt = ws->dims[ws->rank - 1], g = co / cog;
  double acc = o->values[2].data[co];
  *mag = fabs(acc);
  for (int64_t i = lo; i < hi; i++)
    for (int64_t k = 0; k < kt; k++) {
      if (i * w->stride[t] - w->pad_begin[t] + k * w->dilation[t] != j)
        continue;
      for (int64_t f = 0; f < fi; f++)
        for (int64_t a = 0; a < kf; a++) {
          if (two_d && f * w->stride[0] - w->pad_begin[0] + a * w->dilation[0] != fo)
            continue;
          for (int64_t ci = 0; ci < cig; ci++) {
            int64_t cin = g * cig + ci;
            double v = o->values[1].data[((cin * cog + co % cog) * kf + a) * kt + k] *
                       (double)sig(i, cin * fi + f);
            acc += v;
            *mag += fabs(v);
          }
        }
    }
  return acc;
}

static double ref_pool(const OneNode *o, int64_t lo, int64_t hi, int64_t fi, int64_t j, int64_t c,
                       int64_t fo, double *mag)
{
  const VgWindow *w = &o->node.win;
  int two_d = w->n_spatial == 2, t = two_d;
  int is_max = o->node.op == VG_OP_MAX_POOL;
  double acc = is_max ? -INFINITY : 0.0;
  int64_t nv = 0, nit = 0, nif = 0;
  for (int64_t a = 0; a < (two_d ? w->kernel[0] : 1); a++) {
    int64_t f = two_d ? fo * w->stride[0] - w->pad_begin[0] + a * w->dilation[0] : 0;
    nif += f >= -(two_d ? w->pad_begin[0] : 0) && f < fi + (two_d ? w->pad_end[0] : 0);
  }
  for (int64_t k = 0; k < w->kernel[t]; k++) {
    int64_t tc = j * w->stride[t] - w->pad_begin[t] + k * w->dilation[t];
    nit += tc >= lo - w->pad_begin[t] && tc < hi + w->pad_end[t];
    for (int64_t a = 0; a < (two_d ? w->kernel[0] : 1); a++) {
      int64_t f = two_d ? fo * w->stride[0] - w->pad_begin[0] + a * w->dilation[0] : 0;
      if (tc < lo || tc >= hi || f < 0 || f >= fi)
        continue;
      double v = sig(tc, c * fi + f);
      nv++;
      acc = is_max ? (v > acc ? v : acc) : acc + v;
    }
  }
  *mag = 1.0;
  if (is_max)
    return acc;
  int64_t div = w->count_include_pad ? nit * nif : nv;
  return div ? acc / (double)div : 0.0;
}

static double ref_pad(const OneNode *o, int64_t lo, int64_t hi, int64_t fi, int64_t j, int64_t c,
                      int64_t fo, double *mag)
{
  const VgWindow *w = &o->node.win;
  int two_d = w->n_spatial == 2, t = two_d;
  int64_t src = j - w->pad_begin[t], f = two_d ? fo - w->pad_begin[0] : 0;
  *mag = 1.0;
  if (src < lo || src >= hi || f < 0 || f >= fi)
    return o->node.pad_value;
  return sig(src, c * fi + f);
}

/* ---- one case ---- */

static int run_case(OneNode *o, int64_t t_in, int64_t fi, const char *what)
{
  VgError err = {{0}};
  VgNode *node = &o->node;
  int two_d = o->shapes[0].rank == 4;
  int64_t t_out = vg_node_time_out_len(node, t_in);
  if (t_out < 1)
    return 0; /* the window does not fit: not a case */
  o->shapes[3] = o->shapes[0];
  int64_t c_out = node->op == VG_OP_CONV             ? o->values[1].shape.dims[0]
                  : node->op == VG_OP_CONV_TRANSPOSE ? o->values[1].shape.dims[1] * node->win.group
                                                     : o->shapes[0].dims[1];
  shape_set(&o->shapes[3], two_d, c_out, two_d ? f_out(o, fi) : 1, t_out);
  if (two_d && o->shapes[3].dims[2] < 1)
    return 0;
  o->values[3].shape = o->shapes[3];
  if (vg_ops_prepare(&o->m, &err) != VG_OK) {
    printf("FAIL %s: prepare: %s\n", what, err.msg);
    return 1;
  }
  /* extent and requested range */
  int64_t lo = rnd() % 3 == 0 ? rint_in(0, (int)t_in / 3) : 0;
  int64_t hi = rnd() % 3 == 0 ? rint_in((int)lo + 1, (int)t_in) : t_in;
  int64_t j0 = rint_in(0, (int)t_out - 1), j1 = rint_in((int)j0 + 1, (int)t_out);
  if (whole_range) {
    j0 = 0;
    j1 = t_out;
  }
  int64_t first, last;
  vg_node_time_deps(node, j0, j1 - 1, &first, &last);
  /* store exactly the needed columns, plus a random margin of NaN columns outside [lo, hi) */
  int64_t sf = first > lo ? first : lo, sl = last < hi - 1 ? last : hi - 1;
  if (sl < sf)
    sf = sl = lo;
  if (rnd() % 2 && sf == lo && first < lo)
    sf = lo - rint_in(1, (int)(lo - first)); /* padding columns stored (as NaN) */
  int64_t w_in = width_of(&o->shapes[0]), w_out = width_of(&o->shapes[3]);
  int64_t count = sl - sf + 1;
  float *in = malloc((size_t)(count * w_in) * sizeof(float));
  for (int64_t c = sf; c <= sl; c++)
    for (int64_t w = 0; w < w_in; w++)
      in[(c - sf) * w_in + w] = (c >= lo && c < hi) ? sig(c, w) : NAN;
  int64_t out_first = j0 - rint_in(0, 2);
  int64_t out_count = j1 - out_first + rint_in(0, 2);
  float *out = malloc((size_t)(out_count * w_out) * sizeof(float));
  VgSeq sin = {.data = in, .first = sf, .count = count, .lo = lo, .hi = hi, .width = w_in};
  VgSeq sout = {
      .data = out, .first = out_first, .count = out_count, .lo = 0, .hi = t_out, .width = w_out};
  size_t nscr = vg_ops_scratch_floats(&o->m, node, o->shapes, j1 - j0);
  float *scratch = malloc((nscr ? nscr : 1) * sizeof(float));
  const VgSeq *ins[3] = {&sin, NULL, NULL};
  int failed = 0;
  if (vg_ops_forward_time(&o->m, node, o->shapes, ins, &sout, j0, j1, scratch) != VG_OK) {
    printf("FAIL %s: forward refused\n", what);
    failed = 1;
  }
  cases_run++;
  int64_t fo_n = two_d ? o->shapes[3].dims[2] : 1;
  double worst = 0.0;
  for (int64_t j = j0; j < j1 && !failed; j++)
    for (int64_t c = 0; c < c_out; c++)
      for (int64_t fo = 0; fo < fo_n; fo++) {
        double mag, ref;
        if (node->op == VG_OP_CONV)
          ref = ref_conv(o, lo, hi, fi, j, c, fo, &mag);
        else if (node->op == VG_OP_CONV_TRANSPOSE)
          ref = ref_convt(o, lo, hi, fi, j, c, fo, &mag);
        else if (node->op == VG_OP_PAD)
          ref = ref_pad(o, lo, hi, fi, j, c, fo, &mag);
        else
          ref = ref_pool(o, lo, hi, fi, j, c, fo, &mag);
        double got = out[(j - out_first) * w_out + c * fo_n + fo];
        double e = fabs(got - ref);
        if (!(e <= 1e-5 * (1.0 + mag)) && isfinite(ref))
          mag = tile_mag(o, lo, hi, fi, j, c, fo, t_out, mag);
        if (!(e <= 1e-5 * (1.0 + mag)) && !(isinf(ref) && got == ref)) {
          printf("FAIL %s: T=%lld [lo,hi)=[%lld,%lld) cols [%lld,%lld) stored [%lld,+%lld): "
                 "out[%lld][%lld][%lld] = %g, reference %g\n",
                 what, (long long)t_in, (long long)lo, (long long)hi, (long long)j0, (long long)j1,
                 (long long)sf, (long long)count, (long long)j, (long long)c, (long long)fo, got,
                 ref);
          failed = 1;
          break;
        }
        worst = e > worst ? e : worst;
        values_checked++;
      }
  free(in);
  free(out);
  free(scratch);
  return failed;
}

static void one_node_init(OneNode *o, VgOpType op, int two_d, int64_t ci, int64_t fi, int64_t t_in)
{
  memset(o, 0, sizeof(*o));
  o->m.n_values = 4;
  o->m.values = o->values;
  o->m.n_nodes = 1;
  o->m.nodes = &o->node;
  o->m.input = 0;
  o->m.output = 3;
  o->m.opset = 13;
  o->values[0] = (VgValue){.name = "x", .kind = VG_VALUE_INPUT, .producer = -1};
  o->values[1] = (VgValue){.name = "w", .kind = VG_VALUE_CONST, .producer = -1};
  o->values[2] = (VgValue){.name = "b", .kind = VG_VALUE_CONST, .producer = -1};
  o->values[3] = (VgValue){.name = "y", .kind = VG_VALUE_NODE, .producer = 0};
  shape_set(&o->shapes[0], two_d, ci, fi, t_in);
  o->values[0].shape = o->shapes[0];
  o->node.op = op;
  o->node.name = "node";
  o->node.inputs = o->inputs;
  o->node.output = 3;
  o->node.pad_value = 0.0f;
  random_window(&o->node.win, two_d, op == VG_OP_CONV_TRANSPOSE);
}

static void one_node_free(OneNode *o)
{
  if (o->node.packed_free)
    o->node.packed_free(o->node.packed);
  free(o->values[1].data);
  free(o->values[2].data);
}

/* Conv / ConvTranspose weights: [Co, Ci/g, kF, kT] / [Ci, Co/g, kF, kT]. */
static void set_weights(OneNode *o, int64_t ci, int64_t co, int g)
{
  VgWindow *w = &o->node.win;
  int two_d = w->n_spatial == 2;
  VgShape *ws = &o->values[1].shape;
  int transposed = o->node.op == VG_OP_CONV_TRANSPOSE;
  ws->rank = two_d ? 4 : 3;
  ws->dims[0] = transposed ? ci : co;
  ws->dims[1] = transposed ? co / g : ci / g;
  if (two_d)
    ws->dims[2] = w->kernel[0];
  ws->dims[ws->rank - 1] = w->kernel[w->n_spatial - 1];
  w->group = g;
  int64_t n = 1;
  for (int i = 0; i < ws->rank; i++)
    n *= ws->dims[i];
  o->values[1].data = rand_array(n);
  o->values[2].shape = (VgShape){.rank = 1, .dims = {co}};
  o->values[2].data = rand_array(co);
  o->node.n_inputs = 3;
  o->inputs[0] = 0;
  o->inputs[1] = 1;
  o->inputs[2] = 2;
}

/* 1-D Convs with many channels and few requested columns: the few-column kernel (conv_small.c)
 * with its 32- and 16-channel vector chunks, its scalar tail, blocks of 1-4 columns, zero padding,
 * groups; and the GEMM paths: every column of windows of 270-400 (more than CONV_SMALL_MAX_COLS)
 * and kernels too wide for it (more taps than CONV_SMALL_MAX_TAPS). */
static int wide_cases(int *cases)
{
  static const int chans[][3] = {/* ci, co, groups */
                                 {18, 128, 1}, {48, 48, 1}, {64, 96, 2}, {32, 37, 1},
                                 {128, 64, 4}, {5, 112, 1}, {36, 70, 2}, {128, 2, 1}};
  int failed = 0;
  for (int rep = 0; rep < 160; rep++) {
    const int *ch = chans[rep % 8];
    int wide_kernel = rep % 40 == 7;
    whole_range = rep % 5 == 2;
    int64_t t_in = wide_kernel   ? rint_in(70, 120)
                   : whole_range ? rint_in(270, 400)
                                 : rint_in(4, 80);
    OneNode o;
    one_node_init(&o, VG_OP_CONV, 0, ch[0], 1, t_in);
    if (wide_kernel) {
      o.node.win.kernel[0] = 66;
      o.node.win.dilation[0] = 1;
      o.node.win.pad_begin[0] = rint_in(0, 65);
      o.node.win.pad_end[0] = rint_in(0, 65);
    }
    if (whole_range)
      o.node.win.stride[0] = 1; /* so that more than CONV_SMALL_MAX_COLS columns come out */
    set_weights(&o, ch[0], ch[1], ch[2]);
    o.shapes[1] = o.values[1].shape;
    o.shapes[2] = o.values[2].shape;
    char what[160];
    const VgWindow *w = &o.node.win;
    snprintf(what, sizeof(what), "wide Conv 1D ci=%d co=%d g=%d k=%d s=%d d=%d p=%d/%d", ch[0],
             ch[1], ch[2], w->kernel[0], w->stride[0], w->dilation[0], w->pad_begin[0],
             w->pad_end[0]);
    failed += run_case(&o, t_in, 1, what);
    (*cases)++;
    one_node_free(&o);
  }
  return failed;
}

int main(void)
{
  int failed = 0, cases = 0;
  static const int chans[][3] = {/* ci, co, groups */
                                 {1, 4, 1}, {3, 5, 1},   {4, 4, 4},   {6, 12, 6},
                                 {8, 6, 2}, {40, 16, 1}, {64, 32, 2}, {33, 7, 1}};
  for (int rep = 0; rep < 400; rep++) {
    int two_d = rnd() % 3 == 0;
    const int *ch = chans[rnd() % 8];
    int64_t fi = two_d ? rint_in(1, 9) : 1, t_in = rint_in(4, 48);
    OneNode o;
    int kind = rep % 5;
    VgOpType op = kind == 0 || kind == 4 ? VG_OP_CONV
                  : kind == 1            ? VG_OP_CONV_TRANSPOSE
                  : kind == 2            ? (rnd() % 2 ? VG_OP_MAX_POOL : VG_OP_AVG_POOL)
                                         : VG_OP_PAD;
    int64_t ci = two_d ? (ch[0] > 8 ? 8 : ch[0]) : ch[0];
    int64_t co = two_d ? (ch[1] > 8 ? 8 : ch[1]) : ch[1];
    int g = ch[2] > 1 && ci % ch[2] == 0 && co % ch[2] == 0 ? ch[2] : 1;
    one_node_init(&o, op, two_d, ci, fi, t_in);
    char what[160];
    if (op == VG_OP_CONV || op == VG_OP_CONV_TRANSPOSE) {
      set_weights(&o, ci, co, g);
    } else {
      o.node.n_inputs = 1;
      o.inputs[0] = 0;
      o.node.win.ceil_mode = op != VG_OP_PAD && rnd() % 2;
      o.node.win.count_include_pad = rnd() % 2;
      o.node.pad_value = op == VG_OP_PAD ? rfloat() : 0.0f;
      for (int a = 0; a < o.node.win.n_spatial; a++) {
        if (op == VG_OP_PAD)
          o.node.win.kernel[a] = 1;
        else if (o.node.win.pad_begin[a] >= o.node.win.kernel[a]) /* ONNX: pads < kernel */
          o.node.win.pad_begin[a] = o.node.win.kernel[a] - 1;
        if (op != VG_OP_PAD && o.node.win.pad_end[a] >= o.node.win.kernel[a])
          o.node.win.pad_end[a] = o.node.win.kernel[a] - 1;
        if (two_d && a == 0)
          o.node.win.ceil_mode = 0;
      }
    }
    const VgWindow *w = &o.node.win;
    int t = w->n_spatial - 1;
    snprintf(what, sizeof(what), "%s %dD ci=%lld co=%lld g=%d k=%d s=%d d=%d p=%d/%d ceil=%d",
             op == VG_OP_CONV             ? "Conv"
             : op == VG_OP_CONV_TRANSPOSE ? "ConvTranspose"
             : op == VG_OP_PAD            ? "Pad"
             : op == VG_OP_MAX_POOL       ? "MaxPool"
                                          : "AveragePool",
             two_d + 1, (long long)ci, (long long)co, w->group, w->kernel[t], w->stride[t],
             w->dilation[t], w->pad_begin[t], w->pad_end[t], w->ceil_mode);
    o.shapes[1] = o.values[1].shape;
    o.shapes[2] = o.values[2].shape;
    int rc = run_case(&o, t_in, fi, what);
    cases++;
    failed += rc;
    one_node_free(&o);
  }
  failed += wide_cases(&cases);
  whole_range = 0;
  printf("test_ops_window: %d cases (%ld ran, %ld values checked), %d failed\n", cases, cases_run,
         values_checked, failed);
  return failed || cases_run < cases / 2 ? 1 : 0;
}
