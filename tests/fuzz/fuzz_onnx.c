/* libFuzzer target: the ONNX loader on arbitrary bytes.
 *
 * Built with -Dfuzzers=true and CC=clang (tools/fuzz does both, see docs/fuzzing.md). A refused
 * input must leave a message; a loaded model must survive shape inference at several lengths and
 * free cleanly (ASan and LeakSanitizer watch the rest).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>

#include "vg_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  VgError err = {{0}};
  VgModel *m = vg_model_load_buffer(data, size, &err);
  if (!m) {
    if (!err.msg[0])
      __builtin_trap(); /* a refusal must say why */
    return 0;
  }
  VgShape *s = calloc((size_t)m->n_values, sizeof *s);
  const VgShape *in = &m->values[m->input].shape;
  int64_t t0 = in->dims[in->rank - 1], lengths[] = {1, 7, t0, 2 * t0 + 3};
  for (int k = 0; s && k < 4; k++) {
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
  return 0;
}
