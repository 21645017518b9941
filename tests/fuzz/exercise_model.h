/* What the loader's fuzz target (fuzz_onnx.c) and its in-process mutation test
 * (tests/unit/test_onnx_mutate.c) do with a model that loaded: shape inference at several lengths
 * (tiny, the model's own, longer) and the time dependencies of every time-local node; then, for a
 * small model, one window through the executor and a short stream in each mode; then free it.
 * A crash, a sanitizer report or a leak here is a bug of the loader or of a kernel.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VIGIL_EXERCISE_MODEL_H
#define VIGIL_EXERCISE_MODEL_H

#include <stdint.h>
#include <stdlib.h>

#include "vg_exec.h"
#include "vg_model.h"
#include "vg_ops.h"
#include "vg_plan_priv.h"
#include "vg_stream.h"

/* Models above this many FLOPs a window are not run (each fuzz input must stay fast). */
#ifndef VIGIL_EXERCISE_MAX_FLOPS
#define VIGIL_EXERCISE_MAX_FLOPS 2e6
#endif

/* FLOPs of a window of t_in steps (0 when its shapes do not fit). */
static double window_flops(const VgModel *m, int64_t t_in, VgShape *s)
{
  VgError err = {{0}};
  double flops = 0;
  if (vg_model_infer_shapes(m, t_in, s, &err) != VG_OK)
    return 0;
  for (int i = 0; i < m->n_nodes; i++)
    flops += vg_plan_node_flops(m, &m->nodes[i], s);
  return flops;
}

/* Inference on a model small enough to run fast: the window executor on one window, the streaming
 * engine on a few hops in each mode. The kernels then meet whatever geometry the loader accepts.
 * Errors are fine (a refusal at prepare or plan time); crashes and sanitizer reports are not. */
static void exercise_run(VgModel *m, int64_t t0, VgShape *s)
{
  VgError err = {{0}};
  if (t0 < 1 || t0 > 512 || window_flops(m, t0, s) > VIGIL_EXERCISE_MAX_FLOPS ||
      vg_ops_prepare(m, &err) != VG_OK)
    return;
  VgExec *x = vg_exec_create(m, t0, &err);
  if (x) {
    float *in = calloc((size_t)vg_exec_input_floats(x), sizeof(float));
    float *out = malloc(sizeof(float) * (size_t)vg_exec_output_floats(x));
    for (int64_t i = 0; in && i < vg_exec_input_floats(x); i++)
      in[i] = (float)((i * 7919) % 13) - 6.0f;
    if (in && out)
      (void)vg_exec_run(x, in, out, &err);
    free(in);
    free(out);
    vg_exec_destroy(x);
  }
  for (int mode = 0; mode < 3; mode++) {
    VgStream *st = vg_stream_create(m, t0, t0 > 2 ? t0 / 2 : 1, (VgStreamMode)mode, &err);
    if (!st)
      continue;
    int64_t n = 2 * t0 * vg_stream_frame_values(st);
    float *frames = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; frames && i < n; i++)
      frames[i] = (float)((i * 104729) % 17) - 8.0f;
    if (frames)
      (void)vg_stream_push(st, frames, 2 * t0, NULL, NULL, &err);
    free(frames);
    vg_stream_destroy(st);
  }
}

static void exercise_model(VgModel *m)
{
  VgError err = {{0}};
  VgShape *s = calloc((size_t)m->n_values, sizeof *s);
  const VgShape *in = &m->values[m->input].shape;
  int64_t t0 = in->dims[in->rank - 1], lengths[] = {1, 2, 7, t0, 2 * t0 + 3, 3 * t0 + 1};
  for (int k = 0; s && k < 6; k++) {
    if (vg_model_infer_shapes(m, lengths[k], s, &err) != VG_OK)
      continue;
    for (int i = 0; i < m->n_nodes; i++) {
      int64_t first, last;
      if (vg_node_is_time_local(m, &m->nodes[i]))
        vg_node_time_deps(&m->nodes[i], 0, 5, &first, &last);
    }
  }
  if (s)
    exercise_run(m, t0, s);
  free(s);
  vg_model_free(m);
}

#endif
