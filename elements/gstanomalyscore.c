/* Vigil: anomalyscore.
 *
 * Takes other/tensors frames of K values (all tensors of a frame, in order, are its K channels),
 * gives one score per frame (a float32 tensor of dimension 1), and with pass-input the input
 * tensors after it. Posts "anomaly" element messages when an event starts and ends, and with
 * post-messages an "anomalyscore" summary every interval. The numerics live in
 * kernels/anomaly/vg_anomaly.h; docs/elements/anomalyscore.md documents the element.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstanomalyscore.h"

#include <math.h>
#include "anomaly/vg_anomaly.h"
#include "anomalyscoreprivate.h"
#include "vigilelements.h"

GST_DEBUG_CATEGORY(gst_anomalyscore_debug);
#define GST_CAT_DEFAULT gst_anomalyscore_debug

#define DEFAULT_METHOD        VG_ANOMALY_ZSCORE
#define DEFAULT_COMBINE       VG_COMBINE_MAX
#define DEFAULT_THRESHOLD     0.0
#define DEFAULT_QUANTILE      0.999
#define DEFAULT_FACTOR        (4.0 / 3.0)
#define DEFAULT_WARMUP        100
#define DEFAULT_WINDOW        0
#define DEFAULT_SHORT_WINDOW  10
#define DEFAULT_ADAPT         TRUE
#define DEFAULT_HYSTERESIS    0.0
#define DEFAULT_MIN_DURATION  1
#define DEFAULT_PASS_INPUT    FALSE
#define DEFAULT_SCORE_TENSOR  -1
#define DEFAULT_POST_EVENTS   TRUE
#define DEFAULT_POST_MESSAGES FALSE
#define DEFAULT_INTERVAL      GST_SECOND
#define DEFAULT_DISCONT       GST_ANOMALYSCORE_DISCONT_RESTART
/* Longest window or warmup, in frames: bounds the memory a property can ask for. */
#define MAX_FRAMES (1u << 26)

enum {
  PROP_0,
  PROP_METHOD,
  PROP_COMBINE,
  PROP_THRESHOLD,
  PROP_QUANTILE,
  PROP_FACTOR,
  PROP_WARMUP,
  PROP_WINDOW,
  PROP_SHORT_WINDOW,
  PROP_ADAPT,
  PROP_HYSTERESIS,
  PROP_MIN_DURATION,
  PROP_PASS_INPUT,
  PROP_SCORE_TENSOR,
  PROP_POST_EVENTS,
  PROP_POST_MESSAGES,
  PROP_INTERVAL,
  PROP_DISCONT,
  PROP_FRAMES,
  PROP_NONFINITE_FRAMES,
  PROP_EVENTS,
  PROP_CURRENT_THRESHOLD,
};

G_DEFINE_TYPE(GstAnomalyscore, gst_anomalyscore, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(anomalyscore, "anomalyscore", GST_RANK_NONE,
                                      GST_TYPE_ANOMALYSCORE, vigil_element_init(plugin));

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(VIGIL_TENSORS_CAPS_TEMPLATE));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(VIGIL_TENSORS_CAPS_TEMPLATE));

/* ---- properties ---------------------------------------------------------------------------- */

