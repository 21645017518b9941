/* The streaming plan: which values form the trunk, how each shifts with the input (its time scale
 * and stream classes), which columns of a window must be recomputed near its edges (bands), and
 * what every hop costs. Pure geometry on shapes: no numerics here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_history.h"
#include "vg_ops.h"
#include "vg_plan_priv.h"

const char *vg_stream_mode_name(VgStreamMode mode)
{
  switch (mode) {
  case VG_STREAM_EXACT:
    return "exact";
  case VG_STREAM_SIGNAL:
    return "signal";
  case VG_STREAM_FULL:
    return "full";
  }
  return "?";
}

static int64_t gcd64(int64_t a, int64_t b)
{
  while (b != 0) {
    int64_t t = a % b;
    a = b;
    b = t;
  }
  return a < 0 ? -a : a;
}

/* A node of the trunk: time-local and every non-constant input already in the trunk. */
static int node_in_trunk(const VgModel *m, const VgNode *node, const VgPlanValue *pv)
{
  if (!vg_node_is_time_local(m, node))
    return 0;
  int any = 0;
  for (int i = 0; i < node->n_inputs; i++) {
    int u = node->inputs[i];
    if (u < 0 || m->values[u].kind == VG_VALUE_CONST)
      continue;
    if (!pv[u].trunk)
      return 0;
    any = 1;
  }
  return any;
}

/* A node that reads both a trunk value and a head value (a time value gated by a per-window one):
 * neither incremental nor a whole-value head op. */
static int mixes_trunk_and_head(const VgModel *m, const VgNode *node, const VgPlanValue *pv)
{
  int trunk = 0, head = 0;
  for (int i = 0; i < node->n_inputs; i++) {
    int u = node->inputs[i];
    if (u < 0 || m->values[u].kind == VG_VALUE_CONST)
      continue;
    if (pv[u].trunk)
      trunk = 1;
    else
      head = 1;
  }
  return trunk && head;
}

/* Whether value v is read by a node. */
static int value_is_read(const VgModel *m, int v)
{
  for (int n = 0; n < m->n_nodes; n++)
    for (int i = 0; i < m->nodes[n].n_inputs; i++)
      if (m->nodes[n].inputs[i] == v)
        return 1;
  return 0;
}

/* Head nodes the engine cannot run on whole values in its head: then the whole model falls back
 * to per-window recomputation by the executor (VgPlan.fallback says why). */
static void plan_check_head_node(const VgModel *m, const VgNode *node, VgPlan *p)
{
  if (mixes_trunk_and_head(m, node, p->values))
    snprintf(p->fallback, sizeof(p->fallback),
             "node '%s' (%s) gates a time value with a per-window value (e.g. "
             "squeeze-and-excitation)",
             node->name, vg_op_name(node->op));
  else if (vg_model_is_time_value(m, node->output) && value_is_read(m, node->output))
    snprintf(p->fallback, sizeof(p->fallback),
             "node '%s' (%s) is not shift-equivariant along time and feeds later layers",
             node->name, vg_op_name(node->op));
}

/* First time input of a node (its scale is the node's input scale). */
int vg_plan_first_time_input(const VgModel *m, const VgNode *node, const VgPlanValue *pv)
{
  for (int i = 0; i < node->n_inputs; i++) {
    int u = node->inputs[i];
    if (u >= 0 && m->values[u].kind != VG_VALUE_CONST && pv[u].trunk)
      return u;
  }
  return -1;
}

/* Time scale: scale(out) = scale(in) * num/den, reduced. All time inputs must agree. */
static int plan_scale(const VgModel *m, const VgNode *node, VgPlanValue *pv, VgError *err)
{
  int u0 = vg_plan_first_time_input(m, node, pv);
  for (int i = 0; i < node->n_inputs; i++) {
    int u = node->inputs[i];
    if (u < 0 || m->values[u].kind == VG_VALUE_CONST)
      continue;
    if (pv[u].scale_num != pv[u0].scale_num || pv[u].scale_den != pv[u0].scale_den)
      return vg_error_set(err, "node '%s' (%s) joins inputs with different time scales", node->name,
                          vg_op_name(node->op));
  }
  int64_t num, den;
  vg_node_time_scale(node, &num, &den);
  num *= pv[u0].scale_num;
  den *= pv[u0].scale_den;
  int64_t g = gcd64(num, den);
  pv[node->output].scale_num = num / g;
  pv[node->output].scale_den = den / g;
  return VG_OK;
}

