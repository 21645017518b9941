/* streamcnn: an ONNX CNN over sliding windows of a live stream, with shift-invariant reuse.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GST_STREAM_CNN_H
#define GST_STREAM_CNN_H

#include <gst/gst.h>

#include "frameinput.h"
#include "tensorcaps.h"
#include "vg_stream.h"

G_BEGIN_DECLS

#define GST_TYPE_STREAM_CNN (gst_stream_cnn_get_type())
G_DECLARE_FINAL_TYPE(GstStreamCnn, gst_stream_cnn, GST, STREAM_CNN, GstElement)

typedef enum {
  GST_STREAM_CNN_OUTPUT_MODEL,
  GST_STREAM_CNN_OUTPUT_RECONSTRUCTION_ERROR,
} GstStreamCnnOutput;

typedef enum {
  GST_STREAM_CNN_METRIC_MAE,
  GST_STREAM_CNN_METRIC_MSE,
} GstStreamCnnMetric;

/* The settings that shape a stream: set through properties in any state, taken at READY->PAUSED
 * with the model, so that a change while running waits for the next start instead of mixing an
 * old model with a new window at the next caps event. */
typedef struct {
  gint window, hop; /* 0: the model's input length; 0: window / 4 */
  VgStreamMode mode;
  GstStreamCnnOutput output;
  GstStreamCnnMetric metric;
  guint frames_per_buffer; /* most output frames (windows) per buffer */
} GstStreamCnnSettings;

struct _GstStreamCnn {
  GstElement parent;
  GstPad *sinkpad, *srcpad;

  /* properties (object lock) */
  gchar *model_path;
  GstStreamCnnSettings props;
  gint threads;
  /* statistics (object lock) */
  guint64 windows_computed;
  guint64 compute_ns;

  /* streaming state: built at READY->PAUSED (model) and on caps (stream) */
  gboolean channel_error_posted;    /* the sink CAPS query reported a channel mismatch */
  gboolean pool_warning_posted;     /* the whole-input pool warning (plan_stream), once per model */
  gboolean duration_warning_posted; /* variable rate without buffer durations, once per model */
  gboolean caps_refused; /* the last caps were refused (error posted): nothing flows on, not even
                           EOS, until caps are accepted */
  VgModel *model;
  GstStreamCnnSettings run; /* props at READY->PAUSED: what the stream uses */
  VgStream *stream;
  VigilFrameFormat fmt;
  VigilTensorsInfo out_info;
  gint64 plan_window, plan_hop;
  GArray *s16_scratch;
  GArray *std_scratch; /* standardised frames, when the model file carries standardisation */
  gfloat *per_channel;
  GstSegment segment;    /* upstream's */
  gboolean have_segment; /* one has arrived since the start (our own goes downstream) */
  GstClockTime base_ts;  /* time of frame 0 since the last reset */
  guint64 frames;        /* frames pushed since the last reset */
  GstClockTime buf_pts;  /* variable rate: the current buffer's first frame time */
  GstClockTime buf_dur;  /* ... and its frame period */
  guint64 buf_first;     /* ... and its first frame's index since the last reset */
  /* variable rate: the latest hop boundary (frame k * hop + window - hop, where window k's last
   * hop starts) that an earlier buffer held, and its time: the start of a hop that spans buffers
   * of different frame spacing */
  guint64 bound_k;
  GstClockTime bound_time;
  gboolean discont;   /* mark the next output DISCONT */
  GstFlowReturn flow; /* the last downstream push */
  gint64 mark_ns;     /* monotonic time where the current computation began */
  /* The output buffer being filled, mapped: windows completed by one input buffer are grouped into
   * buffers of at most frames_per_buffer frames (gststreamcnn-run.c). */
  GstBuffer *out_buf;
  VigilTensorsMap out_map;
  guint out_frames, out_filled; /* its size in frames, frames written */
  guint64 out_first;            /* index of its first window since the last reset */
  guint64 out_due;              /* windows the current input buffer still completes */
};

G_END_DECLS

#endif
