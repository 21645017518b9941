/* The streaming engine's logic on hand-built 1-D graphs (Conv, ConvTranspose, MaxPool, Relu, Add
 * with strides, dilations, paddings), run on naive op kernels (naive_ops.c), against windowed
 * inference by the same kernels: for random models and hops 1, A, A+1, 3 and W over streams of
 * many windows, exact equals windowed inference at every window (max |error| <= 1e-5 *
 * max |reference|), signal too when the plan says no layer sees padding; no op ever reads a column
 * the engine did not store; reset restarts cleanly; bad windows and hops are refused with the
 * valid choices; the SKAB autoencoder plans A = 4 and 4 phases at hop 1.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "naive_ops.h"
#include "vg_stream.h"

#define MAXV 64
#define MAXN 32

#include "vg_check.h"

typedef struct {
  VgModel m;
  VgValue values[MAXV];
  VgNode nodes[MAXN];
  int inputs[MAXN][3];
  float *consts[MAXV];
} Graph;

static uint32_t rng = 12345;
static float frand(void)
{
  rng = rng * 1664525u + 1013904223u;
  return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}
static int irand(int n)
{
  rng = rng * 1664525u + 1013904223u;
  return (int)((rng >> 8) % (uint32_t)n);
}

static int add_value(Graph *g, VgValueKind kind, int64_t c, int64_t t)
{
  int v = g->m.n_values++;
  VgValue *x = &g->values[v];
  memset(x, 0, sizeof(*x));
  x->name = "v";
  x->kind = kind;
  x->shape.rank = 3;
  x->shape.dims[0] = 1;
  x->shape.dims[1] = c;
  x->shape.dims[2] = t;
  x->producer = -1;
  return v;
}

static int add_const(Graph *g, int64_t a, int64_t b, int64_t k)
{
  int v = add_value(g, VG_VALUE_CONST, b, k);
  g->values[v].shape.dims[0] = a;
  float *d = malloc(sizeof(float) * (size_t)(a * b * k));
  for (int64_t i = 0; i < a * b * k; i++)
    d[i] = frand() * 0.5f;
  g->values[v].data = g->consts[v] = d;
  return v;
}

static int channels(Graph *g, int v)
{
  return (int)g->values[v].shape.dims[1];
}

static int add_node(Graph *g, VgOpType op, int n_in, const int *in, int64_t c_out)
{
  int n = g->m.n_nodes++;
  VgNode *node = &g->nodes[n];
  memset(node, 0, sizeof(*node));
  node->op = op;
  node->name = (char *)vg_op_name(op);
  node->n_inputs = n_in;
  node->inputs = g->inputs[n];
  memcpy(node->inputs, in, sizeof(int) * (size_t)n_in);
  node->win.n_spatial = 1;
  node->win.kernel[0] = node->win.stride[0] = node->win.dilation[0] = 1;
  node->output = add_value(g, VG_VALUE_NODE, c_out, 0);
  g->values[node->output].producer = n;
  g->m.output = node->output;
  return n;
}

static int conv(Graph *g, int x, int co, int k, int s, int d, int pb, int pe)
{
  int in[3] = {x, add_const(g, co, channels(g, x), k), add_const(g, 1, 1, co)};
  VgNode *n = &g->nodes[add_node(g, VG_OP_CONV, 3, in, co)];
  n->win.kernel[0] = k;
  n->win.stride[0] = s;
  n->win.dilation[0] = d;
  n->win.pad_begin[0] = pb;
  n->win.pad_end[0] = pe;
  return n->output;
}

static int conv_t(Graph *g, int x, int co, int k, int s, int p)
{
  int in[2] = {x, add_const(g, channels(g, x), co, k)};
  VgNode *n = &g->nodes[add_node(g, VG_OP_CONV_TRANSPOSE, 2, in, co)];
  n->win.kernel[0] = k;
  n->win.stride[0] = s;
  n->win.pad_begin[0] = n->win.pad_end[0] = p;
  return n->output;
}

static int unary(Graph *g, VgOpType op, int x, int k, int s)
{
  VgNode *n = &g->nodes[add_node(g, op, 1, &x, channels(g, x))];
  n->win.kernel[0] = k;
  n->win.stride[0] = s;
  return n->output;
}

static int add(Graph *g, int a, int b)
{
  int in[2] = {a, b};
  return g->nodes[add_node(g, VG_OP_ADD, 2, in, channels(g, a))].output;
}

static void graph_init(Graph *g, int c)
{
  memset(g, 0, sizeof(*g));
  g->m.values = g->values;
  g->m.nodes = g->nodes;
  g->m.input = add_value(g, VG_VALUE_INPUT, c, 32);
  g->m.output = g->m.input;
}

static void graph_free(Graph *g)
{
  for (int v = 0; v < MAXV; v++)
    free(g->consts[v]);
}

/* A random trunk: layers with random kernel, stride, dilation, padding, pools, transposed
 * convolutions and residual adds. *padded: whether any layer pads. */
