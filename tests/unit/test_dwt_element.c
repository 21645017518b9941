/* GstHarness tests of the dwt element: frame counts and values of a known signal, EOS tail,
 * FLUSH and DISCONT restarts, timestamps, latency, refused settings.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#define CAPS "audio/x-raw, format=F32LE, layout=interleaved, rate=8, channels=1"

static GstHarness *new_dwt(const gchar *props)
{
  gchar *desc = g_strdup_printf("dwt %s", props);
  GstHarness *h = gst_harness_new_parse(desc);
  g_free(desc);
  gst_harness_set_src_caps_str(h, CAPS);
  return h;
}

static GstBuffer *frames(const gfloat *v, guint n, guint64 first)
{
  GstBuffer *b = gst_buffer_new_memdup(v, n * sizeof(gfloat));
  GST_BUFFER_PTS(b) = gst_util_uint64_scale(first, GST_SECOND, 8);
  GST_BUFFER_DURATION(b) = gst_util_uint64_scale(first + n, GST_SECOND, 8) - GST_BUFFER_PTS(b);
  return b;
}

/* Value k of tensor t of a pulled buffer. */
static gfloat value(GstBuffer *b, guint t, guint k)
{
  gfloat v = 0;
  GstMemory *m = gst_buffer_peek_memory(b, t);
  GstMapInfo info;
  fail_unless(gst_memory_map(m, &info, GST_MAP_READ));
  fail_unless(k * sizeof(gfloat) < info.size);
  v = ((const gfloat *)info.data)[k];
  gst_memory_unmap(m, &info);
  return v;
}

/* haar, 2 levels, x = 1..8: cA_2 of the block {1,2,3,4}... mode 'zero' with L=2 is plain Haar:
 * a1 = (x0 + x1)/sqrt2 ..., so block b has cA_2 = (sum of its 4 samples) / 2. */
