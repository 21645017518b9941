/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "stftstream.h"

#include "stftmessage.h"

GST_DEBUG_CATEGORY_EXTERN(gst_stft_debug);
#define GST_CAT_DEFAULT gst_stft_debug

static const gchar *output_name(VgStftOutput o)
{
  static const gchar *const names[] = {"magnitude", "power", "db", "mel", "complex"};
  return names[o];
}

/* Time of output frame i of the run: frame i starts (center=false) or is centred (center=true)
 * on input sample i * hop, so both cases read t0 + i * hop / rate. */
static GstClockTime frame_time(GstStft *self, guint64 i)
{
  return self->t0 + vigil_frame_format_duration(&self->fmt, i * self->cfg.hop);
}

void gst_stft_stream_free(GstStft *self)
{
  vg_stft_destroy(self->stft);
  vg_frame_mean_destroy(self->mean);
  vg_periods_destroy(self->periods);
  self->stft = NULL;
  self->mean = NULL;
  self->periods = NULL;
  self->have_format = FALSE;
  self->n_pending = 0;
  GST_OBJECT_LOCK(self);
  self->latency = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK(self);
}

void gst_stft_stream_reset(GstStft *self)
{
  if (self->stft)
    vg_stft_reset(self->stft);
  if (self->mean)
    vg_frame_mean_reset(self->mean);
  if (self->periods)
    vg_periods_reset(self->periods);
  self->n_pending = 0;
  self->started = FALSE;
  self->next_frame = 0;
  self->interval_start = 0;
  self->discont = TRUE;
}

/* ---- messages ---- */

static void post_interval(GstStft *self, guint64 end)
{
  VigilStftTiming t;
  t.timestamp = frame_time(self, self->interval_start);
  t.duration = frame_time(self, end) - t.timestamp;
  t.segment = &self->segment;
  if (self->cfg.post_messages && vg_frame_mean_count(self->mean) > 0) {
    gdouble *scratch = g_new(gdouble, self->frame_values);
    GstMessage *m = vigil_stft_message_new(GST_OBJECT(self), &t, output_name(self->cfg.output),
                                           self->mean, vg_stft_bands(self->stft),
                                           vg_stft_out_channels(self->stft), scratch);
    g_free(scratch);
    gst_element_post_message(GST_ELEMENT(self), m);
  }
  if (self->cfg.periods > 0 && vg_periods_count(self->periods) > 0) {
    VgPeriod *top = g_new(VgPeriod, self->cfg.periods);
    guint n = vg_periods_top(self->periods, self->cfg.periods, top);
    GstMessage *m = vigil_stft_periods_message_new(GST_OBJECT(self), &t, top, n,
                                                   vigil_frame_format_rate(&self->fmt));
    g_free(top);
    gst_element_post_message(GST_ELEMENT(self), m);
  }
  vg_frame_mean_reset(self->mean);
  vg_periods_reset(self->periods);
  self->interval_start = end;
}

/* Feeds frames [first, first + n) of the pending array to the interval statistics, posting a
 * message each time an interval is complete. Messages carry no lock: none is held here. */
static void account_frames(GstStft *self, guint first, guint n)
{
  if (!self->cfg.post_messages && self->cfg.periods == 0)
    return;
  const gfloat *frames = (const gfloat *)self->pending->data;
  const gfloat *amp = (const gfloat *)self->amp->data;
  const guint bins = vg_stft_bins(self->stft);
  for (guint i = first; i < first + n; i++) {
    if (self->cfg.post_messages)
      vg_frame_mean_add(self->mean, frames + (gsize)i * self->frame_values);
    if (self->cfg.periods > 0)
      vg_periods_add(self->periods, amp + (gsize)i * bins);
    guint64 index = self->next_frame + i + 1;
    if (index - self->interval_start >= self->frames_per_interval)
      post_interval(self, index);
  }
}

/* ---- output ---- */