static void random_graph(Graph *g)
{
  graph_init(g, 1 + irand(3));
  int x = g->m.input;
  int layers = 2 + irand(4);
  for (int l = 0; l < layers; l++) {
    int kind = irand(6);
    int co = 1 + irand(4);
    if (kind <= 1) {
      int k = 1 + irand(5), d = 1 + irand(2), s = 1 + (irand(3) == 0);
      int pb = irand(3) == 0 ? 0 : irand(k), pe = irand(k);
      x = conv(g, x, co, k, s, d, pb, pe);
    } else if (kind == 2) {
      int s = 1 + irand(2), k = s + irand(3), p = irand(2);
      x = conv_t(g, x, co, k, s, p);
    } else if (kind == 3) {
      x = unary(g, VG_OP_MAX_POOL, x, 2 + irand(2), 1 + irand(2));
    } else if (kind == 4) {
      int k = 1 + 2 * irand(3);
      int y = conv(g, x, channels(g, x), k, 1, 1, k / 2, k / 2);
      x = add(g, x, unary(g, VG_OP_RELU, y, 1, 1));
    } else {
      x = unary(g, VG_OP_RELU, x, 1, 1);
    }
  }
  if (irand(3) == 0)
    unary(g, VG_OP_GLOBAL_AVG_POOL, x, 1, 1); /* a head: the running sum */
}

/* Windowed inference with the naive kernels: every value of the window, time-major. */
static float *windowed(const VgModel *m, const VgShape *shapes, const float *x, float **bufs)
{
  bufs[m->input] = (float *)x;
  for (int n = 0; n < m->n_nodes; n++) {
    const VgNode *node = &m->nodes[n];
    VgSeq seqs[3];
    if (node->op == VG_OP_GLOBAL_AVG_POOL)
      return bufs[node->inputs[0]]; /* the test averages it */
    const VgSeq *in[3] = {NULL, NULL, NULL};
    for (int i = 0; i < node->n_inputs; i++) {
      int u = node->inputs[i];
      if (m->values[u].kind == VG_VALUE_CONST)
        continue;
      int64_t t = shapes[u].dims[2];
      seqs[i] = (VgSeq){bufs[u], 0, t, 0, t, shapes[u].dims[1]};
      in[i] = &seqs[i];
    }
    int64_t t = shapes[node->output].dims[2];
    VgSeq out = {bufs[node->output], 0, t, 0, t, shapes[node->output].dims[1]};
    vg_ops_forward_time(m, node, shapes, in, &out, 0, t, NULL);
  }
  return bufs[m->output];
}

typedef struct {
  const VgModel *m;
  VgShape *shapes;
  const float *x; /* the whole stream, time-major */
  int64_t width, hop;
  float **bufs;
  int compare;
  int64_t seen;
  double worst;
  const char *what;
  float *record; /* every window's output, back to back (NULL: not kept) */
} Ctx;