/* Exact-mode bands: output column j is clean when every input column it reads lies inside that
 * input's clean interior [bl, len - br) of the same window. Reads are monotone in j, so the clean
 * columns form one interval; everything else is recomputed per window. An input without a clean
 * column has no stream to read: then no output column is clean, not even one that reads no
 * input column (a transposed conv's output padding), whose stream would have nothing to view. */
static void plan_bands(const VgModel *m, const VgNode *node, VgPlanValue *pv)
{
  VgPlanValue *o = &pv[node->output];
  int64_t first_clean = -1, last_clean = -1;
  for (int64_t j = 0; j < o->len; j++) {
    int64_t f, l;
    vg_node_time_deps(node, j, j, &f, &l);
    int clean = 1;
    for (int i = 0; i < node->n_inputs && clean; i++) {
      int u = node->inputs[i];
      if (u < 0 || m->values[u].kind == VG_VALUE_CONST)
        continue;
      clean =
          pv[u].band_left < pv[u].len && f >= pv[u].band_left && l < pv[u].len - pv[u].band_right;
    }
    if (clean) {
      if (first_clean < 0)
        first_clean = j;
      last_clean = j;
    }
  }
  if (first_clean < 0) {
    o->band_left = o->len; /* no clean column: the whole value is recomputed per window */
    o->band_right = 0;
  } else {
    o->band_left = first_clean;
    o->band_right = o->len - 1 - last_clean;
  }
}

static int64_t prod_dims(const VgShape *s, int from, int to)
{
  int64_t p = 1;
  for (int i = from; i < to; i++)
    p *= s->dims[i];
  return p;
}

/* FLOPs of one node on a whole window (multiply-add = 2). Approximate for cheap ops. */
double vg_plan_node_flops(const VgModel *m, const VgNode *node, const VgShape *shapes)
{
  const VgShape *out = &shapes[node->output];
  const VgShape *in = &shapes[node->inputs[0]];
  double n_out = (double)vg_shape_count(out);
  switch (node->op) {
  case VG_OP_CONV:
    if (node->n_inputs > 1) {
      const VgShape *w = &m->values[node->inputs[1]].shape;
      return 2.0 * n_out * (double)prod_dims(w, 1, w->rank);
    }
    return n_out;
  case VG_OP_CONV_TRANSPOSE:
    if (node->n_inputs > 1) {
      const VgShape *w = &m->values[node->inputs[1]].shape;
      return 2.0 * (double)vg_shape_count(in) * (double)prod_dims(w, 1, w->rank);
    }
    return n_out;
  case VG_OP_MAX_POOL:
  case VG_OP_AVG_POOL: {
    int ns = node->win.n_spatial;
    double k = 1;
    for (int i = 0; i < ns; i++)
      k *= node->win.kernel[i];
    return n_out * k;
  }
  case VG_OP_GLOBAL_AVG_POOL:
  case VG_OP_GLOBAL_MAX_POOL:
    return (double)vg_shape_count(in);
  case VG_OP_GEMM:
  case VG_OP_MATMUL: {
    /* out [.., M, N] from a reduction of length K: 2*M*N*K */
    const VgShape *b = &shapes[node->inputs[1]];
    int64_t k = b->rank >= 2 ? (node->op == VG_OP_GEMM && node->trans_b ? b->dims[1] : b->dims[0])
                             : b->dims[0];
    if (node->op == VG_OP_MATMUL && b->rank >= 2)
      k = b->dims[b->rank - 2];
    return 2.0 * n_out * (double)k;
  }
  default:
    return n_out;
  }
}

/* Which trunk values the window assembles (inputs of head nodes and the output), and which the
 * head only averages (GlobalAveragePool: a running sum of the stream plus the bands). The running
 * sums are kept by the advance of the node that computes the value (vg_stream.c), so the graph
 * input, which vg_stream_push fills and no node advances, is assembled instead (`x.mean(-1)` of
 * the input itself: its sums were never updated, and the head read zeros). */
static void plan_exports(const VgModel *m, VgPlanValue *pv)
{
  for (int n = 0; n < m->n_nodes; n++) {
    const VgNode *node = &m->nodes[n];
    if (pv[node->output].trunk)
      continue;
    for (int i = 0; i < node->n_inputs; i++) {
      int u = node->inputs[i];
      if (u < 0 || !pv[u].trunk)
        continue;
      if (node->op == VG_OP_GLOBAL_AVG_POOL && !pv[u].exported && u != m->input)
        pv[u].summed = 1;
      else {
        pv[u].exported = 1;
        pv[u].summed = 0;
      }
    }
  }
  for (int k = 0; k < vg_model_n_outputs(m); k++) {
    int o = vg_model_output(m, k);
    if (pv[o].trunk) {
      pv[o].exported = 1;
      pv[o].summed = 0;
    }
  }
}

