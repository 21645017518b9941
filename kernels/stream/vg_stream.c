/* The streaming engine's hop: advance every trunk value's stream by its new columns, recompute
 * the edge bands (exact mode), assemble what the head and the output read, run the head. Full mode
 * hands every window to the window executor (kernels/exec).
 *
 * All column indices in a hop are relative to the current window k ("window columns"). A value v
 * with c classes and step s keeps, per class q, the stream of window q: window k (k % c == q) sees
 * stream column (k / c) * s + j as its column j (see docs/design.md for why this is exact).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vg_stream_priv.h"

static VgHistory *class_history(VgStream *s, int v, int64_t k, int64_t *off)
{
  const VgPlanValue *x = &s->p->values[v];
  *off = (k / x->classes) * x->step;
  return &s->vs[v].hist[k % x->classes];
}

/* A view of input u's stream for window k: everything it keeps, in window columns. */
void vg_stream_view(VgStream *s, int u, int64_t k, VgSeq *seq)
{
  int64_t off;
  VgHistory *h = class_history(s, u, k, &off);
  seq->data = vg_history_col(h, h->lo);
  seq->first = h->lo - off;
  seq->count = h->hi - h->lo;
  seq->width = s->p->values[u].width;
  seq->zeros = 0;
  if (s->p->mode == VG_STREAM_SIGNAL) {
    seq->lo = 0; /* columns first computed now see the window's edges as padding */
    seq->hi = s->p->values[u].len;
    seq->zeros = h->tail; /* used only where the stored columns end at hi (VgSeq) */
  } else {
    seq->lo = -VG_FAR; /* exact streams only compute columns that see no padding */
    seq->hi = VG_FAR;
  }
}

/* Copies columns [a, b) of value u in window k into dst, from its bands and its stream. */
static void gather(VgStream *s, int u, int64_t k, int64_t a, int64_t b, float *dst)
{
  const VgPlanValue *x = &s->p->values[u];
  const VgValueState *st = &s->vs[u];
  size_t col = (size_t)x->width * sizeof(float);
  int64_t bl = x->band_left, br0 = x->len - x->band_right;
  for (int64_t j = a; j < b;) {
    int64_t end;
    const float *src;
    if (j < bl) {
      end = b < bl ? b : bl;
      src = st->band_l + j * x->width;
    } else if (j < br0) {
      int64_t off;
      VgHistory *h = class_history(s, u, k, &off);
      end = b < br0 ? b : br0;
      src = vg_history_col(h, j + off);
    } else {
      end = b;
      src = st->band_r + (j - br0) * x->width;
    }
    memcpy(dst, src, (size_t)(end - j) * col);
    dst += (end - j) * x->width;
    j = end;
  }
}

/* The per-node tables below (seqs, in) hold VG_MAX_NODE_INPUTS entries: vg_stream_alloc_state
 * refuses a model with a node of more inputs. */

static int is_time_input(const VgStream *s, int u)
{
  return u >= 0 && s->m->values[u].kind != VG_VALUE_CONST && s->p->values[u].trunk;
}

/* Stream columns of window k that the node's output has not computed yet (exact: the clean
 * interior; signal: up to the window's end). */
static int advance(VgStream *s, const VgNode *node, int64_t k, VgError *err)
{
  int v = node->output;
  const VgPlanValue *x = &s->p->values[v];
  if (x->band_left >= x->len || x->alias >= 0)
    return VG_OK; /* no stream, or its producer's stream */
  int64_t off;
  VgHistory *h = class_history(s, v, k, &off);
  int64_t keep = off + x->band_left, target = off + x->len - x->band_right;
  int64_t q = k % x->classes;
  int restarted = h->hi < keep;
  vg_sum_before(s, v, q, h, keep);
  if (restarted)
    vg_history_restart(h, keep); /* a hop longer than the interior: nothing carries over */
  else
    vg_history_trim(h, keep);
  int64_t old_hi = h->hi, n = target - h->hi;
  VgDefer *d = s->vs[v].defer;
  if (d && n != 1)
    vg_defer_drop(d); /* partial rows assume one column per hop (vg_defer.h) */
  if (n <= 0) {
    vg_sum_after(s, v, q, h, old_hi, restarted);
    return VG_OK;
  }
  VgSeq seqs[VG_MAX_NODE_INPUTS];
  const VgSeq *in[VG_MAX_NODE_INPUTS];
  for (int i = 0; i < node->n_inputs; i++) {
    in[i] = NULL;
    if (is_time_input(s, node->inputs[i])) {
      if (!s->vs[node->inputs[i]].hist) /* the plan never streams over an input without one */
        return vg_error_set(err, "internal error: a stream over an input without one");
      vg_stream_view(s, node->inputs[i], k, &seqs[i]);
      in[i] = &seqs[i];
    }
  }
  int64_t j0 = h->hi - off;
  VgSeq out = {vg_history_reserve(h, n), j0, n, -VG_FAR, VG_FAR, x->width, .kept = 1};
  int rc;
  if (d && n == 1) {
    rc = vg_defer_column(s, node, k, in, &out, j0);
    s->deferred += rc > 0;
  } else {
    rc = vg_ops_forward_time(s->m, node, s->p->shapes, in, &out, j0, j0 + n, s->scratch);
  }
  if (rc < 0)
    return vg_error_set(err, "computing stream columns failed");
  vg_history_commit(h, n);
  vg_sum_after(s, v, q, h, old_hi, restarted);
  return VG_OK;
}

