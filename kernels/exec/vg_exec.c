/* The window executor (see vg_exec.h).
 *
 * Plan: the activations (the graph input and each node output) live in one arena, in 64-byte
 * aligned slices sized for the window; a slice whose values no later node reads is reused
 * (place_values), and an element-wise op or reshape writes over an input nothing else reads
 * (can_alias); time values are stored as time-major columns, plain values in ONNX order. Each time
 * value also gets a VgSeq covering its whole window (first = lo = 0, count = hi = length), and each
 * node a row of input pointers, so running a window only walks those tables. The kernels' scratch
 * follows the activations.
 *
 * A GlobalAveragePool over time that alone reads a node's output (directly or through a Relu the
 * conv applies itself) runs with that node (vg_ops_forward_pooled): the accelerometer-like
 * benchmark's last conv then never writes its 1 MB output, 3 % of its window.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vg_exec.h"
#include "vg_ops.h"

#define ALIGN_FLOATS 16 /* 64 bytes */

struct VgExec {
  VgModel *model;
  VgShape *shapes;       /* per value */
  int *is_time;          /* per value */
  float **buf;           /* per value: its arena slice (constants: the model's data) */
  VgSeq *seq;            /* per value: whole-window view of time values */
  const VgSeq **seq_in;  /* per node input, flattened: time views (NULL for other inputs) */
  const float **data_in; /* per node input, flattened: data pointers for head nodes */
  int *in_off;           /* per node: offset of its inputs in the two arrays above */
  int *time_local;       /* per node */
  int *pool_with;        /* per node: the global pool it runs with (plan_pooling), or -1 */
  int *ran_with;         /* per node: 1 if another node's call computed it */
  float *arena;
  size_t arena_bytes;
  float *scratch;
  size_t head_tmp_off; /* scratch + head_tmp_off: a head node's time-valued output, ONNX order */
};

static void *xcalloc(size_t n, size_t size, VgError *err)
{
  size_t bytes;
  if (!vg_size_mul(n ? n : 1, size, &bytes)) {
    vg_error_set(err, "executor tables too large");
    return NULL;
  }
  void *p = calloc(1, bytes);
  if (!p)
    vg_error_set(err, "out of memory for %zu bytes of executor tables", bytes);
  return p;
}

