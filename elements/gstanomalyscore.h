/* Vigil: anomalyscore, anomaly scores, thresholds and events for tensor streams.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GST_ANOMALYSCORE_H
#define GST_ANOMALYSCORE_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ANOMALYSCORE (gst_anomalyscore_get_type())
G_DECLARE_FINAL_TYPE(GstAnomalyscore, gst_anomalyscore, GST, ANOMALYSCORE, GstElement)

/* What a DISCONT buffer (or a flush) does to the statistics. */
typedef enum {
  GST_ANOMALYSCORE_DISCONT_KEEP,
  GST_ANOMALYSCORE_DISCONT_RESTART,
  GST_ANOMALYSCORE_DISCONT_RESET,
} GstAnomalyscoreDiscont;

#define GST_TYPE_ANOMALYSCORE_METHOD  (gst_anomalyscore_method_get_type())
#define GST_TYPE_ANOMALYSCORE_COMBINE (gst_anomalyscore_combine_get_type())
#define GST_TYPE_ANOMALYSCORE_DISCONT (gst_anomalyscore_discont_get_type())
GType gst_anomalyscore_method_get_type(void);
GType gst_anomalyscore_combine_get_type(void);
GType gst_anomalyscore_discont_get_type(void);

G_END_DECLS

#endif
