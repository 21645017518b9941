/* Unit test of the 1-D conv's three paths (kernels/ops/conv.c, conv_simd.c, conv_avx512.c):
 * OpenBLAS (VIGIL_CONV=blas), the AVX-512 direct micro-kernel (VIGIL_CONV=direct) and Winograd
 * F(6,3) and F(4,3), F(4,5) or F(2,7) (default, for 3-, 5- and 7-tap stride-1 convs with enough
 * channels), each against a plain double-precision loop written from the ONNX definition, on the
 * same random cases: channel counts around the 32-channel blocks and the 16-lane vectors, groups,
 * kernel sizes 1 to 16, strides, dilations, pads, time lengths from 1 column, requested ranges [j0,
 * j1) that cut Winograd tiles and row blocks anywhere, and signal extents [lo, hi) that do not
 * always cover the window. Only the needed input columns are stored, in an exactly sized allocation
 * (the sanitizer sees any read outside); stored columns outside [lo, hi) hold NaN. The test also
 * checks which path prepare chose, so that a dispatch falling back silently fails it; on a CPU
 * without AVX-512 only the OpenBLAS path runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv_priv.h"
#include "conv_simd.h"
#include "vg_check.h"
#include "vg_rand.h"

typedef struct {
  VgModel m;
  VgValue values[4];
  VgNode node;
  int inputs[3];
  VgShape shapes[4];
  int64_t ci, co, t_in, t_out;
} Case;

static void shape3(VgShape *s, int64_t a, int64_t b, int64_t c)
{
  *s = (VgShape){.rank = 3, .dims = {a, b, c}};
}

/* A Conv node of the given geometry with random weights and bias; 0 if the output is empty. */
static int case_init(Case *c, int64_t ci, int64_t co, int g, int k, int s, int d, int pb, int pe,
                     int64_t t_in)
{
  memset(c, 0, sizeof(*c));
  c->ci = ci;
  c->co = co;
  c->t_in = t_in;
  c->t_out = (t_in + pb + pe - (int64_t)d * (k - 1) - 1) / s + 1;
  if (c->t_out < 1)
    return 0;
  c->m = (VgModel){.n_values = 4,
                   .values = c->values,
                   .n_nodes = 1,
                   .nodes = &c->node,
                   .input = 0,
                   .output = 3,
                   .opset = 13};
  c->values[0] = (VgValue){.name = "x", .kind = VG_VALUE_INPUT, .producer = -1};
  c->values[1] = (VgValue){.name = "w", .kind = VG_VALUE_CONST, .producer = -1};
  c->values[2] = (VgValue){.name = "b", .kind = VG_VALUE_CONST, .producer = -1};
  c->values[3] = (VgValue){.name = "y", .kind = VG_VALUE_NODE, .producer = 0};
  shape3(&c->values[0].shape, 1, ci, t_in);
  shape3(&c->values[1].shape, co, ci / g, k);
  c->values[2].shape = (VgShape){.rank = 1, .dims = {co}};
  shape3(&c->values[3].shape, 1, co, c->t_out);
  int64_t nw = co * (ci / g) * k;
  c->values[1].data = malloc((size_t)nw * sizeof(float));
  c->values[2].data = malloc((size_t)co * sizeof(float));
  for (int64_t i = 0; i < nw; i++)
    c->values[1].data[i] = rfloat();
  for (int64_t i = 0; i < co; i++)
    c->values[2].data[i] = rfloat();
  for (int i = 0; i < 4; i++)
    c->shapes[i] = c->values[i].shape;
  c->node =
      (VgNode){.op = VG_OP_CONV, .name = "conv", .inputs = c->inputs, .n_inputs = 3, .output = 3};
  c->inputs[0] = 0;
  c->inputs[1] = 1;
  c->inputs[2] = 2;
  VgWindow *w = &c->node.win;
  w->n_spatial = 1;
  w->kernel[0] = k;
  w->stride[0] = s;
  w->dilation[0] = d;
  w->pad_begin[0] = pb;
  w->pad_end[0] = pe;
  w->group = g;
  return 1;
}

