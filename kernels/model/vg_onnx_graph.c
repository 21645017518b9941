/* Graph structure of an ONNX file: names, the graph input, initializers and topological order.
 *
 * ONNX requires nodes in topological order, but a hostile file may list them in any order or
 * close a cycle: Kahn's algorithm orders them and detects cycles (some node never reaches
 * in-degree 0). Every name a node reads must be defined exactly once, by an initializer, the graph
 * input or another node.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "vg_onnx_priv.h"

/* ---- name map: open addressing, FNV-1a ---- */

static size_t hash_name(const char *s)
{
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return (size_t)h;
}

int vg_name_map_init(VgNameMap *map, size_t n_max)
{
  size_t cap = 16;
  while (cap < 2 * n_max + 1)
    cap *= 2;
  map->cap = cap;
  map->keys = calloc(cap, sizeof *map->keys);
  map->vals = calloc(cap, sizeof *map->vals);
  map->owned = calloc(cap, 1);
  if (!map->keys || !map->vals || !map->owned) {
    vg_name_map_clear(map);
    return VG_ERR;
  }
  return VG_OK;
}

void vg_name_map_clear(VgNameMap *map)
{
  for (size_t i = 0; map->keys && map->owned && i < map->cap; i++)
    if (map->owned[i])
      free((char *)map->keys[i]);
  free(map->keys);
  free(map->vals);
  free(map->owned);
  map->keys = NULL;
  map->vals = NULL;
  map->owned = NULL;
  map->cap = 0;
}

static size_t slot_of(const VgNameMap *map, const char *name)
{
  size_t i = hash_name(name) & (map->cap - 1);
  while (map->keys[i] && strcmp(map->keys[i], name) != 0)
    i = (i + 1) & (map->cap - 1);
  return i;
}

int vg_name_map_get(const VgNameMap *map, const char *name)
{
  size_t i = slot_of(map, name);
  return map->keys[i] ? map->vals[i] : -1;
}

int vg_name_map_put(VgNameMap *map, const char *name, int val)
{
  size_t i = slot_of(map, name);
  if (map->keys[i])
    return 0;
  map->keys[i] = name;
  map->vals[i] = val;
  return 1;
}

int vg_name_map_set(VgNameMap *map, const char *name, int val)
{
  size_t i = slot_of(map, name);
  if (!map->keys[i]) {
    char *copy = strdup(name);
    if (!copy)
      return VG_ERR;
    map->keys[i] = copy;
    map->owned[i] = 1;
  }
  map->vals[i] = val;
  return VG_OK;
}

/* ---- values ---- */

int vg_build_add_value(VgBuild *b, const char *name, VgValueKind kind, VgError *err)
{
  VgModel *m = b->m;
  if (m->n_values >= b->cap_values)
    return vg_error_set(err, "more values than the file declares (internal limit %d)",
                        b->cap_values);
  VgValue *v = &m->values[m->n_values];
  memset(v, 0, sizeof *v);
  v->name = strdup(name ? name : "");
  if (!v->name)
    return vg_error_set(err, "out of memory");
  v->kind = kind;
  v->producer = -1;
  return m->n_values++;
}

int vg_build_add_const(VgBuild *b, const char *name, const VgShape *shape, float *data,
                       VgError *err)
{
  int64_t n = vg_shape_count(shape);
  if (n > VG_MAX_CONST_VALUES - b->const_floats) {
    free(data);
    return vg_error_set(err, "constants exceed %ld floats in all", (long)VG_MAX_CONST_VALUES);
  }
  int v = vg_build_add_value(b, name, VG_VALUE_CONST, err);
  if (v < 0) {
    free(data);
    return VG_ERR;
  }
  b->const_floats += n;
  b->m->values[v].shape = *shape;
  b->shapes[v] = *shape;
  b->m->values[v].data = data;
  return v;
}

