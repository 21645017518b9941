/* Vigil kernels: the model graph IR.
 *
 * An ONNX file becomes a VgModel: a list of values (the graph input, constants, node outputs) and a
 * list of nodes in topological order. Every activation has batch 1. The graph input is [1, C, T]
 * (1-D models) or [1, C, F, T] (2-D models): the LAST axis is time, and only time may change length
 * between the exported model and the window Vigil runs it on.
 *
 * Memory layout of activations (the "column" layout every kernel uses):
 * - a value whose last axis is time (a *time value*) is stored time-major: column t holds the
 *   `width` = prod(dims[1 .. rank-2]) values of time t, in ONNX order ([c][f] for [1, C, F, T]);
 * - any other value (a *plain value*: after global pooling, flatten, dense) is stored in ONNX order
 *   without the batch axis.
 * Time-major columns let the streaming engine append new columns to a history and let
 * convolutions read them in place as GEMM operands.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_MODEL_H
#define VG_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "vg_error.h"

#define VG_MAX_RANK 6
/* Limits that bound what a hostile file can make the loader allocate. */
#define VG_MAX_NODES        4096
#define VG_MAX_VALUES       16384
#define VG_MAX_CONST_VALUES (1L << 28) /* floats in all constants together (1 GiB) */
#define VG_MAX_DIM          (1L << 24)
/* Graph outputs of one model (a multi-head network's heads). */
#define VG_MAX_OUTPUTS 16
/* Inputs of one node (Concat's limit; every other op takes at most 5): the kernels and the
 * streaming engine size their per-node tables with it. */
#define VG_MAX_NODE_INPUTS 64

typedef enum {
  VG_OP_CONV,
  VG_OP_CONV_TRANSPOSE,
  VG_OP_BATCH_NORM, /* left only where it could not be folded into a preceding conv */
  VG_OP_RELU,       /* RELU .. ERF stay together: vg_op_is_activation() tests the range */
  VG_OP_LEAKY_RELU,
  VG_OP_SIGMOID,
  VG_OP_TANH,
  VG_OP_CLIP,
  VG_OP_ELU,
  VG_OP_SELU,         /* alpha, and gamma in beta */
  VG_OP_CELU,         /* alpha */
  VG_OP_SOFTPLUS,     /* (Mish exports as Softplus, Tanh, Mul) */
  VG_OP_HARD_SIGMOID, /* alpha, beta */
  VG_OP_HARD_SWISH,
  VG_OP_ABS,
  VG_OP_NEG,
  VG_OP_EXP,
  VG_OP_LOG,
  VG_OP_SQRT,
  VG_OP_RECIPROCAL,
  VG_OP_POW, /* x^alpha, the exponent a constant scalar */
  VG_OP_SIGN,
  VG_OP_NOT, /* 1 where x is 0, else 0: Not of a comparison (`h != 0` exports Not(Equal)) */
  VG_OP_ERF,
  VG_OP_SOFTMAX,
  VG_OP_MAX_POOL,
  VG_OP_AVG_POOL,
  VG_OP_GLOBAL_AVG_POOL,
  VG_OP_GLOBAL_MAX_POOL,
  VG_OP_PAD,     /* constant mode */
  VG_OP_RESHAPE, /* Reshape, Flatten, Squeeze, Unsqueeze: a new shape for the same values */
  VG_OP_GEMM,
  VG_OP_MATMUL,
  VG_OP_ADD, /* ADD .. WHERE stay together: vg_op_is_arithmetic() */
  VG_OP_SUB,
  VG_OP_MUL,
  VG_OP_DIV,
  VG_OP_PRELU, /* x < 0 ? slope x : x, the slope broadcast as B of the others */
  VG_OP_MAX,   /* Max and Min of two inputs (torch.maximum, torch.minimum): NaN propagates */
  VG_OP_MIN,
  VG_OP_GREATER, /* comparisons: 1 or 0 (ONNX's bool; false for NaN) */
  VG_OP_GREATER_EQUAL,
  VG_OP_LESS,
  VG_OP_LESS_EQUAL,
  VG_OP_EQUAL,
  VG_OP_WHERE, /* inputs[0] != 0 ? inputs[1] : inputs[2] (torch.where), all three broadcast */
  VG_OP_CONCAT,
  VG_OP_SLICE, /* a box of the channel (and F) axes, or of a plain value's axes; never time */
  VG_OP_INSTANCE_NORM, /* per channel over a window's F and T: not time-local, a head op */
  VG_OP_REDUCE,        /* a reduction (VgNode.reduce) over axes[0 .. n_axes) of each column, or of a
                          plain value; never time (time reductions are global pools) */
  VG_OP_IDENTITY,      /* Identity and Dropout; the loader may bypass them instead */
  VG_OP_COUNT
} VgOpType;

