/* watch-anomalies: runs a pipeline and prints every `anomaly` message that anomalyscore posts.
 *
 * Usage: watch-anomalies 'PIPELINE DESCRIPTION'
 * Exits 0 at EOS, 1 on a pipeline error (with GStreamer's message), 2 on bad usage.
 * This is the C half of docs/tutorials/sensor-monitoring.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/gst.h>

/* Prints one event; returns FALSE for messages that are not anomaly events. */
static gboolean print_anomaly(GstMessage *msg)
{
  const GstStructure *s = gst_message_get_structure(msg);
  if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ELEMENT || !s || !gst_structure_has_name(s, "anomaly"))
    return FALSE;

  const gchar *event = gst_structure_get_string(s, "event");
  /* timestamp: when the event started; for an end, duration: how long it lasted. */
  guint64 ts = GST_CLOCK_TIME_NONE, length = 0;
  gdouble score = 0, peak = 0, threshold = 0;
  gst_structure_get_uint64(s, "timestamp", &ts);
  gst_structure_get_double(s, "score", &score);
  gst_structure_get_double(s, "threshold", &threshold);
  if (g_strcmp0(event, "end") == 0) {
    gst_structure_get_double(s, "peak-score", &peak);
    gst_structure_get_uint64(s, "duration", &length);
    g_print("anomaly end: started at %.3f s, lasted %.3f s, peak score %.4g (threshold %.4g)\n",
            (double)ts / GST_SECOND, (double)length / GST_SECOND, peak, threshold);
  } else {
    g_print("anomaly start at %.3f s: score %.4g (threshold %.4g)\n", (double)ts / GST_SECOND,
            score, threshold);
  }
  return TRUE;
}

int main(int argc, char **argv)
{
  GError *error = NULL;
  gst_init(&argc, &argv);
  if (argc != 2) {
    g_printerr("usage: %s 'PIPELINE DESCRIPTION'\n", argv[0]);
    return 2;
  }
  GstElement *pipeline = gst_parse_launch(argv[1], &error);
  if (!pipeline) {
    g_printerr("could not build the pipeline: %s\n", error->message);
    g_error_free(error);
    return 2;
  }
  gst_element_set_state(pipeline, GST_STATE_PLAYING);

  GstBus *bus = gst_element_get_bus(pipeline);
  int status = -1;
  while (status < 0) {
    GstMessage *msg = gst_bus_timed_pop(bus, GST_CLOCK_TIME_NONE);
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
      status = 0;
    } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      gchar *debug = NULL;
      gst_message_parse_error(msg, &error, &debug);
      g_printerr("error from %s: %s\n%s\n", GST_OBJECT_NAME(msg->src), error->message,
                 debug ? debug : "");
      g_clear_error(&error);
      g_free(debug);
      status = 1;
    } else {
      print_anomaly(msg);
    }
    gst_message_unref(msg);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return status;
}