/* Pushes pending frames [from, from + n) as one buffer. */
static GstFlowReturn push_frames(GstStft *self, guint from, guint n)
{
  gsize frame_bytes = self->frame_values * sizeof(gfloat);
  GstBuffer *out = gst_buffer_new_allocate(NULL, n * frame_bytes, NULL);
  if (!out) {
    GST_ELEMENT_ERROR(self, RESOURCE, NO_SPACE_LEFT, ("out of memory for an output buffer"),
                      (NULL));
    return GST_FLOW_ERROR;
  }
  gst_buffer_fill(out, 0, self->pending->data + from * frame_bytes, n * frame_bytes);
  GST_BUFFER_PTS(out) = frame_time(self, self->next_frame);
  GST_BUFFER_DURATION(out) = frame_time(self, self->next_frame + n) - GST_BUFFER_PTS(out);
  GST_BUFFER_OFFSET(out) = self->next_frame;
  GST_BUFFER_OFFSET_END(out) = self->next_frame + n;
  if (self->discont) {
    GST_BUFFER_FLAG_SET(out, GST_BUFFER_FLAG_DISCONT);
    self->discont = FALSE;
  }
  self->next_frame += n;
  return gst_pad_push(self->srcpad, out);
}

/* Moves the frames after the first `done` to the front of the pending arrays. Done once per call
 * of push_pending, not per pushed buffer: a large input buffer makes many frames. */
static void drop_pending(GstStft *self, guint done)
{
  gsize frame_bytes = self->frame_values * sizeof(gfloat);
  self->n_pending -= done;
  if (done == 0 || self->n_pending == 0) /* nothing to move (and the arrays may still be empty) */
    return;
  memmove(self->pending->data, self->pending->data + done * frame_bytes,
          self->n_pending * frame_bytes);
  if (self->cfg.periods > 0) {
    gsize amp_bytes = (gsize)vg_stft_bins(self->stft) * sizeof(gfloat);
    memmove(self->amp->data, self->amp->data + done * amp_bytes, self->n_pending * amp_bytes);
  }
}

/* Pushes whole buffers of frames-per-buffer frames; with drain, the remainder too. A buffer that
 * downstream refused (flushing, EOS) is gone all the same: it counts as done. */
static GstFlowReturn push_pending(GstStft *self, gboolean drain)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint fpb = self->cfg.frames_per_buffer, done = 0;
  while (ret == GST_FLOW_OK && self->n_pending - done >= fpb) {
    ret = push_frames(self, done, fpb);
    done += fpb;
  }
  if (ret == GST_FLOW_OK && drain && self->n_pending > done) {
    guint n = self->n_pending - done;
    ret = push_frames(self, done, n);
    done += n;
  }
  drop_pending(self, done);
  return ret;
}

/* Makes room for n more pending frames (grow-only: steady streaming does not allocate). */
static void reserve(GstStft *self, gsize n)
{
  gsize frames = self->n_pending + n;
  if (self->pending->len < frames * self->frame_values)
    g_array_set_size(self->pending, frames * self->frame_values);
  if (self->cfg.periods > 0 && self->amp->len < frames * vg_stft_bins(self->stft))
    g_array_set_size(self->amp, frames * vg_stft_bins(self->stft));
}

static gfloat *pending_at(GstStft *self, GArray *a, gsize per_frame)
{
  return (gfloat *)a->data + (gsize)self->n_pending * per_frame;
}

/* End of a run (EOS, DISCONT, caps or property change): the center padding's last frames, the
 * pending frames as a last (possibly short) buffer, and the last partial message interval. */
static GstFlowReturn finish_run(GstStft *self)
{
  if (!self->stft || !self->started)
    return GST_FLOW_OK;
  gsize n = vg_stft_flush_frames(self->stft);
  reserve(self, n);
  guint first = self->n_pending;
  gfloat *amp =
      self->cfg.periods > 0 ? pending_at(self, self->amp, vg_stft_bins(self->stft)) : NULL;
  n = vg_stft_flush(self->stft, pending_at(self, self->pending, self->frame_values), amp);
  self->n_pending += n;
  account_frames(self, first, n);
  guint64 end = self->next_frame + self->n_pending;
  GstFlowReturn ret = push_pending(self, TRUE);
  if (end > self->interval_start)
    post_interval(self, end);
  gst_stft_stream_reset(self);
  return ret;
}

