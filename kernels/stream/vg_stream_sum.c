/* GlobalAveragePool over time as a running sum. Per class, the sum of the interior stream columns
 * of the current window is updated by adding the columns that enter and subtracting those that
 * leave (in double precision), and recomputed exactly every VG_RESUM_PERIOD windows of the class so
 * that rounding cannot drift. The mean adds the window's edge bands (exact mode) and divides by the
 * window's length at that layer (and F for 2-D values). A NaN or an infinity cannot be subtracted
 * back out (inf - inf is NaN), so when one leaves the window the sum is recomputed from the columns
 * that remain: the output is NaN exactly while a NaN is inside the window, as windowed inference.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "vg_simd.h"
#include "vg_stream_priv.h"

/* acc += sign x columns [a, b). Separate loops per sign so that they vectorise; at full width,
 * because the columns just computed may already have left the cache (the float to double
 * conversions at 16 bytes a step ran 3.5x slower than at 64 then). */
VG_SIMD_CLONES static void add_cols(double *acc, const VgHistory *h, int64_t a, int64_t b,
                                    int subtract)
{
  const float *c = a < b ? vg_history_col(h, a) : NULL; /* [a, b) is contiguous from there */
  for (int64_t j = a; j < b; j++, c += h->width) {
    if (subtract)
      for (int64_t i = 0; i < h->width; i++)
        acc[i] -= (double)c[i];
    else
      for (int64_t i = 0; i < h->width; i++)
        acc[i] += (double)c[i];
  }
}

/* Whether every sum is finite. A NaN or an infinity that entered the window made its sum
 * non-finite (doubles of float terms cannot overflow), and it stays so after it leaves (inf - inf
 * is NaN): one check per hop instead of one per value. */
static int all_finite(const double *acc, int64_t n)
{
  double z = 0;
  for (int64_t i = 0; i < n; i++)
    z += acc[i] - acc[i]; /* 0 for finite values, NaN otherwise */
  return z == 0;
}

/* Before the stream drops columns below `keep`: take them out of the sum. */
void vg_sum_before(VgStream *s, int v, int64_t q, const VgHistory *h, int64_t keep)
{
  VgRunningSum *r = s->vs[v].sum ? &s->vs[v].sum[q] : NULL;
  if (!r || !r->valid)
    return;
  if (keep > r->hi || keep < r->lo) {
    r->valid = 0; /* the stream restarts: re-sum after */
    return;
  }
  add_cols(r->acc, h, r->lo, keep, 1);
  if (!all_finite(r->acc, h->width))
    r->valid = 0; /* a NaN or inf in the window: subtracting cannot restore the sum; re-sum after */
  r->lo = keep;
}

/* After the stream computed columns [old_hi, h->hi): add them, or re-sum everything. */
void vg_sum_after(VgStream *s, int v, int64_t q, const VgHistory *h, int64_t old_hi, int restarted)
{
  VgRunningSum *r = s->vs[v].sum ? &s->vs[v].sum[q] : NULL;
  if (!r)
    return;
  if (restarted || !r->valid || r->hi != old_hi || ++r->updates >= VG_RESUM_PERIOD) {
    memset(r->acc, 0, sizeof(double) * (size_t)h->width);
    add_cols(r->acc, h, h->lo, h->hi, 0);
    r->updates = 0;
    r->valid = 1;
    r->lo = h->lo;
  } else {
    add_cols(r->acc, h, old_hi, h->hi, 0);
  }
  r->hi = h->hi;
}

static void add_band(double *acc, const float *band, int64_t cols, int64_t width)
{
  for (int64_t j = 0; j < cols; j++)
    for (int64_t i = 0; i < width; i++)
      acc[i] += (double)band[j * width + i];
}

/* GlobalAveragePool of value v in window k, into out[C]: the column's floats are [c][f]. */
void vg_sum_global_avg(const VgStream *s, int v, int64_t k, float *out)
{
  const VgPlanValue *x = &s->p->values[v];
  const VgValueState *st = &s->vs[v];
  const VgShape *shape = &s->p->shapes[v];
  int64_t channels = shape->dims[1], inner = x->width / channels;
  double *acc = s->sum_scratch;
  memset(acc, 0, sizeof(double) * (size_t)x->width);
  if (x->band_left < x->len) {
    const VgRunningSum *r = &st->sum[k % x->classes];
    memcpy(acc, r->acc, sizeof(double) * (size_t)x->width);
  }
  add_band(acc, st->band_l, x->band_left, x->width);
  add_band(acc, st->band_r, x->band_right, x->width);
  double n = (double)(x->len * inner);
  for (int64_t c = 0; c < channels; c++) {
    double t = 0;
    for (int64_t f = 0; f < inner; f++)
      t += acc[c * inner + f];
    out[c] = (float)(t / n);
  }
}
