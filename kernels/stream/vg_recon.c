/* Reconstruction error of an autoencoder's window (the SKAB protocol's score is the sum over
 * channels of the per-channel mean absolute error).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "vg_stream.h"

double vg_recon_error(const float *x, const float *y, int64_t channels, int64_t inner,
                      int64_t window, int squared, float *per_channel)
{
  int64_t width = channels * inner;
  double total = 0;
  for (int64_t c = 0; c < channels; c++) {
    double acc = 0;
    for (int64_t f = 0; f < inner; f++) {
      const float *yr = y + (c * inner + f) * window; /* ONNX order: [c][f][t] */
      for (int64_t t = 0; t < window; t++) {
        double d = (double)x[t * width + c * inner + f] - (double)yr[t];
        acc += squared ? d * d : fabs(d);
      }
    }
    per_channel[c] = (float)(acc / (double)(inner * window));
    total += per_channel[c];
  }
  return total;
}
