/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_median.h"

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

/* First index in s[0 .. n) whose value is >= x. */
static size_t lower_bound(const float *s, size_t n, float x)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
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

/* The k-th smallest (0-based) of the union of L and R. Take i values from L and k + 1 - i from R:
 * the right i is the one where neither side's next value is smaller than the other's last taken
 * one; it is found by binary search on i, and the answer is the larger of the two last taken. */
static double kth_deviation(const Deviations *d, size_t k)
{
  size_t take = k + 1;
  size_t lo = take > d->nr ? take - d->nr : 0;
  size_t hi = take < d->nl ? take : d->nl;
  while (lo < hi) {
    size_t i = lo + (hi - lo) / 2; /* i from L, take - i from R; i < hi <= nl */
    size_t j = take - i;           /* j >= 1 since i < take */
    if (dev_l(d, i) < dev_r(d, j - 1))
      lo = i + 1; /* L's next value belongs in the smallest `take`: take more from L */
    else
      hi = i;
  }
  size_t i = lo, j = take - lo;
  double a = i > 0 ? dev_l(d, i - 1) : -1.0;
  double b = j > 0 ? dev_r(d, j - 1) : -1.0;
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
    return kth_deviation(&d, n / 2);
  return 0.5 * (kth_deviation(&d, n / 2 - 1) + kth_deviation(&d, n / 2));
}
