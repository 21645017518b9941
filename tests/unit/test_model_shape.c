/* Shapes, time flags and BatchNormalization folding of the seed-corpus models
 * (tests/fuzz/make_corpus.py), against values worked out by hand in the comments.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_model.h"

#include "vg_check.h"

static VgModel *load(const char *name)
{
  char path[1024];
  const char *src = getenv("VIGIL_SOURCE_DIR");
  snprintf(path, sizeof path, "%s/tests/fuzz/corpus/%s.onnx", src ? src : ".", name);
  VgError err = {{0}};
  VgModel *m = vg_model_load_file(path, &err);
  CHECK(m != NULL, "%s: %s", name, err.msg);
  return m;
}

static int value_named(const VgModel *m, const char *name)
{
  for (int i = 0; i < m->n_values; i++)
    if (strcmp(m->values[i].name, name) == 0)
      return i;
  return -1;
}

static const VgNode *node_named(const VgModel *m, const char *name)
{
  for (int i = 0; i < m->n_nodes; i++)
    if (strcmp(m->nodes[i].name, name) == 0)
      return &m->nodes[i];
  return NULL;
}

/* Output shape at length t equals dims[0 .. rank) (rank -1: inference must fail). */
static void expect_out(const VgModel *m, int64_t t, int rank, const int64_t *dims)
{
  VgShape *s = calloc((size_t)m->n_values, sizeof *s);
  VgError err = {{0}};
  int ret = vg_model_infer_shapes(m, t, s, &err);
  if (rank < 0) {
    CHECK(ret == VG_ERR && strstr(err.msg, "node '"), "T=%lld should fail with a node named: %s",
          (long long)t, err.msg);
  } else {
    CHECK(ret == VG_OK, "T=%lld: %s", (long long)t, err.msg);
    const VgShape *o = &s[m->output];
    int same = ret == VG_OK && o->rank == rank;
    for (int i = 0; same && i < rank; i++)
      same = o->dims[i] == dims[i];
    CHECK(same, "T=%lld: output shape differs (rank %d, last %lld)", (long long)t, o->rank,
          (long long)o->dims[o->rank > 0 ? o->rank - 1 : 0]);
  }
  free(s);
}

/* Element i of the corpus tensor of this seed: ((i * 7 + seed) % 11 - 5) / 8. */
static float wv(int64_t i, int seed)
{
  return (float)((i * 7 + seed) % 11 - 5) / 8.0f;
}

static float wpos(int64_t i, int seed)
{
  return fabsf(wv(i, seed)) + 0.5f;
}

static void test_conv_relu(void)
{
  VgModel *m = load("conv_relu");
  if (!m)
    return;
  /* Conv k 3, pad 1, stride 2: floor((T + 2 - 3) / 2) + 1 */
  expect_out(m, 16, 3, (int64_t[]){1, 3, 8});
  expect_out(m, 5, 3, (int64_t[]){1, 3, 3});
  expect_out(m, 1, 3, (int64_t[]){1, 3, 1});
  CHECK(m->n_nodes == 2 && m->nodes[0].op == VG_OP_CONV && m->nodes[1].op == VG_OP_RELU,
        "two nodes: Conv, Relu");
  const VgNode *c = &m->nodes[0];
  CHECK(c->win.n_spatial == 1 && c->win.kernel[0] == 3 && c->win.stride[0] == 2 &&
            c->win.pad_begin[0] == 1 && c->win.pad_end[0] == 1 && c->win.dilation[0] == 1 &&
            c->win.group == 1,
        "conv window");
  CHECK(vg_model_is_time_value(m, m->input) && vg_model_is_time_value(m, m->output), "time values");
  CHECK(vg_node_is_time_local(m, c) && vg_node_is_time_local(m, &m->nodes[1]), "time-local");
  CHECK(!vg_model_is_time_value(m, c->inputs[1]), "weights are not a time value");
  CHECK(m->opset == 14, "opset %lld", (long long)m->opset);
  VgError err = {{0}};
  VgShape s[16];
  CHECK(vg_model_infer_shapes(m, 0, s, &err) == VG_ERR && err.msg[0], "T=0 refused");
  vg_model_free(m);
}

/* conv0 = Conv(x, W) -> bn0 (eps 1e-3); conv1 = Conv(tanh x, W, B) -> bn1 (eps 1e-5): both fold,
 * each into its own copy of W. W'[o] = W[o] * s[o], b'[o] = (b[o] - mean[o]) * s[o] + beta[o]
 * with s = scale / sqrt(var + eps). bn2 follows an Add: it stays. */