/* ---- configuration ---- */

/* Bounds what caps and properties can make us allocate: the history holds n-fft values per signal
 * and an output frame up to n-fft + 2 values per signal. */
static gboolean check_size(GstStft *self, const GstStftSettings *s)
{
  guint64 signals = s->mixdown ? 1 : self->fmt.frame_values;
  guint64 per_signal = MAX((guint64)s->n_fft + 2, s->n_mels);
  if (per_signal * signals <= VIGIL_FRAME_VALUES_MAX)
    return TRUE;
  GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
                    ("n-fft=%u with %" G_GUINT64_FORMAT " signals per input frame needs more than "
                     "%u values per frame; lower n-fft or set mixdown=true",
                     s->n_fft, signals, VIGIL_FRAME_VALUES_MAX),
                    (NULL));
  return FALSE;
}

static gboolean build_kernel(GstStft *self, const GstStftSettings *s, gchar *wisdom)
{
  VgStftConfig c;
  VgError err = {{0}};
  vg_stft_config_init(&c);
  c.n_fft = s->n_fft;
  c.hop = s->hop;
  c.channels = self->fmt.frame_values;
  c.window = s->window;
  c.center = s->center;
  c.mixdown = s->mixdown;
  c.output = s->output;
  c.db_floor = s->db_floor;
  c.n_mels = s->n_mels;
  c.fmin = s->fmin;
  c.fmax = s->fmax;
  c.rate = vigil_frame_format_rate(&self->fmt);
  c.estimate = s->planner == GST_STFT_PLANNER_ESTIMATE;
  c.wisdom_file = wisdom;
  c.wisdom_optional = s->wisdom_file == NULL; /* the default cache, see wisdom_path() */
  gst_stft_stream_free(self);
  self->stft = vg_stft_create(&c, &err);
  if (self->stft) {
    self->frame_values = vg_stft_frame_values(self->stft);
    self->mean = vg_frame_mean_create(self->frame_values, &err);
    self->periods = self->mean ? vg_periods_create(s->n_fft, &err) : NULL;
  }
  if (!self->periods) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("%s", err.msg),
                      ("stft cannot run with these properties on this input"));
    gst_stft_stream_free(self);
    return FALSE;
  }
  return TRUE;
}

/* Output caps: bands, then the input frame's own dimensions (F:C or C), or bands alone with
 * mixdown; framerate = input rate / hop. */
static GstCaps *output_caps(GstStft *self)
{
  guint dims[3] = {vg_stft_bands(self->stft), self->fmt.inner, self->fmt.channels};
  guint rank = self->cfg.mixdown ? 1 : 3;
  if (rank == 3 && self->fmt.inner == 1) { /* audio or "C" tensors: bins:C */
    dims[1] = dims[2];
    rank = 2;
  }
  gint n, d;
  gst_util_fraction_multiply(self->fmt.rate_n, self->fmt.rate_d, 1, (gint)self->cfg.hop, &n, &d);
  vigil_tensors_info_init(&self->out_info, n, d);
  vigil_tensors_info_append(&self->out_info, rank, dims);
  return vigil_tensors_info_to_caps(&self->out_info);
}

/* The wisdom file to use: the wisdom-file property when set ("" for none), otherwise, for measured
 * plans, a cache in the user's cache directory (as GStreamer keeps its registry there), so that
 * only the first run on a machine pays FFTW_MEASURE's planning time. */
static gchar *wisdom_path(const GstStftSettings *s)
{
  if (s->wisdom_file)
    return g_strdup(s->wisdom_file);
  if (s->planner == GST_STFT_PLANNER_ESTIMATE)
    return NULL;
  gchar *dir = g_build_filename(g_get_user_cache_dir(), "vigil", NULL);
  gchar *path = NULL;
  if (g_mkdir_with_parents(dir, 0755) == 0)
    path = g_build_filename(dir, "fftw3f.wisdom", NULL);
  g_free(dir);
  return path;
}

