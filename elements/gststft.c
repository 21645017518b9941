/* Vigil: the stft element, GObject half: properties, pads, states, registration.
 * The streaming half (caps, buffers, events, messages) is in stftstream.c.
 *
 * SECTION:element-stft
 * @title: stft
 *
 * Short-time Fourier transform of audio or tensor frames on FFTW3: one spectrum frame per hop,
 * as other/tensors (magnitude, power, dB, log-mel or complex), optionally with `stft` and
 * `stft-periods` bus messages. Every property, the frame layout, timestamps and messages are
 * described in docs/elements/stft.md.
 *
 * |[
 * gst-launch-1.0 audiotestsrc ! audioconvert ! stft n-fft=1024 hop=512 output=mel ! fakesink
 * ]|
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gststft.h"
#include "stftstream.h"
#include "vigilelements.h"

GST_DEBUG_CATEGORY(gst_stft_debug);
#define GST_CAT_DEFAULT gst_stft_debug

#define DEFAULT_N_FFT             1024
#define DEFAULT_HOP               512
#define DEFAULT_WINDOW            VG_WINDOW_HANN
#define DEFAULT_CENTER            FALSE
#define DEFAULT_OUTPUT            VG_STFT_MAGNITUDE
#define DEFAULT_DB_FLOOR          -100.0
#define DEFAULT_N_MELS            64
#define DEFAULT_FMIN              0.0
#define DEFAULT_FMAX              0.0
#define DEFAULT_MIXDOWN           FALSE
#define DEFAULT_PLANNER           GST_STFT_PLANNER_MEASURE
#define DEFAULT_WISDOM_FILE       NULL
#define DEFAULT_POST_MESSAGES     FALSE
#define DEFAULT_INTERVAL          (GST_SECOND / 10)
#define DEFAULT_PERIODS           0
#define DEFAULT_FRAMES_PER_BUFFER 1

enum {
  PROP_0,
  PROP_N_FFT,
  PROP_HOP,
  PROP_WINDOW,
  PROP_CENTER,
  PROP_OUTPUT,
  PROP_DB_FLOOR,
  PROP_N_MELS,
  PROP_FMIN,
  PROP_FMAX,
  PROP_MIXDOWN,
  PROP_PLANNER,
  PROP_WISDOM_FILE,
  PROP_POST_MESSAGES,
  PROP_INTERVAL,
  PROP_PERIODS,
  PROP_FRAMES_PER_BUFFER,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(VIGIL_FRAMES_SINK_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(VIGIL_TENSORS_CAPS_TEMPLATE));

#define gst_stft_parent_class parent_class
G_DEFINE_TYPE(GstStft, gst_stft, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(stft, "stft", GST_RANK_NONE, GST_TYPE_STFT,
                                      vigil_element_init(plugin));

static GType register_enum(gsize *once, const gchar *name, const GEnumValue *values)
{
  if (g_once_init_enter(once)) {
    GType t = g_enum_register_static(name, values);
    g_once_init_leave(once, t);
  }
  return (GType)*once;
}

GType gst_stft_window_get_type(void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
      {VG_WINDOW_HANN, "Hann (periodic)", "hann"},
      {VG_WINDOW_HAMMING, "Hamming (periodic)", "hamming"},
      {VG_WINDOW_BLACKMAN, "Blackman (periodic)", "blackman"},
      {VG_WINDOW_RECTANGULAR, "Rectangular (no window)", "rectangular"},
      {0, NULL, NULL}};
  return register_enum(&id, "GstStftWindow", values);
}

GType gst_stft_output_get_type(void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
      {VG_STFT_MAGNITUDE, "|X| (unscaled), n-fft/2+1 bins", "magnitude"},
      {VG_STFT_POWER, "|X|^2, n-fft/2+1 bins", "power"},
      {VG_STFT_DB, "10 log10 |X|^2, floored at db-floor", "db"},
      {VG_STFT_MEL, "Log-mel: 10 log10 of Slaney mel band energies, floored at db-floor", "mel"},
      {VG_STFT_COMPLEX, "Re, Im pairs, 2*(n-fft/2+1) values", "complex"},
      {0, NULL, NULL}};
  return register_enum(&id, "GstStftOutput", values);
}

GType gst_stft_planner_get_type(void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
      {GST_STFT_PLANNER_MEASURE, "FFTW_MEASURE: time candidate plans (slower start, faster run)",
       "measure"},
      {GST_STFT_PLANNER_ESTIMATE, "FFTW_ESTIMATE: pick a plan heuristically (instant start)",
       "estimate"},
      {0, NULL, NULL}};
  return register_enum(&id, "GstStftPlanner", values);
}

static void set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  GstStft *self = GST_STFT(object);
  GstStftSettings *p = &self->props;
  GST_OBJECT_LOCK(self);
  switch (id) {
  case PROP_N_FFT:
    p->n_fft = g_value_get_uint(value);
    break;
  case PROP_HOP:
    p->hop = g_value_get_uint(value);
    break;
  case PROP_WINDOW:
    p->window = g_value_get_enum(value);
    break;
  case PROP_CENTER:
    p->center = g_value_get_boolean(value);
    break;
  case PROP_OUTPUT:
    p->output = g_value_get_enum(value);
    break;
  case PROP_DB_FLOOR:
    p->db_floor = g_value_get_double(value);
    break;
  case PROP_N_MELS:
    p->n_mels = g_value_get_uint(value);
    break;
  case PROP_FMIN:
    p->fmin = g_value_get_double(value);
    break;
  case PROP_FMAX:
    p->fmax = g_value_get_double(value);
    break;
  case PROP_MIXDOWN:
    p->mixdown = g_value_get_boolean(value);
    break;
  case PROP_PLANNER:
    p->planner = g_value_get_enum(value);
    break;
  case PROP_WISDOM_FILE:
    g_free(p->wisdom_file);
    p->wisdom_file = g_value_dup_string(value);
    break;
  case PROP_POST_MESSAGES:
    /* Read at every buffer: switching messages on or off does not restart the transform. */
    p->post_messages = g_value_get_boolean(value);
    GST_OBJECT_UNLOCK(self);
    return;
  case PROP_INTERVAL:
    p->interval = g_value_get_uint64(value);
    break;
  case PROP_PERIODS:
    p->periods = g_value_get_uint(value);
    break;
  case PROP_FRAMES_PER_BUFFER:
    p->frames_per_buffer = g_value_get_uint(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    GST_OBJECT_UNLOCK(self);
    return;
  }
  /* Applied at the next buffer: the current run ends and a new kernel is built. */
  self->reconfigure = TRUE;
  GST_OBJECT_UNLOCK(self);
}

