/* Vigil kernels: an incremental line splitter for delimited text.
 *
 * Bytes arrive in arbitrary pieces (a line may be split across any number of pieces). Lines end at
 * '\n'; a '\r' before it is removed (CRLF); a UTF-8 byte order mark at the very start of the input
 * is removed; at the end of input (vg_csv_lines_finish) a last line without '\n' is delivered.
 *
 * Memory is bounded: a line longer than max_line bytes (without its terminator) is not kept. The
 * splitter discards its bytes up to the next '\n' and reports it once, as VG_CSV_LINE_TOO_LONG, so
 * a hostile input without newlines cannot grow memory beyond max_line.
 *
 * Lines that fit in one pushed piece are returned in place (no copy); only a line split across
 * pieces is gathered in an internal buffer, which grows to the longest such line (at most
 * max_line) and is then reused.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_CSV_LINES_H
#define VG_CSV_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "vg_error.h"

/* Default and largest accepted line length in bytes. */
#define VG_CSV_LINE_MAX_DEFAULT ((size_t)1 << 20)
#define VG_CSV_LINE_MAX_LIMIT   ((size_t)1 << 28)

/* vg_csv_lines_next results (VG_ERR on allocation failure). */
#define VG_CSV_NEED_DATA     0
#define VG_CSV_LINE          1
#define VG_CSV_LINE_TOO_LONG 2

typedef struct VgCsvLines VgCsvLines;

/* max_line: 1 to VG_CSV_LINE_MAX_LIMIT bytes, or 0 for VG_CSV_LINE_MAX_DEFAULT. */
VgCsvLines *vg_csv_lines_create(size_t max_line, VgError *err);
void vg_csv_lines_destroy(VgCsvLines *l);

/* Forgets any partial line and pending input; the next byte is the start of a new stream (a BOM is
 * removed again). */
void vg_csv_lines_reset(VgCsvLines *l);

/* Forgets a partial line and unread input (after a flush) but keeps counting lines. */
void vg_csv_lines_drop_partial(VgCsvLines *l);

/* Hands the next piece of input to the splitter. The bytes are read in place: they must stay valid
 * and unchanged until vg_csv_lines_next returns VG_CSV_NEED_DATA. Call only after it did. */
void vg_csv_lines_feed(VgCsvLines *l, const char *data, size_t len);

/* Marks the end of input: a last line without '\n' becomes available. */
void vg_csv_lines_finish(VgCsvLines *l);

/* Next line: VG_CSV_LINE with *line / *len set (no terminator; valid until the next call),
 * VG_CSV_LINE_TOO_LONG for a line that exceeded max_line (its bytes are gone), VG_CSV_NEED_DATA
 * when the input fed so far is consumed, or VG_ERR if memory ran out (message in err). */
int vg_csv_lines_next(VgCsvLines *l, const char **line, size_t *len, VgError *err);

/* 1-based number of the line last returned (counting too-long lines). */
uint64_t vg_csv_lines_number(const VgCsvLines *l);

#endif
