/* Vigil: the bus messages of anomalyscore (docs/elements/anomalyscore.md lists every field).
 *
 * Both follow GStreamer's `level`: `timestamp`, `stream-time`, `running-time` and `duration`
 * describe the interval the message covers, followed by the payload.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VIGIL_ANOMALYMESSAGES_H
#define VIGIL_ANOMALYMESSAGES_H

#include <gst/gst.h>

G_BEGIN_DECLS

/* An "anomaly" event message. kind is "start" or "end"; start is the time of the event's first
 * frame, until the time after the reporting frame (start: the frame that confirmed it; end: the
 * first frame back below the end level). peak and frames are put in end messages only. */
GstMessage *vigil_anomaly_event_message(GstElement *src, const GstSegment *segment,
                                        const gchar *kind, GstClockTime start, GstClockTime until,
                                        gdouble score, gdouble threshold, gdouble peak,
                                        guint64 frames);

/* The interval accumulated for an "anomalyscore" summary message. */
typedef struct {
  GstClockTime start; /* time of the interval's first frame */
  GstClockTime elapsed;
  guint64 frames;    /* scored */
  guint64 nonfinite; /* not scored */
  gdouble sum, max;
} VigilAnomalySummary;

void vigil_anomaly_summary_clear(VigilAnomalySummary *sum);
GstMessage *vigil_anomaly_summary_message(GstElement *src, const GstSegment *segment,
                                          const VigilAnomalySummary *sum, gdouble threshold,
                                          gboolean warming, gboolean in_event);

G_END_DECLS

#endif
