/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_median.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct VgSlidingMedian {
  size_t capacity;
  size_t count;
  size_t head;       /* ring index of the oldest value once full; next write position */
  float *ring;       /* arrival order */
  float *sorted;     /* the same values, ascending, in sorted[0 .. count) */
  size_t split_hint; /* the last MAD search's split, where the next one starts */
};

VgSlidingMedian *vg_sliding_median_create(size_t capacity, VgError *err)
{
  size_t bytes;
  if (capacity == 0) {
    vg_error_set(err, "sliding median: the window must hold at least 1 value");
    return NULL;
  }
  if (!vg_size_mul(capacity, sizeof(float), &bytes)) {
    vg_error_set(err, "sliding median: a window of %zu values is too large", capacity);
    return NULL;
  }
  VgSlidingMedian *m = calloc(1, sizeof *m);
  if (m) {
    m->ring = malloc(bytes);
    m->sorted = malloc(bytes);
  }
  if (!m || !m->ring || !m->sorted) {
    vg_sliding_median_destroy(m);
    vg_error_set(err, "sliding median: out of memory for a window of %zu values", capacity);
    return NULL;
  }
  m->capacity = capacity;
  return m;
}

void vg_sliding_median_destroy(VgSlidingMedian *m)
{
  if (!m)
    return;
  free(m->ring);
  free(m->sorted);
  free(m);
}

void vg_sliding_median_reset(VgSlidingMedian *m)
{
  m->count = 0;
  m->head = 0;
  m->split_hint = 0;
}

size_t vg_sliding_median_count(const VgSlidingMedian *m)
{
  return m->count;
}

/* First index in s[0 .. n) whose value is >= x. Branch-free halving (the compare becomes a
 * conditional move): the searches run every frame on unpredictable data, where mispredicted
 * branches would cost more than the comparisons. */
static size_t lower_bound(const float *s, size_t n, float x)
{
  if (n == 0)
    return 0;
  const float *base = s;
  while (n > 1) {
    size_t half = n / 2;
    base = base[half] < x ? base + half : base;
    n -= half;
  }
  return (size_t)(base - s) + (*base < x);
}

/* lower_bound of a and of b in one loop: the two searches are independent chains of dependent
 * loads, and interleaving them lets the processor run both at once (a window update is bound by
 * the latency of these chains, not by the comparisons). */
static void lower_bound2(const float *s, size_t n, float a, float b, size_t *ia, size_t *ib)
{
  const float *pa = s, *pb = s;
  while (n > 1) {
    size_t half = n / 2;
    pa = pa[half] < a ? pa + half : pa;
    pb = pb[half] < b ? pb + half : pb;
    n -= half;
  }
  *ia = (size_t)(pa - s) + (*pa < a);
  *ib = (size_t)(pb - s) + (*pb < b);
}

void vg_sliding_median_push(VgSlidingMedian *m, float x)
{
  float *s = m->sorted;
  if (m->count < m->capacity) {
    size_t j = lower_bound(s, m->count, x);
    memmove(s + j + 1, s + j, (m->count - j) * sizeof *s);
    s[j] = x;
    m->count++;
  } else {
    /* Replace the leaving value in place: shift the values between its slot and the new value's
     * slot by one, towards the hole. */
    float old = m->ring[m->head];
    size_t i, j; /* an equal value is as good as the one leaving */
    lower_bound2(s, m->count, old, x, &i, &j);
    if (j > i) {
      j--; /* x goes after the values that move down */
      memmove(s + i, s + i + 1, (j - i) * sizeof *s);
    } else {
      memmove(s + j + 1, s + j, (i - j) * sizeof *s);
    }
    s[j] = x;
  }
  m->ring[m->head] = x;
  m->head = m->head + 1 == m->capacity ? 0 : m->head + 1;
}

double vg_sliding_median_median(const VgSlidingMedian *m)
{
  size_t n = m->count;
  if (n == 0)
    return 0.0;
  if (n % 2)
    return m->sorted[n / 2];
  return 0.5 * ((double)m->sorted[n / 2 - 1] + (double)m->sorted[n / 2]);
}

