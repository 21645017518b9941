/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tensorcaps.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(vigil - tensors - error - quark, vigil_tensors_error)

/* NNStreamer's element type names: all are understood so that a refusal can say what was seen. */
static const gchar *const known_types[] = {"int32", "uint32", "int16",   "uint16",
                                           "int8",  "uint8",  "float64", "float32",
                                           "int64", "uint64", "float16", NULL};

static gboolean fail(GError **error, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean fail(GError **error, const gchar *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  gchar *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, VIGIL_TENSORS_ERROR, 0, msg);
  g_free(msg);
  return FALSE;
}

void vigil_tensors_info_init(VigilTensorsInfo *info, gint rate_n, gint rate_d)
{
  memset(info, 0, sizeof *info);
  info->rate_n = rate_n;
  info->rate_d = rate_d > 0 ? rate_d : 1;
}

static void shape_set(VigilTensorShape *shape, guint rank, const guint *dims)
{
  memset(shape, 0, sizeof *shape);
  for (guint i = 0; i < rank; i++)
    shape->dims[i] = dims[i];
  while (rank > 0 && dims[rank - 1] == 1)
    rank--;
  shape->rank = rank;
}

gboolean vigil_tensors_info_append(VigilTensorsInfo *info, guint rank, const guint *dims)
{
  if (info->num_tensors >= VIGIL_TENSORS_MAX || rank > VIGIL_TENSOR_RANK_MAX)
    return FALSE;
  shape_set(&info->shapes[info->num_tensors++], rank, dims);
  return TRUE;
}

gsize vigil_tensor_shape_values(const VigilTensorShape *shape)
{
  gsize n = 1;
  for (guint i = 0; i < shape->rank; i++)
    n *= shape->dims[i];
  return n;
}

gsize vigil_tensors_info_frame_values(const VigilTensorsInfo *info)
{
  gsize n = 0;
  for (guint i = 0; i < info->num_tensors; i++)
    n += vigil_tensor_shape_values(&info->shapes[i]);
  return n;
}

gchar *vigil_tensor_shape_to_string(const VigilTensorShape *shape)
{
  if (shape->rank == 0)
    return g_strdup("1");
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < shape->rank; i++)
    g_string_append_printf(s, "%s%u", i ? ":" : "", shape->dims[i]);
  return g_string_free(s, FALSE);
}

/* Splits a comma list, trimming blanks; fails unless it has exactly `expected` items. */
static gchar **split_list(const gchar *text, guint expected, const gchar *field, GError **error)
{
  gchar **items = g_strsplit(text, ",", -1);
  guint n = g_strv_length(items);
  for (guint i = 0; i < n; i++)
    g_strstrip(items[i]);
  if (n != expected) {
    fail(error, "caps field '%s' lists %u item(s) (\"%s\") but num_tensors is %u", field, n, text,
         expected);
    g_strfreev(items);
    return NULL;
  }
  return items;
}

static gboolean parse_type(const gchar *type, guint index, GError **error)
{
  if (strcmp(type, "float32") == 0)
    return TRUE;
  for (guint i = 0; known_types[i]; i++)
    if (strcmp(type, known_types[i]) == 0)
      return fail(error,
                  "tensor %u has type %s but Vigil elements take float32 only; convert upstream "
                  "(NNStreamer: tensor_transform mode=typecast option=float32)",
                  index, type);
  return fail(error, "tensor %u has unknown type '%s' (expected float32)", index, type);
}

static gboolean parse_dims(const gchar *text, guint index, VigilTensorShape *shape, GError **error)
{
  gchar **parts = g_strsplit(text, ":", -1);
  guint rank = g_strv_length(parts);
  guint dims[VIGIL_TENSOR_RANK_MAX];
  gboolean ok = TRUE;
  guint64 values = 1;

  if (rank == 0 || rank > VIGIL_TENSOR_RANK_MAX)
    ok = fail(error, "tensor %u has dimensions '%s' of rank %u; ranks 1 to %u are supported", index,
              text, rank, VIGIL_TENSOR_RANK_MAX);
  for (guint i = 0; ok && i < rank; i++) {
    gchar *end = NULL;
    const gchar *p = g_strstrip(parts[i]);
    guint64 d = g_ascii_strtoull(p, &end, 10);
    if (*p == '\0' || *p == '-' || *end != '\0' || d == 0 || d > G_MAXINT32)
      ok = fail(error, "tensor %u has dimensions '%s': '%s' is not a positive integer", index, text,
                p);
    else {
      dims[i] = (guint)d;
      values *= d;
      if (values > VIGIL_FRAME_VALUES_MAX)
        ok = fail(error, "tensor %u has dimensions '%s': more than %u values per frame", index,
                  text, VIGIL_FRAME_VALUES_MAX);
    }
  }
  if (ok)
    shape_set(shape, rank, dims);
  g_strfreev(parts);
  return ok;
}

