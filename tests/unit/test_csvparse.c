/* GstHarness tests of csvparse and csvenc: caps, column names, timestamps, DISCONT, dropped rows,
 * byte-by-byte input, flushes, errors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <math.h>

static void push_text(GstHarness *h, const gchar *text, gsize piece)
{
  gsize len = strlen(text);
  for (gsize pos = 0; pos < len; pos += piece) {
    gsize n = MIN(piece, len - pos);
    fail_unless_equals_int(gst_harness_push(h, gst_buffer_new_memdup(text + pos, n)), GST_FLOW_OK);
  }
}

/* A harness around a csvparse with properties given as "name=value" words. */
static GstHarness *parse_harness(const gchar *props)
{
  GstElement *element = gst_element_factory_make("csvparse", NULL);
  gchar **words = g_strsplit(props ? props : "", " ", -1);
  for (gchar **w = words; *w; w++) {
    gchar **kv = g_strsplit(*w, "=", 2);
    if (kv[0] && kv[1])
      gst_util_set_object_arg(G_OBJECT(element), kv[0], kv[1]);
    g_strfreev(kv);
  }
  g_strfreev(words);
  GstHarness *h = gst_harness_new_with_element(element, "sink", "src");
  gst_object_unref(element);
  gst_harness_set_src_caps_str(h, "text/csv");
  return h;
}

/* Pulls the next buffer and checks its frames: values (n_frames * n_values), PTS, DISCONT. */
static void expect_buffer(GstHarness *h, guint n_values, const gfloat *values, guint n_frames,
                          GstClockTime pts, GstClockTime duration, gboolean discont)
{
  GstBuffer *buf = gst_harness_pull(h);
  GstMapInfo map;
  fail_unless(buf != NULL);
  fail_unless(gst_buffer_map(buf, &map, GST_MAP_READ));
  fail_unless_equals_int(map.size, n_frames * n_values * sizeof(gfloat));
  for (guint i = 0; i < n_frames * n_values; i++) {
    gfloat v = ((const gfloat *)map.data)[i];
    fail_unless(v == values[i] || (isnan(v) && isnan(values[i])), "value %u: %g != %g", i, v,
                values[i]);
  }
  gst_buffer_unmap(buf, &map);
  fail_unless_equals_uint64(GST_BUFFER_PTS(buf), pts);
  fail_unless_equals_uint64(GST_BUFFER_DURATION(buf), duration);
  fail_unless_equals_int(GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT), discont);
  gst_buffer_unref(buf);
}

static guint64 dropped(GstHarness *h)
{
  guint64 n;
  g_object_get(h->element, "dropped-rows", &n, NULL);
  return n;
}

