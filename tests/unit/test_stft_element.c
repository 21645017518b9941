/* GstHarness tests of the stft element: FLUSH resets the history, EOS flushes the center tail,
 * output caps, latency, property changes while streaming, a large buffer streamed out in slices.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#define AUDIO_CAPS "audio/x-raw,format=F32LE,layout=interleaved,rate=8000,channels=1"

static GstHarness *new_stft(const gchar *props)
{
  gchar *desc = g_strdup_printf("stft planner=estimate %s", props);
  GstHarness *h = gst_harness_new_parse(desc);
  g_free(desc);
  gst_harness_set_src_caps_str(h, AUDIO_CAPS);
  return h;
}

static GstBuffer *samples(guint n, gfloat start, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_allocate(NULL, n * sizeof(gfloat), NULL);
  GstMapInfo map;
  gst_buffer_map(buf, &map, GST_MAP_WRITE);
  for (guint i = 0; i < n; i++)
    ((gfloat *)map.data)[i] = start + i * 0.25f - (i % 3) * 0.5f;
  gst_buffer_unmap(buf, &map);
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DURATION(buf) = gst_util_uint64_scale(n, GST_SECOND, 8000);
  return buf;
}

static gboolean same_data(GstBuffer *a, GstBuffer *b)
{
  GstMapInfo ma, mb;
  gst_buffer_map(a, &ma, GST_MAP_READ);
  gst_buffer_map(b, &mb, GST_MAP_READ);
  gboolean same = ma.size == mb.size && memcmp(ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap(a, &ma);
  gst_buffer_unmap(b, &mb);
  return same;
}

GST_START_TEST(test_flush_resets_history)
{
  GstHarness *h = new_stft("n-fft=8 hop=4");
  /* 6 samples: not a frame yet, but history. */
  fail_unless_equals_int(gst_harness_push(h, samples(6, 1.0f, 0)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 0);
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_start()));
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  fail_unless(gst_harness_push_event(h, gst_event_new_segment(&seg)));
  /* After the flush, 8 samples make exactly one frame, made of those 8 samples only. */
  fail_unless_equals_int(gst_harness_push(h, samples(8, 2.0f, GST_SECOND)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 1);
  GstBuffer *out = gst_harness_pull(h);
  fail_unless_equals_uint64(GST_BUFFER_PTS(out), GST_SECOND);
  fail_unless_equals_uint64(GST_BUFFER_DURATION(out), GST_SECOND * 4 / 8000);
  fail_unless(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DISCONT));

  GstHarness *fresh = new_stft("n-fft=8 hop=4");
  fail_unless_equals_int(gst_harness_push(fresh, samples(8, 2.0f, 0)), GST_FLOW_OK);
  GstBuffer *ref = gst_harness_pull(fresh);
  fail_unless(same_data(out, ref), "frame after FLUSH depends on data before it");
  gst_buffer_unref(out);
  gst_buffer_unref(ref);
  gst_harness_teardown(fresh);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_eos_center_tail)
{
  GstHarness *h = new_stft("n-fft=8 hop=4 center=true");
  fail_unless_equals_int(gst_harness_push(h, samples(10, 0.0f, 0)), GST_FLOW_OK);
  /* Padded left by 4: frames at samples 0 and 4 are complete (need samples up to 3 and 7). */
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 2);
  fail_unless(gst_harness_push_event(h, gst_event_new_eos()));
  /* The right padding completes the frame centred on sample 8: 1 + 10 / 4 = 3 frames. */
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 3);
  GstBuffer *last = NULL;
  for (int i = 0; i < 3; i++) {
    if (last)
      gst_buffer_unref(last);
    last = gst_harness_pull(h);
  }
  fail_unless_equals_uint64(GST_BUFFER_PTS(last), GST_SECOND * 8 / 8000);
  gst_buffer_unref(last);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_eos_drops_partial_frame)
{
  GstHarness *h = new_stft("n-fft=8 hop=4 frames-per-buffer=3");
  fail_unless_equals_int(gst_harness_push(h, samples(19, 0.0f, 0)), GST_FLOW_OK);
  /* 1 + (19 - 8) / 4 = 3 frames: one buffer of 3; samples 12..18 are an incomplete frame. */
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 1);
  fail_unless(gst_harness_push_event(h, gst_event_new_eos()));
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 1);
  GstBuffer *out = gst_harness_pull(h);
  fail_unless_equals_int(gst_buffer_get_size(out), 3 * 5 * sizeof(gfloat));
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_caps_and_latency)
{
  GstHarness *h = new_stft("n-fft=16 hop=4 output=complex");
  fail_unless_equals_int(gst_harness_push(h, samples(16, 0.0f, 0)), GST_FLOW_OK);
  GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
  GstStructure *s = gst_caps_get_structure(caps, 0);
  fail_unless_equals_string(gst_structure_get_string(s, "dimensions"), "18");
  gint n, d;
  fail_unless(gst_structure_get_fraction(s, "framerate", &n, &d));
  fail_unless_equals_int(n, 2000);
  fail_unless_equals_int(d, 1);
  gst_caps_unref(caps);
  /* The harness source is not live: latency is ours only, n-fft - 1 samples. */
  GstQuery *q = gst_query_new_latency();
  fail_unless(gst_pad_peer_query(h->sinkpad, q));
  GstClockTime min;
  gst_query_parse_latency(q, NULL, &min, NULL);
  fail_unless_equals_uint64(min, gst_util_uint64_scale(15, GST_SECOND, 8000));
  gst_query_unref(q);
  gst_harness_teardown(h);
}
GST_END_TEST;

