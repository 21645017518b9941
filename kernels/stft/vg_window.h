/* Vigil kernels: analysis windows for the STFT.
 *
 * Periodic ("DFT-even") windows, as scipy.signal.get_window(name, n) returns by default
 * (fftbins=True): the symmetric window of length n + 1 with its last point dropped, so that with
 * x = 2*pi*i/n, i = 0..n-1:
 *   hann         0.5  - 0.5  cos(x)
 *   hamming      0.54 - 0.46 cos(x)
 *   blackman     0.42 - 0.5  cos(x) + 0.08 cos(2x)
 *   rectangular  1                      (scipy's "boxcar")
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_WINDOW_H
#define VG_WINDOW_H

#include "vg_error.h"

typedef enum {
  VG_WINDOW_HANN,
  VG_WINDOW_HAMMING,
  VG_WINDOW_BLACKMAN,
  VG_WINDOW_RECTANGULAR,
} VgWindowType;

/* Fills w[0..n) (n >= 1). VG_ERR for an unknown type. Values are computed in double. */
int vg_window_fill(VgWindowType type, unsigned n, float *w, VgError *err);

/* scipy's name for the window ("hann", "hamming", "blackman", "boxcar"), NULL if unknown. */
const char *vg_window_name(VgWindowType type);

#endif