static int on_window(void *user, int64_t k, const float *out, const float *in)
{
  Ctx *c = user;
  const float *ref = windowed(c->m, c->shapes, c->x + k * c->hop * c->width, c->bufs);
  const VgShape *s = &c->shapes[c->m->output];
  int64_t ch = s->dims[1], t = s->dims[2];
  double err = 0, peak = 0;
  const VgNode *last = &c->m->nodes[c->m->n_nodes - 1];
  if (last->op == VG_OP_GLOBAL_AVG_POOL) { /* the mean over time of the trunk's output */
    int64_t len = c->shapes[last->inputs[0]].dims[2];
    for (int64_t o = 0; o < ch; o++) {
      double r = 0;
      for (int64_t j = 0; j < len; j++)
        r += ref[j * ch + o];
      r /= (double)len;
      err = fmax(err, fabs(out[o] - r));
      peak = fmax(peak, fabs(r));
    }
    t = 0;
  }
  for (int64_t j = 0; j < t; j++)
    for (int64_t o = 0; o < ch; o++) {
      double r = ref[j * ch + o], y = out[o * t + j];
      err = fmax(err, fabs(y - r));
      peak = fmax(peak, fabs(r));
    }
  CHECK(in == c->x + k * c->hop * c->width ||
            memcmp(in, c->x + k * c->hop * c->width, sizeof(float) * (size_t)c->width) == 0,
        "%s: window %lld input differs", c->what, (long long)k);
  if (c->compare) {
    CHECK(err <= 1e-5 * peak + 1e-6, "%s: window %lld differs by %g (peak %g)", c->what,
          (long long)k, err, peak);
    if (peak > 0 && err / peak > c->worst)
      c->worst = err / peak;
  }
  if (c->record)
    memcpy(c->record + k * vg_shape_count(s), out, sizeof(float) * (size_t)vg_shape_count(s));
  c->seen++;
  return VG_OK;
}

/* With deferred taps on, the same stream without them must give the same outputs (to float
 * rounding: the partial rows are stored as floats), in signal mode too, where windowed inference
 * is no reference for padded models. */
static void compare_undeferred(Graph *g, int64_t window, int64_t hop, VgStreamMode mode, Ctx *c,
                               int64_t total)
{
  VgError err = {{0}};
  naive_defer = 0;
  VgStream *s = vg_stream_create(&g->m, window, hop, mode, &err);
  naive_defer = 1;
  CHECK(s != NULL, "%s without deferred taps: %s", c->what, err.msg);
  if (!s)
    return;
  int64_t n = vg_stream_output_values(s), windows = (total - window) / hop + 1;
  float *ref = malloc(sizeof(float) * (size_t)(n * windows)), *deferred = c->record;
  Ctx plain = *c;
  plain.compare = 0;
  plain.record = ref;
  CHECK(vg_stream_push(s, c->x, total, on_window, &plain, &err) == VG_OK, "%s: %s", c->what,
        err.msg);
  double e = 0, peak = 0;
  for (int64_t i = 0; i < n * windows; i++) {
    e = fmax(e, fabs((double)deferred[i] - ref[i]));
    peak = fmax(peak, fabs((double)ref[i]));
  }
  CHECK(e <= 1e-5 * peak + 1e-6, "%s: deferred taps change the output by %g (peak %g)", c->what, e,
        peak);
  free(ref);
  vg_stream_destroy(s);
}

/* A stream of long_windows windows (0: enough for the case) through the engine, every window
 * compared with windowed inference. */
static int64_t deferred_columns; /* over every stream run, vg_stream_deferred_columns */

