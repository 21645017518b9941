/* streamcnn: the model, the plan for the negotiated caps, and the data flow.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <string.h>

#include "gststreamcnn-priv.h"
#include "vg_metadata.h"
#include "vg_ops.h"

#define GST_CAT_DEFAULT gst_stream_cnn_debug

static gboolean plan_stream(GstStreamCnn *self, gint window, gint hop, VgStreamMode mode);

gboolean gst_stream_cnn_load(GstStreamCnn *self)
{
  VgError err = {{0}};
  GST_OBJECT_LOCK(self);
  gchar *path = g_strdup(self->model_path);
  gint threads = self->threads;
  self->run = self->props;
  GST_OBJECT_UNLOCK(self);
  gst_stream_cnn_unload(self);
  if (!path || !*path) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND,
                      ("No model: set the 'model' property to an "
                       "ONNX file."),
                      (NULL));
    g_free(path);
    return FALSE;
  }
  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("Model file '%s' does not exist.", path), (NULL));
    g_free(path);
    return FALSE;
  }
  vg_ops_set_threads(threads);
  /* a model exported with a dynamic time axis takes the window (none set: the loader refuses it) */
  self->model = vg_model_load_file_at(path, self->run.window, &err);
  if (self->model && vg_ops_prepare(self->model, &err) != VG_OK)
    gst_stream_cnn_unload(self);
  if (!self->model) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("Could not use model '%s': %s", path, err.msg),
                      (NULL));
    g_free(path);
    return FALSE;
  }
  GST_INFO_OBJECT(self, "loaded '%s'; 1-D conv kernels: %s", path, vg_ops_conv_kernels_name());
  g_free(path);
  /* window and hop do not depend on the caps: refuse impossible ones now, before data flows */
  if (!plan_stream(self, self->run.window, self->run.hop, self->run.mode)) {
    gst_stream_cnn_unload(self);
    return FALSE;
  }
  return TRUE;
}

void gst_stream_cnn_unload(GstStreamCnn *self)
{
  vg_stream_destroy(self->stream);
  self->stream = NULL;
  vg_model_free(self->model);
  self->model = NULL;
  g_free(self->per_channel);
  self->per_channel = NULL;
  self->caps_refused = FALSE;
  self->channel_error_posted = FALSE;
  self->pool_warning_posted = FALSE;
  self->duration_warning_posted = FALSE;
  self->have_segment = FALSE;
  gst_segment_init(&self->segment, GST_FORMAT_TIME);
}

/* Input channels C and bins F (1 for 1-D models) the model takes. */
static void model_input_dims(const VgModel *m, guint *channels, guint *bins, gint64 *length)
{
  const VgShape *s = &m->values[m->input].shape;
  *channels = (guint)s->dims[1];
  *bins = s->rank == 4 ? (guint)s->dims[2] : 1;
  *length = s->dims[s->rank - 1];
}

/* Matches the stream's frames to the model's [C, F] input, or says why not. Trailing 1s carry no
 * meaning in tensor dimensions (docs/tensors.md), so a mono spectrogram frame "F:1" arrives as rank
 * 1, F values: for a 2-D model taking one channel of F bins that is exactly its frame, same layout.
 */
static gboolean match_frame_shape(GstStreamCnn *self, guint channels, guint bins)
{
  if (self->fmt.format == VIGIL_SAMPLES_TENSOR && self->fmt.inner == 1 && channels == 1 &&
      bins > 1 && self->fmt.channels == bins) {
    self->fmt.channels = 1;
    self->fmt.inner = bins;
  }
  if (self->fmt.channels != channels && bins == 1) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                      ("Channel mismatch: the model takes %u channels, the stream has %u.",
                       channels, self->fmt.channels),
                      ("insert audioconvert or choose the tensor columns to match"));
    return FALSE;
  }
  if (self->fmt.channels != channels || self->fmt.inner != bins) {
    /* a 2-D model: name both axes, whichever differs (tensor dimensions are bins:channels) */
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                      ("Frame mismatch: the model takes frames of %u channels x %u values "
                       "(tensor dimensions=%u:%u), the stream has %u x %u.",
                       channels, bins, bins, channels, self->fmt.channels, self->fmt.inner),
                      (NULL));
    return FALSE;
  }
  return TRUE;
}

