/* Vigil kernels: what the ONNX loader's files share (not a public header).
 *
 * Loading goes: wire check (vg_onnx_wire.c) -> protobuf-c unpack with a memory budget
 * (vg_onnx.c) -> graph checks and topological order (vg_onnx_graph.c) -> one VgNode per ONNX node
 * with its attributes (vg_onnx_nodes.c, vg_onnx_attrs.c, tensors from vg_onnx_tensor.c), shapes at
 * the model's own length as nodes are added (vg_shape.c) -> folding (vg_fold.c) -> compaction.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_ONNX_PRIV_H
#define VG_ONNX_PRIV_H

#include "onnx.pb-c.h"
#include "vg_model.h"

/* Deepest nesting of messages accepted: ONNX needs 7 (model, graph, value info, type, tensor
 * type, shape, dimension); protobuf-c recurses once per level, so a hostile file could otherwise
 * overflow the stack. */
#define VG_ONNX_MAX_DEPTH 24

/* ---- vg_onnx_wire.c ---- */

/* Walks the protobuf wire format of `desc` without unpacking: fails on truncation, bad wire types
 * or nesting deeper than VG_ONNX_MAX_DEPTH. */
int vg_onnx_wire_check(const uint8_t *data, size_t size, const ProtobufCMessageDescriptor *desc,
                       VgError *err);

/* ---- name map (vg_onnx_graph.c): ONNX names (borrowed strings) to ints ---- */

typedef struct {
  const char **keys;
  int *vals;
  unsigned char *owned; /* keys vg_name_map_set copied (the others are borrowed) */
  size_t cap;           /* power of two */
} VgNameMap;

int vg_name_map_init(VgNameMap *map, size_t n_max);
void vg_name_map_clear(VgNameMap *map);
/* Returns the value for name, or -1. */
int vg_name_map_get(const VgNameMap *map, const char *name);
/* Adds name -> val; returns 0 if the name is already present (nothing changed). */
int vg_name_map_put(VgNameMap *map, const char *name, int val);
/* Adds or replaces name -> val, keeping a copy of a new name (the loader's own names of the
 * values it makes are built in buffers that do not outlive the call). */
int vg_name_map_set(VgNameMap *map, const char *name, int val);

/* ---- the model under construction ---- */

typedef struct {
  const Onnx__GraphProto *graph;
  VgModel *m;
  int cap_values, cap_nodes;
  VgNameMap names;      /* ONNX value name -> value index (aliases for bypassed nodes too) */
  int64_t const_floats; /* floats in constants so far (<= VG_MAX_CONST_VALUES) */
  VgShape *shapes;      /* shapes of the values at the model's own input length */
  int64_t time;         /* the length a symbolic input time axis takes (0: refuse one) */
  int shape_checks;     /* Shape nodes of computed values so far (vg_const_ops.c) */
  /* Per value: a constant computed from a size that depends on the input length (a Shape of a
   * computed value), valid at this length only; and the first such Shape node, for messages. A
   * node that reads one ties the model to its length (vg_onnx_time_sized_inputs). */
  unsigned char *time_sized; /* a mark: bit i for entry i of a small vector (a Shape's, Gather
                                keeps them apart), VG_TIME_SIZED_ALL for all of a value */
  char time_sized_from[80];
  /* Channels-last regions (vg_onnx_channels_last.c): ONNX names between a Transpose that moves
   * the channels last and the Transpose back, each an entry of cl naming its value in conv
   * layout. Allocated at the first one. in_region is set while such a node is converted. */
  VgNameMap cl_names;
  struct VgChannelsLast *cl;
  int n_cl, cap_cl, in_region;
  const char *node_name; /* the node being converted, for messages */
  const char *op_type;
  char label[96]; /* node_name of an unnamed node: "<op>#<index>" */
} VgBuild;

#define VG_TIME_SIZED_ALL 0xff

/* Appends a value (name copied) and returns its index, or -1 with err set. */
int vg_build_add_value(VgBuild *b, const char *name, VgValueKind kind, VgError *err);
/* Appends a constant value of the given shape with `data` (taken over, freed on failure). */
int vg_build_add_const(VgBuild *b, const char *name, const VgShape *shape, float *data,
                       VgError *err);

/* ---- vg_onnx_channels_last.c: nn.Linear over channels as a 1x1 Conv ---- */

typedef struct VgChannelsLast VgChannelsLast;
/* A Transpose of a time value that moves the channels last, or a node reading a name it defined
 * (directly or through ops converted since): converted in conv layout or refused. 1 when np was
 * such a node, 0 when not, VG_ERR. */
int vg_onnx_channels_last(VgBuild *b, const Onnx__NodeProto *np, VgError *err);
/* The value (conv layout) of a channels-last name, or -1. */
int vg_onnx_channels_last_value(const VgBuild *b, const char *name);
/* Refuses a channels-last name as the graph output; VG_OK for any other name. */
int vg_onnx_channels_last_output(VgBuild *b, const char *name, VgError *err);

/* Appends a constant of the given shape whose every value is `value` (loader-made weights: the ones
 * of Resize and Expand), its size checked before anything is allocated. */
int vg_build_add_filled(VgBuild *b, const char *name, const VgShape *shape, float value,
                        VgError *err);
/* A window of n_spatial axes that reads one column, stride 1, no padding, one group: what the
 * loader-made nodes (crops, 1x1 convs, decimations) start from. */
void vg_window_unit(VgWindow *w, int n_spatial);

/* ---- vg_onnx_tensor.c ---- */

