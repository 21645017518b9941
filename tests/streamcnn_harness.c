/* streamcnn through GstHarness (driven by tests/py/test_streamcnn.py, which passes a model of 2
 * input channels, window 32, output [3, 16]):
 * - FLUSH resets: the same frames pushed after a flush give byte-identical outputs and PTS;
 * - EOS: frames short of a hop produce nothing, EOS is forwarded;
 * - LATENCY: the element adds nothing to upstream's latency (outputs are stamped with their
 *   window's end and pushed when the frame completing the window arrives);
 * - statistics: windows-computed counts every window, mean-hop-time is positive;
 * - data before caps is refused (not negotiated), not mapped with a zero frame size;
 * - refused caps post one ERROR however often they are re-sent, and nothing flows downstream;
 * - a hop set while PLAYING waits for the next start;
 * - variable-rate buffers without a duration get one WARNING, unless no window ends in them;
 * - the output segment keeps every output whole, the last window's output stamped at upstream's
 *   segment stop included (sinks dropped it), also after caps that change the hop's duration.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstharness.h>
#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      failures++;                                                                                  \
      printf("FAIL line %d: ", __LINE__);                                                          \
      printf(__VA_ARGS__);                                                                         \
      printf("\n");                                                                                \
    }                                                                                              \
  } while (0)

#define RATE   100
#define FRAMES 50
#define OUTS   ((FRAMES - 32) / 4 + 1)

/* Caps of 2-value tensor frames at a variable rate: frame times come from the buffers. */
#define VARIABLE_RATE_CAPS                                                                         \
  "other/tensors, format=static, num_tensors=1, types=float32, dimensions=2, framerate=0/1"

/* Pushes frames [first, first + n) of x (2 values each) stamped pts and, unless it is
 * GST_CLOCK_TIME_NONE, duration. */
static void push_timed(GstHarness *h, const float *x, int first, int n, GstClockTime pts,
                       GstClockTime duration)
{
  GstBuffer *b = gst_buffer_new_memdup(x + first * 2, sizeof(float) * 2 * (gsize)n);
  GST_BUFFER_PTS(b) = pts;
  GST_BUFFER_DURATION(b) = duration;
  CHECK(gst_harness_push(h, b) == GST_FLOW_OK, "push failed");
}

/* Frames [first, first + n) at RATE. */
static void push_frames(GstHarness *h, const float *x, int first, int n)
{
  push_timed(h, x, first, n, gst_util_uint64_scale(first, GST_SECOND, RATE),
             gst_util_uint64_scale(n, GST_SECOND, RATE));
}

/* Pulls n outputs into out (n * 48 floats) and their PTS. */
static void pull(GstHarness *h, int n, float *out, GstClockTime *pts)
{
  for (int i = 0; i < n; i++) {
    GstBuffer *b = gst_harness_try_pull(h);
    CHECK(b != NULL, "output %d missing", i);
    if (!b)
      return;
    CHECK(gst_buffer_get_size(b) == 48 * sizeof(float), "output of %zu bytes",
          gst_buffer_get_size(b));
    gst_buffer_extract(b, 0, out + i * 48, 48 * sizeof(float));
    pts[i] = GST_BUFFER_PTS(b);
    gst_buffer_unref(b);
  }
}

/* A harness around "streamcnn model=MODEL hop=4", and a bus of its own when bus is not NULL. */
static GstHarness *new_harness(const char *model, GstBus **bus)
{
  gchar *desc = g_strdup_printf("streamcnn model=%s hop=4", model);
  GstHarness *h = gst_harness_new_parse(desc);
  g_free(desc);
  if (bus) {
    *bus = gst_bus_new();
    gst_element_set_bus(h->element, *bus);
  }
  return h;
}

/* Pops and counts the bus's messages of one type. */
static int count_messages(GstBus *bus, GstMessageType type)
{
  int n = 0;
  GstMessage *m;
  while ((m = gst_bus_pop_filtered(bus, type)) != NULL) {
    n++;
    gst_message_unref(m);
  }
  return n;
}

static void free_harness(GstHarness *h, GstBus *bus)
{
  if (bus) {
    gst_element_set_bus(h->element, NULL);
    gst_object_unref(bus);
  }
  gst_harness_teardown(h);
}

/* Refused caps (3 channels for the 2-channel model): one ERROR however many buffers re-send the
 * sticky caps, and nothing goes downstream, not even EOS (no sink prerolls on a failed stream). */
