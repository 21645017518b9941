/* Deferred taps: the streaming engine's one-column hops of convs with large weights (internal to
 * kernels/stream).
 *
 * At fine hops a deep conv computes one new column per hop, a matrix-vector product whose time is
 * the time its weights take to arrive from L2 or L3 (the EEG-like model's k16 conv: 1 MB a hop).
 * Window k's new column reads inputs j*s - p + t*d for taps t < K (window columns). The older taps
 * of the next windows' new columns read inputs that are already stored when window k runs: so
 * window k applies taps [0, kd) to the new columns of windows k .. k + B - 1 in one pass over
 * their weights (from their inputs gathered into one block of rows) into partial rows, and each of
 * those windows then adds its taps [kd, K) to its row: per hop (K - kd) + kd / B taps' weights
 * instead of K, and no output waits for later input.
 *
 * The next windows may belong to other stream classes (polyphase: window k uses class k % Q), so
 * a pass reads each window's inputs through that window's own view of the input's histories. With
 * one class, or with Q classes whose input advanced step columns per class hop, window k + b's
 * stored inputs end ceil(b / Q_in) * step columns short of window k's; kd follows from that (see
 * vg_defer_choose). The EEG-like model at H 16 (4 classes): B 9, kd 14, 3.6 taps' weights per hop
 * instead of 6.25 with one class's windows alone.
 *
 * Exactness. A partial row holds what the window's own hop would compute for those taps: pending
 * rows survive only across consecutive windows that each add exactly one column to this value's
 * stream, and no reset (any other hop drops them). Over such windows the new column is always the
 * same window column j, and the pass read, through each window's own view, exactly the stored
 * input columns that window's taps read; stream columns never change once computed. The pass runs
 * only when every input it reads is stored and inside the signal, so none is padding (in signal
 * mode the padding past a window's end is what a deferred tap must never see: a later window holds
 * real data there).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_DEFER_H
#define VG_DEFER_H

#include "vg_ops.h"

/* The geometry of a conv's stream once it runs: its new column is window column j, the input's
 * stored columns inside the signal are [in_lo, in_hi) (window columns), and the input has
 * in_classes classes advancing in_step columns per class hop. */
typedef struct {
  int64_t j, in_lo, in_hi, in_classes, in_step;
} VgDeferGeom;

typedef struct {
  VgConvSplit split;
  int64_t batch;   /* B: windows per pass */
  int64_t kd;      /* taps [0, kd) deferred */
  int64_t real;    /* taps a due column reads inside the signal (the others read only padding) */
  float *rows;     /* [batch][row_floats]: partial rows of windows first .. first + count */
  float *gathered; /* [batch][kd][C_in]: a pass's inputs, read from several classes */
  VgDeferGeom geom;
  int64_t first, count; /* pending windows; count 0: none */
} VgDefer;

/* The batch B in 2 .. VG_DEFER_MAX_BATCH and kd that read the fewest weights per column, or 0 if
 * no split reads less than VG_DEFER_MIN_GAIN of the weights of the taps that a due column reads
 * inside the signal (taps that read only padding are skipped by the kernels). reach: how many
 * input columns past tap 0 of window k's new column are stored when window k runs ((K - 1) d when
 * all its taps read stored columns; less at signal mode's right edge, where the last taps read
 * padding). Window k + b's are ceil(b / in_classes) * in_step fewer. */
#define VG_DEFER_MAX_BATCH 14
#define VG_DEFER_MIN_GAIN  0.75
int vg_defer_choose(const VgConvSplit *split, int64_t reach, int64_t in_classes, int64_t in_step,
                    int64_t *batch, int64_t *kd);

/* Weights below this are read from L1/L2 fast enough that splitting does not pay (unless the
 * environment sets VIGIL_DEFER=always; VIGIL_DEFER=off disables deferral). */
#define VG_DEFER_MIN_WEIGHT_BYTES (128 * 1024)

/* The node's deferral state if it has one (its conv splits and its weights are worth it), else
 * NULL with no error; NULL with a message when out of memory (*failed set). */
VgDefer *vg_defer_new(const VgModel *m, const VgNode *node, const VgShape *shapes,
                      const VgDeferGeom *geom, int *failed, VgError *err);
void vg_defer_free(VgDefer *d);

/* Drops every pending row. */
static inline void vg_defer_drop(VgDefer *d)
{
  d->count = 0;
}

#endif
