/* Vigil: anomalyscore's instance, shared by its files: gstanomalyscore.c (class, properties,
 * states) and anomalyscorestream.c (caps, events, buffers, messages).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VIGIL_ANOMALYSCOREPRIVATE_H
#define VIGIL_ANOMALYSCOREPRIVATE_H

#include "gstanomalyscore.h"
#include "anomaly/vg_anomaly.h"
#include "anomalymessages.h"
#include "tensorcaps.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN(gst_anomalyscore_debug);

struct _GstAnomalyscore {
  GstElement parent;
  GstPad *sinkpad, *srcpad;

  /* properties, under the object lock */
  VgAnomalyConfig cfg; /* channels unused here */
  gboolean pass_input, post_events, post_messages;
  gint score_tensor; /* -1: all tensors are channels; k: tensor k only (set in NULL/READY) */
  GstClockTime interval;
  GstAnomalyscoreDiscont discont;
  gboolean rebuild;                        /* a property that shapes the statistics changed */
  gboolean events_changed;                 /* threshold, hysteresis or min-duration changed */
  guint64 n_frames, n_nonfinite, n_events; /* counters */
  gdouble current_threshold;

  /* streaming state, owned by the streaming thread */
  VigilTensorsInfo in_info, out_info;
  gboolean out_pass_input; /* pass_input when out_info was made */
  gsize channels;
  gint scored_tensor; /* score_tensor as the current caps were set with */
  GArray *gather;     /* one frame of K values gathered from several tensors */
  GPtrArray
      *msgs; /* messages a buffer caused, posted after it (reused: no allocation per buffer) */
  VgAnomaly *scorer;
  GstSegment segment;
  gboolean pending_discont;
  GstClockTime next_time; /* time after the last frame seen */
  gdouble last_score;
  VigilAnomalySummary summary;
  gboolean summary_warned; /* post-messages without frame durations: warned once */
  guint64 undated_frames;  /* frames without a duration, left out of the summaries */
};

gboolean gst_anomalyscore_sink_event(GstPad *pad, GstObject *parent, GstEvent *event);
GstFlowReturn gst_anomalyscore_chain(GstPad *pad, GstObject *parent, GstBuffer *buf);
/* Frees the streaming state (scorer, caps); the element is ready to negotiate again. */
void gst_anomalyscore_clear_stream(GstAnomalyscore *self);

G_END_DECLS

#endif
