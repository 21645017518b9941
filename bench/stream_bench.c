/* Per-hop time of the streaming engine in one mode, and peak memory over a long stream.
 *
 *   stream_bench MODEL.onnx --window W --hop H --mode exact|signal|full [--hops N] [--threads T]
 *
 * Pushes random frames one hop at a time (after the first window) and times each push that
 * completes a window (the last 1000 hops are kept); prints one line "mode=.. window=.. hop=..
 * hops=N median_us=.. mean_us=.. amortised_us=.. flop_ratio=.. rss_kb=.. deferred=..".
 * bench/stream_bench.py drives it
 * (docs/benchmarks.md).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vg_ops.h"
#include "vg_stream.h"

static double now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Peak resident memory of this process image, in kB: VmHWM (ru_maxrss would also count the
 * parent's pages when a large process, e.g. Python with PyTorch, forked us). */
/* A /proc/self/status field in kB (-1 if absent). */
static long status_kb(const char *field)
{
  char line[256], fmt[64];
  long kb = -1;
  snprintf(fmt, sizeof(fmt), "%s: %%ld kB", field);
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  while (fgets(line, sizeof(line), f))
    if (sscanf(line, fmt, &kb) == 1)
      break;
  fclose(f);
  return kb;
}

static volatile float sink;
static int consume(void *user, int64_t index, const float *out, const float *in)
{
  (void)user;
  (void)index;
  (void)in;
  sink += out[0];
  return VG_OK;
}

int main(int argc, char **argv)
{
  long long window = 0, hop = 0, hops = 200, threads = 1;
  VgStreamMode mode = VG_STREAM_EXACT;
  if (argc < 2) {
    fprintf(stderr, "usage: stream_bench MODEL --window W --hop H --mode M [--hops N]\n");
    return 2;
  }
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--window"))
      window = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--hop"))
      hop = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--hops"))
      hops = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--threads"))
      threads = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--mode"))
      mode = !strcmp(argv[i + 1], "signal") ? VG_STREAM_SIGNAL
             : !strcmp(argv[i + 1], "full") ? VG_STREAM_FULL
                                            : VG_STREAM_EXACT;
  }
  VgError err = {{0}};
  vg_ops_set_threads((int)threads);
  VgModel *m = vg_model_load_file(argv[1], &err);
  if (!m || vg_ops_prepare(m, &err) != VG_OK) {
    fprintf(stderr, "stream_bench: %s\n", err.msg);
    return 1;
  }
  VgStream *s = vg_stream_create(m, window, hop, mode, &err);
  if (!s) {
    fprintf(stderr, "stream_bench: %s\n", err.msg);
    return 1;
  }
  int64_t width = vg_stream_frame_values(s);
  /* a fixed block of random frames, reused: the stream's cost does not depend on the values */
  int64_t block = window * 4;
  float *x = malloc(sizeof(float) * (size_t)(block * width));
  /* the last (at most) 1000 hop times: the same bookkeeping for short and long streams, so that
   * the peak RSS of both compares the engine alone */
  long long kept = hops < 1000 ? hops : 1000;
  double *t = malloc(sizeof(double) * 1000);
  if (!x || !t)
    return 1;
  srand(1);
  for (int64_t i = 0; i < block * width; i++)
    x[i] = (float)rand() / (float)RAND_MAX - 0.5f;
  int64_t pos = 0;
  vg_stream_push(s, x, window - hop, NULL, NULL, &err);
  pos = window - hop;
  for (long long h = 0; h < hops; h++) {
    if (pos + hop > block)
      pos = 0;
    double t0 = now_us();
    if (vg_stream_push(s, x + pos * width, hop, consume, NULL, &err) != VG_OK) {
      fprintf(stderr, "stream_bench: %s\n", err.msg);
      return 1;
    }
    t[h % 1000] = now_us() - t0;
    pos += hop;
  }
  double mean = 0, amortised = 0;
  for (long long h = 0; h < kept; h++)
    mean += t[h] / (double)kept;
  qsort(t, (size_t)kept, sizeof(double), cmp_double);
  /* The cost per hop that a stream pays: the mean, so that work done once every few hops (a
   * deferred-tap pass, kernels/stream/vg_defer.h, every 2-16 hops) counts, but without the slowest
   * 1 % of hops, where the shared machine took the core away. The median would hide such passes. */
  long long fast = kept - kept / 100;
  for (long long h = 0; h < fast; h++)
    amortised += t[h] / (double)fast;
  const VgPlan *p = vg_stream_plan(s);
  /* p99: a live pipeline's latency budget is set by its slow hops (history moves, see
   * vg_history.c), which the median does not show */
  printf("mode=%s window=%lld hop=%lld hops=%lld median_us=%.2f mean_us=%.2f amortised_us=%.2f "
         "p99_us=%.2f flop_ratio=%.3f state_bytes=%lld rss_kb=%ld own_kb=%ld deferred=%lld\n",
         vg_stream_mode_name(mode), window, hop, hops, t[kept / 2], mean, amortised,
         t[kept * 99 / 100], p->flops_full / p->flops_hop, (long long)p->state_bytes,
         status_kb("VmHWM"),
         /* the process's own memory (heap, stacks, the histories' shared ring): peak RSS also
          * counts the shared libraries' pages, which vary by 100-odd kB from run to run */
         status_kb("RssAnon") + status_kb("RssShmem"), (long long)vg_stream_deferred_columns(s));
  free(x);
  free(t);
  vg_stream_destroy(s);
  vg_model_free(m);
  return 0;
}