static void gst_anomalyscore_set_property(GObject *object, guint prop_id, const GValue *value,
                                          GParamSpec *pspec)
{
  GstAnomalyscore *self = GST_ANOMALYSCORE(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_METHOD:
    self->cfg.method = g_value_get_enum(value);
    self->rebuild = TRUE;
    break;
  case PROP_COMBINE:
    self->cfg.combine = g_value_get_enum(value);
    self->rebuild = TRUE;
    break;
  case PROP_THRESHOLD:
    self->cfg.threshold = g_value_get_double(value);
    self->events_changed = TRUE;
    break;
  case PROP_QUANTILE:
    self->cfg.quantile = g_value_get_double(value);
    self->rebuild = TRUE;
    break;
  case PROP_FACTOR:
    self->cfg.factor = g_value_get_double(value);
    self->rebuild = TRUE;
    break;
  case PROP_WARMUP:
    self->cfg.warmup = g_value_get_uint(value);
    self->rebuild = TRUE;
    break;
  case PROP_WINDOW:
    self->cfg.window = g_value_get_uint(value);
    self->rebuild = TRUE;
    break;
  case PROP_SHORT_WINDOW:
    self->cfg.short_window = g_value_get_uint(value);
    self->rebuild = TRUE;
    break;
  case PROP_ADAPT:
    self->cfg.adapt = g_value_get_boolean(value);
    self->rebuild = TRUE;
    break;
  case PROP_HYSTERESIS:
    self->cfg.hysteresis = g_value_get_double(value);
    self->events_changed = TRUE;
    break;
  case PROP_MIN_DURATION:
    self->cfg.min_duration = g_value_get_uint(value);
    self->events_changed = TRUE;
    break;
  case PROP_PASS_INPUT:
    self->pass_input = g_value_get_boolean(value);
    break;
  case PROP_SCORE_TENSOR:
    self->score_tensor = g_value_get_int(value);
    break;
  case PROP_POST_EVENTS:
    self->post_events = g_value_get_boolean(value);
    break;
  case PROP_POST_MESSAGES:
    self->post_messages = g_value_get_boolean(value);
    break;
  case PROP_INTERVAL:
    self->interval = g_value_get_uint64(value);
    break;
  case PROP_DISCONT:
    self->discont = g_value_get_enum(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_anomalyscore_get_property(GObject *object, guint prop_id, GValue *value,
                                          GParamSpec *pspec)
{
  GstAnomalyscore *self = GST_ANOMALYSCORE(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_METHOD:
    g_value_set_enum(value, self->cfg.method);
    break;
  case PROP_COMBINE:
    g_value_set_enum(value, self->cfg.combine);
    break;
  case PROP_THRESHOLD:
    g_value_set_double(value, self->cfg.threshold);
    break;
  case PROP_QUANTILE:
    g_value_set_double(value, self->cfg.quantile);
    break;
  case PROP_FACTOR:
    g_value_set_double(value, self->cfg.factor);
    break;
  case PROP_WARMUP:
    g_value_set_uint(value, self->cfg.warmup);
    break;
  case PROP_WINDOW:
    g_value_set_uint(value, self->cfg.window);
    break;
  case PROP_SHORT_WINDOW:
    g_value_set_uint(value, self->cfg.short_window);
    break;
  case PROP_ADAPT:
    g_value_set_boolean(value, self->cfg.adapt);
    break;
  case PROP_HYSTERESIS:
    g_value_set_double(value, self->cfg.hysteresis);
    break;
  case PROP_MIN_DURATION:
    g_value_set_uint(value, self->cfg.min_duration);
    break;
  case PROP_PASS_INPUT:
    g_value_set_boolean(value, self->pass_input);
    break;
  case PROP_SCORE_TENSOR:
    g_value_set_int(value, self->score_tensor);
    break;
  case PROP_POST_EVENTS:
    g_value_set_boolean(value, self->post_events);
    break;
  case PROP_POST_MESSAGES:
    g_value_set_boolean(value, self->post_messages);
    break;
  case PROP_INTERVAL:
    g_value_set_uint64(value, self->interval);
    break;
  case PROP_DISCONT:
    g_value_set_enum(value, self->discont);
    break;
  case PROP_FRAMES:
    g_value_set_uint64(value, self->n_frames);
    break;
  case PROP_NONFINITE_FRAMES:
    g_value_set_uint64(value, self->n_nonfinite);
    break;
  case PROP_EVENTS:
    g_value_set_uint64(value, self->n_events);
    break;
  case PROP_CURRENT_THRESHOLD:
    g_value_set_double(value, self->current_threshold);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

/* ---- class --------------------------------------------------------------------------------- */

static GstStateChangeReturn gst_anomalyscore_change_state(GstElement *element,
                                                          GstStateChange transition)
{
  GstAnomalyscore *self = GST_ANOMALYSCORE(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    GST_OBJECT_LOCK(self);
    self->n_frames = self->n_nonfinite = self->n_events = 0;
    GST_OBJECT_UNLOCK(self);
    gst_segment_init(&self->segment, GST_FORMAT_TIME);
  }
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_anomalyscore_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_anomalyscore_clear_stream(self);
  return ret;
}

static void gst_anomalyscore_finalize(GObject *object)
{
  GstAnomalyscore *self = GST_ANOMALYSCORE(object);
  gst_anomalyscore_clear_stream(self);
  g_array_free(self->gather, TRUE);
  g_ptr_array_free(self->msgs, TRUE);
  G_OBJECT_CLASS(gst_anomalyscore_parent_class)->finalize(object);
}

#define RW (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)
#define RO (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)

static void install_properties(GObjectClass *oc)
{
  g_object_class_install_property(
      oc, PROP_METHOD,
      g_param_spec_enum("method", "Method",
                        "How a channel value becomes a score (see the element documentation for "
                        "what each score and threshold means)",
                        GST_TYPE_ANOMALYSCORE_METHOD, DEFAULT_METHOD, RW));
  g_object_class_install_property(
      oc, PROP_COMBINE,
      g_param_spec_enum("combine", "Combine",
                        "How the channel scores combine into the frame's score: max (largest), "
                        "mean, or l2 (Euclidean norm)",
                        GST_TYPE_ANOMALYSCORE_COMBINE, DEFAULT_COMBINE, RW));
  g_object_class_install_property(
      oc, PROP_THRESHOLD,
      g_param_spec_double("threshold", "Threshold",
                          "An event starts when the score exceeds this. 0: automatic (method "
                          "threshold: factor x quantile of the warmup scores; zscore: 3; mad: "
                          "3.5; likelihood: 0.9999)",
                          -G_MAXDOUBLE, G_MAXDOUBLE, DEFAULT_THRESHOLD, RW));
  g_object_class_install_property(
      oc, PROP_QUANTILE,
      g_param_spec_double("quantile", "Quantile",
                          "Quantile of the warmup scores that method=threshold learns its "
                          "threshold from (linear interpolation, as numpy.quantile)",
                          0.0, 1.0, DEFAULT_QUANTILE, RW));
  g_object_class_install_property(
      oc, PROP_FACTOR,
      g_param_spec_double("factor", "Factor",
                          "method=threshold with threshold=0: the event threshold is factor x the "
                          "learned quantile of the warmup scores",
                          1e-12, 1e12, DEFAULT_FACTOR, RW));
  g_object_class_install_property(
      oc, PROP_WARMUP,
      g_param_spec_uint("warmup", "Warmup",
                        "Frames that only learn the statistics: no event fires during them "
                        "(non-finite frames do not count)",
                        0, MAX_FRAMES, DEFAULT_WARMUP, RW));
  g_object_class_install_property(
      oc, PROP_WINDOW,
      g_param_spec_uint("window", "Window",
                        "Frames of history: zscore: exponential span (alpha = 2/(window+1)), 0 "
                        "for all frames; mad: sliding window, 0 for the warmup length; "
                        "likelihood: long-run window, 0 for all frames (1 is refused: a "
                        "deviation needs two values)",
                        0, MAX_FRAMES, DEFAULT_WINDOW, RW));
  g_object_class_install_property(
      oc, PROP_SHORT_WINDOW,
      g_param_spec_uint("short-window", "Short window",
                        "Frames averaged into the recent score that method=likelihood compares "
                        "with its long-run distribution",
                        1, MAX_FRAMES, DEFAULT_SHORT_WINDOW, RW));
  g_object_class_install_property(
      oc, PROP_ADAPT,
      g_param_spec_boolean("adapt", "Adapt",
                           "Keep learning the statistics after the warmup (FALSE: freeze them)",
                           DEFAULT_ADAPT, RW));
  g_object_class_install_property(
      oc, PROP_HYSTERESIS,
      g_param_spec_double("hysteresis", "Hysteresis",
                          "An event ends when the score falls to threshold - hysteresis x "
                          "|threshold| or below (a fraction of the threshold)",
                          0.0, 1e6, DEFAULT_HYSTERESIS, RW));
  g_object_class_install_property(
      oc, PROP_MIN_DURATION,
      g_param_spec_uint("min-duration", "Minimum duration",
                        "Consecutive frames above the threshold before an event starts", 1,
                        G_MAXUINT, DEFAULT_MIN_DURATION, RW));
  g_object_class_install_property(
      oc, PROP_PASS_INPUT,
      g_param_spec_boolean("pass-input", "Pass input",
                           "Output the input tensors after the score tensor, in each frame",
                           DEFAULT_PASS_INPUT, RW));
  g_object_class_install_property(
      oc, PROP_SCORE_TENSOR,
      g_param_spec_int("score-tensor", "Scored tensor",
                       "Which input tensor's values are the channels scored: -1 for all tensors of "
                       "the frame in order, k for tensor k only (e.g. 0 for streamcnn's "
                       "reconstruction-error sum); pass-input still passes every tensor",
                       -1, VIGIL_TENSORS_MAX - 1, DEFAULT_SCORE_TENSOR,
                       RW | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property(
      oc, PROP_POST_EVENTS,
      g_param_spec_boolean("post-events", "Post events",
                           "Post an 'anomaly' element message when an event starts and ends",
                           DEFAULT_POST_EVENTS, RW));
  g_object_class_install_property(
      oc, PROP_POST_MESSAGES,
      g_param_spec_boolean("post-messages", "Post messages",
                           "Post an 'anomalyscore' summary message every interval",
                           DEFAULT_POST_MESSAGES, RW));
  g_object_class_install_property(
      oc, PROP_INTERVAL,
      g_param_spec_uint64("interval", "Interval",
                          "Stream time covered by each 'anomalyscore' summary message "
                          "(post-messages=true), in nanoseconds",
                          1, G_MAXUINT64, DEFAULT_INTERVAL, RW));
  g_object_class_install_property(
      oc, PROP_DISCONT,
      g_param_spec_enum("discont", "Discontinuity",
                        "What a DISCONT buffer or a flush does to the statistics",
                        GST_TYPE_ANOMALYSCORE_DISCONT, DEFAULT_DISCONT, RW));
  g_object_class_install_property(
      oc, PROP_FRAMES,
      g_param_spec_uint64("frames", "Frames", "Frames scored since the last READY to PAUSED change",
                          0, G_MAXUINT64, 0, RO));
  g_object_class_install_property(
      oc, PROP_NONFINITE_FRAMES,
      g_param_spec_uint64("nonfinite-frames", "Non-finite frames",
                          "Frames holding NaN or infinity, which were not scored, since the last "
                          "READY to PAUSED change",
                          0, G_MAXUINT64, 0, RO));
  g_object_class_install_property(
      oc, PROP_EVENTS,
      g_param_spec_uint64("events", "Events",
                          "Anomaly events started since the last READY to PAUSED change", 0,
                          G_MAXUINT64, 0, RO));
  g_object_class_install_property(
      oc, PROP_CURRENT_THRESHOLD,
      g_param_spec_double("current-threshold", "Current threshold",
                          "The threshold in force (NaN while method=threshold is learning it)",
                          -G_MAXDOUBLE, G_MAXDOUBLE, 0.0, RO));
}

static void gst_anomalyscore_class_init(GstAnomalyscoreClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  GstElementClass *ec = GST_ELEMENT_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_anomalyscore_debug, "anomalyscore", 0, "Vigil anomaly scoring");
  oc->set_property = gst_anomalyscore_set_property;
  oc->get_property = gst_anomalyscore_get_property;
  oc->finalize = gst_anomalyscore_finalize;
  install_properties(oc);
  ec->change_state = gst_anomalyscore_change_state;

  gst_element_class_add_static_pad_template(ec, &sink_template);
  gst_element_class_add_static_pad_template(ec, &src_template);
  gst_element_class_set_static_metadata(
      ec, "Anomaly score", "Filter/Analyzer/Tensor",
      "Scores each tensor frame for anomaly (threshold, z-score, median/MAD, or anomaly "
      "likelihood), outputs the score, and posts 'anomaly' messages when events start and end",
      "Vigil contributors");
  gst_type_mark_as_plugin_api(GST_TYPE_ANOMALYSCORE_METHOD, 0);
  gst_type_mark_as_plugin_api(GST_TYPE_ANOMALYSCORE_COMBINE, 0);
  gst_type_mark_as_plugin_api(GST_TYPE_ANOMALYSCORE_DISCONT, 0);
}

static void gst_anomalyscore_init(GstAnomalyscore *self)
{
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  /* caps that only lack a field (framerate) reach set_caps and its message naming it */
  GST_PAD_SET_ACCEPT_INTERSECT(self->sinkpad);
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_anomalyscore_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_anomalyscore_sink_event));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);

  vg_anomaly_config_default(&self->cfg, 1);
  self->pass_input = DEFAULT_PASS_INPUT;
  self->score_tensor = DEFAULT_SCORE_TENSOR;
  self->post_events = DEFAULT_POST_EVENTS;
  self->post_messages = DEFAULT_POST_MESSAGES;
  self->interval = DEFAULT_INTERVAL;
  self->discont = DEFAULT_DISCONT;
  self->current_threshold = NAN;
  self->gather = g_array_new(FALSE, TRUE, sizeof(gfloat));
  self->msgs = g_ptr_array_new();
  gst_segment_init(&self->segment, GST_FORMAT_TIME);
}
