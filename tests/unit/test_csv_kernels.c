/* Unit tests of the CSV kernels (kernels/csv/) against hand-computed values. Plain C: the kernels
 * know nothing of GStreamer.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv/vg_csv_cells.h"
#include "csv/vg_csv_format.h"
#include "csv/vg_csv_framer.h"
#include "csv/vg_csv_lines.h"
#include "csv/vg_csv_number.h"
#include "csv/vg_csv_reader.h"

#include "vg_check.h"

static locale_t loc;

/* Feeds text in pieces of `piece` bytes and collects the lines, joined with '|'. */
static void lines_of(const char *text, size_t piece, size_t max_line, char *out, size_t size)
{
  VgCsvLines *l = vg_csv_lines_create(max_line, NULL);
  size_t len = strlen(text), used = 0;
  out[0] = '\0';
  for (size_t pos = 0; pos <= len; pos = pos + piece < len ? pos + piece : len + (pos == len)) {
    size_t n = len - pos < piece ? len - pos : piece;
    if (pos == len)
      vg_csv_lines_finish(l);
    else
      vg_csv_lines_feed(l, text + pos, n);
    const char *line;
    size_t line_len;
    int st;
    while ((st = vg_csv_lines_next(l, &line, &line_len, NULL)) != VG_CSV_NEED_DATA) {
      if (st == VG_CSV_LINE_TOO_LONG)
        used += snprintf(out + used, size - used, "<long>|");
      else
        used += snprintf(out + used, size - used, "%.*s|", (int)line_len, line);
    }
  }
  vg_csv_lines_destroy(l);
}

static void test_lines(void)
{
  char out[256];
  const char *text = "\xEF\xBB\xBF"
                     "a,b\r\nc,d\n\ne";
  for (size_t piece = 1; piece <= 13; piece++) {
    lines_of(text, piece, 0, out, sizeof out);
    CHECK(strcmp(out, "a,b|c,d||e|") == 0, "piece %zu: %s", piece, out);
  }
  lines_of("0123456789\nab\nabcdefgh\nxyz", 3, 8, out, sizeof out);
  CHECK(strcmp(out, "<long>|ab|abcdefgh|xyz|") == 0, "%s", out);
  lines_of("0123456789\nab", 100, 8, out, sizeof out);
  CHECK(strcmp(out, "<long>|ab|") == 0, "%s", out);
  lines_of("ab\n0123456789", 2, 8, out, sizeof out); /* too long at end of input */
  CHECK(strcmp(out, "ab|<long>|") == 0, "%s", out);
  lines_of("x\xEF\xBB\xBFy\n", 1, 0, out, sizeof out); /* a BOM not at the start stays */
  CHECK(strcmp(out, "x\xEF\xBB\xBFy|") == 0, "%s", out);

  /* A hostile input without newlines: 4 MiB through a 64-byte limit, one too-long line. */
  static char junk[4096];
  memset(junk, 'x', sizeof junk);
  VgCsvLines *l = vg_csv_lines_create(64, NULL);
  const char *line;
  size_t len;
  int results = 0;
  for (int i = 0; i < 1024; i++) {
    vg_csv_lines_feed(l, junk, sizeof junk);
    while (vg_csv_lines_next(l, &line, &len, NULL) != VG_CSV_NEED_DATA)
      results++;
  }
  vg_csv_lines_finish(l);
  CHECK(vg_csv_lines_next(l, &line, &len, NULL) == VG_CSV_LINE_TOO_LONG, "no too-long report");
  CHECK(results == 0, "%d lines from junk", results);
  vg_csv_lines_destroy(l);
  CHECK(vg_csv_lines_create(VG_CSV_LINE_MAX_LIMIT + 1, NULL) == NULL, "huge limit accepted");
}