static void run_case_n(Graph *g, int64_t window, int64_t hop, VgStreamMode mode, double *worst,
                       int64_t long_windows)
{
  VgError err = {{0}};
  VgStream *s = vg_stream_create(&g->m, window, hop, mode, &err);
  CHECK(s != NULL, "create W=%lld H=%lld: %s", (long long)window, (long long)hop, err.msg);
  if (!s)
    return;
  const VgPlan *p = vg_stream_plan(s);
  int64_t width = vg_stream_frame_values(s);
  int64_t n_win = 6 + 3 * p->phases;
  if (g->m.nodes[g->m.n_nodes - 1].op == VG_OP_GLOBAL_AVG_POOL)
    n_win = 2 * 64 + 5; /* past the running sum's periodic re-sum */
  if (long_windows)
    n_win = long_windows;
  int64_t total = window + hop * (n_win - 1);
  float *x = malloc(sizeof(float) * (size_t)(total * width));
  for (int64_t i = 0; i < total * width; i++)
    x[i] = frand();
  float *bufs[MAXV] = {0};
  for (int v = 0; v < g->m.n_values; v++)
    if (p->values[v].trunk && v != g->m.input && p->values[v].len > 0)
      bufs[v] = malloc(sizeof(float) * (size_t)(p->values[v].len * p->values[v].width));
  char what[128];
  snprintf(what, sizeof(what), "%d nodes W=%lld H=%lld %s", g->m.n_nodes, (long long)window,
           (long long)hop, vg_stream_mode_name(mode));
  Ctx c = {&g->m, p->shapes, x,    width, hop, bufs, mode != VG_STREAM_SIGNAL || p->signal_is_exact,
           0,     0,         what, NULL};
  if (naive_defer)
    c.record = malloc(sizeof(float) * (size_t)(n_win * vg_stream_output_values(s)));
  for (int rep = 0; rep < 2; rep++) { /* the second pass after a reset must repeat the first */
    c.seen = 0;
    naive_bad_reads = 0;
    for (int64_t pos = 0; pos < total;) {
      int64_t n = 1 + irand(2 * (int)hop + 3);
      if (n > total - pos)
        n = total - pos;
      CHECK(vg_stream_push(s, x + pos * width, n, on_window, &c, &err) == VG_OK, "%s: %s", what,
            err.msg);
      pos += n;
    }
    CHECK(c.seen == n_win, "%s: %lld windows, expected %lld", what, (long long)c.seen,
          (long long)n_win);
    CHECK(naive_bad_reads == 0, "%s: %d reads of columns not stored", what, naive_bad_reads);
    vg_stream_reset(s);
  }
  deferred_columns += vg_stream_deferred_columns(s);
  if (naive_defer)
    compare_undeferred(g, window, hop, mode, &c, total);
  free(c.record);
  if (c.worst > *worst)
    *worst = c.worst;
  for (int v = 0; v < g->m.n_values; v++)
    if (v != g->m.input)
      free(bufs[v]);
  free(x);
  vg_stream_destroy(s);
}

static void run_case(Graph *g, int64_t window, int64_t hop, VgStreamMode mode, double *worst)
{
  run_case_n(g, window, hop, mode, worst, 0);
}

static void test_random(void)
{
  double worst = 0;
  int models = 0, signal_exact = 0, aliases = 0;
  for (int i = 0; i < 60; i++) {
    Graph g;
    random_graph(&g);
    int64_t window = 16 + irand(40);
    VgError err;
    VgPlan *p = vg_plan_create(&g.m, window, 1, VG_STREAM_EXACT, &err);
    if (!p) {
      graph_free(&g);
      continue;
    }
    int64_t a = p->align;
    signal_exact += p->signal_is_exact;
    for (int v = 0; v < g.m.n_values; v++)
      aliases += p->values[v].alias >= 0;
    vg_plan_free(p);
    int64_t hops[] = {1, a, a + 1, 3, window, 1 + irand((int)window)};
    for (size_t h = 0; h < sizeof(hops) / sizeof(hops[0]); h++) {
      if (hops[h] > window)
        continue;
      for (int mode = VG_STREAM_EXACT; mode <= VG_STREAM_SIGNAL; mode++)
        run_case(&g, window, hops[h], (VgStreamMode)mode, &worst);
    }
    models++;
    graph_free(&g);
  }
  printf("random models: %d (%d without padding), worst relative error %.3g\n", models,
         signal_exact, worst);
  CHECK(models >= 30, "only %d random models planned", models);
  CHECK(naive_fuse_relus ? aliases > 0 : aliases == 0, "%d fused Relus sharing a stream", aliases);
  printf("fused Relus sharing their conv's stream: %d\n", aliases);
}

