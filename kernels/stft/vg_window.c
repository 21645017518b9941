/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_window.h"

#include <math.h>

/* Generalised cosine window sum_j (-1)^j a_j cos(j x); scipy builds these windows the same way. */
static double cosine_sum(const double *a, unsigned terms, double x)
{
  double v = 0.0;
  for (unsigned j = 0; j < terms; j++)
    v += (j % 2 ? -a[j] : a[j]) * cos(j * x);
  return v;
}

int vg_window_fill(VgWindowType type, unsigned n, float *w, VgError *err)
{
  static const double hann[] = {0.5, 0.5}, hamming[] = {0.54, 0.46}, blackman[] = {0.42, 0.5, 0.08};
  const double *a;
  unsigned terms;
  switch (type) {
  case VG_WINDOW_HANN:
    a = hann, terms = 2;
    break;
  case VG_WINDOW_HAMMING:
    a = hamming, terms = 2;
    break;
  case VG_WINDOW_BLACKMAN:
    a = blackman, terms = 3;
    break;
  case VG_WINDOW_RECTANGULAR:
    for (unsigned i = 0; i < n; i++)
      w[i] = 1.0f;
    return VG_OK;
  default:
    return vg_error_set(err, "unknown window type %d", (int)type);
  }
  /* Periodic: divide by n, not n - 1 (the symmetric window of n + 1 points, last one dropped). */
  for (unsigned i = 0; i < n; i++)
    w[i] = (float)cosine_sum(a, terms, 2.0 * M_PI * i / n);
  return VG_OK;
}

const char *vg_window_name(VgWindowType type)
{
  switch (type) {
  case VG_WINDOW_HANN:
    return "hann";
  case VG_WINDOW_HAMMING:
    return "hamming";
  case VG_WINDOW_BLACKMAN:
    return "blackman";
  case VG_WINDOW_RECTANGULAR:
    return "boxcar";
  }
  return NULL;
}