static int64_t round_up(int64_t n)
{
  return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

static int alloc_tables(VgExec *x, VgError *err)
{
  const VgModel *m = x->model;
  int total_inputs = 0;
  for (int i = 0; i < m->n_nodes; i++)
    total_inputs += m->nodes[i].n_inputs;
  x->shapes = xcalloc((size_t)m->n_values, sizeof(VgShape), err);
  x->is_time = x->shapes ? xcalloc((size_t)m->n_values, sizeof(int), err) : NULL;
  x->buf = x->is_time ? xcalloc((size_t)m->n_values, sizeof(float *), err) : NULL;
  x->seq = x->buf ? xcalloc((size_t)m->n_values, sizeof(VgSeq), err) : NULL;
  x->seq_in = x->seq ? xcalloc((size_t)total_inputs, sizeof(VgSeq *), err) : NULL;
  x->data_in = x->seq_in ? xcalloc((size_t)total_inputs, sizeof(float *), err) : NULL;
  x->in_off = x->data_in ? xcalloc((size_t)m->n_nodes + 1, sizeof(int), err) : NULL;
  x->time_local = x->in_off ? xcalloc((size_t)m->n_nodes + 1, sizeof(int), err) : NULL;
  x->pool_with = x->time_local ? xcalloc((size_t)m->n_nodes + 1, sizeof(int), err) : NULL;
  x->ran_with = x->pool_with ? xcalloc((size_t)m->n_nodes + 1, sizeof(int), err) : NULL;
  return x->ran_with ? VG_OK : VG_ERR;
}

/* Whether node i may write its output over its first input: an element-wise op or a reshape
 * (same count, same layout) whose input nothing else reads and which is neither the graph's input
 * nor its output. Saves memory and keeps the data in cache between a conv and its activation. */
static int can_alias(const VgExec *x, const int *uses, const VgNode *node)
{
  const VgModel *m = x->model;
  int v = node->n_inputs > 0 ? node->inputs[0] : -1, o = node->output;
  if (v < 0 || m->values[v].kind != VG_VALUE_NODE || vg_model_is_output(m, v) || uses[v] != 1 ||
      x->is_time[v] != x->is_time[o] ||
      vg_shape_count(&x->shapes[v]) != vg_shape_count(&x->shapes[o]))
    return 0;
  return vg_op_is_activation(node->op) || vg_op_is_arithmetic(node->op) ||
         node->op == VG_OP_BATCH_NORM || node->op == VG_OP_RESHAPE || node->op == VG_OP_IDENTITY;
}

/* Scratch for the kernels, then room for a head node's time-valued output (written in ONNX order
 * by vg_ops_forward_plain and transposed into columns by run_node). */
static int scratch_floats(VgExec *x, size_t *scratch, VgError *err)
{
  const VgModel *m = x->model;
  size_t head = 0;
  *scratch = 0;
  for (int i = 0; i < m->n_nodes; i++) {
    int o = m->nodes[i].output;
    const VgShape *os = &x->shapes[o];
    size_t s = vg_ops_scratch_floats(m, &m->nodes[i], x->shapes, os->dims[os->rank - 1]);
    *scratch = s > *scratch ? s : *scratch;
    if (x->is_time[o] && !vg_node_is_time_local(m, &m->nodes[i]))
      head = (size_t)vg_shape_count(os) > head ? (size_t)vg_shape_count(os) : head;
  }
  if (*scratch > (size_t)VG_MAX_CONST_VALUES || head > (size_t)VG_MAX_CONST_VALUES)
    return vg_error_set(err, "scratch too large");
  x->head_tmp_off = (size_t)round_up((int64_t)*scratch);
  *scratch = x->head_tmp_off + head;
  return VG_OK;
}

/* Slices of the arena, each holding one value or a chain of values written over each other
 * (can_alias), until `end`, the last node that reads one of them. */
typedef struct {
  size_t off, floats;
  int end;
} Slice;

/* The slice for a new value of n floats that node i writes: the smallest slice no value needs any
 * more (end < i) that is large enough, or a new one at the arena's end (-1 if that overflows).
 * Returns its index. */
static int take_slice(Slice *s, int *n_slices, size_t n, int i, size_t *total)
{
  int best = -1;
  for (int k = 0; k < *n_slices; k++)
    if (s[k].end < i && s[k].floats >= n && (best < 0 || s[k].floats < s[best].floats))
      best = k;
  if (best >= 0)
    return best;
  s[*n_slices] = (Slice){.off = *total, .floats = n};
  if (!vg_size_add(*total, n, total))
    return -1;
  return (*n_slices)++;
}

/* Places value v, which node i writes (i = -1: the graph input), into a slice (take_slice), or over
 * its input's when node i can write over it (can_alias). */
static int place(VgExec *x, const int *uses, const int *last, int i, int v, Slice *s, int *n_slices,
                 int *slice_of, size_t *off, size_t *total, VgError *err)
{
  const VgModel *m = x->model;
  int64_t n = vg_shape_count(&x->shapes[v]);
  int k;
  if (n < 0 || n > VG_MAX_CONST_VALUES)
    return vg_error_set(err, "value '%s' is too large", m->values[v].name);
  if (i >= 0 && v == m->nodes[i].output && can_alias(x, uses, &m->nodes[i]))
    k = slice_of[m->nodes[i].inputs[0]];
  else if ((k = take_slice(s, n_slices, (size_t)round_up(n), i, total)) < 0)
    return vg_error_set(err, "activations too large");
  slice_of[v] = k;
  off[v] = s[k].off;
  /* in use until its values' last reader, and at least while node i writes it */
  s[k].end = s[k].end > last[v] ? s[k].end : last[v];
  s[k].end = s[k].end > i ? s[k].end : i;
  return VG_OK;
}

/* Each value's offset: node i's output reuses a slice whose values were all read for the last
 * time before node i, so the activations stay few and recently touched (a layer writes where a
 * layer two back wrote, still in cache) instead of one slice per value. A global pool that runs
 * with its conv (plan_pooling) is written by the conv's call: its output is placed with the
 * conv's. */
static int place_values(VgExec *x, const int *uses, size_t *off, size_t *total, VgError *err)
{
  const VgModel *m = x->model;
  int *last = xcalloc((size_t)m->n_values, sizeof(int), err);
  int *slice_of = last ? xcalloc((size_t)m->n_values, sizeof(int), err) : NULL;
  Slice *s = slice_of ? xcalloc((size_t)m->n_nodes + 1, sizeof(Slice), err) : NULL;
  int n_slices = 0, rc = s ? VG_OK : VG_ERR;
  for (int v = 0; s && v < m->n_values; v++)
    last[v] = vg_model_is_output(m, v) ? m->n_nodes : -1;
  for (int i = 0; s && i < m->n_nodes; i++)
    for (int k = 0; k < m->nodes[i].n_inputs; k++)
      if (m->nodes[i].inputs[k] >= 0 && !vg_model_is_output(m, m->nodes[i].inputs[k]))
        last[m->nodes[i].inputs[k]] = i;
  if (rc == VG_OK)
    rc = place(x, uses, last, -1, m->input, s, &n_slices, slice_of, off, total, err);
  for (int i = 0; rc == VG_OK && i < m->n_nodes; i++) {
    const VgNode *node = &m->nodes[i];
    if (!(x->ran_with[i] && node->op == VG_OP_GLOBAL_AVG_POOL))
      rc = place(x, uses, last, i, node->output, s, &n_slices, slice_of, off, total, err);
    if (rc == VG_OK && x->pool_with[i] >= 0)
      rc = place(x, uses, last, i, m->nodes[x->pool_with[i]].output, s, &n_slices, slice_of, off,
                 total, err);
  }
  free(last);
  free(slice_of);
  free(s);
  return rc;
}

/* Lays out the activations in one arena (place_values), the scratch after them. */
static int plan_arena(VgExec *x, VgError *err)
{
  const VgModel *m = x->model;
  int *uses = xcalloc((size_t)m->n_values, sizeof(int), err);
  size_t *off = uses ? xcalloc((size_t)m->n_values, sizeof(size_t), err) : NULL;
  if (!off) {
    free(uses);
    return VG_ERR;
  }
  for (int i = 0; i < m->n_nodes; i++)
    for (int k = 0; k < m->nodes[i].n_inputs; k++)
      if (m->nodes[i].inputs[k] >= 0)
        uses[m->nodes[i].inputs[k]]++;
  size_t total = 0, scratch = 0;
  int rc = place_values(x, uses, off, &total, err);
  size_t floats, bytes;
  if (rc == VG_OK && (scratch_floats(x, &scratch, err) != VG_OK ||
                      !vg_size_add(total, (size_t)round_up((int64_t)scratch), &floats) ||
                      !vg_size_mul(floats, sizeof(float), &bytes)))
    rc = vg_error_prefix(err, "activations too large");
  if (rc == VG_OK && posix_memalign((void **)&x->arena, 64, bytes ? bytes : 64) != 0) {
    x->arena = NULL;
    rc = vg_error_set(err, "out of memory for %zu bytes of activations", bytes);
  }
  if (rc == VG_OK) {
    memset(x->arena, 0, bytes);
    x->arena_bytes = bytes;
    for (int v = 0; v < m->n_values; v++)
      x->buf[v] = m->values[v].kind == VG_VALUE_CONST ? m->values[v].data : x->arena + off[v];
    x->scratch = x->arena + total;
  }
  free(uses);
  free(off);
  return rc;
}

/* The node producing value v if v is a node output that exactly one node reads and that is not the
 * graph's output; -1 otherwise. */
static int sole_producer(const VgModel *m, int v)
{
  if (v < 0 || vg_model_is_output(m, v) || m->values[v].kind != VG_VALUE_NODE)
    return -1;
  int readers = 0;
  for (int n = 0; n < m->n_nodes; n++)
    for (int k = 0; k < m->nodes[n].n_inputs; k++)
      readers += m->nodes[n].inputs[k] == v;
  return readers == 1 ? m->values[v].producer : -1;
}

/* Pairs each 1-D GlobalAveragePool with the conv whose output it alone reads, directly or
 * through a fused Relu (which then has nothing to do either): run_node runs the pair in one call.
 */
static void plan_pooling(VgExec *x)
{
  const VgModel *m = x->model;
  for (int i = 0; i < m->n_nodes; i++)
    x->pool_with[i] = -1;
  for (int i = 0; i < m->n_nodes; i++) {
    const VgNode *pool = &m->nodes[i];
    if (pool->op != VG_OP_GLOBAL_AVG_POOL || pool->n_inputs != 1 || !x->is_time[pool->inputs[0]] ||
        x->shapes[pool->inputs[0]].rank != 3)
      continue;
    int c = sole_producer(m, pool->inputs[0]), relu = -1;
    if (c >= 0 && vg_ops_node_is_fused(m, &m->nodes[c])) {
      relu = c;
      c = sole_producer(m, m->nodes[relu].inputs[0]);
    }
    if (c < 0 || m->nodes[c].op != VG_OP_CONV || !vg_node_is_time_local(m, &m->nodes[c]))
      continue;
    x->pool_with[c] = i;
    x->ran_with[i] = 1;
    if (relu >= 0)
      x->ran_with[relu] = 1;
  }
}

static void plan_views(VgExec *x)
{
  const VgModel *m = x->model;
  for (int v = 0; v < m->n_values; v++) {
    if (!x->is_time[v])
      continue;
    const VgShape *s = &x->shapes[v];
    int64_t len = s->dims[s->rank - 1];
    x->seq[v] = (VgSeq){.data = x->buf[v],
                        .first = 0,
                        .count = len,
                        .lo = 0,
                        .hi = len,
                        .width = vg_shape_width(s)};
  }
  int off = 0;
  for (int i = 0; i < m->n_nodes; i++) {
    const VgNode *node = &m->nodes[i];
    x->in_off[i] = off;
    x->time_local[i] = vg_node_is_time_local(m, node);
    for (int k = 0; k < node->n_inputs; k++, off++) {
      int v = node->inputs[k];
      x->seq_in[off] = (v >= 0 && x->is_time[v]) ? &x->seq[v] : NULL;
      x->data_in[off] = v >= 0 ? x->buf[v] : NULL;
    }
  }
  x->in_off[m->n_nodes] = off;
}

VgExec *vg_exec_create(VgModel *model, int64_t t_in, VgError *err)
{
  if (vg_ops_prepare(model, err) != VG_OK)
    return NULL;
  VgExec *x = xcalloc(1, sizeof(VgExec), err);
  if (!x)
    return NULL;
  x->model = model;
  if (alloc_tables(x, err) != VG_OK ||
      vg_model_infer_shapes(model, t_in, x->shapes, err) != VG_OK) {
    vg_exec_destroy(x);
    return NULL;
  }
  for (int v = 0; v < model->n_values; v++)
    x->is_time[v] = vg_model_is_time_value(model, v);
  plan_pooling(x);
  if (plan_arena(x, err) != VG_OK) {
    vg_exec_destroy(x);
    return NULL;
  }
  if (!vg_model_is_time_value(model, model->input)) {
    vg_error_set(err, "the graph input has no time axis");
    vg_exec_destroy(x);
    return NULL;
  }
  plan_views(x);
  return x;
}

static double now_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int run_node(VgExec *x, int i)
{
  const VgModel *m = x->model;
  const VgNode *node = &m->nodes[i];
  int o = node->output;
  if (x->ran_with[i])
    return VG_OK;
  if (x->time_local[i] && x->pool_with[i] >= 0) {
    const VgNode *pool = &m->nodes[x->pool_with[i]];
    return vg_ops_forward_pooled(m, node, pool, x->shapes, x->seq_in + x->in_off[i], &x->seq[o],
                                 x->buf[pool->output], x->scratch);
  }
  if (x->time_local[i]) {
    if (!x->is_time[o])
      return VG_ERR;
    VgSeq *out = &x->seq[o];
    return vg_ops_forward_time(m, node, x->shapes, x->seq_in + x->in_off[i], out, 0, out->count,
                               x->scratch);
  }
  if (!x->is_time[o])
    return vg_ops_forward_plain(m, node, x->shapes, x->data_in + x->in_off[i], x->buf[o],
                                x->scratch);
  /* a head node with a time-valued output (e.g. Softmax along time): ONNX order, then columns */
  float *tmp = x->scratch + x->head_tmp_off;
  if (vg_ops_forward_plain(m, node, x->shapes, x->data_in + x->in_off[i], tmp, x->scratch) != VG_OK)
    return VG_ERR;
  vg_ops_transpose(tmp, x->buf[o], x->seq[o].width, x->seq[o].count);
  return VG_OK;
}

int vg_exec_run_timed(VgExec *x, const float *input, float *output, double *node_seconds,
                      VgError *err)
{
  const VgModel *m = x->model;
  const VgSeq *in = &x->seq[m->input];
  vg_ops_transpose(input, x->buf[m->input], in->width, in->count);
  for (int i = 0; i < m->n_nodes; i++) {
    double t0 = node_seconds ? now_seconds() : 0.0;
    if (run_node(x, i) != VG_OK)
      return vg_error_set(err, "node '%s' (%s): the kernel refused its shapes or layout",
                          m->nodes[i].name, vg_op_name(m->nodes[i].op));
    if (node_seconds)
      node_seconds[i] += now_seconds() - t0;
  }
  for (int k = 0; k < vg_model_n_outputs(m); k++) { /* the outputs one after the other */
    int o = vg_model_output(m, k);
    if (x->is_time[o])
      vg_ops_transpose(x->buf[o], output, x->seq[o].count, x->seq[o].width);
    else
      memcpy(output, x->buf[o], (size_t)vg_shape_count(&x->shapes[o]) * sizeof(float));
    output += vg_shape_count(&x->shapes[o]);
  }
  return VG_OK;
}

int vg_exec_run(VgExec *x, const float *input, float *output, VgError *err)
{
  return vg_exec_run_timed(x, input, output, NULL, err);
}

const VgShape *vg_exec_input_shape(const VgExec *x)
{
  return &x->shapes[x->model->input];
}

const VgShape *vg_exec_output_shape(const VgExec *x)
{
  return &x->shapes[x->model->output];
}

const VgShape *vg_exec_shapes(const VgExec *x)
{
  return x->shapes;
}

size_t vg_exec_arena_bytes(const VgExec *x)
{
  return x->arena_bytes;
}

int64_t vg_exec_input_floats(const VgExec *x)
{
  return vg_shape_count(vg_exec_input_shape(x));
}

int64_t vg_exec_output_floats(const VgExec *x)
{
  int64_t n = 0;
  for (int k = 0; k < vg_model_n_outputs(x->model); k++)
    n += vg_shape_count(&x->shapes[vg_model_output(x->model, k)]);
  return n;
}

void vg_exec_destroy(VgExec *x)
{
  if (!x)
    return;
  free(x->shapes);
  free(x->is_time);
  free(x->buf);
  free(x->seq);
  free(x->seq_in);
  free(x->data_in);
  free(x->in_off);
  free(x->time_local);
  free(x->pool_with);
  free(x->ran_with);
  free(x->arena);
  free(x);
}
