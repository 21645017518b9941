/* Element tests of anomalyscore with GstHarness: events on known sequences, warmup, non-finite
 * frames, discontinuities, pass-input, summaries and caps errors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <math.h>

#include "anomaly/vg_anomaly.h"
#include "tensorcaps.h"

#define RATE   10 /* frames per second: frame k is at k * 100 ms */
#define PERIOD (GST_SECOND / RATE)

/* A harness around the element that `desc` (gst-launch syntax: "anomalyscore prop=value ...")
 * makes; unlike gst_harness_new_parse, h->element is the element itself. */
static GstHarness *harness(const gchar *desc)
{
  GError *error = NULL;
  GstElement *e = gst_parse_launch(desc, &error);
  fail_unless(e != NULL && error == NULL, "%s", error ? error->message : desc);
  GstHarness *h = gst_harness_new_with_element(e, "sink", "src");
  gst_object_unref(e);
  return h;
}

static GstHarness *setup(const gchar *props, const gchar *dims, GstBus **bus)
{
  GstHarness *h = harness(props);
  *bus = gst_bus_new();
  gst_element_set_bus(h->element, *bus);
  gchar *caps = g_strdup_printf("other/tensors, format=static, num_tensors=1, types=float32, "
                                "dimensions=(string)%s, framerate=%d/1",
                                dims, RATE);
  gst_harness_set_src_caps_str(h, caps);
  g_free(caps);
  return h;
}

static void teardown(GstHarness *h, GstBus *bus)
{
  gst_element_set_bus(h->element, NULL);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

/* Pushes n frames of k values, the first being frame `first`, as one buffer. */
static GstFlowReturn push_frames(GstHarness *h, const gfloat *v, guint n, guint k, guint first,
                                 gboolean discont)
{
  GstBuffer *buf = gst_buffer_new_allocate(NULL, n * k * sizeof(gfloat), NULL);
  gst_buffer_fill(buf, 0, v, n * k * sizeof(gfloat));
  GST_BUFFER_PTS(buf) = first * PERIOD;
  GST_BUFFER_DURATION(buf) = n * PERIOD;
  if (discont)
    GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
  return gst_harness_push(h, buf);
}

/* Pulls one output buffer and copies its n scores into out. */
static guint pull_scores(GstHarness *h, gfloat *out, guint max)
{
  GstBuffer *buf = gst_harness_pull(h);
  fail_unless(buf != NULL);
  gsize size = gst_buffer_get_size(buf);
  guint n = size / sizeof(gfloat);
  fail_unless(n <= max);
  gst_buffer_extract(buf, 0, out, size);
  gst_buffer_unref(buf);
  return n;
}

/* The next element message named `name` on the bus, or NULL. */
static GstMessage *next_message(GstBus *bus, const gchar *name)
{
  GstMessage *msg;
  while ((msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT))) {
    if (gst_structure_has_name(gst_message_get_structure(msg), name))
      return msg;
    gst_message_unref(msg);
  }
  return NULL;
}

static guint64 get_u64(GstMessage *m, const gchar *field)
{
  guint64 v = 0;
  fail_unless(gst_structure_get_uint64(gst_message_get_structure(m), field, &v), "%s", field);
  return v;
}

static gdouble get_double(GstMessage *m, const gchar *field)
{
  gdouble v = 0;
  fail_unless(gst_structure_get_double(gst_message_get_structure(m), field, &v), "%s", field);
  return v;
}

static const gchar *get_event(GstMessage *m)
{
  return gst_structure_get_string(gst_message_get_structure(m), "event");
}

/* A reproducible "normal" signal around 1. */
static gfloat normal_value(guint i)
{
  return 1.0f + 0.1f * (gfloat)((i * 2654435761u) % 1000u) / 1000.0f;
}

/* A step of 30 frames (10, with one frame of 15) after a 400-frame warmup: exactly one start at
 * frame 600 and one end at frame 630 with peak 15 and a duration of 30 frames. Buffers of 7 frames
 * test the per-frame times inside a buffer. */