int vg_build_add_filled(VgBuild *b, const char *name, const VgShape *shape, float value,
                        VgError *err)
{
  int64_t n = 1, room = VG_MAX_CONST_VALUES - b->const_floats;
  for (int i = 0; i < shape->rank; i++) { /* bounded before multiplying: no overflow */
    if (shape->dims[i] < 0 || (shape->dims[i] > 0 && n > room / shape->dims[i]))
      return vg_error_set(err, "constants exceed %ld floats in all", (long)VG_MAX_CONST_VALUES);
    n *= shape->dims[i];
  }
  float *d = malloc((size_t)(n > 0 ? n : 1) * sizeof *d);
  if (!d)
    return vg_error_set(err, "out of memory");
  for (int64_t i = 0; i < n; i++)
    d[i] = value;
  return vg_build_add_const(b, name, shape, d, err);
}

void vg_window_unit(VgWindow *w, int n_spatial)
{
  memset(w, 0, sizeof *w);
  w->n_spatial = n_spatial;
  for (int a = 0; a < n_spatial; a++)
    w->kernel[a] = w->stride[a] = w->dilation[a] = 1;
  w->group = 1;
}

/* ---- graph input and initializers ---- */

static int add_initializers(VgBuild *b, VgError *err)
{
  const Onnx__GraphProto *g = b->graph;
  for (size_t i = 0; i < g->n_initializer; i++) {
    const Onnx__TensorProto *t = g->initializer[i];
    VgShape shape;
    float *data;
    if (!t->name || !t->name[0])
      return vg_error_set(err, "initializer %zu has no name", i);
    if (vg_onnx_tensor_read(t, &shape, &data, err) != VG_OK)
      return VG_ERR;
    int v = vg_build_add_const(b, t->name, &shape, data, err);
    if (v < 0)
      return VG_ERR;
    if (!vg_name_map_put(&b->names, t->name, v))
      return vg_error_set(err, "initializer '%s' is defined twice", t->name);
  }
  return VG_OK;
}

/* The input's shape: [1, C, T] or [1, C, F, T], fixed sizes except a symbolic batch (taken as 1)
 * and a symbolic time axis (a PyTorch export with dynamic_axes), which takes the length `time`:
 * 0 refuses one, -1 leaves it 0 (vg_model_file_input). *dynamic tells which it was. */
static int input_shape(const Onnx__ValueInfoProto *vi, int64_t time, VgShape *shape, int *dynamic,
                       VgError *err)
{
  *dynamic = 0;
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
    return vg_error_set(err, "input '%s' is not a tensor", vi->name);
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  if (tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
    return vg_error_set(err, "input '%s' has element type %s (Vigil needs float32)%s", vi->name,
                        vg_onnx_type_name(tt->elem_type), VG_ONNX_FLOAT_HINT(tt->elem_type));
  if (!tt->shape || (tt->shape->n_dim != 3 && tt->shape->n_dim != 4))
    return vg_error_set(err, "input '%s' must be [1, C, T] or [1, C, F, T] (time last)", vi->name);
  shape->rank = (int)tt->shape->n_dim;
  for (int i = 0; i < shape->rank; i++) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    int fixed = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    if (i == 0 && (!fixed || d->dim_value == 1)) {
      shape->dims[0] = 1;
      continue;
    }
    if (!fixed && i == shape->rank - 1 && time != 0) {
      if (time > VG_MAX_DIM)
        return vg_error_set(err, "a window of %lld columns is too long (at most %ld)",
                            (long long)time, (long)VG_MAX_DIM);
      *dynamic = 1;
      shape->dims[i] = time > 0 ? time : 0;
      continue;
    }
    if (!fixed && i == shape->rank - 1)
      return vg_error_set(err,
                          "input '%s' has a dynamic time axis ('%s'): give the window length "
                          "(streamcnn's 'window' property; vigil-model info --length, plan "
                          "--window)",
                          vi->name, d->dim_param && d->dim_param[0] ? d->dim_param : "?");
    if (!fixed)
      return vg_error_set(err,
                          "axis %d of input '%s' has no fixed size: export the model with fixed "
                          "channels%s (only batch and time may be dynamic; time is the last axis)",
                          i, vi->name, shape->rank == 4 ? " and frequencies" : "");
    if (i == 0)
      return vg_error_set(err, "input '%s' has batch %lld (Vigil runs batch 1)", vi->name,
                          (long long)d->dim_value);
    if (d->dim_value < 1 || d->dim_value > VG_MAX_DIM)
      return vg_error_set(err, "axis %d of input '%s' has size %lld", i, vi->name,
                          (long long)d->dim_value);
    shape->dims[i] = d->dim_value;
  }
  return VG_OK;
}

