/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_median.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct VgSlidingMedian {
  size_t capacity;
  size_t count;
  size_t head;   /* ring index of the oldest value once full; next write position */
  float *ring;   /* arrival order */
  float *sorted; /* the same values, ascending, in sorted[0 .. count) */
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
    size_t i = lower_bound(s, m->count, old); /* an equal value is as good as the one leaving */
    size_t j = lower_bound(s, m->count, x);
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

/* The `take` smallest of the union of L and R are the first i of L and the first take - i of R
 * for the one i where neither side's next value is smaller than the other's last taken one; it is
 * found by binary search on i. Returns i. */
static size_t split_smallest(const Deviations *d, size_t take)
{
  size_t lo = take > d->nr ? take - d->nr : 0;
  size_t hi = take < d->nl ? take : d->nl;
  while (lo < hi) {
    size_t i = lo + (hi - lo) / 2;                   /* i from L, take - i from R; i < hi <= nl */
    int more = dev_l(d, i) < dev_r(d, take - i - 1); /* take - i >= 1 since i < take */
    lo = more ? i + 1 : lo; /* L's next value belongs among the smallest: take more from L */
    hi = more ? hi : i;
  }
  return lo;
}

/* The k-th smallest (0-based) of the union: the larger of the two last taken values. With next,
 * also the (k+1)-th: the smaller of the two values after them. */
static double kth_deviation(const Deviations *d, size_t k, double *next)
{
  size_t take = k + 1, i = split_smallest(d, take), j = take - i;
  double a = i > 0 ? dev_l(d, i - 1) : -1.0;
  double b = j > 0 ? dev_r(d, j - 1) : -1.0;
  if (next) {
    double na = i < d->nl ? dev_l(d, i) : INFINITY;
    double nb = j < d->nr ? dev_r(d, j) : INFINITY;
    *next = na < nb ? na : nb;
  }
  return a > b ? a : b;
}

double vg_sliding_median_mad(const VgSlidingMedian *m)
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
    return kth_deviation(&d, n / 2, NULL);
  double upper;
  double lower = kth_deviation(&d, n / 2 - 1, &upper);
  return 0.5 * (lower + upper);
}
