/* Vigil kernels: splitting one line of delimited text into cells.
 *
 * Cells are separated by one delimiter byte. Blanks (space, and tab unless tab is the delimiter)
 * around a cell are trimmed. A cell may be quoted as in RFC 4180: "a;b" holds the delimiter, and
 * "" inside quotes stands for one quote; the cell's span then covers the text between the quotes,
 * still with its doubled quotes (vg_csv_cell_unquote decodes them). A quoted cell cannot contain
 * a line break (lines are split first).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_CSV_CELLS_H
#define VG_CSV_CELLS_H

#include <stddef.h>

typedef struct {
  const char *p; /* first byte of the cell's text (inside the quotes if quoted) */
  size_t len;
  int quoted;
} VgCsvCell;

/* Splits line into cells, storing at most max_cells of them. Returns the number of cells in the
 * line (which may exceed max_cells; the extra ones are counted, not stored), or -1 when a quoted
 * cell is not closed or is followed by text other than blanks. */
long vg_csv_split(const char *line, size_t len, char delim, VgCsvCell *cells, size_t max_cells);

/* Number of unquoted occurrences of c in line. */
size_t vg_csv_count_unquoted(const char *line, size_t len, char c);

/* The delimiter of a header line: the most frequent unquoted ',', ';' or tab (ties go to ',',
 * then ';', then tab); ',' when none occurs (a single column). */
char vg_csv_detect_delimiter(const char *line, size_t len);

/* Copies the cell's text into out (out_size >= cell.len + 1), turning "" into ", and
 * NUL-terminates it. */
void vg_csv_cell_unquote(const VgCsvCell *cell, char *out);

/* 1 if the line holds only blanks (or nothing). */
int vg_csv_line_is_blank(const char *line, size_t len);

#endif
