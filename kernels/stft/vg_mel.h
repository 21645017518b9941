/* Vigil kernels: a mel filterbank, the Slaney one that librosa.filters.mel builds by default
 * (htk=False, norm="slaney").
 *
 * Mel scale (Slaney's Auditory Toolbox): linear below 1 kHz, logarithmic above,
 *   m(f) = 3 f / 200                                 for f <  1000 Hz
 *   m(f) = 15 + 27 ln(f / 1000) / ln(6.4)            for f >= 1000 Hz
 * Filters: n_mels + 2 edge frequencies evenly spaced in mel between fmin and fmax, mapped back to
 * Hz (f_0 .. f_{n_mels+1}). Filter i is a triangle over FFT bin frequencies k * rate / n_fft,
 * rising from f_i to f_{i+1} and falling to f_{i+2}:
 *   w_i(f) = max(0, min((f - f_i) / (f_{i+1} - f_i), (f_{i+2} - f) / (f_{i+2} - f_{i+1})))
 * Normalisation ("slaney", area-equal): each triangle is scaled by 2 / (f_{i+2} - f_i), so every
 * filter has unit area in Hz and a flat spectrum gives equal energy in every band.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_MEL_H
#define VG_MEL_H

#include "vg_error.h"

typedef struct VgMel VgMel;

/* Filters for rfft bins 0..n_fft/2 of a signal sampled at rate Hz. Requires 0 <= fmin < fmax <=
 * rate / 2 and n_mels >= 1; refuses (NULL with a message) a bank where a filter covers no FFT bin
 * (too many mels for n_fft), since that band would always read the floor. */
VgMel *vg_mel_create(unsigned n_fft, double rate, unsigned n_mels, double fmin, double fmax,
                     VgError *err);
void vg_mel_destroy(VgMel *mel);

unsigned vg_mel_bands(const VgMel *mel);

/* out[i] = sum_k w_i(k) * power[k], for i < n_mels. */
void vg_mel_apply(const VgMel *mel, const float *power, float *out);

/* The mel scale above, and its inverse. */
double vg_hz_to_mel(double hz);
double vg_mel_to_hz(double mel);

#endif
