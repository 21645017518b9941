/* Slice, Split, Gather and Expand of computed values: channel gates (F.glu, torch.chunk, h[:, :C]),
 * time crops (a TCN's Chomp1d, h[:, :, :-p]) and broadcasts (F.normalize's Expand).
 *
 * Along a fixed axis (channels, frequency, any axis of a plain value) they become Slice nodes that
 * copy a box of each column. Along the time axis of a time value a slice is a crop: it drops a
 * columns at the start and b at the end, which is a Pad of -a and -b (output column j is input
 * column j + a, vg_time.c), so that the streaming engine's column arithmetic covers it unchanged.
 * That rule holds at every window length when the start counts from the start (x[..., a:]) and the
 * end from the end (x[..., :-b]) or is open; bounds written otherwise (x[..., :38], x[..., -10:])
 * mean other crops at other lengths, so the model is tied to the length it was loaded at
 * (VgModel.fixed_length), as for sizes read from its shape. A crop that follows a conv whose
 * padding it removes is folded into that conv's pads at the end of loading (vg_fold_crops). A
 * time step s > 1 (x[..., ::2]) is a MaxPool of kernel 1 and stride s after the crop: the pool's
 * ceil((n - a - b) / s) columns are the slice's at every length.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include "vg_onnx_ops.h"

/* Whether a crop of the time axis reads the same at every length (see above). */
static int crop_rule_holds(const VgSliceBounds *s, int t)
{
  int start_ok = s->raw_start[t] >= 0 || s->raw_start[t] <= -VG_MAX_DIM;
  int end_ok = (s->raw_end[t] < 0 && s->raw_end[t] > -VG_MAX_DIM) || s->raw_end[t] >= VG_MAX_DIM;
  return start_ok && end_ok;
}

static void tie_to_length(VgBuild *b, const char *why)
{
  VgModel *m = b->m;
  if (m->fixed_length)
    return;
  const VgShape *in = &m->values[m->input].shape;
  m->fixed_length = in->dims[in->rank - 1];
  snprintf(m->fixed_length_why, sizeof m->fixed_length_why, "%s", why);
}

/* A crop of a time value x: a Pad dropping `first` columns at the start and `last` at the end. */
static VgNode *crop_node(VgBuild *b, int x, int64_t first, int64_t last, const char *name,
                         VgError *err)
{
  int ns = b->shapes[x].rank - 2;
  if (ns < 1 || ns > 2) {
    vg_unsupported(b, err,
                   "crop of the time axis of a value of this rank (Vigil crops [1, C, T] "
                   "and [1, C, F, T])");
    return NULL;
  }
  VgNode *pad = vg_onnx_new_node(b, VG_OP_PAD, name, x, -1, err);
  if (!pad)
    return NULL;
  vg_window_unit(&pad->win, ns);
  pad->win.pad_begin[ns - 1] = (int)-first;
  pad->win.pad_end[ns - 1] = (int)-last;
  return pad;
}

/* The box of s over the fixed axes of x: 1 and the box in node, 0 when it keeps them whole. */
static int fixed_box(VgBuild *b, const VgSliceBounds *s, int x, VgNode *box, VgError *err)
{
  const VgShape *xs = &b->shapes[x];
  int time = b->m->values[x].is_time, any = 0;
  for (int a = 0; a < xs->rank; a++) {
    if (!s->named[a] || (time && a == xs->rank - 1))
      continue;
    if (s->start[a] == 0 && s->len[a] == xs->dims[a])
      continue;
    if (a == 0)
      return vg_unsupported(b, err, "slice of the batch axis");
    box->slice_start[a] = s->start[a];
    box->slice_len[a] = s->len[a];
    any = 1;
  }
  return any;
}

/* Every step-th column of a time value x: a MaxPool of kernel 1 and that stride. */
static VgNode *decimate_node(VgBuild *b, int x, int64_t step, const char *name, VgError *err)
{
  VgNode *pool = vg_onnx_new_node(b, VG_OP_MAX_POOL, name, x, -1, err);
  if (!pool)
    return NULL;
  int ns = b->shapes[x].rank - 2;
  vg_window_unit(&pool->win, ns);
  pool->win.stride[ns - 1] = (int)step;
  return pool;
}

/* The name of stage `what` of a Slice: the ONNX output for the last stage, else a derived one. */
static const char *stage_name(const Onnx__NodeProto *np, int last, const char *what, char *buf,
                              size_t size)
{
  if (last)
    return np->output[0];
  snprintf(buf, size, "%.140s:%s", np->output[0], what);
  return buf;
}

