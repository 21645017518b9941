/* Vigil kernels: an incremental reader of sensor tables in delimited text (CSV).
 *
 * Input: a header row, then one row per instant. Bytes are fed in arbitrary pieces; rows come out
 * one at a time as float32 values of the selected columns, with their time.
 *
 *  - Blank lines (only spaces or tabs) are skipped anywhere; they are neither rows nor dropped.
 *  - Before the header, lines starting with '#' (a comment preamble) and a spreadsheet's "sep=;"
 *    line (which names the delimiter unless it is configured) are skipped. A first line with NUL
 *    bytes (UTF-16, binary) is refused.
 *  - Delimiter: ',', ';' or tab; 0 in the config detects it from the header (vg_csv_detect_...).
 *  - The header must not look like data: a first row whose every cell is a number is refused.
 *  - Timestamp column: by name or 0-based index; by default the first column named datetime,
 *    timestamp or time (any case); "none" for none. Its cells are ISO 8601 date-times or plain
 *    seconds (vg_csv_number.h); the kind is fixed by the first row that parses. Times are
 *    reported in nanoseconds relative to the first row whose time parses (kept or not).
 *  - Columns: a comma-separated list of names or 0-based indices (a list item equal to a header
 *    name is that name, otherwise digits are an index). By default every column but the timestamp
 *    column whose cell in the first complete data row is a number (an empty or nan cell counts as
 *    a number only when allow_nan is set). Rows before it in which no cell but the timestamp is
 *    a number (a units row, a second header line) are skipped as part of the header, not counted
 *    as data rows (VG_CSV_SKIPPED); more than VG_CSV_HEADER_EXTRA_MAX of them, or only such rows
 *    before the end of input, mean there is no numeric column.
 *  - A data row is dropped, never shifted, when it has a different number of cells than the
 *    header, a selected cell is not a number, its time does not parse, does not fit, or is earlier
 *    than the previous kept row's, or it is longer than max_line. Dropped rows still count in the
 *    row index, so rows after them keep their place in a fixed-rate stream.
 *
 * Memory is allocated when the header arrives (one array per column); rows allocate nothing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_CSV_READER_H
#define VG_CSV_READER_H

#include <stddef.h>
#include <stdint.h>

#include "vg_csv_lines.h"
#include "vg_error.h"

/* Most columns a header may have. */
#define VG_CSV_COLUMNS_MAX 65536

/* vg_csv_reader_next results, besides VG_CSV_NEED_DATA (0) and VG_ERR. */
#define VG_CSV_ROW     1 /* *row holds a kept row */
#define VG_CSV_DROPPED 2 /* a row was dropped; err says why, row->line / row->index say which */
#define VG_CSV_COLUMNS 3 /* the selected columns are now known (before the first row) */
#define VG_CSV_SKIPPED 4 /* a row without numbers was taken as part of the header; err says so */

/* Rows without numbers (units rows) accepted after the header when choosing columns. */
#define VG_CSV_HEADER_EXTRA_MAX 8

typedef enum {
  VG_CSV_TIME_NONE = 0, /* no timestamp column, or no time parsed yet */
  VG_CSV_TIME_ISO8601,
  VG_CSV_TIME_SECONDS,
} VgCsvTimeKind;

typedef struct {
  char delimiter;               /* ',', ';', '\t', or 0 to detect it from the header */
  const char *columns;          /* NULL or "" for the default selection */
  const char *timestamp_column; /* NULL, "" or "auto" for the default; "none" for none */
  int allow_nan;                /* empty and nan cells become NaN instead of dropping the row */
  size_t max_line;              /* bytes per line; 0 for VG_CSV_LINE_MAX_DEFAULT */
} VgCsvConfig;

typedef struct {
  const float *values; /* one per selected column; valid until the next call */
  int64_t time_ns;     /* relative to the first row's time; -1 without a timestamp column */
  uint64_t index;      /* 0-based data row index, counting dropped rows */
  uint64_t line;       /* 1-based line number in the input */
} VgCsvRow;

typedef struct VgCsvReader VgCsvReader;

/* Copies the configuration (strings included). NULL with a message for a bad delimiter or line
 * limit. Column names are checked when the header arrives. */
VgCsvReader *vg_csv_reader_create(const VgCsvConfig *cfg, VgError *err);
void vg_csv_reader_destroy(VgCsvReader *r);

/* Back to the start of a new stream: the next line is a header again. */
void vg_csv_reader_reset(VgCsvReader *r);

/* Drops a partial line and unread input (after a flush), keeping the header, the columns and the
 * time origin. */
void vg_csv_reader_discard_input(VgCsvReader *r);

/* Feeds input (read in place: keep it valid until next() returns VG_CSV_NEED_DATA). */
void vg_csv_reader_feed(VgCsvReader *r, const char *data, size_t len);

/* End of input: a last line without a newline is read. */
void vg_csv_reader_finish(VgCsvReader *r);

/* Reads on: VG_CSV_ROW, VG_CSV_DROPPED, VG_CSV_COLUMNS, VG_CSV_NEED_DATA, or VG_ERR for a header
 * that cannot be used (err says why and what to do) or when memory runs out. After VG_ERR the
 * reader stays failed until reset. */
int vg_csv_reader_next(VgCsvReader *r, VgCsvRow *row, VgError *err);

/* 1 once the header row was read. */
int vg_csv_reader_has_header(const VgCsvReader *r);
char vg_csv_reader_delimiter(const VgCsvReader *r);
size_t vg_csv_reader_n_header(const VgCsvReader *r);
const char *vg_csv_reader_header_name(const VgCsvReader *r, size_t i);

/* Valid after VG_CSV_COLUMNS: the selected columns and their header indices. */
size_t vg_csv_reader_n_columns(const VgCsvReader *r);
size_t vg_csv_reader_column_index(const VgCsvReader *r, size_t k);

/* Header index of the timestamp column, -1 if none. */
long vg_csv_reader_time_column(const VgCsvReader *r);
VgCsvTimeKind vg_csv_reader_time_kind(const VgCsvReader *r);

#endif
