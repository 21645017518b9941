/* vigil-model: inspect and run ONNX models the way Vigil loads them.
 *
 *   vigil-model info MODEL.onnx [--length T]
 *                                  inputs, outputs, ops with shapes, parameters, FLOPs, receptive
 *                                  field; exits 1 with the refusal message for a model Vigil
 *                                  cannot run.
 *   vigil-model run MODEL.onnx IN.f32 OUT.f32
 *                                  one window through the executor (raw float32, batch axis
 *                                  dropped, time last); T comes from IN's size.
 *   vigil-model plan MODEL.onnx [--window W] [--hop H] [--mode exact|signal|full]
 *                                  what streaming costs per hop (docs/elements/streamcnn.md).
 *   vigil-model --help             this list, on stdout.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include "vigil-model.h"

void vm_pool_warning(const char *cmd, const VgModel *model, int64_t window)
{
  char warning[512];
  if (vg_model_pool_warning(model, window, warning, sizeof warning))
    fprintf(stderr, "vigil-model %s: warning: %s.\n", cmd, warning);
}

static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *usage;
} commands[] = {
    {"info", vm_info, "info MODEL.onnx [--length T]"},
    {"run", vm_run, "run MODEL.onnx IN.f32 OUT.f32"},
    {"plan", vm_plan, "plan MODEL.onnx [--window W] [--hop H] [--mode exact|signal|full]"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static int usage(FILE *f, int status)
{
  fprintf(f, "usage:\n");
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(f, "  vigil-model %s\n", commands[i].usage);
  return status;
}

int main(int argc, char **argv)
{
  if (argc < 2)
    return usage(stderr, 2);
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
    return usage(stdout, 0);
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "vigil-model: unknown command '%s'\n", argv[1]);
  return usage(stderr, 2);
}
