/* GlobalAveragePool over time as a running sum. Per class, the sum of the interior stream columns
 * of the current window is updated by adding the columns that enter and subtracting those that
 * leave (in double precision). The mean adds the window's edge bands (exact mode) and divides by
 * the window's length at that layer (and F for 2-D values).
 *
 * Rounding. Each update rounds with an error of at most 2^-53 times the sum of magnitudes |x| in
 * the window at that time, so after n updates since an exact re-sum the error is at most
 * n 2^-53 P, P the peak of that sum of magnitudes. The sums are re-summed exactly from the stored
 * columns every VG_RESUM_PERIOD windows of the class (n stays small) and as soon as a sum of
 * magnitudes falls VG_RESUM_CANCEL-fold below its peak (a large value, 1e30 say, has left the
 * window: subtracting it back out left an error of its size times 2^-53). Between re-sums the error
 * thus stays below about 2^11 2^-53 2^12 = 2^-30 of the current sum of magnitudes, far below the
 * float rounding of windowed inference itself.
 *
 * A NaN or an infinity cannot be subtracted back out (inf - inf is NaN), so when one leaves the
 * window the sum is recomputed from the columns that remain: the output is NaN exactly while a NaN
 * is inside the window, as windowed inference.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vg_simd.h"
#include "vg_stream_priv.h"

/* Eight doubles, eight floats (GCC vector extensions: 1 zmm or 2 ymm a register). */
typedef double V8d __attribute__((vector_size(64)));
typedef float V8f __attribute__((vector_size(32)));
typedef int64_t V8i __attribute__((vector_size(64)));

/* Channels per block of add_cols: 4 + 4 vectors of 8 doubles, kept in registers. */
#define SUM_VECS  4
#define SUM_BLOCK (8 * SUM_VECS)

/* acc += sign x columns [a, b), and their magnitudes into acc[width ..). Block by block of
 * channels, the columns are summed in registers and added to acc once, instead of reading and
 * writing acc per column (accelerometer-like model, signal: H 160 112.1 -> 109.5 us a hop, H 15
 * 18.9 -> 18.7). The columns' own sum first, then the running one: no more rounding than adding
 * them one by one. What remains is mostly reading the leaving columns, long out of L1 (skipping
 * that, wrongly, saved 0.6 us at H 15). */
VG_SIMD_CLONES static void add_cols(double *acc, const VgHistory *h, int64_t a, int64_t b,
                                    int subtract)
{
  if (a >= b)
    return;
  const float *c0 = vg_history_col(h, a); /* [a, b) is contiguous from there */
  int64_t w = h->width, i0 = 0;
  double sign = subtract ? -1.0 : 1.0, *mag = acc + w;
  for (; i0 + SUM_BLOCK <= w; i0 += SUM_BLOCK) {
    V8d sum[SUM_VECS] = {{0}}, abs_sum[SUM_VECS] = {{0}}, magnitude;
    const float *c = c0 + i0;
    for (int64_t j = a; j < b; j++, c += w)
#pragma GCC unroll 4
      for (int v = 0; v < SUM_VECS; v++) {
        V8f f; /* no helper functions: a vector return value warns of an ABI change */
        memcpy(&f, c + 8 * v, sizeof f);
        V8d x = __builtin_convertvector(f, V8d);
        V8i bits;
        memcpy(&bits, &x, sizeof bits);
        bits &= INT64_MAX; /* |x|: the sign bits cleared */
        memcpy(&magnitude, &bits, sizeof magnitude);
        sum[v] += x;
        abs_sum[v] += magnitude;
      }
    for (int v = 0; v < SUM_VECS; v++)
      for (int i = 0; i < 8; i++) {
        acc[i0 + 8 * v + i] += sign * sum[v][i];
        mag[i0 + 8 * v + i] += sign * abs_sum[v][i];
      }
  }
  for (int64_t i = i0; i < w; i++) {
    double sum = 0.0, abs_sum = 0.0;
    for (int64_t j = 0; j < b - a; j++) {
      sum += (double)c0[j * w + i];
      abs_sum += fabs((double)c0[j * w + i]);
    }
    acc[i] += sign * sum;
    mag[i] += sign * abs_sum;
  }
}

/* Raises the peaks of the sums of magnitudes; whether one has fallen VG_RESUM_CANCEL-fold below
 * its peak (false for NaN, which all_finite catches). */
static int cancelled(double *acc, int64_t width)
{
  const double *mag = acc + width;
  double *peak = acc + 2 * width;
  int fell = 0;
  for (int64_t i = 0; i < width; i++) {
    peak[i] = mag[i] > peak[i] ? mag[i] : peak[i];
    fell |= peak[i] > VG_RESUM_CANCEL * mag[i];
  }
  return fell;
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
  int resum = restarted || !r->valid || r->hi != old_hi || ++r->updates >= VG_RESUM_PERIOD;
  if (!resum) {
    add_cols(r->acc, h, old_hi, h->hi, 0);
    resum = cancelled(r->acc, h->width);
  }
  if (resum) {
    memset(r->acc, 0, sizeof(double) * (size_t)(2 * h->width));
    add_cols(r->acc, h, h->lo, h->hi, 0);
    memcpy(r->acc + 2 * h->width, r->acc + h->width, sizeof(double) * (size_t)h->width);
    r->updates = 0;
    r->valid = 1;
    r->lo = h->lo;
  }
  r->hi = h->hi;
}

static void add_band(double *acc, const float *band, int64_t cols, int64_t width)
{
  for (int64_t j = 0; j < cols; j++)
    for (int64_t i = 0; i < width; i++)
      acc[i] += (double)band[j * width + i];
}

/* GlobalAveragePool of value v in window k, into out[C]: the column's floats are [c][f]. With
 * `sum` (ReduceSum over time) the sum itself. */
void vg_sum_global_avg(const VgStream *s, int v, int64_t k, int sum, float *out)
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
    out[c] = (float)(sum ? t : t / n);
  }
}
