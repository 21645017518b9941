/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_csv_reader_priv.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s, int *failed)
{
  if (!s)
    return NULL;
  char *d = strdup(s);
  *failed |= d == NULL;
  return d;
}

VgCsvReader *vg_csv_reader_create(const VgCsvConfig *cfg, VgError *err)
{
  char d = cfg->delimiter;
  if (d != 0 && d != ',' && d != ';' && d != '\t') {
    vg_error_set(err, "delimiter must be ',', ';' or tab (or detected), not 0x%02x",
                 (unsigned)(unsigned char)d);
    return NULL;
  }
  VgCsvReader *r = calloc(1, sizeof *r);
  if (!r) {
    vg_error_set(err, "out of memory creating a CSV reader");
    return NULL;
  }
  int failed = 0;
  r->cfg_delimiter = d;
  r->allow_nan = cfg->allow_nan;
  r->cfg_columns = dup_or_null(cfg->columns, &failed);
  r->cfg_timestamp = dup_or_null(cfg->timestamp_column, &failed);
  r->c_locale = vg_csv_c_locale_new();
  if (failed || r->c_locale == (locale_t)0) {
    vg_error_set(err, "out of memory creating a CSV reader");
    vg_csv_reader_destroy(r);
    return NULL;
  }
  r->lines = vg_csv_lines_create(cfg->max_line, err);
  if (!r->lines) {
    vg_csv_reader_destroy(r);
    return NULL;
  }
  vg_csv_reader_reset(r);
  return r;
}

void vg_csv_reader_destroy(VgCsvReader *r)
{
  if (!r)
    return;
  vg_csv_header_clear(r);
  vg_csv_lines_destroy(r->lines);
  if (r->c_locale != (locale_t)0)
    freelocale(r->c_locale);
  free(r->cfg_columns);
  free(r->cfg_timestamp);
  free(r);
}

void vg_csv_reader_reset(VgCsvReader *r)
{
  vg_csv_header_clear(r);
  vg_csv_lines_reset(r->lines);
  r->state = STATE_HEADER;
  r->delimiter = 0;
  r->time_index = -1;
  r->time_kind = VG_CSV_TIME_NONE;
  r->have_t0 = 0;
  r->last_ns = 0;
  r->data_rows = 0;
  r->header_extra = 0;
  r->finished = 0;
  r->has_pending = 0;
}

void vg_csv_reader_discard_input(VgCsvReader *r)
{
  vg_csv_lines_drop_partial(r->lines);
  r->finished = 0;
  r->has_pending = 0;
}

void vg_csv_reader_feed(VgCsvReader *r, const char *data, size_t len)
{
  vg_csv_lines_feed(r->lines, data, len);
}

void vg_csv_reader_finish(VgCsvReader *r)
{
  r->finished = 1;
  vg_csv_lines_finish(r->lines);
}

/* Parses the time cell; on success *ns is relative to the time origin (0 before there is one). */
static int row_time(VgCsvReader *r, uint64_t line_no, int64_t *ns, VgCsvTime *t, VgError *err)
{
  const VgCsvCell *cell = &r->cells[r->time_index];
  VgCsvTimeKind kind = r->time_kind;
  char ex[48];
  if (kind == VG_CSV_TIME_NONE)
    kind = vg_csv_looks_like_date(cell->p, cell->len) ? VG_CSV_TIME_ISO8601 : VG_CSV_TIME_SECONDS;
  int bad = kind == VG_CSV_TIME_ISO8601 ? vg_csv_parse_iso8601(cell->p, cell->len, t)
                                        : vg_csv_parse_seconds(cell->p, cell->len, r->c_locale, t);
  vg_csv_cell_excerpt(cell, ex);
  if (bad)
    return vg_error_set(err, "line %llu: timestamp '%s' is not %s", (unsigned long long)line_no, ex,
                        kind == VG_CSV_TIME_ISO8601 ? "an ISO 8601 date-time"
                                                    : "a time in seconds");
  if (!r->have_t0) {
    *ns = 0;
  } else if (vg_csv_time_diff_ns(t, &r->t0, ns) != 0 || *ns < 0) {
    return vg_error_set(err, "line %llu: timestamp '%s' is before the first row or too far from it",
                        (unsigned long long)line_no, ex);
  } else if (*ns < r->last_ns) {
    return vg_error_set(err, "line %llu: timestamp '%s' is earlier than the previous row's",
                        (unsigned long long)line_no, ex);
  }
  r->time_kind = kind;
  return VG_OK;
}

