/* Vigil: the streaming half of the dwt element: buffers in, frames out with their times, the
 * tail at EOS, DISCONT and caps changes (in bounded buffers), and the segment-end message.
 * gstdwt.c holds the GObject half (properties, pads, caps, events, states).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dwtstream.h"

#include <string.h>

GST_DEBUG_CATEGORY_EXTERN(gst_dwt_debug);
#define GST_CAT_DEFAULT gst_dwt_debug

void gst_dwt_reset_time(GstDwt *self)
{
  self->block_time = GST_CLOCK_TIME_NONE;
  self->seg_start = GST_CLOCK_TIME_NONE;
  self->seg_frames = 0;
  self->discont = TRUE;
}

/* Time of frame k of buf: PTS + k * duration / n, or from the rate when the buffer has no
 * duration (docs/tensors.md). */
static GstClockTime frame_time(GstDwt *self, GstBuffer *buf, guint n, guint64 k)
{
  GstClockTime pts = GST_BUFFER_PTS(buf), dur = GST_BUFFER_DURATION(buf);
  if (!GST_CLOCK_TIME_IS_VALID(pts))
    return GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID(dur) && n > 0)
    return pts + gst_util_uint64_scale(k, dur, n);
  GstClockTime d = vigil_frame_format_duration(&self->in_fmt, k);
  return GST_CLOCK_TIME_IS_VALID(d) ? pts + d : pts;
}

/* Time of frame k of the segment, which lies in buf (k - before frames into it) or, for
 * k < before, at the buffer's start. With a fixed rate, time counts frames from the segment's
 * first timestamp, so rounding never accumulates. */
static GstClockTime segment_time(GstDwt *self, GstBuffer *buf, guint n, guint64 before, guint64 k)
{
  GstClockTime d = vigil_frame_format_duration(&self->in_fmt, k);
  if (GST_CLOCK_TIME_IS_VALID(self->seg_start) && GST_CLOCK_TIME_IS_VALID(d))
    return self->seg_start + d;
  return frame_time(self, buf, n, k > before ? k - before : 0);
}

/* Sends n frames of out_info starting at time ts. */
static GstFlowReturn push_frames(GstDwt *self, GstBuffer *out, guint n, GstClockTime ts)
{
  guint64 in_frames = self->active == GST_DWT_TRANSFORM_DWT ? (guint64)n << self->active_levels : n;
  GST_BUFFER_PTS(out) = ts;
  GST_BUFFER_DURATION(out) = vigil_frame_format_duration(&self->in_fmt, in_frames);
  if (self->discont)
    GST_BUFFER_FLAG_SET(out, GST_BUFFER_FLAG_DISCONT);
  self->discont = FALSE;
  return gst_pad_push(self->srcpad, out);
}

/* Allocates and maps a buffer of n output frames. */
static GstBuffer *new_output(GstDwt *self, guint n, VigilTensorsMap *map)
{
  GError *error = NULL;
  GstBuffer *out = vigil_tensors_buffer_new(&self->out_info, n);
  if (out && vigil_tensors_map(out, &self->out_info, GST_MAP_WRITE, map, &error))
    return out;
  GST_ELEMENT_ERROR(self, RESOURCE, FAILED, ("could not allocate %u output frames", n),
                    ("%s", error ? error->message : "allocation failed"));
  g_clear_error(&error);
  if (out)
    gst_buffer_unref(out);
  return NULL;
}

/* Frame k, signal s of the tensors in t_ptr into one packed frame: cA_J, cD_J, ..., cD_1 one
 * after the other, 2^J values per signal (tensor t >= 1 of width w starts at offset w). */
static void repack(GstDwt *self, float *const *t_ptr, size_t n, float *dst)
{
  guint J = self->active_levels, S = self->in_fmt.frame_values, block = 1u << J;
  for (size_t k = 0; k < n; k++) {
    for (guint s = 0; s < S; s++) {
      float *o = dst + (k * S + s) * block;
      for (guint t = 0; t <= J; t++) {
        guint w = vg_dwt_tensor_width(self->dwt, t);
        memcpy(o + (t ? w : 0), t_ptr[t] + (k * S + s) * w, w * sizeof(float));
      }
    }
  }
}

/* Runs the DWT kernel on n_in frames (push) or, with in == NULL, takes the next n_out frames of
 * its tail; sends the n_out frames as one buffer at time ts. */
