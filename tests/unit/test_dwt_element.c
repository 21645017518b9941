/* GstHarness tests of the dwt element: frame counts and values of a known signal, EOS tail,
 * FLUSH and DISCONT restarts, timestamps, latency, refused settings.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "dwt/vg_dwt.h"

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

/* A FLUSH, then the caps and a new time segment again, as a seek would send them. */
static void flush(GstHarness *h)
{
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_start()));
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  gst_harness_set_src_caps_str(h, CAPS);
  gst_harness_push_event(h, gst_event_new_segment(&(GstSegment){.format = GST_FORMAT_TIME,
                                                                .rate = 1.0,
                                                                .applied_rate = 1.0,
                                                                .stop = GST_CLOCK_TIME_NONE,
                                                                .duration = GST_CLOCK_TIME_NONE}));
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
  flush(h);
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

/* transform=swt restarts too: after FLUSH_STOP and after a DISCONT buffer the filters start from
 * zero history again (the output equals a fresh stream's) and the first output is flagged
 * DISCONT. haar, 1 level, by hand: cA_1[i] = (x[i] + x[i-1]) / sqrt2, cD_1[i] = (x[i-1] - x[i]) /
 * sqrt2 (pywt's dec_hi = [-1, 1] / sqrt2), x[-1] = 0 at the start of a segment. It used to keep
 * the history over a DISCONT (mixing the frames before a gap into those after it) and to flag
 * nothing after a flush. */