static GstClockTime query_latency(GstHarness *h)
{
  GstQuery *q = gst_query_new_latency();
  fail_unless(gst_pad_peer_query(h->sinkpad, q));
  GstClockTime min;
  gst_query_parse_latency(q, NULL, &min, NULL);
  gst_query_unref(q);
  return min;
}

static guint latency_messages(GstBus *bus)
{
  guint n = 0;
  GstMessage *m;
  while ((m = gst_bus_pop_filtered(bus, GST_MESSAGE_LATENCY))) {
    gst_message_unref(m);
    n++;
  }
  return n;
}

/* A buffer of frames-per-buffer frames is pushed when its last frame is complete, (n - 1) hops
 * after its first (its PTS): a live sink must wait that long too. A change of the latency while
 * streaming posts a latency message, so that a live pipeline recomputes its own. */
GST_START_TEST(test_latency_frames_per_buffer)
{
  GstHarness *h = gst_harness_new_parse("stft planner=estimate n-fft=16 hop=4 frames-per-buffer=4");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, AUDIO_CAPS);
  fail_unless_equals_int(gst_harness_push(h, samples(28, 0.0f, 0)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 1); /* frames 0-3: samples 0-27 */
  gst_buffer_unref(gst_harness_pull(h));
  fail_unless_equals_uint64(query_latency(h), gst_util_uint64_scale(15 + 3 * 4, GST_SECOND, 8000));
  fail_unless_equals_int(latency_messages(bus), 1);
  GstElement *stft = gst_harness_find_element(h, "stft");
  g_object_set(stft, "frames-per-buffer", 2, NULL);
  fail_unless_equals_int(gst_harness_push(h, samples(4, 0.0f, GST_SECOND)), GST_FLOW_OK);
  fail_unless_equals_uint64(query_latency(h), gst_util_uint64_scale(15 + 4, GST_SECOND, 8000));
  fail_unless_equals_int(latency_messages(bus), 1);
  g_object_set(stft, "hop", 2, "frames-per-buffer", 3, NULL); /* the same latency: no message */
  fail_unless_equals_int(gst_harness_push(h, samples(4, 0.0f, 2 * GST_SECOND)), GST_FLOW_OK);
  fail_unless_equals_uint64(query_latency(h), gst_util_uint64_scale(15 + 4, GST_SECOND, 8000));
  fail_unless_equals_int(latency_messages(bus), 0);
  gst_object_unref(stft);
  gst_element_set_bus(h->element, NULL);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_property_change_restarts)
{
  GstHarness *h = new_stft("n-fft=8 hop=4");
  fail_unless_equals_int(gst_harness_push(h, samples(16, 0.0f, 0)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 3);
  GstElement *stft = gst_harness_find_element(h, "stft");
  g_object_set(stft, "n-fft", 16, NULL);
  /* The next buffer starts a new run: 16 samples make one 16-point frame, with new caps. */
  GstClockTime t = GST_SECOND * 16 / 8000;
  fail_unless_equals_int(gst_harness_push(h, samples(16, 0.0f, t)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 4);
  for (int i = 0; i < 3; i++)
    gst_buffer_unref(gst_harness_pull(h));
  GstBuffer *out = gst_harness_pull(h);
  fail_unless_equals_int(gst_buffer_get_size(out), 9 * sizeof(gfloat));
  fail_unless_equals_uint64(GST_BUFFER_PTS(out), t);
  fail_unless(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DISCONT));
  GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
  fail_unless_equals_string(gst_structure_get_string(gst_caps_get_structure(caps, 0), "dimensions"),
                            "9");
  gst_caps_unref(caps);
  gst_buffer_unref(out);
  /* post-messages does not restart: 4 more samples complete the next 16-point frame. */
  g_object_set(stft, "post-messages", TRUE, NULL);
  fail_unless_equals_int(gst_harness_push(h, samples(4, 0.0f, t * 2)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 1);
  gst_object_unref(stft);
  gst_harness_teardown(h);
}
GST_END_TEST;

static guint stft_messages(GstBus *bus, guint *frames)
{
  guint n = 0;
  GstMessage *m;
  while ((m = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *st = gst_message_get_structure(m);
    if (gst_structure_has_name(st, "stft")) {
      n++;
      fail_unless(gst_structure_get_uint(st, "frames", frames));
    }
    gst_message_unref(m);
  }
  return n;
}

/* An interval longer than 2^32 frames (here 2^32 + 5 hops, 24.9 days at 8 kHz and hop 4) posts
 * nothing until the run ends. Its frame count was converted to a guint, which wrapped to 5 and
 * posted a message every 5 frames. */
GST_START_TEST(test_interval_beyond_2_32_frames)
{
  guint64 interval = ((G_GUINT64_CONSTANT(1) << 32) + 5) * 4 * GST_SECOND / 8000;
  gchar *props =
      g_strdup_printf("n-fft=8 hop=4 post-messages=true interval=%" G_GUINT64_FORMAT, interval);
  GstHarness *h = new_stft(props);
  g_free(props);
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  guint frames = 0;
  fail_unless_equals_int(gst_harness_push(h, samples(64, 0.0f, 0)), GST_FLOW_OK); /* 15 frames */
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 15);
  fail_unless_equals_int(stft_messages(bus, &frames), 0);
  fail_unless(gst_harness_push_event(h, gst_event_new_eos()));
  fail_unless_equals_int(stft_messages(bus, &frames), 1);
  fail_unless_equals_int(frames, 15);
  gst_element_set_bus(h->element, NULL);
  gst_object_unref(bus);
  gst_harness_teardown(h);
  /* a short interval still counts whole hops: 2 ms at 8 kHz, hop 4 = 4 frames */
  h = new_stft("n-fft=8 hop=4 post-messages=true interval=2000000");
  bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  fail_unless_equals_int(gst_harness_push(h, samples(64, 0.0f, 0)), GST_FLOW_OK);
  fail_unless_equals_int(stft_messages(bus, &frames), 3);
  fail_unless_equals_int(frames, 4);
  gst_element_set_bus(h->element, NULL);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}
GST_END_TEST;

static GstBusSyncReply count_message(GstBus *bus, GstMessage *msg, gpointer data)
{
  (void)bus;
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT)
    g_atomic_int_inc((gint *)data);
  return GST_BUS_DROP;
}

typedef struct {
  gint *posted, at_first;
} FirstBuffer;

static GstPadProbeReturn note_first_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  (void)pad;
  (void)info;
  FirstBuffer *f = data;
  if (f->at_first < 0)
    f->at_first = g_atomic_int_get(f->posted);
  return GST_PAD_PROBE_OK;
}