/* A Relu fused into the conv that alone feeds it computes nothing (the conv's kernels rectify):
 * its value shares the conv output's stream and bands instead of copying them, which saves a pass
 * over the new columns and a history per conv. The two have the same geometry (pointwise). */
static void plan_aliases(const VgModel *m, VgPlan *p)
{
  for (int n = 0; n < m->n_nodes; n++) {
    const VgNode *node = &m->nodes[n];
    VgPlanValue *x = &p->values[node->output];
    if (!x->trunk || p->mode == VG_STREAM_FULL || !vg_ops_node_is_fused(m, node))
      continue;
    int u = node->inputs[0];
    const VgPlanValue *y = &p->values[u];
    if (y->trunk && y->alias < 0 && !y->exported && !y->summed && y->len == x->len &&
        y->width == x->width && y->band_left == x->band_left && y->band_right == x->band_right &&
        y->classes == x->classes && y->step == x->step)
      x->alias = u;
  }
}

/* SIGNAL: each 1-D conv's right padding, kept as zero columns after its input's stream (with the
 * stream's owner when the input is an alias), so that the hop's edge rows read it in place: copying
 * them (im2col) took 14 % of a PPG-like hop at H 16. */
static void plan_zero_tails(const VgModel *m, VgPlan *p)
{
  for (int n = 0; p->mode == VG_STREAM_SIGNAL && n < m->n_nodes; n++) {
    const VgNode *node = &m->nodes[n];
    int u = node->inputs[0];
    if (node->op != VG_OP_CONV || node->win.n_spatial != 1 || !p->values[u].trunk)
      continue;
    VgPlanValue *owner = &p->values[p->values[u].alias >= 0 ? p->values[u].alias : u];
    if (node->win.pad_end[0] > owner->zero_tail)
      owner->zero_tail = node->win.pad_end[0];
  }
}

/* History per class, the bands and per-hop costs, once bands and classes are known. */
static void plan_costs(const VgModel *m, VgPlan *p)
{
  plan_zero_tails(m, p);
  for (int v = 0; v < m->n_values; v++) {
    VgPlanValue *x = &p->values[v];
    if (!x->trunk)
      continue;
    int64_t interior = x->len - x->band_left - x->band_right;
    int64_t bands = x->band_left + x->band_right;
    x->hist_cols = interior > 0 ? interior : 0;
    if (v == m->input)
      x->hist_cols = p->window;
    int64_t hist = x->alias < 0 && x->hist_cols > 0
                       ? vg_history_bytes(x->width, x->hist_cols + x->zero_tail)
                       : 0;
    int64_t cols = (x->alias < 0 ? bands : 0) + (x->exported ? x->len : 0);
    x->state_bytes = hist * x->classes + cols * x->width * (int64_t)sizeof(float);
    if (x->summed) /* sums, sums of magnitudes and their peaks (vg_stream_sum.c) */
      x->state_bytes += 3 * x->classes * x->width * (int64_t)sizeof(double);
    x->new_cols_per_hop = (double)(interior > 0 ? x->step : 0) + (double)bands;
    if (v == m->input)
      x->new_cols_per_hop = (double)p->hop;
  }
  p->flops_hop = p->flops_full = 0;
  p->state_bytes = 0;
  for (int n = 0; n < m->n_nodes; n++) {
    const VgNode *node = &m->nodes[n];
    VgPlanValue *x = &p->values[node->output];
    double full = vg_plan_node_flops(m, node, p->shapes);
    x->flops_full = full;
    x->flops_hop = x->trunk && x->len > 0 ? full * x->new_cols_per_hop / (double)x->len : full;
    const VgPlanValue *in = &p->values[node->inputs[0]];
    if (node->op == VG_OP_GLOBAL_AVG_POOL && in->summed) /* a running sum: the new columns */
      x->flops_hop = full * in->new_cols_per_hop / (double)in->len;
    p->flops_full += x->flops_full;
    p->flops_hop += x->flops_hop;
  }
  for (int v = 0; v < m->n_values; v++)
    p->state_bytes += p->values[v].state_bytes;
  p->weight_bytes_hop = 0;
  for (int n = 0; n < m->n_nodes; n++) {
    const VgNode *node = &m->nodes[n];
    const VgPlanValue *x = &p->values[node->output];
    if (x->trunk && (x->alias >= 0 || x->new_cols_per_hop <= 0))
      continue;
    for (int i = 0; i < node->n_inputs; i++) {
      int u = node->inputs[i];
      if (u >= 0 && m->values[u].kind == VG_VALUE_CONST)
        p->weight_bytes_hop += vg_shape_count(&m->values[u].shape) * (int64_t)sizeof(float);
    }
  }
}

