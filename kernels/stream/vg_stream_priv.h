/* Internal to kernels/stream: the state of a VgStream.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_STREAM_PRIV_H
#define VG_STREAM_PRIV_H

#include "vg_defer.h"
#include "vg_exec.h"
#include "vg_history.h"
#include "vg_ops.h"
#include "vg_plan_priv.h"

/* Columns far outside any window: the extent of a stream that has no edge in sight. */
#define VG_FAR (INT64_MAX / 4)

/* Running sum of the interior stream columns [lo, hi) of one class, per float of a column. */
typedef struct {
  double *acc; /* [3][width]: the sums, the sums of magnitudes |x|, and their peak since the last
                  exact re-sum (see vg_stream_sum.c) */
  int64_t lo, hi;
  int64_t updates; /* since the last exact re-sum */
  int valid;
} VgRunningSum;

/* Hops between exact re-sums of a running sum: bounds the drift of add-and-subtract updates. */
#define VG_RESUM_PERIOD 64
/* ... and as soon as a sum of magnitudes falls this far below its peak since the last re-sum. */
#define VG_RESUM_CANCEL 4096.0

typedef struct {
  VgRunningSum *sum; /* [classes]: summed values */
  VgHistory *hist;   /* [classes]: stream columns of each class (trunk values with an interior) */
  float *band_l;     /* exact mode: columns [0, band_left) of the current window */
  float *band_r;     /* exact mode: columns [len - band_right, len) */
  float *win;        /* exported values: the whole window, time-major */
  float *plain;      /* head values: the whole value, ONNX order */
  VgDefer *defer;    /* deferred taps of the conv that makes this value (vg_defer.h), or NULL */
} VgValueState;

struct VgStream {
  VgModel *m;
  VgPlan *p;
  VgValueState *vs;    /* [n_values] */
  float *scratch;      /* vg_ops scratch, the largest any node needs */
  float *gather;       /* band inputs assembled from bands and history */
  float *out;          /* output in ONNX order (time outputs) */
  double *sum_scratch; /* one column of doubles: GlobalAveragePool from running sums */
  VgExec *exec;        /* full mode: the window executor */
  float *exec_in;      /* full mode: the window in ONNX order */
  int64_t out_values;
  int64_t next;     /* index of the next window to complete */
  int64_t deferred; /* columns finished from deferred taps' partial rows (a statistic) */
};

/* vg_stream.c: a view of trunk value u's stream as window k sees it (everything stored). */
void vg_stream_view(VgStream *s, int u, int64_t k, VgSeq *seq);

/* vg_defer.c: window k's new column, window column j, of a conv with deferred taps (out stores
 * it; in[] as vg_ops_forward_time): from a pending partial row, or after a new pass, or with all
 * taps at once. 1 if it came from deferred taps, 0 if not, VG_ERR. */
int vg_defer_column(VgStream *s, const VgNode *node, int64_t k, const VgSeq *const *in, VgSeq *out,
                    int64_t j);

/* vg_stream_alloc.c */
int vg_stream_alloc_state(VgStream *s, VgError *err);

/* vg_stream_sum.c: the running sums of summed values, and GlobalAveragePool from them. */
void vg_sum_before(VgStream *s, int v, int64_t q, const VgHistory *h, int64_t keep);
void vg_sum_after(VgStream *s, int v, int64_t q, const VgHistory *h, int64_t old_hi, int restarted);
void vg_sum_global_avg(const VgStream *s, int v, int64_t k, int sum, float *out);
void vg_stream_free_state(VgStream *s);

#endif
