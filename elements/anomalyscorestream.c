/* Vigil: anomalyscore's streaming side: caps, events, buffers and the messages they cause.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "anomalyscoreprivate.h"

#include <math.h>
#include <string.h>

#define GST_CAT_DEFAULT gst_anomalyscore_debug

void gst_anomalyscore_clear_stream(GstAnomalyscore *self)
{
  vg_anomaly_destroy(self->scorer);
  self->scorer = NULL;
  self->channels = 0;
  self->pending_discont = FALSE;
  self->next_time = GST_CLOCK_TIME_NONE;
  self->last_score = NAN;
  vigil_anomaly_summary_clear(&self->summary);
  self->summary_warned = FALSE;
  self->undated_frames = 0;
}

/* Output caps: the score, then (pass-input) the input tensors. */
static gboolean push_out_caps(GstAnomalyscore *self, gboolean pass_input)
{
  guint one = 1;
  VigilTensorsInfo *out = &self->out_info;
  vigil_tensors_info_init(out, self->in_info.rate_n, self->in_info.rate_d);
  vigil_tensors_info_append(out, 1, &one);
  if (pass_input) {
    if (self->in_info.num_tensors + 1 > VIGIL_TENSORS_MAX) {
      GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Cannot pass the input through"),
                        ("the input has %u tensors per frame; with the score that exceeds the %d "
                         "tensors a frame may carry (set pass-input=false)",
                         self->in_info.num_tensors, VIGIL_TENSORS_MAX));
      return FALSE;
    }
    for (guint i = 0; i < self->in_info.num_tensors; i++)
      out->shapes[out->num_tensors++] = self->in_info.shapes[i];
  }
  self->out_pass_input = pass_input;
  GstCaps *caps = vigil_tensors_info_to_caps(out);
  GST_DEBUG_OBJECT(self, "output caps %" GST_PTR_FORMAT, caps);
  gboolean ok = gst_pad_push_event(self->srcpad, gst_event_new_caps(caps));
  gst_caps_unref(caps);
  return ok;
}

/* Makes a scorer from the properties; posts an error and returns FALSE if they are refused. */
static gboolean build_scorer(GstAnomalyscore *self)
{
  VgError err;
  GST_OBJECT_LOCK(self);
  VgAnomalyConfig cfg = self->cfg;
  self->rebuild = FALSE;
  self->events_changed = FALSE;
  GST_OBJECT_UNLOCK(self);
  cfg.channels = self->channels;
  VgAnomaly *scorer = vg_anomaly_create(&cfg, &err);
  if (!scorer) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("Invalid anomalyscore settings: %s", err.msg),
                      (NULL));
    return FALSE;
  }
  vg_anomaly_destroy(self->scorer);
  self->scorer = scorer;
  return TRUE;
}

static gboolean set_caps(GstElement *element, GstCaps *caps)
{
  GstAnomalyscore *self = GST_ANOMALYSCORE(element);
  GError *error = NULL;
  VigilTensorsInfo info;
  if (!vigil_tensors_info_from_caps(caps, &info, &error)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Unsupported input: %s", error->message),
                      ("caps %" GST_PTR_FORMAT, caps));
    g_error_free(error);
    return FALSE;
  }
  GST_OBJECT_LOCK(self);
  gint scored = self->score_tensor;
  GST_OBJECT_UNLOCK(self);
  if (scored >= (gint)info.num_tensors) {
    GST_ELEMENT_ERROR(
        self, STREAM, FORMAT,
        ("score-tensor=%d but the input frames carry %u tensor(s)", scored, info.num_tensors),
        ("set score-tensor to -1 (all) or 0 to %u", info.num_tensors - 1));
    return FALSE;
  }
  gsize channels = scored < 0 ? vigil_tensors_info_frame_values(&info)
                              : vigil_tensor_shape_values(&info.shapes[scored]);
  self->scored_tensor = scored;
  self->in_info = info;
  if (channels != self->channels || !self->scorer) {
    self->channels = channels;
    g_array_set_size(self->gather, channels);
    if (!build_scorer(self))
      return FALSE;
  }
  GST_OBJECT_LOCK(self);
  gboolean pass_input = self->pass_input;
  GST_OBJECT_UNLOCK(self);
  return push_out_caps(self, pass_input);
}

/* ---- messages ------------------------------------------------------------------------------ */

