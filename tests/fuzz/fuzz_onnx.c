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

#include "exercise_model.h"
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
  exercise_model(m);
  return 0;
}
