/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_moments.h"

void vg_welford_reset(VgWelford *w)
{
  w->n = 0;
  w->mean = 0.0;
  w->m2 = 0.0;
}

void vg_welford_add(VgWelford *w, double x)
{
  w->n++;
  double d = x - w->mean;
  w->mean += d / (double)w->n;
  w->m2 += d * (x - w->mean);
}

/* The inverse of add: with n values of mean m, removing x leaves n - 1 values of mean
 * m' = m - (x - m) / (n - 1), and M2' = M2 - (x - m')(x - m). */
void vg_welford_remove(VgWelford *w, double x)
{
  if (w->n <= 1) {
    vg_welford_reset(w);
    return;
  }
  w->n--;
  double d = x - w->mean;
  w->mean -= d / (double)w->n;
  w->m2 -= d * (x - w->mean);
  if (w->m2 < 0.0) /* rounding can leave a tiny negative sum */
    w->m2 = 0.0;
}

double vg_welford_var(const VgWelford *w)
{
  return w->n > 1 ? w->m2 / (double)w->n : 0.0;
}

void vg_ewma_init(VgEwma *e, double alpha)
{
  e->alpha = alpha;
  vg_ewma_reset(e);
}

void vg_ewma_reset(VgEwma *e)
{
  e->n = 0;
  e->mean = 0.0;
  e->var = 0.0;
}

/* Adding a value of weight alpha to a population of weight 1 - alpha (mean m, variance v) gives
 * mean m + alpha d and variance (1 - alpha)(v + alpha d^2), d = x - m: the pooled-variance rule for
 * two groups, so the recursion equals the weighted sums in the header exactly. */
void vg_ewma_add(VgEwma *e, double x)
{
  if (e->n++ == 0) {
    e->mean = x;
    e->var = 0.0;
    return;
  }
  double d = x - e->mean;
  double incr = e->alpha * d;
  e->mean += incr;
  e->var = (1.0 - e->alpha) * (e->var + d * incr);
}
