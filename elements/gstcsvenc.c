/* Vigil: csvenc, other/tensors frames in, CSV text out.
 *
 * One row per frame: the frame's time in seconds (exact to the nanosecond), then every value of
 * every tensor of the frame in order, printed with %.9g so that float32 values read back exactly.
 * A header row comes first: "time" and the names from the caps field column-names (set by
 * csvparse) when it names every value, otherwise c0, c1, ... A new header row is written when the
 * caps change the header. docs/elements/csvenc.md is the reference.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gstcsvenc.h"

#include <string.h>

#include "gstcsvparse.h"
#include "csv/vg_csv_format.h"
#include "tensorcaps.h"
#include "vigilelements.h"

GST_DEBUG_CATEGORY_STATIC(csv_enc_debug);
#define GST_CAT_DEFAULT csv_enc_debug

struct _GstCsvEnc {
  GstElement parent;
  GstPad *sinkpad, *srcpad;

  /* Streaming state (stream lock). */
  VigilTensorsInfo info;
  gboolean have_info;
  gchar *header;  /* the header row of the current caps, with its newline */
  gchar *written; /* the header row last written */
  gboolean src_caps_set;
  GString *text; /* reused for every output buffer */
};

#define gst_csv_enc_parent_class parent_class
G_DEFINE_TYPE(GstCsvEnc, gst_csv_enc, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(csvenc, "csvenc", GST_RANK_NONE, GST_TYPE_CSV_ENC,
                                      vigil_element_init(plugin));

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(VIGIL_TENSORS_CAPS_TEMPLATE));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS("text/csv"));

/* RFC 4180 quoting, only where a name needs it. */
static void append_name(GString *s, const gchar *name)
{
  gsize len = strlen(name);
  gboolean quote = strpbrk(name, ",\"\r\n") != NULL ||
                   (len > 0 && (name[0] == ' ' || name[len - 1] == ' ' || name[0] == '\t'));
  if (!quote) {
    g_string_append(s, name);
    return;
  }
  g_string_append_c(s, '"');
  for (const gchar *p = name; *p; p++) {
    if (*p == '"')
      g_string_append_c(s, '"');
    g_string_append_c(s, *p);
  }
  g_string_append_c(s, '"');
}

/* "time,<names>\n" from the caps: names from column-names if it names every value. */
static gchar *make_header(const GstStructure *st, gsize n_values)
{
  const GValue *names = gst_structure_get_value(st, VIGIL_CAPS_COLUMN_NAMES);
  gboolean use =
      names && GST_VALUE_HOLDS_ARRAY(names) && gst_value_array_get_size(names) == n_values;
  for (guint i = 0; use && i < n_values; i++)
    use = G_VALUE_HOLDS_STRING(gst_value_array_get_value(names, i));
  GString *s = g_string_new("time");
  for (guint i = 0; i < n_values; i++) {
    g_string_append_c(s, ',');
    if (use)
      append_name(s, g_value_get_string(gst_value_array_get_value(names, i)));
    else
      g_string_append_printf(s, "c%u", i);
  }
  g_string_append_c(s, '\n');
  return g_string_free(s, FALSE);
}

static gboolean set_caps(GstElement *element, GstCaps *caps)
{
  GstCsvEnc *self = GST_CSV_ENC(element);
  GError *error = NULL;
  if (!vigil_tensors_info_from_caps(caps, &self->info, &error)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                      ("csvenc cannot take these tensors: %s", error->message),
                      ("caps %" GST_PTR_FORMAT, caps));
    g_error_free(error);
    return FALSE;
  }
  self->have_info = TRUE;
  g_free(self->header);
  self->header =
      make_header(gst_caps_get_structure(caps, 0), vigil_tensors_info_frame_values(&self->info));
  if (self->src_caps_set)
    return TRUE;
  GstCaps *out = gst_caps_new_empty_simple("text/csv");
  self->src_caps_set = gst_pad_push_event(self->srcpad, gst_event_new_caps(out));
  gst_caps_unref(out);
  return self->src_caps_set;
}

/* Seconds, exact: "12", "12.5", "0.000000001". */
static void append_time(GString *s, GstClockTime t)
{
  guint64 sec = t / GST_SECOND;
  guint ns = (guint)(t % GST_SECOND);
  g_string_append_printf(s, "%" G_GUINT64_FORMAT, sec);
  if (ns == 0)
    return;
  gchar frac[16];
  g_snprintf(frac, sizeof frac, "%09u", ns);
  for (gint i = 8; i > 0 && frac[i] == '0'; i--)
    frac[i] = '\0';
  g_string_append_printf(s, ".%s", frac);
}

/* Time of frame k of n (docs/tensors.md): PTS + k * duration / n, or from the framerate when the
 * duration is unknown. GST_CLOCK_TIME_NONE when neither says. */
static GstClockTime frame_time(GstCsvEnc *self, GstBuffer *buf, guint k, guint n)
{
  GstClockTime pts = GST_BUFFER_PTS(buf), dur = GST_BUFFER_DURATION(buf);
  if (!GST_CLOCK_TIME_IS_VALID(pts) || k == 0)
    return pts;
  if (GST_CLOCK_TIME_IS_VALID(dur))
    return pts + gst_util_uint64_scale(k, dur, n);
  if (self->info.rate_n > 0)
    return pts +
           gst_util_uint64_scale(k, GST_SECOND * (guint64)self->info.rate_d, self->info.rate_n);
  return GST_CLOCK_TIME_NONE;
}

