/* vigil-model: the subcommands, one file each (tools/vigil-model-<name>.c).
 *
 * Each takes the arguments after its name (argv[0] is the subcommand) and returns the exit status.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VIGIL_MODEL_H
#define VIGIL_MODEL_H

#include <stdint.h>

#include "vg_model.h"

int vm_info(int argc, char **argv);
int vm_run(int argc, char **argv);
int vm_plan(int argc, char **argv);

/* Prints "vigil-model CMD: warning: ..." on stderr when running the model on `window` columns
 * meets a pool fixed to its exported length (vg_model_pool_warning), as streamcnn posts it. */
void vm_pool_warning(const char *cmd, const VgModel *model, int64_t window);

#endif
