/* Vigil kernels: numbers and times in CSV cells, independent of the process locale.
 *
 * Numbers: [+-] digits [. digits] [e [+-] digits] (at least one digit before or after the point),
 * or inf / infinity (any case, with a sign), with spaces around it ignored. Hexadecimal floats,
 * thousands separators and a decimal comma are refused. Values are rounded once, to the nearest
 * float32 (strtof_l in the "C" locale); values beyond the float32 range become +-inf. When
 * allow_nan is set, an empty cell and nan (any case, with a sign) give NaN; otherwise they are
 * refused. At most VG_CSV_NUMBER_MAX bytes.
 *
 * Times are kept as whole seconds plus nanoseconds so that any date of years 0000-9999 is exact:
 *  - ISO 8601: YYYY-MM-DD (or YYYY/MM/DD), optionally followed by 'T', 't' or a space and
 * hh:mm[:ss[.fraction]], optionally followed by Z or an offset +hh, +hh:mm or +hhmm (or -). Without
 * an offset the time is taken as is (only differences between rows matter). A fraction (. or ,)
 * keeps 9 digits; further digits are truncated. Second 60 (a leap second) is accepted.
 *  - plain seconds: [+-] digits [. digits] exactly to the nanosecond (further digits truncated), or
 *    any number above with an exponent (rounded to the nanosecond), within +-9.2e9 s.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_CSV_NUMBER_H
#define VG_CSV_NUMBER_H

#include <locale.h>
#include <stddef.h>
#include <stdint.h>

#define VG_CSV_NUMBER_MAX 128

typedef struct {
  int64_t sec;
  int32_t nsec; /* 0 to 999999999 */
} VgCsvTime;

/* A "C" locale for strtof_l/strtod_l; (locale_t)0 if it cannot be created. */
locale_t vg_csv_c_locale_new(void);

/* 0 and *out set on success, -1 if the cell is not a number. */
int vg_csv_parse_float(const char *p, size_t len, int allow_nan, locale_t c_locale, float *out);

/* 1 if the cell is empty or nan (what allow_nan admits). */
int vg_csv_is_nan_cell(const char *p, size_t len);

/* 0 and *out set on success, -1 if the cell is not such a time. */
int vg_csv_parse_iso8601(const char *p, size_t len, VgCsvTime *out);
int vg_csv_parse_seconds(const char *p, size_t len, locale_t c_locale, VgCsvTime *out);

/* 1 if the cell starts like an ISO 8601 date (four digits and '-' or '/'). */
int vg_csv_looks_like_date(const char *p, size_t len);

/* b - a in nanoseconds. 0 on success, -1 if it does not fit in int64. */
int vg_csv_time_diff_ns(const VgCsvTime *b, const VgCsvTime *a, int64_t *out);

/* Days from 1970-01-01 to the given proleptic Gregorian date. */
int64_t vg_csv_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
