/* vigil-model info MODEL.onnx: what Vigil makes of a model.
 *
 * Prints the input and output, every node with its output shape and time behaviour, the parameter
 * count (floats in the constants the loaded model keeps: BatchNormalization folded into a conv
 * counts as the conv's weights and bias), FLOPs for one window at the model's own length, the
 * kernel each conv runs on this CPU (the model is prepared as for running it), and the receptive
 * field along time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_model.h"
#include "vg_ops.h"
#include "vigil-model.h"

static void print_shape(const VgShape *s)
{
  printf("[");
  for (int i = 0; i < s->rank; i++)
    printf(i ? ", %" PRId64 : "%" PRId64, s->dims[i]);
  printf("]");
}

/* FLOPs of one node: multiply-adds count 2 (Conv, ConvTranspose, Gemm, MatMul); other ops count
 * one per output value, pools one per window element read, reshapes nothing. */
static double node_flops(const VgNode *n, const VgShape *shapes)
{
  const VgShape *out = &shapes[n->output], *x = &shapes[n->inputs[0]];
  double count = (double)vg_shape_count(out), k = 1;
  for (int a = 0; a < n->win.n_spatial; a++)
    k *= n->win.kernel[a];
  switch (n->op) {
  case VG_OP_CONV:
    return 2.0 * count * (double)(x->dims[1] / n->win.group) * k;
  case VG_OP_CONV_TRANSPOSE:
    return 2.0 * (double)vg_shape_count(x) * (double)(out->dims[1] / n->win.group) * k;
  case VG_OP_GEMM:
    return 2.0 * count * (double)x->dims[n->trans_a ? 0 : 1];
  case VG_OP_MATMUL:
    return 2.0 * count * (double)x->dims[x->rank - 1];
  case VG_OP_MAX_POOL:
  case VG_OP_AVG_POOL:
    return count * k;
  case VG_OP_GLOBAL_AVG_POOL:
  case VG_OP_GLOBAL_MAX_POOL:
    return (double)vg_shape_count(x);
  case VG_OP_RESHAPE:
  case VG_OP_IDENTITY:
    return 0;
  default:
    return count;
  }
}

/* The time value whose columns the receptive field describes: the output if it is a time value,
 * else the last time-local node's output (the end of the trunk). */
static int trunk_end(const VgModel *m)
{
  if (vg_model_is_time_value(m, m->output))
    return m->output;
  for (int i = m->n_nodes - 1; i >= 0; i--)
    if (vg_node_is_time_local(m, &m->nodes[i]))
      return m->nodes[i].output;
  return m->input;
}

/* Input columns that column j of value v reads, composing vg_node_time_deps backwards over the
 * graph (union over branches). Returns 0 if a node on the way is not time-local. */
static int input_range(const VgModel *m, int v, int64_t j, int64_t *first, int64_t *last)
{
  int64_t *lo = malloc((size_t)m->n_values * sizeof *lo);
  int64_t *hi = malloc((size_t)m->n_values * sizeof *hi);
  int ok = lo && hi;
  for (int i = 0; ok && i < m->n_values; i++) {
    lo[i] = INT64_MAX;
    hi[i] = INT64_MIN;
  }
  if (ok) {
    lo[v] = hi[v] = j;
  }
  for (int i = m->n_nodes - 1; ok && i >= 0; i--) {
    const VgNode *n = &m->nodes[i];
    if (lo[n->output] > hi[n->output])
      continue;
    if (!vg_node_is_time_local(m, n)) {
      ok = 0;
      break;
    }
    int64_t f, l;
    vg_node_time_deps(n, lo[n->output], hi[n->output], &f, &l);
    for (int k = 0; k < n->n_inputs; k++) {
      int in = n->inputs[k];
      if (!vg_model_is_time_value(m, in))
        continue;
      lo[in] = f < lo[in] ? f : lo[in];
      hi[in] = l > hi[in] ? l : hi[in];
    }
  }
  if (ok) {
    *first = lo[m->input];
    *last = hi[m->input];
  }
  free(lo);
  free(hi);
  return ok;
}

/* Sliding-window attributes per spatial axis, e.g. "  [time: k 3, s 2, d 1, pad 1+1]". */
static void print_window(const VgNode *n)
{
  const VgWindow *w = &n->win;
  if (n->op != VG_OP_CONV && n->op != VG_OP_CONV_TRANSPOSE && n->op != VG_OP_MAX_POOL &&
      n->op != VG_OP_AVG_POOL && n->op != VG_OP_PAD)
    return;
  printf("  [");
  for (int a = 0; a < w->n_spatial; a++) {
    printf("%s%s: ", a ? "; " : "", a == w->n_spatial - 1 ? "time" : "freq");
    if (n->op != VG_OP_PAD)
      printf("k %d, s %d, d %d, ", w->kernel[a], w->stride[a], w->dilation[a]);
    printf("pad %d+%d", w->pad_begin[a], w->pad_end[a]);
    if (n->op == VG_OP_CONV_TRANSPOSE && w->output_padding[a])
      printf(", output_padding %d", w->output_padding[a]);
  }
  if (n->op == VG_OP_CONV || n->op == VG_OP_CONV_TRANSPOSE)
    printf("; group %d", w->group);
  if (vg_ops_node_kernel(n))
    printf("; %s", vg_ops_node_kernel(n));
  if (n->op == VG_OP_PAD && n->pad_value != 0.0f)
    printf("; value %g", (double)n->pad_value);
  printf("]");
}

