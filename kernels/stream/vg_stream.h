/* Vigil kernels: streaming CNN inference over sliding windows with shift-invariant reuse.
 *
 * A VgStream runs a model on every window of W frames that starts at a multiple of the hop H
 * (window k covers input frames [k*H, k*H + W)) and hands one output per window to a callback.
 * Frames are time-major: one frame is the C (1-D models) or C*F (2-D models, [c][f] order) values
 * of one instant, i.e. one input column (vg_model.h).
 *
 * Modes (docs/design.md, "The streaming engine"):
 *   VG_STREAM_EXACT   every output equals windowed inference on that window (up to float32
 *                     rounding): interior columns are computed once and reused, the columns near
 *                     each window edge that see zero padding are recomputed per hop.
 *   VG_STREAM_SIGNAL  every column is computed once, when it first appears at the right edge of a
 *                     window (zero right padding), and never recomputed (StreamiNNC's signal
 *                     padding). Equal to EXACT for models whose trunk sees no padding
 *                     (VgPlan.signal_is_exact), and always for the first window.
 *   VG_STREAM_FULL    every window computed from scratch (the baseline).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_STREAM_H
#define VG_STREAM_H

#include <stdint.h>

#include "vg_model.h"

typedef enum {
  VG_STREAM_EXACT,
  VG_STREAM_SIGNAL,
  VG_STREAM_FULL,
} VgStreamMode;

const char *vg_stream_mode_name(VgStreamMode mode);

/* Per value of the model: what the plan decided. Indexed by value index. */
typedef struct {
  int trunk;     /* a time value computed incrementally (the graph input included) */
  int exported;  /* a trunk value whose whole window is assembled per hop (head input, output) */
  int summed;    /* read only by GlobalAveragePool: kept as a running sum, never assembled */
  int alias;     /* value whose stream and bands this one shares (a Relu fused into its conv:
                    vg_ops_node_is_fused), or -1 */
  int64_t len;   /* columns in one window (trunk values) */
  int64_t width; /* floats per column */
  int64_t scale_num, scale_den;  /* columns of this value per input frame, reduced */
  int64_t band_left, band_right; /* EXACT: leading/trailing columns recomputed per window */
  int64_t classes;               /* stream classes (polyphase): window k uses class k % classes */
  int64_t step;      /* columns one class advances per window of that class: classes*H*scale */
  int64_t hist_cols; /* columns of history kept per class (without the slack) */
  int64_t zero_tail; /* SIGNAL: zero columns kept after the stream's end, which the 1-D convs
                        reading this value read in place as their right padding (VgSeq.zeros) */
  double new_cols_per_hop; /* columns computed per hop on average (stream + bands) */
  double flops_hop;        /* FLOPs of the node producing this value, per hop (average) */
  double flops_full;       /* the same node's FLOPs on a whole window */
  int64_t state_bytes;     /* histories, bands and window buffers of this value */
} VgPlanValue;

typedef struct {
  int64_t window, hop;
  VgStreamMode mode;
  int64_t align;       /* A: smallest hop for which every trunk value shifts by whole columns */
  int64_t phases;      /* P = A / gcd(A, H): most stream classes any value has */
  int signal_is_exact; /* no trunk column ever sees padding: SIGNAL == EXACT */
  int output_is_time;  /* an output is a trunk value (e.g. an autoencoder) */
  int n_values;
  VgPlanValue *values;          /* [n_values] */
  VgShape *shapes;              /* [n_values]: shapes at this window */
  double flops_hop, flops_full; /* whole model */
  /* Bytes of weights and constants of the nodes that run in every hop (all of the head; trunk
   * nodes that compute columns per hop): each hop reads them at least once, so at fine hops,
   * where the FLOPs per hop are few, reading them bounds the hop's time. */
  int64_t weight_bytes_hop;
  int64_t state_bytes; /* all histories, bands, window buffers and scratch */
  /* Non-empty when the model cannot be streamed incrementally (a time value gated by a
   * per-window value, a head node whose time-valued output feeds other nodes): every mode then
   * recomputes each window with the window executor, which keeps exact mode exact. Says why. */
  char fallback[256];
} VgPlan;

