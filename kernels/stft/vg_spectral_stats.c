/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_spectral_stats.h"

#include <stdlib.h>
#include <string.h>

/* Sums in double: an interval can hold thousands of frames. */
struct VgFrameMean {
  size_t values, count;
  double *sum;
};

VgFrameMean *vg_frame_mean_create(size_t values, VgError *err)
{
  VgFrameMean *m = calloc(1, sizeof *m);
  if (m)
    m->sum = calloc(values ? values : 1, sizeof *m->sum);
  if (!m || !m->sum) {
    vg_frame_mean_destroy(m);
    vg_error_set(err, "out of memory for a frame mean of %zu values", values);
    return NULL;
  }
  m->values = values;
  return m;
}

void vg_frame_mean_destroy(VgFrameMean *m)
{
  if (m)
    free(m->sum);
  free(m);
}

void vg_frame_mean_reset(VgFrameMean *m)
{
  memset(m->sum, 0, m->values * sizeof *m->sum);
  m->count = 0;
}

void vg_frame_mean_add(VgFrameMean *m, const float *frame)
{
  for (size_t i = 0; i < m->values; i++)
    m->sum[i] += frame[i];
  m->count++;
}

size_t vg_frame_mean_count(const VgFrameMean *m)
{
  return m->count;
}

void vg_frame_mean_get(const VgFrameMean *m, double *out)
{
  for (size_t i = 0; i < m->values; i++)
    out[i] = m->count ? m->sum[i] / m->count : 0.0;
}

struct VgPeriods {
  unsigned n_fft;
  VgFrameMean *mean;
  double *avg;
};

VgPeriods *vg_periods_create(unsigned n_fft, VgError *err)
{
  if (n_fft < 2) {
    vg_error_set(err, "dominant periods need n-fft >= 2");
    return NULL;
  }
  VgPeriods *p = calloc(1, sizeof *p);
  if (!p) {
    vg_error_set(err, "out of memory for the period tracker");
    return NULL;
  }
  p->n_fft = n_fft;
  p->mean = vg_frame_mean_create(n_fft / 2 + 1, err);
  p->avg = malloc((n_fft / 2 + 1) * sizeof *p->avg);
  if (!p->mean || !p->avg) {
    vg_periods_destroy(p);
    vg_error_set(err, "out of memory for the period tracker");
    return NULL;
  }
  return p;
}

void vg_periods_destroy(VgPeriods *p)
{
  if (!p)
    return;
  vg_frame_mean_destroy(p->mean);
  free(p->avg);
  free(p);
}

void vg_periods_reset(VgPeriods *p)
{
  vg_frame_mean_reset(p->mean);
}

void vg_periods_add(VgPeriods *p, const float *amplitude)
{
  vg_frame_mean_add(p->mean, amplitude);
}

size_t vg_periods_count(const VgPeriods *p)
{
  return vg_frame_mean_count(p->mean);
}

/* A bin is a candidate when it is a local maximum of the mean amplitude: a sine between two bins
 * leaks into its neighbours, and those neighbours must not crowd out a weaker, genuine period. */
static int is_peak(const double *a, unsigned b, unsigned last)
{
  return (b == 1 || a[b] > a[b - 1]) && (b == last || a[b] >= a[b + 1]);
}

unsigned vg_periods_top(const VgPeriods *p, unsigned k, VgPeriod *out)
{
  const unsigned last = p->n_fft / 2; /* highest bin; bin 0 (DC) has no period */
  if (vg_periods_count(p) == 0)
    return 0;
  vg_frame_mean_get(p->mean, p->avg);
  /* Partial selection: k is small (a handful of periods), so k passes over the bins are cheaper
   * than sorting them. Each pass takes the largest peak below the previous pick (ties: lower bin).
   */
  unsigned n = 0;
  while (n < k) {
    unsigned best = 0;
    for (unsigned b = 1; b <= last; b++) {
      if (!is_peak(p->avg, b, last) || (best && p->avg[b] <= p->avg[best]))
        continue;
      int taken = 0;
      for (unsigned i = 0; i < n && !taken; i++)
        taken = out[i].bin == b;
      if (!taken)
        best = b;
    }
    if (best == 0)
      break; /* fewer peaks than k */
    out[n].bin = best;
    out[n].period = (double)p->n_fft / best;
    out[n].amplitude = p->avg[best];
    n++;
  }
  return n;
}
