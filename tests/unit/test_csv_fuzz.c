/* Bounded-time fuzzing of csvparse: random and mutated CSV inputs, cut into random pieces, through
 * the reader and framer kernels (with random configurations) and through the element in a
 * GstHarness (half the time followed by csvenc). Passes if nothing crashes (ASan/UBSan in the
 * sanitizer build) and the invariants hold: rows have the selected number of values, times never go
 * back, batches are not overfull.
 *
 * Deterministic for a seed (VIGIL_FUZZ_SEED, default 1); each phase stops after its iteration
 * count or its time budget, whichever comes first, so the test stays fast under sanitizers.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <stdlib.h>

#include "csv/vg_csv_framer.h"
#include "csv/vg_csv_reader.h"

#define INPUT_MAX    2048
#define KERNEL_RUNS  20000
#define ELEMENT_RUNS 1500
#define BUDGET_US    (2 * G_USEC_PER_SEC)

static guint64 rng_state;

static guint32 rnd(void)
{
  /* xorshift64*: small, deterministic, good enough to drive a fuzzer */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (guint32)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static const gchar seed_csv[] = "\xEF\xBB\xBF"
                                "datetime;a;b;label\r\n"
                                "2020-02-08 13:30:47;0.202394;0.275154;x\r\n"
                                "2020-02-08 13:30:48.5;-1e3;nan;y\r\n"
                                "2020-02-08T13:30:49Z;\"1.5\";;\"q\"\"z\"\r\n"
                                "2020-02-08 13:30:47;1;2;3\n"
                                "12.5;1;2\n";

/* Random bytes from an alphabet biased towards CSV syntax, or a mutated seed file. */
static gsize make_input(gchar *buf)
{
  static const gchar alphabet[] = "0123456789.,;\t\n\r\"-+eEnaNTZ: xt\xEF\xBB\xBF";
  gsize len;
  if (rnd() % 3 == 0) {
    len = rnd() % INPUT_MAX;
    for (gsize i = 0; i < len; i++)
      buf[i] = rnd() % 8 ? alphabet[rnd() % (sizeof alphabet - 1)] : (gchar)rnd();
    return len;
  }
  len = sizeof seed_csv - 1;
  memcpy(buf, seed_csv, len);
  for (guint m = rnd() % 8; m > 0; m--) {
    gsize at = len ? rnd() % len : 0;
    switch (rnd() % 4) {
    case 0: /* replace a byte */
      if (len)
        buf[at] = rnd() % 2 ? alphabet[rnd() % (sizeof alphabet - 1)] : (gchar)rnd();
      break;
    case 1: /* delete a run */
      if (len) {
        gsize r = rnd() % 16, n = MIN(r, len - at);
        memmove(buf + at, buf + at + n, len - at - n);
        len -= n;
      }
      break;
    default: /* duplicate a run (grows rows and lines) */
      if (len && len < INPUT_MAX / 2) {
        gsize r = rnd() % 64, n = MIN(r, len - at);
        memmove(buf + at + n, buf + at, len - at);
        len += n;
      }
      break;
    }
  }
  return len;
}

static const gchar *pick(const gchar *const *options, guint n)
{
  return options[rnd() % n];
}

static VgCsvConfig random_config(void)
{
  static const gchar *const columns[] = {NULL, "", "0", "a,1", "b, a", "zz", "3,3"};
  static const gchar *const stamps[] = {NULL, "auto", "none", "0", "label", "9"};
  static const char delims[] = {0, ',', ';', '\t'};
  VgCsvConfig cfg = {delims[rnd() % 4], pick(columns, G_N_ELEMENTS(columns)),
                     pick(stamps, G_N_ELEMENTS(stamps)), (int)(rnd() % 2),
                     rnd() % 2 ? 0 : 8 + rnd() % 200};
  return cfg;
}