static void post(GstAnomalyscore *self, GstMessage *msg)
{
  gst_element_post_message(GST_ELEMENT(self), msg);
}

static GstMessage *event_message(GstAnomalyscore *self, const VgEvent *ev, GstClockTime until)
{
  gboolean start = ev->kind == VG_EVENT_START;
  gdouble score = isnan(ev->score) ? self->last_score : ev->score;
  return vigil_anomaly_event_message(GST_ELEMENT(self), &self->segment, start ? "start" : "end",
                                     (GstClockTime)ev->start_time, until, score, ev->threshold,
                                     ev->peak, ev->frames);
}

/* Ends an event in progress at a discontinuity or the end of the stream (policy decides what else
 * is forgotten), posting its end message. */
static void end_stream_part(GstAnomalyscore *self, GstAnomalyscoreDiscont policy,
                            gboolean post_events)
{
  VgEvent ev = {0};
  if (!self->scorer || policy == GST_ANOMALYSCORE_DISCONT_KEEP)
    return;
  if (policy == GST_ANOMALYSCORE_DISCONT_RESTART)
    vg_anomaly_restart(self->scorer, &ev);
  else {
    vg_anomaly_finish(self->scorer, &ev);
    vg_anomaly_reset(self->scorer);
  }
  if (ev.kind == VG_EVENT_END && post_events)
    post(self, event_message(self, &ev, self->next_time));
}

static void post_summary(GstAnomalyscore *self)
{
  if (self->summary.frames + self->summary.nonfinite == 0)
    return;
  GstMessage *msg = vigil_anomaly_summary_message(
      GST_ELEMENT(self), &self->segment, &self->summary, vg_anomaly_threshold(self->scorer),
      vg_anomaly_warming(self->scorer), vg_anomaly_in_event(self->scorer));
  vigil_anomaly_summary_clear(&self->summary);
  post(self, msg);
}

gboolean gst_anomalyscore_sink_event(GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstAnomalyscore *self = GST_ANOMALYSCORE(parent);
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_CAPS:
    return vigil_caps_event(pad, event, set_caps, GST_ELEMENT(self));
  case GST_EVENT_SEGMENT:
    gst_event_copy_segment(event, &self->segment);
    break;
  case GST_EVENT_FLUSH_STOP:
    gst_segment_init(&self->segment, GST_FORMAT_TIME);
    self->pending_discont = TRUE;
    vigil_anomaly_summary_clear(&self->summary);
    break;
  case GST_EVENT_EOS: {
    GST_OBJECT_LOCK(self);
    gboolean post_events = self->post_events, post_messages = self->post_messages;
    GST_OBJECT_UNLOCK(self);
    /* The stream ends: an event in progress ends with it. */
    end_stream_part(self, GST_ANOMALYSCORE_DISCONT_RESTART, post_events);
    if (post_messages && self->scorer)
      post_summary(self);
    break;
  }
  default:
    break;
  }
  return gst_pad_event_default(pad, parent, event);
}

/* ---- buffers ------------------------------------------------------------------------------- */

/* Times of the frames of one buffer (docs/tensors.md): frame k at PTS + k * duration / n. */
typedef struct {
  GstClockTime pts, duration, frame;
  guint n;
} FrameClock;

static void frame_clock_init(GstAnomalyscore *self, GstBuffer *buf, guint n, FrameClock *fc)
{
  fc->pts = GST_BUFFER_PTS(buf);
  fc->duration = GST_BUFFER_DURATION(buf);
  fc->n = n;
  if (GST_CLOCK_TIME_IS_VALID(fc->duration) && n > 0)
    fc->frame = fc->duration / n;
  else if (self->in_info.rate_n > 0)
    fc->frame = gst_util_uint64_scale(GST_SECOND, self->in_info.rate_d, self->in_info.rate_n);
  else
    fc->frame = GST_CLOCK_TIME_NONE;
}

static GstClockTime frame_time(const FrameClock *fc, guint k)
{
  if (!GST_CLOCK_TIME_IS_VALID(fc->pts))
    return GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID(fc->duration))
    return fc->pts + gst_util_uint64_scale(k, fc->duration, fc->n);
  if (GST_CLOCK_TIME_IS_VALID(fc->frame))
    return fc->pts + k * fc->frame;
  return k == 0 ? fc->pts : GST_CLOCK_TIME_NONE;
}

