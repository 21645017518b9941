/* vigil-model: the subcommands, one file each (tools/vigil-model-<name>.c).
 *
 * Each takes the arguments after its name (argv[0] is the subcommand) and returns the exit status.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VIGIL_MODEL_H
#define VIGIL_MODEL_H

int vm_info(int argc, char **argv);
int vm_run(int argc, char **argv);

#endif