/* Window columns [j0, j1) of the node's output computed as windowed inference would (zero
 * padding at the window's edges), from inputs gathered out of bands and streams. */
static int band(VgStream *s, const VgNode *node, int64_t k, int64_t j0, int64_t j1, float *dst,
                VgError *err)
{
  VgSeq seqs[VG_MAX_NODE_INPUTS];
  const VgSeq *in[VG_MAX_NODE_INPUTS];
  float *g = s->gather;
  int64_t f, l;
  vg_node_time_deps(node, j0, j1 - 1, &f, &l);
  for (int i = 0; i < node->n_inputs; i++) {
    int u = node->inputs[i];
    in[i] = NULL;
    if (!is_time_input(s, u))
      continue;
    const VgPlanValue *x = &s->p->values[u];
    int64_t a = f < 0 ? 0 : f, b = l + 1 > x->len ? x->len : l + 1;
    if (b < a)
      b = a;
    gather(s, u, k, a, b, g);
    seqs[i] = (VgSeq){g, a, b - a, 0, x->len, x->width};
    in[i] = &seqs[i];
    g += (b - a) * x->width;
  }
  const VgPlanValue *o = &s->p->values[node->output];
  VgSeq out = {dst, j0, j1 - j0, 0, o->len, o->width};
  if (vg_ops_forward_time(s->m, node, s->p->shapes, in, &out, j0, j1, s->scratch) != VG_OK)
    return vg_error_set(err, "computing window columns %lld-%lld failed", (long long)j0,
                        (long long)j1);
  return VG_OK;
}

static int run_head_node(VgStream *s, const VgNode *node, int64_t k, VgError *err)
{
  const float *in[VG_MAX_NODE_INPUTS];
  if (node->op == VG_OP_GLOBAL_AVG_POOL && s->p->values[node->inputs[0]].summed) {
    vg_sum_global_avg(s, node->inputs[0], k, node->reduce == VG_REDUCE_SUM,
                      s->vs[node->output].plain);
    return VG_OK;
  }
  for (int i = 0; i < node->n_inputs; i++) {
    int u = node->inputs[i];
    if (u < 0)
      in[i] = NULL;
    else if (s->m->values[u].kind == VG_VALUE_CONST)
      in[i] = s->m->values[u].data;
    else if (s->p->values[u].trunk)
      in[i] = s->vs[u].win;
    else
      in[i] = s->vs[u].plain;
  }
  if (vg_ops_forward_plain(s->m, node, s->p->shapes, in, s->vs[node->output].plain, s->scratch) !=
      VG_OK)
    return vg_error_set(err, "computing the head failed");
  return VG_OK;
}

static int run_trunk(VgStream *s, int64_t k, VgError *err)
{
  const VgModel *m = s->m;
  for (int n = 0; n < m->n_nodes; n++) {
    const VgNode *node = &m->nodes[n];
    if (s->p->values[node->output].trunk && advance(s, node, k, err) != VG_OK)
      return vg_error_prefix(err, "node '%s'", node->name);
  }
  for (int n = 0; n < m->n_nodes; n++) {
    const VgNode *node = &m->nodes[n];
    const VgPlanValue *x = &s->p->values[node->output];
    if (!x->trunk)
      continue;
    const VgValueState *st = &s->vs[node->output];
    if (x->alias >= 0)
      continue; /* its producer computed the bands */
    if (x->band_left > 0 && band(s, node, k, 0, x->band_left, st->band_l, err) != VG_OK)
      return vg_error_prefix(err, "node '%s'", node->name);
    if (x->band_right > 0 &&
        band(s, node, k, x->len - x->band_right, x->len, st->band_r, err) != VG_OK)
      return vg_error_prefix(err, "node '%s'", node->name);
  }
  return VG_OK;
}

/* Full mode: the window executor on the window, transposed to ONNX order. */
static int run_full(VgStream *s, int64_t k, VgError *err)
{
  const VgPlanValue *x = &s->p->values[s->m->input];
  const float *w = vg_history_col(&s->vs[s->m->input].hist[0], k * s->p->hop);
  vg_ops_transpose(w, s->exec_in, x->len, x->width);
  return vg_exec_run(s->exec, s->exec_in, s->out, err);
}

