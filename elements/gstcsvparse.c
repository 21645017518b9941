/* Vigil: csvparse, delimited text (CSV) in, other/tensors frames out.
 *
 * The element maps input buffers and hands them to the CSV reader kernel (kernels/csv/): it reads
 * the header, selects columns, parses rows and times; the framer kernel groups rows into buffers
 * of evenly spaced frames. This file only turns that into caps, buffers, timestamps, events and
 * errors. docs/elements/csvparse.md is the reference.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gstcsvparse.h"

#include "csv/vg_csv_framer.h"
#include "csv/vg_csv_reader.h"
#include "tensorcaps.h"
#include "vigilelements.h"

GST_DEBUG_CATEGORY_STATIC(csv_parse_debug);
#define GST_CAT_DEFAULT csv_parse_debug

#define DEFAULT_DELIMITER         GST_CSV_PARSE_DELIMITER_AUTO
#define DEFAULT_COLUMNS           NULL
#define DEFAULT_TIMESTAMP_COLUMN  "auto"
#define DEFAULT_RATE_N            1
#define DEFAULT_RATE_D            1
#define DEFAULT_FRAMES_PER_BUFFER 1
#define DEFAULT_ALLOW_NAN         FALSE

enum {
  PROP_0,
  PROP_DELIMITER,
  PROP_COLUMNS,
  PROP_TIMESTAMP_COLUMN,
  PROP_RATE,
  PROP_FRAMES_PER_BUFFER,
  PROP_ALLOW_NAN,
  PROP_DROPPED_ROWS,
};

struct _GstCsvParse {
  GstElement parent;
  GstPad *sinkpad, *srcpad;

  /* Properties (object lock). They apply from the next READY -> PAUSED. */
  GstCsvParseDelimiter delimiter;
  gchar *columns;
  gchar *timestamp_column;
  gint rate_n, rate_d;
  guint frames_per_buffer;
  gboolean allow_nan;
  guint64 dropped_rows;

  /* Streaming state (stream lock, or the state change with no streaming). */
  VgCsvReader *reader;
  VgCsvFramer *framer;
  VigilTensorsInfo info;
  gboolean timed; /* times from a column (else from the rate) */
  gint cur_rate_n, cur_rate_d;
  guint cur_frames;
  gboolean need_segment;
  gboolean row_discont; /* rows were dropped since the last kept row */
  guint64 frames_out;
  gboolean failed;
};

#define gst_csv_parse_parent_class parent_class
G_DEFINE_TYPE(GstCsvParse, gst_csv_parse, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(csvparse, "csvparse", GST_RANK_NONE, GST_TYPE_CSV_PARSE,
                                      vigil_element_init(plugin));

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("other/tensors, format = (string) static, "
                                            "num_tensors = (int) 1, types = (string) float32, "
                                            "framerate = (fraction) [ 0/1, 2147483647/1 ]"));

GType gst_csv_parse_delimiter_get_type(void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
      {GST_CSV_PARSE_DELIMITER_AUTO, "Detected from the header row", "auto"},
      {GST_CSV_PARSE_DELIMITER_COMMA, "Comma (,)", "comma"},
      {GST_CSV_PARSE_DELIMITER_SEMICOLON, "Semicolon (;)", "semicolon"},
      {GST_CSV_PARSE_DELIMITER_TAB, "Tab", "tab"},
      {0, NULL, NULL},
  };
  if (g_once_init_enter(&id))
    g_once_init_leave(&id, g_enum_register_static("GstCsvParseDelimiter", values));
  return (GType)id;
}

/* ---- columns, caps ---- */

/* The column names as a caps field value (an array of valid UTF-8 strings). */
static void set_column_names(GstCsvParse *self, GstCaps *caps)
{
  GValue array = G_VALUE_INIT, item = G_VALUE_INIT;
  gst_value_array_init(&array, vg_csv_reader_n_columns(self->reader));
  for (gsize k = 0; k < vg_csv_reader_n_columns(self->reader); k++) {
    gsize c = vg_csv_reader_column_index(self->reader, k);
    g_value_init(&item, G_TYPE_STRING);
    g_value_take_string(&item, g_utf8_make_valid(vg_csv_reader_header_name(self->reader, c), -1));
    gst_value_array_append_and_take_value(&array, &item);
    memset(&item, 0, sizeof item);
  }
  gst_caps_set_value(caps, VIGIL_CAPS_COLUMN_NAMES, &array);
  g_value_unset(&array);
}