/* Reads everything fed so far; returns FALSE once the reader failed. */
static gboolean drain(VgCsvReader *r, VgCsvFramer **f, guint fpb, int64_t *last_ns)
{
  VgCsvRow row;
  VgCsvBatch batch;
  VgError err;
  for (;;) {
    int st = vg_csv_reader_next(r, &row, &err);
    if (st == VG_CSV_NEED_DATA)
      return TRUE;
    if (st == VG_ERR)
      return FALSE;
    if (st == VG_CSV_COLUMNS) {
      vg_csv_framer_destroy(*f);
      *f = vg_csv_framer_create(vg_csv_reader_n_columns(r), fpb, &err);
      fail_unless(*f != NULL, "%s", err.msg);
    } else if (st == VG_CSV_ROW) {
      fail_unless(*f != NULL, "a row before the columns");
      fail_unless(row.time_ns >= *last_ns || row.time_ns == -1, "time went back");
      *last_ns = row.time_ns;
      uint64_t tick = row.time_ns >= 0 ? (uint64_t)row.time_ns : row.index;
      if (vg_csv_framer_push(*f, row.values, tick, 0, &batch))
        fail_unless(batch.n_frames >= 1 && batch.n_frames <= fpb);
    }
  }
}

static void fuzz_kernel_once(const gchar *input, gsize len)
{
  VgCsvConfig cfg = random_config();
  VgError err;
  VgCsvReader *r = vg_csv_reader_create(&cfg, &err);
  fail_unless(r != NULL, "%s", err.msg);
  VgCsvFramer *f = NULL;
  guint fpb = 1 + rnd() % 5;
  int64_t last_ns = -1;
  gboolean ok = TRUE;
  for (gsize pos = 0; pos < len && ok;) {
    gsize want = 1 + rnd() % (rnd() % 2 ? 4 : 512), n = MIN(len - pos, want);
    vg_csv_reader_feed(r, input + pos, n);
    ok = drain(r, &f, fpb, &last_ns);
    pos += n;
  }
  if (ok) {
    vg_csv_reader_finish(r);
    drain(r, &f, fpb, &last_ns);
  }
  vg_csv_framer_destroy(f);
  vg_csv_reader_destroy(r);
}

GST_START_TEST(test_fuzz_kernels)
{
  static gchar input[INPUT_MAX * 2];
  gint64 end = g_get_monotonic_time() + BUDGET_US;
  guint runs = 0;
  for (; runs < KERNEL_RUNS && g_get_monotonic_time() < end; runs++)
    fuzz_kernel_once(input, make_input(input));
  GST_INFO("%u kernel runs", runs);
  g_print("fuzz: %u kernel runs\n", runs);
}
GST_END_TEST;

static void fuzz_element_once(const gchar *input, gsize len)
{
  GstElement *e = gst_element_factory_make("csvparse", NULL);
  g_object_set(e, "frames-per-buffer", 1 + rnd() % 4, "allow-nan", (gboolean)(rnd() % 2), NULL);
  if (rnd() % 2)
    g_object_set(e, "columns", rnd() % 2 ? "a" : "1,0", NULL);
  GstHarness *h = gst_harness_new_with_element(e, "sink", "src");
  gst_object_unref(e);
  if (rnd() % 2) /* half the runs also format what comes out */
    gst_harness_add_sink_parse(h, "csvenc ! fakesink");
  gst_harness_set_src_caps_str(h, "text/csv");
  GstFlowReturn ret = GST_FLOW_OK;
  for (gsize pos = 0; pos < len && ret == GST_FLOW_OK;) {
    gsize r = 1 + rnd() % 300, n = MIN(len - pos, r);
    ret = gst_harness_push(h, gst_buffer_new_memdup(input + pos, n));
    pos += n;
  }
  if (ret == GST_FLOW_OK)
    gst_harness_push_event(h, gst_event_new_eos());
  GstBuffer *buf;
  while ((buf = gst_harness_try_pull(h)) != NULL)
    gst_buffer_unref(buf);
  gst_harness_teardown(h);
}

GST_START_TEST(test_fuzz_element)
{
  static gchar input[INPUT_MAX * 2];
  gint64 end = g_get_monotonic_time() + BUDGET_US;
  guint runs = 0;
  for (; runs < ELEMENT_RUNS && g_get_monotonic_time() < end; runs++)
    fuzz_element_once(input, make_input(input));
  g_print("fuzz: %u element runs\n", runs);
}
GST_END_TEST;

static Suite *csv_fuzz_suite(void)
{
  Suite *s = suite_create("csv-fuzz");
  TCase *tc = tcase_create("fuzz");
  const gchar *seed = g_getenv("VIGIL_FUZZ_SEED");
  rng_state = seed ? g_ascii_strtoull(seed, NULL, 10) : 1;
  if (rng_state == 0)
    rng_state = 1;
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_fuzz_kernels);
  tcase_add_test(tc, test_fuzz_element);
  return s;
}

GST_CHECK_MAIN(csv_fuzz);