static void get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  GstStft *self = GST_STFT(object);
  const GstStftSettings *p = &self->props;
  GST_OBJECT_LOCK(self);
  switch (id) {
  case PROP_N_FFT:
    g_value_set_uint(value, p->n_fft);
    break;
  case PROP_HOP:
    g_value_set_uint(value, p->hop);
    break;
  case PROP_WINDOW:
    g_value_set_enum(value, p->window);
    break;
  case PROP_CENTER:
    g_value_set_boolean(value, p->center);
    break;
  case PROP_OUTPUT:
    g_value_set_enum(value, p->output);
    break;
  case PROP_DB_FLOOR:
    g_value_set_double(value, p->db_floor);
    break;
  case PROP_N_MELS:
    g_value_set_uint(value, p->n_mels);
    break;
  case PROP_FMIN:
    g_value_set_double(value, p->fmin);
    break;
  case PROP_FMAX:
    g_value_set_double(value, p->fmax);
    break;
  case PROP_MIXDOWN:
    g_value_set_boolean(value, p->mixdown);
    break;
  case PROP_PLANNER:
    g_value_set_enum(value, p->planner);
    break;
  case PROP_WISDOM_FILE:
    g_value_set_string(value, p->wisdom_file);
    break;
  case PROP_POST_MESSAGES:
    g_value_set_boolean(value, p->post_messages);
    break;
  case PROP_INTERVAL:
    g_value_set_uint64(value, p->interval);
    break;
  case PROP_PERIODS:
    g_value_set_uint(value, p->periods);
    break;
  case PROP_FRAMES_PER_BUFFER:
    g_value_set_uint(value, p->frames_per_buffer);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK(self);
}

static GstStateChangeReturn change_state(GstElement *element, GstStateChange transition)
{
  GstStft *self = GST_STFT(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    gst_segment_init(&self->segment, GST_FORMAT_TIME);
    gst_stft_stream_reset(self);
    self->config_failed = FALSE;
  }
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_stft_stream_free(self);
  return ret;
}

static void finalize(GObject *object)
{
  GstStft *self = GST_STFT(object);
  gst_stft_stream_free(self);
  g_free(self->props.wisdom_file);
  g_array_free(self->scratch, TRUE);
  g_array_free(self->pending, TRUE);
  g_array_free(self->amp, TRUE);
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)

