/* Vigil kernels: helpers shared by the op kernel families (internal to kernels/ops).
 *
 * Every family file (conv.c, conv_transpose.c, pool.c, pointwise.c, binary.c, dense.c) exposes
 * a prepare, a scratch-size and a forward function; vg_ops.c dispatches on the op type.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_OPS_PRIV_H
#define VG_OPS_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "vg_ops.h"

/* Memory-bound element-wise loops (activations, pools, BatchNorm) carry VG_SIMD_CLONES. */
#include "vg_simd.h"

/* Weights and constants prepared once per node (node->packed). One malloc holds the header and
 * every array, so free() releases it. */
typedef struct {
  float *w;    /* GEMM-ready weights (layout per op family) */
  float *bias; /* per output channel (zeros when the node has none) */
  float *aux;  /* a second array (BatchNorm shift, expanded binary constant, ...) */
  int64_t n_w, n_bias, n_aux;
  int strategy;   /* op-specific choice made at prepare time */
  int fused_relu; /* Conv: it applies the Relu that alone reads its output (see vg_ops.c) */
} VgPacked;

/* Allocates a VgPacked with room for the three arrays; NULL with a message on failure. */
VgPacked *ops_packed_new(int64_t n_w, int64_t n_bias, int64_t n_aux, VgError *err);
/* Stores p in node->packed (releasing an older one). */
void ops_packed_attach(VgNode *node, VgPacked *p);

static inline int64_t ops_count(const VgShape *s)
{
  int64_t n = 1;
  for (int i = 0; i < s->rank; i++)
    n *= s->dims[i];
  return n;
}

/* Floats per time column: prod dims[1 .. rank-2]. */
static inline int64_t ops_width(const VgShape *s)
{
  int64_t n = 1;
  for (int i = 1; i < s->rank - 1; i++)
    n *= s->dims[i];
  return n;
}

/* Product of dims[a .. b) of a shape. */
static inline int64_t ops_prod(const VgShape *s, int a, int b)
{
  int64_t n = 1;
  for (int i = a; i < b; i++)
    n *= s->dims[i];
  return n;
}

static inline const VgShape *ops_in_shape(const VgShape *shapes, const VgNode *node, int i)
{
  return &shapes[node->inputs[i]];
}

static inline const VgShape *ops_out_shape(const VgShape *shapes, const VgNode *node)
{
  return &shapes[node->output];
}

static inline int ops_is_const(const VgModel *m, const VgNode *node, int i)
{
  return i < node->n_inputs && node->inputs[i] >= 0 &&
         m->values[node->inputs[i]].kind == VG_VALUE_CONST;
}

static inline const VgValue *ops_value(const VgModel *m, const VgNode *node, int i)
{
  return &m->values[node->inputs[i]];
}

/* Column j of a run (the caller guarantees it is stored). */
static inline const float *seq_col(const VgSeq *s, int64_t j)
{
  return s->data + (j - s->first) * s->width;
}

static inline float *seq_col_mut(VgSeq *s, int64_t j)
{
  return s->data + (j - s->first) * s->width;
}

static inline int seq_has(const VgSeq *s, int64_t j)
{
  return j >= s->lo && j < s->hi;
}

