/* Benchmark of the CSV reader kernel (kernels/csv/) on a SKAB-like table held in memory.
 *
 * Compares, in the same process and on the same bytes:
 *   scan   - memchr over the lines only (a floor: touching every byte once);
 *   naive  - a minimal parser: split each line on ';' and strtof_l every numeric cell, no checks;
 *   reader - vg_csv_reader fed 4096-byte pieces: lines, cells, validated numbers, ISO 8601 times.
 * Prints the median of repeated runs (thread CPU time) in MB/s and rows/s and the ratios
 * reader/naive, reader/scan. Usage: bench_csv [rows] [repeats] SPDX-License-Identifier:
 * GPL-3.0-or-later
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv/vg_csv_reader.h"

#define COLS 10

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* A SKAB-like file: datetime;10 numeric columns with 6 significant digits. */
static char *make_table(size_t rows, size_t *len)
{
  size_t cap = 64 + rows * (20 + COLS * 14);
  char *text = malloc(cap);
  if (!text)
    return NULL;
  size_t n = (size_t)sprintf(text, "datetime");
  for (int c = 0; c < COLS; c++)
    n += (size_t)sprintf(text + n, ";col%d", c);
  text[n++] = '\n';
  srand(1);
  for (size_t r = 0; r < rows; r++) {
    unsigned s = (unsigned)r;
    n += (size_t)sprintf(text + n, "2020-03-%02u %02u:%02u:%02u", 1 + s / 86400 % 28, s / 3600 % 24,
                         s / 60 % 60, s % 60);
    for (int c = 0; c < COLS; c++)
      n += (size_t)sprintf(text + n, ";%.6g", (rand() / (double)RAND_MAX - 0.3) * 300.0);
    text[n++] = '\n';
  }
  *len = n;
  return text;
}

static size_t run_scan(const char *text, size_t len)
{
  size_t lines = 0;
  for (const char *p = text, *end = text + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
    lines++;
  return lines - 1;
}

static volatile float sink; /* keeps the naive parser's work observable */

static size_t run_naive(const char *text, size_t len, locale_t loc)
{
  const char *p = memchr(text, '\n', len) + 1, *end = text + len;
  size_t rows = 0;
  char cell[64];
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *q = memchr(p, ';', (size_t)(nl - p)); /* skip the datetime */
    while (q && q < nl) {
      const char *start = q + 1;
      q = memchr(start, ';', (size_t)(nl - start));
      size_t n = (size_t)((q ? q : nl) - start);
      memcpy(cell, start, n);
      cell[n] = '\0';
      sink = strtof_l(cell, NULL, loc);
    }
    rows++;
    p = nl + 1;
  }
  return rows;
}

static size_t run_reader(const char *text, size_t len)
{
  VgCsvConfig cfg = {0};
  VgCsvReader *r = vg_csv_reader_create(&cfg, NULL);
  VgCsvRow row;
  size_t rows = 0;
  for (size_t pos = 0; pos <= len; pos += 4096) {
    if (pos >= len)
      vg_csv_reader_finish(r);
    else
      vg_csv_reader_feed(r, text + pos, len - pos < 4096 ? len - pos : 4096);
    int st;
    while ((st = vg_csv_reader_next(r, &row, NULL)) != VG_CSV_NEED_DATA && st != VG_ERR)
      rows += st == VG_CSV_ROW;
  }
  vg_csv_reader_destroy(r);
  return rows;
}

int main(int argc, char **argv)
{
  size_t rows = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000; /* at most 28 days of rows */
  int repeats = argc > 2 ? atoi(argv[2]) : 7;
  size_t len;
  char *text = make_table(rows, &len);
  locale_t loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
  if (!text || !loc || repeats < 1 || repeats > 100)
    return 1;
  const char *names[] = {"scan", "naive", "reader"};
  double median[3];
  for (int k = 0; k < 3; k++) {
    double t[100];
    for (int i = 0; i < repeats; i++) {
      double t0 = now();
      size_t got = k == 0   ? run_scan(text, len)
                   : k == 1 ? run_naive(text, len, loc)
                            : run_reader(text, len);
      t[i] = now() - t0;
      if (got != rows) {
        fprintf(stderr, "%s read %zu rows of %zu\n", names[k], got, rows);
        return 1;
      }
    }
    qsort(t, (size_t)repeats, sizeof *t, cmp_double);
    median[k] = t[repeats / 2];
    printf("%-7s %8.1f MB/s %10.0f rows/s  (median of %d, %.2f MB, %zu rows x %d values)\n",
           names[k], len / median[k] / 1e6, rows / median[k], repeats, len / 1e6, rows, COLS);
  }
  printf("(last naive value %g)\n", (double)sink);
  printf("reader/naive time ratio %.2f, reader/scan %.1f\n", median[2] / median[1],
         median[2] / median[0]);
  freelocale(loc);
  free(text);
  return 0;
}