GST_START_TEST(test_step_event)
{
  GstBus *bus;
  GstHarness *h = setup("anomalyscore method=threshold warmup=400", "1", &bus);
  gfloat v[1000], scores[7];
  for (guint i = 0; i < 1000; i++)
    v[i] = i >= 600 && i < 630 ? (i == 610 ? 15.0f : 10.0f) : normal_value(i);
  for (guint i = 0; i < 1000; i += 7) {
    guint n = MIN(7, 1000 - i);
    fail_unless_equals_int(push_frames(h, v + i, n, 1, i, FALSE), GST_FLOW_OK);
    fail_unless_equals_int(pull_scores(h, scores, 7), n);
    for (guint k = 0; k < n; k++)
      fail_unless_equals_float(scores[k], v[i + k]); /* threshold's score is the value */
  }
  GstMessage *start = next_message(bus, "anomaly");
  GstMessage *end = next_message(bus, "anomaly");
  fail_unless(start && end);
  fail_unless(next_message(bus, "anomaly") == NULL, "more than one event");
  fail_unless_equals_string(get_event(start), "start");
  fail_unless_equals_uint64(get_u64(start, "timestamp"), 600 * PERIOD);
  fail_unless_equals_uint64(get_u64(start, "running-time"), 600 * PERIOD);
  fail_unless_equals_uint64(get_u64(start, "stream-time"), 600 * PERIOD);
  fail_unless_equals_uint64(get_u64(start, "duration"), PERIOD);
  fail_unless_equals_float(get_double(start, "score"), 10.0);
  fail_unless_equals_string(get_event(end), "end");
  fail_unless_equals_uint64(get_u64(end, "timestamp"), 600 * PERIOD);
  fail_unless_equals_uint64(get_u64(end, "duration"), 30 * PERIOD);
  fail_unless_equals_uint64(get_u64(end, "frames"), 30);
  fail_unless_equals_float(get_double(end, "peak-score"), 15.0);
  gdouble thr;
  g_object_get(h->element, "current-threshold", &thr, NULL);
  fail_unless(thr > 1.0 && thr < 1.1 * 4.0 / 3.0 + 1e-6, "threshold %g", thr);
  fail_unless_equals_float(get_double(end, "threshold"), thr);
  guint64 events;
  g_object_get(h->element, "events", &events, NULL);
  fail_unless_equals_uint64(events, 1);
  gst_message_unref(start);
  gst_message_unref(end);
  teardown(h, bus);
}
GST_END_TEST;

/* A spike inside the warmup fires nothing; with a fixed threshold the same spike after the warmup
 * fires. min-duration 3 drops a 2-frame run. */
GST_START_TEST(test_warmup_and_min_duration)
{
  GstBus *bus;
  GstHarness *h =
      setup("anomalyscore method=threshold threshold=5 warmup=50 min-duration=3", "1", &bus);
  gfloat v[200], s[200];
  for (guint i = 0; i < 200; i++)
    v[i] = normal_value(i);
  v[10] = v[11] = v[12] = v[13] = 9.0f; /* warmup: no event */
  v[100] = v[101] = 9.0f;               /* 2 frames: shorter than min-duration */
  v[150] = v[151] = v[152] = 9.0f;      /* 3 frames: one event, reported at 152 */
  push_frames(h, v, 200, 1, 0, FALSE);
  pull_scores(h, s, 200);
  GstMessage *start = next_message(bus, "anomaly");
  fail_unless(start != NULL);
  fail_unless_equals_uint64(get_u64(start, "timestamp"), 150 * PERIOD);
  fail_unless_equals_uint64(get_u64(start, "duration"), 3 * PERIOD);
  GstMessage *end = next_message(bus, "anomaly");
  fail_unless(end != NULL && g_str_equal(get_event(end), "end"));
  fail_unless_equals_uint64(get_u64(end, "frames"), 3);
  fail_unless(next_message(bus, "anomaly") == NULL);
  gst_message_unref(start);
  gst_message_unref(end);
  teardown(h, bus);
}
GST_END_TEST;

