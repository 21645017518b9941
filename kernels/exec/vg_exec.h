/* Vigil kernels: the window executor.
 *
 * Runs a loaded model on one window of a fixed length. vg_exec_create plans everything for that
 * length once: the shape of every value (vg_model_infer_shapes), one arena holding a buffer per
 * activation (element-wise ops write over their input when nothing else reads it), and one
 * scratch area sized for the hungriest node. vg_exec_run then allocates
 * nothing: it converts the input from ONNX layout to time-major columns, runs the nodes in
 * order (time-local nodes over all their columns, head nodes on whole values) and converts the
 * output back to ONNX layout.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_EXEC_H
#define VG_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "vg_model.h"

typedef struct VgExec VgExec;

/* Plans the model for inputs of t_in time steps. Prepares the model's packed weights
 * (vg_ops_prepare) if that was not done. The model must outlive the executor. NULL with a message
 * when a shape does not fit or memory runs out. */
VgExec *vg_exec_create(VgModel *model, int64_t t_in, VgError *err);

/* One window. input: [C, T] or [C, F, T] row-major (the graph input without its batch axis);
 * output: the graph output without its batch axis, row-major (time last for time values); a model
 * of several outputs writes them one after the other, in the graph's order. */
int vg_exec_run(VgExec *x, const float *input, float *output, VgError *err);

/* As vg_exec_run, and adds each node's time in seconds to node_seconds[node index]: CPU time of
 * the calling thread (with OpenBLAS on 1 thread, all the node's work), unaffected by preemption. */
int vg_exec_run_timed(VgExec *x, const float *input, float *output, double *node_seconds,
                      VgError *err);

/* Shapes (batch axis included) of the input, the (first) output, and every value
 * (model->n_values; vg_model_output gives the others' indices). */
const VgShape *vg_exec_input_shape(const VgExec *x);
const VgShape *vg_exec_output_shape(const VgExec *x);
const VgShape *vg_exec_shapes(const VgExec *x);
/* Floats in the input and in the output (all outputs). */
int64_t vg_exec_input_floats(const VgExec *x);
int64_t vg_exec_output_floats(const VgExec *x);

/* Bytes of the arena (activations and scratch) planned for the window. */
size_t vg_exec_arena_bytes(const VgExec *x);

void vg_exec_destroy(VgExec *x);

#endif