static void log_columns(GstCsvParse *self)
{
  VgCsvReader *r = self->reader;
  long time_col = vg_csv_reader_time_column(r);
  GST_INFO_OBJECT(self, "delimiter 0x%02x, %zu header columns, timestamp column %s, %zu selected",
                  vg_csv_reader_delimiter(r), vg_csv_reader_n_header(r),
                  time_col >= 0 ? vg_csv_reader_header_name(r, time_col) : "(none)",
                  vg_csv_reader_n_columns(r));
  /* Which header columns are left out: quadratic, so only when someone reads it, on narrow files.
   */
  if (gst_debug_category_get_threshold(csv_parse_debug) < GST_LEVEL_INFO ||
      vg_csv_reader_n_header(r) > 256)
    return;
  for (gsize i = 0; i < vg_csv_reader_n_header(r); i++) {
    gboolean used = (long)i == time_col;
    for (gsize k = 0; k < vg_csv_reader_n_columns(r) && !used; k++)
      used = vg_csv_reader_column_index(r, k) == i;
    if (!used)
      GST_INFO_OBJECT(self,
                      "column '%s' is not emitted (not selected, or not numeric in the "
                      "first data row)",
                      vg_csv_reader_header_name(r, i));
  }
}

/* The columns are known: plan the framer and announce the caps. */
static gboolean setup_columns(GstCsvParse *self)
{
  VgError err;
  guint n = (guint)vg_csv_reader_n_columns(self->reader);
  log_columns(self);
  self->timed = vg_csv_reader_time_column(self->reader) >= 0;
  vg_csv_framer_destroy(self->framer);
  self->framer = vg_csv_framer_create(n, self->cur_frames, &err);
  if (!self->framer) {
    GST_ELEMENT_ERROR(self, RESOURCE, FAILED, ("Cannot prepare csvparse buffers."),
                      ("%s", err.msg));
    return FALSE;
  }
  vigil_tensors_info_init(&self->info, self->timed ? 0 : self->cur_rate_n,
                          self->timed ? 1 : self->cur_rate_d);
  vigil_tensors_info_append(&self->info, 1, &n);
  GstCaps *caps = vigil_tensors_info_to_caps(&self->info);
  set_column_names(self, caps);
  GST_DEBUG_OBJECT(self, "caps %" GST_PTR_FORMAT, caps);
  gboolean ok = gst_pad_push_event(self->srcpad, gst_event_new_caps(caps));
  gst_caps_unref(caps);
  self->need_segment = TRUE;
  if (!ok)
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Downstream refused csvparse's tensor caps."),
                      ("%u column(s)", n));
  return ok;
}

/* ---- buffers ---- */

static GstClockTime rate_time(GstCsvParse *self, guint64 tick)
{
  return gst_util_uint64_scale(tick, GST_SECOND * (guint64)self->cur_rate_d, self->cur_rate_n);
}

static void stamp(GstCsvParse *self, GstBuffer *buf, const VgCsvBatch *b)
{
  guint64 span = b->n_frames * (b->spacing_known && b->spacing ? b->spacing : 1);
  if (self->timed) {
    GST_BUFFER_PTS(buf) = b->first_tick;
    GST_BUFFER_DURATION(buf) = b->spacing_known ? b->n_frames * b->spacing : GST_CLOCK_TIME_NONE;
  } else {
    GST_BUFFER_PTS(buf) = rate_time(self, b->first_tick);
    GST_BUFFER_DURATION(buf) = rate_time(self, b->first_tick + span) - GST_BUFFER_PTS(buf);
  }
  GST_BUFFER_OFFSET(buf) = self->frames_out;
  GST_BUFFER_OFFSET_END(buf) = self->frames_out + b->n_frames;
  self->frames_out += b->n_frames;
  if (b->discont)
    GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
}

