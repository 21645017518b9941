/* libFuzzer target: the ONNX loader on arbitrary bytes.
 *
 * Built with -Dfuzzers=true and CC=clang (tools/fuzz does both, see docs/fuzzing.md). A refused
 * input must leave a message; a loaded model must survive shape inference at several lengths and
 * free cleanly (ASan and LeakSanitizer watch the rest). Models with a dynamic time axis are loaded
 * at a length the input chooses, which reaches the Shape folding of computed values.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <stdlib.h>

#include "exercise_model.h"
#include "vg_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  VgError err = {{0}};
  /* a symbolic time axis takes a length from the file's last byte (0: refused, as without one) */
  int64_t time = size ? data[size - 1] % 80 : 0;
  VgModel *m = vg_model_load_buffer_at(data, size, time, &err);
  if (!m) {
    if (!err.msg[0])
      __builtin_trap(); /* a refusal must say why */
    return 0;
  }
  exercise_model(m);
  return 0;
}
