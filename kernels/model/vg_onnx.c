/* Loading an ONNX file into a VgModel.
 *
 * The bytes are checked by a wire walk (bounded nesting), unpacked by the protobuf-c code that
 * protoc-c generated at build time from Debian's onnx.proto, under a memory budget (protobuf-c
 * allocates a struct per message: a hostile file of many empty messages would otherwise cost
 * ~100x its size). The graph is then converted node by node in topological order.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_metadata.h"
#include "vg_onnx_priv.h"

/* protobuf-c's allocations may use this much beyond the file's own size (x4 for its structs). */
#define VG_ONNX_BUDGET_BASE ((size_t)256 << 20)

typedef struct {
  size_t used, limit;
} Budget;

static void *budget_alloc(void *data, size_t size)
{
  Budget *bg = data;
  if (size > bg->limit - bg->used || size > SIZE_MAX - 16)
    return NULL;
  size_t *p = malloc(size + 16); /* 16 keeps the user pointer aligned like malloc's */
  if (!p)
    return NULL;
  p[0] = size;
  bg->used += size;
  return (char *)p + 16;
}

static void budget_free(void *data, void *ptr)
{
  Budget *bg = data;
  if (!ptr)
    return;
  size_t *p = (size_t *)((char *)ptr - 16);
  bg->used -= p[0];
  free(p);
}

static int default_opset(const Onnx__ModelProto *mp, int64_t *opset, VgError *err)
{
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
    if ((!o->domain || !o->domain[0] || strcmp(o->domain, "ai.onnx") == 0) && o->has_version) {
      *opset = o->version;
      if (o->version < 1 || o->version > 1000)
        return vg_error_set(err, "opset %lld is not a valid ONNX opset", (long long)o->version);
      return VG_OK;
    }
  }
  return vg_error_set(err, "the model imports no default-domain opset");
}

/* Nodes (and values) the loader makes of a node besides the 3 every node may take
 * (vg_onnx_reductions.c): 8 of one value each for a ReduceLogSumExp, 4 for a ReduceMean, ReduceMax
 * or ReduceSum over the time axis of a 2-D value. */
static int expanded_nodes(const Onnx__GraphProto *g)
{
  int n = 0;
  for (size_t i = 0; i < g->n_node; i++) {
    const char *op = g->node[i]->op_type ? g->node[i]->op_type : "";
    if (strcmp(op, "ReduceLogSumExp") == 0)
      n += 5;
    else if (strcmp(op, "ReduceMean") == 0 || strcmp(op, "ReduceMax") == 0 ||
             strcmp(op, "ReduceSum") == 0)
      n += 1;
  }
  return n;
}

/* Upper bound of the values a graph can define, refused beyond the VG_MAX_* limits. */
static int count_values(const Onnx__GraphProto *g, int *cap_values, VgError *err)
{
  if (g->n_node > VG_MAX_NODES)
    return vg_error_set(err, "%zu nodes (at most %d)", g->n_node, VG_MAX_NODES);
  size_t n = g->n_initializer + g->n_input;
  for (size_t i = 0; i < g->n_node && n <= VG_MAX_VALUES; i++)
    n += g->node[i]->n_output;
  if (n > VG_MAX_VALUES)
    return vg_error_set(err, "more than %d values", VG_MAX_VALUES);
  /* + folded weights and biases (2 per BatchNormalization), a Reduce*'s pooled value (1), a
   * Resize's or MatMul's weights as a conv's (1), an Add's constant per channel and the conv
   * bias made of it (2: vg_onnx_channels_last.c, vg_fold_conv_biases) */
  *cap_values = (int)(n + 2 * g->n_node + 1) + expanded_nodes(g);
  return VG_OK;
}

/* Graph output k: a value computed from the input, not already another output. */
static int set_output(VgBuild *b, size_t k, VgError *err)
{
  const Onnx__GraphProto *g = b->graph;
  const char *name = g->output[k]->name ? g->output[k]->name : "";
  if (vg_onnx_channels_last_output(b, name, err) != VG_OK)
    return VG_ERR;
  int v = vg_name_map_get(&b->names, name);
  if (v < 0)
    return vg_error_set(err, "the graph output '%s' is not computed by any node", name);
  if (v == b->m->input)
    return vg_error_set(err, "the graph output '%s' is the input itself (nothing to compute)",
                        name);
  if (b->m->values[v].kind != VG_VALUE_NODE)
    return vg_error_set(err, "the graph output '%s' does not depend on the input", name);
  for (size_t j = 0; j < k; j++)
    if (b->m->outputs[j] == v)
      return vg_error_set(err,
                          "the graph outputs '%s' and '%s' are the same value (return it once)",
                          g->output[j]->name ? g->output[j]->name : "", name);
  b->m->outputs[k] = v;
  if (strcmp(b->m->values[v].name, name) != 0) { /* reached through Identity/Dropout */
    char *copy = strdup(name);
    if (!copy)
      return vg_error_set(err, "out of memory");
    free(b->m->values[v].name);
    b->m->values[v].name = copy;
  }
  return VG_OK;
}

