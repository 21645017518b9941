/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "stftmessage.h"

/* timestamp, stream-time, running-time and duration, as `level` and `spectrum` post them. */
static GstStructure *timed_structure(const gchar *name, const VigilStftTiming *t)
{
  GstClockTime stream_time = GST_CLOCK_TIME_NONE, running_time = GST_CLOCK_TIME_NONE;
  if (t->segment && t->segment->format == GST_FORMAT_TIME &&
      GST_CLOCK_TIME_IS_VALID(t->timestamp)) {
    stream_time = gst_segment_to_stream_time(t->segment, GST_FORMAT_TIME, t->timestamp);
    running_time = gst_segment_to_running_time(t->segment, GST_FORMAT_TIME, t->timestamp);
  }
  return gst_structure_new(name, "timestamp", G_TYPE_UINT64, t->timestamp, "stream-time",
                           G_TYPE_UINT64, stream_time, "running-time", G_TYPE_UINT64, running_time,
                           "duration", G_TYPE_UINT64, t->duration, NULL);
}

/* Appends value to a GST_TYPE_LIST or GST_TYPE_ARRAY container. */
static void append_double(GValue *list, GType type, gdouble v)
{
  GValue item = G_VALUE_INIT;
  g_value_init(&item, type);
  if (type == G_TYPE_FLOAT)
    g_value_set_float(&item, (gfloat)v);
  else
    g_value_set_double(&item, v);
  gst_value_list_append_and_take_value(list, &item);
}

GstMessage *vigil_stft_message_new(GstObject *src, const VigilStftTiming *t, const gchar *output,
                                   const VgFrameMean *mean, guint bands, guint channels,
                                   gdouble *scratch)
{
  GstStructure *s = timed_structure("stft", t);
  gst_structure_set(s, "output", G_TYPE_STRING, output, "frames", G_TYPE_UINT,
                    (guint)vg_frame_mean_count(mean), "bands", G_TYPE_UINT, bands, "channels",
                    G_TYPE_UINT, channels, NULL);
  vg_frame_mean_get(mean, scratch);
  GValue array = G_VALUE_INIT;
  g_value_init(&array, GST_TYPE_ARRAY);
  for (guint c = 0; c < channels; c++) {
    GValue list = G_VALUE_INIT;
    g_value_init(&list, GST_TYPE_LIST);
    for (guint b = 0; b < bands; b++)
      append_double(&list, G_TYPE_FLOAT, scratch[(gsize)c * bands + b]);
    gst_value_array_append_and_take_value(&array, &list);
  }
  gst_structure_take_value(s, "values", &array);
  return gst_message_new_element(src, s);
}

GstMessage *vigil_stft_periods_message_new(GstObject *src, const VigilStftTiming *t,
                                           const VgPeriod *periods, guint n, gdouble rate)
{
  GstStructure *s = timed_structure("stft-periods", t);
  GValue secs = G_VALUE_INIT, samples = G_VALUE_INIT, freqs = G_VALUE_INIT, amps = G_VALUE_INIT;
  g_value_init(&secs, GST_TYPE_LIST);
  g_value_init(&samples, GST_TYPE_LIST);
  g_value_init(&freqs, GST_TYPE_LIST);
  g_value_init(&amps, GST_TYPE_LIST);
  for (guint i = 0; i < n; i++) {
    append_double(&secs, G_TYPE_DOUBLE, periods[i].period / rate);
    append_double(&samples, G_TYPE_DOUBLE, periods[i].period);
    append_double(&freqs, G_TYPE_DOUBLE, rate / periods[i].period);
    append_double(&amps, G_TYPE_DOUBLE, periods[i].amplitude);
  }
  gst_structure_take_value(s, "periods", &secs);
  gst_structure_take_value(s, "periods-samples", &samples);
  gst_structure_take_value(s, "frequencies", &freqs);
  gst_structure_take_value(s, "amplitudes", &amps);
  return gst_message_new_element(src, s);
}