static int row_values(VgCsvReader *r, uint64_t line_no, VgError *err)
{
  for (size_t k = 0; k < r->n_columns; k++) {
    size_t c = r->column_index[k];
    const VgCsvCell *cell = &r->cells[c];
    if (vg_csv_parse_float(cell->p, cell->len, r->allow_nan, r->c_locale, &r->values[k]) != 0) {
      char ex[48];
      vg_csv_cell_excerpt(cell, ex);
      int nan_like = vg_csv_is_nan_cell(cell->p, cell->len);
      return vg_error_set(err, "line %llu: column '%s': '%s' is not a number%s",
                          (unsigned long long)line_no, r->names[c], ex,
                          nan_like ? " (allow-nan admits empty and nan cells)" : "");
    }
  }
  return VG_OK;
}

/* Splits a data row; VG_ERR (a drop) unless it has as many cells as the header. */
static int split_row(VgCsvReader *r, const char *line, size_t len, uint64_t line_no, VgError *err)
{
  long n = vg_csv_split(line, len, r->delimiter, r->cells, r->n_header + 1);
  if (n < 0)
    return vg_error_set(err, "line %llu: a quoted cell is not closed properly",
                        (unsigned long long)line_no);
  if ((size_t)n != r->n_header)
    return vg_error_set(err, "line %llu: %ld cells where the header has %zu",
                        (unsigned long long)line_no, n, r->n_header);
  return VG_OK;
}

/* A data row whose cells are split: VG_CSV_ROW or VG_CSV_DROPPED. The first time that parses is
 * the origin even if its row is dropped for a value, so that times stay those of the file. */
static int data_row(VgCsvReader *r, uint64_t line_no, VgCsvRow *row, VgError *err)
{
  int64_t ns = -1;
  VgCsvTime t;
  if (r->time_index >= 0) {
    if (row_time(r, line_no, &ns, &t, err) != VG_OK)
      return VG_CSV_DROPPED;
    if (!r->have_t0) {
      r->t0 = t;
      r->have_t0 = 1;
    }
  }
  if (row_values(r, line_no, err) != VG_OK)
    return VG_CSV_DROPPED;
  if (r->time_index >= 0)
    r->last_ns = ns;
  row->values = r->values;
  row->time_ns = ns;
  return VG_CSV_ROW;
}

/* Lines before the header that are not the header: a '#' comment preamble, and the "sep=;" line
 * that spreadsheet programs write to name the delimiter. Returns 1 if the line was one. */
static int preamble_line(VgCsvReader *r, const char *line, size_t len)
{
  size_t i = 0;
  while (i < len && (line[i] == ' ' || line[i] == '\t'))
    i++;
  if (i < len && line[i] == '#')
    return 1;
  if (len == 5 && memcmp(line, "sep=", 4) == 0 &&
      (line[4] == ',' || line[4] == ';' || line[4] == '\t')) {
    r->delimiter = line[4]; /* used unless the delimiter is configured */
    return 1;
  }
  return 0;
}

/* UTF-16 and UTF-32 text starts with a byte-order mark FF FE or FE FF, or shows as NUL bytes in the
 * first line. */
static int utf16_bom(const char *line, size_t len)
{
  unsigned char a = len >= 2 ? (unsigned char)line[0] : 0,
                b = len >= 2 ? (unsigned char)line[1] : 0;
  return (a == 0xFF && b == 0xFE) || (a == 0xFE && b == 0xFF);
}

static int header_line(VgCsvReader *r, const char *line, size_t len, VgError *err)
{
  if (preamble_line(r, line, len))
    return VG_CSV_NEED_DATA;
  int bom = utf16_bom(line, len);
  if (bom || memchr(line, '\0', len) != NULL) {
    r->state = STATE_FAILED;
    return vg_error_set(err,
                        "%s: the input looks like UTF-16 or binary; convert it to UTF-8 text "
                        "(e.g. iconv -f UTF-16 -t UTF-8)",
                        bom ? "the input starts with a UTF-16 byte-order mark"
                            : "the header row holds NUL bytes");
  }
  if (memchr(line, '\r', len) != NULL) { /* a line's final CR is dropped already */
    r->state = STATE_FAILED;
    return vg_error_set(err, "the header row holds a carriage return not followed by a line feed: "
                             "the lines seem to end with a lone CR (classic Mac OS); convert them "
                             "to LF (e.g. tr '\\r' '\\n')");
  }
  if (vg_csv_header_parse(r, line, len, err) != VG_OK) {
    r->state = STATE_FAILED;
    return VG_ERR;
  }
  r->state = r->n_columns > 0 ? STATE_ROWS : STATE_INFER;
  return r->state == STATE_ROWS ? VG_CSV_COLUMNS : VG_CSV_NEED_DATA;
}

/* 1 if every cell but the timestamp is empty. */
static int values_empty(const VgCsvReader *r)
{
  for (size_t i = 0; i < r->n_header; i++)
    if ((long)i != r->time_index && r->cells[i].len > 0)
      return 0;
  return 1;
}

/* A data row with only empty cells before the columns are chosen: dropped (allow_nan is off), but
 * its time still sets the origin, as for any dropped row. */
