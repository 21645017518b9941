/* Vigil kernels: orthogonal wavelet filter banks (haar, db1-db20, sym2-sym20, coif1-coif5).
 *
 * Filters follow PyWavelets' conventions so that coefficients compare one to one with pywt:
 *   rec_lo = h (the scaling filter, sum sqrt(2), sum of squares 1), dec_lo = h reversed,
 *   rec_hi[n] = (-1)^n dec_lo[n], dec_hi = rec_hi reversed.
 * Daubechies and symlet filters are computed at create time by spectral factorisation
 * (vg_wavelet_daub.c); coiflets come from a generated table (vg_wavelet_coif.c). docs/design.md
 * ("dwt") documents both.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_WAVELET_H
#define VG_WAVELET_H

#include "vg_error.h"

#define VG_WAVELET_MAX_LEN  40 /* db20 and sym20 */
#define VG_WAVELET_NAME_MAX 8

typedef struct {
  char name[VG_WAVELET_NAME_MAX];
  unsigned length; /* filter taps, even, 2..40 */
  double dec_lo[VG_WAVELET_MAX_LEN];
  double dec_hi[VG_WAVELET_MAX_LEN];
  double rec_lo[VG_WAVELET_MAX_LEN];
  double rec_hi[VG_WAVELET_MAX_LEN];
} VgWavelet;

/* Fills w for a name such as "db4", "sym8", "coif3" or "haar". VG_ERR with a message naming the
 * valid families on an unknown name. Takes under a millisecond except for the symlets, whose root
 * selection takes up to about 25 ms (sym20): call it when configuring, not per buffer. */
int vg_wavelet_init(VgWavelet *w, const char *name, VgError *err);

/* The scaling filter h (rec_lo) of dbN, 1 <= N <= 20, into h[0 .. 2N). */
int vg_wavelet_daubechies(unsigned n, double *h, VgError *err);

/* The scaling filter of symN, 2 <= N <= 20, into h[0 .. 2N). */
int vg_wavelet_symlet(unsigned n, double *h, VgError *err);

/* The scaling filter of coifK, 1 <= K <= 5, into h[0 .. 6K). */
int vg_wavelet_coiflet(unsigned k, double *h, VgError *err);

#endif
