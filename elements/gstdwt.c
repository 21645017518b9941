/* Vigil: the dwt element (docs/elements/dwt.md).
 *
 * transform=dwt: one output frame per 2^J input frames, J + 1 tensors cA_J, cD_J, ..., cD_1 of
 * 1, 1, 2, ..., 2^(J-1) values per signal; at EOS, DISCONT and caps changes the tail is flushed
 * so that each segment equals pywt.wavedec(x, wavelet, mode='zero', level=J).
 * transform=swt: one output frame of J + 1 bands per input frame (causal a-trous transform).
 * The numerics live in kernels/dwt; this file is the GObject half (properties, pads, caps, events,
 * states), dwtstream.c the streaming half (buffers, times, the tail).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dwtstream.h"
#include "gstdwt.h"
#include "vigilelements.h"

#include <string.h>

GST_DEBUG_CATEGORY(gst_dwt_debug);
#define GST_CAT_DEFAULT gst_dwt_debug

#define DEFAULT_TRANSFORM GST_DWT_TRANSFORM_DWT
#define DEFAULT_WAVELET   "db4"
#define DEFAULT_LEVELS    3
#define DEFAULT_LAYOUT    GST_DWT_LAYOUT_TENSORS
#define MAX_LEVELS        (VIGIL_TENSORS_MAX - 1) /* J + 1 tensors per frame */

enum { PROP_0, PROP_TRANSFORM, PROP_WAVELET, PROP_LEVELS, PROP_LAYOUT };

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(VIGIL_FRAMES_SINK_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(VIGIL_TENSORS_CAPS_TEMPLATE));

GType gst_dwt_transform_get_type(void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_DWT_TRANSFORM_DWT, "Decimated multilevel DWT: one frame per 2^levels input frames",
       "dwt"},
      {GST_DWT_TRANSFORM_SWT,
       "Stationary (undecimated) wavelet transform: one frame per input frame", "swt"},
      {0, NULL, NULL}};
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstDwtTransform", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

GType gst_dwt_layout_get_type(void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_DWT_LAYOUT_TENSORS, "J+1 tensors per frame: cA_J, cD_J, ..., cD_1", "tensors"},
      {GST_DWT_LAYOUT_PACKED,
       "One tensor 2^J:C per frame: cA_J, cD_J, ..., cD_1 one after the other per channel",
       "packed"},
      {0, NULL, NULL}};
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstDwtLayout", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

#define gst_dwt_parent_class parent_class
G_DEFINE_TYPE(GstDwt, gst_dwt, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(dwt, "dwt", GST_RANK_NONE, GST_TYPE_DWT,
                                      vigil_element_init(plugin));

static void free_kernels(GstDwt *self)
{
  g_clear_pointer(&self->dwt, vg_dwt_destroy);
  g_clear_pointer(&self->swt, vg_swt_destroy);
}

/* One tensor shape per band: width values per signal, then the input's own axes (C or F:C). */
static void append_shape(GstDwt *self, VigilTensorsInfo *info, guint width)
{
  guint dims[3] = {width, self->in_fmt.inner, self->in_fmt.channels};
  if (self->in_fmt.inner > 1) {
    vigil_tensors_info_append(info, 3, dims);
  } else {
    dims[1] = self->in_fmt.channels;
    vigil_tensors_info_append(info, 2, dims);
  }
}

/* Builds the kernels and the output caps for the input format just read. */
static gboolean configure(GstDwt *self)
{
  VgWavelet w;
  VgError err = {{0}};
  gint rn = self->in_fmt.rate_n, rd = self->in_fmt.rate_d;

  GST_OBJECT_LOCK(self);
  GstDwtTransform transform = self->transform;
  guint levels = self->levels;
  gboolean packed = self->layout == GST_DWT_LAYOUT_PACKED;
  gchar *name = g_strdup(self->wavelet);
  GST_OBJECT_UNLOCK(self);

  free_kernels(self);
  int rc = vg_wavelet_init(&w, name, &err);
  if (rc == VG_OK && transform == GST_DWT_TRANSFORM_DWT)
    self->dwt = vg_dwt_create(&w, levels, self->in_fmt.frame_values, &err);
  else if (rc == VG_OK)
    self->swt = vg_swt_create(&w, levels, self->in_fmt.frame_values, &err);
  if (!self->dwt && !self->swt) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("%s", err.msg),
                      ("wavelet=%s levels=%u transform=%s, %u signals per frame", name, levels,
                       transform == GST_DWT_TRANSFORM_DWT ? "dwt" : "swt",
                       self->in_fmt.frame_values));
    g_free(name);
    return FALSE;
  }
  g_free(name);
  self->active = transform;
  self->active_levels = levels;
  self->packed = packed && transform == GST_DWT_TRANSFORM_DWT;

  if (transform == GST_DWT_TRANSFORM_DWT) {
    if (rn > 0)
      gst_util_fraction_multiply(rn, rd, 1, 1 << levels, &rn, &rd);
    vigil_tensors_info_init(&self->out_info, rn, rd);
    if (self->packed)
      append_shape(self, &self->out_info, 1u << levels);
    for (guint t = 0; t <= levels && !self->packed; t++)
      append_shape(self, &self->out_info, vg_dwt_tensor_width(self->dwt, t));
  } else {
    vigil_tensors_info_init(&self->out_info, rn, rd);
    append_shape(self, &self->out_info, levels + 1);
  }
  /* a block's frame is stamped with its first input frame and complete at its last one */
  GstClockTime latency = transform == GST_DWT_TRANSFORM_DWT
                             ? vigil_frame_format_duration(&self->in_fmt, (1u << levels) - 1)
                             : GST_CLOCK_TIME_NONE;
  GST_OBJECT_LOCK(self);
  gboolean changed = latency != self->latency;
  self->latency = latency;
  GST_OBJECT_UNLOCK(self);
  if (changed)
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
  gst_dwt_reset_time(self);
  return TRUE;
}