static GstFlowReturn push_batch(GstCsvParse *self, const VgCsvBatch *b)
{
  gsize bytes = b->n_frames * vigil_tensors_info_frame_values(&self->info) * sizeof(gfloat);
  GstBuffer *buf = vigil_tensors_buffer_new(&self->info, (guint)b->n_frames);
  if (!buf) {
    GST_ELEMENT_ERROR(self, RESOURCE, FAILED, ("Out of memory."), ("%zu bytes", bytes));
    return GST_FLOW_ERROR;
  }
  gst_buffer_fill(buf, 0, b->values, bytes);
  stamp(self, buf, b);
  if (self->need_segment) {
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    gst_pad_push_event(self->srcpad, gst_event_new_segment(&segment));
    self->need_segment = FALSE;
  }
  return gst_pad_push(self->srcpad, buf);
}

static void count_dropped(GstCsvParse *self, const VgError *err)
{
  GST_WARNING_OBJECT(self, "dropped a row: %s", err->msg);
  GST_OBJECT_LOCK(self);
  self->dropped_rows++;
  GST_OBJECT_UNLOCK(self);
  self->row_discont = TRUE;
}

static GstFlowReturn fail(GstCsvParse *self, const VgError *err)
{
  self->failed = TRUE;
  GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Cannot read the CSV input: %s", err->msg),
                    ("csvparse needs a header row and at least one numeric column"));
  return GST_FLOW_ERROR;
}

/* Reads every row available from the input fed so far and pushes the finished buffers. */
static GstFlowReturn drain(GstCsvParse *self)
{
  VgCsvRow row;
  VgCsvBatch batch;
  VgError err;
  for (;;) {
    int st = vg_csv_reader_next(self->reader, &row, &err);
    if (st == VG_CSV_NEED_DATA)
      return GST_FLOW_OK;
    if (st == VG_ERR)
      return fail(self, &err);
    if (st == VG_CSV_COLUMNS && !setup_columns(self))
      return GST_FLOW_NOT_NEGOTIATED;
    if (st == VG_CSV_DROPPED)
      count_dropped(self, &err);
    if (st == VG_CSV_SKIPPED)
      GST_WARNING_OBJECT(self, "%s", err.msg);
    if (st != VG_CSV_ROW)
      continue;
    guint64 tick = self->timed ? (guint64)row.time_ns : row.index;
    int done = vg_csv_framer_push(self->framer, row.values, tick, self->row_discont, &batch);
    self->row_discont = FALSE;
    if (done) {
      GstFlowReturn ret = push_batch(self, &batch);
      if (ret != GST_FLOW_OK)
        return ret;
    }
  }
}

static GstFlowReturn gst_csv_parse_chain(GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  GstCsvParse *self = GST_CSV_PARSE(parent);
  GstMapInfo map;
  GstFlowReturn ret;
  if (self->failed || !self->reader) {
    gst_buffer_unref(buf);
    return GST_FLOW_ERROR;
  }
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Cannot map an input buffer."), (NULL));
    return GST_FLOW_ERROR;
  }
  vg_csv_reader_feed(self->reader, (const char *)map.data, map.size);
  ret = drain(self); /* reads the mapped bytes in place: unmap only after */
  gst_buffer_unmap(buf, &map);
  gst_buffer_unref(buf);
  return ret;
}

/* ---- events ---- */

/* End of stream: the last line, the last partial buffer; FALSE if an error was posted. */
static gboolean finish_stream(GstCsvParse *self)
{
  VgCsvBatch batch;
  if (self->failed || !self->reader)
    return FALSE;
  vg_csv_reader_finish(self->reader);
  if (drain(self) == GST_FLOW_ERROR)
    return FALSE;
  if (!vg_csv_reader_has_header(self->reader)) {
    self->failed = TRUE;
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                      ("The CSV input has no header row (it is empty or blank)."),
                      ("csvparse needs a header row naming the columns"));
    return FALSE;
  }
  if (self->framer && vg_csv_framer_flush(self->framer, &batch))
    push_batch(self, &batch);
  if (!self->framer)
    GST_WARNING_OBJECT(self, "the CSV input has a header but no data row");
  return TRUE;
}

static void flush_stream(GstCsvParse *self)
{
  if (self->reader)
    vg_csv_reader_discard_input(self->reader);
  if (self->framer)
    vg_csv_framer_reset(self->framer);
  self->need_segment = TRUE;
  self->row_discont = FALSE;
}