/* The src tensors: each of the model's outputs without the batch axis (innermost first), one
 * tensor per output, or for reconstruction-error two tensors: the sum over channels [1], then the C
 * per-channel errors. */
static gboolean output_info(GstStreamCnn *self, GstStreamCnnOutput output, gint rate_n, gint rate_d)
{
  int n_outputs = vg_model_n_outputs(self->model);
  vigil_tensors_info_init(&self->out_info, rate_n, rate_d);
  if (output == GST_STREAM_CNN_OUTPUT_RECONSTRUCTION_ERROR) {
    gint64 in_values = self->plan_window * (gint64)self->fmt.frame_values;
    if (n_outputs != 1 || !vg_stream_plan(self->stream)->output_is_time ||
        vg_stream_output_values(self->stream) != in_values) {
      GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
                        ("output=reconstruction-error needs an autoencoder whose output has the "
                         "input's shape (%" G_GINT64_FORMAT " values per window); this model "
                         "gives %" G_GINT64_FORMAT ".",
                         in_values, vg_stream_output_values(self->stream)),
                        ("use output=model"));
      return FALSE;
    }
    guint one = 1, c = self->fmt.channels;
    vigil_tensors_info_append(&self->out_info, 1, &one);
    vigil_tensors_info_append(&self->out_info, 1, &c);
    self->per_channel = g_new0(gfloat, c);
    return TRUE;
  }
  for (int k = 0; k < n_outputs; k++) {
    const VgShape *s = vg_stream_output_shape_at(self->stream, k);
    guint dims[VIGIL_TENSOR_RANK_MAX], rank = 0;
    for (int i = s->rank - 1; i >= 1 && rank < VIGIL_TENSOR_RANK_MAX; i--)
      dims[rank++] = (guint)s->dims[i];
    if (s->rank == 1)
      dims[rank++] = (guint)s->dims[0];
    vigil_tensors_info_append(&self->out_info, rank, dims); /* k < VG_MAX_OUTPUTS = 16 */
  }
  return TRUE;
}

static gboolean plan_stream(GstStreamCnn *self, gint window, gint hop, VgStreamMode mode)
{
  VgError err = {{0}};
  guint channels, bins;
  gint64 length;
  model_input_dims(self->model, &channels, &bins, &length);
  self->plan_window = window > 0 ? window : length;
  self->plan_hop = hop > 0 ? hop : MAX(1, self->plan_window / 4);
  vg_stream_destroy(self->stream);
  g_free(self->per_channel);
  self->per_channel = NULL;
  self->stream = vg_stream_create(self->model, self->plan_window, self->plan_hop, mode, &err);
  if (!self->stream) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
                      ("Cannot stream the model with window %" G_GINT64_FORMAT
                       " and hop %" G_GINT64_FORMAT ": %s",
                       self->plan_window, self->plan_hop, err.msg),
                      (NULL));
    return FALSE;
  }
  const VgPlan *plan = vg_stream_plan(self->stream);
  if (plan->fallback[0] && mode != VG_STREAM_FULL)
    GST_INFO_OBJECT(self, "every mode falls back to recomputing each window (full cost): %s",
                    plan->fallback);
  char warning[512];
  if (!self->pool_warning_posted &&
      vg_model_pool_warning(self->model, self->plan_window, warning, sizeof warning)) {
    self->pool_warning_posted = TRUE;
    GST_ELEMENT_WARNING(self, STREAM, FORMAT, ("%s.", warning), (NULL));
  }
  return TRUE;
}

