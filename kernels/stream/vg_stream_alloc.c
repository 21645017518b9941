/* Creating and destroying a VgStream: every buffer a hop uses is allocated here, once.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "vg_stream_priv.h"

static float *alloc_floats(int64_t n, VgError *err)
{
  size_t bytes;
  if (n <= 0)
    return NULL;
  if (!vg_size_mul((size_t)n, sizeof(float), &bytes)) {
    vg_error_set(err, "a buffer of %lld floats is too large", (long long)n);
    return NULL;
  }
  float *p = calloc(1, bytes);
  if (!p)
    vg_error_set(err, "out of memory allocating %zu bytes of stream state", bytes);
  return p;
}

/* Floats the band computation of output columns [j0, j1) gathers from the node's inputs. */
static int64_t band_gather_floats(const VgStream *s, const VgNode *node, int64_t j0, int64_t j1)
{
  int64_t f, l, total = 0;
  if (j1 <= j0)
    return 0;
  vg_node_time_deps(node, j0, j1 - 1, &f, &l);
  for (int i = 0; i < node->n_inputs; i++) {
    int u = node->inputs[i];
    if (u < 0 || s->m->values[u].kind == VG_VALUE_CONST || !s->p->values[u].trunk)
      continue;
    const VgPlanValue *x = &s->p->values[u];
    int64_t a = f < 0 ? 0 : f, b = l + 1 > x->len ? x->len : l + 1;
    if (b > a)
      total += (b - a) * x->width;
  }
  return total;
}

static int alloc_sums(VgValueState *st, const VgPlanValue *x, VgError *err)
{
  st->sum = calloc((size_t)x->classes, sizeof(*st->sum));
  if (!st->sum)
    return vg_error_set(err, "out of memory allocating running sums");
  for (int64_t q = 0; q < x->classes; q++)
    if (!(st->sum[q].acc = calloc((size_t)(3 * x->width), sizeof(double))))
      return vg_error_set(err, "out of memory allocating running sums");
  return VG_OK;
}

static int alloc_value(VgStream *s, int v, VgError *err)
{
  const VgPlanValue *x = &s->p->values[v];
  VgValueState *st = &s->vs[v];
  if (!x->trunk) {
    if (s->m->values[v].kind == VG_VALUE_CONST)
      return VG_OK;
    st->plain = alloc_floats(vg_shape_count(&s->p->shapes[v]), err);
    return st->plain ? VG_OK : VG_ERR;
  }
  if (x->alias >= 0) /* shares its producer's stream: see share_alias */
    return x->exported && !(st->win = alloc_floats(x->len * x->width, err)) ? VG_ERR : VG_OK;
  if (x->band_left < x->len) {
    st->hist = calloc((size_t)x->classes, sizeof(*st->hist));
    if (!st->hist)
      return vg_error_set(err, "out of memory allocating stream histories");
    for (int64_t q = 0; q < x->classes; q++) {
      if (vg_history_init(&st->hist[q], x->width, x->hist_cols + x->zero_tail, err) != VG_OK)
        return VG_ERR;
      vg_history_set_tail(&st->hist[q], x->zero_tail);
    }
  }
  if (x->band_left > 0 && !(st->band_l = alloc_floats(x->band_left * x->width, err)))
    return VG_ERR;
  if (x->band_right > 0 && !(st->band_r = alloc_floats(x->band_right * x->width, err)))
    return VG_ERR;
  if (x->exported && !(st->win = alloc_floats(x->len * x->width, err)))
    return VG_ERR;
  if (x->summed && x->band_left < x->len)
    return alloc_sums(st, x, err);
  return VG_OK;
}

/* Deferred taps for a conv whose stream adds one column per class hop (vg_defer.h). */
static int alloc_defer(VgStream *s, const VgNode *node, VgError *err)
{
  const VgPlanValue *x = &s->p->values[node->output];
  if (!x->trunk || x->alias >= 0 || x->band_left >= x->len || x->step != 1 ||
      node->op != VG_OP_CONV || !s->p->values[node->inputs[0]].trunk)
    return VG_OK;
  /* Once the stream runs, each hop's new column is the last of the interior, and the input's
   * stream ends at the end of its own interior (window columns). */
  const VgPlanValue *in = &s->p->values[node->inputs[0]];
  VgDeferGeom geom = {x->len - x->band_right - 1, in->band_left, in->len - in->band_right,
                      in->classes, in->step};
  int failed;
  s->vs[node->output].defer = vg_defer_new(s->m, node, s->p->shapes, &geom, &failed, err);
  return failed ? VG_ERR : VG_OK;
}

/* An alias value (VgPlanValue.alias) points at its producer's histories and bands. If it is
 * summed, the sums live with the producer too, whose advance keeps them (vg_stream_sum.c). */
static int share_alias(VgStream *s, int v, VgError *err)
{
  const VgPlanValue *x = &s->p->values[v];
  VgValueState *st = &s->vs[v], *owner = &s->vs[x->alias];
  if (x->summed && x->band_left < x->len && !owner->sum &&
      alloc_sums(owner, &s->p->values[x->alias], err) != VG_OK)
    return VG_ERR;
  st->hist = owner->hist;
  st->band_l = owner->band_l;
  st->band_r = owner->band_r;
  st->sum = x->summed ? owner->sum : NULL;
  return VG_OK;
}

