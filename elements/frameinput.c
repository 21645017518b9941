/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "frameinput.h"

#include <string.h>

static gboolean from_tensor_caps(const GstCaps *caps, VigilFrameFormat *fmt, GError **error)
{
  VigilTensorsInfo info;
  if (!vigil_tensors_info_from_caps(caps, &info, error))
    return FALSE;
  if (info.num_tensors != 1) {
    g_set_error(error, VIGIL_TENSORS_ERROR, 0,
                "input carries %u tensors per frame; this element takes one", info.num_tensors);
    return FALSE;
  }
  const VigilTensorShape *shape = &info.shapes[0];
  if (shape->rank > 2) {
    gchar *d = vigil_tensor_shape_to_string(shape);
    g_set_error(error, VIGIL_TENSORS_ERROR, 0,
                "input frames have dimensions %s; expected C values or F:C values per frame", d);
    g_free(d);
    return FALSE;
  }
  fmt->format = VIGIL_SAMPLES_TENSOR;
  fmt->frame_values = vigil_tensor_shape_values(shape);
  fmt->inner = shape->rank == 2 ? shape->dims[0] : 1;
  fmt->channels = fmt->frame_values / fmt->inner;
  fmt->rate_n = info.rate_n;
  fmt->rate_d = info.rate_d;
  return TRUE;
}

gboolean vigil_frame_format_from_caps(const GstCaps *caps, VigilFrameFormat *fmt, GError **error)
{
  memset(fmt, 0, sizeof *fmt);
  if (!caps || !gst_caps_is_fixed(caps)) {
    g_set_error(error, VIGIL_TENSORS_ERROR, 0, "input caps are not fixed");
    return FALSE;
  }
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  if (gst_structure_has_name(s, "other/tensors"))
    return from_tensor_caps(caps, fmt, error);

  /* Read the fields directly rather than through GstAudioInfo, which refuses more than two channels
   * without a channel-mask: sensor streams have many channels and no speaker positions. */
  const gchar *format = gst_structure_get_string(s, "format");
  const gchar *layout = gst_structure_get_string(s, "layout");
  gint rate = 0, channels = 0;
  if (!gst_structure_has_name(s, "audio/x-raw") || !format ||
      !gst_structure_get_int(s, "rate", &rate) ||
      !gst_structure_get_int(s, "channels", &channels) || rate <= 0 || channels <= 0) {
    gchar *text = gst_caps_to_string(caps);
    g_set_error(error, VIGIL_TENSORS_ERROR, 0,
                "input caps %s are not audio/x-raw with format, rate and channels, nor "
                "other/tensors",
                text);
    g_free(text);
    return FALSE;
  }
  if ((layout && strcmp(layout, "interleaved") != 0) ||
      (strcmp(format, "F32LE") != 0 && strcmp(format, "S16LE") != 0)) {
    g_set_error(error, VIGIL_TENSORS_ERROR, 0,
                "audio must be interleaved F32LE or S16LE, not %s %s (insert audioconvert)", format,
                layout ? layout : "");
    return FALSE;
  }
  if ((guint64)channels > VIGIL_FRAME_VALUES_MAX) {
    g_set_error(error, VIGIL_TENSORS_ERROR, 0, "%d channels are more than Vigil takes (%u)",
                channels, VIGIL_FRAME_VALUES_MAX);
    return FALSE;
  }
  fmt->format = strcmp(format, "F32LE") == 0 ? VIGIL_SAMPLES_F32 : VIGIL_SAMPLES_S16;
  fmt->channels = channels;
  fmt->inner = 1;
  fmt->frame_values = fmt->channels;
  fmt->rate_n = rate;
  fmt->rate_d = 1;
  return TRUE;
}

gdouble vigil_frame_format_rate(const VigilFrameFormat *fmt)
{
  return fmt->rate_n > 0 ? (gdouble)fmt->rate_n / fmt->rate_d : 0.0;
}

GstClockTime vigil_frame_format_duration(const VigilFrameFormat *fmt, guint64 n_frames)
{
  if (fmt->rate_n <= 0)
    return GST_CLOCK_TIME_NONE;
  return gst_util_uint64_scale(n_frames, GST_SECOND * (guint64)fmt->rate_d, fmt->rate_n);
}

gboolean vigil_frames_map(GstBuffer *buf, const VigilFrameFormat *fmt, GArray *scratch,
                          VigilFrames *frames, GError **error)
{
  gsize sample_bytes = fmt->format == VIGIL_SAMPLES_S16 ? 2 : 4;
  gsize frame_bytes = sample_bytes * fmt->frame_values;

  memset(frames, 0, sizeof *frames);
  if (frame_bytes == 0) {
    g_set_error(error, VIGIL_TENSORS_ERROR, 0, "input data before its format (no caps)");
    return FALSE;
  }
  if (!gst_buffer_map(buf, &frames->map, GST_MAP_READ)) {
    g_set_error(error, VIGIL_TENSORS_ERROR, 0, "could not map an input buffer");
    return FALSE;
  }
  frames->buffer = buf;
  if (frames->map.size % frame_bytes != 0) {
    gsize size = frames->map.size;
    vigil_frames_unmap(frames);
    g_set_error(error, VIGIL_TENSORS_ERROR, 0,
                "input buffer of %" G_GSIZE_FORMAT
                " bytes is not a whole number of %" G_GSIZE_FORMAT "-byte frames",
                size, frame_bytes);
    return FALSE;
  }
  frames->n_frames = frames->map.size / frame_bytes;
  if (fmt->format != VIGIL_SAMPLES_S16) {
    frames->data = (const gfloat *)frames->map.data;
    return TRUE;
  }
  gsize n = (gsize)frames->n_frames * fmt->frame_values;
  if (scratch->len < n)
    g_array_set_size(scratch, n);
  const gint16 *in = (const gint16 *)frames->map.data;
  gfloat *out = (gfloat *)scratch->data;
  for (gsize i = 0; i < n; i++)
    out[i] = GINT16_FROM_LE(in[i]) * (1.0f / 32768.0f);
  frames->data = out;
  return TRUE;
}

void vigil_frames_unmap(VigilFrames *frames)
{
  if (frames->buffer)
    gst_buffer_unmap(frames->buffer, &frames->map);
  memset(frames, 0, sizeof *frames);
}

gboolean vigil_latency_query(GstPad *pad, GstObject *parent, GstQuery *query, GstPad *sinkpad,
                             GstClockTime added)
{
  if (GST_QUERY_TYPE(query) != GST_QUERY_LATENCY || !GST_CLOCK_TIME_IS_VALID(added))
    return gst_pad_query_default(pad, parent, query);
  if (!gst_pad_peer_query(sinkpad, query))
    return FALSE;
  gboolean live;
  GstClockTime min, max;
  gst_query_parse_latency(query, &live, &min, &max);
  gst_query_set_latency(query, live, min + added,
                        GST_CLOCK_TIME_IS_VALID(max) ? max + added : GST_CLOCK_TIME_NONE);
  return TRUE;
}
