/* Vigil kernels: streaming multilevel decimated wavelet transform (DWT).
 *
 * Input: frames of S interleaved float32 signals (S = channels x values per channel), pushed in
 * chunks of any size. Each signal is transformed independently.
 *
 * Output: one frame per block of 2^J input frames, as J + 1 arrays (tensors) t = 0 .. J:
 *   t = 0: cA_J (1 coefficient per signal), t = 1: cD_J (1), t = 2: cD_{J-1} (2), ...,
 *   t = J: cD_1 (2^(J-1)). In a frame, tensor t holds m_t values per signal, signal-major:
 *   value k of signal s is at s * m_t + k. Array t receives the frames back to back.
 *
 * Maths (PyWavelets' mode='zero', so the stream equals pywt.wavedec(x, w, 'zero', level=J)):
 * level j filters its input a_{j-1} (a_0 = x, zero before the stream starts) with dec_lo and
 * dec_hi and keeps the odd samples of the full convolution:
 *   a_j[k] = sum_t dec_lo[t] a_{j-1}[2k + 1 - t],  d_j[k] likewise with dec_hi.
 * Coefficient k of level j needs input up to 2^j k + 2^j - 1, so block b's coefficients are all
 * known when its last input frame arrives: the transform is causal with no extra latency. At the
 * end of the stream vg_dwt_flush appends L - 1 zeros per level (L taps), giving pywt's
 * floor((N_{j-1} + L - 1) / 2) coefficients per level; the frames it writes are zero where a
 * level has no coefficient left (vg_dwt_lengths gives the true counts).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_DWT_H
#define VG_DWT_H

#include <stddef.h>
#include <stdint.h>

#include "vg_error.h"
#include "vg_wavelet.h"

#define VG_DWT_MAX_LEVELS 16

typedef struct VgDwt VgDwt;

/* levels: 1 .. VG_DWT_MAX_LEVELS; signals >= 1. NULL with a message on bad arguments or memory. */
VgDwt *vg_dwt_create(const VgWavelet *w, unsigned levels, unsigned signals, VgError *err);
void vg_dwt_destroy(VgDwt *d);

/* Back to the start of a stream: zero history, block phase 0. */
void vg_dwt_reset(VgDwt *d);

/* Values per signal of tensor t in one output frame (1, 1, 2, 4, ...). */
unsigned vg_dwt_tensor_width(const VgDwt *d, unsigned t);

/* Exactly how many output frames vg_dwt_push will write for n_frames more input frames. */
size_t vg_dwt_push_frames(const VgDwt *d, size_t n_frames);

/* Pushes n_frames frames (n_frames * signals floats). out[t] receives the completed frames of
 * tensor t (room for vg_dwt_push_frames(d, n_frames) frames). *n_out: frames written. */
int vg_dwt_push(VgDwt *d, const float *in, size_t n_frames, float *const *out, size_t *n_out);

/* Exactly how many frames vg_dwt_flush will write (0 if nothing was pushed since the reset). */
size_t vg_dwt_flush_frames(const VgDwt *d);

/* Ends the stream: writes the remaining frames (partial block and pywt's tail coefficients, zero
 * where a level has none) and resets. Room for vg_dwt_flush_frames(d) frames in out. */
int vg_dwt_flush(VgDwt *d, float *const *out, size_t *n_out);

/* The same tail in pieces, so that a caller never holds it all (with 2^15-frame blocks of many
 * signals it is tens of frames of tens of MB): writes the next min(max_frames, frames left)
 * frames to out[t] (room for max_frames), *n_out of them. *done becomes 1 with the last frame
 * (or when nothing was pushed), and the transform is then reset; until then call it again, and
 * do not push (vg_dwt_push fails). Concatenated, the pieces equal vg_dwt_flush's output byte for
 * byte, whatever max_frames. vg_dwt_flush_frames(d) gives the frames left. The tail is computed
 * as it is handed out: memory stays at one staging frame. VG_ERR (and a reset) on an internal
 * inconsistency, which no input is known to cause. */
int vg_dwt_flush_some(VgDwt *d, float *const *out, size_t max_frames, size_t *n_out, int *done);

/* Coefficients per signal of tensor t that pywt.wavedec gives for the input pushed since the
 * reset, once flushed: N_j = floor((N_{j-1} + L - 1) / 2), N_0 = input frames. */
uint64_t vg_dwt_length(const VgDwt *d, unsigned t);

#endif