/* The graph's one input: the entry of graph.input that is not an initializer (init: their names;
 * ONNX IR < 4 lists initializers as inputs too). */
static int graph_input(const Onnx__GraphProto *g, const VgNameMap *init,
                       const Onnx__ValueInfoProto **input, VgError *err)
{
  const Onnx__ValueInfoProto *in = NULL;
  for (size_t i = 0; i < g->n_input; i++) {
    const Onnx__ValueInfoProto *vi = g->input[i];
    if (!vi->name || !vi->name[0])
      return vg_error_set(err, "graph input %zu has no name", i);
    if (vg_name_map_get(init, vi->name) >= 0)
      continue;
    if (in)
      return vg_error_set(err,
                          "the graph has more than one input ('%s', '%s'); Vigil runs models "
                          "of one input (weights as inputs: export with export_params=True)",
                          in->name, vi->name);
    in = vi;
  }
  if (!in)
    return vg_error_set(err, "the graph has no input");
  *input = in;
  return VG_OK;
}

int vg_onnx_input_shape(const Onnx__GraphProto *g, VgShape *shape, int *dynamic, VgError *err)
{
  VgNameMap init;
  if (vg_name_map_init(&init, g->n_initializer) != VG_OK)
    return vg_error_set(err, "out of memory");
  for (size_t i = 0; i < g->n_initializer; i++)
    if (g->initializer[i]->name)
      vg_name_map_put(&init, g->initializer[i]->name, 0);
  const Onnx__ValueInfoProto *in = NULL;
  int ret = graph_input(g, &init, &in, err);
  vg_name_map_clear(&init);
  return ret == VG_OK ? input_shape(in, -1, shape, dynamic, err) : VG_ERR;
}

int vg_onnx_add_inputs(VgBuild *b, VgError *err)
{
  const Onnx__ValueInfoProto *in = NULL;
  VgShape shape;
  if (add_initializers(b, err) != VG_OK || graph_input(b->graph, &b->names, &in, err) != VG_OK ||
      input_shape(in, b->time, &shape, &b->m->time_dynamic, err) != VG_OK)
    return VG_ERR;
  int v = vg_build_add_value(b, in->name, VG_VALUE_INPUT, err);
  if (v < 0)
    return VG_ERR;
  b->m->values[v].shape = shape;
  b->shapes[v] = shape;
  b->m->values[v].is_time = 1;
  b->m->input = v;
  vg_name_map_put(&b->names, in->name, v);
  return VG_OK;
}

/* ---- topological order ---- */

#define GRAPH_LEVEL (-2) /* producer mark of initializers and graph inputs */

/* Maps every defined name to its producing node (or GRAPH_LEVEL). */
static int map_producers(const Onnx__GraphProto *g, VgNameMap *prod, VgError *err)
{
  for (size_t i = 0; i < g->n_initializer; i++)
    if (g->initializer[i]->name)
      vg_name_map_put(prod, g->initializer[i]->name, GRAPH_LEVEL);
  for (size_t i = 0; i < g->n_input; i++)
    if (g->input[i]->name)
      vg_name_map_put(prod, g->input[i]->name, GRAPH_LEVEL);
  for (size_t i = 0; i < g->n_node; i++) {
    const Onnx__NodeProto *np = g->node[i];
    for (size_t o = 0; o < np->n_output; o++) {
      if (!np->output[o][0])
        continue;
      if (!vg_name_map_put(prod, np->output[o], (int)i))
        return vg_error_set(err, "value '%s' is defined twice (again by node %zu '%s')",
                            np->output[o], i, np->name ? np->name : "");
    }
  }
  return VG_OK;
}