static GstClockTime time_after(GstClockTime t, GstClockTime d)
{
  return GST_CLOCK_TIME_IS_VALID(t) && GST_CLOCK_TIME_IS_VALID(d) ? t + d : GST_CLOCK_TIME_NONE;
}

/* Frame k's K values: in place with one tensor or a scored tensor, gathered tensor by tensor
 * otherwise. */
static const gfloat *frame_values(GstAnomalyscore *self, const VigilTensorsMap *in, guint k)
{
  if (self->scored_tensor >= 0)
    return in->data[self->scored_tensor] + (gsize)k * self->channels;
  if (in->n_tensors == 1)
    return in->data[0] + (gsize)k * self->channels;
  gfloat *dst = (gfloat *)self->gather->data;
  for (guint t = 0; t < in->n_tensors; t++) {
    gsize v = vigil_tensor_shape_values(&self->in_info.shapes[t]);
    memcpy(dst, in->data[t] + (gsize)k * v, v * sizeof(gfloat));
    dst += v;
  }
  return (const gfloat *)self->gather->data;
}

static void summarise(GstAnomalyscore *self, const VgAnomalyResult *r, GstClockTime t,
                      GstClockTime frame, GPtrArray *msgs, GstClockTime interval)
{
  VigilAnomalySummary *s = &self->summary;
  if (!GST_CLOCK_TIME_IS_VALID(frame)) { /* summaries count stream time in frame durations */
    /* one such frame is csvparse's first timestamped row (the next row's time is unknown yet):
     * warn from the second on */
    if (++self->undated_frames >= 2 && !self->summary_warned) {
      GST_ELEMENT_WARNING(self, STREAM, FORMAT,
                          ("post-messages=true leaves frames without a duration out of the "
                           "summaries (the input has no framerate and these buffers no "
                           "durations): no stream time is counted for them, and no summary is "
                           "posted while no frame has one."),
                          ("give the input tensors a framerate, or its buffers durations"));
      self->summary_warned = TRUE;
    }
    return;
  }
  if (!GST_CLOCK_TIME_IS_VALID(s->start))
    s->start = t;
  s->elapsed += frame;
  if (r->scored) {
    s->frames++;
    s->sum += r->score;
    s->max = MAX(s->max, r->score);
  } else {
    s->nonfinite++;
  }
  if (s->elapsed >= interval) {
    g_ptr_array_add(msgs, vigil_anomaly_summary_message(GST_ELEMENT(self), &self->segment, s,
                                                        vg_anomaly_threshold(self->scorer),
                                                        vg_anomaly_warming(self->scorer),
                                                        vg_anomaly_in_event(self->scorer)));
    vigil_anomaly_summary_clear(s);
  }
}

typedef struct {
  gboolean post_events, post_messages;
  GstClockTime interval;
  guint64 frames, nonfinite, events;
} ChainTally;

/* Scores every frame of in into scores[], queueing the messages the frames cause. */
static void score_frames(GstAnomalyscore *self, const VigilTensorsMap *in, gfloat *scores,
                         const FrameClock *fc, ChainTally *tally, GPtrArray *msgs)
{
  for (guint k = 0; k < in->n_frames; k++) {
    GstClockTime t = frame_time(fc, k);
    VgAnomalyResult r;
    vg_anomaly_push(self->scorer, frame_values(self, in, k), (int64_t)t, &r);
    scores[k] = r.score;
    if (r.scored) {
      tally->frames++;
      self->last_score = r.score;
    } else {
      tally->nonfinite++;
    }
    if (r.event.kind == VG_EVENT_START)
      tally->events++;
    if (r.event.kind != VG_EVENT_NONE && tally->post_events) {
      /* a start covers its frames up to the end of the confirming one; an end, up to this frame */
      GstClockTime until = r.event.kind == VG_EVENT_START ? time_after(t, fc->frame) : t;
      g_ptr_array_add(msgs, event_message(self, &r.event, until));
    }
    if (tally->post_messages)
      summarise(self, &r, t, fc->frame, msgs, tally->interval);
  }
  self->next_time = time_after(frame_time(fc, in->n_frames - 1), fc->frame);
}