static GstFlowReturn run_dwt(GstDwt *self, const float *in, guint n_in, size_t n_out,
                             GstClockTime ts)
{
  VigilTensorsMap map;
  float *t_ptr[VG_DWT_MAX_LEVELS + 1] = {NULL};
  size_t written = 0;
  guint J = self->active_levels;
  GstBuffer *out = n_out > 0 ? new_output(self, (guint)n_out, &map) : NULL;
  if (n_out > 0 && !out)
    return GST_FLOW_ERROR;
  if (out && self->packed) {
    gsize need = n_out * ((gsize)self->in_fmt.frame_values << J), off = 0;
    if (self->unpacked->len < need)
      g_array_set_size(self->unpacked, need);
    for (guint t = 0; t <= J; t++) {
      t_ptr[t] = (float *)self->unpacked->data + off;
      off += n_out * vg_dwt_tensor_width(self->dwt, t) * self->in_fmt.frame_values;
    }
  } else if (out) {
    for (guint t = 0; t <= J; t++)
      t_ptr[t] = map.data[t];
  }
  int rc, done = 0;
  if (in)
    rc = vg_dwt_push(self->dwt, in, n_in, t_ptr, &written);
  else
    rc = vg_dwt_flush_some(self->dwt, t_ptr, n_out, &written, &done);
  if (rc != VG_OK || written != n_out) {
    GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("dwt: internal error in the wavelet kernel"),
                      ("%" G_GSIZE_FORMAT " frames of %" G_GSIZE_FORMAT, written, n_out));
    if (out) {
      vigil_tensors_unmap(&map);
      gst_buffer_unref(out);
    }
    return GST_FLOW_ERROR;
  }
  if (!out)
    return GST_FLOW_OK;
  if (self->packed)
    repack(self, t_ptr, written, map.data[0]);
  vigil_tensors_unmap(&map);
  return push_frames(self, out, (guint)written, ts);
}

/* The "dwt" element message that ends a segment: where its tail starts, how many input frames
 * it had, and pywt's coefficient count per tensor (the frames after them are zero padding). */
static GstMessage *segment_end_message(GstDwt *self, GstClockTime ts, size_t tail)
{
  GValue lengths = G_VALUE_INIT, v = G_VALUE_INIT;
  GstClockTime dur =
      vigil_frame_format_duration(&self->in_fmt, (guint64)tail << self->active_levels);
  g_value_init(&lengths, GST_TYPE_ARRAY);
  g_value_init(&v, G_TYPE_UINT64);
  for (guint t = 0; t <= self->active_levels; t++) {
    g_value_set_uint64(&v, vg_dwt_length(self->dwt, t));
    gst_value_array_append_value(&lengths, &v);
  }
  GstStructure *st = gst_structure_new(
      "dwt", "timestamp", G_TYPE_UINT64, ts, "stream-time", G_TYPE_UINT64,
      gst_segment_to_stream_time(&self->segment, GST_FORMAT_TIME, ts), "running-time",
      G_TYPE_UINT64, gst_segment_to_running_time(&self->segment, GST_FORMAT_TIME, ts), "duration",
      G_TYPE_UINT64, dur, "input-frames", G_TYPE_UINT64, (guint64)self->seg_frames, "tail-frames",
      G_TYPE_UINT, (guint)tail, NULL);
  gst_structure_take_value(st, "lengths", &lengths);
  g_value_unset(&v);
  return gst_message_new_element(GST_OBJECT(self), st);
}

/* Time of tail frame k (ts: the first's): with a fixed rate counted from the segment's first
 * timestamp as every other frame (chain_dwt), so pieces join without rounding drift. With a
 * variable rate only the first piece has a known time. */
static GstClockTime tail_time(GstDwt *self, GstClockTime ts, guint64 k)
{
  guint J = self->active_levels;
  guint64 first = (self->seg_frames >> J) << J; /* the partial block's first input frame */
  GstClockTime from_start = vigil_frame_format_duration(&self->in_fmt, first + (k << J));
  GstClockTime from_ts = vigil_frame_format_duration(&self->in_fmt, k << J);
  if (k == 0)
    return ts;
  if (GST_CLOCK_TIME_IS_VALID(self->seg_start) && GST_CLOCK_TIME_IS_VALID(from_start))
    return self->seg_start + from_start;
  if (GST_CLOCK_TIME_IS_VALID(ts) && GST_CLOCK_TIME_IS_VALID(from_ts))
    return ts + from_ts;
  return GST_CLOCK_TIME_NONE;
}

/* Pushes the n tail frames from time ts in buffers of at most GST_DWT_TAIL_BYTES (or one frame, if
 * a frame is larger): with levels=15 and hundreds of channels a frame is tens of MB and the tail
 * tens of frames, which the kernel computes piece by piece (vg_dwt_flush_some) so that neither
 * it nor this element ever holds the whole tail. */
static GstFlowReturn push_tail(GstDwt *self, size_t n, GstClockTime ts)
{
  gsize frame_bytes = ((gsize)self->in_fmt.frame_values << self->active_levels) * sizeof(float);
  size_t piece = MAX(GST_DWT_TAIL_BYTES / frame_bytes, 1);
  GstFlowReturn ret = GST_FLOW_OK;
  for (size_t k = 0; k < n && ret == GST_FLOW_OK; k += piece) {
    size_t m = MIN(piece, n - k);
    ret = run_dwt(self, NULL, 0, m, tail_time(self, ts, k));
  }
  return ret;
}