static void case_unprepare(Case *c)
{
  if (c->node.packed_free)
    c->node.packed_free(c->node.packed);
  c->node.packed = NULL;
  c->node.packed_free = NULL;
}

static void case_free(Case *c)
{
  case_unprepare(c);
  free(c->values[1].data);
  free(c->values[2].data);
}

/* One value of the signal that a case may replace by NaN or an infinity (bad_t < 0: none). */
static int64_t bad_t = -1, bad_i;
static float bad_val;
/* Whether the output columns are marked kept (VgSeq.kept: a streaming history), where Winograd
 * must also step aside for outliers. */
static int out_kept;

/* The signal at column t, channel i (t inside [lo, hi)). */
static float sig(int64_t t, int64_t i)
{
  if (t == bad_t && i == bad_i)
    return bad_val;
  unsigned h = (unsigned)(t * 7919 + i * 104729 + 17);
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  return (float)(h % 20001u) / 10000.0f - 1.0f;
}

/* out[j][o] from the ONNX definition in double; *mag = sum of the magnitudes of its terms. */
static double ref_out(const Case *c, int64_t lo, int64_t hi, int64_t j, int64_t o, double *mag)
{
  const VgWindow *w = &c->node.win;
  int64_t cig = c->ci / w->group, cog = c->co / w->group, k = w->kernel[0], gi = o / cog;
  double acc = c->values[2].data[o];
  *mag = fabs(acc);
  for (int64_t i = 0; i < cig; i++)
    for (int64_t t = 0; t < k; t++) {
      int64_t col = j * w->stride[0] - w->pad_begin[0] + t * w->dilation[0];
      if (col < lo || col >= hi)
        continue;
      double v = (double)c->values[1].data[(o * cig + i) * k + t] * sig(col, gi * cig + i);
      acc += v;
      *mag += fabs(v);
    }
  return acc;
}

typedef struct {
  const char *env;
  double worst; /* max |err| / mag over all checked values */
  long values;
} Path;

