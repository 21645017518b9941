/* Reconstruction error of an autoencoder's window (the SKAB protocol's score is the sum over
 * channels of the per-channel mean absolute error).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "vg_stream.h"

/* Sum over t < n of |x[t * stride] - y[t]| (squared = 0) or its square, in double. Four partial
 * sums: one running sum would wait on the previous addition's latency at every value (this runs
 * once per window over all of it: 480 values per hop at hop 1 for SKAB's 8 channels x 60 rows). */
static double row_error(const float *x, int64_t stride, const float *y, int64_t n, int squared)
{
  double acc[4] = {0, 0, 0, 0};
  int64_t t = 0;
  if (squared) {
    for (; t + 4 <= n; t += 4)
      for (int k = 0; k < 4; k++) {
        double d = (double)x[(t + k) * stride] - (double)y[t + k];
        acc[k] += d * d;
      }
    for (; t < n; t++) {
      double d = (double)x[t * stride] - (double)y[t];
      acc[0] += d * d;
    }
  } else {
    for (; t + 4 <= n; t += 4)
      for (int k = 0; k < 4; k++)
        acc[k] += fabs((double)x[(t + k) * stride] - (double)y[t + k]);
    for (; t < n; t++)
      acc[0] += fabs((double)x[t * stride] - (double)y[t]);
  }
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

double vg_recon_error(const float *x, const float *y, int64_t channels, int64_t inner,
                      int64_t window, int squared, float *per_channel)
{
  int64_t width = channels * inner;
  double total = 0;
  for (int64_t c = 0; c < channels; c++) {
    double acc = 0;
    for (int64_t f = 0; f < inner; f++) /* y in ONNX order: [c][f][t]; x time-major */
      acc += row_error(x + c * inner + f, width, y + (c * inner + f) * window, window, squared);
    per_channel[c] = (float)(acc / (double)(inner * window));
    total += per_channel[c];
  }
  return total;
}
