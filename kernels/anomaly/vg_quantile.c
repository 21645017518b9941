/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_quantile.h"

#include <math.h>

static void swap(float *a, float *b)
{
  float t = *a;
  *a = *b;
  *b = t;
}

/* Hoare-style quickselect with a median-of-three pivot: each pass partitions [lo, hi] around the
 * pivot and keeps only the side that holds index k. */
float vg_select(float *v, size_t n, size_t k)
{
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid] < v[lo])
      swap(&v[mid], &v[lo]);
    if (v[hi] < v[lo])
      swap(&v[hi], &v[lo]);
    if (v[hi] < v[mid])
      swap(&v[hi], &v[mid]);
    float pivot = v[mid];
    size_t i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot)
        i++;
      while (pivot < v[j])
        j--;
      if (i <= j) {
        swap(&v[i], &v[j]);
        i++;
        if (j == 0)
          break;
        j--;
      }
    }
    /* Now v[lo .. j] <= pivot <= v[i .. hi], and values between j and i equal the pivot. */
    if (k <= j && j != (size_t)-1)
      hi = j;
    else if (k >= i)
      lo = i;
    else
      break;
  }
  return v[k];
}

double vg_quantile(float *values, size_t n, double q)
{
  double h = (double)(n - 1) * q;
  size_t k = (size_t)floor(h);
  if (k >= n - 1)
    return vg_select(values, n, n - 1);
  double lo = vg_select(values, n, k);
  /* After selection every value past k is >= values[k]: the next order statistic is their min. */
  float hi = values[k + 1];
  for (size_t i = k + 2; i < n; i++)
    if (values[i] < hi)
      hi = values[i];
  return lo + (h - (double)k) * ((double)hi - lo);
}