/* Runs one path on columns [j0, j1) and compares; 1 if it ran. */
static int run_path(Case *c, Path *path, int64_t lo, int64_t hi, int64_t j0, int64_t j1,
                    int expect_simd)
{
  VgError err = {{0}};
  setenv("VIGIL_CONV", path->env, 1);
  case_unprepare(c);
  if (vg_ops_prepare(&c->m, &err) != VG_OK) {
    CHECK(0, "prepare: %s", err.msg);
    return 0;
  }
  const VgPacked *p = c->node.packed;
  int simd = p->strategy == CONV_SIMD || p->strategy == CONV_WINO;
  CHECK(simd == expect_simd, "VIGIL_CONV=%s: strategy %d", path->env, p->strategy);
  if (strcmp(path->env, "auto") == 0 && expect_simd) {
    const VgWindow *w = &c->node.win;
    int k = w->kernel[0];
    int wino = (k == 3 || k == 5 || (k == 7 && c->ci * c->co >= 2048)) && w->stride[0] == 1 &&
               w->group == 1 && c->ci >= 16 && c->co >= 32;
    CHECK((p->strategy == CONV_WINO) == wino, "Winograd chosen: %d", p->strategy == CONV_WINO);
  }
  /* store exactly the needed input columns, clipped to [lo, hi), plus NaN padding columns */
  int64_t first, last;
  vg_node_time_deps(&c->node, j0, j1 - 1, &first, &last);
  int64_t sf = first > lo ? first : lo, sl = last < hi - 1 ? last : hi - 1;
  if (sl < sf)
    sf = sl = lo;
  if (rnd() % 2 && sf == lo && first < lo)
    sf = lo - rint_in(1, (int)(lo - first));
  int64_t count = sl - sf + 1;
  float *in = malloc((size_t)(count * c->ci) * sizeof(float));
  for (int64_t t = sf; t <= sl; t++)
    for (int64_t i = 0; i < c->ci; i++)
      in[(t - sf) * c->ci + i] = (t >= lo && t < hi) ? sig(t, i) : NAN;
  float *out = malloc((size_t)((j1 - j0) * c->co) * sizeof(float));
  VgSeq sin = {.data = in, .first = sf, .count = count, .lo = lo, .hi = hi, .width = c->ci};
  VgSeq sout = {.data = out,
                .first = j0,
                .count = j1 - j0,
                .lo = 0,
                .hi = c->t_out,
                .width = c->co,
                .kept = out_kept};
  size_t nscr = vg_ops_scratch_floats(&c->m, &c->node, c->shapes, j1 - j0);
  /* the conv's own scratch bound (vg_ops_scratch_floats adds to it: a wrapped-around size could
   * come out small there), sane: a negative count of Winograd tiles once wrapped around */
  size_t own = conv_scratch(&c->m, &c->node, c->shapes, j1 - j0);
  if (own >= ((size_t)1 << 24)) {
    CHECK(0, "k %d, %lld channels: scratch of %zu floats", c->node.win.kernel[0], (long long)c->ci,
          own);
    free(in);
    free(out);
    return 0;
  }
  float *scratch = malloc((nscr ? nscr : 1) * sizeof(float));
  const VgSeq *ins[3] = {&sin, NULL, NULL};
  int rc = vg_ops_forward_time(&c->m, &c->node, c->shapes, ins, &sout, j0, j1, scratch);
  CHECK(rc == VG_OK, "forward refused");
  /* Winograd computes a tile's 6, 4 or 2 outputs (3, 5 or 7 taps) from a shared transform of
   * their inputs: its rounding error scales with the magnitudes in the whole tile, not in each
   * output's own terms (an output next to the signal's edge may have a few small terms beside
   * large neighbours). So its bound uses the largest sum of magnitudes within a tile's outputs
   * less one (VG_WINO_N - k), dilation columns apart, which covers any tile holding the output. */
  int taps = c->node.win.kernel[0], dil = c->node.win.dilation[0];
  int near =
      strcmp(path->env, "auto") == 0 && p->strategy == CONV_WINO ? (VG_WINO_N - taps) * dil : 0;
  if (out_kept && bad_t >= lo && bad_t < hi && isfinite(bad_val) &&
      bad_t >= j0 - c->node.win.pad_begin[0] &&
      bad_t <= j1 - 1 + (taps - 1) * dil - c->node.win.pad_begin[0])
    near = 0; /* an outlier among the inputs: Winograd must step aside, each output within its own
               * terms' rounding */
  int64_t ra = j0 - near > 0 ? j0 - near : 0, rb = j1 + near < c->t_out ? j1 + near : c->t_out;
  double *ref = malloc((size_t)((rb - ra) * c->co) * sizeof(double));
  double *mag = malloc((size_t)((rb - ra) * c->co) * sizeof(double));
  for (int64_t j = ra; j < rb; j++)
    for (int64_t o = 0; o < c->co; o++)
      ref[(j - ra) * c->co + o] = ref_out(c, lo, hi, j, o, &mag[(j - ra) * c->co + o]);
  for (int64_t j = j0; j < j1 && rc == VG_OK; j++)
    for (int64_t o = 0; o < c->co; o++) {
      double m = 0.0;
      for (int64_t q = j - near; q <= j + near; q++)
        if (q >= ra && q < rb && isfinite(mag[(q - ra) * c->co + o]) &&
            mag[(q - ra) * c->co + o] > m)
          m = mag[(q - ra) * c->co + o];
      double r = ref[(j - ra) * c->co + o], got = out[(j - j0) * c->co + o], e = fabs(got - r);
      /* 1e-5 of the terms' magnitude: float rounding of a few hundred products, with Winograd's
       * transforms, stays well below (the worst ratio is printed). An output that reads a NaN or
       * an infinity is NaN or that infinity, as in the definition; every other output is finite,
       * also next to it (Winograd's tiles must not carry it to their other columns). */
      int ok = isnan(r) ? isnan(got) : isinf(r) ? got == r : isfinite(got) && e <= 1e-5 * m;
      if (!ok) {
        CHECK(0,
              "VIGIL_CONV=%s ci=%lld co=%lld k=%d s=%d d=%d g=%d p=%d/%d T=%lld [lo,hi)=[%lld,"
              "%lld) cols [%lld,%lld): out[%lld][%lld] = %.9g, reference %.9g",
              path->env, (long long)c->ci, (long long)c->co, c->node.win.kernel[0],
              c->node.win.stride[0], c->node.win.dilation[0], c->node.win.group,
              c->node.win.pad_begin[0], c->node.win.pad_end[0], (long long)c->t_in, (long long)lo,
              (long long)hi, (long long)j0, (long long)j1, (long long)j, (long long)o, got, r);
        j = j1;
        break;
      }
      if (isfinite(r) && m > 0 && e / m > path->worst)
        path->worst = e / m;
      path->values++;
    }
  free(ref);
  free(mag);
  free(in);
  free(out);
  free(scratch);
  return 1;
}