static void test_cells(void)
{
  VgCsvCell c[4];
  const char *line = " a ; \"b;c\" ;\"d\"\"e\";";
  long n = vg_csv_split(line, strlen(line), ';', c, 4);
  char buf[16];
  CHECK(n == 4, "%ld cells", n);
  CHECK(c[0].len == 1 && c[0].p[0] == 'a' && !c[0].quoted, "cell 0");
  CHECK(c[1].len == 3 && memcmp(c[1].p, "b;c", 3) == 0 && c[1].quoted, "cell 1");
  vg_csv_cell_unquote(&c[2], buf);
  CHECK(strcmp(buf, "d\"e") == 0, "unquoted '%s'", buf);
  CHECK(c[3].len == 0, "empty last cell");
  CHECK(vg_csv_split("\"ab", 3, ',', c, 4) == -1, "unclosed quote accepted");
  CHECK(vg_csv_split("\"a\"b,c", 6, ',', c, 4) == -1, "text after quote accepted");
  CHECK(vg_csv_split("1,2,3,4,5,6", 11, ',', c, 2) == 6, "cells beyond max not counted");
  CHECK(vg_csv_split("a\t b\t", 5, '\t', c, 4) == 3, "tab split");
  CHECK(c[1].len == 1 && c[1].p[0] == 'b', "tab cell trimmed of spaces only");
  CHECK(vg_csv_detect_delimiter("a;b;c", 5) == ';', "semicolon");
  CHECK(vg_csv_detect_delimiter("a\tb,c\td", 7) == '\t', "tab");
  CHECK(vg_csv_detect_delimiter("\"x;y\",b", 7) == ',', "quoted ; ignored");
  CHECK(vg_csv_detect_delimiter("abc", 3) == ',', "single column");
  CHECK(vg_csv_line_is_blank(" \t ", 3) && !vg_csv_line_is_blank(" ,", 2), "blank");
}

static int num(const char *s, int allow_nan, float *v)
{
  return vg_csv_parse_float(s, strlen(s), allow_nan, loc, v);
}

/* Random decimal cells, [-] digits [. digits], against strtof_l bit for bit: the fast path
 * (m / 10^k, both exact floats) and the strtof fallback must agree with it everywhere, including at
 * the fast path's limits (2^24, 10 decimals) and for -0. */
static void test_numbers_against_strtof(void)
{
  uint64_t st = 0x2545f4914f6cdd1dull;
  char cell[40];
  for (int t = 0; t < 300000; t++) {
    st ^= st << 13, st ^= st >> 7, st ^= st << 17;
    int digits = 1 + (int)(st % 12), point = (int)((st >> 8) % (unsigned)(digits + 2));
    size_t n = 0;
    if ((st >> 16) & 1)
      cell[n++] = '-';
    for (int d = 0; d < digits; d++) {
      if (d == point)
        cell[n++] = '.';
      st ^= st << 13, st ^= st >> 7, st ^= st << 17;
      /* leading zeros and nines are frequent, to reach 0.000..., 16777216 and 99999999 */
      int r = (int)(st % 14);
      cell[n++] = (char)('0' + (r >= 10 ? (r % 2 ? 9 : 0) : r));
    }
    cell[n] = '\0';
    float v = 0, ref = strtof_l(cell, NULL, loc);
    int ok = num(cell, 0, &v) == 0 && memcmp(&v, &ref, sizeof v) == 0;
    CHECK(ok, "%s -> %.9g, strtof %.9g", cell, v, ref);
    if (!ok)
      return;
  }
  const char *edges[] = {"16777216",      "16777217",    "-16777215", "1677721.6", "0.0000000001",
                         "0.00000000001", "9999999.999", "-0",        "-0.000",    "0",
                         "3.4028235e38"};
  for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) {
    float v = 0, ref = strtof_l(edges[i], NULL, loc);
    CHECK(num(edges[i], 0, &v) == 0 && memcmp(&v, &ref, sizeof v) == 0, "%s -> %.9g vs %.9g",
          edges[i], v, ref);
  }
}

/* vg_csv_format_float against snprintf("%.9g") (this process runs in the C locale): byte for
 * byte wherever it answers, and it must answer for every finite value of magnitude 1e-13 to 1e29
 * (exact ties included: floats of 5 to 7 digits before the point have many). */