GST_START_TEST(test_bytewise_bom_crlf)
{
  GstHarness *h = parse_harness(NULL);
  push_text(h,
            "\xEF\xBB\xBF"
            "datetime;a;b\r\n2020-01-01 00:00:00;1;2\r\n2020-01-01 00:00:01.5;3;4\r\n"
            "2020-01-01 00:00:02;5;6",
            1);
  gst_harness_push_event(h, gst_event_new_eos());
  GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
  GstStructure *st = gst_caps_get_structure(caps, 0);
  fail_unless_equals_string(gst_structure_get_string(st, "dimensions"), "2");
  gint n, d;
  fail_unless(gst_structure_get_fraction(st, "framerate", &n, &d) && n == 0 && d == 1);
  const GValue *names = gst_structure_get_value(st, "column-names");
  fail_unless(names && gst_value_array_get_size(names) == 2);
  fail_unless_equals_string(g_value_get_string(gst_value_array_get_value(names, 0)), "a");
  fail_unless_equals_string(g_value_get_string(gst_value_array_get_value(names, 1)), "b");
  gst_caps_unref(caps);
  gfloat r0[] = {1, 2}, r1[] = {3, 4}, r2[] = {5, 6};
  expect_buffer(h, 2, r0, 1, 0, GST_CLOCK_TIME_NONE, TRUE);
  expect_buffer(h, 2, r1, 1, 1500 * GST_MSECOND, 1500 * GST_MSECOND, FALSE);
  expect_buffer(h, 2, r2, 1, 2 * GST_SECOND, 500 * GST_MSECOND, FALSE);
  fail_unless_equals_int(dropped(h), 0);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_dropped_rows_discont)
{
  GstHarness *h = parse_harness("timestamp-column=none rate=10/1");
  push_text(h, "x,y\n1,2\n3\n4,abc\n5,6\n7,8\n", 5);
  gfloat r0[] = {1, 2}, r3[] = {5, 6}, r4[] = {7, 8};
  expect_buffer(h, 2, r0, 1, 0, 100 * GST_MSECOND, TRUE);
  /* rows 1 and 2 dropped: row 3 keeps its time (300 ms), flagged DISCONT */
  expect_buffer(h, 2, r3, 1, 300 * GST_MSECOND, 100 * GST_MSECOND, TRUE);
  expect_buffer(h, 2, r4, 1, 400 * GST_MSECOND, 100 * GST_MSECOND, FALSE);
  fail_unless_equals_int(dropped(h), 2);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_frames_per_buffer_rate)
{
  GstHarness *h = parse_harness("frames-per-buffer=4 rate=4/1");
  push_text(h, "v\n0\n1\n2\n3\n4\n5\n", 3);
  gst_harness_push_event(h, gst_event_new_eos());
  gfloat a[] = {0, 1, 2, 3}, b[] = {4, 5};
  expect_buffer(h, 1, a, 4, 0, GST_SECOND, TRUE);
  expect_buffer(h, 1, b, 2, GST_SECOND, GST_SECOND / 2, FALSE);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_irregular_times_and_gap)
{
  GstHarness *h = parse_harness("frames-per-buffer=8 timestamp-column=t");
  push_text(h, "t\tv\n0\t0\n1\t1\n2\t2\n3\t3\n5\t5\n6\t6\n30\t30\n31\t31\n", 64);
  gst_harness_push_event(h, gst_event_new_eos());
  gfloat a[] = {0, 1, 2, 3}, b[] = {5, 6}, c[] = {30, 31};
  expect_buffer(h, 1, a, 4, 0, 4 * GST_SECOND, TRUE);
  expect_buffer(h, 1, b, 2, 5 * GST_SECOND, 2 * GST_SECOND, FALSE); /* 2 s: not a gap */
  expect_buffer(h, 1, c, 2, 30 * GST_SECOND, 2 * GST_SECOND, TRUE); /* 24 s > 4 x 1 s: a gap */
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_allow_nan)
{
  GstHarness *h = parse_harness("allow-nan=true");
  push_text(h, "time,a,b\n0,,1\n1,NaN,2\n", 4);
  gfloat r0[] = {NAN, 1}, r1[] = {NAN, 2};
  expect_buffer(h, 2, r0, 1, 0, GST_CLOCK_TIME_NONE, TRUE);
  expect_buffer(h, 2, r1, 1, GST_SECOND, GST_SECOND, FALSE);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_flush_discards_partial_line)
{
  GstHarness *h = parse_harness("timestamp-column=none");
  push_text(h, "a,b\n1,2\n9,", 64);
  gst_harness_push_event(h, gst_event_new_flush_start());
  gst_harness_push_event(h, gst_event_new_flush_stop(TRUE));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_BYTES);
  gst_harness_push_event(h, gst_event_new_segment(&segment));
  push_text(h, "5,6\n", 64);
  gfloat r0[] = {1, 2}, r1[] = {5, 6};
  expect_buffer(h, 2, r0, 1, 0, GST_SECOND, TRUE);
  /* "9," was dropped by the flush: the next row is 5,6, flagged DISCONT */
  GstBuffer *buf = gst_harness_pull(h);
  GstMapInfo map;
  fail_unless(gst_buffer_map(buf, &map, GST_MAP_READ));
  fail_unless(memcmp(map.data, r1, sizeof r1) == 0);
  gst_buffer_unmap(buf, &map);
  fail_unless(GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref(buf);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* Runs text through csvparse with props and expects an error message containing needle. */
static void expect_error(const gchar *props, const gchar *text, const gchar *needle)
{
  GstHarness *h = parse_harness(props);
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gsize len = strlen(text);
  GstFlowReturn ret = GST_FLOW_OK;
  if (len > 0)
    ret = gst_harness_push(h, gst_buffer_new_memdup(text, len));
  if (ret == GST_FLOW_OK)
    gst_harness_push_event(h, gst_event_new_eos());
  GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  fail_unless(msg != NULL, "no error for %s", text);
  GError *error = NULL;
  gchar *debug = NULL;
  gst_message_parse_error(msg, &error, &debug);
  fail_unless(strstr(error->message, needle) != NULL, "'%s' lacks '%s'", error->message, needle);
  g_error_free(error);
  g_free(debug);
  gst_message_unref(msg);
  gst_element_set_bus(h->element, NULL);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

GST_START_TEST(test_errors)
{
  expect_error(NULL, "", "no header row");
  expect_error(NULL, "\n  \n", "no header row");
  expect_error(NULL, "1,2\n3,4\n", "needs a header row");
  expect_error("columns=a,nope", "a,b\n1,2\n", "'nope' is neither a header name");
  expect_error("timestamp-column=when", "a,b\n1,2\n", "timestamp-column 'when'");
  expect_error(NULL, "time,label\n1,abc\n", "no numeric column");
}
GST_END_TEST;

GST_START_TEST(test_csvenc_multi_tensor)
{
  GstHarness *h = gst_harness_new("csvenc");
  gst_harness_set_src_caps_str(h, "other/tensors, format=static, num_tensors=2, "
                                  "types=\"float32,float32\", dimensions=\"2,1\", "
                                  "framerate=10/1");
  /* 3 frames: tensor 0 holds 2 values per frame, tensor 1 one value per frame */
  gfloat t0[] = {1, 2, 3, 4, 5, 6}, t1[] = {0.1f, NAN, -1e-7f};
  GstBuffer *buf = gst_buffer_new();
  gst_buffer_append_memory(buf, gst_memory_new_wrapped(0, g_memdup2(t0, sizeof t0), sizeof t0, 0,
                                                       sizeof t0, NULL, NULL));
  gst_buffer_append_memory(buf, gst_memory_new_wrapped(0, g_memdup2(t1, sizeof t1), sizeof t1, 0,
                                                       sizeof t1, NULL, NULL));
  GST_BUFFER_PTS(buf) = GST_SECOND + 1;
  GST_BUFFER_DURATION(buf) = 300 * GST_MSECOND;
  GstBuffer *out = gst_harness_push_and_pull(h, buf);
  GstMapInfo map;
  fail_unless(gst_buffer_map(out, &map, GST_MAP_READ));
  gchar *text = g_strndup((const gchar *)map.data, map.size);
  fail_unless_equals_string(text, "time,c0,c1,c2\n"
                                  "1.000000001,1,2,0.100000001\n"
                                  "1.100000001,3,4,nan\n"
                                  "1.200000001,5,6,-1.00000001e-07\n");
  g_free(text);
  gst_buffer_unmap(out, &map);
  fail_unless_equals_uint64(GST_BUFFER_PTS(out), GST_SECOND + 1);
  gst_buffer_unref(out);
  GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
  fail_unless(gst_structure_has_name(gst_caps_get_structure(caps, 0), "text/csv"));
  gst_caps_unref(caps);
  /* an empty buffer of a 2-tensor stream (no memory, or one of size 0) holds no frame: no text,
   * no error (it was "buffer holds 0 memories but the caps say num_tensors=2") */
  fail_unless_equals_int(gst_harness_push(h, gst_buffer_new()), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_push(h, gst_buffer_new_allocate(NULL, 0, NULL)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 0);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* A buffer of no frames writes nothing (it once pushed an invalid empty memory and crashed). */
GST_START_TEST(test_csvenc_empty_buffer)
{
  GstHarness *h = gst_harness_new("csvenc");
  gst_harness_set_src_caps_str(h, "other/tensors, format=static, num_tensors=1, types=float32, "
                                  "dimensions=2, framerate=10/1");
  gfloat v[] = {1, 2};
  GstBuffer *in = gst_buffer_new_memdup(v, sizeof v);
  GST_BUFFER_PTS(in) = GST_SECOND;
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  fail_unless(gst_buffer_memcmp(out, 0, "time,c0,c1\n1,1,2\n", 17) == 0);
  gst_buffer_unref(out);
  fail_unless_equals_int(gst_harness_push(h, gst_buffer_new()), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 0);
  in = gst_buffer_new_memdup(v, sizeof v);
  GST_BUFFER_PTS(in) = 2 * GST_SECOND;
  out = gst_harness_push_and_pull(h, in);
  fail_unless_equals_int(gst_buffer_get_size(out), 6);
  fail_unless(gst_buffer_memcmp(out, 0, "2,1,2\n", 6) == 0);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* A flush continues the same text (no second header row); a stop and a new start write it again. */
static void csvenc_push_expect(GstHarness *h, GstClockTime pts, const gchar *text)
{
  gfloat v[] = {1, 2};
  GstBuffer *in = gst_buffer_new_memdup(v, sizeof v);
  GST_BUFFER_PTS(in) = pts;
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  fail_unless_equals_int(gst_buffer_get_size(out), strlen(text));
  fail_unless(gst_buffer_memcmp(out, 0, text, strlen(text)) == 0);
  gst_buffer_unref(out);
}

GST_START_TEST(test_csvenc_flush_and_restart)
{
  const gchar *caps = "other/tensors, format=static, num_tensors=1, types=float32, "
                      "dimensions=2, framerate=10/1";
  GstHarness *h = gst_harness_new("csvenc");
  gst_harness_set_src_caps_str(h, caps);
  csvenc_push_expect(h, GST_SECOND, "time,c0,c1\n1,1,2\n");
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_start()));
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  fail_unless(gst_harness_push_event(h, gst_event_new_segment(&seg)));
  csvenc_push_expect(h, 3 * GST_SECOND, "3,1,2\n");
  gst_element_set_state(h->element, GST_STATE_READY);
  gst_harness_play(h);
  gst_harness_set_src_caps_str(h, caps);
  csvenc_push_expect(h, GST_SECOND, "time,c0,c1\n1,1,2\n");
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_csvenc_names_quoted)
{
  GstHarness *h = gst_harness_new("csvenc");
  gst_harness_set_src_caps_str(h, "other/tensors, format=static, num_tensors=1, types=float32, "
                                  "dimensions=2, framerate=0/1, "
                                  "column-names=(string)<\"a,b\", \"say \\\"hi\\\"\">");
  gfloat v[] = {1.5f, 2};
  GstBuffer *buf = gst_buffer_new_memdup(v, sizeof v);
  GST_BUFFER_PTS(buf) = 0;
  GstBuffer *out = gst_harness_push_and_pull(h, buf);
  GstMapInfo map;
  fail_unless(gst_buffer_map(out, &map, GST_MAP_READ));
  gchar *text = g_strndup((const gchar *)map.data, map.size);
  fail_unless_equals_string(text, "time,\"a,b\",\"say \"\"hi\"\"\"\n0,1.5,2\n");
  g_free(text);
  gst_buffer_unmap(out, &map);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

static gchar *pull_text(GstHarness *h)
{
  GstBuffer *out = gst_harness_pull(h);
  GstMapInfo map;
  fail_unless(gst_buffer_map(out, &map, GST_MAP_READ));
  gchar *text = g_strndup((const gchar *)map.data, map.size);
  gst_buffer_unmap(out, &map);
  gst_buffer_unref(out);
  return text;
}

static GstBuffer *frame_buffer(const gfloat *v, gsize n, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_memdup(v, n * sizeof(gfloat));
  GST_BUFFER_PTS(buf) = pts;
  return buf;
}

GST_START_TEST(test_csvenc_caps_change_and_refusal)
{
  GstHarness *h = gst_harness_new("csvenc");
  gfloat v[] = {1, 2, 3};
  gst_harness_set_src_caps_str(h, "other/tensors, format=static, num_tensors=1, types=float32, "
                                  "dimensions=2, framerate=0/1, column-names=(string)<x, y>");
  gst_harness_push(h, frame_buffer(v, 2, 0));
  gchar *text = pull_text(h);
  fail_unless_equals_string(text, "time,x,y\n0,1,2\n");
  g_free(text);
  /* names that do not match the frame are ignored: c0, c1, c2 */
  gst_harness_set_src_caps_str(h, "other/tensors, format=static, num_tensors=1, types=float32, "
                                  "dimensions=3, framerate=0/1, column-names=(string)<x, y>");
  gst_harness_push(h, frame_buffer(v, 3, GST_SECOND / 4));
  text = pull_text(h);
  fail_unless_equals_string(text, "time,c0,c1,c2\n0.25,1,2,3\n");
  g_free(text);
  gst_harness_push(h, frame_buffer(v, 3, GST_CLOCK_TIME_NONE)); /* same header; no time */
  text = pull_text(h);
  fail_unless_equals_string(text, ",1,2,3\n");
  g_free(text);
  gst_harness_teardown(h);

  h = gst_harness_new("csvenc");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, "other/tensors, format=static, num_tensors=1, types=int32, "
                                  "dimensions=2, framerate=0/1");
  GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  fail_unless(msg != NULL);
  GError *error = NULL;
  gst_message_parse_error(msg, &error, NULL);
  fail_unless(strstr(error->message, "int32") != NULL, "%s", error->message);
  g_error_free(error);
  gst_message_unref(msg);
  gst_element_set_bus(h->element, NULL);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}
GST_END_TEST;

static Suite *csvparse_suite(void)
{
  Suite *s = suite_create("csvparse");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_bytewise_bom_crlf);
  tcase_add_test(tc, test_dropped_rows_discont);
  tcase_add_test(tc, test_frames_per_buffer_rate);
  tcase_add_test(tc, test_irregular_times_and_gap);
  tcase_add_test(tc, test_allow_nan);
  tcase_add_test(tc, test_flush_discards_partial_line);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_csvenc_multi_tensor);
  tcase_add_test(tc, test_csvenc_empty_buffer);
  tcase_add_test(tc, test_csvenc_names_quoted);
  tcase_add_test(tc, test_csvenc_flush_and_restart);
  tcase_add_test(tc, test_csvenc_caps_change_and_refusal);
  return s;
}

GST_CHECK_MAIN(csvparse);