static void test_conv_bn_shared(void)
{
  VgModel *m = load("conv_bn_shared");
  if (!m)
    return;
  expect_out(m, 12, 3, (int64_t[]){1, 4, 10});
  const VgNode *c[2] = {node_named(m, "conv0"), node_named(m, "conv1")};
  const VgNode *bn2 = node_named(m, "bn2");
  CHECK(c[0] && c[1] && bn2 && bn2->op == VG_OP_BATCH_NORM && m->n_nodes == 5,
        "conv0, conv1, tanh, add, bn2 remain");
  CHECK(!node_named(m, "bn0") && !node_named(m, "bn1"), "bn0 and bn1 folded");
  if (!c[0] || !c[1] || !bn2) {
    vg_model_free(m);
    return;
  }
  CHECK(c[0]->inputs[1] != c[1]->inputs[1], "each conv has its own folded weights");
  const float eps[2] = {1e-3f, 1e-5f};
  double worst = 0;
  for (int k = 0; k < 2; k++) {
    const float *w = m->values[c[k]->inputs[1]].data, *b = m->values[c[k]->inputs[2]].data;
    CHECK(c[k]->n_inputs == 3, "folded conv has a bias");
    for (int o = 0; o < 4; o++) {
      double s = wv(o, 10 + k) / sqrt((double)wpos(o, 40 + k) + eps[k]);
      double bias = k ? wv(o, 4) : 0.0;
      double want_b = (bias - wv(o, 30 + k)) * s + wv(o, 20 + k);
      worst = fmax(worst, fabs(b[o] - want_b));
      for (int i = 0; i < 6; i++)
        worst = fmax(worst, fabs(w[o * 6 + i] - wv(o * 6 + i, 3) * s));
    }
  }
  CHECK(worst < 1e-6, "folded values differ by %g", worst);
  int v2 = bn2->inputs[4];
  CHECK(m->values[v2].data[0] == wpos(0, 42), "bn2 keeps its variance");
  vg_model_free(m);
}

/* Pad (2, 1) -> AveragePool k 3 s 2 -> MaxPool k 2 s 2 ceil -> ... GlobalAveragePool -> Flatten
 * -> Gemm -> Softmax. T = 20: 23, 11, ceil(9 / 2) + 1 = 6. T = 7: 10, 4, 2. T = 2: 5, 2, 1.
 * T = 1: 4, 1, 1: MaxPool's window (2) is longer than its input, but ceil_mode keeps a column,
 * as in ONNX and PyTorch. */
static void test_pool_head(void)
{
  VgModel *m = load("pool_head");
  if (!m)
    return;
  int64_t out[] = {1, 5};
  expect_out(m, 20, 2, out);
  expect_out(m, 7, 2, out);
  expect_out(m, 2, 2, out);
  expect_out(m, 1, 2, out);
  VgShape s[32];
  VgError err = {{0}};
  CHECK(m->n_values <= 32 && vg_model_infer_shapes(m, 20, s, &err) == VG_OK, "%s", err.msg);
  const VgNode *mp = node_named(m, "max"), *gap = node_named(m, "gap");
  const VgNode *flat = node_named(m, "flat"), *sm = node_named(m, "softmax");
  CHECK(mp && s[mp->output].dims[2] == 6 && mp->win.ceil_mode == 1, "MaxPool output 6");
  CHECK(mp && vg_node_is_time_local(m, mp), "MaxPool is time-local");
  CHECK(gap && !vg_node_is_time_local(m, gap) && !vg_model_is_time_value(m, gap->output),
        "GlobalAveragePool ends the trunk");
  CHECK(flat && flat->op == VG_OP_RESHAPE && flat->reshape_kind == VG_RESHAPE_FLATTEN &&
            flat->axis == 1,
        "Flatten is a reshape");
  CHECK(sm && sm->axis == 1, "Softmax axis -1 normalised to 1");
  const VgNode *pad = node_named(m, "pad");
  CHECK(pad && pad->win.pad_begin[0] == 2 && pad->win.pad_end[0] == 1 && pad->n_inputs == 1,
        "Pad keeps its pads in the window, its data input only");
  vg_model_free(m);
}

/* Conv2d stride (2, 1) pads 1: F 6 -> 3, T kept; Reshape [1, 12, 10] keeps time (stored as
 * [1, 12, -1]); ConvTranspose k 4 s 2 p 1: (T - 1) * 2 - 2 + 4 = 2T; Concat of 3 + 3 channels. */
static void test_spec2d(void)
{
  VgModel *m = load("spec2d");
  if (!m)
    return;
  expect_out(m, 10, 3, (int64_t[]){1, 6, 20});
  expect_out(m, 7, 3, (int64_t[]){1, 6, 14});
  const VgNode *r = node_named(m, "reshape"), *up = node_named(m, "up");
  CHECK(r && r->reshape_kind == VG_RESHAPE_TARGET && r->n_axes == 3 && r->axes[1] == 12 &&
            r->axes[2] == -1,
        "time-keeping reshape rewritten with -1 last");
  CHECK(r && vg_node_is_time_local(m, r), "reshape [1, C, F, T] -> [1, C*F, T] is time-local");
  int64_t num, den;
  if (up)
    vg_node_time_scale(up, &num, &den);
  CHECK(up && num == 2 && den == 1, "ConvTranspose doubles the time scale");
  const VgNode *clip = node_named(m, "clip");
  CHECK(clip && clip->clip_min == -0.5f && clip->clip_max == 0.5f && clip->n_inputs == 1,
        "Clip bounds from inputs");
  VgShape s[32];
  VgError err = {{0}};
  CHECK(vg_model_infer_shapes(m, 10, s, &err) == VG_OK, "%s", err.msg);
  int c = value_named(m, "c");
  CHECK(c >= 0 && vg_shape_width(&s[c]) == 12 && vg_shape_count(&s[c]) == 120,
        "width of [1, 4, 3, 10] is 12");
  vg_model_free(m);
}

