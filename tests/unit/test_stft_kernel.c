/* Unit tests of the STFT kernels (kernels/stft/): windows, streaming frames against a naive DFT in
 * double precision, chunking invariance, flush, refused configurations, dominant periods.
 * Plain C: the kernels know nothing of GStreamer. Runs with LeakSanitizer in the sanitizer build.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stft/vg_mel.h"
#include "stft/vg_spectral_stats.h"
#include "stft/vg_stft.h"

#include "vg_check.h"

static unsigned rng_state = 12345u;
static unsigned rng(void)
{
  rng_state = rng_state * 1103515245u + 12345u;
  return (rng_state >> 8) & 0xffffff;
}
static float frand(void)
{
  return (float)rng() / 0x800000 - 1.0f;
}

static void test_windows(void)
{
  float w[8];
  VgError err;
  /* Periodic Hann of 8: 0.5 - 0.5 cos(2 pi i / 8). */
  CHECK(vg_window_fill(VG_WINDOW_HANN, 8, w, &err) == VG_OK, "hann");
  CHECK(fabsf(w[0]) < 1e-7f && fabsf(w[4] - 1.0f) < 1e-7f && fabsf(w[2] - 0.5f) < 1e-7f,
        "hann values %g %g %g", w[0], w[4], w[2]);
  CHECK(vg_window_fill(VG_WINDOW_HAMMING, 8, w, &err) == VG_OK, "hamming");
  CHECK(fabsf(w[0] - 0.08f) < 1e-7f && fabsf(w[4] - 1.0f) < 1e-7f, "hamming values");
  CHECK(vg_window_fill(VG_WINDOW_BLACKMAN, 8, w, &err) == VG_OK, "blackman");
  CHECK(fabsf(w[0]) < 1e-7f && fabsf(w[4] - 1.0f) < 1e-6f, "blackman values %g %g", w[0], w[4]);
  CHECK(vg_window_fill((VgWindowType)99, 8, w, &err) == VG_ERR, "unknown window refused");
}

/* The value the kernel should produce for bin k of a frame x (n values), in double. */
static void naive_frame(const double *x, const float *w, unsigned n, VgStftOutput output,
                        double floor_db, double *out)
{
  for (unsigned k = 0; k <= n / 2; k++) {
    double re = 0, im = 0;
    for (unsigned i = 0; i < n; i++) {
      re += w[i] * x[i] * cos(2 * M_PI * (double)i * k / n);
      im -= w[i] * x[i] * sin(2 * M_PI * (double)i * k / n);
    }
    double p = re * re + im * im;
    switch (output) {
    case VG_STFT_MAGNITUDE:
      out[k] = sqrt(p);
      break;
    case VG_STFT_POWER:
      out[k] = p;
      break;
    case VG_STFT_DB:
      out[k] = 10 * log10(fmax(p, pow(10, floor_db / 10)));
      break;
    case VG_STFT_COMPLEX:
      out[2 * k] = re, out[2 * k + 1] = im;
      break;
    default:
      break;
    }
  }
}

/* Streams `total` frames of random input in random chunks and compares every output frame with the
 * naive DFT of the corresponding (padded) signal segment. */
static void check_config(unsigned n_fft, unsigned hop, unsigned ch, int center, VgWindowType win,
                         VgStftOutput output)
{
  VgStftConfig cfg;
  VgError err = {{0}};
  vg_stft_config_init(&cfg);
  cfg.n_fft = n_fft, cfg.hop = hop, cfg.channels = ch, cfg.center = center, cfg.window = win;
  cfg.output = output, cfg.estimate = 1;
  VgStft *st = vg_stft_create(&cfg, &err);
  CHECK(st != NULL, "create n_fft=%u: %s", n_fft, err.msg);
  if (!st)
    return;
  const size_t total = 3 * n_fft + 7 * hop + 5, pad = center ? n_fft / 2 : 0;
  const size_t fv = vg_stft_frame_values(st), bands = vg_stft_bands(st);
  float *x = malloc(total * ch * sizeof *x), *w = malloc(n_fft * sizeof *w);
  float *out = malloc((total / hop + 4) * fv * sizeof *out);
  double *seg = malloc(n_fft * sizeof *seg), *ref = malloc(bands * sizeof *ref);
  for (size_t i = 0; i < total * ch; i++)
    x[i] = frand();
  vg_window_fill(win, n_fft, w, NULL);
  size_t done = 0, frames = 0;
  while (done < total) {
    size_t n = 1 + rng() % (2 * hop + 3);
    n = n < total - done ? n : total - done;
    size_t expect = vg_stft_frames_for(st, n);
    size_t got = vg_stft_push(st, x + done * ch, n, out + frames * fv, NULL);
    CHECK(got == expect, "frames_for said %zu, push made %zu", expect, got);
    done += n, frames += got;
  }
  size_t expect = vg_stft_flush_frames(st);
  size_t got = vg_stft_flush(st, out + frames * fv, NULL);
  CHECK(got == expect, "flush frames %zu vs %zu", got, expect);
  frames += got;
  /* librosa-style frame count: 1 + L // hop with center, 1 + (L - n_fft) // hop without. */
  size_t want = center ? 1 + total / hop : 1 + (total - n_fft) / hop;
  CHECK(frames == want, "n_fft=%u hop=%u center=%d: %zu frames, expected %zu", n_fft, hop, center,
        frames, want);
  double worst = 0, scale = 0;
  for (size_t f = 0; f < frames && f < want; f++)
    for (unsigned c = 0; c < ch; c++) {
      for (unsigned i = 0; i < n_fft; i++) {
        long s = (long)(f * hop + i) - (long)pad;
        seg[i] = s >= 0 && (size_t)s < total ? x[s * ch + c] : 0.0;
      }
      naive_frame(seg, w, n_fft, output, cfg.db_floor, ref);
      for (size_t b = 0; b < bands; b++) {
        worst = fmax(worst, fabs(ref[b] - out[f * fv + c * bands + b]));
        scale = fmax(scale, fabs(ref[b]));
      }
    }
  /* float32 FFT of O(n_fft) terms: errors ~ 1e-6 relative to the largest value. */
  CHECK(worst <= 2e-5 * scale, "n_fft=%u hop=%u ch=%u center=%d output=%d: max error %g of %g",
        n_fft, hop, ch, center, output, worst, scale);
  free(x), free(w), free(out), free(seg), free(ref);
  vg_stft_destroy(st);
}