static int set_outputs(VgBuild *b, VgError *err)
{
  const Onnx__GraphProto *g = b->graph;
  if (g->n_output < 1 || g->n_output > VG_MAX_OUTPUTS)
    return vg_error_set(err, "the graph has %zu outputs (Vigil runs models of 1 to %d)",
                        g->n_output, VG_MAX_OUTPUTS);
  for (size_t k = 0; k < g->n_output; k++)
    if (set_output(b, k, err) != VG_OK)
      return VG_ERR;
  b->m->n_outputs = (int)g->n_output;
  b->m->output = b->m->outputs[0];
  return VG_OK;
}

static int build_nodes(VgBuild *b, VgError *err)
{
  const Onnx__GraphProto *g = b->graph;
  int *order;
  if (vg_onnx_topo_order(g, &order, err) != VG_OK)
    return VG_ERR;
  int ret = vg_onnx_add_inputs(b, err);
  for (size_t i = 0; ret == VG_OK && i < g->n_node; i++)
    ret = vg_onnx_add_node(b, g->node[order[i]], order[i], err);
  free(order);
  return ret;
}

/* The value of metadata `key`, or NULL. */
static const char *metadata(const Onnx__ModelProto *mp, const char *key)
{
  for (size_t i = 0; i < mp->n_metadata_props; i++)
    if (mp->metadata_props[i]->key && strcmp(mp->metadata_props[i]->key, key) == 0)
      return mp->metadata_props[i]->value;
  return NULL;
}

static VgModel *build_model(const Onnx__ModelProto *mp, int64_t time, VgError *err)
{
  VgBuild b;
  memset(&b, 0, sizeof b);
  b.time = time;
  if (!mp->graph) {
    vg_error_set(err, "not an ONNX model (no graph)");
    return NULL;
  }
  b.graph = mp->graph;
  if (mp->graph->n_sparse_initializer) {
    vg_error_set(err, "sparse initializers are not supported");
    return NULL;
  }
  VgModel *m = calloc(1, sizeof *m);
  if (!m || default_opset(mp, &m->opset, err) != VG_OK ||
      count_values(b.graph, &b.cap_values, err) != VG_OK) {
    if (!m)
      vg_error_set(err, "out of memory");
    free(m);
    return NULL;
  }
  b.m = m;
  /* a Reduce* without keepdims adds a Squeeze, a Slice a crop after its box, a Split a node per
   * output */
  b.cap_nodes = 2 * (int)b.graph->n_node + expanded_nodes(b.graph);
  for (size_t i = 0; i < b.graph->n_node; i++)
    b.cap_nodes += (int)b.graph->node[i]->n_output;
  m->values = calloc((size_t)b.cap_values, sizeof *m->values);
  m->nodes = calloc((size_t)b.cap_nodes + 1, sizeof *m->nodes);
  b.shapes = calloc((size_t)b.cap_values, sizeof *b.shapes);
  b.time_sized = calloc((size_t)b.cap_values, 1);
  int ret = VG_ERR;
  if (!m->values || !m->nodes || !b.shapes || !b.time_sized ||
      vg_name_map_init(&b.names, b.cap_values) != VG_OK)
    vg_error_set(err, "out of memory");
  else if (build_nodes(&b, err) == VG_OK && set_outputs(&b, err) == VG_OK) {
    vg_fold_crops(&b); /* conv, crop, BatchNormalization: the crop first */
    vg_fold_zero_pads(&b);
    if (vg_fold_batch_norms(&b, err) == VG_OK) {
      vg_fold_crops(&b); /* conv, BatchNormalization, crop */
      if (vg_fold_conv_biases(&b, err) == VG_OK)
        ret = vg_model_compact(m, err);
    }
  }
  if (ret == VG_OK)
    ret = vg_model_read_standardisation(m, metadata(mp, VG_META_INPUT_MEAN),
                                        metadata(mp, VG_META_INPUT_STD), err);
  vg_name_map_clear(&b.names);
  vg_name_map_clear(&b.cl_names);
  free(b.cl);
  free(b.shapes);
  free(b.time_sized);
  if (ret != VG_OK && m->time_dynamic) /* e.g. a window too short for the convs */
    vg_error_prefix(err, "at length %lld (its time axis is dynamic)", (long long)time);
  if (ret != VG_OK) {
    vg_model_free(m);
    return NULL;
  }
  return m;
}