/* The element-wise activations: one input, y = f(x) per value (vg_unary in vg_scalar.h). */
static inline int vg_op_is_activation(VgOpType op)
{
  return op >= VG_OP_RELU && op <= VG_OP_ERF;
}

/* Add, Sub, Mul, Div, PRelu, Max, Min, the comparisons and Where, with broadcasting (vg_binary
 * and vg_where in vg_scalar.h): element-wise ops of two inputs, three for Where. */
static inline int vg_op_is_arithmetic(VgOpType op)
{
  return op >= VG_OP_ADD && op <= VG_OP_WHERE;
}

typedef struct {
  int rank; /* ONNX rank, batch included */
  int64_t dims[VG_MAX_RANK];
} VgShape;

typedef enum {
  VG_VALUE_INPUT, /* the graph input */
  VG_VALUE_CONST, /* initializer or Constant node output */
  VG_VALUE_NODE,  /* output of a node */
} VgValueKind;

typedef struct {
  char *name;
  VgValueKind kind;
  VgShape shape; /* constants: their shape. Input and node outputs: at the model's own input length
                    (vg_model_infer_shapes gives them for any other length). */
  float *data;   /* constants only: row-major ONNX order, owned by the model */
  int producer;  /* node index for VG_VALUE_NODE, -1 otherwise */
  int is_time;   /* a time value (vg_model_is_time_value), decided by the loader */
} VgValue;

/* Sliding-window attributes of Conv, ConvTranspose, MaxPool, AveragePool (and the pads of Pad).
 * Arrays follow ONNX's order of spatial axes: index n_spatial-1 is TIME, index 0 is F for 2-D. */
typedef struct {
  int n_spatial; /* 1 or 2 */
  int kernel[2];
  int stride[2];
  int dilation[2];
  int pad_begin[2];
  int pad_end[2];
  int output_padding[2]; /* ConvTranspose */
  int group;             /* Conv, ConvTranspose */
  int ceil_mode;         /* pools */
  int count_include_pad; /* AveragePool */
} VgWindow;

/* Pad's modes. Reflect and edge read the signal near the window's edges, so they are not
 * time-local: a model with one runs per window from it on (vg_node_is_time_local). */
typedef enum { VG_PAD_CONSTANT, VG_PAD_REFLECT, VG_PAD_EDGE } VgPadMode;

/* ReduceMean, ReduceMax, ReduceMin, ReduceSum, ReduceL2 (sqrt of the sum of squares). */
typedef enum {
  VG_REDUCE_MEAN,
  VG_REDUCE_MAX,
  VG_REDUCE_MIN,
  VG_REDUCE_SUM,
  VG_REDUCE_L2,
} VgReduce;

/* How a VG_OP_RESHAPE node computes its output shape from its input shape. The rule is kept (not
 * just the shape at the model's length) so that vg_model_infer_shapes can re-apply it for every
 * input length. A reshape that keeps the time axis last (e.g. [1, C, F, T] -> [1, C*F, T]) is
 * stored by the loader as VG_RESHAPE_TARGET with literal dims and -1 last. */
typedef enum {
  VG_RESHAPE_TARGET,    /* ONNX Reshape: axes[0 .. n_axes) is the target; 0 copies, -1 infers */
  VG_RESHAPE_FLATTEN,   /* ONNX Flatten at `axis`: [prod(dims[0 .. axis)), prod(dims[axis ..))] */
  VG_RESHAPE_SQUEEZE,   /* removes axes[0 .. n_axes) (normalised, ascending; each of size 1) */
  VG_RESHAPE_UNSQUEEZE, /* inserts size-1 axes at output positions axes[0 .. n_axes) (ascending) */
} VgReshapeKind;