static void refused_caps(const char *model, const float *x)
{
  GstBus *bus;
  GstHarness *h = new_harness(model, &bus);
  gst_harness_play(h);
  gst_harness_set_src_caps_str(h, "audio/x-raw, format=F32LE, layout=interleaved, rate=100, "
                                  "channels=3");
  for (int i = 0; i < 3; i++)
    CHECK(gst_harness_push(h, gst_buffer_new_memdup(x, 12 * sizeof(float))) ==
              GST_FLOW_NOT_NEGOTIATED,
          "a buffer after refused caps was not refused as not negotiated");
  gst_harness_push_event(h, gst_event_new_eos());
  int errors = count_messages(bus, GST_MESSAGE_ERROR), eos = 0;
  GstEvent *ev;
  while ((ev = gst_harness_try_pull_event(h)) != NULL) {
    eos |= GST_EVENT_TYPE(ev) == GST_EVENT_EOS;
    gst_event_unref(ev);
  }
  CHECK(errors == 1, "%d errors posted for one refused caps", errors);
  CHECK(!eos, "EOS went downstream after refused caps");
  CHECK(gst_harness_buffers_in_queue(h) == 0, "output after refused caps");
  free_harness(h, bus);
}

/* hop set while PLAYING waits for the next start: caps re-sent meanwhile (the stream is planned
 * again) keep hop 4; after READY and back, hop 2 (it once took the new hop at the next caps). */
static void hop_changed_while_playing(const char *model, const float *x)
{
  GstHarness *h = new_harness(model, NULL);
  const gchar *caps = "audio/x-raw, format=F32LE, layout=interleaved, rate=100, channels=2";
  gst_harness_set_src_caps_str(h, caps);
  GstElement *e = gst_harness_find_element(h, "streamcnn");
  g_object_set(e, "hop", 2, NULL);
  gst_harness_push_event(h, gst_event_new_caps(gst_caps_from_string(caps)));
  push_frames(h, x, 0, 36);
  CHECK(gst_harness_buffers_in_queue(h) == 2,
        "hop changed while playing: %u outputs, not 2 of hop 4", gst_harness_buffers_in_queue(h));
  while (gst_harness_buffers_in_queue(h))
    gst_buffer_unref(gst_harness_pull(h));
  gst_element_set_state(h->element, GST_STATE_READY);
  gst_harness_play(h);
  gst_harness_set_src_caps_str(h, caps);
  push_frames(h, x, 0, 36);
  CHECK(gst_harness_buffers_in_queue(h) == 3, "after a restart: %u outputs, not 3 of hop 2",
        gst_harness_buffers_in_queue(h));
  gst_object_unref(e);
  free_harness(h, NULL);
}

/* Variable-rate buffers without a duration: one WARNING on the bus, however many buffers. */
static void variable_rate_without_duration(const char *model, const float *x)
{
  GstBus *bus;
  GstHarness *h = new_harness(model, &bus);
  gst_harness_set_src_caps_str(h, VARIABLE_RATE_CAPS);
  for (int i = 0; i < 3; i++)
    push_timed(h, x, 12 * i, 12, (GstClockTime)i * GST_SECOND, GST_CLOCK_TIME_NONE);
  int warnings = count_messages(bus, GST_MESSAGE_WARNING);
  CHECK(warnings == 1, "%d warnings for buffers without a duration", warnings);
  free_harness(h, bus);
}

/* Variable rate, the spacing changing from 1 s to 0.1 s between buffers: window 0 (frames 0-31)
 * ends at 30.2 s and its last hop starts at frame 28, 28 s, in the first buffer: 2.2 s long (it
 * was stamped 0.4 s, the second buffer's spacing times the hop); the next hops lie inside the
 * second buffer, 0.4 s each. */