gboolean vigil_tensors_info_from_structure(const GstStructure *s, VigilTensorsInfo *info,
                                           GError **error)
{
  gint num = 0, rate_n = 0, rate_d = 1;
  const gchar *format, *types, *dims;

  if (!gst_structure_has_name(s, "other/tensors"))
    return fail(error, "caps are %s, not other/tensors", gst_structure_get_name(s));
  format = gst_structure_get_string(s, "format");
  if (format && strcmp(format, "static") != 0)
    return fail(error, "tensors format '%s' is not supported (only format=static)", format);
  if (!gst_structure_get_int(s, "num_tensors", &num))
    return fail(error, "caps field 'num_tensors' is missing or not a fixed integer");
  if (num < 1 || num > VIGIL_TENSORS_MAX)
    return fail(error, "num_tensors=%d is out of range (1 to %d)", num, VIGIL_TENSORS_MAX);
  types = gst_structure_get_string(s, "types");
  dims = gst_structure_get_string(s, "dimensions");
  /* gst-launch syntax reads `dimensions=8` as an integer: accept it as the one-dimension string. */
  gchar int_dims[16];
  gint dim_int;
  if (!dims && gst_structure_get_int(s, "dimensions", &dim_int)) {
    g_snprintf(int_dims, sizeof int_dims, "%d", dim_int);
    dims = int_dims;
  }
  if (!types)
    return fail(error, "caps field 'types' is missing or not a string");
  if (!dims)
    return fail(error, "caps field 'dimensions' is missing or not a string");
  if (!gst_structure_get_fraction(s, "framerate", &rate_n, &rate_d))
    return fail(error, "caps field 'framerate' is missing or not a fixed fraction (framerate=0/1 "
                       "marks a variable rate)");
  if (rate_n < 0 || rate_d <= 0)
    return fail(error, "framerate %d/%d is invalid", rate_n, rate_d);

  gchar **type_list = split_list(types, num, "types", error);
  if (!type_list)
    return FALSE;
  gchar **dim_list = split_list(dims, num, "dimensions", error);
  gboolean ok = dim_list != NULL;
  vigil_tensors_info_init(info, rate_n, rate_d);
  info->num_tensors = num;
  for (gint i = 0; ok && i < num; i++)
    ok = parse_type(type_list[i], i, error) && parse_dims(dim_list[i], i, &info->shapes[i], error);
  if (ok && vigil_tensors_info_frame_values(info) > VIGIL_FRAME_VALUES_MAX)
    ok = fail(error, "a frame holds more than %u values in all", VIGIL_FRAME_VALUES_MAX);
  g_strfreev(type_list);
  g_strfreev(dim_list);
  return ok;
}

gboolean vigil_tensors_info_from_caps(const GstCaps *caps, VigilTensorsInfo *info, GError **error)
{
  if (caps && gst_caps_get_size(caps) == 1) {
    const GValue *d = gst_structure_get_value(gst_caps_get_structure(caps, 0), "dimensions");
    if (d && GST_VALUE_HOLDS_FLAG_SET(d))
      return fail(error, "caps field 'dimensions' was read as a flag set: write it as a string, "
                         "e.g. dimensions=(string)8:3 (gst-launch reads an unquoted 8:3 as flags)");
  }
  if (!caps || gst_caps_get_size(caps) != 1 || !gst_caps_is_fixed(caps))
    return fail(error, "tensor caps must be fixed");
  return vigil_tensors_info_from_structure(gst_caps_get_structure(caps, 0), info, error);
}

GstCaps *vigil_tensors_info_to_caps(const VigilTensorsInfo *info)
{
  GString *types = g_string_new(NULL);
  GString *dims = g_string_new(NULL);
  for (guint i = 0; i < info->num_tensors; i++) {
    gchar *d = vigil_tensor_shape_to_string(&info->shapes[i]);
    g_string_append_printf(types, "%sfloat32", i ? "," : "");
    g_string_append_printf(dims, "%s%s", i ? "," : "", d);
    g_free(d);
  }
  GstCaps *caps = gst_caps_new_simple(
      "other/tensors", "format", G_TYPE_STRING, "static", "num_tensors", G_TYPE_INT,
      (gint)info->num_tensors, "types", G_TYPE_STRING, types->str, "dimensions", G_TYPE_STRING,
      dims->str, "framerate", GST_TYPE_FRACTION, info->rate_n, info->rate_d, NULL);
  g_string_free(types, TRUE);
  g_string_free(dims, TRUE);
  return caps;
}

void vigil_tensors_unmap(VigilTensorsMap *map)
{
  if (map->whole_buffer) {
    gst_buffer_unmap(map->buffer, &map->maps[0]);
  } else {
    for (guint i = 0; i < map->n_tensors; i++)
      if (map->mems[i]) {
        gst_memory_unmap(map->mems[i], &map->maps[i]);
        gst_memory_unref(map->mems[i]);
      }
  }
  memset(map, 0, sizeof *map);
}

