/* Benchmark of the anomaly-scoring kernel (kernels/anomaly/vg_anomaly.h): frames/s and
 * channel-frames/s of each method, medians of repeated runs, against two baselines measured in the
 * same process: a pass that only reads every value (the memory floor), and for MAD a naive
 * median/MAD that sorts the window every frame.
 *
 * Usage: bench_anomaly [channels=8] [frames=200000] [repeats=7] [window=256]
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anomaly/vg_anomaly.h"
#include "anomaly/vg_median.h"

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int cmp_float(const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

static double median_of(double *v, size_t n)
{
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static volatile double sink;

/* Baseline: read every value once (max over channels), nothing else. */
static double run_floor(const float *x, size_t frames, size_t k)
{
  double t0 = now(), acc = 0.0;
  for (size_t f = 0; f < frames; f++) {
    float m = x[f * k];
    for (size_t c = 1; c < k; c++)
      m = x[f * k + c] > m ? x[f * k + c] : m;
    acc += m;
  }
  sink = acc;
  return now() - t0;
}

/* Baseline for MAD: sort the window of each channel every frame (what the sliding structure
 * avoids). Same scores as method=mad with that window. */
static double run_naive_mad(const float *x, size_t frames, size_t k, size_t w)
{
  double *tmp = malloc(w * sizeof *tmp);
  float *win = malloc(w * sizeof *win);
  double t0 = now(), acc = 0.0;
  for (size_t f = 0; f < frames; f++) {
    double best = 0.0;
    for (size_t c = 0; c < k; c++) {
      size_t n = f < w ? f : w;
      if (n == 0)
        continue;
      for (size_t i = 0; i < n; i++)
        win[i] = x[(f - n + i) * k + c];
      qsort(win, n, sizeof *win, cmp_float);
      for (size_t i = 0; i < n; i++)
        tmp[i] = win[i];
      double med = median_of(tmp, n);
      for (size_t i = 0; i < n; i++)
        tmp[i] = fabs(tmp[i] - med);
      qsort(tmp, n, sizeof *tmp, cmp_double);
      double sd = 1.4826 * median_of(tmp, n) + 1e-12;
      double s = fabs(x[f * k + c] - med) / sd;
      best = s > best ? s : best;
    }
    acc += best;
  }
  sink = acc;
  free(tmp);
  free(win);
  return now() - t0;
}

static double run_method(const VgAnomalyConfig *cfg, const float *x, size_t frames)
{
  VgError err;
  VgAnomaly *a = vg_anomaly_create(cfg, &err);
  if (!a) {
    fprintf(stderr, "bench: %s\n", err.msg);
    exit(1);
  }
  VgAnomalyResult r;
  double t0 = now(), acc = 0.0;
  for (size_t f = 0; f < frames; f++) {
    vg_anomaly_push(a, x + f * cfg->channels, (int64_t)f, &r);
    acc += r.score;
  }
  double t = now() - t0;
  sink = acc;
  vg_anomaly_destroy(a);
  return t;
}

/* The sliding median/MAD alone (push, median, MAD per channel-frame, as method=mad does) with
 * `block` values per block (0: the automatic layout). */
static double run_median(const float *x, size_t frames, size_t k, size_t w, size_t block)
{
  VgSlidingMedian *m[64];
  VgError err;
  for (size_t c = 0; c < k; c++)
    if (!(m[c] = vg_sliding_median_create_blocked(w, block, &err))) {
      fprintf(stderr, "bench: %s\n", err.msg);
      exit(1);
    }
  double t0 = now(), acc = 0.0;
  for (size_t f = 0; f < frames; f++)
    for (size_t c = 0; c < k; c++) {
      acc += vg_sliding_median_median(m[c]) + vg_sliding_median_mad(m[c]);
      vg_sliding_median_push(m[c], x[f * k + c]);
    }
  double t = now() - t0;
  sink = acc;
  for (size_t c = 0; c < k; c++)
    vg_sliding_median_destroy(m[c]);
  return t;
}

static int cmp_time(const void *a, const void *b)
{
  return cmp_double(a, b);
}

typedef struct {
  const char *name;
  VgAnomalyMethod method;
  size_t window;
} Case;

