/* Vigil kernels: the op kernels that run graph nodes.
 *
 * Time-local nodes (vg_node_is_time_local) compute a range of output columns from input columns
 * held in VgSeq views; the window executor asks for all columns of a window, the streaming engine
 * for the few new ones of each hop and for the bands near window edges. Head nodes compute whole
 * plain values.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_OPS_H
#define VG_OPS_H

#ifdef __SSE__
#include <xmmintrin.h>
#endif

#include "vg_model.h"

/* A run of time columns of one time value (see vg_model.h for the column layout).
 *
 * Column j (window-relative) is stored at data + (j - first) * width for first <= j < first +
 * count. [lo, hi) is the extent of the signal: a column outside it does not exist and reads as the
 * node's padding (zero for Conv, ConvTranspose and Pad's pad_value; ignored by MaxPool; excluded or
 * counted by AveragePool as count_include_pad says). For windowed inference lo = 0 and hi = the
 * window's length at that layer; the streaming engine sets them to where the signal really starts
 * and ends. A kernel may only read columns inside [first, first + count) or outside [lo, hi): the
 * caller guarantees that every other column it needs is stored. */
typedef struct {
  float *data;
  int64_t first;
  int64_t count;
  int64_t lo, hi;
  int64_t width;
  /* When the stored columns end at hi: the columns [hi, hi + zeros) after them are stored too, as
   * zeros, so that a 1-D Conv's edge rows read in place instead of being copied (the streaming
   * engine's signal mode keeps such a tail; 0 elsewhere). Only Conv reads them: its padding is 0.
   */
  int64_t zeros;
  /* Whether the columns written here are kept and read again by later windows (a streaming
   * history): Winograd then also steps aside for outliers, whose rounding it would spread to
   * columns that outlive them (kernels/ops/conv_simd.c). 0 elsewhere. */
  int kept;
} VgSeq;

/* Prepares every node's packed data (GEMM-ready weights, folded constants). Called once after
 * loading; idempotent. */
int vg_ops_prepare(VgModel *model, VgError *err);

/* Floats of scratch that vg_ops_forward_time needs to compute up to max_cols columns of this node,
 * given the shapes of its inputs and output (shapes[] indexed by value, as vg_model_infer_shapes
 * fills it). The caller allocates the maximum over all nodes once. */
size_t vg_ops_scratch_floats(const VgModel *model, const VgNode *node, const VgShape *shapes,
                             int64_t max_cols);

/* Output columns [j0, j1) of a time-local node. in[i] views the node's i-th input if that input is
 * a time value (NULL for constant inputs, which the kernel reads from the model); out must store
 * columns [j0, j1). Returns VG_OK, or VG_ERR with a message (a bug or an unsupported layout). */
int vg_ops_forward_time(const VgModel *model, const VgNode *node, const VgShape *shapes,
                        const VgSeq *const *in, VgSeq *out, int64_t j0, int64_t j1, float *scratch);

/* A head node on whole values. in[i] is the i-th input's data: a plain value in ONNX order, or for
 * a time input (global pooling, flatten) its full window of columns, time-major, as VgSeq data with
 * first = 0 and count = the value's length. The output is written in ONNX order, also when it is
 * a time value (e.g. a Softmax along time): the caller converts it to columns if it needs them. */
int vg_ops_forward_plain(const VgModel *model, const VgNode *node, const VgShape *shapes,
                         const float *const *in, float *out, float *scratch);

/* A time-local node over a whole window (out: first = 0, count = its length) and the 1-D
 * GlobalAveragePool `pool` that alone reads its output, directly or through a Relu fused into it
 * (vg_ops_node_is_fused): pooled receives the pool's C values. A Winograd conv adds its output
 * columns up as it transforms them and never stores them, which saves writing and re-reading the
 * window's largest activation (out's columns are then left unwritten); any other node stores its
 * columns and they are pooled afterwards. The Winograd path adds each tile's six columns pairwise
 * before adding the tile to the sum, so the result equals running the two nodes one after the
 * other to float rounding (not bit for bit). */
int vg_ops_forward_pooled(const VgModel *model, const VgNode *node, const VgNode *pool,
                          const VgShape *shapes, const VgSeq *const *in, VgSeq *out, float *pooled,
                          float *scratch);

/* Which kernel runs a prepared Conv or ConvTranspose node, in words ("Winograd F(6,3) and F(4,3)
 * on the micro-kernel", "vectorised along frequency", "OpenBLAS, im2col GEMMs", ...; see
 * docs/design.md); NULL for other nodes and before vg_ops_prepare. */
const char *vg_ops_node_kernel(const VgNode *node);

/* Whether the node does nothing once its producer ran: a Relu that vg_ops_prepare fused into the
 * conv whose output it alone reads (0 before prepare, and on CPUs without the fused kernels). Its
 * output then equals its input everywhere, so a caller may store them once. */
int vg_ops_node_is_fused(const VgModel *model, const VgNode *node);

