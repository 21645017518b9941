/* Vigil kernels: streaming stationary wavelet transform (SWT, undecimated, "a trous").
 *
 * Input: frames of S interleaved float32 signals, pushed in chunks of any size. Output: one frame
 * per input frame with J + 1 bands per signal, signal-major: value b of signal s is at
 * s * (J + 1) + b, bands b = 0: cA_J, 1: cD_J, ..., J: cD_1.
 *
 * Maths: level j (1-based) filters a_{j-1} (a_0 = x, zero before the stream starts) with dec_lo
 * and dec_hi upsampled by 2^(j-1), causally and without decimation:
 *   a_j[i] = sum_t dec_lo[t] a_{j-1}[i - 2^(j-1) t],  d_j[i] likewise with dec_hi.
 * pywt.swt computes the same convolutions periodically with a centred alignment: once the
 * filters have filled (i >= (L - 1)(2^j - 1)), a_j[i] = pywt cA_j[(i - D_j) mod N] with the delay
 * D_j = (L / 2)(2^j - 1) samples (docs/elements/dwt.md).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_SWT_H
#define VG_SWT_H

#include <stddef.h>

#include "vg_error.h"
#include "vg_wavelet.h"

#define VG_SWT_MAX_LEVELS 12

typedef struct VgSwt VgSwt;

/* levels: 1 .. VG_SWT_MAX_LEVELS; signals >= 1. NULL with a message on bad arguments. */
VgSwt *vg_swt_create(const VgWavelet *w, unsigned levels, unsigned signals, VgError *err);
void vg_swt_destroy(VgSwt *s);
void vg_swt_reset(VgSwt *s);

/* Pushes n_frames frames (n_frames * signals floats); writes n_frames * signals * (levels + 1)
 * floats to out. */
int vg_swt_push(VgSwt *s, const float *in, size_t n_frames, float *out);

/* Delay D_j in samples of level j (1-based) relative to pywt.swt, and the first index at which
 * level j's output no longer depends on the zero history: (L - 1)(2^j - 1). */
size_t vg_swt_delay(const VgSwt *s, unsigned level);
size_t vg_swt_fill(const VgSwt *s, unsigned level);

#endif