static gboolean gst_csv_parse_sink_event(GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstCsvParse *self = GST_CSV_PARSE(parent);
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_CAPS:    /* text caps (or none): the tensor caps follow the header */
  case GST_EVENT_SEGMENT: /* a byte segment: a time segment goes with the first buffer */
    gst_event_unref(event);
    return TRUE;
  case GST_EVENT_EOS:
    /* After an error EOS still goes on, so that sinks and applications waiting for it finish. */
    finish_stream(self);
    break;
  case GST_EVENT_FLUSH_STOP:
    flush_stream(self);
    break;
  default:
    break;
  }
  return gst_pad_event_default(pad, parent, event);
}

/* ---- state ---- */

static char delimiter_char(GstCsvParseDelimiter d)
{
  return d == GST_CSV_PARSE_DELIMITER_COMMA       ? ','
         : d == GST_CSV_PARSE_DELIMITER_SEMICOLON ? ';'
         : d == GST_CSV_PARSE_DELIMITER_TAB       ? '\t'
                                                  : 0;
}

static void stop(GstCsvParse *self);

static gboolean start(GstCsvParse *self)
{
  VgError err;
  stop(self); /* in case an earlier start was not followed by a stop */
  GST_OBJECT_LOCK(self);
  VgCsvConfig cfg = {delimiter_char(self->delimiter), self->columns, self->timestamp_column,
                     self->allow_nan, 0};
  self->reader = vg_csv_reader_create(&cfg, &err);
  self->cur_rate_n = self->rate_n;
  self->cur_rate_d = self->rate_d;
  self->cur_frames = self->frames_per_buffer;
  self->dropped_rows = 0;
  GST_OBJECT_UNLOCK(self);
  self->need_segment = TRUE;
  self->row_discont = FALSE;
  self->frames_out = 0;
  self->failed = FALSE;
  if (!self->reader)
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("Invalid csvparse settings: %s", err.msg), (NULL));
  return self->reader != NULL;
}

static void stop(GstCsvParse *self)
{
  vg_csv_reader_destroy(self->reader);
  vg_csv_framer_destroy(self->framer);
  self->reader = NULL;
  self->framer = NULL;
}

static GstStateChangeReturn gst_csv_parse_change_state(GstElement *element,
                                                       GstStateChange transition)
{
  GstCsvParse *self = GST_CSV_PARSE(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !start(self))
    return GST_STATE_CHANGE_FAILURE;
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    stop(self);
  return ret;
}

/* ---- properties ---- */

