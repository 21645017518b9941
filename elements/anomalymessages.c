/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "anomalymessages.h"

#include <math.h>

/* A structure named `name` with the four time fields of `level`. */
static GstStructure *timed_structure(const gchar *name, const GstSegment *segment, GstClockTime ts,
                                     GstClockTime duration)
{
  GstClockTime stream = GST_CLOCK_TIME_NONE, running = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID(ts) && segment->format == GST_FORMAT_TIME) {
    stream = gst_segment_to_stream_time(segment, GST_FORMAT_TIME, ts);
    running = gst_segment_to_running_time(segment, GST_FORMAT_TIME, ts);
  }
  return gst_structure_new(name, "timestamp", G_TYPE_UINT64, ts, "stream-time", G_TYPE_UINT64,
                           stream, "running-time", G_TYPE_UINT64, running, "duration",
                           G_TYPE_UINT64, duration, NULL);
}

GstMessage *vigil_anomaly_event_message(GstElement *src, const GstSegment *segment,
                                        const gchar *kind, GstClockTime start, GstClockTime until,
                                        gdouble score, gdouble threshold, gdouble peak,
                                        guint64 frames)
{
  GstClockTime duration = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID(start) && GST_CLOCK_TIME_IS_VALID(until) && until >= start)
    duration = until - start;
  GstStructure *s = timed_structure("anomaly", segment, start, duration);
  gst_structure_set(s, "event", G_TYPE_STRING, kind, "score", G_TYPE_DOUBLE, score, "threshold",
                    G_TYPE_DOUBLE, threshold, NULL);
  if (g_strcmp0(kind, "end") == 0)
    gst_structure_set(s, "peak-score", G_TYPE_DOUBLE, peak, "frames", G_TYPE_UINT64, frames, NULL);
  return gst_message_new_element(GST_OBJECT(src), s);
}

void vigil_anomaly_summary_clear(VigilAnomalySummary *sum)
{
  sum->start = GST_CLOCK_TIME_NONE;
  sum->elapsed = 0;
  sum->frames = 0;
  sum->nonfinite = 0;
  sum->sum = 0.0;
  sum->max = -INFINITY;
}

GstMessage *vigil_anomaly_summary_message(GstElement *src, const GstSegment *segment,
                                          const VigilAnomalySummary *sum, gdouble threshold,
                                          gboolean warming, gboolean in_event)
{
  GstStructure *s = timed_structure("anomalyscore", segment, sum->start, sum->elapsed);
  gst_structure_set(
      s, "frames", G_TYPE_UINT64, sum->frames, "nonfinite-frames", G_TYPE_UINT64, sum->nonfinite,
      "mean-score", G_TYPE_DOUBLE, sum->frames ? sum->sum / (gdouble)sum->frames : NAN, "max-score",
      G_TYPE_DOUBLE, sum->frames ? sum->max : NAN, "threshold", G_TYPE_DOUBLE, threshold,
      "warming-up", G_TYPE_BOOLEAN, warming, "in-event", G_TYPE_BOOLEAN, in_event, NULL);
  return gst_message_new_element(GST_OBJECT(src), s);
}
