/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_stft.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vg_fftw.h"
#include "vg_mel.h"

struct VgStft {
  VgStftConfig cfg;
  unsigned sig;   /* signals transformed per frame: 1 with mixdown, else channels */
  unsigned bins;  /* n_fft / 2 + 1 */
  unsigned bands; /* output values per channel */
  float db_floor; /* lowest dB value (db, mel) */

  /* History: sig rows of n_fft samples, deinterleaved; `fill` samples are valid in each row. When
   * hop > n_fft, `skip` input samples are dropped before the next frame starts. */
  float *hist;
  size_t fill, skip;

  float *window;
  float *fft_in;          /* fftwf_malloc'd: n_fft */
  fftwf_complex *fft_out; /* fftwf_malloc'd: bins */
  fftwf_plan plan;
  float *power; /* MEL: scratch |X_k|^2 */
  float *zeros; /* flush: n_fft/2 + 1 zero input frames */
  VgMel *mel;
};

void vg_stft_config_init(VgStftConfig *cfg)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->n_fft = 1024;
  cfg->hop = 512;
  cfg->channels = 1;
  cfg->window = VG_WINDOW_HANN;
  cfg->output = VG_STFT_MAGNITUDE;
  cfg->db_floor = -100.0;
  cfg->n_mels = 64;
}

static int check_config(const VgStftConfig *cfg, VgError *err)
{
  if (cfg->n_fft < 2 || cfg->n_fft > VG_STFT_MAX_NFFT)
    return vg_error_set(err, "n-fft=%u is out of range (2 to %u)", cfg->n_fft, VG_STFT_MAX_NFFT);
  if (cfg->hop < 1)
    return vg_error_set(err, "hop=0 is impossible: frames must advance by at least one sample");
  if (cfg->channels < 1)
    return vg_error_set(err, "the input must have at least one channel");
  if ((unsigned)cfg->output > VG_STFT_COMPLEX)
    return vg_error_set(err, "unknown output type %d", (int)cfg->output);
  if (!isfinite(cfg->db_floor))
    return vg_error_set(err, "the dB floor must be a finite number");
  return VG_OK;
}

void vg_stft_destroy(VgStft *st)
{
  if (!st)
    return;
  if (st->plan) {
    vg_fftw_plan_lock();
    fftwf_destroy_plan(st->plan);
    vg_fftw_plan_unlock();
  }
  fftwf_free(st->fft_in);
  fftwf_free(st->fft_out);
  free(st->hist);
  free(st->window);
  free(st->power);
  free(st->zeros);
  vg_mel_destroy(st->mel);
  free(st);
}

/* Allocates every buffer the stream needs, so that pushing never allocates. */
static int alloc_buffers(VgStft *st, VgError *err)
{
  size_t n = st->cfg.n_fft, hist_len, zeros_len;
  if (!vg_size_mul(n, st->sig, &hist_len) || !vg_size_mul(n / 2 + 1, st->cfg.channels, &zeros_len))
    return vg_error_set(err, "n-fft=%zu with %u channels is too large", n, st->cfg.channels);
  st->hist = malloc(hist_len * sizeof *st->hist);
  st->window = malloc(n * sizeof *st->window);
  st->zeros = calloc(zeros_len, sizeof *st->zeros);
  st->power = malloc(st->bins * sizeof *st->power);
  st->fft_in = fftwf_malloc(n * sizeof *st->fft_in);
  st->fft_out = fftwf_malloc(st->bins * sizeof *st->fft_out);
  if (!st->hist || !st->window || !st->zeros || !st->power || !st->fft_in || !st->fft_out)
    return vg_error_set(err, "out of memory for an STFT of n-fft=%zu and %u channels", n,
                        st->cfg.channels);
  return VG_OK;
}

static int make_plan(VgStft *st, const char *wisdom_file, VgError *err)
{
  const VgStftConfig *cfg = &st->cfg;
  /* An optional (cache) wisdom file only saves planning time: failing to use it is not an error. */
  if (vg_fftw_wisdom_import(wisdom_file, err) != VG_OK && !cfg->wisdom_optional)
    return VG_ERR;
  unsigned flags = (cfg->estimate ? FFTW_ESTIMATE : FFTW_MEASURE) | FFTW_DESTROY_INPUT;
  vg_fftw_plan_lock();
  st->plan = fftwf_plan_dft_r2c_1d((int)cfg->n_fft, st->fft_in, st->fft_out, flags);
  vg_fftw_plan_unlock();
  if (!st->plan)
    return vg_error_set(err, "FFTW could not plan a real FFT of n-fft=%u", cfg->n_fft);
  if (vg_fftw_wisdom_export(wisdom_file, err) != VG_OK && !cfg->wisdom_optional)
    return VG_ERR;
  return VG_OK;
}