static void install_transform_properties(GObjectClass *oc)
{
  g_object_class_install_property(
      oc, PROP_N_FFT,
      g_param_spec_uint("n-fft", "FFT length",
                        "Frame length in samples: the FFT size (any size; FFTW is fastest for "
                        "products of small primes). Output has n-fft/2+1 bins per channel",
                        2, VG_STFT_MAX_NFFT, DEFAULT_N_FFT, PARAM_FLAGS));
  g_object_class_install_property(
      oc, PROP_HOP,
      g_param_spec_uint("hop", "Hop",
                        "Samples between the starts of successive frames; output framerate is "
                        "input rate / hop. A hop larger than n-fft skips the samples in between",
                        1, G_MAXINT32, DEFAULT_HOP, PARAM_FLAGS));
  g_object_class_install_property(
      oc, PROP_WINDOW,
      g_param_spec_enum("window", "Window",
                        "Analysis window, periodic as scipy.signal.get_window gives by default",
                        GST_TYPE_STFT_WINDOW, DEFAULT_WINDOW, PARAM_FLAGS));
  g_object_class_install_property(
      oc, PROP_CENTER,
      g_param_spec_boolean("center", "Center",
                           "false: frame k covers samples [k*hop, k*hop+n-fft) and is stamped "
                           "with its first sample's time. true: the signal is padded with n-fft/2 "
                           "zeros on both ends, frame k is centred on sample k*hop and stamped "
                           "with that sample's time",
                           DEFAULT_CENTER, PARAM_FLAGS));
  g_object_class_install_property(
      oc, PROP_OUTPUT,
      g_param_spec_enum("output", "Output", "What each frame holds per channel",
                        GST_TYPE_STFT_OUTPUT, DEFAULT_OUTPUT, PARAM_FLAGS));
  g_object_class_install_property(
      oc, PROP_DB_FLOOR,
      g_param_spec_double("db-floor", "dB floor",
                          "Lowest value of output=db and output=mel, in dB (10 log10 of the "
                          "unscaled power): silence reads this value instead of -infinity",
                          -1000.0, 1000.0, DEFAULT_DB_FLOOR, PARAM_FLAGS));
  g_object_class_install_property(
      oc, PROP_MIXDOWN,
      g_param_spec_boolean("mixdown", "Mix down",
                           "Transform the mean of all input channels (one output channel) "
                           "instead of each channel separately",
                           DEFAULT_MIXDOWN, PARAM_FLAGS));
}

static void install_mel_properties(GObjectClass *oc)
{
  g_object_class_install_property(
      oc, PROP_N_MELS,
      g_param_spec_uint("n-mels", "Mel bands",
                        "Number of mel bands with output=mel; every band must contain at least "
                        "one FFT bin",
                        1, 4096, DEFAULT_N_MELS, PARAM_FLAGS));
  g_object_class_install_property(
      oc, PROP_FMIN,
      g_param_spec_double("fmin", "Lowest frequency",
                          "Lower edge of the lowest mel band in Hz (output=mel)", 0.0, G_MAXDOUBLE,
                          DEFAULT_FMIN, PARAM_FLAGS));
  g_object_class_install_property(
      oc, PROP_FMAX,
      g_param_spec_double("fmax", "Highest frequency",
                          "Upper edge of the highest mel band in Hz, at most the Nyquist "
                          "frequency; 0 means the Nyquist frequency (output=mel)",
                          0.0, G_MAXDOUBLE, DEFAULT_FMAX, PARAM_FLAGS));
}

static void install_fftw_properties(GObjectClass *oc)
{
  g_object_class_install_property(
      oc, PROP_PLANNER,
      g_param_spec_enum("planner", "FFTW planner",
                        "How FFTW chooses its plan when the caps are set", GST_TYPE_STFT_PLANNER,
                        DEFAULT_PLANNER, PARAM_FLAGS));
  g_object_class_install_property(
      oc, PROP_WISDOM_FILE,
      g_param_spec_string("wisdom-file", "FFTW wisdom file",
                          "File of FFTW wisdom: read before planning (if it exists) and written "
                          "after, so that measured plans are reused by later runs. Unset: "
                          "$XDG_CACHE_HOME/vigil/fftw3f.wisdom, used when it can be (planner="
                          "measure only); empty: no wisdom file",
                          DEFAULT_WISDOM_FILE, PARAM_FLAGS));
}