/* NaN and infinite frames: not scored (NaN out), counted, and the other frames' scores equal a
 * run without them, through the kernel directly; they do not count towards the warmup. */
GST_START_TEST(test_nonfinite_frames)
{
  GstBus *bus;
  GstHarness *h = setup("anomalyscore method=zscore window=20 warmup=30", "3", &bus);
  enum { N = 120, K = 3 };
  gfloat v[N * K], s[N];
  VgAnomalyConfig cfg;
  vg_anomaly_config_default(&cfg, K);
  cfg.window = 20;
  cfg.warmup = 30;
  VgAnomaly *ref = vg_anomaly_create(&cfg, NULL);
  guint bad = 0;
  for (guint i = 0; i < N * K; i++)
    v[i] = normal_value(i * 7 + 3) + (i % K);
  for (guint i = 5; i < N; i += 9) {
    v[i * K + i % K] = i % 2 ? NAN : -INFINITY;
    bad++;
  }
  push_frames(h, v, 60, K, 0, FALSE);
  push_frames(h, v + 60 * K, N - 60, K, 60, FALSE);
  pull_scores(h, s, N);
  pull_scores(h, s + 60, N - 60);
  for (guint i = 0; i < N; i++) {
    gboolean finite = isfinite(v[i * K]) && isfinite(v[i * K + 1]) && isfinite(v[i * K + 2]);
    if (!finite) {
      fail_unless(isnan(s[i]), "frame %u scored", i);
      continue;
    }
    VgAnomalyResult r;
    vg_anomaly_push(ref, v + i * K, i, &r);
    fail_unless(s[i] == r.score, "frame %u: %g vs %g", i, s[i], r.score);
  }
  guint64 nonfinite, frames;
  g_object_get(h->element, "nonfinite-frames", &nonfinite, "frames", &frames, NULL);
  fail_unless_equals_uint64(nonfinite, bad);
  fail_unless_equals_uint64(frames, N - bad);
  vg_anomaly_destroy(ref);
  teardown(h, bus);
}
GST_END_TEST;

/* An event in progress at a DISCONT buffer: keep lets it continue (one end, later); restart ends
 * it at the discontinuity and keeps the learned threshold; reset ends it and warms up again. */
static void run_discont(const gchar *policy, guint expect_ends_at_discont, gboolean relearn)
{
  GstBus *bus;
  gchar *desc = g_strdup_printf("anomalyscore method=threshold warmup=20 discont=%s", policy);
  GstHarness *h = setup(desc, "1", &bus);
  g_free(desc);
  gfloat v[40], s[40];
  for (guint i = 0; i < 40; i++)
    v[i] = i >= 30 ? 50.0f : normal_value(i);
  push_frames(h, v, 40, 1, 0, FALSE); /* event starts at 30 */
  pull_scores(h, s, 40);
  GstMessage *m = next_message(bus, "anomaly");
  fail_unless(m && g_str_equal(get_event(m), "start"));
  gst_message_unref(m);
  for (guint i = 0; i < 10; i++)
    v[i] = 50.0f;
  push_frames(h, v, 10, 1, 100, TRUE); /* a gap, still high */
  pull_scores(h, s, 10);
  guint ends = 0;
  while ((m = next_message(bus, "anomaly"))) {
    if (g_str_equal(get_event(m), "end")) {
      ends++;
      /* ended where the data stopped: frames 30 .. 39 */
      fail_unless_equals_uint64(get_u64(m, "frames"), 10);
      fail_unless_equals_uint64(get_u64(m, "duration"), 10 * PERIOD);
    }
    gst_message_unref(m);
  }
  fail_unless_equals_int(ends, expect_ends_at_discont);
  gdouble thr;
  g_object_get(h->element, "current-threshold", &thr, NULL);
  fail_unless(relearn ? isnan(thr) : thr < 2.0, "%s: threshold %g", policy, thr);
  teardown(h, bus);
}