/* LATENCY: upstream's plus the 2^J - 1 frame periods a transform=dwt block waits for its last
 * frame (live pipelines must not drop the frames as late). */
static gboolean gst_dwt_src_query(GstPad *pad, GstObject *parent, GstQuery *query)
{
  GstDwt *self = GST_DWT(parent);
  GST_OBJECT_LOCK(self); /* the query may come from any thread */
  GstClockTime ours = self->latency;
  GST_OBJECT_UNLOCK(self);
  return vigil_latency_query(pad, parent, query, self->sinkpad, ours);
}

static gboolean set_caps(GstElement *element, GstCaps *caps)
{
  GstDwt *self = GST_DWT(element);
  GError *error = NULL;
  VigilFrameFormat fmt;
  if (!vigil_frame_format_from_caps(caps, &fmt, &error)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("dwt cannot take this input: %s", error->message),
                      ("caps %" GST_PTR_FORMAT, caps));
    g_error_free(error);
    return FALSE;
  }
  if ((self->dwt || self->swt) && memcmp(&fmt, &self->in_fmt, sizeof fmt) == 0)
    return TRUE; /* the same caps again: the stream goes on */
  if (self->dwt &&
      gst_dwt_drain(self) != GST_FLOW_OK) /* the old stream's tail, under the old caps */
    return FALSE;
  self->in_fmt = fmt;
  if (!configure(self))
    return FALSE;
  GstCaps *out = vigil_tensors_info_to_caps(&self->out_info);
  GST_DEBUG_OBJECT(self, "output caps %" GST_PTR_FORMAT, out);
  gboolean ok = gst_pad_push_event(self->srcpad, gst_event_new_caps(out));
  gst_caps_unref(out);
  return ok;
}

static gboolean gst_dwt_sink_event(GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstDwt *self = GST_DWT(parent);
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_CAPS:
    return vigil_caps_event(pad, event, set_caps, GST_ELEMENT(self));
  case GST_EVENT_EOS:
    if (self->dwt)
      gst_dwt_drain(self);
    break;
  case GST_EVENT_SEGMENT:
    gst_event_copy_segment(event, &self->segment);
    break;
  case GST_EVENT_FLUSH_STOP:
    gst_dwt_reset_state(self);
    gst_segment_init(&self->segment, GST_FORMAT_TIME);
    break;
  default:
    break;
  }
  return gst_pad_event_default(pad, parent, event);
}

static GstStateChangeReturn gst_dwt_change_state(GstElement *element, GstStateChange transition)
{
  GstDwt *self = GST_DWT(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    /* Refuse bad settings before any data flows. */
    VgWavelet w;
    VgError err = {{0}};
    GST_OBJECT_LOCK(self);
    gboolean ok = vg_wavelet_init(&w, self->wavelet, &err) == VG_OK;
    guint levels = self->levels;
    gboolean swt = self->transform == GST_DWT_TRANSFORM_SWT;
    GST_OBJECT_UNLOCK(self);
    if (ok && swt && levels > VG_SWT_MAX_LEVELS) {
      ok = FALSE;
      g_snprintf(err.msg, sizeof err.msg,
                 "levels=%u is too many for transform=swt: at most %d (the filters would span "
                 "over %u frames)",
                 levels, VG_SWT_MAX_LEVELS, 1u << levels);
    }
    if (!ok) {
      GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("%s", err.msg), (NULL));
      return GST_STATE_CHANGE_FAILURE;
    }
  }
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    free_kernels(self);
    gst_dwt_reset_time(self);
  }
  return ret;
}