/* Deferred taps (kernels/stream/vg_defer.c). A 1-D conv
 *   y[j] = b + sum_{k < K} W_k x[j*s - p + k*d]
 * splits into its older taps [0, kd), which a streaming hop can apply to a few future columns in
 * one pass over their weights, and its newer taps [kd, K), applied when each column's last inputs
 * arrive. */
typedef struct {
  int64_t taps, stride, dilation, pad; /* along time */
  int64_t row_floats;                  /* floats of a partial row (output channels, padded) */
  int64_t weight_bytes;                /* packed weights that one output column reads */
  int64_t in_width;                    /* floats of an input column (C_in) */
  int64_t max_rows;                    /* most rows one vg_ops_conv_taps_gathered call takes */
} VgConvSplit;

/* Whether vg_ops_conv_taps can run the node (a 1-D conv of one group and at least 2 taps, on the
 * SIMD kernels; 0 on other CPUs and under VIGIL_CONV=blas); fills split if so. */
int vg_ops_conv_split(const VgModel *model, const VgNode *node, const VgShape *shapes,
                      VgConvSplit *split);

/* Output columns [j0, j1) of such a conv over taps [k0, k1) alone: column j = s + sum_{k0 <= k <
 * k1} W_k x[j*s - p + k*d], where s is the bias (start NULL) or the partial row `start` (then j1 -
 * j0 must be 1), followed by the Relu fused into the conv if finish. out may have row_floats per
 * column (partial rows); a column holds a finished output only after its last taps ran with
 * finish. The summation order differs from vg_ops_forward_time's (float rounding). */
int vg_ops_conv_taps(const VgModel *model, const VgNode *node, const VgShape *shapes,
                     const VgSeq *in, VgSeq *out, int64_t j0, int64_t j1, int64_t k0, int64_t k1,
                     const float *start, int finish, float *scratch);

/* Taps [k0, k1) of `rows` (1 .. max_rows) output columns of such a conv from rows of inputs: row
 * r's tap k0 + t reads the C_in floats at a + r * lda + t * tap (gathered rows: lda = (k1 - k0) *
 * C_in, tap = C_in; a stream read in place: lda = the columns between rows times C_in, tap = d *
 * C_in). out[r * ldc + co] = bias[co] + the taps' sum (no Relu): partial rows for
 * vg_ops_conv_taps's start. */
int vg_ops_conv_taps_rows(const VgModel *model, const VgNode *node, const VgShape *shapes,
                          const float *a, int64_t lda, int64_t tap, int rows, int64_t k0,
                          int64_t k1, float *out, int64_t ldc);

/* OpenBLAS threads for every GEMM in the process. Set once, before running. Default 1: if it was
 * never called, the first vg_ops_prepare sets 1 (OpenBLAS alone would use one per core). Calls
 * that do not change the count do not reach OpenBLAS (thread-safe; a change while another
 * thread runs a threaded GEMM is up to OpenBLAS). */
void vg_ops_set_threads(int threads);

/* out[c * rows + r] = in[r * cols + c]: time-major columns to ONNX order (rows = T, cols = width)
 * and back (rows = width, cols = T). 16 rows at a time: their 16 input cache lines serve 16
 * columns, and each column's 16 values fill one output line. Row by row, a [256][64] transpose
 * wrote 64 lines 1 KB apart per row, more than L1 holds: 40 % of a TCN's signal-mode hop. Within
 * a block, 4 x 4 tiles go through SSE registers (x86-64's baseline), four values a load and a store
 * instead of one. Inline: the executor, the streaming engine and the ops share it without a link
 * dependency. */
static inline void vg_ops_transpose(const float *in, float *out, int64_t rows, int64_t cols)
{
  for (int64_t r0 = 0; r0 < rows; r0 += 16) {
    int64_t r1 = r0 + 16 < rows ? r0 + 16 : rows, c = 0;
#ifdef __SSE__
    for (; r1 - r0 == 16 && c + 4 <= cols; c += 4)
      for (int64_t r = r0; r < r1; r += 4) {
        __m128 a = _mm_loadu_ps(in + r * cols + c), b = _mm_loadu_ps(in + (r + 1) * cols + c);
        __m128 d = _mm_loadu_ps(in + (r + 2) * cols + c), e = _mm_loadu_ps(in + (r + 3) * cols + c);
        _MM_TRANSPOSE4_PS(a, b, d, e);
        _mm_storeu_ps(out + c * rows + r, a);
        _mm_storeu_ps(out + (c + 1) * rows + r, b);
        _mm_storeu_ps(out + (c + 2) * rows + r, d);
        _mm_storeu_ps(out + (c + 3) * rows + r, e);
      }
#endif
    for (; c < cols; c++)
      for (int64_t r = r0; r < r1; r++)
        out[c * rows + r] = in[r * cols + c];
  }
}

/* Which kernels run the 1-D convs in this process: "AVX-512" or "AVX2" (Vigil's own, chosen per
 * CPU; VIGIL_SIMD=avx2 or none changes the choice), or "OpenBLAS". VIGIL_CONV=blas, read when a
 * model is prepared, sends a model's convs to OpenBLAS whatever this says. */
const char *vg_ops_conv_kernels_name(void);

#endif