gboolean gst_stream_cnn_setup(GstElement *element, GstCaps *caps)
{
  GstStreamCnn *self = GST_STREAM_CNN(element);
  GError *error = NULL;
  if (!self->model)
    return FALSE;
  if (!vigil_frame_format_from_caps(caps, &self->fmt, &error)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("%s", error->message), (NULL));
    g_error_free(error);
    return FALSE;
  }
  guint channels, bins;
  gint64 length;
  model_input_dims(self->model, &channels, &bins, &length);
  gint window = self->run.window, hop = self->run.hop;
  VgStreamMode mode = self->run.mode;
  GstStreamCnnOutput output = self->run.output;
  if (!match_frame_shape(self, channels, bins) || !plan_stream(self, window, hop, mode))
    return FALSE;
  gint rate_n = 0, rate_d = 1;
  if (self->fmt.rate_n > 0)
    gst_util_fraction_multiply(self->fmt.rate_n, self->fmt.rate_d, 1, (gint)self->plan_hop, &rate_n,
                               &rate_d);
  if (!output_info(self, output, rate_n, rate_d))
    return FALSE;
  gst_stream_cnn_restart(self);
  GstCaps *out = vigil_tensors_info_to_caps(&self->out_info);
  GST_INFO_OBJECT(self,
                  "window %" G_GINT64_FORMAT " hop %" G_GINT64_FORMAT ", output %" GST_PTR_FORMAT,
                  self->plan_window, self->plan_hop, out);
  gboolean ok = gst_pad_push_event(self->srcpad, gst_event_new_caps(out));
  gst_caps_unref(out);
  /* caps that change mid-stream can change the hop's duration, which the segment's stop covers */
  if (ok && self->have_segment)
    ok = gst_stream_cnn_push_segment(self, gst_util_seqnum_next());
  return ok;
}

/* An output is stamped with its window's end and spans the next hop, so the window that ends at
 * upstream's segment stop gives an output at the stop: a sink clipping to upstream's segment drops
 * it (its start is not before the stop). Downstream gets upstream's segment with the stop one hop
 * later (open with a variable-rate input, whose hop has no fixed duration): every output lies whole
 * inside it; the outputs' times and the running times are unchanged. */
gboolean gst_stream_cnn_push_segment(GstStreamCnn *self, guint32 seqnum)
{
  GstSegment seg = self->segment;
  if (seg.format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID(seg.stop)) {
    GstClockTime hop = self->stream && self->fmt.rate_n > 0
                           ? vigil_frame_format_duration(&self->fmt, (guint64)self->plan_hop)
                           : GST_CLOCK_TIME_NONE;
    seg.stop = GST_CLOCK_TIME_IS_VALID(hop) && seg.stop < G_MAXUINT64 - 1 - hop
                   ? seg.stop + hop
                   : GST_CLOCK_TIME_NONE;
  }
  GstEvent *event = gst_event_new_segment(&seg);
  gst_event_set_seqnum(event, seqnum);
  return gst_pad_push_event(self->srcpad, event);
}

void gst_stream_cnn_restart(GstStreamCnn *self)
{
  if (self->stream)
    vg_stream_reset(self->stream);
  self->frames = 0;
  self->base_ts = GST_CLOCK_TIME_NONE;
  self->bound_k = G_MAXUINT64;
  self->discont = TRUE;
}

/* Time of frame i (counted since the last reset). */
static GstClockTime frame_time(GstStreamCnn *self, guint64 i)
{
  if (self->fmt.rate_n > 0 && GST_CLOCK_TIME_IS_VALID(self->base_ts))
    return self->base_ts + vigil_frame_format_duration(&self->fmt, i);
  if (!GST_CLOCK_TIME_IS_VALID(self->buf_pts))
    return GST_CLOCK_TIME_NONE;
  guint64 d = GST_CLOCK_TIME_IS_VALID(self->buf_dur) ? self->buf_dur : 0;
  return self->buf_pts + (i - self->buf_first) * d;
}