/* Builds the kernel for the current format and properties, and announces the output caps. */
static gboolean configure(GstStft *self)
{
  GST_OBJECT_LOCK(self);
  GstStftSettings s = self->props;
  GstClockTime before = self->latency; /* building the kernel clears it */
  gchar *wisdom = wisdom_path(&s);
  gboolean default_wisdom = s.wisdom_file == NULL;
  self->reconfigure = FALSE;
  GST_OBJECT_UNLOCK(self);
  s.wisdom_file = default_wisdom ? NULL : "";

  gboolean ok = FALSE;
  if (self->fmt.rate_n <= 0) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                      ("stft needs a constant input rate; the input tensors have framerate 0/1"),
                      ("set the framerate of the input tensors"));
  } else if (check_size(self, &s) && build_kernel(self, &s, wisdom)) {
    self->cfg = s;
    self->have_format = TRUE;
    /* a buffer of frames-per-buffer frames goes out when its last frame is complete */
    guint64 samples =
        s.n_fft - 1 - (s.center ? s.n_fft / 2 : 0) + (guint64)(s.frames_per_buffer - 1) * s.hop;
    GstClockTime latency = vigil_frame_format_duration(&self->fmt, samples);
    GST_OBJECT_LOCK(self);
    gboolean changed = latency != before;
    self->latency = latency;
    GST_OBJECT_UNLOCK(self);
    if (changed) /* a live pipeline recomputes its latency (a change while playing, too) */
      gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
    gdouble frames = (gdouble)s.interval * vigil_frame_format_rate(&self->fmt) / s.hop / GST_SECOND;
    /* A long interval (hours, days, G_MAXUINT64 for "only at the end of a run") is more frames
     * than a guint holds: converting it wrapped modulo 2^32 and posted messages every few frames.
     */
    self->frames_per_interval = frames < 1.0                     ? 1
                                : frames >= (gdouble)G_MAXUINT64 ? G_MAXUINT64
                                                                 : (guint64)(frames + 0.5);
    gst_stft_stream_reset(self);
    GstCaps *caps = output_caps(self);
    GST_DEBUG_OBJECT(self, "output caps %" GST_PTR_FORMAT, caps);
    ok = gst_pad_push_event(self->srcpad, gst_event_new_caps(caps));
    gst_caps_unref(caps);
  }
  g_free(wisdom);
  self->config_failed = !self->have_format;
  return ok;
}

static gboolean set_caps(GstElement *element, GstCaps *caps)
{
  GstStft *self = GST_STFT(element);
  GError *error = NULL;
  VigilFrameFormat fmt;
  if (!vigil_frame_format_from_caps(caps, &fmt, &error)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("%s", error->message),
                      ("caps: %" GST_PTR_FORMAT, caps));
    g_error_free(error);
    gst_stft_stream_free(self);
    self->config_failed = TRUE;
    return FALSE;
  }
  if (finish_run(self) != GST_FLOW_OK)
    GST_DEBUG_OBJECT(self, "downstream refused the last frames before a caps change");
  self->fmt = fmt;
  return configure(self);
}

/* ---- data ---- */

/* Output frames per call of vg_stft_push at most: a large input buffer at a small hop would
 * otherwise make all of its frames before the first went out (1 s at 48 kHz, hop 1, n-fft 1024:
 * 48000 frames of 513 bins, 98 MB held at once). The pending arrays then hold at most this many
 * frames beyond frames-per-buffer. */
#define FRAMES_PER_SLICE 256

/* The STFT of input frames [off, off + len) of a mapped buffer into the pending frames. */
static void transform_slice(GstStft *self, const VigilFrames *in, gsize off, gsize len)
{
  gsize n = vg_stft_frames_for(self->stft, len);
  reserve(self, n);
  guint first = self->n_pending;
  gfloat *amp =
      self->cfg.periods > 0 ? pending_at(self, self->amp, vg_stft_bins(self->stft)) : NULL;
  n = vg_stft_push(self->stft, in->data + off * self->fmt.frame_values, len,
                   pending_at(self, self->pending, self->frame_values), amp);
  self->n_pending += n;
  account_frames(self, first, n);
}