/* Column ranges of run_case: anywhere, nearly the whole output, or a streaming hop's span of 8 to
 * 30 columns (around F(4,3)'s and F(6,3)'s thresholds) at any position, edges included. */
enum { RANGE_ANY, RANGE_WIDE, RANGE_SPAN };

/* One case through every path, on one random extent and column range. */
static void run_case(Case *c, Path *paths, int n_paths, int simd, int range)
{
  int64_t lo = rnd() % 3 == 0 ? rint_in(0, (int)c->t_in / 3) : 0;
  int64_t hi = rnd() % 3 == 0 ? rint_in((int)lo + 1, (int)c->t_in) : c->t_in;
  int64_t j0 = range == RANGE_WIDE ? rint_in(0, 2) : rint_in(0, (int)c->t_out - 1), j1;
  if (j0 >= c->t_out)
    j0 = 0;
  if (range == RANGE_SPAN) {
    j1 = j0 + rint_in(8, 30);
    if (j1 > c->t_out) {
      j0 = c->t_out - (j1 - j0) > 0 ? c->t_out - (j1 - j0) : 0;
      j1 = c->t_out;
    }
  } else {
    j1 = range == RANGE_WIDE ? c->t_out - rint_in(0, 2) : rint_in((int)j0 + 1, (int)c->t_out);
  }
  if (j1 <= j0)
    j1 = c->t_out;
  for (int i = 0; i < n_paths; i++) {
    unsigned keep = vg_rand_state; /* the same stored range for every path */
    run_path(c, &paths[i], lo, hi, j0, j1, i > 0 && simd);
    vg_rand_state = keep;
  }
}