/* Emits node (made for np) under its stage name; 0 on success. */
static int stage(VgBuild *b, const Onnx__NodeProto *np, VgNode *node, int last, const char *what,
                 VgError *err)
{
  char buf[160];
  if (!node ||
      vg_onnx_emit_node(b, node, stage_name(np, last, what, buf, sizeof buf), err) != VG_OK)
    return VG_ERR;
  vg_onnx_time_sized_inputs(b, np, node, 0);
  return VG_OK;
}

/* Adds the Slice box (if any), the crop (if any), then the decimation of a time step > 1 (if any)
 * after x; the last takes the output name. */
int vg_onnx_add_slice(VgBuild *b, const Onnx__NodeProto *np, int x, VgError *err)
{
  VgSliceBounds s;
  const VgShape *xs = &b->shapes[x];
  if (vg_onnx_slice_bounds(b, np, xs, &s, err) != VG_OK)
    return VG_ERR;
  int t = xs->rank - 1, time = b->m->values[x].is_time && s.named[t];
  for (int a = 0; a < xs->rank; a++) {
    if (s.named[a] && s.step[a] != 1 && !(time && a == t && s.step[a] > 1))
      return vg_unsupported(b, err,
                            "step (a computed value is sliced in steps of 1, and its time "
                            "axis in positive steps)");
    if (s.len[a] < 1)
      return vg_error_set(err, "node '%s' (Slice) leaves axis %d empty", b->node_name, a);
  }
  int64_t step = time ? s.step[t] : 1, end = time ? s.raw_end[t] : 0, dim = xs->dims[t];
  end = end < 0 ? end + dim : end; /* ONNX's clamping, for a positive step */
  end = end < s.start[t] ? s.start[t] : end > dim ? dim : end;
  int64_t first = time ? s.start[t] : 0, last = time ? dim - end : 0;
  if (time && !crop_rule_holds(&s, t)) {
    char why[80];
    snprintf(why, sizeof why, "Slice '%.30s' crops time by absolute bounds", b->node_name);
    tie_to_length(b, why);
  }
  VgNode probe = {0};
  for (int a = 0; a < VG_MAX_RANK; a++)
    probe.slice_len[a] = -1;
  int boxed = fixed_box(b, &s, x, &probe, err), cropped = first || last;
  if (boxed < 0)
    return VG_ERR;
  if (!boxed && !cropped && step == 1) { /* slices nothing: another name of x */
    vg_name_map_put(&b->names, np->output[0], x);
    return VG_OK;
  }
  if (boxed) {
    VgNode *box = vg_onnx_new_node(b, VG_OP_SLICE, b->node_name, x, -1, err);
    if (box) {
      memcpy(box->slice_start, probe.slice_start, sizeof box->slice_start);
      memcpy(box->slice_len, probe.slice_len, sizeof box->slice_len);
    }
    if (stage(b, np, box, !cropped && step == 1, "box", err) != VG_OK)
      return VG_ERR;
    x = box->output;
  }
  char name[160];
  if (cropped) {
    snprintf(name, sizeof name, boxed ? "%.140s:crop" : "%.140s", b->node_name);
    VgNode *crop = crop_node(b, x, first, last, name, err);
    if (stage(b, np, crop, step == 1, "crop", err) != VG_OK)
      return VG_ERR;
    x = crop->output;
  }
  if (step > 1) {
    snprintf(name, sizeof name, boxed || cropped ? "%.140s:step" : "%.140s", b->node_name);
    if (stage(b, np, decimate_node(b, x, step, name, err), 1, "step", err) != VG_OK)
      return VG_ERR;
  }
  return VG_OK;
}

/* Split's part sizes along an axis of length dim: the `split` attribute (before opset 13) or
 * input, else num_outputs (opset 18: parts of ceil(dim / n), the last one shorter) or the node's
 * outputs in equal parts. */
