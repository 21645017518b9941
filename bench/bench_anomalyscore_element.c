/* Benchmark of the anomalyscore element through GstHarness: frames/s per method with 1 frame per
 * buffer (NNStreamer's convention, where per-buffer costs dominate) and 64 frames per buffer,
 * against the kernel alone in the same process (the element's overhead is the ratio).
 *
 * Usage: bench_anomalyscore_element [channels=8] [frames=100000] [repeats=5]
 * Needs the plugin: GST_PLUGIN_PATH=build/plugins.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstharness.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "anomaly/vg_anomaly.h"

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double run_element(const char *method, const float *x, guint k, guint frames, guint per)
{
  gchar *desc = g_strdup_printf("anomalyscore method=%s window=256 warmup=100", method);
  GError *error = NULL;
  GstElement *e = gst_parse_launch(desc, &error);
  g_free(desc);
  if (!e) {
    g_printerr("%s\n", error->message);
    exit(1);
  }
  GstHarness *h = gst_harness_new_with_element(e, "sink", "src");
  gst_object_unref(e);
  gchar *caps = g_strdup_printf("other/tensors, format=static, num_tensors=1, types=float32, "
                                "dimensions=%u, framerate=100/1",
                                k);
  gst_harness_set_src_caps_str(h, caps);
  g_free(caps);
  double t0 = now();
  for (guint f = 0; f + per <= frames; f += per) {
    GstBuffer *buf = gst_buffer_new_memdup(x + (gsize)f * k, (gsize)per * k * sizeof(float));
    GST_BUFFER_PTS(buf) = f * (GST_SECOND / 100);
    GST_BUFFER_DURATION(buf) = per * (GST_SECOND / 100);
    gst_harness_push(h, buf);
    gst_buffer_unref(gst_harness_pull(h));
  }
  double t = now() - t0;
  gst_harness_teardown(h);
  return t;
}

static double run_kernel(VgAnomalyMethod m, const float *x, guint k, guint frames)
{
  VgAnomalyConfig cfg;
  vg_anomaly_config_default(&cfg, k);
  cfg.method = m;
  cfg.window = 256;
  VgAnomaly *a = vg_anomaly_create(&cfg, NULL);
  VgAnomalyResult r;
  double t0 = now();
  for (guint f = 0; f < frames; f++)
    vg_anomaly_push(a, x + (gsize)f * k, f, &r);
  double t = now() - t0;
  vg_anomaly_destroy(a);
  return t;
}

int main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  guint k = argc > 1 ? atoi(argv[1]) : 8;
  guint frames = argc > 2 ? atoi(argv[2]) : 100000;
  int repeats = argc > 3 ? atoi(argv[3]) : 5;
  if (k == 0 || frames < 64 || repeats < 1 || repeats > 32)
    return 2;
  float *x = malloc((gsize)frames * k * sizeof *x);
  for (gsize i = 0; i < (gsize)frames * k; i++)
    x[i] = (float)((i * 2654435761u) % 1000u) / 1000.0f;
  const char *names[] = {"threshold", "zscore", "mad", "likelihood"};
  printf("anomalyscore element: %u channels, %u frames, median of %d runs (CPU time)\n", k, frames,
         repeats);
  printf("%-11s %14s %14s %14s %10s\n", "method", "kernel Mf/s", "1/buf Mf/s", "64/buf Mf/s",
         "64/buf vs kernel");
  for (int m = 0; m < 4; m++) {
    double tk[32], t1[32], t64[32];
    for (int r = 0; r < repeats; r++) {
      tk[r] = run_kernel((VgAnomalyMethod)m, x, k, frames);
      t1[r] = run_element(names[m], x, k, frames / 10, 1) * 10.0; /* 1/buf is slow: a tenth */
      t64[r] = run_element(names[m], x, k, frames, 64);
    }
    qsort(tk, repeats, sizeof(double), cmp);
    qsort(t1, repeats, sizeof(double), cmp);
    qsort(t64, repeats, sizeof(double), cmp);
    double a = tk[repeats / 2], b = t1[repeats / 2], c = t64[repeats / 2];
    printf("%-11s %14.2f %14.3f %14.2f %9.2fx\n", names[m], frames / a * 1e-6, frames / b * 1e-6,
           frames / c * 1e-6, c / a);
  }
  free(x);
  return 0;
}