static void gst_csv_parse_set_property(GObject *object, guint prop_id, const GValue *value,
                                       GParamSpec *pspec)
{
  GstCsvParse *self = GST_CSV_PARSE(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_DELIMITER:
    self->delimiter = g_value_get_enum(value);
    break;
  case PROP_COLUMNS:
    g_free(self->columns);
    self->columns = g_value_dup_string(value);
    break;
  case PROP_TIMESTAMP_COLUMN:
    g_free(self->timestamp_column);
    self->timestamp_column = g_value_dup_string(value);
    break;
  case PROP_RATE:
    self->rate_n = gst_value_get_fraction_numerator(value);
    self->rate_d = gst_value_get_fraction_denominator(value);
    break;
  case PROP_FRAMES_PER_BUFFER:
    self->frames_per_buffer = g_value_get_uint(value);
    break;
  case PROP_ALLOW_NAN:
    self->allow_nan = g_value_get_boolean(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_csv_parse_get_property(GObject *object, guint prop_id, GValue *value,
                                       GParamSpec *pspec)
{
  GstCsvParse *self = GST_CSV_PARSE(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_DELIMITER:
    g_value_set_enum(value, self->delimiter);
    break;
  case PROP_COLUMNS:
    g_value_set_string(value, self->columns);
    break;
  case PROP_TIMESTAMP_COLUMN:
    g_value_set_string(value, self->timestamp_column);
    break;
  case PROP_RATE:
    gst_value_set_fraction(value, self->rate_n, self->rate_d);
    break;
  case PROP_FRAMES_PER_BUFFER:
    g_value_set_uint(value, self->frames_per_buffer);
    break;
  case PROP_ALLOW_NAN:
    g_value_set_boolean(value, self->allow_nan);
    break;
  case PROP_DROPPED_ROWS:
    g_value_set_uint64(value, self->dropped_rows);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_csv_parse_finalize(GObject *object)
{
  GstCsvParse *self = GST_CSV_PARSE(object);
  stop(self);
  g_free(self->columns);
  g_free(self->timestamp_column);
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

#define PROP_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)

static void install_properties(GObjectClass *gobject_class)
{
  g_object_class_install_property(
      gobject_class, PROP_DELIMITER,
      g_param_spec_enum("delimiter", "Delimiter",
                        "Cell delimiter; auto takes the most frequent of , ; and tab in the "
                        "header row",
                        GST_TYPE_CSV_PARSE_DELIMITER, DEFAULT_DELIMITER, PROP_FLAGS));
  g_object_class_install_property(
      gobject_class, PROP_COLUMNS,
      g_param_spec_string("columns", "Columns",
                          "Comma-separated header names or 0-based indices of the columns to "
                          "emit, in that order (a name wins over an index); empty or unset: "
                          "every column but the timestamp column that is numeric in the first "
                          "data row",
                          DEFAULT_COLUMNS, PROP_FLAGS));
  g_object_class_install_property(
      gobject_class, PROP_TIMESTAMP_COLUMN,
      g_param_spec_string("timestamp-column", "Timestamp column",
                          "Header name or 0-based index of the column holding each row's time "
                          "(ISO 8601 date-time or seconds); auto: the first column named "
                          "datetime, timestamp or time (any case), if any; none: times come "
                          "from the rate property",
                          DEFAULT_TIMESTAMP_COLUMN, PROP_FLAGS));
  g_object_class_install_property(
      gobject_class, PROP_RATE,
      gst_param_spec_fraction("rate", "Rate",
                              "Rows per second when there is no timestamp column: row i (counting "
                              "dropped rows) is at i / rate seconds",
                              1, G_MAXINT, G_MAXINT, 1, DEFAULT_RATE_N, DEFAULT_RATE_D,
                              PROP_FLAGS));
  g_object_class_install_property(
      gobject_class, PROP_FRAMES_PER_BUFFER,
      g_param_spec_uint("frames-per-buffer", "Frames per buffer",
                        "Most rows (frames) per output buffer; a buffer holds evenly spaced rows "
                        "only, so irregular times give shorter buffers",
                        1, VG_CSV_FRAMES_MAX, DEFAULT_FRAMES_PER_BUFFER, PROP_FLAGS));
  g_object_class_install_property(
      gobject_class, PROP_ALLOW_NAN,
      g_param_spec_boolean("allow-nan", "Allow NaN",
                           "Read empty cells and nan as NaN instead of dropping their row",
                           DEFAULT_ALLOW_NAN, PROP_FLAGS));
  g_object_class_install_property(
      gobject_class, PROP_DROPPED_ROWS,
      g_param_spec_uint64("dropped-rows", "Dropped rows",
                          "Rows dropped since the stream started (wrong number of cells, a cell "
                          "that is not a number, a bad or backward time, a line too long)",
                          0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void gst_csv_parse_class_init(GstCsvParseClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(csv_parse_debug, "csvparse", 0, "Vigil CSV to tensors parser");
  gobject_class->set_property = gst_csv_parse_set_property;
  gobject_class->get_property = gst_csv_parse_get_property;
  gobject_class->finalize = gst_csv_parse_finalize;
  install_properties(gobject_class);
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_csv_parse_change_state);

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "CSV sensor table to tensors", "Codec/Parser/Converter/Tensor",
      "Reads delimited text (comma, semicolon or tab) with a header row and emits the numeric "
      "columns of each row as an other/tensors frame, timed from a timestamp column (ISO 8601 or "
      "seconds) or a fixed rate; malformed rows are dropped and counted",
      "Vigil contributors");
  gst_type_mark_as_plugin_api(GST_TYPE_CSV_PARSE_DELIMITER, 0);
}

static void gst_csv_parse_init(GstCsvParse *self)
{
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_csv_parse_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_csv_parse_sink_event));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);

  self->delimiter = DEFAULT_DELIMITER;
  self->columns = g_strdup(DEFAULT_COLUMNS);
  self->timestamp_column = g_strdup(DEFAULT_TIMESTAMP_COLUMN);
  self->rate_n = DEFAULT_RATE_N;
  self->rate_d = DEFAULT_RATE_D;
  self->frames_per_buffer = DEFAULT_FRAMES_PER_BUFFER;
  self->allow_nan = DEFAULT_ALLOW_NAN;
}