static int split_sizes(VgBuild *b, const Onnx__NodeProto *np, int64_t dim, int64_t *sizes,
                       VgError *err)
{
  int n = -1, parts = (int)np->n_output;
  if (b->m->opset < 13) {
    if (vg_attr_ints(np, "split", sizes, VG_MAX_NODE_INPUTS, &n, err) != VG_OK)
      return vg_error_prefix(err, "node '%s' (Split)", b->node_name);
  } else if (np->n_input > 1 && np->input[1][0]) {
    int v = vg_name_map_get(&b->names, np->input[1]);
    if (v < 0 || vg_const_ints(b, v, sizes, VG_MAX_NODE_INPUTS, &n, err) != VG_OK)
      return v < 0 ? vg_error_set(err, "node '%s' (Split) reads '%s', which nothing defines",
                                  b->node_name, np->input[1])
                   : VG_ERR;
  }
  if (n < 0) {
    int64_t num;
    if (vg_attr_int(np, "num_outputs", 0, &num, err) != VG_OK)
      return vg_error_prefix(err, "node '%s' (Split)", b->node_name);
    if ((num && num != parts) || (!num && dim % parts != 0))
      return vg_error_set(err, "node '%s' (Split): %lld entries do not split into %d parts",
                          b->node_name, (long long)dim, parts);
    int64_t each = (dim + parts - 1) / parts;
    for (n = 0; n < parts; n++)
      sizes[n] = n < parts - 1 ? each : dim - each * (parts - 1);
  }
  int64_t sum = 0;
  for (int k = 0; k < n; k++) {
    if (sizes[k] < 1)
      return vg_error_set(err, "node '%s' (Split): part %d is empty", b->node_name, k);
    sum += sizes[k];
  }
  if (n != parts || sum != dim)
    return vg_error_set(err,
                        "node '%s' (Split): parts do not add up to the %lld entries of "
                        "the axis, or do not match its %d outputs",
                        b->node_name, (long long)dim, parts);
  return VG_OK;
}

int vg_onnx_add_split(VgBuild *b, const Onnx__NodeProto *np, VgError *err)
{
  int64_t axis, sizes[VG_MAX_NODE_INPUTS];
  int x = np->n_input >= 1 && np->input[0][0] ? vg_name_map_get(&b->names, np->input[0]) : -1;
  if (vg_check_attrs(b, np, "axis split num_outputs", err) != VG_OK)
    return VG_ERR;
  if (np->n_input < 1 || np->n_input > 2 || x < 0)
    return vg_error_set(err, "node '%s' (Split) reads no input Vigil defines", b->node_name);
  if (b->m->values[x].kind == VG_VALUE_CONST)
    return vg_unsupported(b, err, "input (a constant: export with do_constant_folding=True)");
  if (np->n_output > VG_MAX_NODE_INPUTS)
    return vg_unsupported(b, err, "number of outputs (at most 64)");
  const VgShape *xs = &b->shapes[x];
  if (vg_attr_int(np, "axis", 0, &axis, err) != VG_OK)
    return vg_error_prefix(err, "node '%s' (Split)", b->node_name);
  axis = axis < 0 ? axis + xs->rank : axis;
  if (axis < 1 || axis >= xs->rank)
    return vg_unsupported(b, err, "axis (Vigil splits channels or another axis after the batch)");
  if (b->m->values[x].is_time && axis == xs->rank - 1)
    return vg_unsupported(b, err,
                          "split of the time axis (slice it instead: x[..., a:], "
                          "x[..., :-b])");
  if (split_sizes(b, np, xs->dims[axis], sizes, err) != VG_OK)
    return VG_ERR;
  int64_t off = 0;
  for (size_t k = 0; k < np->n_output; off += sizes[k], k++) {
    if (!np->output[k][0])
      continue;
    if (vg_name_map_get(&b->names, np->output[k]) >= 0)
      return vg_error_set(err, "value '%s' is defined twice", np->output[k]);
    char name[160];
    snprintf(name, sizeof name, "%.140s:%d", b->node_name, (int)k); /* k < 64 */
    VgNode *part = vg_onnx_new_node(b, VG_OP_SLICE, name, x, -1, err);
    if (!part)
      return VG_ERR;
    part->slice_start[axis] = off;
    part->slice_len[axis] = sizes[k];
    if (vg_onnx_emit_node(b, part, np->output[k], err) != VG_OK)
      return VG_ERR;
    vg_onnx_time_sized_inputs(b, np, part, 0);
  }
  return VG_OK;
}

/* Expand of a computed value x to a constant shape: a Mul by ones of that shape, which is x
 * broadcast exactly (x * 1 is x, infinities and NaN included), so that the binary op's broadcasting
 * and its time-locality rules do the rest. The target's time entry, x's own length (F.normalize
 * expands to x.shape, read by a Shape), becomes 1: the broadcast keeps x's time axis at any
 * length. Any other entry read from the time axis ties the model to its length. */
