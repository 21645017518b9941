/* Vigil kernels: online moments for anomaly scoring.
 *
 * VgWelford: mean and variance of a stream with equal weights, by Welford's update, with an exact
 *   removal so that it can follow a sliding window (add the new value, remove the oldest).
 *   After n values x_1..x_n: mean = sum x_i / n, var = sum (x_i - mean)^2 / n (the population
 *   variance, numpy's np.var with ddof=0).
 * VgEwma: exponentially weighted mean and variance with weight alpha in (0, 1] on the newest
 *   value (West 1979 / Finch 2009). The first value x_0 starts the mean with variance 0; after that
 *   mean_t = sum w_i x_i and var_t = sum w_i (x_i - mean_t)^2 with w_i = alpha (1 - alpha)^(t-i)
 *   for i >= 1 and w_0 = (1 - alpha)^t (the weights sum to 1). A span of N frames is
 *   alpha = 2 / (N + 1), as in pandas' ewm(span=N).
 *
 * Both are plain value types (no allocation); accumulate in double.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_MOMENTS_H
#define VG_MOMENTS_H

#include <stdint.h>

typedef struct {
  uint64_t n;
  double mean;
  double m2; /* sum of squared deviations from the mean */
} VgWelford;

void vg_welford_reset(VgWelford *w);
void vg_welford_add(VgWelford *w, double x);
/* Removes a value that was added earlier (the oldest of a sliding window). */
void vg_welford_remove(VgWelford *w, double x);
/* Population variance (ddof = 0); 0 with fewer than two values. */
double vg_welford_var(const VgWelford *w);

typedef struct {
  double alpha;
  uint64_t n;
  double mean;
  double var;
} VgEwma;

/* alpha in (0, 1]: the weight of the newest value. */
void vg_ewma_init(VgEwma *e, double alpha);
void vg_ewma_reset(VgEwma *e);
void vg_ewma_add(VgEwma *e, double x);

#endif