/* A TensorProto as floats (float, double, int32, int64 data: integer tensors are read exactly and
 * converted, which is exact for the small integers they hold here: shapes, pads, axes). */
int vg_onnx_tensor_read(const Onnx__TensorProto *t, VgShape *shape, float **data, VgError *err);
/* What the refusal of a BatchNormalization or Dropout exported in training mode adds (the op and
 * node follow it in vg_unsupported's message). */
#define VG_ONNX_TRAINING_HINT                                                                      \
  " (the model was exported in training mode: call model.eval() before torch.onnx.export, with "   \
  "the default training=TrainingMode.EVAL)"
/* ONNX's name of a TensorProto data type ("float16", "bool", ...; "unknown" beyond the table). */
const char *vg_onnx_type_name(int32_t type);
/* What a refusal of a float16 or bfloat16 model (model.half()) adds: how to export it in float32.
 */
#define VG_ONNX_FLOAT_HINT(type)                                                                   \
  ((type) == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 ||                                             \
           (type) == ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16 ||                                    \
           (type) == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE                                         \
       ? ": export the model in float32 (model.float() before torch.onnx.export)"                  \
       : "")

/* ---- vg_onnx_attrs.c ---- */

const Onnx__AttributeProto *vg_attr_find(const Onnx__NodeProto *np, const char *name);
int vg_attr_int(const Onnx__NodeProto *np, const char *name, int64_t def, int64_t *out,
                VgError *err);
int vg_attr_float(const Onnx__NodeProto *np, const char *name, float def, float *out, VgError *err);
/* An INTS attribute: *n = -1 when absent. At most `max` entries. */
int vg_attr_ints(const Onnx__NodeProto *np, const char *name, int64_t *out, int max, int *n,
                 VgError *err);
/* A STRING attribute compared with `def` when absent: copies at most cap-1 bytes. */
int vg_attr_string(const Onnx__NodeProto *np, const char *name, const char *def, char *out,
                   size_t cap, VgError *err);

/* ---- vg_onnx_nodes.c ---- */

/* Converts one ONNX node (inputs already defined) into values and nodes of b->m. */
int vg_onnx_add_node(VgBuild *b, const Onnx__NodeProto *np, int index, VgError *err);

/* ---- vg_onnx_graph.c ---- */

/* Checks graph-level structure and returns the ONNX node indices in topological order (Kahn):
 * dangling names, duplicate definitions and cycles are errors. *order is malloc'ed. */
int vg_onnx_topo_order(const Onnx__GraphProto *g, int **order, VgError *err);
/* Defines the graph input and the initializers as values. */
int vg_onnx_add_inputs(VgBuild *b, VgError *err);
/* After node np became `node` (or was folded, node->op == VG_OP_DEAD): propagates the
 * time-sized mark of its ONNX inputs to a folded output, or ties the model to its length
 * (VgModel.fixed_length) when a live node reads a time-sized constant. The one exception is the
 * target of a Reshape that keeps the time axis last (`time_keeping`, vg_parse_after_shape), which
 * is re-applied at every length. */
void vg_onnx_time_sized_inputs(VgBuild *b, const Onnx__NodeProto *np, const VgNode *node,
                               int time_keeping);
/* Shape node np of computed value v, dims [start, end): a constant (vg_time_sized.c) marked with
 * which of its entries depend on the input length. */
int vg_onnx_shape_of_computed(VgBuild *b, const Onnx__NodeProto *np, int v, int64_t start,
                              int64_t end, VgError *err);
/* The mark of a Gather of data by constant indices: a vector's picked entries keep their own
 * marks (x.size(1) of a [1, C, T] value does not depend on the length); otherwise whole. */
unsigned char vg_onnx_gather_mark(const VgBuild *b, const VgValue *data, const VgValue *indices,
                                  const VgValue *out);
/* The graph input's shape as declared, its time axis 0 when symbolic (*dynamic then 1). */
int vg_onnx_input_shape(const Onnx__GraphProto *g, VgShape *shape, int *dynamic, VgError *err);
/* After every node: removes dead nodes and unused values, renumbering indices. */
int vg_model_compact(VgModel *m, VgError *err);

/* ---- vg_shape.c ---- */

/* Shape of one node's output from its inputs' shapes in shapes[] (at any length). */
int vg_shape_node(const VgModel *m, const VgNode *node, VgShape *shapes, VgError *err);
/* Whether the node's output is a time value, from its inputs' flags and its rule (loader). */
int vg_shape_output_is_time(const VgModel *m, const VgNode *node);

/* ---- vg_fold.c ---- */

/* Folds a node whose inputs are all constants into a constant, when the op is cheap to evaluate
 * here (reshapes, pointwise and binary ops, concat). Returns 1 if folded, 0 if not, VG_ERR. */
int vg_fold_constant_node(VgBuild *b, int node, VgError *err);
/* Folds every BatchNormalization that follows a Conv/ConvTranspose used by nothing else. */
int vg_fold_batch_norms(VgBuild *b, VgError *err);
/* Makes the Add of one constant per channel after a bias-free Conv that nothing else reads the
 * conv's bias (nn.Linear over channels: vg_onnx_channels_last.c). */
int vg_fold_conv_biases(VgBuild *b, VgError *err);

/* Folds every time crop of a Conv's output (nothing else reading it) into the conv's pads. */
void vg_fold_crops(VgBuild *b);
/* Constant Pads of zero pads (identities) bypassed: their readers read their input. */
void vg_fold_zero_pads(VgBuild *b);

/* Marks a node removed (compaction drops it). */
#define VG_OP_DEAD VG_OP_COUNT

#endif