static int plan_value_geometry(const VgModel *m, VgPlan *p, int v, int node_index, VgError *err)
{
  VgPlanValue *x = &p->values[v];
  const VgShape *s = &p->shapes[v];
  x->len = s->dims[s->rank - 1];
  x->width = vg_shape_width(s);
  if (x->len < 1)
    return vg_error_set(err, "window %lld leaves no column at %s", (long long)p->window,
                        node_index < 0 ? "the input" : m->nodes[node_index].name);
  if (node_index >= 0 && plan_scale(m, &m->nodes[node_index], p->values, err) != VG_OK)
    return VG_ERR;
  /* A value shifts by whole columns only when every value it depends on does: its classes are
   * the lcm over its ancestors of den / gcd(den, H). */
  int64_t den = x->scale_den;
  x->classes = den / gcd64(den, p->hop);
  if (node_index >= 0) {
    const VgNode *node = &m->nodes[node_index];
    for (int i = 0; i < node->n_inputs; i++) {
      int u = node->inputs[i];
      if (u < 0 || m->values[u].kind == VG_VALUE_CONST)
        continue;
      int64_t c = p->values[u].classes;
      x->classes = x->classes / gcd64(x->classes, c) * c;
    }
  }
  x->step = x->classes * p->hop * x->scale_num / den;
  p->align = p->align / gcd64(p->align, den) * den;
  if (x->classes > p->phases)
    p->phases = x->classes;
  return VG_OK;
}

static void plan_mode_bands(const VgModel *m, VgPlan *p)
{
  p->signal_is_exact = 1;
  for (int v = 0; v < m->n_values; v++) {
    VgPlanValue *x = &p->values[v];
    if (!x->trunk)
      continue;
    if (x->band_left || x->band_right)
      p->signal_is_exact = 0;
    if (p->mode == VG_STREAM_SIGNAL) {
      x->band_left = x->band_right = 0;
    } else if (p->mode == VG_STREAM_FULL && v != m->input) {
      x->band_left = x->len;
      x->band_right = 0;
    }
    if (x->band_left >= x->len && v != m->input)
      x->classes = 1; /* no stream: nothing is kept between windows */
  }
}

VgPlan *vg_plan_from_shapes(const VgModel *m, const VgShape *shapes, int64_t window, int64_t hop,
                            VgStreamMode mode, VgError *err)
{
  if (hop < 1 || hop > window) {
    vg_error_set(err, "hop %lld is not possible with window %lld: choose a hop from 1 to %lld",
                 (long long)hop, (long long)window, (long long)window);
    return NULL;
  }
  VgPlan *p = calloc(1, sizeof(*p));
  if (!p) {
    vg_error_set(err, "out of memory planning the stream");
    return NULL;
  }
  p->window = window;
  p->hop = hop;
  p->mode = mode;
  p->align = 1;
  p->phases = 1;
  p->n_values = m->n_values;
  p->values = calloc((size_t)m->n_values, sizeof(*p->values));
  p->shapes = calloc((size_t)m->n_values, sizeof(*p->shapes));
  if (!p->values || !p->shapes) {
    vg_plan_free(p);
    vg_error_set(err, "out of memory planning the stream");
    return NULL;
  }
  memcpy(p->shapes, shapes, (size_t)m->n_values * sizeof(*shapes));
  for (int v = 0; v < m->n_values; v++)
    p->values[v].alias = -1;
  VgPlanValue *in = &p->values[m->input];
  in->trunk = 1;
  in->scale_num = in->scale_den = 1;
  if (plan_value_geometry(m, p, m->input, -1, err) != VG_OK)
    goto fail;
  for (int n = 0; n < m->n_nodes; n++) {
    const VgNode *node = &m->nodes[n];
    if (!node_in_trunk(m, node, p->values)) {
      if (!p->fallback[0])
        plan_check_head_node(m, node, p);
      continue;
    }
    p->values[node->output].trunk = 1;
    if (plan_value_geometry(m, p, node->output, n, err) != VG_OK)
      goto fail;
    plan_bands(m, node, p->values);
  }
  for (int k = 0; k < vg_model_n_outputs(m); k++)
    p->output_is_time |= p->values[vg_model_output(m, k)].trunk;
  plan_exports(m, p->values);
  plan_mode_bands(m, p);
  plan_aliases(m, p);
  plan_costs(m, p);
  if (p->fallback[0])
    p->flops_hop = p->flops_full;
  return p;
fail:
  vg_plan_free(p);
  return NULL;
}

void vg_plan_free(VgPlan *p)
{
  if (!p)
    return;
  free(p->values);
  free(p->shapes);
  free(p);
}