GST_START_TEST(test_discont)
{
  run_discont("keep", 0, FALSE);
  run_discont("restart", 1, FALSE);
  run_discont("reset", 1, TRUE);
}
GST_END_TEST;

/* pass-input: the frame carries the score then the input tensor(s), each in its own memory; with
 * two input tensors the channels are their values in order. */
GST_START_TEST(test_pass_input)
{
  GstHarness *h = harness("anomalyscore method=threshold threshold=100 "
                          "combine=mean pass-input=true");
  gst_harness_set_src_caps_str(h, "other/tensors, format=static, num_tensors=2, "
                                  "types=\"float32,float32\", dimensions=\"2,1\", "
                                  "framerate=10/1");
  VigilTensorsInfo info;
  guint d2 = 2, d1 = 1;
  vigil_tensors_info_init(&info, 10, 1);
  vigil_tensors_info_append(&info, 1, &d2);
  vigil_tensors_info_append(&info, 1, &d1);
  GstBuffer *in = vigil_tensors_buffer_new(&info, 2);
  gfloat t0[4] = {1, 2, 3, 4}, t1[2] = {6, 9};
  {
    GstMapInfo map;
    GstMemory *m0 = gst_buffer_peek_memory(in, 0), *m1 = gst_buffer_peek_memory(in, 1);
    gst_memory_map(m0, &map, GST_MAP_WRITE);
    memcpy(map.data, t0, sizeof t0);
    gst_memory_unmap(m0, &map);
    gst_memory_map(m1, &map, GST_MAP_WRITE);
    memcpy(map.data, t1, sizeof t1);
    gst_memory_unmap(m1, &map);
  }
  /* empty buffers (no memory, or one of size 0) hold no frame: nothing out, no error (the first
   * once appended a NULL memory to the output) */
  fail_unless_equals_int(gst_harness_push(h, gst_buffer_new()), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_push(h, gst_buffer_new_allocate(NULL, 0, NULL)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 0);
  GST_BUFFER_PTS(in) = 0;
  GST_BUFFER_DURATION(in) = 2 * PERIOD;
  GstBuffer *out = gst_harness_push_and_pull(h, in);
  fail_unless(out != NULL);
  GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
  const GstStructure *st = gst_caps_get_structure(caps, 0);
  gint num = 0;
  gst_structure_get_int(st, "num_tensors", &num);
  fail_unless_equals_int(num, 3);
  fail_unless_equals_string(gst_structure_get_string(st, "dimensions"), "1,2,1");
  gst_caps_unref(caps);
  fail_unless_equals_int(gst_buffer_n_memory(out), 3);
  GstMapInfo map;
  GstMemory *mem = gst_buffer_peek_memory(out, 0);
  gst_memory_map(mem, &map, GST_MAP_READ);
  const gfloat *s = (const gfloat *)map.data;
  fail_unless_equals_float(s[0], (1 + 2 + 6) / 3.0f); /* frame 0: channels 1, 2 | 6 */
  fail_unless_equals_float(s[1], (3 + 4 + 9) / 3.0f);
  gst_memory_unmap(mem, &map);
  mem = gst_buffer_peek_memory(out, 1);
  gst_memory_map(mem, &map, GST_MAP_READ);
  fail_unless(map.size == sizeof t0 && memcmp(map.data, t0, sizeof t0) == 0);
  gst_memory_unmap(mem, &map);
  mem = gst_buffer_peek_memory(out, 2);
  gst_memory_map(mem, &map, GST_MAP_READ);
  fail_unless(map.size == sizeof t1 && memcmp(map.data, t1, sizeof t1) == 0);
  gst_memory_unmap(mem, &map);
  fail_unless_equals_uint64(GST_BUFFER_PTS(out), 0);
  fail_unless_equals_uint64(GST_BUFFER_DURATION(out), 2 * PERIOD);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

/* Summaries: interval 1 s at 10 frames/s: one message per 10 frames with their mean and max, and a
 * partial one at EOS. */
GST_START_TEST(test_summaries)
{
  GstBus *bus;
  GstHarness *h = setup("anomalyscore method=threshold threshold=100 post-messages=true "
                        "interval=1000000000",
                        "1", &bus);
  gfloat v[25], s[25];
  for (guint i = 0; i < 25; i++)
    v[i] = (gfloat)i;
  v[12] = NAN;
  push_frames(h, v, 25, 1, 0, FALSE);
  pull_scores(h, s, 25);
  gst_harness_push_event(h, gst_event_new_eos());
  GstMessage *m1 = next_message(bus, "anomalyscore");
  GstMessage *m2 = next_message(bus, "anomalyscore");
  GstMessage *m3 = next_message(bus, "anomalyscore");
  fail_unless(m1 && m2 && m3);
  fail_unless(next_message(bus, "anomalyscore") == NULL);
  fail_unless_equals_uint64(get_u64(m1, "timestamp"), 0);
  fail_unless_equals_uint64(get_u64(m1, "duration"), GST_SECOND);
  fail_unless_equals_uint64(get_u64(m1, "frames"), 10);
  fail_unless_equals_float(get_double(m1, "mean-score"), 4.5);
  fail_unless_equals_float(get_double(m1, "max-score"), 9.0);
  fail_unless_equals_uint64(get_u64(m2, "timestamp"), GST_SECOND);
  fail_unless_equals_uint64(get_u64(m2, "frames"), 9);
  fail_unless_equals_uint64(get_u64(m2, "nonfinite-frames"), 1);
  fail_unless_equals_float(get_double(m2, "mean-score"), (145.0 - 12.0) / 9.0);
  fail_unless_equals_uint64(get_u64(m3, "timestamp"), 2 * GST_SECOND);
  fail_unless_equals_uint64(get_u64(m3, "duration"), GST_SECOND / 2);
  fail_unless_equals_uint64(get_u64(m3, "frames"), 5);
  gst_message_unref(m1);
  gst_message_unref(m2);
  gst_message_unref(m3);
  teardown(h, bus);
}
GST_END_TEST;

/* post-messages on a variable-rate input without buffer durations: no summary can be counted, and
 * one warning says so (there used to be silence). */
GST_START_TEST(test_summaries_need_durations)
{
  GstHarness *h = harness("anomalyscore method=threshold threshold=100 post-messages=true");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, "other/tensors, format=static, num_tensors=1, types=float32, "
                                  "dimensions=(string)1, framerate=0/1");
  gfloat v[4] = {1, 2, 3, 4}, s[4];
  for (guint b = 0; b < 2; b++) {
    GstBuffer *buf = gst_buffer_new_memdup(v, sizeof v);
    GST_BUFFER_PTS(buf) = b * GST_SECOND;
    fail_unless_equals_int(gst_harness_push(h, buf), GST_FLOW_OK);
    pull_scores(h, s, 4);
  }
  gst_harness_push_event(h, gst_event_new_eos());
  guint warnings = 0;
  GstMessage *m;
  while ((m = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING)) != NULL) {
    GError *err = NULL;
    gst_message_parse_warning(m, &err, NULL);
    fail_unless(strstr(err->message, "no framerate") != NULL, "%s", err->message);
    g_error_free(err);
    gst_message_unref(m);
    warnings++;
  }
  fail_unless_equals_int(warnings, 1);
  fail_unless(next_message(bus, "anomalyscore") == NULL);
  teardown(h, bus);
}
GST_END_TEST;

