/* Deferred taps of one-column conv hops (see vg_defer.h for the idea and why it is exact).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "vg_defer.h"

/* kd for batch B: the taps whose inputs, for each of the B columns, are stored when the first of
 * them is due. reach: the input columns stored beyond tap 0 of that first column. */
static int64_t deferred_taps(const VgConvSplit *sp, int64_t reach, int64_t batch)
{
  int64_t span = reach - (batch - 1) * sp->stride; /* from tap 0 of the batch's last column */
  if (span < 0)
    return 0;
  int64_t kd = span / sp->dilation + 1;
  return kd < sp->taps ? kd : sp->taps;
}

int vg_defer_choose(const VgConvSplit *split, int64_t reach, int64_t *batch, int64_t *kd)
{
  /* the taps a due column reads inside the signal (the kernels skip those that read padding) */
  int64_t real = deferred_taps(split, reach, 1);
  double best = VG_DEFER_MIN_GAIN * (double)real;
  int found = 0;
  for (int64_t b = 2; b <= VG_DEFER_MAX_BATCH; b++) {
    int64_t k = deferred_taps(split, reach, b);
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

VgDefer *vg_defer_new(const VgModel *m, const VgNode *node, const VgShape *shapes, int64_t classes,
                      int64_t j, int64_t in_hi, int *failed, VgError *err)
{
  const char *env = getenv("VIGIL_DEFER");
  VgConvSplit split;
  int64_t batch, kd;
  *failed = 0;
  if ((env && strcmp(env, "off") == 0) || !vg_ops_conv_split(m, node, shapes, &split) ||
      !vg_defer_choose(&split, in_hi - 1 - (j * split.stride - split.pad), &batch, &kd))
    return NULL;
  if (split.weight_bytes < VG_DEFER_MIN_WEIGHT_BYTES && !(env && strcmp(env, "always") == 0))
    return NULL;
  VgDefer *d = calloc(1, sizeof(*d));
  if (d && (d->cls = calloc((size_t)classes, sizeof(*d->cls)))) {
    d->split = split;
    d->batch = batch;
    d->kd = kd;
    d->classes = classes;
    int64_t q = 0;
    for (; q < classes; q++)
      if (!(d->cls[q].rows = calloc((size_t)(batch * split.row_floats), sizeof(float))))
        break;
    if (q == classes)
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
  if (d->cls)
    for (int64_t q = 0; q < d->classes; q++)
      free(d->cls[q].rows);
  free(d->cls);
  free(d);
}

void vg_defer_drop(VgDefer *d)
{
  for (int64_t q = 0; q < d->classes; q++)
    d->cls[q].count = 0;
}

/* Input columns [lo, hi) of x that are stored and inside the signal. */
static void readable(const VgSeq *x, int64_t *lo, int64_t *hi)
{
  *lo = x->lo > x->first ? x->lo : x->first;
  *hi = x->hi < x->first + x->count ? x->hi : x->first + x->count;
}

/* A pass over taps [0, kd) of window columns j .. j + B - 1 into the class's partial rows, if
 * every input it reads is stored and inside the signal. */
static int pass(VgDefer *d, const VgModel *m, const VgNode *node, const VgShape *shapes,
                VgDeferClass *c, const VgSeq *x, int64_t j, float *scratch)
{
  const VgConvSplit *sp = &d->split;
  int64_t lo, hi;
  readable(x, &lo, &hi);
  int64_t first = j * sp->stride - sp->pad;
  int64_t last = (j + d->batch - 1) * sp->stride - sp->pad + (d->kd - 1) * sp->dilation;
  if (first < lo || last >= hi)
    return 0;
  VgSeq rows = {c->rows, j, d->batch, -INT64_MAX / 4, INT64_MAX / 4, sp->row_floats};
  return vg_ops_conv_taps(m, node, shapes, x, &rows, j, j + d->batch, 0, d->kd, NULL, 0, scratch) ==
                 VG_OK
             ? 1
             : VG_ERR;
}

int vg_defer_column(VgDefer *d, const VgModel *m, const VgNode *node, const VgShape *shapes,
                    int64_t q, int64_t col, const VgSeq *const *in, VgSeq *out, int64_t j,
                    float *scratch)
{
  const VgSeq *x = in[0];
  VgDeferClass *c = &d->cls[q];
  const VgConvSplit *sp = &d->split;
  int pending = c->count > 0 && col >= c->first && col < c->first + c->count;
  if (!pending) {
    int rc = pass(d, m, node, shapes, c, x, j, scratch);
    if (rc == VG_ERR)
      return VG_ERR;
    c->count = rc ? d->batch : 0;
    c->first = col;
    if (!rc)
      return vg_ops_forward_time(m, node, shapes, in, out, j, j + 1, scratch) == VG_OK ? 0 : VG_ERR;
  }
  const float *start = c->rows + (col - c->first) * sp->row_floats;
  if (vg_ops_conv_taps(m, node, shapes, x, out, j, j + 1, d->kd, sp->taps, start, 1, scratch) !=
      VG_OK)
    return VG_ERR;
  return 1;
}