static void print_nodes(const VgModel *m, const VgShape *shapes, double *flops)
{
  printf("nodes: %d (time-local ones marked T: the streaming trunk)\n", m->n_nodes);
  for (int i = 0; i < m->n_nodes; i++) {
    const VgNode *n = &m->nodes[i];
    double f = node_flops(n, shapes);
    *flops += f;
    printf("  %3d %c %-18s %-24s -> ", i, vg_node_is_time_local(m, n) ? 'T' : ' ',
           vg_node_op_name(n), n->name);
    print_shape(&shapes[n->output]);
    printf("  %.0f FLOPs", f);
    print_window(n);
    if (vg_ops_node_is_fused(m, n))
      printf("  [fused into the conv before it]");
    printf("\n");
  }
}

static void print_time(const VgModel *m, const VgShape *shapes)
{
  int end = trunk_end(m);
  const VgShape *in = &shapes[m->input], *es = &shapes[end];
  int64_t rf = 0, first = 0, last = 0;
  int ok = 1;
  /* the field can depend on the column's phase (strides, transposed strides): take the widest */
  for (int64_t j = 0; ok && j < 64 && j < es->dims[es->rank - 1]; j++) {
    ok = input_range(m, end, j, &first, &last);
    if (ok && last - first + 1 > rf)
      rf = last - first + 1;
  }
  if (!ok) {
    printf("receptive field along time: the whole window\n");
    return;
  }
  printf("receptive field along time: %" PRId64 " input columns per column of '%s' (%" PRId64
         " columns from %" PRId64 " input columns)\n",
         rf, m->values[end].name, es->dims[es->rank - 1], in->dims[in->rank - 1]);
}

/* The input standardisation the file's metadata carries (vg_metadata.h), if any. */
static void print_standardisation(const VgModel *m)
{
  if (m->n_standardised == 0)
    return;
  printf("input standardisation (metadata): (x - mean) / std per channel\n  mean:");
  for (int c = 0; c < m->n_standardised; c++)
    printf(" %g", m->input_mean[c]);
  printf("\n  std: ");
  for (int c = 0; c < m->n_standardised; c++)
    printf(" %g", m->input_std[c]);
  printf("\n");
}

static int print_model(const VgModel *m, const char *path, int64_t t, VgError *err)
{
  VgShape *shapes = calloc((size_t)m->n_values, sizeof *shapes);
  if (!shapes)
    return vg_error_set(err, "out of memory");
  if (vg_model_infer_shapes(m, t, shapes, err) != VG_OK) {
    free(shapes);
    return VG_ERR;
  }
  const VgValue *in = &m->values[m->input];
  printf("model: %s (opset %" PRId64 ")\n", path, m->opset);
  printf("input: '%s' ", in->name);
  print_shape(&shapes[m->input]);
  if (m->time_dynamic)
    printf(" (time is the last axis, dynamic in the file: loaded at %" PRId64 ")\n",
           in->shape.dims[in->shape.rank - 1]);
  else
    printf(" (time is the last axis; the model's own length is %" PRId64 ")\n",
           in->shape.dims[in->shape.rank - 1]);
  for (int k = 0; k < vg_model_n_outputs(m); k++) { /* in the order run and streamcnn give them */
    const VgValue *out = &m->values[vg_model_output(m, k)];
    printf("output: '%s' ", out->name);
    print_shape(&shapes[vg_model_output(m, k)]);
    printf(" (%s)\n", out->is_time ? "a time value" : "one value per window");
  }
  print_standardisation(m);
  double flops = 0;
  int64_t params = 0;
  print_nodes(m, shapes, &flops);
  for (int i = 0; i < m->n_values; i++)
    if (m->values[i].kind == VG_VALUE_CONST)
      params += vg_shape_count(&m->values[i].shape);
  printf("parameters: %" PRId64 "\n", params);
  printf("FLOPs per window: %.0f (multiply-adds count 2)\n", flops);
  print_time(m, shapes);
  printf("1-D conv kernels on this CPU: %s\n", vg_ops_conv_kernels_name());
  free(shapes);
  return VG_OK;
}

/* vigil-model info MODEL.onnx [--length T]: T is the window length to report shapes and FLOPs
 * for (default: the model's own; required when the file's time axis is dynamic). */
int vm_info(int argc, char **argv)
{
  char *end = NULL;
  long long t = 0;
  if (argc == 4 && strcmp(argv[2], "--length") == 0)
    t = strtoll(argv[3], &end, 10);
  if ((argc != 2 && argc != 4) || (argc == 4 && (!end || *end || t < 1))) {
    fprintf(stderr, "usage: vigil-model info MODEL.onnx [--length T]\n");
    return 2;
  }
  VgError err = {{0}};
  VgModel *m = vg_model_load_file_at(argv[1], (int64_t)t, &err);
  int ret = m ? vg_ops_prepare(m, &err) : VG_ERR; /* for the kernels each conv runs on */
  if (ret == VG_OK) {
    const VgShape *in = &m->values[m->input].shape;
    vm_pool_warning("info", m, t ? (int64_t)t : in->dims[in->rank - 1]);
    ret = print_model(m, argv[1], t ? (int64_t)t : in->dims[in->rank - 1], &err);
  }
  if (ret != VG_OK)
    fprintf(stderr, "vigil-model: %s\n", err.msg);
  vg_model_free(m);
  return ret == VG_OK ? 0 : 1;
}