typedef struct {
  VgOpType op;
  char *name; /* the ONNX node name (or "<op>#<index>" when it had none) */
  int n_inputs;
  int *inputs; /* value indices, in ONNX order (Conv: X, W[, B]; Gemm: A, B[, C]; ...). Inputs
                  the loader reads as attributes are dropped: Pad, Clip and the Reshape family
                  keep only their data input (n_inputs 1). Conv and Gemm without bias have 2. */
  int output;  /* value index */
  VgWindow win;
  float alpha;                 /* LeakyRelu, Elu alpha; Gemm alpha */
  float beta;                  /* Gemm beta */
  int trans_a, trans_b;        /* Gemm */
  float clip_min, clip_max;    /* Clip (-inf/+inf when absent) */
  float pad_value;             /* Pad */
  int axis;                    /* Softmax, Concat: normalised to [0, rank) */
  float epsilon;               /* BatchNormalization */
  VgReshapeKind reshape_kind;  /* Reshape family (see VgReshapeKind) */
  int n_axes;                  /* Reshape family: entries used in axes[] */
  int64_t axes[VG_MAX_RANK];   /* Reshape family: target dims or axes */
  int allowzero;               /* Reshape: 0 in the target is a literal 0 (never accepted) */
  void *packed;                /* owned by kernels/ops: GEMM-ready weights, prepared once */
  void (*packed_free)(void *); /* how to free `packed` */
  /* Slice: along axis a, slice_len[a] entries from slice_start[a]; slice_len[a] = -1 keeps the
   * axis whole (the time axis of a time value always: time crops are Pads with negative pads). */
  int64_t slice_start[VG_MAX_RANK], slice_len[VG_MAX_RANK];
  /* Reduce: what it computes over axes[0 .. n_axes). GlobalAveragePool: VG_REDUCE_SUM for a sum
   * over time (ReduceSum), VG_REDUCE_MEAN (0) otherwise. */
  VgReduce reduce;
  int log_softmax;    /* Softmax: LogSoftmax (x - max - log(sum(exp(x - max)))) */
  VgPadMode pad_mode; /* Pad: constant (0), reflect or edge */
} VgNode;

typedef struct {
  int n_values;
  VgValue *values;
  int n_nodes;
  VgNode *nodes; /* topological order */
  int input;     /* value index of the graph input */
  int output;    /* value index of the graph output (the first, when there are several) */
  /* Every graph output, outputs[0] == output: n_outputs 1 .. VG_MAX_OUTPUTS (a model built by
   * hand may leave it 0, which means one). Read them through vg_model_n_outputs/_output. */
  int n_outputs;
  int outputs[VG_MAX_OUTPUTS];
  int64_t opset; /* default-domain opset version */
  /* The file's input time axis is symbolic (exported with dynamic_axes); its length in the input
   * shape is the one the loader was given. */
  int time_dynamic;
  /* 0, or the only input length the model runs at: a size a Shape op read from the time axis
   * (exports with dynamic_axes compute sizes so) was folded at this length and enters more than
   * a reshape that keeps time last; fixed_length_why names that Shape node for messages. */
  int64_t fixed_length;
  char fixed_length_why[80];
  /* Input standardisation from the file's metadata (vg_metadata.h): each input frame's channel c
   * becomes (x - input_mean[c]) / input_std[c] before the network. n_standardised is 0 (and the
   * arrays NULL) when the file has none. Applied by the caller (streamcnn), not the executor. */
  int n_standardised;
  float *input_mean;
  float *input_std;
} VgModel;

/* The model's graph outputs: how many, the k-th's value index, and whether value v is one. */
static inline int vg_model_n_outputs(const VgModel *m)
{
  return m->n_outputs > 1 ? m->n_outputs : 1;
}

static inline int vg_model_output(const VgModel *m, int k)
{
  return k == 0 ? m->output : m->outputs[k];
}

static inline int vg_model_is_output(const VgModel *m, int v)
{
  for (int k = 0; k < vg_model_n_outputs(m); k++)
    if (vg_model_output(m, k) == v)
      return 1;
  return 0;
}

