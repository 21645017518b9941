/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_mel.h"

#include <math.h>
#include <stdlib.h>

/* Each filter is stored as its non-zero run of bins: a triangle touches few bins, so applying the
 * bank costs about 2 * bins multiply-adds instead of n_mels * bins. */
struct VgMel {
  unsigned n_mels;
  unsigned *first; /* first bin with a non-zero weight, per filter */
  unsigned *count; /* number of bins in the run, per filter */
  size_t *offset;  /* start of the run in weights, per filter */
  float *weights;
};

#define MEL_F_SP       (200.0 / 3.0) /* Hz per mel in the linear part */
#define MEL_MIN_LOG_HZ 1000.0
#define MEL_MIN_LOG    (MEL_MIN_LOG_HZ / MEL_F_SP) /* = 15 */
#define MEL_LOGSTEP    (log(6.4) / 27.0)

double vg_hz_to_mel(double hz)
{
  if (hz < MEL_MIN_LOG_HZ)
    return hz / MEL_F_SP;
  return MEL_MIN_LOG + log(hz / MEL_MIN_LOG_HZ) / MEL_LOGSTEP;
}

double vg_mel_to_hz(double mel)
{
  if (mel < MEL_MIN_LOG)
    return mel * MEL_F_SP;
  return MEL_MIN_LOG_HZ * exp(MEL_LOGSTEP * (mel - MEL_MIN_LOG));
}

void vg_mel_destroy(VgMel *mel)
{
  if (!mel)
    return;
  free(mel->first);
  free(mel->count);
  free(mel->offset);
  free(mel->weights);
  free(mel);
}

unsigned vg_mel_bands(const VgMel *mel)
{
  return mel->n_mels;
}

static double weight(const double *edge, unsigned i, double f)
{
  double lower = (f - edge[i]) / (edge[i + 1] - edge[i]);
  double upper = (edge[i + 2] - f) / (edge[i + 2] - edge[i + 1]);
  double w = lower < upper ? lower : upper;
  return w > 0.0 ? w * 2.0 / (edge[i + 2] - edge[i]) : 0.0;
}

/* Finds the non-zero runs of every filter and stores their weights. */
static int build(VgMel *mel, const double *edge, unsigned n_fft, double rate, VgError *err)
{
  unsigned bins = n_fft / 2 + 1;
  double bin_hz = rate / n_fft;
  size_t total = 0;
  for (unsigned i = 0; i < mel->n_mels; i++) {
    unsigned first = bins, last = 0;
    for (unsigned k = 0; k < bins; k++)
      if (weight(edge, i, k * bin_hz) > 0.0) {
        first = first < k ? first : k;
        last = k;
      }
    if (first == bins)
      return vg_error_set(err,
                          "mel band %u (%.1f-%.1f Hz) contains no FFT bin: n-mels=%u is too many "
                          "for n-fft=%u at %.0f Hz; lower n-mels or raise n-fft",
                          i, edge[i], edge[i + 2], mel->n_mels, n_fft, rate);
    mel->first[i] = first;
    mel->count[i] = last - first + 1;
    mel->offset[i] = total;
    total += mel->count[i];
  }
  mel->weights = malloc(total * sizeof *mel->weights);
  if (!mel->weights)
    return vg_error_set(err, "out of memory for the mel filterbank");
  for (unsigned i = 0; i < mel->n_mels; i++)
    for (unsigned j = 0; j < mel->count[i]; j++)
      mel->weights[mel->offset[i] + j] = (float)weight(edge, i, (mel->first[i] + j) * bin_hz);
  return VG_OK;
}

VgMel *vg_mel_create(unsigned n_fft, double rate, unsigned n_mels, double fmin, double fmax,
                     VgError *err)
{
  if (n_fft < 2 || !(rate > 0.0)) {
    vg_error_set(err, "mel filterbank needs n-fft >= 2 and a positive rate");
    return NULL;
  }
  if (n_mels < 1 || n_mels > n_fft) {
    vg_error_set(err, "n-mels=%u is out of range (1 to n-fft=%u)", n_mels, n_fft);
    return NULL;
  }
  if (!(fmin >= 0.0) || !(fmax > fmin) || fmax > rate / 2.0) {
    vg_error_set(err,
                 "mel range fmin=%g Hz, fmax=%g Hz is impossible: need 0 <= fmin < fmax <= "
                 "Nyquist (%g Hz)",
                 fmin, fmax, rate / 2.0);
    return NULL;
  }
  VgMel *mel = calloc(1, sizeof *mel);
  double *edge = malloc((n_mels + 2) * sizeof *edge);
  if (!mel || !edge) {
    free(mel), free(edge);
    vg_error_set(err, "out of memory for the mel filterbank");
    return NULL;
  }
  mel->n_mels = n_mels;
  mel->first = malloc(n_mels * sizeof *mel->first);
  mel->count = malloc(n_mels * sizeof *mel->count);
  mel->offset = malloc(n_mels * sizeof *mel->offset);
  int status = VG_ERR;
  if (!mel->first || !mel->count || !mel->offset) {
    vg_error_set(err, "out of memory for the mel filterbank");
  } else {
    double m0 = vg_hz_to_mel(fmin), m1 = vg_hz_to_mel(fmax);
    for (unsigned i = 0; i < n_mels + 2; i++)
      edge[i] = vg_mel_to_hz(m0 + (m1 - m0) * i / (n_mels + 1));
    status = build(mel, edge, n_fft, rate, err);
  }
  free(edge);
  if (status != VG_OK) {
    vg_mel_destroy(mel);
    return NULL;
  }
  return mel;
}

void vg_mel_apply(const VgMel *mel, const float *power, float *out)
{
  for (unsigned i = 0; i < mel->n_mels; i++) {
    const float *w = mel->weights + mel->offset[i];
    const float *p = power + mel->first[i];
    float acc = 0.0f;
    for (unsigned j = 0; j < mel->count[i]; j++)
      acc += w[j] * p[j];
    out[i] = acc;
  }
}