/* Applies property changes made while streaming; FALSE after posting an error. */
static gboolean apply_changes(GstAnomalyscore *self, GstAnomalyscoreDiscont *discont,
                              ChainTally *tally)
{
  GST_OBJECT_LOCK(self);
  gboolean rebuild = self->rebuild, events_changed = self->events_changed;
  gboolean pass_input = self->pass_input;
  VgAnomalyConfig cfg = self->cfg;
  self->events_changed = FALSE;
  *discont = self->discont;
  tally->post_events = self->post_events;
  tally->post_messages = self->post_messages;
  tally->interval = self->interval;
  GST_OBJECT_UNLOCK(self);

  if (rebuild) {
    end_stream_part(self, GST_ANOMALYSCORE_DISCONT_RESET, tally->post_events);
    if (!build_scorer(self))
      return FALSE;
  } else if (events_changed) {
    vg_anomaly_set_events(self->scorer, cfg.threshold, cfg.hysteresis, cfg.min_duration);
  }
  if (pass_input != self->out_pass_input && !push_out_caps(self, pass_input))
    return FALSE;
  return TRUE;
}

/* The output buffer: the scores, then (pass-input) the input's memories, shared. */
static GstBuffer *make_output(GstAnomalyscore *self, GstBuffer *in, guint n_frames,
                              GstMapInfo *score_map)
{
  VigilTensorsInfo score_info;
  guint one = 1;
  vigil_tensors_info_init(&score_info, self->in_info.rate_n, self->in_info.rate_d);
  vigil_tensors_info_append(&score_info, 1, &one);
  GstBuffer *out = vigil_tensors_buffer_new(&score_info, n_frames);
  if (!out)
    return NULL;
  if (self->out_pass_input) {
    if (self->in_info.num_tensors == 1)
      gst_buffer_append_memory(out, gst_buffer_get_all_memory(in));
    else
      for (guint i = 0; i < self->in_info.num_tensors; i++)
        gst_buffer_append_memory(out, gst_buffer_get_memory(in, i));
  }
  gst_buffer_copy_into(out, in, GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  GstMemory *mem = gst_buffer_peek_memory(out, 0);
  if (!gst_memory_map(mem, score_map, GST_MAP_WRITE)) {
    gst_buffer_unref(out);
    return NULL;
  }
  return out;
}

GstFlowReturn gst_anomalyscore_chain(GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  GstAnomalyscore *self = GST_ANOMALYSCORE(parent);
  GstAnomalyscoreDiscont discont;
  ChainTally tally = {0};
  GError *error = NULL;
  VigilTensorsMap in;
  GstMapInfo score_map;

  if (!self->scorer) {
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("No caps before the first buffer"), (NULL));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!apply_changes(self, &discont, &tally)) {
    gst_buffer_unref(buf);
    return GST_FLOW_ERROR;
  }
  if (GST_BUFFER_IS_DISCONT(buf) || self->pending_discont) {
    end_stream_part(self, discont, tally.post_events);
    self->pending_discont = FALSE;
  }
  if (!vigil_tensors_map(buf, &self->in_info, GST_MAP_READ, &in, &error)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Malformed input buffer: %s", error->message), (NULL));
    g_error_free(error);
    gst_buffer_unref(buf);
    return GST_FLOW_ERROR;
  }
  if (in.n_frames == 0) { /* nothing to score or pass on (its DISCONT is taken above) */
    vigil_tensors_unmap(&in);
    gst_buffer_unref(buf);
    return GST_FLOW_OK;
  }
  GstBuffer *out = make_output(self, buf, in.n_frames, &score_map);
  if (!out) {
    vigil_tensors_unmap(&in);
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, RESOURCE, FAILED, ("Could not allocate an output buffer"), (NULL));
    return GST_FLOW_ERROR;
  }

  FrameClock fc;
  GPtrArray *msgs = self->msgs;
  frame_clock_init(self, buf, in.n_frames, &fc);
  score_frames(self, &in, (gfloat *)score_map.data, &fc, &tally, msgs);
  gst_memory_unmap(gst_buffer_peek_memory(out, 0), &score_map);
  vigil_tensors_unmap(&in);
  gst_buffer_unref(buf);

  GST_OBJECT_LOCK(self);
  self->n_frames += tally.frames;
  self->n_nonfinite += tally.nonfinite;
  self->n_events += tally.events;
  self->current_threshold = vg_anomaly_threshold(self->scorer);
  GST_OBJECT_UNLOCK(self);
  for (guint i = 0; i < msgs->len; i++) /* no lock held while posting */
    post(self, g_ptr_array_index(msgs, i));
  g_ptr_array_set_size(msgs, 0);
  return gst_pad_push(self->srcpad, out);
}