VgStft *vg_stft_create(const VgStftConfig *cfg, VgError *err)
{
  if (check_config(cfg, err) != VG_OK)
    return NULL;
  VgStft *st = calloc(1, sizeof *st);
  if (!st) {
    vg_error_set(err, "out of memory for an STFT");
    return NULL;
  }
  st->cfg = *cfg;
  st->cfg.wisdom_file = NULL; /* not owned: only used while planning below */
  st->sig = cfg->mixdown ? 1 : cfg->channels;
  st->bins = cfg->n_fft / 2 + 1;
  st->bands = cfg->output == VG_STFT_COMPLEX ? 2 * st->bins : st->bins;
  st->db_floor = (float)cfg->db_floor;
  if (cfg->output == VG_STFT_MEL) {
    double fmax = cfg->fmax > 0.0 ? cfg->fmax : cfg->rate / 2.0;
    st->mel = vg_mel_create(cfg->n_fft, cfg->rate, cfg->n_mels, cfg->fmin, fmax, err);
    if (!st->mel) {
      vg_stft_destroy(st);
      return NULL;
    }
    st->bands = cfg->n_mels;
  }
  if (alloc_buffers(st, err) != VG_OK ||
      vg_window_fill(cfg->window, cfg->n_fft, st->window, err) != VG_OK ||
      make_plan(st, cfg->wisdom_file, err) != VG_OK) {
    vg_stft_destroy(st);
    return NULL;
  }
  vg_stft_reset(st);
  return st;
}

void vg_stft_reset(VgStft *st)
{
  /* With center the history starts as the n_fft/2 zeros of the left padding. */
  st->fill = st->cfg.center ? st->cfg.n_fft / 2 : 0;
  st->skip = 0;
  memset(st->hist, 0, (size_t)st->cfg.n_fft * st->sig * sizeof *st->hist);
}

unsigned vg_stft_bands(const VgStft *st)
{
  return st->bands;
}

unsigned vg_stft_out_channels(const VgStft *st)
{
  return st->sig;
}

size_t vg_stft_frame_values(const VgStft *st)
{
  return (size_t)st->bands * st->sig;
}

unsigned vg_stft_bins(const VgStft *st)
{
  return st->bins;
}

size_t vg_stft_frames_for(const VgStft *st, size_t n_in)
{
  /* The first frame completes when n_fft samples are in hand; each later one every hop samples
   * (after a frame the history keeps n_fft - hop samples, or skips hop - n_fft). */
  if (n_in < st->skip)
    return 0;
  size_t avail = st->fill + n_in - st->skip;
  if (avail < st->cfg.n_fft)
    return 0;
  return 1 + (avail - st->cfg.n_fft) / st->cfg.hop;
}

/* Appends t input frames to every history row (their mean with mixdown). */
static void append(VgStft *st, const float *in, size_t t)
{
  const unsigned ch = st->cfg.channels;
  const size_t n = st->cfg.n_fft;
  if (st->cfg.mixdown && ch > 1) {
    float *row = st->hist + st->fill;
    const float scale = 1.0f / ch;
    for (size_t i = 0; i < t; i++) {
      float acc = 0.0f;
      for (unsigned c = 0; c < ch; c++)
        acc += in[i * ch + c];
      row[i] = acc * scale;
    }
  } else if (ch == 1) {
    memcpy(st->hist + st->fill, in, t * sizeof *in);
  } else {
    for (unsigned c = 0; c < ch; c++) {
      float *row = st->hist + c * n + st->fill;
      for (size_t i = 0; i < t; i++)
        row[i] = in[i * ch + c];
    }
  }
  st->fill += t;
}

/* Turns the r2c output of one signal into its `bands` output values. */
/* 10 log10(max(p, 10^(floor_db/10))) = max(10 log10(p), floor_db), compared in dB: the floor as a
 * power is no float outside about -450 to 380 dB (it was 0 or inf there, which gave -inf for
 * silence or inf everywhere). NaN stays NaN (as numpy's maximum), never the floor's plausible
 * "silence". */
