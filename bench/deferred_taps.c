/* Deferred taps: a measurement for a possible streaming-engine change (not used by the engine).
 *
 *   deferred_taps [HOPS]
 *
 * A conv of K taps that makes one output column per hop (the EEG-like model's 128 -> 128, k16
 * conv, docs/benchmarks.md) reads all of its weights for every column: a matrix-vector product,
 * bound by how fast 1 MB of weights arrives. But y[t] = sum_k W_k x[t - K + 1 + k], and the taps
 * k <= K - B read only columns that exist B - 1 hops before t. So once every B hops those taps can
 * be applied to B future outputs at once (one pass over their weights for B columns), leaving the
 * B - 1 newest taps to each hop: (K - B + 1) / B + (B - 1) tap-weights per hop instead of K, with
 * no output delayed. This program times both per hop, with 400 kB of other weights read between
 * hops as the model's other convs do, and checks that they agree.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conv_simd.h"

#define C     128 /* input and output channels */
#define K     16  /* taps */
#define B     4   /* outputs per deferred pass */
#define BLK   (C / VG_UK_CO)
#define OTHER (100 * 1024) /* floats of other weights read per hop (400 kB) */

static double now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The conv over taps [k0, k0 + taps) for `rows` consecutive output columns; x points at the first
 * row's first tap column. */
static void conv(const float *w, const float *x, int k0, int taps, int rows, float *y)
{
  for (int b = 0; b < BLK; b++)
    vg_conv_kernels()->uk(x + k0 * C, C, C, taps, C, w + ((size_t)b * K + k0) * C * VG_UK_CO, NULL,
                          rows, y + b * VG_UK_CO, C, VG_UK_CO, 0);
}

int main(int argc, char **argv)
{
  long hops = argc > 1 ? atol(argv[1]) : 20000;
  if (!vg_conv_simd_available() || hops < B) {
    fprintf(stderr, "deferred_taps: needs AVX-512 and HOPS >= %d\n", B);
    return 1;
  }
  size_t cols = (size_t)hops + K + B;
  float *w = aligned_alloc(64, sizeof(float) * BLK * K * C * VG_UK_CO);
  float *other = aligned_alloc(64, sizeof(float) * OTHER);
  float *x = malloc(sizeof(float) * cols * C);
  float *ya = malloc(sizeof(float) * C), *yb = malloc(sizeof(float) * C);
  float *part = malloc(sizeof(float) * B * C), *now = malloc(sizeof(float) * C);
  if (!w || !other || !x || !ya || !yb || !part || !now)
    return 1;
  srand(1);
  for (size_t i = 0; i < (size_t)BLK * K * C * VG_UK_CO; i++)
    w[i] = (float)rand() / (float)RAND_MAX - 0.5f;
  for (size_t i = 0; i < cols * C; i++)
    x[i] = (float)rand() / (float)RAND_MAX - 0.5f;
  for (size_t i = 0; i < OTHER; i++)
    other[i] = 1.0f;
  double ta = 0, tb = 0, tpass = 0;
  volatile float sink = 0; /* the reads of `other` must happen */
  (void)sink;
  for (long h = 0; h < hops; h++) {
    const float *win = x + (size_t)h * C;  /* window of output h: columns h .. h + K - 1 */
    for (size_t i = 0; i < OTHER; i += 16) /* the hop's other convs evict part of the cache */
      sink += other[i];
    double t0 = now_us();
    conv(w, win, 0, K, 1, ya); /* today: all K taps for the one new column */
    double t1 = now_us();
    for (size_t i = 0; i < OTHER; i += 16)
      sink += other[i];
    double t2 = now_us();
    if (h % B == 0) /* taps 0 .. K - B of outputs h .. h + B - 1 read columns up to h + K - B */
      conv(w, win, 0, K - B + 1, B, part);
    conv(w, win, K - B + 1, B - 1, 1, now); /* the newest B - 1 taps of output h */
    for (int o = 0; o < C; o++)
      yb[o] = part[(h % B) * C + o] + now[o];
    double t3 = now_us();
    if (h >= B) { /* past the cold start */
      ta += t1 - t0;
      tb += t3 - t2;
      tpass += h % B == 0 ? t3 - t2 : 0;
    }
    for (int o = 0; o < C; o++)
      if (fabsf(ya[o] - yb[o]) > 1e-4f * (1.0f + fabsf(ya[o]))) {
        fprintf(stderr, "deferred_taps: output %ld channel %d differs: %g vs %g\n", h, o, ya[o],
                yb[o]);
        return 1;
      }
  }
  long n = hops - B;
  printf("k%d %d->%d, one column per hop, %d outputs per deferred pass (%ld hops, checked):\n", K,
         C, C, B, hops);
  printf("  all taps per hop  %.2f us mean\n", ta / n);
  printf("  deferred taps     %.2f us mean; the hops with the pass %.2f us mean\n", tb / n,
         tpass / (double)((hops - 1) / B));
  printf("  ratio %.2f (weights read per hop: %d taps against %.2f)\n", ta / tb, K,
         (double)(K - B + 1) / B + (B - 1));
  free(w);
  free(other);
  free(x);
  free(ya);
  free(yb);
  free(part);
  free(now);
  return 0;
}