static int format_matches(float v, long *declined)
{
  char got[VG_CSV_FORMAT_MAX], ref[64];
  size_t n = vg_csv_format_float(v, got);
  snprintf(ref, sizeof ref, "%.9g", (double)v);
  if (n == 0) {
    float a = fabsf(v);
    *declined += a >= 1e-13f && a <= 1e29f;
    return 1;
  }
  int ok = n == strlen(got) && strcmp(got, ref) == 0;
  CHECK(ok, "%a: '%s', printf '%s'", (double)v, got, ref);
  return ok;
}

static void test_format(void)
{
  uint64_t st = 0x9e3779b97f4a7c15ull;
  long declined = 0, tried = 0;
  for (int t = 0; t < 1000000; t++, tried++) { /* any bit pattern, then sensor-like magnitudes */
    st ^= st << 13, st ^= st >> 7, st ^= st << 17;
    uint32_t bits = (uint32_t)(st >> 11);
    float v;
    memcpy(&v, &bits, sizeof v);
    if (t % 2)
      v = (float)((double)(st >> 11) / 9007199254740992.0 * pow(10.0, (double)(t % 13) - 6));
    if (!format_matches(v, &declined))
      return;
  }
  for (int k = -15; k <= 31; k++) { /* the floats around each power of ten */
    float p = (float)pow(10.0, k), lo = p, hi = p;
    for (int i = 0; i < 50; i++, tried += 2) {
      lo = nextafterf(lo, 0.0f);
      hi = nextafterf(hi, INFINITY);
      if (!format_matches(lo, &declined) || !format_matches(-hi, &declined))
        return;
    }
  }
  const float special[] = {0.0f,          -0.0f,           1.0f,         0.5f, 1e-5f,
                           1e-4f,         123456789.0f,    999999999.0f, 1e9f, 16777216.0f,
                           3.4028235e38f, 1.17549435e-38f, 1e-45f};
  for (size_t i = 0; i < sizeof special / sizeof *special; i++, tried++)
    format_matches(special[i], &declined);
  char buf[VG_CSV_FORMAT_MAX];
  CHECK(vg_csv_format_float(NAN, buf) == 0 && vg_csv_format_float(-INFINITY, buf) == 0,
        "non-finite values are left to printf");
  CHECK(declined == 0, "%ld of %ld values of 1e-13 to 1e29 left to printf", declined, tried);
}

