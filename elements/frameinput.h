/* Vigil: signal input shared by the elements that take audio or tensor frames (stft, dwt,
 * streamcnn).
 *
 * audio/x-raw F32LE or S16LE interleaved, or other/tensors with one float32 tensor, become float32
 * frames: frame k of a buffer is data[k * frame_values .. (k + 1) * frame_values). S16 samples are
 * scaled by 1/32768 so that full scale reads 1.0, as audioconvert does.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VIGIL_FRAMEINPUT_H
#define VIGIL_FRAMEINPUT_H

#include <gst/gst.h>
#include "tensorcaps.h"

G_BEGIN_DECLS

#define VIGIL_FRAMES_SINK_CAPS                                                                     \
  "audio/x-raw, format = (string) { F32LE, S16LE }, layout = (string) interleaved, "               \
  "rate = (int) [ 1, MAX ], channels = (int) [ 1, MAX ]; " VIGIL_TENSORS_CAPS_TEMPLATE

typedef enum {
  VIGIL_SAMPLES_F32,
  VIGIL_SAMPLES_S16,
  VIGIL_SAMPLES_TENSOR,
} VigilSampleFormat;

typedef struct {
  VigilSampleFormat format;
  guint frame_values; /* float32 values per frame */
  guint channels; /* audio channels; for a tensor, its outermost dimension (C of "C" or "F:C") */
  guint inner;    /* values per channel within a frame: 1 for audio and "C", F for "F:C" */
  gint rate_n, rate_d; /* frames per second; 0/1 when variable (tensor streams only) */
} VigilFrameFormat;

/* Reads fixed sink caps. Tensor streams must carry exactly one tensor of rank 1 or 2. */
gboolean vigil_frame_format_from_caps(const GstCaps *caps, VigilFrameFormat *fmt, GError **error);

/* Frames per second as a double (0 when variable). */
gdouble vigil_frame_format_rate(const VigilFrameFormat *fmt);

/* Duration of n frames, GST_CLOCK_TIME_NONE when the rate is variable. */
GstClockTime vigil_frame_format_duration(const VigilFrameFormat *fmt, guint64 n_frames);

/* A src pad's query for an element whose output frames wait `added` for later input frames
 * (NONE: nothing added): a LATENCY query gets upstream's answer (asked through sinkpad) plus
 * `added`; every other query, and LATENCY when nothing is added, goes to the default handler. */
gboolean vigil_latency_query(GstPad *pad, GstObject *parent, GstQuery *query, GstPad *sinkpad,
                             GstClockTime added);

typedef struct {
  const gfloat *data;
  guint n_frames;
  GstBuffer *buffer;
  GstMapInfo map;
} VigilFrames;

/* Maps buf as float32 frames. S16 input is converted into *scratch, a grow-only array of gfloat
 * owned by the element, so steady streaming does not allocate. */
gboolean vigil_frames_map(GstBuffer *buf, const VigilFrameFormat *fmt, GArray *scratch,
                          VigilFrames *frames, GError **error);
void vigil_frames_unmap(VigilFrames *frames);

G_END_DECLS

#endif