static int empty_row(VgCsvReader *r, uint64_t line_no, VgError *err)
{
  int64_t ns;
  VgCsvTime t;
  if (r->time_index >= 0 && !r->have_t0 && row_time(r, line_no, &ns, &t, err) == VG_OK) {
    r->t0 = t;
    r->have_t0 = 1;
  }
  vg_error_set(err, "line %llu: no values (allow-nan admits empty cells)",
               (unsigned long long)line_no);
  return VG_CSV_DROPPED;
}

/* A row without numbers before the columns are chosen (a units row, a second header line): part
 * of the header, not a data row; after VG_CSV_HEADER_EXTRA_MAX of them the input has no numbers. */
static int header_extra(VgCsvReader *r, uint64_t line_no, VgError *err)
{
  r->data_rows--;
  if (++r->header_extra > VG_CSV_HEADER_EXTRA_MAX) {
    r->state = STATE_FAILED;
    return vg_error_set(err,
                        "no numeric column: none of the first %d data rows has a number besides "
                        "the timestamp column; check the delimiter or set columns",
                        VG_CSV_HEADER_EXTRA_MAX + 1);
  }
  vg_error_set(err,
               "line %llu: no cell besides the timestamp is a number: skipped as part of the "
               "header (a units row?)",
               (unsigned long long)line_no);
  return VG_CSV_SKIPPED;
}

/* One line after the header. */
static int body_line(VgCsvReader *r, const char *line, size_t len, VgCsvRow *row, VgError *err)
{
  uint64_t line_no = vg_csv_lines_number(r->lines);
  row->index = r->data_rows++;
  row->line = line_no;
  if (split_row(r, line, len, line_no, err) != VG_OK)
    return VG_CSV_DROPPED;
  if (r->state == STATE_INFER) {
    if (vg_csv_header_infer(r, err) != VG_OK) {
      r->state = STATE_FAILED;
      return VG_ERR;
    }
    if (r->n_columns == 0 && values_empty(r))
      return empty_row(r, line_no, err);
    if (r->n_columns == 0)
      return header_extra(r, line_no, err);
    r->state = STATE_ROWS;
    r->has_pending = 1; /* the row is returned by the next call; its cells stay split */
    r->pending_line = line_no;
    r->pending_index = row->index;
    return VG_CSV_COLUMNS;
  }
  return data_row(r, line_no, row, err);
}

int vg_csv_reader_next(VgCsvReader *r, VgCsvRow *row, VgError *err)
{
  const char *line;
  size_t len;
  if (r->state == STATE_FAILED)
    return vg_error_set(err, "the CSV reader failed earlier; reset it");
  if (r->has_pending) {
    r->has_pending = 0;
    row->line = r->pending_line;
    row->index = r->pending_index;
    return data_row(r, row->line, row, err);
  }
  for (;;) {
    int st = vg_csv_lines_next(r->lines, &line, &len, err);
    if (st == VG_CSV_NEED_DATA && r->finished && r->state == STATE_INFER && r->header_extra > 0) {
      r->state = STATE_FAILED;
      return vg_error_set(err, "no numeric column: no data row has a number besides the timestamp "
                               "column; check the delimiter or set columns");
    }
    if (st == VG_CSV_NEED_DATA || st == VG_ERR)
      return st;
    if (st == VG_CSV_LINE_TOO_LONG) {
      row->line = vg_csv_lines_number(r->lines);
      if (r->state == STATE_HEADER) {
        r->state = STATE_FAILED;
        return vg_error_set(err, "the header row is longer than the line limit");
      }
      row->index = r->data_rows++;
      vg_error_set(err, "line %llu: longer than the line limit; skipped",
                   (unsigned long long)row->line);
      return VG_CSV_DROPPED;
    }
    if (vg_csv_line_is_blank(line, len))
      continue;
    if (r->state == STATE_HEADER) {
      int res = header_line(r, line, len, err);
      if (res != VG_CSV_NEED_DATA)
        return res;
      continue;
    }
    return body_line(r, line, len, row, err);
  }
}

int vg_csv_reader_has_header(const VgCsvReader *r)
{
  return r->state != STATE_HEADER && r->names != NULL;
}

char vg_csv_reader_delimiter(const VgCsvReader *r)
{
  return r->delimiter;
}

size_t vg_csv_reader_n_header(const VgCsvReader *r)
{
  return r->n_header;
}

const char *vg_csv_reader_header_name(const VgCsvReader *r, size_t i)
{
  return i < r->n_header ? r->names[i] : NULL;
}

size_t vg_csv_reader_n_columns(const VgCsvReader *r)
{
  return r->n_columns;
}

size_t vg_csv_reader_column_index(const VgCsvReader *r, size_t k)
{
  return r->column_index[k];
}

long vg_csv_reader_time_column(const VgCsvReader *r)
{
  return r->time_index;
}

VgCsvTimeKind vg_csv_reader_time_kind(const VgCsvReader *r)
{
  return r->time_kind;
}