static void test_numbers(void)
{
  float v = 0;
  CHECK(num("1.5", 0, &v) == 0 && v == 1.5f, "1.5 -> %g", v);
  CHECK(num("-2e3", 0, &v) == 0 && v == -2000.0f, "-2e3 -> %g", v);
  CHECK(num("+.5", 0, &v) == 0 && v == 0.5f, "+.5 -> %g", v);
  CHECK(num(" 2.5 ", 0, &v) == 0 && v == 2.5f, "' 2.5 ' -> %g", v);
  CHECK(num("5.", 0, &v) == 0 && v == 5.0f, "5. -> %g", v);
  CHECK(num("0.1", 0, &v) == 0 && v == 0.1f, "0.1 rounds once to float");
  CHECK(num("16777217", 0, &v) == 0 && v == 16777216.0f, "ties to even: %.1f", v);
  CHECK(num("1e39", 0, &v) == 0 && isinf(v) && v > 0, "1e39 -> %g", v);
  CHECK(num("-Infinity", 0, &v) == 0 && isinf(v) && v < 0, "-Infinity -> %g", v);
  const char *bad[] = {"1,5", "0x10", ".",   "e5", "1e",  "1.2.3", "- 1",
                       "1 2", "abc",  "nan", "",   "1e+", "++1"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    CHECK(num(bad[i], 0, &v) == -1, "'%s' accepted", bad[i]);
  CHECK(num("nan", 1, &v) == 0 && isnan(v), "nan with allow_nan");
  CHECK(num("-NaN", 1, &v) == 0 && isnan(v) && signbit(v), "-NaN keeps its sign");
  CHECK(num("", 1, &v) == 0 && isnan(v), "empty with allow_nan");
  CHECK(num("nanx", 1, &v) == -1, "nanx accepted");
  char longnum[200];
  memset(longnum, '1', sizeof longnum - 1);
  longnum[sizeof longnum - 1] = '\0';
  CHECK(num(longnum, 0, &v) == -1, "over-long number accepted");
}

static int iso(const char *s, VgCsvTime *t)
{
  return vg_csv_parse_iso8601(s, strlen(s), t);
}

static void test_times(void)
{
  VgCsvTime t;
  CHECK(iso("2020-02-08 13:30:47", &t) == 0 && t.sec == 1581168647 && t.nsec == 0, "%lld",
        (long long)t.sec);
  CHECK(iso("2020-02-08T13:30:47.25+01:00", &t) == 0 && t.sec == 1581168647 - 3600 &&
            t.nsec == 250000000,
        "offset: %lld %d", (long long)t.sec, t.nsec);
  CHECK(iso("2020-02-08t13:30:47-0530", &t) == 0 && t.sec == 1581188447, "-0530");
  CHECK(iso("2020-02-08 13:30:47Z", &t) == 0 && t.sec == 1581168647, "Z");
  CHECK(iso("2020-02-08 13:30:47,123456789123", &t) == 0 && t.nsec == 123456789, "fraction");
  CHECK(iso("2020-02-08 13:30", &t) == 0 && t.sec == 1581168600, "no seconds");
  CHECK(iso("1970-01-01", &t) == 0 && t.sec == 0, "epoch");
  CHECK(iso("2000-02-29", &t) == 0 && t.sec == 11016LL * 86400, "leap day 2000");
  CHECK(iso("1969-12-31 23:59:59", &t) == 0 && t.sec == -1, "before the epoch");
  CHECK(iso("2020/02/08 13:30:47", &t) == 0 && t.sec == 1581168647, "slashes");
  const char *bad[] = {"2020-02-30",           "2020-13-01",       "1900-02-29",
                       "2020-02-08 24:00:00",  "2020-02-08 13:60", "2020-02-08 13:30:47+25:00",
                       "2020-02-08X13:30",     "2020-2-8",         "2020-02-08 13:30:47.",
                       "2020-02-08 13:30:47 ", "20200208",         "2020/02-08"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    CHECK(iso(bad[i], &t) == -1, "'%s' accepted", bad[i]);

  struct {
    const char *s;
    long long sec;
    int nsec;
  } secs[] = {{"1.5", 1, 500000000},  {"-0.25", -1, 750000000}, {"12", 12, 0},
              {"1.0000000019", 1, 1}, {"1e3", 1000, 0},         {"2.5e-1", 0, 250000000},
              {"+7.", 7, 0},          {".5", 0, 500000000}};
  for (size_t i = 0; i < sizeof secs / sizeof *secs; i++) {
    int ok = vg_csv_parse_seconds(secs[i].s, strlen(secs[i].s), loc, &t) == 0;
    CHECK(ok && t.sec == secs[i].sec && t.nsec == secs[i].nsec, "'%s' -> %lld.%09d", secs[i].s,
          (long long)t.sec, t.nsec);
  }
  /* With an exponent too, to the nanosecond (truncated like the plain form): these went through a
   * double, 0.2 us coarse at epoch times, and rounded where the plain form truncates. */
  const struct {
    const char *s;
    long long sec;
    int nsec;
  } exact[] = {{"1.7000000001234567e9", 1700000000, 123456700},
               {"1.700000000123456789e+09", 1700000000, 123456789},
               {"17000000001234567e-7", 1700000000, 123456700},
               {"5.000000000999e0", 5, 0},
               {"1.5e-9", 0, 1},
               {"-2.5e-1", -1, 750000000},
               {"-1.0000000015e0", -2, 999999999},
               {"0.0e99999999", 0, 0},
               {"1e-99999999", 0, 0},
               {"9.1999999999e9", 9199999999, 900000000},
               {"0000000000000000000000012.5", 12, 500000000}};
  for (size_t i = 0; i < sizeof exact / sizeof *exact; i++) {
    int ok = vg_csv_parse_seconds(exact[i].s, strlen(exact[i].s), loc, &t) == 0;
    CHECK(ok && t.sec == exact[i].sec && t.nsec == exact[i].nsec, "'%s' -> %lld.%09d", exact[i].s,
          (long long)t.sec, t.nsec);
  }
  const char *bad_secs[] = {"",  "abc",   "1:30", "1e99",  "inf", "nan",
                            ".", "9.2e9", "1e10", "-1e10", "1e",  "e5"};
  for (size_t i = 0; i < sizeof bad_secs / sizeof *bad_secs; i++)
    CHECK(vg_csv_parse_seconds(bad_secs[i], strlen(bad_secs[i]), loc, &t) == -1, "'%s' accepted",
          bad_secs[i]);
  VgCsvTime a = {10, 900000000}, b = {12, 100000000}, far = {INT64_C(9000000000000), 0};
  int64_t ns;
  CHECK(vg_csv_time_diff_ns(&b, &a, &ns) == 0 && ns == 1200000000, "diff %lld", (long long)ns);
  CHECK(vg_csv_time_diff_ns(&far, &a, &ns) == -1, "overflowing diff accepted");
}

/* Runs the reader over text in pieces; returns a log such as "C2 R0:1,2 D R500:3,4 E". */
static int read_all(const VgCsvConfig *cfg, const char *text, size_t piece, char *log, size_t size)
{
  VgCsvReader *r = vg_csv_reader_create(cfg, NULL);
  size_t len = strlen(text), used = 0;
  int result = 0;
  log[0] = '\0';
  for (size_t pos = 0; pos <= len && result == 0;
       pos = pos + piece < len ? pos + piece : len + (pos == len)) {
    if (pos == len)
      vg_csv_reader_finish(r);
    else
      vg_csv_reader_feed(r, text + pos, len - pos < piece ? len - pos : piece);
    VgCsvRow row;
    VgError err;
    int st;
    while ((st = vg_csv_reader_next(r, &row, &err)) != VG_CSV_NEED_DATA) {
      if (st == VG_ERR) {
        used += snprintf(log + used, size - used, "E(%s)", err.msg);
        result = -1;
        break;
      } else if (st == VG_CSV_COLUMNS) {
        used += snprintf(log + used, size - used, "C%zu ", vg_csv_reader_n_columns(r));
      } else if (st == VG_CSV_SKIPPED) {
        used += snprintf(log + used, size - used, "S ");
      } else if (st == VG_CSV_DROPPED) {
        used += snprintf(log + used, size - used, "D%llu ", (unsigned long long)row.index);
      } else {
        if (row.time_ns < 0)
          used += snprintf(log + used, size - used, "R-");
        else
          used += snprintf(log + used, size - used, "R%lld", (long long)(row.time_ns / 1000000));
        for (size_t k = 0; k < vg_csv_reader_n_columns(r); k++)
          used += snprintf(log + used, size - used, "%c%g", k ? ',' : ':', row.values[k]);
        used += snprintf(log + used, size - used, " ");
      }
    }
  }
  vg_csv_reader_destroy(r);
  return result;
}

static void expect_log(const VgCsvConfig *cfg, const char *text, const char *want)
{
  char log[1024];
  for (size_t piece = 1; piece <= 64; piece *= 4) {
    read_all(cfg, text, piece, log, sizeof log);
    CHECK(strcmp(log, want) == 0, "piece %zu:\n  got  %s\n  want %s", piece, log, want);
  }
}

static void test_reader(void)
{
  VgCsvConfig cfg = {0};
  expect_log(&cfg,
             "\xEF\xBB\xBFtime;a;b;label\r\n0.0;1;2;x\r\n\r\n0.5;3;4;y\r\nbad;5;6;z\r\n1.5;7\r\n"
             "0.25;5;5;v\r\n2.0;8;9;w",
             "C2 R0:1,2 R500:3,4 D2 D3 D4 R2000:8,9 ");
  cfg.allow_nan = 1;
  expect_log(&cfg, "datetime,x\n2020-01-01 00:00:01,\n2020-01-01 00:00:02.5,nan\n",
             "C1 R0:nan R1500:nan ");
  cfg.allow_nan = 0;
  expect_log(&cfg, "datetime,x,y\n2020-01-01 00:00:01,,1\n2020-01-01 00:00:02,2,3\n",
             "C1 R0:1 R1000:3 "); /* x empty in the first row: not numeric, skipped */
  cfg.columns = "y, 1";
  expect_log(&cfg, "datetime,x,y\n2020-01-01 00:00:01,,1\n2020-01-01 00:00:02,2,3\n",
             "C2 D0 R1000:3,2 "); /* the dropped row's time is still the origin */
  cfg.columns = NULL;
  cfg.timestamp_column = "none";
  expect_log(&cfg, "time\tv\n1\t2\n3\t4\n", "C2 R-:1,2 R-:3,4 ");
  cfg.timestamp_column = "1";
  expect_log(&cfg, "a\tt\n1\t2\n3\t4\n", "C1 R0:1 R2000:3 ");
  cfg.timestamp_column = NULL;
  /* a comment preamble and a spreadsheet's sep= line; slashed dates */
  expect_log(&cfg,
             "# rig 4\n  # units: bar\nsep=;\ntime;a;b\n2020/01/01 00:00:00;1;5\n2020/01/01 "
             "00:00:01;2;6\n",
             "C2 R0:1,5 R1000:2,6 ");
  /* a units row after the header is part of the header: not a row, not dropped */
  expect_log(&cfg, "a;b\n-;bar\n1;2\n3;4\n", "S C2 R-:1,2 R-:3,4 ");
  expect_log(&cfg, "time;a;b\ns;V;bar\n1;;\n2;3;4\n", "S D0 C2 R1000:3,4 ");
  cfg.delimiter = ';';
  expect_log(&cfg, "a,b;c\n1,2;3\n", "C1 R-:3 ");
  cfg.delimiter = ',';
  expect_log(&cfg, "sep=;\nx,y\n1,2\n", "C2 R-:1,2 "); /* configured beats sep= */
}

static void expect_error(const VgCsvConfig *cfg, const char *text, const char *needle)
{
  char log[1024];
  int res = read_all(cfg, text, 7, log, sizeof log);
  CHECK(res == -1 && strstr(log, needle) != NULL, "want error with '%s', got %s", needle, log);
}

static void test_reader_errors(void)
{
  VgCsvConfig cfg = {0};
  expect_error(&cfg, "1,2,3\n4,5,6\n", "needs a header row");
  expect_error(&cfg, "time,name\n1,abc\n", "no numeric column");
  expect_error(&cfg, "time,name\n1,abc\n2,abc\n3,x\n4,x\n5,x\n6,x\n7,x\n8,x\n9,x\n",
               "none of the first 9 data rows");
  cfg.columns = "a,zz";
  expect_error(&cfg, "a,b\n1,2\n", "columns: 'zz' is neither a header name nor an index below 2");
  cfg.columns = "2";
  expect_error(&cfg, "a,b\n1,2\n", "'2' is neither");
  cfg.columns = NULL;
  cfg.timestamp_column = "when";
  expect_error(&cfg, "a,b\n1,2\n", "timestamp-column 'when'");
  cfg.timestamp_column = NULL;
  cfg.max_line = 4;
  expect_error(&cfg, "abcdef\n1\n", "header row is longer");
  cfg.max_line = 0;
  expect_error(&cfg, "\xFF\xFEt\0i\0m\0e\0", "looks like UTF-16");
  expect_error(&cfg, "\xFF\xFE,b\n1,2\n", "starts with a UTF-16 byte-order mark");
  expect_error(&cfg, "a,b\r1,2\r3,4\r", "lone CR");
  expect_error(&cfg,
               "\xFE\xFF"
               "a,b\n1,2\n",
               "starts with a UTF-16 byte-order mark");
  cfg.delimiter = 'x';
  CHECK(vg_csv_reader_create(&cfg, NULL) == NULL, "delimiter x accepted");
}

/* Runs ticks through a framer and logs batches as "[first+spacing*n d]". */
static void framer_log(size_t max, const uint64_t *ticks, const int *disc, size_t n, char *log,
                       size_t size)
{
  VgCsvFramer *f = vg_csv_framer_create(2, max, NULL);
  VgCsvBatch b;
  size_t used = 0;
  log[0] = '\0';
  for (size_t i = 0; i <= n; i++) {
    int got;
    if (i < n) {
      float v[2] = {(float)ticks[i], -(float)ticks[i]};
      got = vg_csv_framer_push(f, v, ticks[i], disc ? disc[i] : 0, &b);
    } else {
      got = vg_csv_framer_flush(f, &b);
    }
    if (got) {
      int values_ok = 1;
      for (size_t k = 0; k < b.n_frames; k++)
        values_ok &= b.values[2 * k] == (float)(b.first_tick + k * b.spacing) &&
                     b.values[2 * k + 1] == -b.values[2 * k];
      used += snprintf(log + used, size - used, "[%llu+%llu%sx%zu%s%s]",
                       (unsigned long long)b.first_tick, (unsigned long long)b.spacing,
                       b.spacing_known ? "" : "?", b.n_frames, b.discont ? " D" : "",
                       values_ok ? "" : " BADVALUES");
    }
  }
  vg_csv_framer_destroy(f);
}

static void test_framer(void)
{
  char log[512];
  uint64_t t1[] = {0, 1, 2, 3, 5, 6, 7, 20, 21};
  framer_log(4, t1, NULL, 9, log, sizeof log);
  CHECK(strcmp(log, "[0+1x4 D][5+1x3][20+1x2 D]") == 0, "%s", log);
  framer_log(1, t1, NULL, 9, log, sizeof log);
  /* lone frames last the nominal spacing once three intervals of 1 set it: the late row at 5 too
   * (it lasted 2, the interval before it, and its window ended where the next one's does) */
  CHECK(strcmp(log, "[0+0?x1 D][1+1x1][2+1x1][3+1x1][5+1x1][6+1x1][7+1x1][20+1x1 D][21+1x1]") == 0,
        "%s", log);
  uint64_t t2[] = {0, 10, 20, 30, 40};
  int d2[] = {0, 0, 1, 0, 0};
  framer_log(8, t2, d2, 5, log, sizeof log);
  CHECK(strcmp(log, "[0+10x2 D][20+10x3 D]") == 0, "%s", log);
  uint64_t t3[] = {0, 0, 0, 5};
  framer_log(8, t3, NULL, 4, log, sizeof log);
  CHECK(strcmp(log, "[0+0x3 D][5+5x1]") == 0, "equal times: %s", log);
  /* equal times amid a regular run keep its nominal spacing, so the gap after them is one (three
   * equal times made the nominal spacing 0, which turned gap detection off) */
  uint64_t t4[] = {0, 1, 2, 3, 3, 3, 3, 4, 20};
  framer_log(8, t4, NULL, 9, log, sizeof log);
  CHECK(strcmp(log, "[0+1x4 D][3+0x3][4+1x1][20+1x1 D]") == 0, "equal times in a run: %s", log);
  CHECK(vg_csv_framer_create(0, 1, NULL) == NULL, "0 values accepted");
  CHECK(vg_csv_framer_create(1, VG_CSV_FRAMES_MAX + 1, NULL) == NULL, "too many frames accepted");
}

int main(void)
{
  loc = vg_csv_c_locale_new();
  test_lines();
  test_cells();
  test_numbers();
  test_numbers_against_strtof();
  test_format();
  test_times();
  test_reader();
  test_reader_errors();
  test_framer();
  freelocale(loc);
  printf("csv kernels: %d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
