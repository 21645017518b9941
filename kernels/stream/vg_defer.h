/* Deferred taps: the streaming engine's one-column hops of convs with large weights (internal to
 * kernels/stream).
 *
 * At fine hops a deep conv computes one new column per hop, a matrix-vector product whose time is
 * the time its weights take to arrive from L2 or L3 (the EEG-like model's k16 conv: 1 MB a hop).
 * Its column c reads inputs c*s - p + k*d for taps k < K. The older taps of the next columns read
 * inputs that already exist: if column c's taps read stored columns up to R past its tap 0, taps
 * [0, kd) of columns c .. c + B - 1 with kd = floor((R - (B - 1) s) / d) + 1 read only stored
 * columns (kd = K - ceil((B - 1) s / d) when all of column c's taps do, R = (K - 1) d). So when
 * column c is due, one pass applies those taps to all B columns (weights read once for B columns)
 * into partial rows, and each of the B columns then adds its taps [kd, K) when it is due: per hop
 * (K - kd) + kd / B taps' weights instead of K, and no output waits for later input.
 *
 * Exactness. A partial row holds what the column's own hop would compute for those taps as long
 * as the inputs it read are the same stream columns, and none of them is padding in the column's
 * own window. Pending rows survive only across consecutive hops of their class that each add
 * exactly one column, and no reset: any other hop drops them. (The input columns a pass read stay
 * what they were: a stream column never changes once computed, and the column's own hop, had it
 * computed those taps itself, would have read the same stored columns.) Over such hops the window
 * moves by one column of this value per hop, so every pending column is computed at the same window
 * position as column c was, and its inputs sit where column c's did, shifted with the window: the
 * pass runs only when every input it reads is stored and inside the signal, and then none of them
 * is padding in any of those windows either (in signal mode, the padding beyond a window's end is
 * what a deferred tap must never see: a later window holds real data there).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_DEFER_H
#define VG_DEFER_H

#include "vg_ops.h"

typedef struct {
  float *rows;          /* [batch][row_floats]: partial rows of columns first .. first + count */
  int64_t first, count; /* stream columns; count 0: nothing pending */
} VgDeferClass;

typedef struct {
  VgConvSplit split;
  int64_t batch; /* B: columns per pass */
  int64_t kd;    /* taps [0, kd) deferred */
  int64_t classes;
  VgDeferClass *cls; /* [classes] */
} VgDefer;

/* The batch B in 2 .. VG_DEFER_MAX_BATCH and kd that read the fewest weights per column, or 0 if
 * no split reads less than VG_DEFER_MIN_GAIN of the weights of the taps that a due column reads
 * inside the signal (taps that read only padding are skipped by the kernels). reach: how many
 * input columns past tap 0 of a due column are stored when it is due (K - 1 for a column whose
 * taps all read stored columns; less at signal mode's right edge, where the last taps of the
 * newest column read padding). */
#define VG_DEFER_MAX_BATCH 8
#define VG_DEFER_MIN_GAIN  0.75
int vg_defer_choose(const VgConvSplit *split, int64_t reach, int64_t *batch, int64_t *kd);

/* Weights below this are read from L1/L2 fast enough that splitting does not pay (unless the
 * environment sets VIGIL_DEFER=always; VIGIL_DEFER=off disables deferral). */
#define VG_DEFER_MIN_WEIGHT_BYTES (128 * 1024)

/* The node's deferral state if it has one (its output adds one column per class hop, its conv
 * splits, and its weights are worth it), else NULL with no error; NULL with a message when out of
 * memory. j: the window column of each hop's new column; in_hi: the end of the input's stored
 * columns then (window columns). */
VgDefer *vg_defer_new(const VgModel *m, const VgNode *node, const VgShape *shapes, int64_t classes,
                      int64_t j, int64_t in_hi, int *failed, VgError *err);
void vg_defer_free(VgDefer *d);

/* Drops every pending row. */
void vg_defer_drop(VgDefer *d);

/* Column `col` (stream column, window column j) of the node's output for class q: from a partial
 * row if one is pending, else after a new pass when the inputs allow, else all taps at once. in[]
 * views the node's inputs (as vg_ops_forward_time), out stores column j. Returns 1 if the column
 * came from deferred taps, 0 if not, or VG_ERR. */
int vg_defer_column(VgDefer *d, const VgModel *m, const VgNode *node, const VgShape *shapes,
                    int64_t q, int64_t col, const VgSeq *const *in, VgSeq *out, int64_t j,
                    float *scratch);

#endif
