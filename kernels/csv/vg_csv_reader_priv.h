/* Vigil kernels: the CSV reader's state, shared by its two source files (rows in vg_csv_reader.c,
 * header and column selection in vg_csv_header.c). Not a public header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_CSV_READER_PRIV_H
#define VG_CSV_READER_PRIV_H

#include "vg_csv_cells.h"
#include "vg_csv_number.h"
#include "vg_csv_reader.h"

typedef enum {
  STATE_HEADER, /* waiting for the header row */
  STATE_INFER,  /* header read; the first complete data row chooses the columns */
  STATE_ROWS,   /* columns known */
  STATE_FAILED, /* the header cannot be used */
} ReaderState;

struct VgCsvReader {
  char cfg_delimiter;
  char *cfg_columns;
  char *cfg_timestamp;
  int allow_nan;
  locale_t c_locale;
  VgCsvLines *lines;

  ReaderState state;
  char delimiter;
  size_t n_header;
  char **names;     /* n_header header names, unquoted */
  VgCsvCell *cells; /* n_header + 1 cells of the current row */
  long time_index;
  VgCsvTimeKind time_kind;
  VgCsvTime t0;
  int have_t0;
  int64_t last_ns;

  size_t n_columns;
  size_t *column_index; /* n_columns header indices */
  float *values;        /* n_columns values of the current row */

  uint64_t data_rows;
  unsigned header_extra; /* rows without numbers skipped before the columns were chosen */
  int finished;
  int has_pending; /* the row that chose the columns is returned after VG_CSV_COLUMNS */
  uint64_t pending_line, pending_index;
};

/* Reads the header line (vg_csv_header.c): names, delimiter, timestamp column, and an explicit
 * column selection. VG_OK or VG_ERR with a message. */
int vg_csv_header_parse(VgCsvReader *r, const char *line, size_t len, VgError *err);

/* Chooses the default columns from a complete data row (cells already split): n_columns is 0 if
 * no cell but the timestamp is a number. VG_ERR only if memory runs out. */
int vg_csv_header_infer(VgCsvReader *r, VgError *err);

/* Frees what the header allocated. */
void vg_csv_header_clear(VgCsvReader *r);

/* A printable excerpt of a cell for messages (at most 40 bytes, non-printable bytes as '?'). */
void vg_csv_cell_excerpt(const VgCsvCell *cell, char out[48]);

#endif