GST_START_TEST(test_haar_values_and_tail)
{
  GstHarness *h = new_dwt("wavelet=haar levels=2");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  const gfloat x[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  fail_unless_equals_int(gst_harness_push(h, frames(x, 10, 0)), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull(h);
  fail_unless_equals_int(gst_buffer_n_memory(out), 3);
  fail_unless_equals_uint64(GST_BUFFER_PTS(out), 0);
  fail_unless_equals_uint64(GST_BUFFER_DURATION(out), GST_SECOND); /* 2 frames of 4/8 s */
  fail_unless(fabsf(value(out, 0, 0) - 5.0f) < 1e-6f, "cA_2[0] = %g", value(out, 0, 0));
  fail_unless(fabsf(value(out, 0, 1) - 13.0f) < 1e-6f);
  fail_unless(fabsf(value(out, 1, 0) - (-2.0f)) < 1e-6f, "cD_2[0] = %g", value(out, 1, 0));
  fail_unless(fabsf(value(out, 2, 0) - (-1.0f / sqrtf(2))) < 1e-6f);
  gst_buffer_unref(out);
  /* EOS: pywt gives 5 level-1 and 3 level-2 coefficients: one more frame, padded with zeros. */
  fail_unless(gst_harness_push_event(h, gst_event_new_eos()));
  out = gst_harness_pull(h);
  fail_unless_equals_uint64(GST_BUFFER_PTS(out), GST_SECOND);
  fail_unless(fabsf(value(out, 0, 0) - 19.0f / 2.0f) < 1e-6f, "tail cA_2 = %g", value(out, 0, 0));
  fail_unless(fabsf(value(out, 2, 0) - (-1.0f / sqrtf(2))) < 1e-6f); /* (9 - 10) / sqrt2 */
  fail_unless_equals_float(value(out, 2, 1), 0.0f);                  /* padding */
  gst_buffer_unref(out);
  /* The segment-end message gives pywt's lengths: 3 (cA_2), 3 (cD_2), 5 (cD_1). */
  GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
  fail_unless(msg != NULL);
  const GstStructure *st = gst_message_get_structure(msg);
  fail_unless(gst_structure_has_name(st, "dwt"));
  const GValue *lengths = gst_structure_get_value(st, "lengths");
  fail_unless_equals_int(gst_value_array_get_size(lengths), 3);
  fail_unless_equals_uint64(g_value_get_uint64(gst_value_array_get_value(lengths, 0)), 3);
  fail_unless_equals_uint64(g_value_get_uint64(gst_value_array_get_value(lengths, 2)), 5);
  guint64 frames_in = 0, ts = 0;
  fail_unless(gst_structure_get_uint64(st, "input-frames", &frames_in));
  fail_unless_equals_uint64(frames_in, 10);
  fail_unless(gst_structure_get_uint64(st, "timestamp", &ts));
  fail_unless_equals_uint64(ts, GST_SECOND);
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* haar, 1 level, 2 frames: the one block holds pywt's 1 + 1 coefficients, so EOS has no tail to
 * push; the segment still ends with its message (lengths 1, 1; tail-frames 0). */
GST_START_TEST(test_message_without_tail)
{
  GstHarness *h = new_dwt("wavelet=haar levels=1");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  const gfloat x[2] = {1, 3};
  fail_unless_equals_int(gst_harness_push(h, frames(x, 2, 0)), GST_FLOW_OK);
  gst_buffer_unref(gst_harness_pull(h));
  fail_unless(gst_harness_push_event(h, gst_event_new_eos()));
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 0);
  GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
  fail_unless(msg != NULL, "no dwt message for a segment without a tail");
  const GstStructure *st = gst_message_get_structure(msg);
  guint tail = 99;
  fail_unless(gst_structure_get_uint(st, "tail-frames", &tail));
  fail_unless_equals_int(tail, 0);
  const GValue *lengths = gst_structure_get_value(st, "lengths");
  fail_unless_equals_uint64(g_value_get_uint64(gst_value_array_get_value(lengths, 0)), 1);
  fail_unless_equals_uint64(g_value_get_uint64(gst_value_array_get_value(lengths, 1)), 1);
  gst_message_unref(msg);
  gst_element_set_bus(h->element, NULL);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* After FLUSH_STOP and after DISCONT the transform starts again from zero history, and its first
 * output is flagged DISCONT so that downstream history restarts too. */
GST_START_TEST(test_flush_restarts)
{
  GstHarness *h = new_dwt("wavelet=db2 levels=1");
  const gfloat x[6] = {3, -1, 4, 1, -5, 9};
  gst_harness_push(h, frames(x, 6, 0));
  GstBuffer *ref = gst_harness_pull(h);
  fail_unless(GST_BUFFER_IS_DISCONT(ref), "the first output is not DISCONT");
  gst_harness_push(h, frames(x, 5, 6));
  GstBuffer *next = gst_harness_pull(h);
  fail_if(GST_BUFFER_IS_DISCONT(next), "a continuing output is DISCONT");
  gst_buffer_unref(next);
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_start()));
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  gst_harness_set_src_caps_str(h, CAPS);
  gst_harness_push_event(h, gst_event_new_segment(&(GstSegment){.format = GST_FORMAT_TIME,
                                                                .rate = 1.0,
                                                                .applied_rate = 1.0,
                                                                .stop = GST_CLOCK_TIME_NONE,
                                                                .duration = GST_CLOCK_TIME_NONE}));
  gst_harness_push(h, frames(x, 6, 0));
  GstBuffer *again = gst_harness_pull(h);
  fail_unless(GST_BUFFER_IS_DISCONT(again), "the first output after FLUSH is not DISCONT");
  for (guint k = 0; k < 3; k++)
    fail_unless_equals_float(value(again, 0, k), value(ref, 0, k));
  gst_buffer_unref(again);
  /* DISCONT: the previous segment's tail comes out first, then a fresh transform. */
  GstBuffer *d = frames(x, 6, 100);
  GST_BUFFER_FLAG_SET(d, GST_BUFFER_FLAG_DISCONT);
  gst_harness_push(h, d);
  GstBuffer *tail = gst_harness_pull(h); /* db2 'zero': 4 = (6 + 3) / 2 coefficients, 3 out */
  fail_unless_equals_int(gst_buffer_get_size(tail), 2 * sizeof(gfloat));
  fail_if(GST_BUFFER_IS_DISCONT(tail), "the tail of a segment is DISCONT");
  gst_buffer_unref(tail);
  again = gst_harness_pull(h);
  fail_unless(GST_BUFFER_IS_DISCONT(again), "the first output after DISCONT is not DISCONT");
  fail_unless_equals_uint64(GST_BUFFER_PTS(again), gst_util_uint64_scale(100, GST_SECOND, 8));
  for (guint k = 0; k < 3; k++)
    fail_unless_equals_float(value(again, 1, k), value(ref, 1, k));
  gst_buffer_unref(again);
  gst_buffer_unref(ref);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_swt_frames)
{
  GstHarness *h = new_dwt("transform=swt wavelet=haar levels=2");
  const gfloat x[3] = {2, 2, 2};
  fail_unless_equals_int(gst_harness_push(h, gst_buffer_new()), GST_FLOW_OK); /* no frame */
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 0);
  gst_harness_push(h, frames(x, 3, 0));
  GstBuffer *out = gst_harness_pull(h);
  fail_unless_equals_int(gst_buffer_get_size(out), 3 * 3 * sizeof(gfloat)); /* 3 bands x 3 */
  fail_unless_equals_uint64(GST_BUFFER_PTS(out), 0);
  /* frame 2, settled past level 1: cD_1 = (2 - 2)/sqrt2 = 0, and cA_1 = 4/sqrt2 */
  fail_unless(fabsf(value(out, 0, 2 * 3 + 2)) < 1e-6f);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* A caps change ends the segment: the old stream's tail leaves under the old caps, then the new
 * caps follow. */
GST_START_TEST(test_caps_change)
{
  GstHarness *h = new_dwt("wavelet=haar levels=1");
  const gfloat x[5] = {1, 1, 1, 1, 1};
  gst_harness_push(h, frames(x, 5, 0));
  gst_buffer_unref(gst_harness_pull(h)); /* 2 frames */
  gst_harness_set_src_caps_str(h, "audio/x-raw, format=F32LE, layout=interleaved, rate=16, "
                                  "channels=1");
  GstBuffer *tail = gst_harness_push_and_pull(h, frames(x, 2, 0));
  /* haar 'zero' on 5 samples: 3 coefficients, the last (1 + 0)/sqrt2 */
  fail_unless_equals_int(gst_buffer_get_size(tail), 2 * sizeof(gfloat));
  fail_unless(fabsf(value(tail, 0, 0) - 1.0f / sqrtf(2)) < 1e-6f);
  gst_buffer_unref(tail);
  GstBuffer *next = gst_harness_pull(h);
  fail_unless(fabsf(value(next, 0, 0) - 2.0f / sqrtf(2)) < 1e-6f);
  gst_buffer_unref(next);
  GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
  const GstStructure *st = gst_caps_get_structure(caps, 0);
  gint n, d;
  fail_unless(gst_structure_get_fraction(st, "framerate", &n, &d));
  fail_unless_equals_int(n, 8);
  fail_unless_equals_int(d, 1);
  gst_caps_unref(caps);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* wavelet=NULL (from an application) restores the default instead of naming a "(null)" wavelet. */
GST_START_TEST(test_wavelet_null)
{
  GstElement *e = gst_element_factory_make("dwt", NULL);
  gchar *name = NULL;
  g_object_set(e, "wavelet", "haar", NULL);
  g_object_set(e, "wavelet", NULL, NULL);
  g_object_get(e, "wavelet", &name, NULL);
  fail_unless_equals_string(name, "db4");
  g_free(name);
  gst_object_unref(e);
}
GST_END_TEST;

/* A first buffer without PTS starts at its segment's start: frames are then counted from there
 * (it once took the first PTS seen later as the origin). */
GST_START_TEST(test_first_buffer_without_pts)
{
  GstHarness *h = new_dwt("wavelet=haar levels=1");
  const gfloat x[4] = {1, 2, 3, 4};
  GstBuffer *b = frames(x, 4, 0);
  GST_BUFFER_PTS(b) = GST_CLOCK_TIME_NONE;
  fail_unless_equals_int(gst_harness_push(h, b), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull(h);
  fail_unless_equals_uint64(GST_BUFFER_PTS(out), 0);
  gst_buffer_unref(out);
  fail_unless_equals_int(gst_harness_push(h, frames(x, 4, 4)), GST_FLOW_OK);
  out = gst_harness_pull(h);
  fail_unless_equals_uint64(GST_BUFFER_PTS(out), GST_SECOND / 2); /* frame 4 at 8 Hz */
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* LATENCY: transform=dwt adds the 2^J - 1 frame periods its blocks wait for (3 frames of 1/8 s at
 * J = 2); swt adds nothing. */
GST_START_TEST(test_latency)
{
  GstHarness *h = new_dwt("wavelet=haar levels=2");
  gst_harness_set_upstream_latency(h, 10 * GST_MSECOND);
  fail_unless_equals_uint64(gst_harness_query_latency(h), 10 * GST_MSECOND + 375 * GST_MSECOND);
  gst_harness_teardown(h);
  h = new_dwt("transform=swt wavelet=haar levels=2");
  gst_harness_set_upstream_latency(h, 10 * GST_MSECOND);
  fail_unless_equals_uint64(gst_harness_query_latency(h), 10 * GST_MSECOND);
  gst_harness_teardown(h);
}
GST_END_TEST;

static Suite *dwt_suite(void)
{
  Suite *s = suite_create("dwt");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_haar_values_and_tail);
  tcase_add_test(tc, test_message_without_tail);
  tcase_add_test(tc, test_flush_restarts);
  tcase_add_test(tc, test_swt_frames);
  tcase_add_test(tc, test_caps_change);
  tcase_add_test(tc, test_latency);
  tcase_add_test(tc, test_first_buffer_without_pts);
  tcase_add_test(tc, test_wavelet_null);
  return s;
}

GST_CHECK_MAIN(dwt);