/* Window k is complete in the input history: compute its output. */
static int run_window(VgStream *s, int64_t k, VgError *err)
{
  const VgModel *m = s->m;
  if (s->exec)
    return run_full(s, k, err);
  if (run_trunk(s, k, err) != VG_OK)
    return VG_ERR;
  for (int v = 0; v < m->n_values; v++) {
    const VgPlanValue *x = &s->p->values[v];
    if (x->exported)
      gather(s, v, k, 0, x->len, s->vs[v].win);
  }
  for (int n = 0; n < m->n_nodes; n++) {
    const VgNode *node = &m->nodes[n];
    if (!s->p->values[node->output].trunk && run_head_node(s, node, k, err) != VG_OK)
      return vg_error_prefix(err, "node '%s'", node->name);
  }
  if (!s->p->output_is_time && vg_model_n_outputs(m) == 1)
    return VG_OK; /* vg_stream_push hands out the plain output in place */
  float *out = s->out;
  for (int j = 0; j < vg_model_n_outputs(m); j++) { /* the outputs one after the other */
    int o = vg_model_output(m, j);
    const VgPlanValue *x = &s->p->values[o];
    if (x->trunk) /* time-major window -> ONNX order [C(, F), T] */
      vg_ops_transpose(s->vs[o].win, out, x->len, x->width);
    else
      memcpy(out, s->vs[o].plain, (size_t)vg_shape_count(&s->p->shapes[o]) * sizeof(float));
    out += vg_shape_count(&s->p->shapes[o]);
  }
  return VG_OK;
}

int vg_stream_push(VgStream *s, const float *frames, int64_t n_frames, VgStreamOutputFn fn,
                   void *user, VgError *err)
{
  const VgPlan *p = s->p;
  VgHistory *h = &s->vs[s->m->input].hist[0];
  int64_t width = p->values[s->m->input].width;
  while (n_frames > 0) {
    int64_t start = s->next * p->hop, end = start + p->window;
    vg_history_trim(h, start);
    int64_t n = end - h->hi < n_frames ? end - h->hi : n_frames;
    memcpy(vg_history_reserve(h, n), frames, (size_t)(n * width) * sizeof(float));
    vg_history_commit(h, n);
    frames += n * width;
    n_frames -= n;
    if (h->hi < end)
      break;
    if (run_window(s, s->next, err) != VG_OK)
      return VG_ERR;
    const float *out = s->out ? s->out : s->vs[s->m->output].plain;
    int64_t k = s->next++;
    if (fn && fn(user, k, out, vg_history_col(h, start)) != VG_OK)
      return vg_error_set(err, "stopped by the output callback at window %lld", (long long)k);
  }
  return VG_OK;
}

void vg_stream_reset(VgStream *s)
{
  const VgModel *m = s->m;
  for (int v = 0; v < m->n_values; v++) {
    const VgPlanValue *x = &s->p->values[v];
    if (!x->trunk || !s->vs[v].hist)
      continue;
    for (int64_t q = 0; q < x->classes; q++) {
      vg_history_restart(&s->vs[v].hist[q], v == m->input ? 0 : -VG_FAR);
      if (s->vs[v].sum)
        s->vs[v].sum[q].valid = 0;
    }
    if (s->vs[v].defer)
      vg_defer_drop(s->vs[v].defer);
  }
  s->next = 0;
}

const VgPlan *vg_stream_plan(const VgStream *s)
{
  return s->p;
}

int64_t vg_stream_frame_values(const VgStream *s)
{
  return s->p->values[s->m->input].width;
}

int64_t vg_stream_output_values(const VgStream *s)
{
  return s->out_values;
}

const VgShape *vg_stream_output_shape_at(const VgStream *s, int k)
{
  return &s->p->shapes[vg_model_output(s->m, k)];
}

const VgShape *vg_stream_output_shape(const VgStream *s)
{
  return &s->p->shapes[s->m->output];
}

int64_t vg_stream_windows(const VgStream *s)
{
  return s->next;
}

int64_t vg_stream_deferred_columns(const VgStream *s)
{
  return s->deferred;
}

int vg_stream_deferred_taps(const VgStream *s, int v, VgDeferInfo *info)
{
  const VgDefer *d = s->vs ? s->vs[v].defer : NULL;
  if (!d)
    return 0;
  int64_t floats =
      d->batch * d->split.row_floats + (d->gathered ? d->batch * d->kd * d->split.in_width : 0);
  *info = (VgDeferInfo){d->batch, d->kd, d->split.taps, d->real, floats * (int64_t)sizeof(float)};
  return 1;
}

int64_t vg_stream_pending(const VgStream *s)
{
  const VgHistory *h = &s->vs[s->m->input].hist[0];
  return s->next * s->p->hop + s->p->window - h->hi;
}
