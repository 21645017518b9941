/* Deferred taps of one-column conv hops (see vg_defer.h for the idea and why it is exact).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "vg_stream_priv.h"

/* kd for batch B: the taps whose inputs, for each of the B windows' new columns, are stored when
 * the first window runs (see vg_defer_choose). */
static int64_t deferred_taps(const VgConvSplit *sp, int64_t reach, int64_t in_classes,
                             int64_t in_step, int64_t batch)
{
  int64_t behind = (batch - 1 + in_classes - 1) / in_classes * in_step; /* ceil((B-1)/Q) steps */
  int64_t span = reach - behind; /* stored past tap 0 of the batch's last window */
  if (span < 0)
    return 0;
  int64_t kd = span / sp->dilation + 1;
  return kd < sp->taps ? kd : sp->taps;
}

int vg_defer_choose(const VgConvSplit *split, int64_t reach, int64_t in_classes, int64_t in_step,
                    int64_t *batch, int64_t *kd)
{
  /* the taps a due column reads inside the signal (the kernels skip those that read padding) */
  int64_t real = deferred_taps(split, reach, in_classes, in_step, 1);
  double best = VG_DEFER_MIN_GAIN * (double)real;
  int found = 0;
  int64_t most = split->max_rows < VG_DEFER_MAX_BATCH ? split->max_rows : VG_DEFER_MAX_BATCH;
  for (int64_t b = 2; b <= most; b++) {
    int64_t k = deferred_taps(split, reach, in_classes, in_step, b);
    if (k > real - 1)
      k = real - 1; /* each hop keeps a tap: it adds the row to something and applies the Relu */
    double per_column = (double)(real - k) + (double)k / (double)b; /* taps' weights */
    if (k >= 1 && per_column < best) {
      best = per_column;
      *batch = b;
      *kd = k;
      found = 1;
    }
  }
  return found;
}

VgDefer *vg_defer_new(const VgModel *m, const VgNode *node, const VgShape *shapes,
                      const VgDeferGeom *geom, int *failed, VgError *err)
{
  const char *env = getenv("VIGIL_DEFER");
  VgConvSplit sp;
  int64_t batch, kd;
  *failed = 0;
  if ((env && strcmp(env, "off") == 0) || !vg_ops_conv_split(m, node, shapes, &sp))
    return NULL;
  /* A window shorter than the padding: the new column's first taps read the padding before the
   * window's start, so no pass could run (the deferred taps are the first ones). */
  int64_t tap0 = geom->j * sp.stride - sp.pad;
  if (tap0 < geom->in_lo ||
      !vg_defer_choose(&sp, geom->in_hi - 1 - tap0, geom->in_classes, geom->in_step, &batch, &kd))
    return NULL;
  if (sp.weight_bytes < VG_DEFER_MIN_WEIGHT_BYTES && !(env && strcmp(env, "always") == 0))
    return NULL;
  VgDefer *d = calloc(1, sizeof(*d));
  if (d) {
    int64_t real = deferred_taps(&sp, geom->in_hi - 1 - tap0, geom->in_classes, geom->in_step, 1);
    *d = (VgDefer){.split = sp, .batch = batch, .kd = kd, .real = real, .geom = *geom};
    d->rows = calloc((size_t)(batch * sp.row_floats), sizeof(float));
    if (geom->in_classes > 1) /* with one class the pass reads the stream in place */
      d->gathered = calloc((size_t)(batch * kd * sp.in_width), sizeof(float));
    if (d->rows && (geom->in_classes == 1 || d->gathered))
      return d;
  }
  vg_defer_free(d);
  *failed = 1;
  vg_error_set(err, "out of memory allocating deferred-tap rows of node '%s'", node->name);
  return NULL;
}

void vg_defer_free(VgDefer *d)
{
  if (!d)
    return;
  free(d->rows);
  free(d->gathered);
  free(d);
}

/* Whether view x stores taps [0, kd) of window column j's inputs inside the signal, for the
 * column and the `later` columns of step columns each after it; *a: where its tap 0 is. */
static int stored(const VgDefer *d, const VgSeq *x, int64_t j, int64_t later, const float **a)
{
  const VgConvSplit *sp = &d->split;
  int64_t lo = x->lo > x->first ? x->lo : x->first;
  int64_t hi = x->hi < x->first + x->count ? x->hi : x->first + x->count;
  int64_t first = j * sp->stride - sp->pad;
  int64_t last = first + later * d->geom.in_step + (d->kd - 1) * sp->dilation;
  if (first < lo || last >= hi)
    return 0;
  *a = x->data + (first - x->first) * x->width;
  return 1;
}

/* One input class: window k + b's new column reads window k's inputs in_step * b columns on, so
 * the B rows are one strided block of window k's view, read in place. */
static int pass_in_place(VgStream *s, VgDefer *d, const VgNode *node, int64_t k, int64_t j)
{
  VgSeq x;
  const float *a;
  vg_stream_view(s, node->inputs[0], k, &x);
  if (!stored(d, &x, j, d->batch - 1, &a))
    return 0;
  int64_t ci = d->split.in_width;
  return vg_ops_conv_taps_rows(s->m, node, s->p->shapes, a, d->geom.in_step * ci,
                               d->split.dilation * ci, (int)d->batch, 0, d->kd, d->rows,
                               d->split.row_floats) == VG_OK
             ? 1
             : VG_ERR;
}

/* Several input classes: each window's inputs through its own view, gathered into rows. */
static int pass_gathered(VgStream *s, VgDefer *d, const VgNode *node, int64_t k, int64_t j)
{
  int64_t ci = d->split.in_width, row = d->kd * ci;
  for (int64_t b = 0; b < d->batch; b++) {
    VgSeq x;
    const float *a;
    vg_stream_view(s, node->inputs[0], k + b, &x);
    if (!stored(d, &x, j, 0, &a))
      return 0;
    for (int64_t t = 0; t < d->kd; t++)
      memcpy(d->gathered + b * row + t * ci, a + t * d->split.dilation * ci,
             (size_t)ci * sizeof(float));
  }
  return vg_ops_conv_taps_rows(s->m, node, s->p->shapes, d->gathered, row, ci, (int)d->batch, 0,
                               d->kd, d->rows, d->split.row_floats) == VG_OK
             ? 1
             : VG_ERR;
}

/* A pass at window k: taps [0, kd) of the new columns of windows k .. k + B - 1 into the partial
 * rows; 0 if some input is missing. */
static int pass(VgStream *s, VgDefer *d, const VgNode *node, int64_t k, int64_t j)
{
  return d->geom.in_classes == 1 ? pass_in_place(s, d, node, k, j)
                                 : pass_gathered(s, d, node, k, j);
}

int vg_defer_column(VgStream *s, const VgNode *node, int64_t k, const VgSeq *const *in, VgSeq *out,
                    int64_t j)
{
  VgDefer *d = s->vs[node->output].defer;
  if (!(d->count > 0 && k >= d->first && k < d->first + d->count)) {
    int rc = pass(s, d, node, k, j);
    if (rc == VG_ERR)
      return VG_ERR;
    d->count = rc ? d->batch : 0;
    d->first = k;
    if (!rc)
      return vg_ops_forward_time(s->m, node, s->p->shapes, in, out, j, j + 1, s->scratch) == VG_OK
                 ? 0
                 : VG_ERR;
  }
  const float *start = d->rows + (k - d->first) * d->split.row_floats;
  return vg_ops_conv_taps(s->m, node, s->p->shapes, in[0], out, j, j + 1, d->kd, d->split.taps,
                          start, 1, s->scratch) == VG_OK
             ? 1
             : VG_ERR;
}
