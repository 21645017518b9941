/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_csv_reader_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vg_csv_cell_excerpt(const VgCsvCell *cell, char out[48])
{
  size_t n = cell->len < 40 ? cell->len : 40;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)cell->p[i];
    out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
  }
  strcpy(out + n, cell->len > 40 ? "..." : "");
}

void vg_csv_header_clear(VgCsvReader *r)
{
  for (size_t i = 0; r->names && i < r->n_header; i++)
    free(r->names[i]);
  free(r->names);
  free(r->cells);
  free(r->column_index);
  free(r->values);
  r->names = NULL;
  r->cells = NULL;
  r->column_index = NULL;
  r->values = NULL;
  r->n_header = r->n_columns = 0;
}

static int ci_name(const char *name, const char *word)
{
  for (; *name && *word; name++, word++) {
    char c = *name >= 'A' && *name <= 'Z' ? (char)(*name - 'A' + 'a') : *name;
    if (c != *word)
      return 0;
  }
  return *name == '\0' && *word == '\0';
}

/* A column by exact name (first match), else by 0-based index. -1 if neither. */
static long find_column(const VgCsvReader *r, const char *item)
{
  for (size_t i = 0; i < r->n_header; i++)
    if (strcmp(r->names[i], item) == 0)
      return (long)i;
  if (*item == '\0' || strspn(item, "0123456789") != strlen(item) || strlen(item) > 9)
    return -1;
  long index = strtol(item, NULL, 10);
  return index < (long)r->n_header ? index : -1;
}

/* "a, b, c" for messages, cut to fit. */
static void header_list(const VgCsvReader *r, char *out, size_t size)
{
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < r->n_header && used + 8 < size; i++) {
    int n = snprintf(out + used, size - used, "%s%s", i ? ", " : "", r->names[i]);
    used += n > 0 ? (size_t)n : 0;
  }
  if (used >= size - 1)
    strcpy(out + size - 5, "...");
}

static int resolve_time(VgCsvReader *r, VgError *err)
{
  const char *want = r->cfg_timestamp;
  r->time_index = -1;
  if (want && strcmp(want, "none") == 0)
    return VG_OK;
  if (!want || !*want || strcmp(want, "auto") == 0) {
    for (size_t i = 0; i < r->n_header && r->time_index < 0; i++)
      if (ci_name(r->names[i], "datetime") || ci_name(r->names[i], "timestamp") ||
          ci_name(r->names[i], "time"))
        r->time_index = (long)i;
    return VG_OK;
  }
  r->time_index = find_column(r, want);
  if (r->time_index < 0) {
    char list[300];
    header_list(r, list, sizeof list);
    return vg_error_set(err,
                        "timestamp-column '%s' is neither a header name nor an index below %zu "
                        "(header: %s)",
                        want, r->n_header, list);
  }
  return VG_OK;
}

static int alloc_columns(VgCsvReader *r, size_t n, VgError *err)
{
  r->column_index = calloc(n ? n : 1, sizeof *r->column_index);
  r->values = calloc(n ? n : 1, sizeof *r->values);
  if (!r->column_index || !r->values)
    return vg_error_set(err, "out of memory for %zu columns", n);
  return VG_OK;
}

/* The columns property: comma-separated names or indices. */
static int resolve_columns(VgCsvReader *r, VgError *err)
{
  const char *list = r->cfg_columns;
  size_t n = 1;
  for (const char *p = list; *p; p++)
    n += *p == ',';
  if (alloc_columns(r, n, err) != VG_OK)
    return VG_ERR;
  for (const char *p = list; r->n_columns < n; p++) {
    size_t len = strcspn(p, ",");
    VgCsvCell item = {p, len, 0};
    vg_csv_split(p, len, ',', &item, 1); /* trims the blanks */
    char name[VG_CSV_NUMBER_MAX];
    long index = -1;
    if (item.len < sizeof name) {
      memcpy(name, item.p, item.len);
      name[item.len] = '\0';
      index = find_column(r, name);
    }
    if (index < 0) {
      char excerpt[48], header[300];
      vg_csv_cell_excerpt(&item, excerpt);
      header_list(r, header, sizeof header);
      return vg_error_set(err,
                          "columns: '%s' is neither a header name nor an index below %zu "
                          "(header: %s)",
                          excerpt, r->n_header, header);
    }
    r->column_index[r->n_columns++] = (size_t)index;
    p += len;
  }
  return VG_OK;
}

/* 1 if every cell of the header line is a number: the file most likely has no header. */
static int looks_like_data(const VgCsvReader *r)
{
  float v;
  for (size_t i = 0; i < r->n_header; i++)
    if (vg_csv_parse_float(r->cells[i].p, r->cells[i].len, 0, r->c_locale, &v) != 0)
      return 0;
  return 1;
}

static int store_names(VgCsvReader *r, VgError *err)
{
  r->names = calloc(r->n_header, sizeof *r->names);
  if (!r->names)
    return vg_error_set(err, "out of memory for %zu header names", r->n_header);
  for (size_t i = 0; i < r->n_header; i++) {
    r->names[i] = malloc(r->cells[i].len + 1);
    if (!r->names[i])
      return vg_error_set(err, "out of memory for the header names");
    vg_csv_cell_unquote(&r->cells[i], r->names[i]);
  }
  return VG_OK;
}

int vg_csv_header_parse(VgCsvReader *r, const char *line, size_t len, VgError *err)
{
  if (r->cfg_delimiter)
    r->delimiter = r->cfg_delimiter;
  else if (!r->delimiter) /* not named by a "sep=" line */
    r->delimiter = vg_csv_detect_delimiter(line, len);
  long n = vg_csv_split(line, len, r->delimiter, NULL, 0);
  if (n < 0)
    return vg_error_set(err, "the header row has a quoted name without its closing quote");
  if (n > VG_CSV_COLUMNS_MAX)
    return vg_error_set(err, "the header row has %ld columns; at most %d are supported", n,
                        VG_CSV_COLUMNS_MAX);
  r->n_header = (size_t)n;
  r->cells = calloc(r->n_header + 1, sizeof *r->cells);
  if (!r->cells)
    return vg_error_set(err, "out of memory for %zu columns", r->n_header);
  vg_csv_split(line, len, r->delimiter, r->cells, r->n_header);
  if (looks_like_data(r))
    return vg_error_set(err, "the first row holds only numbers: csvparse needs a header row "
                             "naming the columns (add one, e.g. c0,c1,...)");
  if (store_names(r, err) != VG_OK || resolve_time(r, err) != VG_OK)
    return VG_ERR;
  if (r->cfg_columns && *r->cfg_columns)
    return resolve_columns(r, err);
  return VG_OK;
}

int vg_csv_header_infer(VgCsvReader *r, VgError *err)
{
  float v;
  if (!r->column_index && alloc_columns(r, r->n_header, err) != VG_OK)
    return VG_ERR;
  r->n_columns = 0;
  for (size_t i = 0; i < r->n_header; i++)
    if ((long)i != r->time_index &&
        vg_csv_parse_float(r->cells[i].p, r->cells[i].len, r->allow_nan, r->c_locale, &v) == 0)
      r->column_index[r->n_columns++] = i;
  return VG_OK;
}