/* Windows completed once `frames` frames have arrived since the last reset: window k ends at
 * frame k * hop + window. */
static guint64 windows_done(const GstStreamCnn *self, guint64 frames)
{
  guint64 w = (guint64)self->plan_window, h = (guint64)self->plan_hop;
  return frames < w ? 0 : (frames - w) / h + 1;
}

/* Frame where window k's last hop starts (the end of window k - 1). */
static guint64 hop_start(const GstStreamCnn *self, guint64 k)
{
  return k * (guint64)self->plan_hop + (guint64)self->plan_window - (guint64)self->plan_hop;
}

/* Time of the end of window k (the time just after its last frame, where window k + 1's last hop
 * starts). */
static GstClockTime window_end(GstStreamCnn *self, guint64 k)
{
  return frame_time(self, hop_start(self, k + 1));
}

/* Variable rate: the time of the frame where window k's last hop starts. The current buffer's PTS
 * and spacing give it when that frame is in this buffer; an earlier buffer, whose spacing may
 * differ, held it otherwise, and remember_bound kept it (1.1 s hops were stamped 2.0 s long when
 * the spacing changed from 1 s to 0.1 s). */
static GstClockTime hop_start_time(GstStreamCnn *self, guint64 k)
{
  guint64 f = hop_start(self, k);
  if (self->fmt.rate_n == 0 && f < self->buf_first && self->bound_k == k)
    return self->bound_time;
  return frame_time(self, f);
}

/* After a buffer of n frames: the latest hop boundary it held, for windows completed later. */
static void remember_bound(GstStreamCnn *self, guint64 n)
{
  guint64 w = (guint64)self->plan_window, h = (guint64)self->plan_hop, end = self->buf_first + n;
  if (self->fmt.rate_n != 0 || end + h <= w)
    return;                          /* fixed rate: frame times are exact; or no boundary yet */
  guint64 k = (end + h - w - 1) / h; /* largest k with hop_start(k) < end */
  if (hop_start(self, k) >= self->buf_first) {
    self->bound_k = k;
    self->bound_time = frame_time(self, hop_start(self, k));
  }
}

/* Starts an output buffer for the next min(frames-per-buffer, due) windows, mapped for writing. */
static gboolean begin_output(GstStreamCnn *self, guint64 first)
{
  GError *error = NULL;
  guint n = (guint)MIN((guint64)self->run.frames_per_buffer, self->out_due);
  self->out_buf = vigil_tensors_buffer_new(&self->out_info, n);
  if (!self->out_buf) {
    GST_ELEMENT_ERROR(self, RESOURCE, FAILED,
                      ("Could not allocate an output buffer of %u frames.", n), (NULL));
    return FALSE;
  }
  if (!vigil_tensors_map(self->out_buf, &self->out_info, GST_MAP_WRITE, &self->out_map, &error)) {
    GST_ELEMENT_ERROR(self, CORE, FAILED, ("%s", error->message), (NULL));
    g_error_free(error);
    gst_clear_buffer(&self->out_buf);
    return FALSE;
  }
  self->out_frames = n;
  self->out_filled = 0;
  self->out_first = first;
  return TRUE;
}

/* Frame i of the output buffer is window out_first + i. */
static void write_frame(GstStreamCnn *self, guint i, const float *out, const float *in)
{
  VigilTensorsMap *map = &self->out_map;
  if (self->run.output == GST_STREAM_CNN_OUTPUT_RECONSTRUCTION_ERROR) {
    int squared = self->run.metric == GST_STREAM_CNN_METRIC_MSE;
    gsize c = self->fmt.channels;
    map->data[0][i] = (gfloat)vg_recon_error(in, out, self->fmt.channels, self->fmt.inner,
                                             self->plan_window, squared, map->data[1] + i * c);
    return;
  }
  for (guint k = 0; k < self->out_info.num_tensors; k++) { /* the outputs, one after the other */
    gsize v = vigil_tensor_shape_values(&self->out_info.shapes[k]);
    memcpy(map->data[k] + i * v, out, v * sizeof(gfloat));
    out += v;
  }
}

