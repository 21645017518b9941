/* Vigil kernels: streaming short-time Fourier transform on FFTW3 (single precision, r2c).
 *
 * Input: frames of `channels` interleaved float values (one sample per signal), pushed in any
 * amounts; the history is carried between pushes, so the output never depends on how the input was
 * split. Output: one spectrum frame per hop, `bands` values per channel, channel-major (the values
 * of channel c at c * bands .. (c + 1) * bands), i.e. the tensor layout bands:C.
 *
 * Framing. Input samples are numbered from 0 since create/reset.
 *   center = 0: frame k covers samples [k*hop, k*hop + n_fft).
 *   center = 1: the signal is preceded by n_fft/2 zeros (integer division), so frame k covers
 *               samples [k*hop - n_fft/2, k*hop - n_fft/2 + n_fft) and its sample n_fft/2 is k*hop.
 *               vg_stft_flush appends n_fft/2 zeros at the end of the stream, so the frames equal
 *               librosa.stft(center=True, pad_mode="constant") /
 * scipy.signal.stft(boundary="zeros", padded=False) up to their scaling. hop may exceed n_fft
 * (samples between frames are skipped).
 *
 * Values, with X_k = sum_i w[i] x[i] e^{-2 pi j i k / n_fft} (unscaled rfft of the windowed frame,
 * k = 0..n_fft/2, bands = n_fft/2 + 1):
 *   MAGNITUDE  |X_k|
 *   POWER      |X_k|^2
 *   DB         10 log10(max(|X_k|^2, 10^(db_floor/10)))   (so never below db_floor)
 *   MEL        10 log10(max(sum_k M_mk |X_k|^2, 10^(db_floor/10))), M the Slaney mel bank of
 *              vg_mel.h (bands = n_mels)
 *   COMPLEX    Re X_k, Im X_k pairs (bands = 2 * (n_fft/2 + 1))
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_STFT_H
#define VG_STFT_H

#include <stddef.h>

#include "vg_error.h"
#include "vg_window.h"

typedef enum {
  VG_STFT_MAGNITUDE,
  VG_STFT_POWER,
  VG_STFT_DB,
  VG_STFT_MEL,
  VG_STFT_COMPLEX,
} VgStftOutput;

typedef struct {
  unsigned n_fft;    /* frame length in samples, 2 .. VG_STFT_MAX_NFFT */
  unsigned hop;      /* samples between frame starts, >= 1 */
  unsigned channels; /* signals per input frame, >= 1 */
  VgWindowType window;
  int center;  /* see framing above */
  int mixdown; /* non-zero: transform the mean of the channels (one output channel) */
  VgStftOutput output;
  double db_floor;         /* DB and MEL: lowest value in dB */
  unsigned n_mels;         /* MEL: number of bands */
  double fmin, fmax;       /* MEL: band edges in Hz; 0 <= fmin < fmax <= rate / 2 */
  double rate;             /* samples per second (needed by MEL only; may be 0 otherwise) */
  int estimate;            /* non-zero: FFTW_ESTIMATE planning instead of FFTW_MEASURE */
  const char *wisdom_file; /* NULL or a path: wisdom imported before planning, exported after */
  int wisdom_optional;     /* nonzero: a wisdom file that cannot be read or written is skipped */
} VgStftConfig;

#define VG_STFT_MAX_NFFT (1u << 20)

typedef struct VgStft VgStft;

/* Fills cfg with defaults: n_fft 1024, hop 512, hann, magnitude, one channel, db_floor -100 dB,
 * 64 mels over 0 .. rate/2 (fmax 0 means rate / 2). */
void vg_stft_config_init(VgStftConfig *cfg);

/* Validates cfg, builds the window, the mel bank and the FFTW plan (under the global planner lock).
 * NULL with a message on impossible parameters or allocation failure. */
VgStft *vg_stft_create(const VgStftConfig *cfg, VgError *err);
void vg_stft_destroy(VgStft *st);

/* Forgets the history: the next sample pushed is sample 0 again. */
void vg_stft_reset(VgStft *st);

unsigned vg_stft_bands(const VgStft *st);        /* values per channel in an output frame */
unsigned vg_stft_out_channels(const VgStft *st); /* 1 with mixdown, else channels */
size_t vg_stft_frame_values(const VgStft *st);   /* bands * out_channels */
unsigned vg_stft_bins(const VgStft *st);         /* n_fft / 2 + 1 */

/* Number of output frames that pushing n_in more input frames will produce. */
size_t vg_stft_frames_for(const VgStft *st, size_t n_in);

/* Pushes n_in input frames; writes the frames they complete to out (room for
 * vg_stft_frames_for(st, n_in) frames) and returns how many it wrote. If amp is not NULL it
 * receives, per output frame, the amplitude spectrum |X_k| (bins values) averaged over channels:
 * the input of the dominant-period tracker. */
size_t vg_stft_push(VgStft *st, const float *in, size_t n_in, float *out, float *amp);

/* End of stream. With center, pushes the n_fft/2 zeros of the right padding (the frames still
 * centred on a real sample); without, the incomplete last frame is dropped and nothing is written.
 * vg_stft_flush_frames says how many frames to make room for. The history is reset afterwards. */
size_t vg_stft_flush_frames(const VgStft *st);
size_t vg_stft_flush(VgStft *st, float *out, float *amp);

#endif