/* ",<value>" as %.9g prints it: vg_csv_format_float where it answers (nearly always, and several
 * times faster than printf's exact arithmetic, which took most of a row's time), printf otherwise.
 */
static void append_value(GString *text, gfloat v)
{
  gchar num[MAX(G_ASCII_DTOSTR_BUF_SIZE, VG_CSV_FORMAT_MAX)];
  gsize n = vg_csv_format_float(v, num);
  g_string_append_c(text, ',');
  if (n > 0)
    g_string_append_len(text, num, (gssize)n);
  else
    g_string_append(text, g_ascii_formatd(num, sizeof num, "%.9g", v));
}

static void append_rows(GstCsvEnc *self, GstBuffer *buf, const VigilTensorsMap *map)
{
  for (guint k = 0; k < map->n_frames; k++) {
    GstClockTime t = frame_time(self, buf, k, map->n_frames);
    if (GST_CLOCK_TIME_IS_VALID(t))
      append_time(self->text, t);
    for (guint i = 0; i < self->info.num_tensors; i++) {
      gsize nv = vigil_tensor_shape_values(&self->info.shapes[i]);
      const gfloat *v = map->data[i] + k * nv;
      for (gsize j = 0; j < nv; j++)
        append_value(self->text, v[j]);
    }
    g_string_append_c(self->text, '\n');
  }
}

/* The header row if it is not written yet (at the start, and after caps that change it). */
static void append_header(GstCsvEnc *self)
{
  if (self->header && g_strcmp0(self->header, self->written) != 0) {
    g_string_append(self->text, self->header);
    g_free(self->written);
    self->written = g_strdup(self->header);
  }
}

static GstFlowReturn push_text(GstCsvEnc *self, GstBuffer *in)
{
  GstBuffer *out = gst_buffer_new_memdup(self->text->str, self->text->len);
  if (in) {
    gst_buffer_copy_into(out, in, GST_BUFFER_COPY_TIMESTAMPS | GST_BUFFER_COPY_FLAGS, 0, -1);
  }
  return gst_pad_push(self->srcpad, out);
}

static GstFlowReturn gst_csv_enc_chain(GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  GstCsvEnc *self = GST_CSV_ENC(parent);
  VigilTensorsMap map;
  GError *error = NULL;
  if (!self->have_info) {
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("csvenc received data before caps."), (NULL));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!vigil_tensors_map(buf, &self->info, GST_MAP_READ, &map, &error)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                      ("csvenc received a bad tensors buffer: %s", error->message), (NULL));
    g_error_free(error);
    gst_buffer_unref(buf);
    return GST_FLOW_ERROR;
  }
  g_string_truncate(self->text, 0);
  append_header(self);
  append_rows(self, buf, &map);
  vigil_tensors_unmap(&map);
  /* a buffer of no frames after the header: nothing to write (an empty buffer is no CSV text) */
  GstFlowReturn ret = self->text->len > 0 ? push_text(self, buf) : GST_FLOW_OK;
  gst_buffer_unref(buf);
  return ret;
}

static gboolean gst_csv_enc_sink_event(GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstCsvEnc *self = GST_CSV_ENC(parent);
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_CAPS:
    return vigil_caps_event(pad, event, set_caps, GST_ELEMENT(self));
  case GST_EVENT_EOS:
    /* A stream without frames still gets its header row. */
    g_string_truncate(self->text, 0);
    if (self->have_info && !self->written)
      append_header(self);
    if (self->text->len > 0) {
      /* a stream with caps but no data may have sent no segment: data needs one before it */
      GstEvent *seg = gst_pad_get_sticky_event(self->srcpad, GST_EVENT_SEGMENT, 0);
      GstSegment time;
      gst_segment_init(&time, GST_FORMAT_TIME);
      if (seg)
        gst_event_unref(seg);
      else
        gst_pad_push_event(self->srcpad, gst_event_new_segment(&time));
      push_text(self, NULL);
    }
    break;
  default:
    break;
  }
  return gst_pad_event_default(pad, parent, event);
}

static void reset(GstCsvEnc *self)
{
  self->have_info = FALSE;
  self->src_caps_set = FALSE;
  g_clear_pointer(&self->header, g_free);
  g_clear_pointer(&self->written, g_free);
}

static GstStateChangeReturn gst_csv_enc_change_state(GstElement *element, GstStateChange transition)
{
  GstCsvEnc *self = GST_CSV_ENC(element);
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    reset(self);
  return ret;
}

static void gst_csv_enc_finalize(GObject *object)
{
  GstCsvEnc *self = GST_CSV_ENC(object);
  reset(self);
  g_string_free(self->text, TRUE);
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_csv_enc_class_init(GstCsvEncClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(csv_enc_debug, "csvenc", 0, "Vigil tensors to CSV encoder");
  gobject_class->finalize = gst_csv_enc_finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_csv_enc_change_state);
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Tensors to CSV", "Codec/Encoder/Converter/Tensor",
      "Writes one CSV row per tensor frame: the time in seconds from the buffer timestamps, then "
      "every value of every tensor (%.9g, so float32 reads back exactly), after a header row of "
      "column names (from csvparse) or c0, c1, ...",
      "Vigil contributors");
}

static void gst_csv_enc_init(GstCsvEnc *self)
{
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  /* caps that only lack a field (framerate) reach set_caps and its message naming it */
  GST_PAD_SET_ACCEPT_INTERSECT(self->sinkpad);
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_csv_enc_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_csv_enc_sink_event));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
  self->text = g_string_sized_new(4096);
}
