/* Test harness for the streaming engine: runs a model over a raw stream and writes every window's
 * output, so Python tests can compare each window against PyTorch.
 *
 *   stream_check MODEL.onnx IN.f32 OUT.f32 --window W --hop H --mode exact|signal|full
 *                [--chunk N] [--reset-after N]
 *
 * IN: float32 frames, time-major (T x C*F). OUT: the outputs of windows 0, 1, ... back to back,
 * each in ONNX order without the batch axis. --chunk pushes N frames at a time (default: varying
 * sizes 1, 2, 3, ... to exercise partial pushes). --reset-after N pushes the first N frames, resets
 * the stream and then pushes the whole input from the start: OUT must equal a run without reset. IN
 * = "-" only prints the plan's alignment, phases and whether signal mode is exact; otherwise it
 * also prints how many columns came from deferred taps (kernels/stream/vg_defer.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_ops.h"
#include "vg_stream.h"

static int write_output(void *user, int64_t index, const float *out, const float *in)
{
  void **u = user;
  FILE *f = u[0];
  const VgStream *s = u[1];
  (void)index;
  (void)in;
  return fwrite(out, sizeof(float), (size_t)vg_stream_output_values(s), f) ==
                 (size_t)vg_stream_output_values(s)
             ? VG_OK
             : VG_ERR;
}

static float *read_all(const char *path, long *n_floats)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long bytes = ftell(f);
  fseek(f, 0, SEEK_SET);
  float *d = malloc((size_t)bytes + 4);
  if (d && fread(d, 1, (size_t)bytes, f) != (size_t)bytes) {
    free(d);
    d = NULL;
  }
  fclose(f);
  *n_floats = bytes / 4;
  return d;
}

static int push_all(VgStream *s, const float *x, int64_t frames, int64_t chunk, void *u,
                    VgError *err)
{
  int64_t width = vg_stream_frame_values(s), pos = 0, step = 1;
  while (pos < frames) {
    int64_t n = chunk > 0 ? chunk : step++;
    if (n > frames - pos)
      n = frames - pos;
    if (vg_stream_push(s, x + pos * width, n, u ? write_output : NULL, u, err) != VG_OK)
      return VG_ERR;
    pos += n;
    if (step > 7)
      step = 1;
  }
  return VG_OK;
}

int main(int argc, char **argv)
{
  if (argc < 4) {
    fprintf(stderr, "usage: stream_check MODEL IN OUT --window W --hop H --mode M\n");
    return 2;
  }
  long long window = 0, hop = 0, chunk = 0, reset_after = -1;
  VgStreamMode mode = VG_STREAM_EXACT;
  for (int i = 4; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--window"))
      window = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--hop"))
      hop = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--chunk"))
      chunk = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--reset-after"))
      reset_after = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--mode"))
      mode = !strcmp(argv[i + 1], "signal") ? VG_STREAM_SIGNAL
             : !strcmp(argv[i + 1], "full") ? VG_STREAM_FULL
                                            : VG_STREAM_EXACT;
  }
  VgError err = {{0}};
  VgModel *m = vg_model_load_file_at(argv[1], window, &err); /* a dynamic time axis: W */
  if (!m || vg_ops_prepare(m, &err) != VG_OK) {
    fprintf(stderr, "stream_check: %s\n", err.msg);
    return 1;
  }
  VgStream *s = vg_stream_create(m, window, hop, mode, &err);
  if (!s) {
    fprintf(stderr, "stream_check: %s\n", err.msg);
    vg_model_free(m);
    return 1;
  }
  const VgPlan *plan = vg_stream_plan(s);
  printf("align=%lld phases=%lld signal_is_exact=%d\n", (long long)plan->align,
         (long long)plan->phases, plan->signal_is_exact);
  if (!strcmp(argv[2], "-")) { /* plan only */
    vg_stream_destroy(s);
    vg_model_free(m);
    return 0;
  }
  long n_floats = 0;
  float *x = read_all(argv[2], &n_floats);
  FILE *out = fopen(argv[3], "wb");
  int rc = 1;
  if (x && out) {
    void *u[2] = {out, s};
    int64_t frames = n_floats / vg_stream_frame_values(s);
    rc = 0;
    if (reset_after >= 0) {
      rc = push_all(s, x, reset_after < frames ? reset_after : frames, chunk, NULL, &err);
      vg_stream_reset(s);
    }
    if (rc == VG_OK)
      rc = push_all(s, x, frames, chunk, u, &err);
    if (rc != VG_OK)
      fprintf(stderr, "stream_check: %s\n", err.msg);
    printf("deferred=%lld\n", (long long)vg_stream_deferred_columns(s));
    rc = rc == VG_OK ? 0 : 1;
  } else {
    fprintf(stderr, "stream_check: cannot read %s or write %s\n", argv[2], argv[3]);
  }
  if (out)
    fclose(out);
  free(x);
  vg_stream_destroy(s);
  vg_model_free(m);
  return rc;
}