static void test_frames(void)
{
  check_config(16, 4, 1, 0, VG_WINDOW_HANN, VG_STFT_MAGNITUDE);
  check_config(16, 4, 1, 1, VG_WINDOW_HANN, VG_STFT_COMPLEX);
  check_config(64, 48, 2, 0, VG_WINDOW_HAMMING, VG_STFT_POWER);
  check_config(33, 10, 3, 1, VG_WINDOW_BLACKMAN, VG_STFT_MAGNITUDE);  /* odd n_fft */
  check_config(32, 50, 1, 0, VG_WINDOW_RECTANGULAR, VG_STFT_COMPLEX); /* hop > n_fft */
  check_config(128, 128, 2, 1, VG_WINDOW_HANN, VG_STFT_DB);
}

/* db and mel outputs honour db-floor over its whole range (-1000 to 1000 dB): silence reads the
 * floor, louder bins 10 log10(p) (or the floor above them), NaN stays NaN. The floor used to be
 * held as a float power, 0 below about -450 dB (silence gave -inf) and inf above 380 dB (every
 * value inf). */
static void test_db_floor_range(void)
{
  const double floors[] = {-1000, -450, -100, 0, 20, 400, 1000};
  const unsigned n = 16, bins = n / 2 + 1;
  float x[3 * 16], w[16], out[3 * 9];
  double seg[16], ref[9];
  for (unsigned i = 0; i < n; i++)
    x[i] = 0.0f, x[n + i] = frand(), x[2 * n + i] = i == 3 ? NAN : frand();
  vg_window_fill(VG_WINDOW_HANN, n, w, NULL);
  for (size_t f = 0; f < sizeof floors / sizeof *floors; f++) {
    for (int mel = 0; mel < 2; mel++) {
      VgStftConfig cfg;
      VgError err = {{0}};
      vg_stft_config_init(&cfg);
      cfg.n_fft = n, cfg.hop = n, cfg.estimate = 1, cfg.db_floor = floors[f];
      cfg.output = mel ? VG_STFT_MEL : VG_STFT_DB, cfg.rate = 8000, cfg.n_mels = 2;
      VgStft *st = vg_stft_create(&cfg, &err);
      CHECK(st != NULL, "db-floor=%g: %s", floors[f], err.msg);
      if (!st)
        continue;
      unsigned bands = vg_stft_bands(st);
      CHECK(vg_stft_push(st, x, 3 * n, out, NULL) == 3, "3 frames");
      for (unsigned b = 0; b < bands; b++) {
        CHECK(out[b] == (float)floors[f], "db-floor=%g mel=%d: silent band %u reads %g", floors[f],
              mel, b, out[b]);
        CHECK(isnan(out[2 * bands + b]), "db-floor=%g mel=%d: NaN input gives %g", floors[f], mel,
              out[2 * bands + b]);
      }
      if (!mel) {
        for (unsigned i = 0; i < n; i++)
          seg[i] = x[n + i];
        naive_frame(seg, w, n, VG_STFT_DB, floors[f], ref);
        for (unsigned b = 0; b < bins; b++)
          CHECK(fabs(out[bins + b] - ref[b]) < 1e-3 * fmax(1.0, fabs(ref[b])),
                "db-floor=%g: bin %u is %g, expected %g", floors[f], b, out[bins + b], ref[b]);
      }
      vg_stft_destroy(st);
    }
  }
}