static void test_skab(void)
{
  Graph g;
  graph_init(&g, 4);
  int x = conv(&g, g.m.input, 8, 3, 2, 1, 1, 1);
  x = conv(&g, unary(&g, VG_OP_RELU, x, 1, 1), 4, 3, 2, 1, 1, 1);
  x = conv_t(&g, x, 8, 4, 2, 1);
  x = conv_t(&g, unary(&g, VG_OP_RELU, x, 1, 1), 4, 4, 2, 1);
  VgError err = {{0}};
  VgPlan *p = vg_plan_create(&g.m, 60, 1, VG_STREAM_EXACT, &err);
  CHECK(p && p->align == 4 && p->phases == 4, "SKAB: align/phases %lld/%lld",
        p ? (long long)p->align : -1LL, p ? (long long)p->phases : -1LL);
  CHECK(p && p->output_is_time && p->values[g.m.output].len == 60, "SKAB: output is not 60 long");
  vg_plan_free(p);
  double worst = 0;
  for (int mode = VG_STREAM_EXACT; mode <= VG_STREAM_SIGNAL; mode++)
    for (int64_t hop = 1; hop <= 6; hop++)
      run_case(&g, 60, hop, (VgStreamMode)mode, &worst);
  /* long enough that every history wraps its ring (1024 columns and more) or moves its linear
   * buffer many times; hop 3 is misaligned (4 phases) */
  run_case_n(&g, 60, 3, VG_STREAM_EXACT, &worst, 1500);
  p = vg_plan_create(&g.m, 60, 0, VG_STREAM_EXACT, &err);
  CHECK(!p && strstr(err.msg, "choose a hop from 1 to 60"), "hop 0: %s", err.msg);
  p = vg_plan_create(&g.m, 60, 61, VG_STREAM_EXACT, &err);
  CHECK(!p && strstr(err.msg, "choose a hop from 1 to 60"), "hop 61: %s", err.msg);
  graph_free(&g);

  graph_init(&g, 2);
  conv(&g, g.m.input, 3, 9, 1, 2, 0, 0); /* receptive field 17 */
  p = vg_plan_create(&g.m, 10, 1, VG_STREAM_EXACT, &err);
  CHECK(!p && strstr(err.msg, "valid windows: 17 or more (up to 16777216)"), "window 10: %s",
        err.msg);
  printf("refusal: %s\n", err.msg);
  p = vg_plan_create(&g.m, 100000000, 1, VG_STREAM_EXACT, &err);
  CHECK(!p && strstr(err.msg, "(longer than Vigil takes)") && strstr(err.msg, "up to 16777216"),
        "window 1e8: %s", err.msg);
  graph_free(&g);
}

int main(void)
{
  test_skab();
  test_random();
  naive_fuse_relus = 1; /* again with Relus fused into convs: shared streams */
  test_skab();
  test_random();
  setenv("VIGIL_HISTORY", "linear", 1); /* again with the histories' fallback layout */
  test_skab();
  test_random();
  /* again with every conv's taps deferred where a hop adds one column (kernels/stream/vg_defer.h)
   */
  unsetenv("VIGIL_HISTORY");
  naive_defer = 1;
  setenv("VIGIL_DEFER", "always", 1);
  deferred_columns = 0;
  test_skab();
  test_random();
  printf("columns finished from deferred taps: %lld (%d split conv calls)\n",
         (long long)deferred_columns, naive_split_calls);
  CHECK(deferred_columns > 1000, "deferred taps ran for %lld columns only",
        (long long)deferred_columns);
  printf("stream engine: %d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
