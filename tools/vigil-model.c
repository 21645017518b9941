/* vigil-model: inspect and run ONNX models the way Vigil loads them.
 *
 *   vigil-model info MODEL.onnx [--length T]
 *                                  inputs, outputs, ops with shapes, parameters, FLOPs, receptive
 *                                  field; exits 1 with the refusal message for a model Vigil
 *                                  cannot run.
 *   vigil-model run MODEL.onnx IN.f32 OUT.f32
 *                                  one window through the executor (raw float32, batch axis
 *                                  dropped, time last); T comes from IN's size.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include "vigil-model.h"

static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *usage;
} commands[] = {
    {"info", vm_info, "info MODEL.onnx [--length T]"},
    {"run", vm_run, "run MODEL.onnx IN.f32 OUT.f32"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static int usage(void)
{
  fprintf(stderr, "usage:\n");
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(stderr, "  vigil-model %s\n", commands[i].usage);
  return 2;
}

int main(int argc, char **argv)
{
  if (argc < 2)
    return usage();
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "vigil-model: unknown command '%s'\n", argv[1]);
  return usage();
}