static void spacing_changes(const char *model, const float *x)
{
  GstHarness *h = new_harness(model, NULL);
  gst_harness_set_src_caps_str(h, VARIABLE_RATE_CAPS);
  push_timed(h, x, 0, 30, 0, 30 * GST_SECOND);
  push_timed(h, x, 30, 10, 30 * GST_SECOND, GST_SECOND);
  const GstClockTime ms = GST_MSECOND, pts[3] = {30200 * ms, 30600 * ms, 31000 * ms};
  const GstClockTime dur[3] = {2200 * ms, 400 * ms, 400 * ms};
  CHECK(gst_harness_buffers_in_queue(h) == 3, "%u outputs, not 3", gst_harness_buffers_in_queue(h));
  for (int i = 0; i < 3 && gst_harness_buffers_in_queue(h); i++) {
    GstBuffer *o = gst_harness_pull(h);
    CHECK(GST_BUFFER_PTS(o) == pts[i] && GST_BUFFER_DURATION(o) == dur[i],
          "window %d: pts %" GST_TIME_FORMAT " duration %" GST_TIME_FORMAT ", not %" GST_TIME_FORMAT
          " and %" GST_TIME_FORMAT,
          i, GST_TIME_ARGS(GST_BUFFER_PTS(o)), GST_TIME_ARGS(GST_BUFFER_DURATION(o)),
          GST_TIME_ARGS(pts[i]), GST_TIME_ARGS(dur[i]));
    gst_buffer_unref(o);
  }
  free_harness(h, NULL);
}

/* csvparse's first row has no duration (the next row's time is unknown yet), the others have
 * theirs: no window ends in the first row, so no output is stamped without a duration and no
 * WARNING is due (the README's pipeline printed one). */
static void first_frame_without_duration(const char *model, const float *x)
{
  GstBus *bus;
  GstHarness *h = new_harness(model, &bus);
  gst_harness_set_src_caps_str(h, VARIABLE_RATE_CAPS);
  for (int i = 0; i < 36; i++)
    push_timed(h, x, i, 1, (GstClockTime)i * GST_SECOND, i > 0 ? GST_SECOND : GST_CLOCK_TIME_NONE);
  CHECK(gst_harness_buffers_in_queue(h) > 0, "no output from 36 frames");
  int warnings = count_messages(bus, GST_MESSAGE_WARNING);
  CHECK(warnings == 0, "%d warnings for a first frame without a duration", warnings);
  free_harness(h, bus);
}

/* The last SEGMENT event downstream, and whether every output buffer lies whole inside it. */
static void check_outputs_in_segment(GstHarness *h, const char *what, int expect)
{
  GstSegment seg;
  gboolean have = FALSE;
  GstEvent *ev;
  while ((ev = gst_harness_try_pull_event(h)) != NULL) {
    if (GST_EVENT_TYPE(ev) == GST_EVENT_SEGMENT) {
      gst_event_copy_segment(ev, &seg);
      have = TRUE;
    }
    gst_event_unref(ev);
  }
  CHECK(have, "%s: no segment downstream", what);
  CHECK((int)gst_harness_buffers_in_queue(h) == expect, "%s: %u outputs, expected %d", what,
        gst_harness_buffers_in_queue(h), expect);
  GstBuffer *b;
  while (have && (b = gst_harness_try_pull(h)) != NULL) {
    guint64 start, stop, end = GST_BUFFER_PTS(b) + GST_BUFFER_DURATION(b);
    gboolean in = gst_segment_clip(&seg, GST_FORMAT_TIME, GST_BUFFER_PTS(b), end, &start, &stop);
    CHECK(in && start == GST_BUFFER_PTS(b) && stop == end,
          "%s: output %" GST_TIME_FORMAT " + %" GST_TIME_FORMAT
          " outside the segment (stop %" GST_TIME_FORMAT ")",
          what, GST_TIME_ARGS(GST_BUFFER_PTS(b)), GST_TIME_ARGS(GST_BUFFER_DURATION(b)),
          GST_TIME_ARGS(seg.stop));
    gst_buffer_unref(b);
  }
}

/* A segment that stops where the frames end (a seek with a stop, a demuxer that knows the
 * duration): the last window ends there, so its output is stamped at the stop; a sink clipping to
 * the segment dropped it. */
static void segment_stop(const char *model, const float *x)
{
  GstHarness *h = new_harness(model, NULL);
  gst_harness_set_src_caps_str(h, "audio/x-raw, format=F32LE, layout=interleaved, rate=200, "
                                  "channels=2");
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  seg.stop = gst_util_uint64_scale(36, GST_SECOND, RATE);
  gst_harness_push_event(h, gst_event_new_segment(&seg));
  /* new caps (hop 4 now lasts 40 ms, not 20): the segment downstream follows (pushed as an event:
   * gst_harness_set_src_caps_str would send a new segment too) */
  gst_harness_push_event(h, gst_event_new_caps(gst_caps_from_string(
                                "audio/x-raw, format=F32LE, layout=interleaved, rate=100, "
                                "channels=2")));
  push_frames(h, x, 0, 36); /* windows end at frames 32 and 36, the stop */
  check_outputs_in_segment(h, "audio", 2);
  gst_harness_teardown(h);

  /* variable rate: frame times come from the buffers */
  h = new_harness(model, NULL);
  gst_harness_set_src_caps_str(h, VARIABLE_RATE_CAPS);
  gst_harness_push_event(h, gst_event_new_segment(&seg));
  push_frames(h, x, 0, 36);
  check_outputs_in_segment(h, "variable rate", 2);
  gst_harness_teardown(h);
}

