/* Benchmark of the STFT kernel alone (no pipeline): 60 s of 48 kHz mono, n-fft 1024, hop 512,
 * magnitude, pushed in 1024-sample blocks. Prints the median over repeated runs, in ms.
 * Usage: bench_stft_kernel [runs] [estimate]. Run by bench/bench_stft.py (docs/benchmarks.md).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stft/vg_stft.h"

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  int runs = argc > 1 ? atoi(argv[1]) : 7;
  const size_t n = 60 * 48000, block = 1024;
  VgStftConfig cfg;
  VgError err = {{0}};
  vg_stft_config_init(&cfg);
  cfg.estimate = argc > 2 && strcmp(argv[2], "estimate") == 0;
  double c0 = now_ms();
  VgStft *st = vg_stft_create(&cfg, &err);
  double create_ms = now_ms() - c0;
  float *x = malloc(n * sizeof *x);
  float *out = malloc((block / cfg.hop + 2) * (st ? vg_stft_frame_values(st) : 1) * sizeof *out);
  double *times = malloc(runs * sizeof *times);
  if (!st || !x || !out || !times || runs < 1) {
    fprintf(stderr, "bench_stft_kernel: %s\n", st ? "out of memory" : err.msg);
    return 1;
  }
  unsigned s = 1;
  for (size_t i = 0; i < n; i++) {
    s = s * 1103515245u + 12345u;
    x[i] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f;
  }
  size_t frames = 0;
  for (int r = 0; r < runs; r++) {
    vg_stft_reset(st);
    frames = 0;
    double t0 = now_ms();
    for (size_t i = 0; i < n; i += block)
      frames += vg_stft_push(st, x + i, n - i < block ? n - i : block, out, NULL);
    times[r] = now_ms() - t0;
  }
  qsort(times, runs, sizeof *times, cmp_double);
  printf("%.3f ms median of %d runs, %zu frames; create (FFTW %s planning) %.1f ms\n",
         times[runs / 2], runs, frames, cfg.estimate ? "estimate" : "measure", create_ms);
  vg_stft_destroy(st);
  free(x), free(out), free(times);
  return 0;
}