static int alloc_scratch(VgStream *s, VgError *err)
{
  size_t scratch = 1;
  int64_t gather = 1;
  for (int n = 0; n < s->m->n_nodes; n++) {
    const VgNode *node = &s->m->nodes[n];
    const VgPlanValue *x = &s->p->values[node->output];
    int64_t cols = x->trunk ? x->len : 1;
    size_t need = vg_ops_scratch_floats(s->m, node, s->p->shapes, cols);
    if (need > scratch)
      scratch = need;
    if (!x->trunk)
      continue;
    int64_t g = band_gather_floats(s, node, 0, x->band_left);
    int64_t r = band_gather_floats(s, node, x->len - x->band_right, x->len);
    if (g > gather)
      gather = g;
    if (r > gather)
      gather = r;
  }
  if (!(s->scratch = alloc_floats((int64_t)scratch, err)))
    return VG_ERR;
  if (!(s->gather = alloc_floats(gather, err)))
    return VG_ERR;
  return VG_OK;
}

/* Full mode: the window executor on every window; only the input history is kept. */
/* Floats of all the model's outputs at this window, one after the other. */
static int64_t output_values(const VgStream *s)
{
  int64_t n = 0;
  for (int k = 0; k < vg_model_n_outputs(s->m); k++)
    n += vg_shape_count(&s->p->shapes[vg_model_output(s->m, k)]);
  return n;
}

static int alloc_full(VgStream *s, VgError *err)
{
  const VgPlanValue *in = &s->p->values[s->m->input];
  s->exec = vg_exec_create(s->m, s->p->window, err);
  if (!s->exec)
    return VG_ERR;
  s->out_values = output_values(s);
  if (!(s->exec_in = alloc_floats(in->len * in->width, err)) ||
      !(s->out = alloc_floats(s->out_values, err)))
    return VG_ERR;
  s->vs[s->m->input].hist = calloc(1, sizeof(VgHistory));
  if (!s->vs[s->m->input].hist)
    return vg_error_set(err, "out of memory allocating stream histories");
  return vg_history_init(s->vs[s->m->input].hist, in->width, in->hist_cols, err);
}

int vg_stream_alloc_state(VgStream *s, VgError *err)
{
  s->vs = calloc((size_t)s->m->n_values, sizeof(*s->vs));
  if (!s->vs)
    return vg_error_set(err, "out of memory allocating stream state");
  for (int i = 0; i < s->m->n_nodes; i++) /* the hop's per-node tables (vg_stream.c) */
    if (s->m->nodes[i].n_inputs > VG_MAX_NODE_INPUTS)
      return vg_error_set(err, "node '%s' has more than %d inputs", s->m->nodes[i].name,
                          VG_MAX_NODE_INPUTS);
  if (s->p->mode == VG_STREAM_FULL || s->p->fallback[0])
    return alloc_full(s, err);
  for (int v = 0; v < s->m->n_values; v++)
    if (alloc_value(s, v, err) != VG_OK)
      return VG_ERR;
  for (int v = 0; v < s->m->n_values; v++)
    if (s->p->values[v].alias >= 0 && share_alias(s, v, err) != VG_OK)
      return VG_ERR;
  for (int n = 0; n < s->m->n_nodes; n++)
    if (alloc_defer(s, &s->m->nodes[n], err) != VG_OK)
      return VG_ERR;
  if (alloc_scratch(s, err) != VG_OK)
    return VG_ERR;
  s->out_values = output_values(s);
  int64_t widest = 1;
  for (int v = 0; v < s->m->n_values; v++)
    if (s->p->values[v].width > widest)
      widest = s->p->values[v].width;
  s->sum_scratch = calloc((size_t)widest, sizeof(double));
  if (!s->sum_scratch)
    return vg_error_set(err, "out of memory allocating stream state");
  if ((s->p->output_is_time || vg_model_n_outputs(s->m) > 1) &&
      !(s->out = alloc_floats(s->out_values, err)))
    return VG_ERR;
  return VG_OK;
}

void vg_stream_free_state(VgStream *s)
{
  if (s->vs) {
    for (int v = 0; v < s->m->n_values; v++) {
      VgValueState *st = &s->vs[v];
      free(st->win);
      free(st->plain);
      vg_defer_free(st->defer);
      if (s->p->values[v].alias >= 0)
        continue; /* the rest belongs to the producer's value */
      if (st->hist)
        for (int64_t q = 0; q < s->p->values[v].classes; q++)
          vg_history_clear(&st->hist[q]);
      free(st->hist);
      if (st->sum)
        for (int64_t q = 0; q < s->p->values[v].classes; q++)
          free(st->sum[q].acc);
      free(st->sum);
      free(st->band_l);
      free(st->band_r);
    }
    free(s->vs);
  }
  free(s->scratch);
  free(s->gather);
  free(s->out);
  free(s->sum_scratch);
  free(s->exec_in);
  vg_exec_destroy(s->exec);
}

VgStream *vg_stream_create(VgModel *m, int64_t window, int64_t hop, VgStreamMode mode, VgError *err)
{
  VgStream *s = calloc(1, sizeof(*s));
  if (!s) {
    vg_error_set(err, "out of memory creating the stream");
    return NULL;
  }
  s->m = m;
  s->p = vg_plan_create(m, window, hop, mode, err);
  if (!s->p || vg_stream_alloc_state(s, err) != VG_OK) {
    vg_stream_destroy(s);
    return NULL;
  }
  vg_stream_reset(s);
  return s;
}

void vg_stream_destroy(VgStream *s)
{
  if (!s)
    return;
  if (s->p)
    vg_stream_free_state(s);
  vg_plan_free(s->p);
  free(s);
}