static gboolean map_whole(GstBuffer *buf, const VigilTensorsInfo *info, GstMapFlags flags,
                          VigilTensorsMap *map, GError **error)
{
  gsize frame_bytes = vigil_tensors_info_frame_values(info) * sizeof(gfloat);
  if (!gst_buffer_map(buf, &map->maps[0], flags))
    return fail(error, "could not map a tensors buffer");
  map->whole_buffer = TRUE;
  map->buffer = buf;
  map->n_tensors = 1;
  map->data[0] = (gfloat *)map->maps[0].data;
  if (map->maps[0].size % frame_bytes != 0) {
    gsize size = map->maps[0].size;
    vigil_tensors_unmap(map);
    return fail(error,
                "buffer of %" G_GSIZE_FORMAT " bytes is not a whole number of %" G_GSIZE_FORMAT
                "-byte frames",
                size, frame_bytes);
  }
  map->n_frames = map->maps[0].size / frame_bytes;
  return TRUE;
}

gboolean vigil_tensors_map(GstBuffer *buf, const VigilTensorsInfo *info, GstMapFlags flags,
                           VigilTensorsMap *map, GError **error)
{
  memset(map, 0, sizeof *map);
  if (info->num_tensors == 1)
    return map_whole(buf, info, flags, map, error);
  if (gst_buffer_get_size(buf) == 0) { /* no frames, whatever its memories: as for one tensor */
    map->buffer = buf;
    return TRUE;
  }
  if (gst_buffer_n_memory(buf) != info->num_tensors)
    return fail(error, "buffer holds %u memories but the caps say num_tensors=%u",
                gst_buffer_n_memory(buf), info->num_tensors);
  map->buffer = buf;
  for (guint i = 0; i < info->num_tensors; i++) {
    gsize tensor_bytes = vigil_tensor_shape_values(&info->shapes[i]) * sizeof(gfloat);
    GstMemory *mem = gst_buffer_get_memory(buf, i);
    if (!gst_memory_map(mem, &map->maps[i], flags)) {
      gst_memory_unref(mem);
      vigil_tensors_unmap(map);
      return fail(error, "could not map tensor %u of a buffer", i);
    }
    map->mems[i] = mem;
    map->n_tensors = i + 1;
    map->data[i] = (gfloat *)map->maps[i].data;
    gsize frames = map->maps[i].size / tensor_bytes;
    if (map->maps[i].size % tensor_bytes != 0 || (i > 0 && frames != map->n_frames)) {
      vigil_tensors_unmap(map);
      return fail(error,
                  "tensor %u of a buffer does not hold the same whole number of frames as "
                  "tensor 0",
                  i);
    }
    map->n_frames = frames;
  }
  return TRUE;
}

GstBuffer *vigil_tensors_buffer_new(const VigilTensorsInfo *info, guint n_frames)
{
  GstBuffer *buf = gst_buffer_new();
  for (guint i = 0; i < info->num_tensors; i++) {
    gsize bytes = vigil_tensor_shape_values(&info->shapes[i]) * sizeof(gfloat) * n_frames;
    GstMemory *mem = gst_allocator_alloc(NULL, bytes, NULL);
    if (!mem) {
      gst_buffer_unref(buf);
      return NULL;
    }
    gst_buffer_append_memory(buf, mem);
  }
  return buf;
}

/* The refused caps and the seqnum of the STREAM_START they came in, as qdata on the pad. */
typedef struct {
  GstCaps *caps;
  guint32 stream;
} Refused;

static GQuark vigil_refused_caps_quark(void)
{
  return g_quark_from_static_string("vigil-refused-caps");
}

static guint32 stream_seqnum(GstPad *pad)
{
  GstEvent *start = gst_pad_get_sticky_event(pad, GST_EVENT_STREAM_START, 0);
  guint32 seqnum = start ? gst_event_get_seqnum(start) : GST_SEQNUM_INVALID;
  if (start)
    gst_event_unref(start);
  return seqnum;
}

static void refused_free(gpointer data)
{
  Refused *r = data;
  gst_caps_unref(r->caps);
  g_free(r);
}

gboolean vigil_caps_refused_before(GstPad *pad, const GstCaps *caps)
{
  const Refused *r = g_object_get_qdata(G_OBJECT(pad), vigil_refused_caps_quark());
  return r && r->stream == stream_seqnum(pad) && gst_caps_is_equal(caps, r->caps);
}

gboolean vigil_caps_event(GstPad *pad, GstEvent *event, VigilSetCaps set, GstElement *element)
{
  GstCaps *caps;
  gst_event_parse_caps(event, &caps);
  gboolean ok = FALSE;
  if (!vigil_caps_refused_before(pad, caps)) {
    ok = set(element, caps);
    vigil_caps_note(pad, caps, ok);
  }
  gst_event_unref(event);
  return ok;
}

void vigil_caps_note(GstPad *pad, GstCaps *caps, gboolean accepted)
{
  Refused *r = NULL;
  if (!accepted) {
    r = g_new(Refused, 1);
    r->caps = gst_caps_ref(caps);
    r->stream = stream_seqnum(pad);
  }
  g_object_set_qdata_full(G_OBJECT(pad), vigil_refused_caps_quark(), r, refused_free);
}