static inline float power_db(float p, float floor_db)
{
  float db = 10.0f * log10f(p);
  return db < floor_db ? floor_db : db;
}

static void write_values(VgStft *st, float *out)
{
  const fftwf_complex *X = st->fft_out;
  const unsigned bins = st->bins;
  switch (st->cfg.output) {
  case VG_STFT_MAGNITUDE:
    for (unsigned k = 0; k < bins; k++)
      out[k] = sqrtf(X[k][0] * X[k][0] + X[k][1] * X[k][1]);
    break;
  case VG_STFT_POWER:
    for (unsigned k = 0; k < bins; k++)
      out[k] = X[k][0] * X[k][0] + X[k][1] * X[k][1];
    break;
  case VG_STFT_DB:
    for (unsigned k = 0; k < bins; k++) {
      float p = X[k][0] * X[k][0] + X[k][1] * X[k][1];
      out[k] = power_db(p, st->db_floor);
    }
    break;
  case VG_STFT_MEL:
    for (unsigned k = 0; k < bins; k++)
      st->power[k] = X[k][0] * X[k][0] + X[k][1] * X[k][1];
    vg_mel_apply(st->mel, st->power, out);
    for (unsigned m = 0; m < st->bands; m++)
      out[m] = power_db(out[m], st->db_floor);
    break;
  case VG_STFT_COMPLEX:
    memcpy(out, X, (size_t)bins * 2 * sizeof *out);
    break;
  }
}

/* Transforms the full history: one output frame, and the channel-mean amplitude if asked. */
static void emit(VgStft *st, float *out, float *amp)
{
  const size_t n = st->cfg.n_fft;
  if (amp)
    memset(amp, 0, st->bins * sizeof *amp);
  for (unsigned c = 0; c < st->sig; c++) {
    const float *row = st->hist + c * n;
    for (size_t i = 0; i < n; i++)
      st->fft_in[i] = st->window[i] * row[i];
    fftwf_execute_dft_r2c(st->plan, st->fft_in, st->fft_out);
    write_values(st, out + (size_t)c * st->bands);
    if (amp) {
      const fftwf_complex *X = st->fft_out;
      for (unsigned k = 0; k < st->bins; k++)
        amp[k] += sqrtf(X[k][0] * X[k][0] + X[k][1] * X[k][1]) / st->sig;
    }
  }
}

/* Drops the oldest hop samples after a frame (or all of them, then skips the gap). */
static void advance(VgStft *st)
{
  const size_t n = st->cfg.n_fft, hop = st->cfg.hop;
  if (hop >= n) {
    st->fill = 0;
    st->skip = hop - n;
    return;
  }
  for (unsigned c = 0; c < st->sig; c++)
    memmove(st->hist + c * n, st->hist + c * n + hop, (n - hop) * sizeof *st->hist);
  st->fill = n - hop;
}

size_t vg_stft_push(VgStft *st, const float *in, size_t n_in, float *out, float *amp)
{
  const unsigned ch = st->cfg.channels;
  const size_t fv = vg_stft_frame_values(st);
  size_t produced = 0;
  while (n_in > 0) {
    if (st->skip > 0) {
      size_t d = st->skip < n_in ? st->skip : n_in;
      in += d * ch, n_in -= d, st->skip -= d;
      continue;
    }
    size_t t = st->cfg.n_fft - st->fill;
    t = t < n_in ? t : n_in;
    append(st, in, t);
    in += t * ch, n_in -= t;
    if (st->fill == st->cfg.n_fft) {
      emit(st, out + produced * fv, amp ? amp + produced * st->bins : NULL);
      produced++;
      advance(st);
    }
  }
  return produced;
}

size_t vg_stft_flush_frames(const VgStft *st)
{
  return st->cfg.center ? vg_stft_frames_for(st, st->cfg.n_fft / 2) : 0;
}

size_t vg_stft_flush(VgStft *st, float *out, float *amp)
{
  size_t n = 0;
  if (st->cfg.center)
    n = vg_stft_push(st, st->zeros, st->cfg.n_fft / 2, out, amp);
  vg_stft_reset(st);
  return n;
}