GST_START_TEST(test_swt_restarts)
{
  GstHarness *h = new_dwt("transform=swt wavelet=haar levels=1");
  const gfloat x[2] = {4, 8}, six = 6, two = 2, ten = 10;
  const gfloat r2 = sqrtf(2.0f);
  GstBuffer *out = gst_harness_push_and_pull(h, frames(x, 2, 0));
  fail_unless(GST_BUFFER_IS_DISCONT(out), "the first swt output is not DISCONT");
  fail_unless(fabsf(value(out, 0, 2) - 12.0f / r2) < 1e-5f, "cA_1[1] = %g", value(out, 0, 2));
  gst_buffer_unref(out);
  flush(h);
  out = gst_harness_push_and_pull(h, frames(&six, 1, 0)); /* no DISCONT flag on the input */
  fail_unless(GST_BUFFER_IS_DISCONT(out), "the first swt output after FLUSH is not DISCONT");
  fail_unless(fabsf(value(out, 0, 0) - 6.0f / r2) < 1e-5f, "after FLUSH cA_1 = %g",
              value(out, 0, 0));
  fail_unless(fabsf(value(out, 0, 1) + 6.0f / r2) < 1e-5f, "after FLUSH cD_1 = %g",
              value(out, 0, 1));
  gst_buffer_unref(out);
  out = gst_harness_push_and_pull(h, frames(&two, 1, 1)); /* continues: x[-1] = 6 */
  fail_if(GST_BUFFER_IS_DISCONT(out), "a continuing swt output is DISCONT");
  fail_unless(fabsf(value(out, 0, 0) - 8.0f / r2) < 1e-5f, "cA_1 = %g", value(out, 0, 0));
  fail_unless(fabsf(value(out, 0, 1) - 4.0f / r2) < 1e-5f, "cD_1 = %g", value(out, 0, 1));
  gst_buffer_unref(out);
  GstBuffer *d = frames(&ten, 1, 100);
  GST_BUFFER_FLAG_SET(d, GST_BUFFER_FLAG_DISCONT);
  out = gst_harness_push_and_pull(h, d);
  fail_unless(GST_BUFFER_IS_DISCONT(out), "the first swt output after DISCONT is not DISCONT");
  fail_unless_equals_uint64(GST_BUFFER_PTS(out), gst_util_uint64_scale(100, GST_SECOND, 8));
  fail_unless(fabsf(value(out, 0, 0) - 10.0f / r2) < 1e-5f,
              "after DISCONT cA_1 = %g: the frame before the gap is still in the filter",
              value(out, 0, 0));
  fail_unless(fabsf(value(out, 0, 1) + 10.0f / r2) < 1e-5f, "after DISCONT cD_1 = %g",
              value(out, 0, 1));
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

/* The EOS tail of large frames comes in several buffers (at most 4 MiB, here 16 frames of
 * 4096 x 16 floats), consecutive in time, whose bytes together are the kernel's one-shot
 * vg_dwt_flush tail (repacked for layout=packed), then the segment's message. db20, 12 levels,
 * 16 channels at 8 Hz (a frame is 512 s), 3 blocks and 100 frames: 3 frames, then a tail of 39.
 * Before the tail was computed in pieces, it left as one buffer. */
#define TAIL_J 12
#define TAIL_C 16
static void check_tail_pieces(gboolean packed)
{
  const guint block = 1u << TAIL_J, n = 3 * block + 100;
  GstHarness *h =
      new_dwt(packed ? "wavelet=db20 levels=12 layout=packed" : "wavelet=db20 levels=12");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, "audio/x-raw, format=F32LE, layout=interleaved, rate=8, "
                                  "channels=16");
  gfloat *x = g_new(gfloat, (gsize)n * TAIL_C);
  for (guint i = 0; i < n * TAIL_C; i++)
    x[i] = (gfloat)((i * 7919u) % 1000u) / 500.0f - 1.0f;

  /* The reference: the kernel's whole blocks, then its one-shot tail (ref[t]: tail frames of
   * tensor t), packed as the element packs them: per signal, cA_J then cD_J, ..., cD_1. */
  VgWavelet w;
  VgError err = {{0}};
  fail_unless(vg_wavelet_init(&w, "db20", &err) == VG_OK);
  VgDwt *d = vg_dwt_create(&w, TAIL_J, TAIL_C, &err);
  gfloat *ref[TAIL_J + 1];
  gsize tail = 0, whole = 0, frame_floats = (gsize)block * TAIL_C;
  for (guint t = 0; t <= TAIL_J; t++)
    ref[t] = g_new0(gfloat, (gsize)64 * vg_dwt_tensor_width(d, t) * TAIL_C);
  vg_dwt_push(d, x, n, ref, &whole);
  fail_unless_equals_int(whole, 3);
  fail_unless(vg_dwt_flush(d, ref, &tail) == VG_OK);
  fail_unless_equals_int(tail, 39);
  gfloat *want = g_new0(gfloat, tail * frame_floats);
  for (gsize k = 0; k < tail; k++)
    for (guint s = 0; s < TAIL_C; s++)
      for (guint t = 0; t <= TAIL_J; t++) {
        guint wt = vg_dwt_tensor_width(d, t);
        memcpy(want + (k * TAIL_C + s) * block + (t ? wt : 0), ref[t] + (k * TAIL_C + s) * wt,
               wt * sizeof(gfloat));
      }
  vg_dwt_destroy(d);

  gsize bytes = (gsize)n * TAIL_C * sizeof(gfloat);
  GstBuffer *in = gst_buffer_new_wrapped(g_memdup2(x, bytes), bytes);
  GST_BUFFER_PTS(in) = 0;
  GST_BUFFER_DURATION(in) = (GstClockTime)n * GST_SECOND / 8;
  fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
  gst_buffer_unref(gst_harness_pull(h)); /* the 3 whole blocks */
  fail_unless(gst_harness_push_event(h, gst_event_new_eos()));
  const GstClockTime frame_time = (GstClockTime)block * GST_SECOND / 8;
  GstClockTime next = 3 * frame_time;
  gsize got = 0;
  guint pieces = 0;
  GstBuffer *out;
  while ((out = gst_harness_try_pull(h))) {
    gsize m = 0;
    for (guint t = 0; t < gst_buffer_n_memory(out); t++) {
      GstMapInfo info;
      GstMemory *mem = gst_buffer_peek_memory(out, t);
      fail_unless(gst_memory_map(mem, &info, GST_MAP_READ));
      gsize wt = packed ? block : (t ? 1u << (t - 1) : 1u), v = wt * TAIL_C;
      const gfloat *expect = packed ? want + got * frame_floats : ref[t] + got * v;
      m = info.size / (v * sizeof(gfloat));
      fail_unless(m * v * sizeof(gfloat) == info.size);
      fail_unless(memcmp(info.data, expect, info.size) == 0,
                  "tail frames from %" G_GSIZE_FORMAT ": tensor %u differs", got, t);
      gst_memory_unmap(mem, &info);
    }
    fail_unless(m >= 1 && m <= 16, "%" G_GSIZE_FORMAT " frames in a tail buffer", m);
    fail_unless_equals_uint64(GST_BUFFER_PTS(out), next);
    fail_unless_equals_uint64(GST_BUFFER_DURATION(out), m * frame_time);
    fail_if(GST_BUFFER_IS_DISCONT(out));
    next += GST_BUFFER_DURATION(out);
    got += m;
    pieces++;
    gst_buffer_unref(out);
  }
  fail_unless_equals_int(got, tail);
  fail_unless_equals_int(pieces, 3); /* 16 + 16 + 7 */
  GstMessage *msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
  fail_unless(msg != NULL);
  guint tail_frames = 0;
  guint64 ts = 0, dur = 0;
  const GstStructure *st = gst_message_get_structure(msg);
  fail_unless(gst_structure_get_uint(st, "tail-frames", &tail_frames));
  fail_unless(gst_structure_get_uint64(st, "timestamp", &ts));
  fail_unless(gst_structure_get_uint64(st, "duration", &dur));
  fail_unless_equals_int(tail_frames, tail);
  fail_unless_equals_uint64(ts, 3 * frame_time);
  fail_unless_equals_uint64(dur, tail * frame_time);
  gst_message_unref(msg);
  for (guint t = 0; t <= TAIL_J; t++)
    g_free(ref[t]);
  g_free(want);
  g_free(x);
  gst_element_set_bus(h->element, NULL);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

GST_START_TEST(test_tail_pieces)
{
  check_tail_pieces(FALSE);
}
GST_END_TEST;

GST_START_TEST(test_tail_pieces_packed)
{
  check_tail_pieces(TRUE);
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
  tcase_add_test(tc, test_swt_restarts);
  tcase_add_test(tc, test_caps_change);
  tcase_add_test(tc, test_latency);
  tcase_add_test(tc, test_first_buffer_without_pts);
  tcase_add_test(tc, test_wavelet_null);
  tcase_add_test(tc, test_tail_pieces);
  tcase_add_test(tc, test_tail_pieces_packed);
  return s;
}

GST_CHECK_MAIN(dwt);
