/* SPDX-License-Identifier: GPL-3.0-or-later */
/**
 * SECTION:element-streamcnn
 * @title: streamcnn
 *
 * Runs an ONNX CNN over sliding windows of a stream of frames (audio samples or sensor rows) and
 * emits one output per hop. Each activation is computed once and reused by every later window
 * (mode=exact, the default, stays equal to windowed inference; see docs/elements/streamcnn.md).
 *
 * Output timestamps: each output frame's time is the end of its window (the time just after its
 * last frame) and it spans H frames. A buffer holds the windows one input buffer completes, at most
 * frames-per-buffer of them (default 1), stamped with its first frame's time and n hops' duration.
 * The last partial hop at EOS is dropped.
 *
 * |[
 * gst-launch-1.0 audiotestsrc ! audio/x-raw,format=F32LE,channels=1,rate=1000 ! \
 *     streamcnn model=ppg.onnx window=256 hop=64 ! fakesink
 * ]|
 */
#include "gststreamcnn.h"
#include "gststreamcnn-priv.h"
#include "vigilelements.h"

GST_DEBUG_CATEGORY(gst_stream_cnn_debug);
#define GST_CAT_DEFAULT gst_stream_cnn_debug

enum {
  PROP_0,
  PROP_MODEL,
  PROP_WINDOW,
  PROP_HOP,
  PROP_MODE,
  PROP_OUTPUT,
  PROP_ERROR_METRIC,
  PROP_THREADS,
  PROP_FRAMES_PER_BUFFER,
  PROP_WINDOWS_COMPUTED,
  PROP_MEAN_HOP_TIME,
};

#define DEFAULT_MODEL             NULL
#define DEFAULT_WINDOW            0
#define DEFAULT_HOP               0
#define DEFAULT_MODE              VG_STREAM_EXACT
#define DEFAULT_OUTPUT            GST_STREAM_CNN_OUTPUT_MODEL
#define DEFAULT_ERROR_METRIC      GST_STREAM_CNN_METRIC_MAE
#define DEFAULT_THREADS           1
#define DEFAULT_FRAMES_PER_BUFFER 1

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(VIGIL_FRAMES_SINK_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(VIGIL_TENSORS_CAPS_TEMPLATE));

G_DEFINE_TYPE(GstStreamCnn, gst_stream_cnn, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(streamcnn, "streamcnn", GST_RANK_NONE, GST_TYPE_STREAM_CNN,
                                      vigil_element_init(plugin));

#define GST_TYPE_STREAM_CNN_MODE (gst_stream_cnn_mode_get_type())
static GType gst_stream_cnn_mode_get_type(void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
      {VG_STREAM_EXACT, "Equal to windowed inference: reuse interior columns, recompute edge bands",
       "exact"},
      {VG_STREAM_SIGNAL, "Reuse every column, never recompute (StreamiNNC signal padding)",
       "signal"},
      {VG_STREAM_FULL, "Recompute every window from scratch (the baseline)", "full"},
      {0, NULL, NULL}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstStreamCnnMode", values));
  return type;
}

#define GST_TYPE_STREAM_CNN_OUTPUT (gst_stream_cnn_output_get_type())
static GType gst_stream_cnn_output_get_type(void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_STREAM_CNN_OUTPUT_MODEL, "The model's output for each window", "model"},
      {GST_STREAM_CNN_OUTPUT_RECONSTRUCTION_ERROR,
       "Autoencoders: per-channel reconstruction error of each window and its sum",
       "reconstruction-error"},
      {0, NULL, NULL}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstStreamCnnOutput", values));
  return type;
}