/* csvparse's first timestamped row has no duration, the others have theirs: summaries are posted
 * (that frame is left out) and there is no warning (there used to be one saying no summary would
 * be posted). */
GST_START_TEST(test_first_frame_without_duration)
{
  GstHarness *h = harness("anomalyscore method=threshold threshold=100 post-messages=true "
                          "interval=2000000000");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, "other/tensors, format=static, num_tensors=1, types=float32, "
                                  "dimensions=(string)1, framerate=0/1");
  gfloat v = 1, s;
  for (guint b = 0; b < 6; b++) {
    GstBuffer *buf = gst_buffer_new_memdup(&v, sizeof v);
    GST_BUFFER_PTS(buf) = b * GST_SECOND;
    if (b > 0)
      GST_BUFFER_DURATION(buf) = GST_SECOND;
    fail_unless_equals_int(gst_harness_push(h, buf), GST_FLOW_OK);
    pull_scores(h, &s, 1);
  }
  guint warnings = 0, summaries = 0;
  GstMessage *m;
  while ((m = gst_bus_pop(bus)) != NULL) {
    warnings += GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING;
    summaries += GST_MESSAGE_TYPE(m) == GST_MESSAGE_ELEMENT &&
                 gst_structure_has_name(gst_message_get_structure(m), "anomalyscore");
    gst_message_unref(m);
  }
  fail_unless_equals_int(warnings, 0);
  fail_unless_equals_int(summaries, 2); /* 5 s of dated frames, 2 s each */
  teardown(h, bus);
}
GST_END_TEST;