/* A large input buffer at hop 1 goes out as it is transformed, not after all of it: the element
 * held every frame of the buffer before pushing the first (1 s at 48 kHz, n-fft 1024: 98 MB). Seen
 * from outside: the interval messages (one per 64 frames here) posted before the first output
 * buffer leaves are those of one slice of at most 256 frames, not the buffer's 127. */
GST_START_TEST(test_large_buffer_streams_out)
{
  GstHarness *h = new_stft("n-fft=16 hop=1 post-messages=true interval=8000000");
  GstBus *bus = gst_bus_new();
  gint posted = 0;
  gst_bus_set_sync_handler(bus, count_message, &posted, NULL);
  gst_element_set_bus(h->element, bus);
  FirstBuffer seen = {&posted, -1};
  GstPad *src = gst_element_get_static_pad(h->element, "src");
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, note_first_buffer, &seen, NULL);
  fail_unless_equals_int(gst_harness_push(h, samples(8192, 0.0f, 0)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 8192 - 16 + 1);
  fail_unless_equals_int(g_atomic_int_get(&posted), (8192 - 16 + 1) / 64);
  fail_unless(seen.at_first >= 0 && seen.at_first <= 256 / 64,
              "%d messages before the first buffer", seen.at_first);
  gst_object_unref(src);
  gst_element_set_bus(h->element, NULL);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}
GST_END_TEST;

static Suite *stft_suite(void)
{
  Suite *s = suite_create("stft");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_flush_resets_history);
  tcase_add_test(tc, test_eos_center_tail);
  tcase_add_test(tc, test_eos_drops_partial_frame);
  tcase_add_test(tc, test_caps_and_latency);
  tcase_add_test(tc, test_latency_frames_per_buffer);
  tcase_add_test(tc, test_property_change_restarts);
  tcase_add_test(tc, test_interval_beyond_2_32_frames);
  tcase_add_test(tc, test_large_buffer_streams_out);
  return s;
}

GST_CHECK_MAIN(stft);