static inline int64_t ops_floor_div(int64_t a, int64_t b)
{
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static inline int64_t ops_ceil_div(int64_t a, int64_t b)
{
  return -ops_floor_div(-a, b);
}

static inline int64_t ops_min(int64_t a, int64_t b)
{
  return a < b ? a : b;
}

static inline int64_t ops_max(int64_t a, int64_t b)
{
  return a > b ? a : b;
}

/* Strides that read a broadcast source (numpy rules, aligned right) while walking the
 * destination shape in row-major order: 0 along axes where the source has size 1 or no axis.
 * Fails when the shapes do not broadcast. */
int ops_broadcast_strides(const VgShape *src, const VgShape *dst, int64_t *strides);

/* ---- families ---- */
int conv_prepare(VgModel *m, VgNode *node, VgError *err);
size_t conv_scratch(const VgModel *m, const VgNode *node, const VgShape *shapes, int64_t cols);
/* Whether the conv's kernels can apply a following Relu (VgPacked.fused_relu). */
int conv_fusable(const VgPacked *p);
/* The kernel a packed Conv runs, in words (vg_ops_node_kernel). */
const char *conv_kernel_name(const VgPacked *p, int64_t kt, int64_t dt);
/* Output columns [j0, j1). With sums != NULL a kernel that can (the Winograd path) adds the
 * columns to sums[0 .. C_out) instead of storing them and returns CONV_SUMMED; otherwise VG_OK
 * (stored) or VG_ERR. */
#define CONV_SUMMED 1
int conv_forward(const VgModel *m, const VgNode *node, const VgShape *shapes, const VgSeq *in,
                 VgSeq *out, int64_t j0, int64_t j1, float *scratch, float *sums);

/* conv_small.c: 1-D Conv of a few output columns without GEMM packing, up to CONV_SMALL_MAX_COLS
 * columns per call, on the OpenBLAS paths (CPUs without AVX2, VIGIL_CONV=blas): the streaming
 * hop's new columns and bands. Measured against OpenBLAS 0.3.21's sgemm (Haswell kernels on an
 * AVX-512 machine), it was faster at every size, whole windows too (full mode 1.5x). 256 covers
 * every layer's new columns per hop at the benchmark's hops, the paper's (H 160 and 256) included.
 */
#define CONV_SMALL_MAX_COLS 256
#define CONV_SMALL_MAX_TAPS 64 /* tap pointers kept on the stack per column */
typedef struct {
  int64_t g, cig, cog;    /* groups, input and output channels per group */
  int64_t kt, st, dt, pt; /* kernel, stride, dilation, leading pad */
} OpsConv1;
/* Output columns [j0, j1) of a 1-D Conv whose weights w are packed as conv.c's per-group
 * B[(k, ci)][co]; scratch: C_in/g floats. */
void conv1_small(const OpsConv1 *g, const float *w, const float *bias, const VgSeq *in, VgSeq *out,
                 int64_t j0, int64_t j1, float *scratch);

int convt_prepare(VgModel *m, VgNode *node, VgError *err);
/* The kernel a packed ConvTranspose runs, in words (vg_ops_node_kernel). */
const char *convt_kernel_name(const VgPacked *p);
size_t convt_scratch(const VgModel *m, const VgNode *node, const VgShape *shapes, int64_t cols);
int convt_forward(const VgModel *m, const VgNode *node, const VgShape *shapes, const VgSeq *in,
                  VgSeq *out, int64_t j0, int64_t j1, float *scratch);

int pool_forward(const VgModel *m, const VgNode *node, const VgShape *shapes, const VgSeq *in,
                 VgSeq *out, int64_t j0, int64_t j1);
int pad_forward(const VgModel *m, const VgNode *node, const VgShape *shapes, const VgSeq *in,
                VgSeq *out, int64_t j0, int64_t j1);
/* Pad in reflect or edge mode on a value in ONNX order (a per-window op: vg_ops_forward_plain). */
int pad_modes_forward(const VgNode *node, const VgShape *is, const VgShape *os, const float *in,
                      float *out);
int global_pool_forward(const VgNode *node, const VgShape *in_shape, int in_is_time,
                        const float *in, float *out);
int instance_norm_forward(const VgModel *m, const VgNode *node, const VgShape *in_shape,
                          const float *in, float *out);

int pointwise_prepare(VgModel *m, VgNode *node, VgError *err);
/* Applies a one-input element-wise op (activations, BatchNorm) to n values of `width`-wide
 * rows, where row r's channel layout repeats every `width` floats ([c][f] per column, or one
 * plain row). */
int pointwise_apply(const VgNode *node, const float *in, float *out, int64_t rows, int64_t width,
                    int64_t per_channel);
int is_pointwise(VgOpType op);

int binary_prepare(VgModel *m, VgNode *node, VgError *err);
int binary_forward_time(const VgModel *m, const VgNode *node, const VgShape *shapes,
                        const VgSeq *const *in, VgSeq *out, int64_t j0, int64_t j1);
int binary_forward_plain(const VgModel *m, const VgNode *node, const VgShape *shapes,
                         const float *const *in, float *out);
int concat_forward_time(const VgNode *node, const VgShape *shapes, const VgSeq *const *in,
                        VgSeq *out, int64_t j0, int64_t j1);
int concat_forward_plain(const VgNode *node, const VgShape *shapes, const float *const *in,
                         float *out);

/* Slice (slice.c): the box node->slice_start/slice_len of each column, or of a plain value. */
int slice_forward_time(const VgNode *node, const VgShape *shapes, const VgSeq *in, VgSeq *out,
                       int64_t j0, int64_t j1);
int slice_forward_plain(const VgNode *node, const VgShape *shapes, const float *in, float *out);

/* Reduce (reduce.c) over node->axes of each column, or of a plain value; scratch holds a double
 * per output value of one column (or of the plain value), 8-byte aligned or not. */
int reduce_forward_time(const VgNode *node, const VgShape *shapes, const VgSeq *in, VgSeq *out,
                        int64_t j0, int64_t j1, float *scratch);
int reduce_forward_plain(const VgNode *node, const VgShape *shapes, const float *in, float *out,
                         float *scratch);

int gemm_forward(const VgModel *m, const VgNode *node, const VgShape *shapes,
                 const float *const *in, float *out);
int matmul_forward(const VgModel *m, const VgNode *node, const VgShape *shapes,
                   const float *const *in, float *out);
/* Softmax over `n` entries spaced `inner` apart, for `outer` blocks of n*inner floats. */
void softmax_apply(const float *in, float *out, int64_t outer, int64_t n, int64_t inner,
                   int take_log);

/* acc += x * w as one fused multiply-add in loops on GCC vector types: -std=c11 turns GCC's
 * contraction off (ISO C's default), and two instructions per product cost 3-8 % of a hop where
 * a kernel is compute-bound (A/B, alternating runs: accelerometer H 160 exact 382 -> 372 us, PPG
 * H 64 exact 60 -> 57 us), twice that where it is FMA-bound. A fused product rounds once instead
 * of twice. Clang contracts within an expression by default. */
#if defined(__GNUC__) && !defined(__clang__)
#define OPS_FMA __attribute__((optimize("fp-contract=fast")))
#else
#define OPS_FMA
#endif

/* max(x, acc) that propagates NaN, as PyTorch's max pooling and ReLU do: a NaN in the data must
 * reach the output rather than hide behind a plausible number (x > acc alone drops a NaN x, and
 * keeps a NaN acc only by accident of operand order). */
static inline float vg_max_nan(float x, float acc)
{
  return (x > acc || x != x) ? x : acc;
}

/* max(y, 0) keeping NaN (vg_relu) over n floats: a Relu fused into the conv kernels. Inline, so
 * that it vectorises at its caller's target (a clone's, a register-block instance's); a loop of
 * its own because vector masks inside the register blocks were scalarised without AVX512DQ. */
static inline void ops_relu_cols(float *y, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    y[i] = vg_max_nan(y[i], 0.0f);
}

#endif
