/* Unit tests of the signal input helper (elements/frameinput.c).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstcheck.h>
#include "frameinput.h"

static gboolean parse(const gchar *text, VigilFrameFormat *fmt, GError **error)
{
  GstCaps *caps = gst_caps_from_string(text);
  gboolean ok = vigil_frame_format_from_caps(caps, fmt, error);
  gst_caps_unref(caps);
  return ok;
}

GST_START_TEST(test_audio_many_channels_without_mask)
{
  VigilFrameFormat fmt;
  GError *error = NULL;
  /* Sensor streams: 8 channels and no channel-mask must be accepted. */
  fail_unless(
      parse("audio/x-raw, format=F32LE, layout=interleaved, rate=100, channels=8", &fmt, &error),
      "%s", error ? error->message : "");
  fail_unless_equals_int(fmt.format, VIGIL_SAMPLES_F32);
  fail_unless_equals_int(fmt.channels, 8);
  fail_unless_equals_int(fmt.frame_values, 8);
  fail_unless_equals_int(fmt.rate_n, 100);
}
GST_END_TEST;

GST_START_TEST(test_tensor_frames)
{
  VigilFrameFormat fmt;
  fail_unless(parse("other/tensors, num_tensors=1, types=float32, dimensions=(string)40:3, "
                    "framerate=50/1",
                    &fmt, NULL));
  fail_unless_equals_int(fmt.format, VIGIL_SAMPLES_TENSOR);
  fail_unless_equals_int(fmt.channels, 3);
  fail_unless_equals_int(fmt.inner, 40);
  fail_unless_equals_int(fmt.frame_values, 120);
}
GST_END_TEST;

GST_START_TEST(test_refusals_are_readable)
{
  VigilFrameFormat fmt;
  GError *error = NULL;
  fail_if(
      parse("audio/x-raw, format=S32LE, layout=interleaved, rate=8000, channels=1", &fmt, &error));
  fail_unless(strstr(error->message, "S32LE") && strstr(error->message, "audioconvert"), "%s",
              error->message);
  g_clear_error(&error);
  fail_if(parse("video/x-raw, width=3", &fmt, &error));
  /* The caps are printed as text, not as a pointer. */
  fail_unless(strstr(error->message, "video/x-raw") != NULL, "%s", error->message);
  g_clear_error(&error);
}
GST_END_TEST;

GST_START_TEST(test_s16_scaling)
{
  VigilFrameFormat fmt;
  VigilFrames frames;
  gint16 samples[4] = {GINT16_TO_LE(-32768), GINT16_TO_LE(16384), GINT16_TO_LE(0),
                       GINT16_TO_LE(32767)};
  GArray *scratch = g_array_new(FALSE, FALSE, sizeof(gfloat));
  fail_unless(
      parse("audio/x-raw, format=S16LE, layout=interleaved, rate=8000, channels=2", &fmt, NULL));
  GstBuffer *buf = gst_buffer_new_memdup(samples, sizeof samples);
  fail_unless(vigil_frames_map(buf, &fmt, scratch, &frames, NULL));
  fail_unless_equals_int(frames.n_frames, 2);
  fail_unless_equals_float(frames.data[0], -1.0f);
  fail_unless_equals_float(frames.data[1], 0.5f);
  fail_unless_equals_float(frames.data[3], 32767.0f / 32768.0f);
  vigil_frames_unmap(&frames);
  gst_buffer_unref(buf);
  g_array_unref(scratch);
}
GST_END_TEST;

static Suite *frameinput_suite(void)
{
  Suite *s = suite_create("frameinput");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_audio_many_channels_without_mask);
  tcase_add_test(tc, test_tensor_frames);
  tcase_add_test(tc, test_refusals_are_readable);
  tcase_add_test(tc, test_s16_scaling);
  return s;
}

GST_CHECK_MAIN(frameinput);
