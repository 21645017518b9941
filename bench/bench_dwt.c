/* Benchmark of the streaming wavelet kernels alone: 60 s of 48 kHz audio pushed in 1024-frame
 * buffers through vg_dwt (db4, 5 levels) and vg_swt (db4, 5 levels). Prints the median time of
 * repeated runs; bench/bench_dwt.py compares it with PyWavelets and the whole element.
 * Usage: bench_dwt [wavelet] [levels] [repeats]
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dwt/vg_dwt.h"
#include "dwt/vg_swt.h"

#define RATE    48000
#define SECONDS 60
#define BLOCK   1024

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  const char *name = argc > 1 ? argv[1] : "db4";
  unsigned levels = argc > 2 ? (unsigned)atoi(argv[2]) : 5;
  int repeats = argc > 3 ? atoi(argv[3]) : 7;
  size_t n = (size_t)RATE * SECONDS;
  VgWavelet w;
  VgError err = {{0}};
  if (vg_wavelet_init(&w, name, &err) != VG_OK) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  float *x = malloc(n * sizeof(float)), *y = malloc((size_t)BLOCK * (levels + 1) * sizeof(float));
  float *tens[VG_DWT_MAX_LEVELS + 1];
  for (size_t i = 0; i < n; i++)
    x[i] = (float)((i * 2654435761u) % 65536) / 32768.0f - 1.0f;
  VgDwt *d = vg_dwt_create(&w, levels, 1, &err);
  VgSwt *s = vg_swt_create(&w, levels, 1, &err);
  if (!d || !s || !x || !y) {
    fprintf(stderr, "setup failed: %s\n", err.msg);
    return 1;
  }
  for (unsigned t = 0; t <= levels; t++)
    tens[t] = malloc((BLOCK + 64) * sizeof(float));
  double td[64], ts[64];
  repeats = repeats < 1 ? 1 : repeats > 64 ? 64 : repeats;
  for (int r = 0; r < repeats; r++) {
    size_t out;
    double t0 = now();
    for (size_t i = 0; i < n; i += BLOCK)
      vg_dwt_push(d, x + i, n - i < BLOCK ? n - i : BLOCK, tens, &out);
    vg_dwt_flush(d, tens, &out);
    double t1 = now();
    for (size_t i = 0; i < n; i += BLOCK)
      vg_swt_push(s, x + i, n - i < BLOCK ? n - i : BLOCK, y);
    vg_swt_reset(s);
    double t2 = now();
    td[r] = t1 - t0;
    ts[r] = t2 - t1;
  }
  qsort(td, repeats, sizeof(double), cmp);
  qsort(ts, repeats, sizeof(double), cmp);
  printf("kernel dwt %s levels=%u: median %.2f ms for %d s of %d Hz audio\n", name, levels,
         td[repeats / 2] * 1e3, SECONDS, RATE);
  printf("kernel swt %s levels=%u: median %.2f ms\n", name, levels, ts[repeats / 2] * 1e3);
  for (unsigned t = 0; t <= levels; t++)
    free(tens[t]);
  vg_dwt_destroy(d);
  vg_swt_destroy(s);
  free(x);
  free(y);
  return 0;
}
