/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_likelihood.h"

#include <math.h>

void vg_likelihood_init(VgLikelihood *l, double *recent, size_t s, double *history, size_t w)
{
  l->recent = recent;
  l->s = s;
  l->history = w ? history : NULL;
  l->w = w;
  vg_likelihood_reset(l);
}

void vg_likelihood_restart(VgLikelihood *l)
{
  l->s_count = 0;
  l->s_head = 0;
  l->s_sum = 0.0;
}

void vg_likelihood_reset(VgLikelihood *l)
{
  vg_likelihood_restart(l);
  l->w_head = 0;
  vg_welford_reset(&l->dist);
}

double vg_sd_floor(double centre)
{
  return 1e-6 * fabs(centre) + 1e-12;
}

double vg_likelihood_of_z(double z)
{
  return 1.0 - 0.5 * erfc(fabs(z) / M_SQRT2);
}

double vg_likelihood_push(VgLikelihood *l, double x, int learn)
{
  /* Short-term mean over a ring: the running sum drops the leaving value. */
  if (l->s_count == l->s)
    l->s_sum -= l->recent[l->s_head];
  else
    l->s_count++;
  l->recent[l->s_head] = x;
  l->s_head = l->s_head + 1 == l->s ? 0 : l->s_head + 1;
  l->s_sum += x;
  double avg = l->s_sum / (double)l->s_count;

  double z = 0.0;
  if (l->dist.n >= 2) { /* a deviation needs two values */
    double sd = sqrt(vg_welford_var(&l->dist));
    double floor_sd = vg_sd_floor(l->dist.mean);
    z = (avg - l->dist.mean) / (sd > floor_sd ? sd : floor_sd);
  }
  if (learn) {
    if (l->history) {
      if (l->dist.n == l->w)
        vg_welford_remove(&l->dist, l->history[l->w_head]);
      l->history[l->w_head] = avg;
      l->w_head = l->w_head + 1 == l->w ? 0 : l->w_head + 1;
    }
    vg_welford_add(&l->dist, avg);
  }
  return vg_likelihood_of_z(z);
}
