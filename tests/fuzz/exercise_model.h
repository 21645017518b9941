/* What the loader's fuzz target (fuzz_onnx.c) and its in-process mutation test
 * (tests/unit/test_onnx_mutate.c) do with a model that loaded: shape inference at several lengths
 * (tiny, the model's own, longer) and the time dependencies of every time-local node, then free it.
 * A crash, a sanitizer report or a leak here is a loader bug.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VIGIL_EXERCISE_MODEL_H
#define VIGIL_EXERCISE_MODEL_H

#include <stdint.h>
#include <stdlib.h>

#include "vg_model.h"

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
  free(s);
  vg_model_free(m);
}

#endif