int main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  if (argc < 2)
    return 2;
  GstHarness *h = new_harness(argv[1], NULL);
  gst_harness_set_src_caps_str(h, "audio/x-raw, format=F32LE, layout=interleaved, rate=100, "
                                  "channels=2");
  float x[2 * (FRAMES + 1)], a[OUTS * 48], b[OUTS * 48];
  GstClockTime pa[OUTS], pb[OUTS];
  for (int i = 0; i < 2 * (FRAMES + 1); i++)
    x[i] = (float)((i * 7919) % 200) / 100.0f - 1.0f;

  push_frames(h, x, 0, FRAMES);
  pull(h, OUTS, a, pa);
  CHECK(gst_harness_buffers_in_queue(h) == 0, "more outputs than windows");

  gst_harness_push_event(h, gst_event_new_flush_start());
  gst_harness_push_event(h, gst_event_new_flush_stop(TRUE));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  gst_harness_push_event(h, gst_event_new_segment(&seg));
  push_frames(h, x, 0, FRAMES);
  pull(h, OUTS, b, pb);
  CHECK(memcmp(a, b, sizeof(a)) == 0, "outputs after FLUSH differ from the first run");
  CHECK(memcmp(pa, pb, sizeof(pa)) == 0, "PTS after FLUSH differ from the first run");
  CHECK(pa[0] == gst_util_uint64_scale(32, GST_SECOND, RATE), "first PTS %" GST_TIME_FORMAT,
        GST_TIME_ARGS(pa[0]));

  /* frame 50 alone does not complete window 5 (it ends at frame 52): EOS drops it */
  push_frames(h, x, FRAMES, 1);
  CHECK(gst_harness_buffers_in_queue(h) == 0, "a partial hop produced an output");
  CHECK(gst_harness_push_event(h, gst_event_new_eos()), "EOS refused");
  GstEvent *ev;
  gboolean eos = FALSE;
  while ((ev = gst_harness_try_pull_event(h)) != NULL) {
    eos |= GST_EVENT_TYPE(ev) == GST_EVENT_EOS;
    gst_event_unref(ev);
  }
  CHECK(eos, "EOS not forwarded");
  CHECK(gst_harness_buffers_in_queue(h) == 0, "output after EOS");

  gst_harness_set_upstream_latency(h, 10 * GST_MSECOND);
  CHECK(gst_harness_query_latency(h) == 10 * GST_MSECOND, "latency %" GST_TIME_FORMAT,
        GST_TIME_ARGS(gst_harness_query_latency(h)));

  guint64 windows = 0, hop_ns = 0;
  GstElement *e = gst_harness_find_element(h, "streamcnn");
  g_object_get(e, "windows-computed", &windows, "mean-hop-time", &hop_ns, NULL);
  gst_object_unref(e);
  CHECK(windows == 2 * OUTS, "windows-computed %" G_GUINT64_FORMAT, windows);
  CHECK(hop_ns > 0, "mean-hop-time is 0");
  gst_harness_teardown(h);

  /* data before caps: refused as not negotiated (it once divided by a zero frame size) */
  h = new_harness(argv[1], NULL);
  gst_harness_play(h);
  CHECK(gst_harness_push(h, gst_buffer_new_memdup(x, sizeof x)) == GST_FLOW_NOT_NEGOTIATED,
        "data before caps was not refused as not negotiated");
  gst_harness_teardown(h);
  refused_caps(argv[1], x);
  hop_changed_while_playing(argv[1], x);
  variable_rate_without_duration(argv[1], x);
  first_frame_without_duration(argv[1], x);
  spacing_changes(argv[1], x);
  segment_stop(argv[1], x);
  printf("streamcnn harness: %d failed\n", failures);
  return failures ? 1 : 0;
}
