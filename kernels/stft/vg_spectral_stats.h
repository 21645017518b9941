/* Vigil kernels: statistics over runs of spectrum frames, for the stft element's bus messages.
 *
 * VgFrameMean: the per-value mean of the frames added since the last reset (what a `stft` message
 * reports for an interval, as GStreamer's `spectrum` averages its magnitudes over an interval).
 *
 * VgPeriods: dominant periods in the spirit of TimesNet (Wu et al., 2023): the amplitude spectrum
 * |X_k| (already averaged over channels) is averaged over the frames added since the last reset;
 * the k largest bins, the DC bin excluded, give the periods n_fft / bin samples. Unlike TimesNet,
 * only local maxima of the mean spectrum count (a sine's leakage into the neighbouring bins is not
 * a second period). Ties go to the lower bin. The resolution is that of the FFT: periods n_fft/1,
 * n_fft/2, n_fft/3, ... samples.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_SPECTRAL_STATS_H
#define VG_SPECTRAL_STATS_H

#include <stddef.h>

#include "vg_error.h"

typedef struct VgFrameMean VgFrameMean;

VgFrameMean *vg_frame_mean_create(size_t values, VgError *err);
void vg_frame_mean_destroy(VgFrameMean *m);
void vg_frame_mean_reset(VgFrameMean *m);
void vg_frame_mean_add(VgFrameMean *m, const float *frame);
size_t vg_frame_mean_count(const VgFrameMean *m);
/* out[i] = mean of value i over the frames added (0 when none were). */
void vg_frame_mean_get(const VgFrameMean *m, double *out);

typedef struct {
  unsigned bin;     /* FFT bin, 1 .. n_fft/2 */
  double period;    /* n_fft / bin, in samples */
  double amplitude; /* mean |X_bin| over the frames and channels */
} VgPeriod;

typedef struct VgPeriods VgPeriods;

/* Tracks the amplitude spectra of bins = n_fft / 2 + 1 values. */
VgPeriods *vg_periods_create(unsigned n_fft, VgError *err);
void vg_periods_destroy(VgPeriods *p);
void vg_periods_reset(VgPeriods *p);
void vg_periods_add(VgPeriods *p, const float *amplitude);
size_t vg_periods_count(const VgPeriods *p);
/* Writes the top k periods (fewer if the spectrum has fewer peaks), strongest first, and returns
 * how many it wrote (0 when no frame was added). */
unsigned vg_periods_top(const VgPeriods *p, unsigned k, VgPeriod *out);

#endif