/* Plans the model for window W and hop H. Refuses (NULL, message with the valid choices) a window
 * that empties a layer or that the head cannot take, and H outside [1, W]. */
VgPlan *vg_plan_create(const VgModel *model, int64_t window, int64_t hop, VgStreamMode mode,
                       VgError *err);
void vg_plan_free(VgPlan *plan);

/* The part of planning that works from shapes alone (also used by unit tests on hand-built
 * graphs): trunk, scales, classes, bands, history sizes, FLOPs. shapes[] has model->n_values
 * entries, as vg_model_infer_shapes fills them for t_in = window. */
VgPlan *vg_plan_from_shapes(const VgModel *model, const VgShape *shapes, int64_t window,
                            int64_t hop, VgStreamMode mode, VgError *err);

typedef struct VgStream VgStream;

/* Called once per completed window, in order. `output` holds the model's output for window
 * `index` in ONNX order without the batch axis ([C, T] row-major for a time output), `input` the
 * window's W input frames (time-major). Both are valid during the call only. Return VG_OK, or
 * VG_ERR to stop vg_stream_push (which then returns VG_ERR). */
typedef int (*VgStreamOutputFn)(void *user, int64_t index, const float *output, const float *input);

/* The model must be prepared (vg_ops_prepare) and outlive the stream. threads: see
 * vg_ops_set_threads (set by the caller). */
VgStream *vg_stream_create(VgModel *model, int64_t window, int64_t hop, VgStreamMode mode,
                           VgError *err);
void vg_stream_destroy(VgStream *s);

/* Forgets every frame: the next frame pushed is frame 0 of window 0. O(state size). */
void vg_stream_reset(VgStream *s);

/* Appends n_frames frames; calls fn for every window they complete. */
int vg_stream_push(VgStream *s, const float *frames, int64_t n_frames, VgStreamOutputFn fn,
                   void *user, VgError *err);

const VgPlan *vg_stream_plan(const VgStream *s);
int64_t vg_stream_frame_values(const VgStream *s); /* floats per input frame */
/* Floats per window's output: a model of several outputs hands them to the output callback one
 * after the other, in the graph's order, each in ONNX order without its batch axis. */
int64_t vg_stream_output_values(const VgStream *s);
const VgShape *vg_stream_output_shape(const VgStream *s); /* the first output's */
/* The k-th output's shape at this window (k < vg_model_n_outputs). */
const VgShape *vg_stream_output_shape_at(const VgStream *s, int k);
int64_t vg_stream_windows(const VgStream *s); /* windows completed since create/reset */
int64_t vg_stream_pending(const VgStream *s); /* frames still needed to complete next window */
/* Stream columns computed from deferred taps' partial rows since create (a statistic for tests
 * and benchmarks: 0 when no conv qualifies, see kernels/stream/vg_defer.h). */
int64_t vg_stream_deferred_columns(const VgStream *s);
/* How the conv that makes a value defers its older taps in a stream: taps [0, kd) of its `taps`
 * applied to `batch` windows' columns per pass, in `bytes` of partial rows and gathered inputs;
 * a column reads `real` taps inside the signal without deferral (fewer than taps where signal
 * mode's last taps read only padding). */
typedef struct {
  int64_t batch, kd, taps, real, bytes;
} VgDeferInfo;
/* 1 and *info if the conv that makes value v defers taps in this stream, else 0. */
int vg_stream_deferred_taps(const VgStream *s, int v, VgDeferInfo *info);

/* Reconstruction error of an autoencoder window: for each of the C channels the mean over the
 * window (and F) of |x - y| (squared = 0) or (x - y)^2 (squared = 1), written to per_channel[C];
 * returns their sum. x: W time-major frames of C*F values; y: ONNX order [C, F, W]. */
double vg_recon_error(const float *x, const float *y, int64_t channels, int64_t inner,
                      int64_t window, int squared, float *per_channel);

#endif