static GstFlowReturn process(GstStft *self, GstBuffer *buf)
{
  GError *error = NULL;
  VigilFrames in;
  if (!vigil_frames_map(buf, &self->fmt, self->scratch, &in, &error)) {
    GST_ELEMENT_ERROR(self, STREAM, DECODE, ("%s", error->message), (NULL));
    g_error_free(error);
    return GST_FLOW_ERROR;
  }
  GstFlowReturn ret = GST_FLOW_OK;
  gsize slice = (gsize)self->cfg.hop * FRAMES_PER_SLICE;
  for (gsize off = 0; off < in.n_frames && ret == GST_FLOW_OK; off += slice) {
    transform_slice(self, &in, off, MIN(slice, in.n_frames - off));
    ret = push_pending(self, FALSE);
  }
  vigil_frames_unmap(&in);
  return ret;
}

GstFlowReturn gst_stft_chain(GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  GstStft *self = GST_STFT(parent);
  GstFlowReturn ret = GST_FLOW_OK;

  if (!self->have_format) {
    gst_buffer_unref(buf);
    if (!self->config_failed) /* else the cause is already on the bus */
      GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("stft received data before its input format"),
                        (NULL));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  GST_OBJECT_LOCK(self);
  gboolean reconfigure = self->reconfigure;
  self->cfg.post_messages = self->props.post_messages;
  GST_OBJECT_UNLOCK(self);
  /* A DISCONT buffer does not follow its predecessor: frames spanning the gap would be wrong. */
  if (reconfigure || (GST_BUFFER_IS_DISCONT(buf) && self->started))
    ret = finish_run(self);
  if (ret == GST_FLOW_OK && reconfigure && !configure(self)) {
    if (self->have_format && GST_PAD_IS_FLUSHING(self->srcpad)) {
      /* The new caps could not be sent because our src pad is flushing (a flush, or our own
       * PAUSED to READY change, which deactivates it before the sink pad): not a refusal. They
       * are sent again with the next buffer. */
      GST_OBJECT_LOCK(self);
      self->reconfigure = TRUE;
      GST_OBJECT_UNLOCK(self);
      ret = GST_FLOW_FLUSHING;
    } else {
      ret = GST_FLOW_NOT_NEGOTIATED;
    }
  }
  if (ret == GST_FLOW_OK && !self->started) {
    self->started = TRUE;
    self->t0 = GST_BUFFER_PTS_IS_VALID(buf) ? GST_BUFFER_PTS(buf) : self->segment.start;
    GST_DEBUG_OBJECT(self, "run starts at %" GST_TIME_FORMAT, GST_TIME_ARGS(self->t0));
  }
  if (ret == GST_FLOW_OK)
    ret = process(self, buf);
  gst_buffer_unref(buf);
  return ret;
}

gboolean gst_stft_sink_event(GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstStft *self = GST_STFT(parent);
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_CAPS:
    return vigil_caps_event(pad, event, set_caps, GST_ELEMENT(self));
  case GST_EVENT_SEGMENT:
    gst_event_copy_segment(event, &self->segment);
    break;
  case GST_EVENT_EOS:
    finish_run(self);
    break;
  case GST_EVENT_FLUSH_STOP:
    gst_stft_stream_reset(self);
    gst_segment_init(&self->segment, GST_FORMAT_TIME);
    break;
  default:
    break;
  }
  return gst_pad_event_default(pad, parent, event);
}

/* Latency: frame k is complete when its last sample arrives, (n_fft - 1) samples after its first
 * (n_fft - 1 - n_fft/2 after its centre with center=true), and its PTS is that first (centre)
 * sample's time; a buffer of n frames waits (n - 1) hops more for its last frame. */
gboolean gst_stft_src_query(GstPad *pad, GstObject *parent, GstQuery *query)
{
  GstStft *self = GST_STFT(parent);
  GST_OBJECT_LOCK(self); /* the query may come from any thread */
  GstClockTime ours = self->latency;
  GST_OBJECT_UNLOCK(self);
  return vigil_latency_query(pad, parent, query, self->sinkpad, ours);
}