static void gst_dwt_set_property(GObject *object, guint prop_id, const GValue *value,
                                 GParamSpec *pspec)
{
  GstDwt *self = GST_DWT(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_TRANSFORM:
    self->transform = g_value_get_enum(value);
    break;
  case PROP_WAVELET:
    g_free(self->wavelet); /* NULL restores the default */
    self->wavelet =
        g_strdup(g_value_get_string(value) ? g_value_get_string(value) : DEFAULT_WAVELET);
    break;
  case PROP_LEVELS:
    self->levels = g_value_get_uint(value);
    break;
  case PROP_LAYOUT:
    self->layout = g_value_get_enum(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_dwt_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GstDwt *self = GST_DWT(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
  case PROP_TRANSFORM:
    g_value_set_enum(value, self->transform);
    break;
  case PROP_WAVELET:
    g_value_set_string(value, self->wavelet);
    break;
  case PROP_LEVELS:
    g_value_set_uint(value, self->levels);
    break;
  case PROP_LAYOUT:
    g_value_set_enum(value, self->layout);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_dwt_finalize(GObject *object)
{
  GstDwt *self = GST_DWT(object);
  free_kernels(self);
  g_free(self->wavelet);
  g_array_free(self->scratch, TRUE);
  g_array_free(self->unpacked, TRUE);
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_dwt_class_init(GstDwtClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = gst_dwt_set_property;
  gobject_class->get_property = gst_dwt_get_property;
  gobject_class->finalize = gst_dwt_finalize;
  element_class->change_state = gst_dwt_change_state;

  g_object_class_install_property(
      gobject_class, PROP_TRANSFORM,
      g_param_spec_enum("transform", "Transform",
                        "dwt: decimated multilevel transform, one frame of J+1 tensors (cA_J, "
                        "cD_J, ..., cD_1) per 2^J input frames; swt: stationary transform, one "
                        "frame of J+1 bands per input frame",
                        GST_TYPE_DWT_TRANSFORM, DEFAULT_TRANSFORM, flags));
  g_object_class_install_property(
      gobject_class, PROP_WAVELET,
      g_param_spec_string("wavelet", "Wavelet",
                          "Orthogonal wavelet: haar, db1-db20 (Daubechies), sym2-sym20 (symlets) "
                          "or coif1-coif5 (coiflets), with PyWavelets' filters",
                          DEFAULT_WAVELET, flags));
  g_object_class_install_property(
      gobject_class, PROP_LEVELS,
      g_param_spec_uint("levels", "Levels",
                        "Decomposition levels J: transform=dwt emits one frame per 2^J input "
                        "frames (framerate = input rate / 2^J); swt allows at most 12",
                        1, MAX_LEVELS, DEFAULT_LEVELS, flags));

  g_object_class_install_property(
      gobject_class, PROP_LAYOUT,
      g_param_spec_enum("layout", "Layout",
                        "transform=dwt output: tensors (J+1 tensors per frame) or packed (one "
                        "tensor 2^J:C per frame, cA_J, cD_J, ..., cD_1 one after the other per "
                        "channel, for elements that take a single tensor such as streamcnn)",
                        GST_TYPE_DWT_LAYOUT, DEFAULT_LAYOUT, flags));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Streaming wavelet transform", "Filter/Analyzer/Audio",
      "Streaming multilevel discrete wavelet transform (decimated, equal to "
      "pywt.wavedec mode=zero) or stationary wavelet transform of audio or tensor frames, as "
      "other/tensors",
      "Vigil contributors");
  gst_type_mark_as_plugin_api(GST_TYPE_DWT_TRANSFORM, 0);
  gst_type_mark_as_plugin_api(GST_TYPE_DWT_LAYOUT, 0);
  GST_DEBUG_CATEGORY_INIT(gst_dwt_debug, "dwt", 0, "Vigil streaming wavelet transform");
}

static void gst_dwt_init(GstDwt *self)
{
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  /* caps that only lack a field (framerate) reach set_caps and its message naming it */
  GST_PAD_SET_ACCEPT_INTERSECT(self->sinkpad);
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_dwt_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_dwt_sink_event));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_query_function(self->srcpad, GST_DEBUG_FUNCPTR(gst_dwt_src_query));
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);

  self->latency = GST_CLOCK_TIME_NONE;
  self->transform = DEFAULT_TRANSFORM;
  self->wavelet = g_strdup(DEFAULT_WAVELET);
  self->levels = DEFAULT_LEVELS;
  self->layout = DEFAULT_LAYOUT;
  gst_segment_init(&self->segment, GST_FORMAT_TIME);
  self->scratch = g_array_new(FALSE, FALSE, sizeof(gfloat));
  self->unpacked = g_array_new(FALSE, FALSE, sizeof(gfloat));
  gst_dwt_reset_time(self);
}