/* Emits the DWT tail (partial block and pywt's boundary coefficients) and resets. */
GstFlowReturn gst_dwt_drain(GstDwt *self)
{
  GstClockTime ts = self->block_time;
  size_t n = self->dwt ? vg_dwt_flush_frames(self->dwt) : 0;
  GstFlowReturn ret = GST_FLOW_OK;
  /* every segment with input ends with its message, also when all its coefficients went out in
   * whole frames already (no tail): the lengths are what a consumer needs */
  if (self->dwt && self->seg_frames > 0) {
    GstMessage *msg = segment_end_message(self, ts, n);
    GST_DEBUG_OBJECT(self, "flushing %" G_GSIZE_FORMAT " tail frames", n);
    if (n > 0)
      ret = push_tail(self, n, ts);
    gst_element_post_message(GST_ELEMENT(self), msg);
  }
  gst_dwt_reset_state(self);
  return ret;
}

void gst_dwt_reset_state(GstDwt *self)
{
  if (self->dwt)
    vg_dwt_reset(self->dwt);
  if (self->swt)
    vg_swt_reset(self->swt);
  gst_dwt_reset_time(self);
}

static GstFlowReturn chain_swt(GstDwt *self, GstBuffer *in, const VigilFrames *frames)
{
  VigilTensorsMap map;
  GstBuffer *out = new_output(self, frames->n_frames, &map);
  if (!out)
    return GST_FLOW_ERROR;
  vg_swt_push(self->swt, frames->data, frames->n_frames, map.data[0]);
  vigil_tensors_unmap(&map);
  gst_buffer_copy_into(out, in, GST_BUFFER_COPY_TIMESTAMPS | GST_BUFFER_COPY_FLAGS, 0, -1);
  /* The segment's frame count is what lets a DISCONT restart the history (gst_dwt_chain), and the
   * first output of a segment (after the start, a flush or a DISCONT) says it restarted. */
  self->seg_frames += frames->n_frames;
  if (self->discont)
    GST_BUFFER_FLAG_SET(out, GST_BUFFER_FLAG_DISCONT);
  self->discont = FALSE;
  return gst_pad_push(self->srcpad, out);
}

static GstFlowReturn chain_dwt(GstDwt *self, GstBuffer *in, const VigilFrames *frames)
{
  guint n = frames->n_frames, J = self->active_levels;
  guint64 before = self->seg_frames, after = before + n;
  size_t n_out = vg_dwt_push_frames(self->dwt, n);
  if (before == 0) /* a first buffer without PTS starts where its segment does */
    self->seg_start = GST_BUFFER_PTS_IS_VALID(in)               ? GST_BUFFER_PTS(in)
                      : self->segment.format == GST_FORMAT_TIME ? self->segment.start
                                                                : GST_CLOCK_TIME_NONE;
  /* The first block completed here may have started in an earlier buffer (block_time). */
  guint64 first_block_start = (before >> J) << J;
  GstClockTime ts = self->block_time;
  if (first_block_start >= before || !GST_CLOCK_TIME_IS_VALID(ts))
    ts = segment_time(self, in, n, before, first_block_start);
  GstFlowReturn ret = run_dwt(self, frames->data, n, n_out, ts);

  /* First frame of the block still open (at `after` itself when this buffer ended a block: its
   * time is then extrapolated, which is where the tail flushed at EOS starts). */
  guint64 open_block = (after >> J) << J;
  if (open_block >= before)
    self->block_time = segment_time(self, in, n, before, open_block);
  self->seg_frames = after;
  return ret;
}

GstFlowReturn gst_dwt_chain(GstPad *pad, GstObject *parent, GstBuffer *in)
{
  GstDwt *self = GST_DWT(parent);
  GError *error = NULL;
  VigilFrames frames;
  GstFlowReturn ret = GST_FLOW_OK;

  if (!self->dwt && !self->swt) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("dwt received data before caps"), (NULL));
    gst_buffer_unref(in);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (GST_BUFFER_IS_DISCONT(in) && self->seg_frames > 0) {
    GST_DEBUG_OBJECT(self, "discont: flushing the segment and restarting");
    if (self->dwt)
      ret = gst_dwt_drain(self);
    gst_dwt_reset_state(self);
  }
  if (ret == GST_FLOW_OK && !vigil_frames_map(in, &self->in_fmt, self->scratch, &frames, &error)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("%s", error->message), (NULL));
    g_error_free(error);
    ret = GST_FLOW_ERROR;
  } else if (ret == GST_FLOW_OK && frames.n_frames == 0) {
    vigil_frames_unmap(&frames); /* an empty buffer carries no frame */
  } else if (ret == GST_FLOW_OK) {
    if (self->dwt)
      ret = chain_dwt(self, in, &frames);
    else
      ret = chain_swt(self, in, &frames);
    vigil_frames_unmap(&frames);
  }
  gst_buffer_unref(in);
  return ret;
}