/* An event still open at EOS ends there. */
GST_START_TEST(test_eos_ends_event)
{
  GstBus *bus;
  GstHarness *h = setup("anomalyscore method=threshold threshold=5 warmup=0", "1", &bus);
  gfloat v[6] = {1, 1, 7, 8, 9, 9}, s[6];
  push_frames(h, v, 6, 1, 0, FALSE);
  pull_scores(h, s, 6);
  gst_harness_push_event(h, gst_event_new_eos());
  GstMessage *start = next_message(bus, "anomaly"), *end = next_message(bus, "anomaly");
  fail_unless(start && end && g_str_equal(get_event(end), "end"));
  fail_unless_equals_uint64(get_u64(end, "frames"), 4);
  fail_unless_equals_uint64(get_u64(end, "duration"), 4 * PERIOD);
  fail_unless_equals_float(get_double(end, "peak-score"), 9.0);
  fail_unless_equals_float(get_double(end, "score"), 9.0);
  gst_message_unref(start);
  gst_message_unref(end);
  teardown(h, bus);
}
GST_END_TEST;

/* A flush ends the event in progress (discont=restart) and keeps the learned threshold; changing
 * the threshold while streaming applies from the next buffer without relearning; changing the
 * method relearns (warmup again). */
GST_START_TEST(test_flush_and_live_changes)
{
  GstBus *bus;
  GstHarness *h = setup("anomalyscore method=threshold warmup=20", "1", &bus);
  gfloat v[40], s[40];
  for (guint i = 0; i < 40; i++)
    v[i] = i >= 30 ? 50.0f : normal_value(i);
  push_frames(h, v, 40, 1, 0, FALSE);
  pull_scores(h, s, 40);
  GstMessage *m = next_message(bus, "anomaly");
  fail_unless(m && g_str_equal(get_event(m), "start"));
  gst_message_unref(m);
  gdouble learned, thr;
  g_object_get(h->element, "current-threshold", &learned, NULL);

  gst_harness_push_event(h, gst_event_new_flush_start());
  gst_harness_push_event(h, gst_event_new_flush_stop(TRUE));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  gst_harness_push_event(h, gst_event_new_segment(&seg));
  push_frames(h, v, 10, 1, 0, FALSE); /* normal values: nothing new starts */
  pull_scores(h, s, 10);
  m = next_message(bus, "anomaly");
  fail_unless(m && g_str_equal(get_event(m), "end"), "flush did not end the event");
  fail_unless_equals_uint64(get_u64(m, "frames"), 10);
  gst_message_unref(m);
  fail_unless(next_message(bus, "anomaly") == NULL);
  g_object_get(h->element, "current-threshold", &thr, NULL);
  fail_unless_equals_float(thr, learned);

  g_object_set(h->element, "threshold", 0.5, NULL); /* every normal value now exceeds it */
  push_frames(h, v, 1, 1, 10, FALSE);
  pull_scores(h, s, 1);
  m = next_message(bus, "anomaly");
  fail_unless(m && g_str_equal(get_event(m), "start"), "live threshold not applied");
  fail_unless_equals_float(get_double(m, "threshold"), 0.5);
  gst_message_unref(m);

  g_object_set(h->element, "method", 2 /* mad */, NULL);
  push_frames(h, v, 5, 1, 11, FALSE);
  pull_scores(h, s, 5);
  m = next_message(bus, "anomaly"); /* the change ends the open event */
  fail_unless(m && g_str_equal(get_event(m), "end"));
  gst_message_unref(m);
  g_object_get(h->element, "current-threshold", &thr, NULL);
  fail_unless_equals_float(thr, 0.5); /* an explicit threshold stays */
  fail_unless(next_message(bus, "anomaly") == NULL, "mad fired during its new warmup");
  teardown(h, bus);
}
GST_END_TEST;

