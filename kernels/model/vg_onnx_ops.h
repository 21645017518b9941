/* Vigil kernels: the per-op attribute readers of the ONNX loader (not a public header).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_ONNX_OPS_H
#define VG_ONNX_OPS_H

#include "vg_onnx_priv.h"

/* Reads an op's attributes (and constant inputs that act as attributes, which it then drops
 * from node->inputs) into the node. Inputs are resolved; their shapes are in b->shapes. */
typedef int (*VgParseFn)(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);

typedef struct {
  const char *name; /* ONNX op_type */
  VgOpType op;
  int min_in, max_in;
  VgParseFn parse;
  /* The attributes the op may carry, space-separated: any other is refused, since an attribute
   * that a later opset added may change what the op computes (AveragePool's dilations in 19). */
  const char *attrs;
} VgOpSpec;

/* The entry of an ONNX op_type in the table of vg_onnx_nodes.c, or NULL. */
const VgOpSpec *vg_onnx_find_spec(const char *op_type);
/* Converts np into one node as spec says (inputs, attributes, shape, time flag, folding) and
 * returns its output value, or VG_ERR. The output name is defined in b->names, except inside a
 * channels-last region (b->in_region), whose code defines it. */
int vg_onnx_add_op(VgBuild *b, const Onnx__NodeProto *np, const VgOpSpec *spec, VgError *err);

/* "unsupported WHAT in op 'X' (node 'n', opset N)" */
int vg_unsupported(VgBuild *b, VgError *err, const char *what);
/* Refuses by name an attribute of np that the space-separated list `attrs` does not hold
 * (consumed_inputs, an optimisation hint of opsets 1-5, is accepted everywhere). */
int vg_check_attrs(VgBuild *b, const Onnx__NodeProto *np, const char *attrs, VgError *err);

/* Integer values of a constant input (Reshape's shape, Pad's pads, axes): at most max of them. */
int vg_const_ints(VgBuild *b, int v, int64_t *out, int max, int *n, VgError *err);

int vg_parse_conv(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
/* Resize (nearest, integer scales) becomes a depthwise ConvTranspose of ones (vg_onnx_window.c). */
int vg_parse_resize(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
int vg_parse_batch_norm(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
/* InstanceNormalization: epsilon; scale and B constants of one value per channel. */
int vg_parse_instance_norm(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
int vg_parse_alpha(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
/* Pow: the exponent, a constant scalar, into alpha (the node keeps X only). */
int vg_parse_pow(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
int vg_parse_clip(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
int vg_parse_softmax(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
int vg_parse_pool(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
int vg_parse_pad(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
int vg_parse_flatten(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
int vg_parse_reshape(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
int vg_parse_squeeze(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
int vg_parse_unsqueeze(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
int vg_parse_gemm(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
int vg_parse_reduce(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);
/* A Reduce*'s kind into node->reduce and its axes (attribute or input, normalised) as a bit mask
 * (0: none given); the node keeps its data input only. */
int vg_reduce_axes(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, int *seen, VgError *err);
/* The op of a reduction of kind node->reduce over the axes `seen` of node->inputs[0]: a global
 * pool over every axis after the channels of a time value, else a Reduce node; or a refusal. */
int vg_reduce_setup(VgBuild *b, VgNode *node, int seen, VgError *err);
int vg_parse_concat(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, VgError *err);

/* Ops evaluated on constants only (Shape, ConstantOfShape, Gather, Slice, Cast, Transpose; see
 * vg_const_ops.c): 1 if np was one (its output is now a constant), 0 if not, VG_ERR. */
int vg_onnx_const_op(VgBuild *b, const Onnx__NodeProto *np, VgError *err);
/* The refusal of such an op (`op`, node `node`) whose input `input` is computed: "... Vigil
 * evaluates it on constants only ...", saying which layout to export when it is the graph input. */
int vg_onnx_refuse_computed(VgBuild *b, const char *op, const char *node, const char *input,
                            int graph_input, VgError *err);

/* Slice's bounds per axis at shape x (ONNX's clamping applied to start and len), and as written
 * (raw_*), for the axes the node names (named[a]); the others start at 0 and keep their length. */
typedef struct {
  int64_t start[VG_MAX_RANK], step[VG_MAX_RANK], len[VG_MAX_RANK];
  int64_t raw_start[VG_MAX_RANK], raw_end[VG_MAX_RANK];
  unsigned char named[VG_MAX_RANK];
} VgSliceBounds;
/* Reads them for node np (a Slice) from its attributes or constant inputs (vg_const_ops.c). */
int vg_onnx_slice_bounds(VgBuild *b, const Onnx__NodeProto *np, const VgShape *x, VgSliceBounds *s,
                         VgError *err);
/* Slice and Split of a computed value x (vg_onnx_slice.c): Slice nodes over fixed axes, Pads with
 * negative pads for crops of the time axis. */
int vg_onnx_add_slice(VgBuild *b, const Onnx__NodeProto *np, int x, VgError *err);
int vg_onnx_add_split(VgBuild *b, const Onnx__NodeProto *np, VgError *err);
/* Resize's integer factors of the spatial axes of x into s[] from the constant `scales` (1 on
 * batch and channels, 1-64 elsewhere); a `sizes` input, other ranks and factors are refused. */
int vg_resize_factors(VgBuild *b, const VgShape *x, const VgValue *scales, int has_sizes, int *s,
                      VgError *err);
/* Resize in linear mode of a computed value x: an edge Pad and a depthwise ConvTranspose of the
 * interpolation's tent (vg_onnx_resize.c). */
int vg_onnx_add_resize_linear(VgBuild *b, const Onnx__NodeProto *np, int x, VgError *err);
/* Gather of one constant index of a computed value x: a Slice (or crop) and a Squeeze. */
int vg_onnx_add_gather(VgBuild *b, const Onnx__NodeProto *np, int x, VgError *err);
/* Expand of a computed value x: a Mul by ones of the target shape (vg_onnx_slice.c). */
int vg_onnx_add_expand(VgBuild *b, const Onnx__NodeProto *np, int x, VgError *err);
/* ReduceLogSumExp of computed value x, as the nodes of max + log(sum(exp(x - max)))
 * (vg_onnx_reductions.c). */
int vg_onnx_add_logsumexp(VgBuild *b, const Onnx__NodeProto *np, int x, VgError *err);
/* ReduceMean, ReduceMax or ReduceSum np of the time axis only of a [1, C, F, T] time value x: a
 * global pool of x as [1, C * F, T] (vg_onnx_reductions.c). 1 when done, 0 for another
 * reduction, or VG_ERR. */
int vg_onnx_add_time_reduce(VgBuild *b, const Onnx__NodeProto *np, int x, VgError *err);
/* A node the loader adds beyond the ONNX node's own (a Squeeze after a Reduce*, Slice's nodes):
 * appended to the model, reading `input` and `second` (-1: one input only), Slice boxes off
 * (slice_len -1). NULL with err set. */
VgNode *vg_onnx_new_node(VgBuild *b, VgOpType op, const char *name, int input, int second,
                         VgError *err);
/* Gives node (the model's last) its output value named `name` (the name map then points there),
 * its shape at the model's length and its time flag. */
int vg_onnx_emit_node(VgBuild *b, VgNode *node, const char *name, VgError *err);

/* Adjustments that need the node's output shape: a Reshape that keeps the time axis is
 * rewritten to keep it at every length (1 when it was, else 0). */
int vg_parse_after_shape(VgBuild *b, VgNode *node, VgError *err);

#endif