/* Stamps the full output buffer and pushes it (docs/tensors.md: PTS is its first frame's time,
 * duration n frame periods). Frame i is window k = out_first + i, at the end of that window; the
 * buffer spans n hops, from the start of its first window's last hop to its last window's end. */
static GstFlowReturn push_output(GstStreamCnn *self)
{
  GstBuffer *buf = self->out_buf;
  guint64 k0 = self->out_first, n = self->out_frames;
  vigil_tensors_unmap(&self->out_map);
  self->out_buf = NULL;
  GstClockTime t_first = window_end(self, k0);
  GstClockTime t_last = window_end(self, k0 + n - 1);
  GstClockTime t_start = hop_start_time(self, k0);
  GST_BUFFER_PTS(buf) = t_first;
  GST_BUFFER_DURATION(buf) = GST_CLOCK_TIME_IS_VALID(t_last) && GST_CLOCK_TIME_IS_VALID(t_start)
                                 ? t_last - t_start
                                 : GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET(buf) = k0;
  GST_BUFFER_OFFSET_END(buf) = k0 + n;
  if (self->discont) {
    GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
    self->discont = FALSE;
  }
  return gst_pad_push(self->srcpad, buf);
}

/* The time spent computing since mark_ns, for mean-hop-time (pushes downstream are not counted). */
static void count_compute(GstStreamCnn *self, guint64 windows)
{
  gint64 now = g_get_monotonic_time();
  GST_OBJECT_LOCK(self);
  self->windows_computed += windows;
  self->compute_ns += (guint64)(now - self->mark_ns) * 1000;
  GST_OBJECT_UNLOCK(self);
}

/* One window is complete: its output becomes the next frame of the output buffer, which goes
 * downstream once full. */
static int on_window(void *user, int64_t k, const float *out, const float *in)
{
  GstStreamCnn *self = user;
  if (!self->out_buf && (self->out_due == 0 || !begin_output(self, (guint64)k))) {
    if (self->out_due == 0) /* the engine completed a window the frame count did not foresee */
      GST_ELEMENT_ERROR(self, CORE, FAILED,
                        ("Internal error: unexpected window %" G_GINT64_FORMAT, (gint64)k), (NULL));
    self->flow = GST_FLOW_ERROR;
    return VG_ERR;
  }
  write_frame(self, self->out_filled++, out, in);
  self->out_due--;
  if (self->out_filled < self->out_frames)
    return VG_OK;
  count_compute(self, self->out_frames);
  self->flow = push_output(self);
  self->mark_ns = g_get_monotonic_time();
  return self->flow == GST_FLOW_OK ? VG_OK : VG_ERR;
}

/* A DISCONT buffer, or a timestamp more than half a frame away from where the stream is, starts
 * the stream again: the window refills from this buffer. */
static void check_continuity(GstStreamCnn *self, GstBuffer *buf)
{
  GstClockTime pts = GST_BUFFER_PTS(buf);
  gboolean restart = GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT) && self->frames > 0;
  if (!restart && self->fmt.rate_n > 0 && GST_CLOCK_TIME_IS_VALID(pts) &&
      GST_CLOCK_TIME_IS_VALID(self->base_ts)) {
    GstClockTime expected = frame_time(self, self->frames);
    GstClockTime tol = vigil_frame_format_duration(&self->fmt, 1) / 2;
    restart = pts + tol < expected || pts > expected + tol;
  }
  if (restart) {
    GST_DEBUG_OBJECT(self, "discontinuity at %" GST_TIME_FORMAT ": refilling the window",
                     GST_TIME_ARGS(pts));
    gst_stream_cnn_restart(self);
  }
  if (!GST_CLOCK_TIME_IS_VALID(self->base_ts) && self->frames == 0)
    self->base_ts = GST_CLOCK_TIME_IS_VALID(pts) ? pts : 0;
}