/* Decodes an ONNX file's bytes within a memory budget (a hostile size field cannot make protobuf-c
 * allocate without bound); NULL with err set. Free with onnx__model_proto__free_unpacked(mp,
 * alloc). */
static Onnx__ModelProto *unpack_model(const void *data, size_t size, Budget *bg,
                                      ProtobufCAllocator *alloc, VgError *err)
{
  if (!data || size == 0) {
    vg_error_set(err, "empty model file");
    return NULL;
  }
  if (vg_onnx_wire_check(data, size, &onnx__model_proto__descriptor, err) != VG_OK) {
    vg_error_prefix(err, "not a valid ONNX file");
    return NULL;
  }
  *bg = (Budget){0, VG_ONNX_BUDGET_BASE + (size > SIZE_MAX / 8 ? SIZE_MAX / 2 : 4 * size)};
  *alloc = (ProtobufCAllocator){budget_alloc, budget_free, bg};
  Onnx__ModelProto *mp = onnx__model_proto__unpack(alloc, size, data);
  if (!mp)
    vg_error_set(err, "not a valid ONNX file (protobuf decoding failed%s)",
                 bg->used > bg->limit / 2 ? ", or it needs too much memory" : "");
  return mp;
}

VgModel *vg_model_load_buffer_at(const void *data, size_t size, int64_t time, VgError *err)
{
  Budget bg;
  ProtobufCAllocator alloc;
  Onnx__ModelProto *mp = unpack_model(data, size, &bg, &alloc, err);
  if (!mp)
    return NULL;
  VgModel *m = build_model(mp, time, err);
  onnx__model_proto__free_unpacked(mp, &alloc);
  return m;
}

VgModel *vg_model_load_buffer(const void *data, size_t size, VgError *err)
{
  return vg_model_load_buffer_at(data, size, 0, err);
}

/* The bytes of a model file (malloc'ed), or NULL with err set. */
static void *read_file(const char *path, size_t *size_out, VgError *err)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    vg_error_set(err, "cannot open '%s': %s", path, strerror(errno));
    return NULL;
  }
  long size = -1;
  if (fseek(f, 0, SEEK_END) == 0)
    size = ftell(f);
  void *data = NULL;
  if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
    vg_error_set(err, "cannot read '%s'", path);
  } else if (size > (long)1 << 31) {
    vg_error_set(err, "'%s' is larger than 2 GiB", path);
  } else if (!(data = malloc((size_t)size + 1))) {
    vg_error_set(err, "out of memory reading '%s'", path);
  } else if (fread(data, 1, (size_t)size, f) != (size_t)size) {
    vg_error_set(err, "cannot read '%s'", path);
    free(data);
    data = NULL;
  }
  fclose(f);
  *size_out = data ? (size_t)size : 0;
  return data;
}

VgModel *vg_model_load_file_at(const char *path, int64_t time, VgError *err)
{
  size_t size;
  void *data = read_file(path, &size, err);
  if (!data)
    return NULL;
  VgModel *m = vg_model_load_buffer_at(data, size, time, err);
  free(data);
  if (!m)
    vg_error_prefix(err, "%s", path);
  return m;
}

VgModel *vg_model_load_file(const char *path, VgError *err)
{
  return vg_model_load_file_at(path, 0, err);
}

int vg_model_file_input(const char *path, VgShape *shape, VgError *err)
{
  size_t size;
  void *data = read_file(path, &size, err);
  if (!data)
    return VG_ERR;
  Budget bg;
  ProtobufCAllocator alloc;
  Onnx__ModelProto *mp = unpack_model(data, size, &bg, &alloc, err);
  free(data);
  int dynamic, ret = VG_ERR;
  if (mp && !mp->graph)
    vg_error_set(err, "not an ONNX model (no graph)");
  else if (mp)
    ret = vg_onnx_input_shape(mp->graph, shape, &dynamic, err);
  if (mp)
    onnx__model_proto__free_unpacked(mp, &alloc);
  if (ret != VG_OK)
    vg_error_prefix(err, "%s", path);
  return ret;
}
