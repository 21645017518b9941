/* Unit tests of the other/tensors caps helpers (elements/tensorcaps.c).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstcheck.h>
#include "tensorcaps.h"

static GstCaps *caps_from(const gchar *text)
{
  GstCaps *caps = gst_caps_from_string(text);
  fail_unless(caps != NULL, "caps string did not parse: %s", text);
  return caps;
}

/* Parses text and expects failure with a message containing `needle`. */
static void expect_refused(const gchar *text, const gchar *needle)
{
  VigilTensorsInfo info;
  GError *error = NULL;
  GstCaps *caps = caps_from(text);
  fail_if(vigil_tensors_info_from_caps(caps, &info, &error), "accepted: %s", text);
  fail_unless(error != NULL);
  fail_unless(strstr(error->message, needle) != NULL, "message '%s' lacks '%s'", error->message,
              needle);
  g_error_free(error);
  gst_caps_unref(caps);
}

GST_START_TEST(test_parse_good)
{
  VigilTensorsInfo info;
  GError *error = NULL;
  GstCaps *caps =
      caps_from("other/tensors, format=static, num_tensors=2, types=\"float32,float32\","
                " dimensions=\"8:3:1:1,5\", framerate=100/1");
  fail_unless(vigil_tensors_info_from_caps(caps, &info, &error), "%s", error ? error->message : "");
  fail_unless_equals_int(info.num_tensors, 2);
  fail_unless_equals_int(info.shapes[0].rank, 2); /* trailing 1s dropped */
  fail_unless_equals_int(info.shapes[0].dims[0], 8);
  fail_unless_equals_int(info.shapes[0].dims[1], 3);
  fail_unless_equals_int(info.shapes[1].rank, 1);
  fail_unless_equals_int(vigil_tensors_info_frame_values(&info), 29);
  fail_unless_equals_int(info.rate_n, 100);
  fail_unless_equals_int(info.rate_d, 1);
  gst_caps_unref(caps);
}
GST_END_TEST;

GST_START_TEST(test_round_trip)
{
  VigilTensorsInfo info, back;
  guint d0[] = {513, 2}, d1[] = {1};
  vigil_tensors_info_init(&info, 48000, 512);
  fail_unless(vigil_tensors_info_append(&info, 2, d0));
  fail_unless(vigil_tensors_info_append(&info, 1, d1));
  GstCaps *caps = vigil_tensors_info_to_caps(&info);
  const GstStructure *st = gst_caps_get_structure(caps, 0);
  fail_unless_equals_string(gst_structure_get_string(st, "dimensions"), "513:2,1");
  fail_unless_equals_string(gst_structure_get_string(st, "types"), "float32,float32");
  fail_unless_equals_string(gst_structure_get_string(st, "format"), "static");
  fail_unless(vigil_tensors_info_from_caps(caps, &back, NULL));
  fail_unless(memcmp(&info.shapes, &back.shapes, sizeof info.shapes) == 0);
  fail_unless_equals_int(back.rate_n * 512, 48000 * back.rate_d); /* 48000/512 reduces to 375/4 */
  gst_caps_unref(caps);
}
GST_END_TEST;

GST_START_TEST(test_integer_dimensions)
{
  VigilTensorsInfo info;
  GstCaps *caps = caps_from("other/tensors, num_tensors=1, types=float32, dimensions=8, "
                            "framerate=100/1");
  fail_unless(vigil_tensors_info_from_caps(caps, &info, NULL));
  fail_unless_equals_int(vigil_tensors_info_frame_values(&info), 8);
  gst_caps_unref(caps);
}
GST_END_TEST;

GST_START_TEST(test_template_accepts_caps_without_format)
{
  GstCaps *templ = gst_caps_from_string(VIGIL_TENSORS_CAPS_TEMPLATE);
  GstCaps *bare = caps_from("other/tensors, num_tensors=1, types=float32, dimensions=8, "
                            "framerate=10/1");
  GstCaps *flexible = caps_from("other/tensors, format=flexible, framerate=10/1");
  VigilTensorsInfo info;
  GError *error = NULL;
  /* Absent format means static: such caps must negotiate with Vigil's sink templates... */
  fail_unless(gst_caps_can_intersect(templ, bare));
  fail_unless(vigil_tensors_info_from_caps(bare, &info, NULL));
  /* ...and a non-static format reaches the parser, which refuses it with a message. */
  fail_unless(gst_caps_can_intersect(templ, flexible));
  fail_if(vigil_tensors_info_from_caps(flexible, &info, &error));
  fail_unless(strstr(error->message, "flexible") != NULL);
  g_error_free(error);
  gst_caps_unref(templ);
  gst_caps_unref(bare);
  gst_caps_unref(flexible);
}
GST_END_TEST;