/* Kahn over the edges producer -> consumer held in CSR form (start[], adj[]). */
static int kahn(const Onnx__GraphProto *g, const VgNameMap *prod, int *order, VgError *err)
{
  size_t n = g->n_node, n_edges = 0;
  for (size_t i = 0; i < n; i++)
    n_edges += g->node[i]->n_input;
  int *indeg = calloc(n + 1, sizeof *indeg);
  size_t *start = calloc(n + 2, sizeof *start);
  int *adj = malloc((n_edges + 1) * sizeof *adj);
  int ret = VG_ERR;
  if (!indeg || !start || !adj) {
    vg_error_set(err, "out of memory");
    goto done;
  }
  for (int pass = 0; pass < 2; pass++) { /* count edges per producer, then fill them */
    for (size_t i = 0; i < n; i++) {
      const Onnx__NodeProto *np = g->node[i];
      for (size_t k = 0; k < np->n_input; k++) {
        int p = np->input[k][0] ? vg_name_map_get(prod, np->input[k]) : GRAPH_LEVEL;
        if (p == -1) {
          vg_error_set(err, "node '%s' (%s) reads '%s', which nothing defines",
                       np->name ? np->name : "", np->op_type ? np->op_type : "?", np->input[k]);
          goto done;
        }
        if (p < 0)
          continue;
        if (pass == 0) {
          start[p + 1]++;
          indeg[i]++;
        } else {
          adj[start[p]++] = (int)i;
        }
      }
    }
    if (pass == 0) /* prefix sums: start[p] = first edge of p */
      for (size_t i = 0; i < n; i++)
        start[i + 1] += start[i];
    else /* filling advanced start[p] to the next producer's first edge: shift back */
      for (size_t i = n; i > 0; i--)
        start[i] = start[i - 1];
    if (pass == 1)
      start[0] = 0;
  }
  size_t head = 0, tail = 0;
  for (size_t i = 0; i < n; i++)
    if (indeg[i] == 0)
      order[tail++] = (int)i;
  while (head < tail) {
    int p = order[head++];
    for (size_t e = start[p]; e < start[p + 1]; e++)
      if (--indeg[adj[e]] == 0)
        order[tail++] = adj[e];
  }
  if (tail < n) {
    size_t i = 0;
    while (indeg[i] == 0)
      i++;
    vg_error_set(err, "the graph has a cycle (through node '%s')",
                 g->node[i]->name ? g->node[i]->name : "");
    goto done;
  }
  ret = VG_OK;
done:
  free(indeg);
  free(start);
  free(adj);
  return ret;
}

int vg_onnx_topo_order(const Onnx__GraphProto *g, int **order, VgError *err)
{
  size_t n_names = g->n_initializer + g->n_input;
  for (size_t i = 0; i < g->n_node; i++)
    n_names += g->node[i]->n_output;
  VgNameMap prod;
  *order = malloc((g->n_node + 1) * sizeof **order);
  if (!*order || vg_name_map_init(&prod, n_names) != VG_OK) {
    free(*order);
    *order = NULL;
    return vg_error_set(err, "out of memory");
  }
  int ret = map_producers(g, &prod, err);
  if (ret == VG_OK)
    ret = kahn(g, &prod, *order, err);
  vg_name_map_clear(&prod);
  if (ret != VG_OK) {
    free(*order);
    *order = NULL;
  }
  return ret;
}