int vg_onnx_add_expand(VgBuild *b, const Onnx__NodeProto *np, int x, VgError *err)
{
  int64_t dims[VG_MAX_RANK];
  int n, v = np->n_input == 2 ? vg_name_map_get(&b->names, np->input[1]) : -1;
  if (v < 0 || vg_check_attrs(b, np, "", err) != VG_OK)
    return v < 0 ? vg_error_set(err, "node '%s' (Expand) needs its input and a shape", b->node_name)
                 : VG_ERR;
  if (vg_const_ints(b, v, dims, VG_MAX_RANK, &n, err) != VG_OK)
    return VG_ERR;
  const VgShape *xs = &b->shapes[x];
  unsigned char mark = b->time_sized[v];
  VgShape os = {.rank = n};
  for (int k = 0; k < n; k++) {
    int time_entry = b->m->values[x].is_time && n == xs->rank && k == n - 1;
    if (dims[k] < 1 || dims[k] > VG_MAX_DIM)
      return vg_error_set(err, "node '%s' (Expand): size %lld", b->node_name, (long long)dims[k]);
    os.dims[k] = time_entry && dims[k] == xs->dims[k] ? 1 : dims[k];
    if (time_entry && os.dims[k] == 1 && mark != VG_TIME_SIZED_ALL)
      mark &= (unsigned char)~(1u << k);
  }
  if (mark) {
    char why[80];
    snprintf(why, sizeof why, "Expand '%.30s' reads a size of the time axis", b->node_name);
    tie_to_length(b, why);
  }
  char name[160];
  snprintf(name, sizeof name, "%.140s:ones", b->node_name);
  int c = vg_build_add_filled(b, name, &os, 1.0f, err);
  VgNode *mul = c < 0 ? NULL : vg_onnx_new_node(b, VG_OP_MUL, b->node_name, x, c, err);
  return mul ? vg_onnx_emit_node(b, mul, np->output[0], err) : VG_ERR;
}

/* Gather of one index along an axis of a computed value x (`h[:, :, -1]`, the last time step;
 * `h[:, 0]`, a channel): a Slice of that entry (a crop along time, tied to the model's length,
 * since which column the index names depends on it), then, for a scalar index, a Squeeze of the
 * axis. Several indices are refused. */
int vg_onnx_add_gather(VgBuild *b, const Onnx__NodeProto *np, int x, VgError *err)
{
  int64_t axis, idx[1];
  int n, v = np->n_input == 2 ? vg_name_map_get(&b->names, np->input[1]) : -1;
  if (v < 0 || vg_check_attrs(b, np, "axis", err) != VG_OK ||
      vg_attr_int(np, "axis", 0, &axis, err) != VG_OK)
    return v < 0 ? vg_error_set(err, "node '%s' (Gather) needs data and indices", b->node_name)
                 : VG_ERR;
  if (b->m->values[v].kind != VG_VALUE_CONST || vg_shape_count(&b->m->values[v].shape) != 1)
    return vg_unsupported(b, err, "indices (one constant index: h[:, :, -1], h[:, 0])");
  if (vg_const_ints(b, v, idx, 1, &n, err) != VG_OK)
    return VG_ERR;
  const VgShape *xs = &b->shapes[x];
  axis = axis < 0 ? axis + xs->rank : axis;
  if (axis < 1 || axis >= xs->rank)
    return vg_unsupported(b, err, "axis (Vigil picks along an axis after the batch)");
  int64_t i = idx[0] < 0 ? idx[0] + xs->dims[axis] : idx[0];
  if (i < 0 || i >= xs->dims[axis])
    return vg_error_set(err, "node '%s' (Gather): index %lld out of range", b->node_name,
                        (long long)idx[0]);
  int time = b->m->values[x].is_time && axis == xs->rank - 1;
  int squeeze = b->m->values[v].shape.rank == 0;
  VgNode *pick;
  if (time) {
    char why[80];
    snprintf(why, sizeof why, "Gather '%.30s' picks a time step by its index", b->node_name);
    tie_to_length(b, why);
    pick = crop_node(b, x, i, xs->dims[axis] - i - 1, b->node_name, err);
  } else {
    pick = vg_onnx_new_node(b, VG_OP_SLICE, b->node_name, x, -1, err);
    if (pick) {
      pick->slice_start[axis] = i;
      pick->slice_len[axis] = 1;
    }
  }
  if (stage(b, np, pick, !squeeze, "pick", err) != VG_OK)
    return VG_ERR;
  if (!squeeze)
    return VG_OK;
  char name[160];
  snprintf(name, sizeof name, "%.140s:squeeze", b->node_name);
  VgNode *sq = vg_onnx_new_node(b, VG_OP_RESHAPE, name, pick->output, -1, err);
  if (sq) {
    sq->reshape_kind = VG_RESHAPE_SQUEEZE;
    sq->n_axes = 1;
    sq->axes[0] = axis;
  }
  return stage(b, np, sq, 1, "squeeze", err);
}