GST_START_TEST(test_refusals)
{
  expect_refused("audio/x-raw, rate=8000", "not other/tensors");
  expect_refused("other/tensors, format=flexible, num_tensors=1, types=float32, dimensions=3, "
                 "framerate=0/1",
                 "format 'flexible'");
  expect_refused("other/tensors, num_tensors=1, types=uint8, dimensions=3, framerate=0/1",
                 "float32");
  expect_refused("other/tensors, num_tensors=1, types=complex99, dimensions=3, framerate=0/1",
                 "unknown type");
  expect_refused("other/tensors, num_tensors=2, types=float32, dimensions=\"3,3\", framerate=0/1",
                 "'types' lists 1");
  expect_refused("other/tensors, num_tensors=1, types=float32, dimensions=\"3,3\", framerate=0/1",
                 "'dimensions' lists 2");
  expect_refused(
      "other/tensors, num_tensors=1, types=float32, dimensions=(string)3:0, framerate=0/1",
      "not a positive integer");
  expect_refused(
      "other/tensors, num_tensors=1, types=float32, dimensions=(string)3:x, framerate=0/1",
      "not a positive integer");
  expect_refused(
      "other/tensors, num_tensors=1, types=float32, dimensions=(string)\"3:-2\", framerate=0/1",
      "not a positive integer");
  expect_refused("other/tensors, num_tensors=1, types=float32, dimensions=(string)65536:65536, "
                 "framerate=0/1",
                 "values per frame");
  expect_refused("other/tensors, num_tensors=1, types=float32, dimensions=1:2:3:4:5:6:7:8:9, "
                 "framerate=0/1",
                 "rank 9");
  expect_refused("other/tensors, num_tensors=1, types=float32, dimensions=3", "framerate");
  expect_refused("other/tensors, num_tensors=1, types=float32, dimensions=8:3, framerate=0/1",
                 "dimensions=(string)8:3");
  expect_refused("other/tensors, num_tensors=17, types=float32, dimensions=3, framerate=0/1",
                 "out of range");
  expect_refused("other/tensors, types=float32, dimensions=3, framerate=0/1", "num_tensors");
  expect_refused("other/tensors, num_tensors=1, dimensions=3, framerate=0/1", "'types'");
  expect_refused("other/tensors, num_tensors=1, types=float32, framerate=0/1", "'dimensions'");
}
GST_END_TEST;

GST_START_TEST(test_map_buffers)
{
  VigilTensorsInfo info;
  VigilTensorsMap map;
  GError *error = NULL;
  guint d0[] = {3}, d1[] = {2};

  vigil_tensors_info_init(&info, 10, 1);
  vigil_tensors_info_append(&info, 1, d0);
  GstBuffer *buf = gst_buffer_new_allocate(NULL, 4 * sizeof(gfloat) * 3, NULL);
  fail_unless(vigil_tensors_map(buf, &info, GST_MAP_READ, &map, &error));
  fail_unless_equals_int(map.n_frames, 4);
  vigil_tensors_unmap(&map);
  gst_buffer_unref(buf);

  buf = gst_buffer_new_allocate(NULL, 10, NULL); /* not a whole frame */
  fail_if(vigil_tensors_map(buf, &info, GST_MAP_READ, &map, &error));
  fail_unless(strstr(error->message, "whole number") != NULL);
  g_clear_error(&error);
  gst_buffer_unref(buf);

  vigil_tensors_info_append(&info, 1, d1);
  buf = vigil_tensors_buffer_new(&info, 5);
  fail_unless_equals_int(gst_buffer_n_memory(buf), 2);
  fail_unless(vigil_tensors_map(buf, &info, GST_MAP_WRITE, &map, &error));
  fail_unless_equals_int(map.n_frames, 5);
  map.data[1][9] = 1.0f; /* last value of tensor 1 */
  vigil_tensors_unmap(&map);
  gst_buffer_unref(buf);

  buf = gst_buffer_new_allocate(NULL, 5 * 5 * sizeof(gfloat), NULL); /* one memory, two tensors */
  fail_if(vigil_tensors_map(buf, &info, GST_MAP_READ, &map, &error));
  fail_unless(strstr(error->message, "num_tensors=2") != NULL, "%s", error->message);
  g_clear_error(&error);
  gst_buffer_unref(buf);
}
GST_END_TEST;

static Suite *tensorcaps_suite(void)
{
  Suite *s = suite_create("tensorcaps");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_parse_good);
  tcase_add_test(tc, test_round_trip);
  tcase_add_test(tc, test_integer_dimensions);
  tcase_add_test(tc, test_template_accepts_caps_without_format);
  tcase_add_test(tc, test_refusals);
  tcase_add_test(tc, test_map_buffers);
  return s;
}

GST_CHECK_MAIN(tensorcaps);