/* Deviations as two ascending sequences: L_i = med - s[lo - i] for i in [0, lo], taken from the
 * middle leftwards, and R_j = s[hi + j] - med for j in [0, n - hi). */
typedef struct {
  const float *s;
  double med;
  size_t nl, nr; /* lengths of L and R */
  size_t lo, hi;
} Deviations;

static double dev_l(const Deviations *d, size_t i)
{
  return d->med - (double)d->s[d->lo - i];
}

static double dev_r(const Deviations *d, size_t j)
{
  return (double)d->s[d->hi + j] - d->med;
}

/* "L's next value belongs among the `take` smallest: take more than i from L". True for small i,
 * false from the split on. */
static int more_from_l(const Deviations *d, size_t take, size_t i)
{
  return dev_l(d, i) < dev_r(d, take - i - 1);
}

/* The `take` smallest of the union of L and R are the first i of L and the first take - i of R
 * for the first i in [lo, hi] where more_from_l is false (i = hi if none). Galloping from `hint`,
 * the previous frame's split (which a one-value window update moves by a slot or two), brackets
 * it in O(1) probes on slowly changing data, then binary search finishes; O(log W) at worst. */
static size_t split_smallest(const Deviations *d, size_t take, size_t hint)
{
  size_t lo = take > d->nr ? take - d->nr : 0;
  size_t hi = take < d->nl ? take : d->nl;
  size_t h = hint < lo ? lo : hint > hi ? hi : hint;
  size_t step = 1;
  if (h < hi && more_from_l(d, take, h)) { /* the split is above h */
    lo = h + 1;
    while (lo + step - 1 < hi && more_from_l(d, take, lo + step - 1)) {
      lo += step;
      step *= 2;
    }
    if (lo + step - 1 < hi)
      hi = lo + step - 1;
  } else { /* the split is at or below h */
    hi = h;
    while (hi > lo) {
      size_t probe = hi - lo > step ? hi - step : lo;
      if (more_from_l(d, take, probe)) {
        lo = probe + 1;
        break;
      }
      hi = probe;
      step *= 2;
    }
  }
  while (lo < hi) { /* i < hi <= nl, take - i >= 1 */
    size_t i = lo + (hi - lo) / 2;
    int more = more_from_l(d, take, i);
    lo = more ? i + 1 : lo;
    hi = more ? hi : i;
  }
  return lo;
}

/* The k-th smallest (0-based) of the union: the larger of the two last taken values. With next,
 * also the (k+1)-th: the smaller of the two values after them. */
static double kth_deviation(const Deviations *d, size_t k, size_t *hint, double *next)
{
  size_t take = k + 1, i = split_smallest(d, take, *hint), j = take - i;
  *hint = i;
  double a = i > 0 ? dev_l(d, i - 1) : -1.0;
  double b = j > 0 ? dev_r(d, j - 1) : -1.0;
  if (next) {
    double na = i < d->nl ? dev_l(d, i) : INFINITY;
    double nb = j < d->nr ? dev_r(d, j) : INFINITY;
    *next = na < nb ? na : nb;
  }
  return a > b ? a : b;
}

double vg_sliding_median_mad(VgSlidingMedian *m)
{
  size_t n = m->count;
  if (n < 2)
    return 0.0;
  Deviations d = {.s = m->sorted, .med = vg_sliding_median_median(m)};
  /* L starts at the last index left of (or at) the median, R at the first index after it. */
  d.lo = (n - 1) / 2;
  d.hi = d.lo + 1;
  d.nl = d.lo + 1;
  d.nr = n - d.hi;
  if (n % 2)
    return kth_deviation(&d, n / 2, &m->split_hint, NULL);
  double upper;
  double lower = kth_deviation(&d, n / 2 - 1, &m->split_hint, &upper);
  return 0.5 * (lower + upper);
}