int main(void)
{
  vg_rand_seed(2024u);
  Path paths[] = {{"blas", 0, 0}, {"direct", 0, 0}, {"auto", 0, 0}};
  int n_paths = vg_conv_simd_available() ? 3 : 1;
  static const int cis[] = {2, 3, 5, 16, 17, 18, 32, 33, 48, 64, 128};
  static const int cos[] = {1, 2, 8, 15, 16, 17, 31, 32, 33, 48, 64, 100, 130, 256};
  int cases = 0;
  /* random geometry */
  for (int rep = 0; rep < 300; rep++) {
    int ci = cis[rnd() % 11], co = cos[rnd() % 14], g = 1;
    if (rnd() % 4 == 0)
      g = ci % 2 == 0 && co % 2 == 0 ? 2 : 1;
    int k = rnd() % 5 == 0 ? 16 : rint_in(1, 5), s = rint_in(1, 3), d = rint_in(1, 2);
    /* pads up to span + 2d: edge columns whose every tap reads padding (only the bias) */
    int span = d * (k - 1), pb = rint_in(0, span + 2 * d), pe = rint_in(0, span + 2 * d);
    int64_t macs = (int64_t)ci / g * co * k, t_in = rint_in(1, 1 + (int)(400000 / macs));
    if (t_in > 200)
      t_in = rint_in(1, 200);
    Case c;
    if (case_init(&c, ci, co, g, k, s, d, pb, pe, t_in)) {
      run_case(&c, paths, n_paths, ci / g >= 2, rnd() % 2 ? RANGE_WIDE : RANGE_ANY);
      cases++;
    }
    case_free(&c);
  }
  /* a long wide-kernel stem (ResNet-1D's: 12 -> 64 channels, k 15, stride 2, 2048 columns), whose
   * scratch size once wrapped around */
  Case stem;
  if (case_init(&stem, 12, 64, 1, 15, 2, 1, 7, 7, 2048)) {
    run_case(&stem, paths, n_paths, 1, RANGE_WIDE);
    cases++;
  }
  case_free(&stem);
  /* Winograd's domain: k 3, 5 or 7 (F(6,3), F(4,5), F(2,7)), stride 1, dilations (one phase per
   * offset), >= 16 in and >= 32 out channels, long ranges */
  static const int wino_k[] = {3, 3, 5, 7}, wino_d[] = {1, 1, 2, 3};
  for (int rep = 0; rep < 120; rep++) {
    int ci = cis[3 + rnd() % 8], co = cos[7 + rnd() % 7], k = wino_k[rnd() % 4];
    int d = wino_d[rnd() % 4], pb = rint_in(0, (k - 1) * d), pe = rint_in(0, (k - 1) * d);
    int64_t t_in = rint_in(20, 20 + (int)(1500000 / (ci * co * k)));
    Case c;
    if (case_init(&c, ci, co, 1, k, 1, d, pb, pe, t_in)) {
      run_case(&c, paths, n_paths, 1, rnd() % 4 != 0 ? RANGE_WIDE : RANGE_ANY);
      cases++;
    }
    case_free(&c);
  }
  /* the same domain on a streaming hop's short spans: F(4,3) (3 taps), and the 8 points from 25
   * columns */
  for (int rep = 0; rep < 90; rep++) {
    int ci = cis[3 + rnd() % 8], co = cos[7 + rnd() % 7], k = wino_k[rnd() % 4];
    int pb = rint_in(0, k - 1), pe = rint_in(0, k - 1);
    Case c;
    if (case_init(&c, ci, co, 1, k, 1, 1, pb, pe, rint_in(8, 80))) {
      run_case(&c, paths, n_paths, 1, RANGE_SPAN);
      cases++;
    }
    case_free(&c);
  }
  /* Winograd's domain with one NaN, infinity or outlier (1e30, -1e8: a sentinel, a glitch) in the
   * signal, both range kinds */
  static const float bad[] = {NAN, INFINITY, -INFINITY, 1e30f, -1e8f};
  for (int rep = 0; rep < 180; rep++) {
    int ci = cis[3 + rnd() % 8], co = cos[7 + rnd() % 7], k = wino_k[rnd() % 4];
    int d = wino_d[rnd() % 4], pb = rint_in(0, (k - 1) * d), pe = rint_in(0, (k - 1) * d);
    Case c;
    if (case_init(&c, ci, co, 1, k, 1, d, pb, pe, rint_in(8, 240))) {
      bad_t = rint_in(0, (int)c.t_in - 1);
      bad_i = rint_in(0, ci - 1);
      bad_val = bad[rep % 5];
      out_kept = rep % 10 < 7; /* mostly kept: the outliers' check; else the finite one */
      run_case(&c, paths, n_paths, 1, rep % 2 ? RANGE_SPAN : RANGE_WIDE);
      bad_t = -1;
      out_kept = 0;
      cases++;
    }
    case_free(&c);
  }
  for (int i = 0; i < n_paths; i++)
    printf("VIGIL_CONV=%s: %ld values, max |err| / sum |terms| (auto: within a tile) = %.3g\n",
           paths[i].env, paths[i].values, paths[i].worst);
  printf("test_conv_kernel: %d cases, %d checks, %d failed\n", cases, checks, failures);
  return failures || cases < 500 ? 1 : 0;
}