#define GST_TYPE_STREAM_CNN_METRIC (gst_stream_cnn_metric_get_type())
static GType gst_stream_cnn_metric_get_type(void)
{
  static GType type = 0;
  static const GEnumValue values[] = {{GST_STREAM_CNN_METRIC_MAE, "Mean absolute error", "mae"},
                                      {GST_STREAM_CNN_METRIC_MSE, "Mean squared error", "mse"},
                                      {0, NULL, NULL}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstStreamCnnMetric", values));
  return type;
}

static void gst_stream_cnn_set_property(GObject *object, guint prop_id, const GValue *value,
                                        GParamSpec *pspec)
{
  GstStreamCnn *self = GST_STREAM_CNN(object);
  GST_OBJECT_LOCK(self);
  if (GST_STATE(self) > GST_STATE_READY && prop_id != PROP_THREADS)
    GST_WARNING_OBJECT(self, "'%s' changed while running: it takes effect at the next start",
                       pspec->name);
  switch (prop_id) {
  case PROP_MODEL:
    g_free(self->model_path);
    self->model_path = g_value_dup_string(value);
    break;
  case PROP_WINDOW:
    self->props.window = g_value_get_int(value);
    break;
  case PROP_HOP:
    self->props.hop = g_value_get_int(value);
    break;
  case PROP_MODE:
    self->props.mode = (VgStreamMode)g_value_get_enum(value);
    break;
  case PROP_OUTPUT:
    self->props.output = (GstStreamCnnOutput)g_value_get_enum(value);
    break;
  case PROP_ERROR_METRIC:
    self->props.metric = (GstStreamCnnMetric)g_value_get_enum(value);
    break;
  case PROP_THREADS:
    self->threads = g_value_get_int(value);
    break;
  case PROP_FRAMES_PER_BUFFER:
    self->props.frames_per_buffer = g_value_get_uint(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_stream_cnn_get_property(GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec)
{
  GstStreamCnn *self = GST_STREAM_CNN(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_MODEL:
    g_value_set_string(value, self->model_path);
    break;
  case PROP_WINDOW:
    g_value_set_int(value, self->props.window);
    break;
  case PROP_HOP:
    g_value_set_int(value, self->props.hop);
    break;
  case PROP_MODE:
    g_value_set_enum(value, self->props.mode);
    break;
  case PROP_OUTPUT:
    g_value_set_enum(value, self->props.output);
    break;
  case PROP_ERROR_METRIC:
    g_value_set_enum(value, self->props.metric);
    break;
  case PROP_THREADS:
    g_value_set_int(value, self->threads);
    break;
  case PROP_FRAMES_PER_BUFFER:
    g_value_set_uint(value, self->props.frames_per_buffer);
    break;
  case PROP_WINDOWS_COMPUTED:
    g_value_set_uint64(value, self->windows_computed);
    break;
  case PROP_MEAN_HOP_TIME:
    g_value_set_uint64(value,
                       self->windows_computed ? self->compute_ns / self->windows_computed : 0);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static gboolean gst_stream_cnn_sink_event(GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstStreamCnn *self = GST_STREAM_CNN(parent);
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_CAPS:
    self->caps_refused = !vigil_caps_event(pad, event, gst_stream_cnn_setup, GST_ELEMENT(self));
    return !self->caps_refused;
  case GST_EVENT_SEGMENT:
    gst_event_copy_segment(event, &self->segment);
    self->have_segment = TRUE;
    if (self->caps_refused)
      break;
    {
      guint32 seqnum = gst_event_get_seqnum(event);
      gst_event_unref(event);
      return gst_stream_cnn_push_segment(self, seqnum);
    }
  case GST_EVENT_GAP:
    gst_event_unref(event); /* an output per hop follows the frames, not upstream's gaps */
    return TRUE;
  case GST_EVENT_FLUSH_STOP:
    gst_stream_cnn_restart(self);
    break;
  case GST_EVENT_EOS:
    /* frames that do not complete a window produce nothing: the partial hop is dropped */
    GST_DEBUG_OBJECT(self, "EOS with %" G_GINT64_FORMAT " frames short of the next window",
                     self->stream ? vg_stream_pending(self->stream) : 0);
    break;
  default:
    break;
  }
  if (self->caps_refused && GST_EVENT_IS_SERIALIZED(event) &&
      GST_EVENT_TYPE(event) != GST_EVENT_FLUSH_STOP) {
    /* the caps were refused and the error posted: nothing flows downstream, not even EOS, so
     * that no sink prerolls on a stream that failed */
    gboolean eos = GST_EVENT_TYPE(event) == GST_EVENT_EOS;
    gst_event_unref(event);
    return eos;
  }
  return gst_pad_event_default(pad, parent, event);
}

/* CAPS on the sink pad: once the model is loaded, audio must have its channel count, so that a
 * source offering other counts fails negotiation before it sends caps (and is told why). */
static gboolean gst_stream_cnn_sink_query(GstPad *pad, GstObject *parent, GstQuery *query)
{
  GstStreamCnn *self = GST_STREAM_CNN(parent);
  if (GST_QUERY_TYPE(query) != GST_QUERY_CAPS || !self->model)
    return gst_pad_query_default(pad, parent, query);
  GstCaps *filter, *caps = gst_pad_get_pad_template_caps(pad);
  gst_query_parse_caps(query, &filter);
  caps = gst_caps_make_writable(caps);
  const VgShape *in = &self->model->values[self->model->input].shape;
  for (guint i = 0; i < gst_caps_get_size(caps); i++) {
    GstStructure *s = gst_caps_get_structure(caps, i);
    if (gst_structure_has_name(s, "audio/x-raw"))
      gst_structure_set(s, "channels", G_TYPE_INT, (gint)in->dims[1], NULL);
  }
  if (filter) {
    GstCaps *r = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    caps = r;
    gint n;
    GstStructure *f = gst_caps_get_size(filter) ? gst_caps_get_structure(filter, 0) : NULL;
    if (gst_caps_is_empty(caps) && f && gst_structure_has_name(f, "audio/x-raw") &&
        gst_structure_get_int(f, "channels", &n) && n != (gint)in->dims[1] &&
        !self->channel_error_posted) {
      self->channel_error_posted = TRUE;
      self->caps_refused = TRUE; /* the pad refuses the CAPS event before the element sees it */
      GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                        ("Channel mismatch: the model takes %d channels, the stream has %d.",
                         (gint)in->dims[1], n),
                        ("insert audioconvert or choose the tensor columns to match"));
    }
  }
  gst_query_set_caps_result(query, caps);
  gst_caps_unref(caps);
  return TRUE;
}

static gboolean gst_stream_cnn_src_query(GstPad *pad, GstObject *parent, GstQuery *query)
{
  GstStreamCnn *self = GST_STREAM_CNN(parent);
  if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
    /* An output is stamped with the end of its window and pushed as soon as the frame that
     * completes the window arrives: the element adds no latency beyond upstream's. */
    gboolean ok = gst_pad_peer_query(self->sinkpad, query);
    if (ok) {
      gboolean live;
      GstClockTime min, max;
      gst_query_parse_latency(query, &live, &min, &max);
      GST_DEBUG_OBJECT(self, "latency: live %d min %" GST_TIME_FORMAT, live, GST_TIME_ARGS(min));
    }
    return ok;
  }
  return gst_pad_query_default(pad, parent, query);
}

static GstStateChangeReturn gst_stream_cnn_change_state(GstElement *element,
                                                        GstStateChange transition)
{
  GstStreamCnn *self = GST_STREAM_CNN(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !gst_stream_cnn_load(self))
    return GST_STATE_CHANGE_FAILURE;
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_stream_cnn_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_stream_cnn_unload(self);
  return ret;
}

static void gst_stream_cnn_finalize(GObject *object)
{
  GstStreamCnn *self = GST_STREAM_CNN(object);
  gst_stream_cnn_unload(self);
  g_free(self->model_path);
  g_array_unref(self->s16_scratch);
  g_array_unref(self->std_scratch);
  G_OBJECT_CLASS(gst_stream_cnn_parent_class)->finalize(object);
}

static void install_properties(GObjectClass *oc)
{
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  g_object_class_install_property(
      oc, PROP_MODEL,
      g_param_spec_string("model", "Model",
                          "Path of the ONNX model file (input [1, C, T] or "
                          "[1, C, F, T], time last), loaded at the READY to PAUSED change",
                          DEFAULT_MODEL, rw));
  g_object_class_install_property(
      oc, PROP_WINDOW,
      g_param_spec_int("window", "Window",
                       "Window length W in input frames, the frames each model run sees (0: the "
                       "model's own input length; required for a model exported with a dynamic "
                       "time axis)",
                       0, G_MAXINT, DEFAULT_WINDOW, rw));
  g_object_class_install_property(
      oc, PROP_HOP,
      g_param_spec_int("hop", "Hop",
                       "Frames between the starts of consecutive windows, from 1 to "
                       "the window (0: a quarter of the window)",
                       0, G_MAXINT, DEFAULT_HOP, rw));
  g_object_class_install_property(
      oc, PROP_MODE,
      g_param_spec_enum("mode", "Mode",
                        "How windows reuse each other's computation: exact (equal to windowed "
                        "inference), signal (cheapest, deviates near the window edges when "
                        "layers pad), full (every window recomputed)",
                        GST_TYPE_STREAM_CNN_MODE, DEFAULT_MODE, rw));
  g_object_class_install_property(
      oc, PROP_OUTPUT,
      g_param_spec_enum("output", "Output",
                        "What each output frame holds: the model's output (one tensor per "
                        "output of the model), or for autoencoders the reconstruction error "
                        "(its sum over channels, then each channel's)",
                        GST_TYPE_STREAM_CNN_OUTPUT, DEFAULT_OUTPUT, rw));
  g_object_class_install_property(oc, PROP_ERROR_METRIC,
                                  g_param_spec_enum("error-metric", "Error metric",
                                                    "Per-channel error of "
                                                    "output=reconstruction-error over the window: "
                                                    "mae (mean |x - y|) or mse (mean (x - y)^2)",
                                                    GST_TYPE_STREAM_CNN_METRIC,
                                                    DEFAULT_ERROR_METRIC, rw));
  g_object_class_install_property(
      oc, PROP_THREADS,
      g_param_spec_int("threads", "Threads",
                       "OpenBLAS threads for the convolutions: process-wide, set when the "
                       "model loads (READY to PAUSED)",
                       1, 64, DEFAULT_THREADS, rw));
  g_object_class_install_property(
      oc, PROP_FRAMES_PER_BUFFER,
      g_param_spec_uint("frames-per-buffer", "Frames per buffer",
                        "Most output frames (one per window) per buffer: the windows one input "
                        "buffer completes go out together, never waiting for the next input "
                        "(1 for NNStreamer elements)",
                        1, 65536, DEFAULT_FRAMES_PER_BUFFER, rw));
  g_object_class_install_property(
      oc, PROP_WINDOWS_COMPUTED,
      g_param_spec_uint64("windows-computed", "Windows computed",
                          "Windows computed since the element was created", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property(oc, PROP_MEAN_HOP_TIME,
                                  g_param_spec_uint64("mean-hop-time", "Mean hop time",
                                                      "Mean wall-clock time to compute one "
                                                      "window's output, in nanoseconds",
                                                      0, G_MAXUINT64, 0, ro));
}

static void gst_stream_cnn_class_init(GstStreamCnnClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  GstElementClass *ec = GST_ELEMENT_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(gst_stream_cnn_debug, "streamcnn", 0, "Streaming CNN inference");
  oc->set_property = gst_stream_cnn_set_property;
  oc->get_property = gst_stream_cnn_get_property;
  oc->finalize = gst_stream_cnn_finalize;
  install_properties(oc);
  ec->change_state = GST_DEBUG_FUNCPTR(gst_stream_cnn_change_state);
  gst_element_class_add_static_pad_template(ec, &sink_template);
  gst_element_class_add_static_pad_template(ec, &src_template);
  gst_element_class_set_static_metadata(
      ec, "Streaming CNN", "Filter/Analyzer/Audio",
      "Runs an ONNX CNN over sliding windows, reusing each activation across windows",
      "Vigil contributors");
  gst_type_mark_as_plugin_api(GST_TYPE_STREAM_CNN_MODE, 0);
  gst_type_mark_as_plugin_api(GST_TYPE_STREAM_CNN_OUTPUT, 0);
  gst_type_mark_as_plugin_api(GST_TYPE_STREAM_CNN_METRIC, 0);
}

static void gst_stream_cnn_init(GstStreamCnn *self)
{
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  /* caps that only lack a field (framerate) reach set_caps and its message naming it */
  GST_PAD_SET_ACCEPT_INTERSECT(self->sinkpad);
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_stream_cnn_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_stream_cnn_sink_event));
  gst_pad_set_query_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_stream_cnn_sink_query));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_query_function(self->srcpad, GST_DEBUG_FUNCPTR(gst_stream_cnn_src_query));
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
  self->props.mode = DEFAULT_MODE;
  self->props.output = DEFAULT_OUTPUT;
  self->props.metric = DEFAULT_ERROR_METRIC;
  self->threads = DEFAULT_THREADS;
  self->props.frames_per_buffer = DEFAULT_FRAMES_PER_BUFFER;
  self->s16_scratch = g_array_new(FALSE, FALSE, sizeof(gfloat));
  self->std_scratch = g_array_new(FALSE, FALSE, sizeof(gfloat));
  gst_segment_init(&self->segment, GST_FORMAT_TIME);
}