/* The frames as the network takes them: standardised into a grow-only scratch when the model file
 * carries its input standardisation (vg_metadata.h), so the window the reconstruction error reads
 * is in the units the model was trained in. */
static const float *standardised(GstStreamCnn *self, const VigilFrames *frames)
{
  if (self->model->n_standardised == 0)
    return frames->data;
  gsize n = (gsize)frames->n_frames * self->fmt.frame_values;
  if (self->std_scratch->len < n)
    g_array_set_size(self->std_scratch, n);
  float *out = (float *)self->std_scratch->data;
  vg_model_standardise(self->model, frames->data, out, frames->n_frames, self->fmt.inner);
  return out;
}

GstFlowReturn gst_stream_cnn_chain(GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  GstStreamCnn *self = GST_STREAM_CNN(parent);
  VigilFrames frames;
  GError *error = NULL;
  VgError err = {{0}};
  if (!self->stream) { /* the model or its caps were refused, and said why */
    gst_buffer_unref(buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!gst_pad_has_current_caps(pad)) { /* the model is planned, but the frame format unknown */
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("streamcnn received data before caps."), (NULL));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  check_continuity(self, buf);
  if (!vigil_frames_map(buf, &self->fmt, self->s16_scratch, &frames, &error)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("%s", error->message), (NULL));
    g_error_free(error);
    gst_buffer_unref(buf);
    return GST_FLOW_ERROR;
  }
  self->buf_pts = GST_BUFFER_PTS(buf);
  self->buf_dur = GST_BUFFER_DURATION_IS_VALID(buf) && frames.n_frames > 0
                      ? GST_BUFFER_DURATION(buf) / frames.n_frames
                      : GST_CLOCK_TIME_NONE;
  self->buf_first = self->frames;
  self->flow = GST_FLOW_OK;
  self->mark_ns = g_get_monotonic_time();
  self->out_due =
      windows_done(self, self->frames + frames.n_frames) - windows_done(self, self->frames);
  /* Only a window that ends in such a buffer is stamped differently: csvparse's first row (no
   * duration, the next row's time being unknown yet) ends no window and warrants no warning. */
  if (self->fmt.rate_n == 0 && self->out_due > 0 && !GST_BUFFER_DURATION_IS_VALID(buf) &&
      !self->duration_warning_posted) {
    self->duration_warning_posted = TRUE;
    GST_ELEMENT_WARNING(self, STREAM, FORMAT,
                        ("Variable-rate input buffers without a duration: their frames' times "
                         "are unknown, so outputs of windows that end in them are stamped at the "
                         "window's last frame with no duration."),
                        ("set buffer durations upstream (docs/tensors.md)"));
  }
  const float *data = standardised(self, &frames);
  int rc = vg_stream_push(self->stream, data, frames.n_frames, on_window, self, &err);
  remember_bound(self, frames.n_frames);
  self->frames += frames.n_frames;
  vigil_frames_unmap(&frames);
  gst_buffer_unref(buf);
  if (self->out_buf) { /* inference failed, or the engine completed fewer windows than foreseen */
    vigil_tensors_unmap(&self->out_map);
    gst_clear_buffer(&self->out_buf);
    if (rc == VG_OK) {
      GST_ELEMENT_ERROR(
          self, CORE, FAILED,
          ("Internal error: %u windows missing from a buffer", self->out_frames - self->out_filled),
          (NULL));
      return GST_FLOW_ERROR;
    }
  }
  if (rc != VG_OK && self->flow == GST_FLOW_OK) {
    GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("Inference failed: %s", err.msg), (NULL));
    return GST_FLOW_ERROR;
  }
  return self->flow;
}