static void expect_refused(VgStftConfig *cfg, const char *needle)
{
  VgError err = {{0}};
  cfg->estimate = 1;
  VgStft *st = vg_stft_create(cfg, &err);
  CHECK(st == NULL, "accepted a config that should fail with '%s'", needle);
  CHECK(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
  vg_stft_destroy(st);
}

static void test_refusals(void)
{
  VgStftConfig cfg;
  vg_stft_config_init(&cfg);
  cfg.n_fft = 1;
  expect_refused(&cfg, "n-fft=1");
  vg_stft_config_init(&cfg);
  cfg.hop = 0;
  expect_refused(&cfg, "hop=0");
  vg_stft_config_init(&cfg);
  cfg.output = VG_STFT_MEL, cfg.rate = 16000, cfg.fmax = 9000;
  expect_refused(&cfg, "Nyquist");
  vg_stft_config_init(&cfg);
  cfg.output = VG_STFT_MEL, cfg.rate = 16000, cfg.n_fft = 64, cfg.n_mels = 40;
  expect_refused(&cfg, "too many");
  vg_stft_config_init(&cfg);
  cfg.output = VG_STFT_MEL, cfg.rate = 16000, cfg.fmin = 4000, cfg.fmax = 3000;
  expect_refused(&cfg, "fmin");
}

/* Signals with periods of 32 and 8 samples (bins 16 and 64 of n_fft 512) and a weaker 100-sample
 * one between bins: the two strong periods come first, in order of amplitude. */
static void test_periods(void)
{
  VgStftConfig cfg;
  VgError err = {{0}};
  vg_stft_config_init(&cfg);
  cfg.n_fft = 512, cfg.hop = 256, cfg.estimate = 1;
  VgStft *st = vg_stft_create(&cfg, &err);
  VgPeriods *p = vg_periods_create(512, &err);
  CHECK(st && p, "create: %s", err.msg);
  if (!st || !p) {
    vg_stft_destroy(st);
    vg_periods_destroy(p);
    return;
  }
  const size_t n = 4096;
  float *x = malloc(n * sizeof *x), *out = malloc(16 * 257 * sizeof *out);
  float *amp = malloc(16 * 257 * sizeof *amp);
  for (size_t i = 0; i < n; i++)
    x[i] = 0.5f * sinf(2 * M_PI * i / 32) + 1.0f * sinf(2 * M_PI * i / 8 + 0.3) +
           0.2f * sinf(2 * M_PI * i / 100);
  size_t frames = vg_stft_push(st, x, n, out, amp);
  for (size_t f = 0; f < frames; f++)
    vg_periods_add(p, amp + f * 257);
  VgPeriod top[3];
  unsigned k = vg_periods_top(p, 3, top);
  CHECK(k == 3, "got %u periods", k);
  CHECK(top[0].bin == 64 && fabs(top[0].period - 8.0) < 1e-12, "first period %g", top[0].period);
  CHECK(top[1].bin == 16 && fabs(top[1].period - 32.0) < 1e-12, "second period %g", top[1].period);
  CHECK(top[2].bin == 5, "third period bin %u (expected 5: 512/100 = 5.12)", top[2].bin);
  /* Hann-windowed sine on a bin: |X| = A * n_fft / 4. */
  CHECK(fabs(top[0].amplitude - 128.0) < 0.1, "amplitude %g", top[0].amplitude);
  vg_periods_reset(p);
  CHECK(vg_periods_top(p, 3, top) == 0, "no periods after reset");
  free(x), free(out), free(amp);
  vg_stft_destroy(st);
  vg_periods_destroy(p);
}

static void test_mel_bank(void)
{
  VgError err;
  CHECK(fabs(vg_hz_to_mel(1000.0) - 15.0) < 1e-12, "1 kHz is mel 15");
  CHECK(fabs(vg_mel_to_hz(vg_hz_to_mel(3456.0)) - 3456.0) < 1e-9, "mel round trip");
  VgMel *mel = vg_mel_create(512, 16000, 40, 0, 8000, &err);
  CHECK(mel && vg_mel_bands(mel) == 40, "mel bank");
  if (!mel)
    return;
  /* Slaney normalisation: each filter has unit area in Hz, so on a flat power spectrum of 1 the
   * band energy is about 1 / bin_hz (sum of weights times bin spacing = area = 1). */
  float flat[257], out[40];
  for (int i = 0; i < 257; i++)
    flat[i] = 1.0f;
  vg_mel_apply(mel, flat, out);
  for (int i = 5; i < 40; i++) /* narrow low bands are sampled by few bins: skip them */
    CHECK(fabs(out[i] * (16000.0 / 512) - 1.0) < 0.05, "band %d area %g", i,
          out[i] * (16000.0 / 512));
  vg_mel_destroy(mel);
}

int main(void)
{
  test_windows();
  test_frames();
  test_db_floor_range();
  test_refusals();
  test_periods();
  test_mel_bank();
  printf("%s\n", failures ? "FAILED" : "all passed");
  return failures ? 1 : 0;
}