int main(int argc, char **argv)
{
  size_t k = argc > 1 ? strtoul(argv[1], NULL, 10) : 8;
  size_t frames = argc > 2 ? strtoul(argv[2], NULL, 10) : 200000;
  int repeats = argc > 3 ? atoi(argv[3]) : 7;
  size_t w = argc > 4 ? strtoul(argv[4], NULL, 10) : 256;
  if (k == 0 || frames < 2 || repeats < 1 || w == 0 || repeats > 99)
    return fprintf(stderr, "usage: bench_anomaly [channels] [frames] [repeats] [window]\n"), 2;
  float *x = malloc(frames * k * sizeof *x);
  if (!x)
    return 1;
  unsigned s = 12345;
  for (size_t i = 0; i < frames * k; i++) {
    s = s * 1103515245u + 12345u;
    x[i] = (float)((s >> 8) & 0xffff) / 65536.0f + (float)(i % k);
  }
  const Case cases[] = {
      {"threshold", VG_ANOMALY_THRESHOLD, 0},       {"zscore (cumulative)", VG_ANOMALY_ZSCORE, 0},
      {"zscore (ewma)", VG_ANOMALY_ZSCORE, w},      {"mad", VG_ANOMALY_MAD, w},
      {"likelihood", VG_ANOMALY_LIKELIHOOD, w * 4},
  };
  double times[100];
  for (int r = 0; r < repeats; r++)
    times[r] = run_floor(x, frames, k);
  qsort(times, repeats, sizeof *times, cmp_time);
  double floor_t = times[repeats / 2];
  printf("bench_anomaly: %zu channels, %zu frames, median of %d runs, window %zu\n", k, frames,
         repeats, w);
  printf("%-22s %12s %16s %12s\n", "method", "Mframes/s", "Mchannel-frames/s", "vs read-only");
  printf("%-22s %12.2f %16.1f %12s\n", "(read-only floor)", frames / floor_t * 1e-6,
         frames * k / floor_t * 1e-6, "1.00x");
  double mad_t = 0.0;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    VgAnomalyConfig cfg;
    vg_anomaly_config_default(&cfg, k);
    cfg.method = cases[c].method;
    cfg.window = cases[c].window;
    cfg.warmup = 100;
    for (int r = 0; r < repeats; r++)
      times[r] = run_method(&cfg, x, frames);
    qsort(times, repeats, sizeof *times, cmp_time);
    double t = times[repeats / 2];
    if (cases[c].method == VG_ANOMALY_MAD)
      mad_t = t;
    printf("%-22s %12.2f %16.1f %11.2fx\n", cases[c].name, frames / t * 1e-6, frames * k / t * 1e-6,
           t / floor_t);
  }
  /* the sliding median alone, automatic layout against one sorted array (one block of the
   * window rounded up to a power of two: the layout used up to 2048 values), alternating runs */
  if (k <= 64) {
    size_t one = 8;
    while (one < w)
      one *= 2;
    double auto_t[100], one_t[100];
    for (int r = 0; r < repeats; r++) {
      auto_t[r] = run_median(x, frames, k, w, 0);
      one_t[r] = run_median(x, frames, k, w, one);
    }
    qsort(auto_t, repeats, sizeof *auto_t, cmp_time);
    qsort(one_t, repeats, sizeof *one_t, cmp_time);
    printf("%-22s %12.2f %16.1f\n", "median+MAD (layout)", frames / auto_t[repeats / 2] * 1e-6,
           frames * k / auto_t[repeats / 2] * 1e-6);
    printf("%-22s %12.2f %16.1f   layout is %.2fx the sorted array\n", "median+MAD (1 array)",
           frames / one_t[repeats / 2] * 1e-6, frames * k / one_t[repeats / 2] * 1e-6,
           one_t[repeats / 2] / auto_t[repeats / 2]);
  }
  /* the naive MAD on a tenth of the frames (it is slow), scaled; BENCH_NO_NAIVE=1 skips it */
  if (getenv("BENCH_NO_NAIVE")) {
    free(x);
    return 0;
  }
  size_t nf = frames / 10 > 2 ? frames / 10 : frames;
  for (int r = 0; r < 3; r++)
    times[r] = run_naive_mad(x, nf, k, w) * ((double)frames / nf);
  qsort(times, 3, sizeof *times, cmp_time);
  printf("%-22s %12.2f %16.1f   mad is %.1fx faster\n", "mad, sort per frame",
         frames / times[1] * 1e-6, frames * k / times[1] * 1e-6, times[1] / mad_t);
  free(x);
  return 0;
}