/* Caps and settings the element refuses, with an error message on the bus. */
static void expect_refused(const gchar *desc, const gchar *caps, const gchar *needle)
{
  GstBus *bus;
  GstHarness *h = harness(desc);
  bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, caps);
  gfloat v[4] = {1, 2, 3, 4};
  GstBuffer *buf = gst_buffer_new_allocate(NULL, sizeof v, NULL);
  gst_buffer_fill(buf, 0, v, sizeof v);
  fail_if(gst_harness_push(h, buf) == GST_FLOW_OK, "%s accepted %s", desc, caps);
  GstMessage *err = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  fail_unless(err != NULL, "no error message for %s", desc);
  GError *e = NULL;
  gchar *dbg = NULL;
  gst_message_parse_error(err, &e, &dbg);
  gchar *all = g_strdup_printf("%s %s", e->message, dbg ? dbg : "");
  fail_unless(strstr(all, needle) != NULL, "'%s' lacks '%s'", all, needle);
  g_free(all);
  g_free(dbg);
  g_error_free(e);
  gst_message_unref(err);
  gst_element_set_bus(h->element, NULL);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

GST_START_TEST(test_refusals)
{
  expect_refused(
      "anomalyscore",
      "other/tensors, format=static, num_tensors=1, types=uint8, dimensions=4, framerate=10/1",
      "float32");
  expect_refused(
      "anomalyscore method=mad warmup=0",
      "other/tensors, format=static, num_tensors=1, types=float32, dimensions=4, framerate=10/1",
      "needs a window");
  expect_refused(
      "anomalyscore method=threshold warmup=0",
      "other/tensors, format=static, num_tensors=1, types=float32, dimensions=4, framerate=10/1",
      "needs a threshold");
  gchar *many = g_strdup_printf(
      "other/tensors, format=static, num_tensors=16, types=\"%s\", dimensions=\"%s\", "
      "framerate=10/1",
      "float32,float32,float32,float32,float32,float32,float32,float32,float32,float32,float32,"
      "float32,float32,float32,float32,float32",
      "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1");
  expect_refused("anomalyscore pass-input=true", many, "pass-input=false");
  g_free(many);
  /* 4 values are not a whole number of 3-value frames */
  expect_refused(
      "anomalyscore",
      "other/tensors, format=static, num_tensors=1, types=float32, dimensions=3, framerate=10/1",
      "whole number");
}
GST_END_TEST;

static Suite *anomalyscore_suite(void)
{
  Suite *s = suite_create("anomalyscore");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_step_event);
  tcase_add_test(tc, test_warmup_and_min_duration);
  tcase_add_test(tc, test_nonfinite_frames);
  tcase_add_test(tc, test_discont);
  tcase_add_test(tc, test_pass_input);
  tcase_add_test(tc, test_summaries);
  tcase_add_test(tc, test_summaries_need_durations);
  tcase_add_test(tc, test_first_frame_without_duration);
  tcase_add_test(tc, test_eos_ends_event);
  tcase_add_test(tc, test_flush_and_live_changes);
  tcase_add_test(tc, test_refusals);
  return s;
}

GST_CHECK_MAIN(anomalyscore);