/* ---- loading (kernels/model/vg_onnx.c) ---- */

/* Reads an ONNX file. Unsupported ops are refused with the op, node and opset named; malformed
 * files with what was wrong. BatchNormalization is folded into a preceding Conv/ConvTranspose when
 * that conv's output feeds nothing else; Dropout and Identity are bypassed. */
VgModel *vg_model_load_file(const char *path, VgError *err);
VgModel *vg_model_load_buffer(const void *data, size_t size, VgError *err);
/* The same for a model whose input time axis may be symbolic (PyTorch's dynamic_axes): it takes
 * `time` columns, as if exported with that window, so that sizes the graph computes from shapes
 * (Shape, Gather, Reshape) are those of this window. A fixed time axis ignores `time`; `time` 0
 * refuses a symbolic one with a message that asks for the window. */
VgModel *vg_model_load_file_at(const char *path, int64_t time, VgError *err);
VgModel *vg_model_load_buffer_at(const void *data, size_t size, int64_t time, VgError *err);
/* The input's shape as the file declares it, without loading the graph: dims[rank - 1] is 0 when
 * the time axis is symbolic. For callers that choose the window from their data. */
int vg_model_file_input(const char *path, VgShape *shape, VgError *err);
void vg_model_free(VgModel *model);

const char *vg_op_name(VgOpType op);
/* The op's name with what the node makes of it: ReduceMean .. ReduceL2 for VG_OP_REDUCE,
 * GlobalSum for a GlobalAveragePool that sums (ReduceSum over time). */
const char *vg_node_op_name(const VgNode *node);

/* ---- shapes along time (kernels/model/vg_shape.c) ---- */

/* Shapes of every value when the input has `t_in` time steps. shapes[] has model->n_values entries.
 * Fails (with the node named) when a window does not fit, e.g. a kernel longer than its input. */
int vg_model_infer_shapes(const VgModel *model, int64_t t_in, VgShape *shapes, VgError *err);

/* Whether a value of this model is a time value (its last axis follows the input's time axis).
 * Constants and plain values are not. Independent of t_in. */
int vg_model_is_time_value(const VgModel *model, int value);

/* Floats per time column of a time value (prod of dims[1 .. rank-2]); 0 for plain values. */
int64_t vg_shape_width(const VgShape *shape);
int64_t vg_shape_count(const VgShape *shape);

/* ---- time-axis behaviour of each node (kernels/model/vg_time.c) ----
 *
 * A node is *time-local* when its output is a time value and output column j depends only on a
 * bounded range of input columns: conv, transposed conv, pooling along time, pad, pointwise and
 * binary ops, concat over channels, column-local reshapes. The streaming engine runs those
 * incrementally; everything after them (the head) runs per window. */
int vg_node_is_time_local(const VgModel *model, const VgNode *node);

/* Output length along time for an input of t_in columns (time-local nodes). */
int64_t vg_node_time_out_len(const VgNode *node, int64_t t_in);

/* The warning for running the model on `window` columns when a MaxPool or AveragePool's time
 * kernel spans its whole input at the model's own length, as PyTorch 1.13 exports
 * AdaptiveMaxPool1d(1) and AdaptiveMaxPool2d(1): at another length it pools only its first
 * `kernel` columns (what the ONNX file says, not what the PyTorch module computed). Writes the
 * message (naming the first such node, with the advice) into buf and returns 1; 0 when the model
 * has no such pool or window is its own length. streamcnn posts it, vigil-model plan prints it. */
int vg_model_pool_warning(const VgModel *model, int64_t window, char *buf, size_t size);

/* Input columns [*first, *last] that output columns [j0, j1] read (window-relative; may extend
 * below 0 or past the input's end, where the node sees its padding). For every input of a
 * multi-input node the range is the same. */
void vg_node_time_deps(const VgNode *node, int64_t j0, int64_t j1, int64_t *first, int64_t *last);

/* The time scale of a time-local node as a fraction num/den: output column j advances by num/den
 * columns per input column (stride s: 1/s; transposed stride s: s/1; otherwise 1/1). */
void vg_node_time_scale(const VgNode *node, int64_t *num, int64_t *den);

#endif
