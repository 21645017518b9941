/* Vigil: the enum types of anomalyscore's properties.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gstanomalyscore.h"
#include "anomaly/vg_anomaly.h"

GType gst_anomalyscore_method_get_type(void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
      {VG_ANOMALY_THRESHOLD, "The combined value itself against a fixed or learned threshold",
       "threshold"},
      {VG_ANOMALY_ZSCORE, "|x - mean| / deviation per channel (cumulative or exponential)",
       "zscore"},
      {VG_ANOMALY_MAD, "|x - median| / (1.4826 MAD) per channel over a sliding window", "mad"},
      {VG_ANOMALY_LIKELIHOOD,
       "Anomaly likelihood: 1 - tail probability of the recent mean under the long-run "
       "distribution",
       "likelihood"},
      {0, NULL, NULL}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstAnomalyscoreMethod", values));
  return type;
}

GType gst_anomalyscore_combine_get_type(void)
{
  static GType type = 0;
  static const GEnumValue values[] = {{VG_COMBINE_MAX, "Largest channel score", "max"},
                                      {VG_COMBINE_MEAN, "Mean of the channel scores", "mean"},
                                      {VG_COMBINE_L2, "Euclidean norm of the channel scores", "l2"},
                                      {0, NULL, NULL}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstAnomalyscoreCombine", values));
  return type;
}

GType gst_anomalyscore_discont_get_type(void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_ANOMALYSCORE_DISCONT_KEEP, "Ignore discontinuities", "keep"},
      {GST_ANOMALYSCORE_DISCONT_RESTART,
       "End any event and restart the short-term history; keep what was learned", "restart"},
      {GST_ANOMALYSCORE_DISCONT_RESET, "End any event and forget everything learned: warm up again",
       "reset"},
      {0, NULL, NULL}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstAnomalyscoreDiscont", values));
  return type;
}