static void install_output_properties(GObjectClass *oc)
{
  g_object_class_install_property(
      oc, PROP_POST_MESSAGES,
      g_param_spec_boolean("post-messages", "Post messages",
                           "Post a 'stft' element message every interval with the mean of the "
                           "output values over its frames",
                           DEFAULT_POST_MESSAGES, PARAM_FLAGS));
  g_object_class_install_property(
      oc, PROP_INTERVAL,
      g_param_spec_uint64("interval", "Interval",
                          "Interval of time between 'stft' and 'stft-periods' messages "
                          "(post-messages=true, periods > 0), in nanoseconds (rounded to a whole "
                          "number of hops, at least one)",
                          1, G_MAXUINT64, DEFAULT_INTERVAL, PARAM_FLAGS));
  g_object_class_install_property(
      oc, PROP_PERIODS,
      g_param_spec_uint("periods", "Dominant periods",
                        "Post a 'stft-periods' message every interval with this many dominant "
                        "periods (largest mean amplitudes of the interval, DC excluded); 0: off",
                        0, 64, DEFAULT_PERIODS, PARAM_FLAGS));
  g_object_class_install_property(
      oc, PROP_FRAMES_PER_BUFFER,
      g_param_spec_uint("frames-per-buffer", "Frames per buffer",
                        "Spectrum frames per output buffer (1 for NNStreamer elements); the last "
                        "buffer of a run may hold fewer",
                        1, 65536, DEFAULT_FRAMES_PER_BUFFER, PARAM_FLAGS));
}

static void gst_stft_class_init(GstStftClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  GstElementClass *ec = GST_ELEMENT_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_stft_debug, "stft", 0, "Vigil short-time Fourier transform");
  oc->set_property = set_property;
  oc->get_property = get_property;
  oc->finalize = finalize;
  install_transform_properties(oc);
  install_mel_properties(oc);
  install_fftw_properties(oc);
  install_output_properties(oc);

  ec->change_state = change_state;
  gst_element_class_add_static_pad_template(ec, &sink_template);
  gst_element_class_add_static_pad_template(ec, &src_template);
  gst_element_class_set_static_metadata(
      ec, "Short-time Fourier transform", "Filter/Analyzer/Audio",
      "Spectrum frames (magnitude, power, dB, log-mel or complex) of audio or tensor signals, one "
      "per hop, computed with FFTW3",
      "Vigil contributors");
  gst_type_mark_as_plugin_api(GST_TYPE_STFT_WINDOW, 0);
  gst_type_mark_as_plugin_api(GST_TYPE_STFT_OUTPUT, 0);
  gst_type_mark_as_plugin_api(GST_TYPE_STFT_PLANNER, 0);
}

static void gst_stft_init(GstStft *self)
{
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  /* caps that only lack a field (framerate) reach set_caps and its message naming it */
  GST_PAD_SET_ACCEPT_INTERSECT(self->sinkpad);
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_stft_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_stft_sink_event));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_query_function(self->srcpad, GST_DEBUG_FUNCPTR(gst_stft_src_query));
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);

  GstStftSettings *p = &self->props;
  p->n_fft = DEFAULT_N_FFT;
  p->hop = DEFAULT_HOP;
  p->window = DEFAULT_WINDOW;
  p->center = DEFAULT_CENTER;
  p->output = DEFAULT_OUTPUT;
  p->db_floor = DEFAULT_DB_FLOOR;
  p->n_mels = DEFAULT_N_MELS;
  p->fmin = DEFAULT_FMIN;
  p->fmax = DEFAULT_FMAX;
  p->mixdown = DEFAULT_MIXDOWN;
  p->planner = DEFAULT_PLANNER;
  p->wisdom_file = g_strdup(DEFAULT_WISDOM_FILE);
  p->post_messages = DEFAULT_POST_MESSAGES;
  p->interval = DEFAULT_INTERVAL;
  p->periods = DEFAULT_PERIODS;
  p->frames_per_buffer = DEFAULT_FRAMES_PER_BUFFER;
  self->latency = GST_CLOCK_TIME_NONE;
  self->scratch = g_array_new(FALSE, FALSE, sizeof(gfloat));
  self->pending = g_array_new(FALSE, FALSE, sizeof(gfloat));
  self->amp = g_array_new(FALSE, FALSE, sizeof(gfloat));
  gst_segment_init(&self->segment, GST_FORMAT_TIME);
}