/* GELU with Constant nodes, Unsqueeze/Squeeze around time, MatMul along time (not time-local),
 * Identity bypassed: the output keeps the graph's name. */
static void test_gelu_matmul(void)
{
  VgModel *m = load("gelu_matmul");
  if (!m)
    return;
  expect_out(m, 8, 3, (int64_t[]){1, 4, 2});
  expect_out(m, 9, -1, NULL); /* MatMul's inner dimension is fixed at 8 */
  CHECK(strcmp(m->values[m->output].name, "y") == 0, "output named 'y'");
  const VgNode *u = node_named(m, "unsq"), *mm = node_named(m, "matmul");
  CHECK(u && u->reshape_kind == VG_RESHAPE_UNSQUEEZE && u->n_axes == 1 && u->axes[0] == 1 &&
            vg_node_is_time_local(m, u),
        "Unsqueeze(1) keeps time");
  CHECK(mm && !vg_node_is_time_local(m, mm) && !vg_model_is_time_value(m, mm->output),
        "MatMul is a head op");
  CHECK(m->n_nodes == 8, "Identity bypassed, Constants became values (%d nodes)", m->n_nodes);
  vg_model_free(m);
}

/* Pads computed by constant ops (F.pad's export): 2 before, 1 after; Conv k 3: T + 3 - 2. The
 * final Reshape's target [1, 2, -1] comes from Shape and Gather of the weights. */
static void test_const_pad(void)
{
  VgModel *m = load("const_pad");
  if (!m)
    return;
  expect_out(m, 12, 3, (int64_t[]){1, 2, 13});
  expect_out(m, 1, 3, (int64_t[]){1, 2, 2});
  const VgNode *pad = node_named(m, "pad"), *r = node_named(m, "reshape");
  CHECK(m->n_nodes == 3, "constant ops folded away (%d nodes)", m->n_nodes);
  CHECK(pad && pad->win.pad_begin[0] == 2 && pad->win.pad_end[0] == 1, "pads 2+1");
  CHECK(r && r->n_axes == 3 && r->axes[0] == 1 && r->axes[1] == 2 && r->axes[2] == -1 &&
            vg_node_is_time_local(m, r),
        "target [1, 2, -1] from Shape/Gather");
  vg_model_free(m);
}

/* A binary op with a constant that varies along time is not time-local; one of size 1 there is. */
static void test_binary_time_local(void)
{
  VgModel *m = calloc(1, sizeof *m);
  m->values = calloc(4, sizeof *m->values);
  m->nodes = calloc(2, sizeof *m->nodes);
  m->n_values = 4;
  m->n_nodes = 1;
  VgShape x = {3, {1, 2, 5}}, c1 = {2, {2, 1}};
  const VgShape shapes[4] = {x, x, c1, x};
  const VgValueKind kinds[4] = {VG_VALUE_INPUT, VG_VALUE_CONST, VG_VALUE_CONST, VG_VALUE_NODE};
  for (int i = 0; i < 4; i++) {
    m->values[i].name = strdup("v");
    m->values[i].kind = kinds[i];
    m->values[i].shape = shapes[i];
    m->values[i].is_time = i == 0 || i == 3;
    m->values[i].producer = i == 3 ? 0 : -1;
  }
  VgNode *n = &m->nodes[0];
  n->op = VG_OP_ADD;
  n->name = strdup("add");
  n->inputs = malloc(2 * sizeof *n->inputs);
  n->n_inputs = 2;
  n->inputs[0] = 0;
  n->inputs[1] = 1; /* [1, 2, 5]: varies along time */
  n->output = 3;
  m->output = 3;
  CHECK(!vg_node_is_time_local(m, n), "Add of a time-varying constant is not time-local");
  n->inputs[1] = 2; /* [2, 1] */
  CHECK(vg_node_is_time_local(m, n), "Add of a [2, 1] constant is time-local");
  VgShape s[4];
  VgError err = {{0}};
  CHECK(vg_model_infer_shapes(m, 9, s, &err) == VG_OK && s[3].dims[2] == 9, "%s", err.msg);
  CHECK(strcmp(vg_op_name(VG_OP_CONV_TRANSPOSE), "ConvTranspose") == 0 &&
            strcmp(vg_op_name(VG_OP_GLOBAL_MAX_POOL), "GlobalMaxPool") == 0,
        "op names");
  vg_model_free(m);
}

int main(void)
{
  test_conv_relu();
  test_conv_bn_shared();
  test_pool_head();
  test_spec2d();
  test_gelu_matmul();
  test_const_pad();
  test_binary_time_local();
  printf("test_model_shape: %d failures\n", failures);
  return failures ? 1 : 0;
}
