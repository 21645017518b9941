/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_csv_number.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000

locale_t vg_csv_c_locale_new(void)
{
  return newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static int is_digit(char c)
{
  return c >= '0' && c <= '9';
}

/* Case-insensitive comparison of the cell with a lower-case ASCII word. */
static int ci_equal(const char *p, size_t len, const char *word)
{
  size_t n = strlen(word);
  if (len != n)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    if (c != word[i])
      return 0;
  }
  return 1;
}

static size_t skip_sign(const char *p, size_t len)
{
  return len > 0 && (p[0] == '+' || p[0] == '-') ? 1 : 0;
}

int vg_csv_is_nan_cell(const char *p, size_t len)
{
  size_t s = skip_sign(p, len);
  return len == 0 || ci_equal(p + s, len - s, "nan");
}

/* Checks the decimal syntax [+-] digits [. digits] [e [+-] digits] over the whole cell. */
static int decimal_syntax(const char *p, size_t len)
{
  size_t i = skip_sign(p, len), digits = 0;
  while (i < len && is_digit(p[i]))
    i++, digits++;
  if (i < len && p[i] == '.')
    for (i++; i < len && is_digit(p[i]); i++)
      digits++;
  if (digits == 0)
    return 0;
  if (i < len && (p[i] == 'e' || p[i] == 'E')) {
    i++;
    i += i < len && (p[i] == '+' || p[i] == '-');
    size_t exp_digits = 0;
    while (i < len && is_digit(p[i]))
      i++, exp_digits++;
    if (exp_digits == 0)
      return 0;
  }
  return i == len;
}

/* Powers of ten that are exact floats (5^10 < 2^24). */
static const float exact_pow10[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                                    1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

/* The common cell, [+-] digits [. digits] with at most 2^24 as the digits' integer and at most 10
 * after the point, converted without strtof: m / 10^k with both exact floats is one correctly
 * rounded division, so the result is the float nearest the decimal, as strtof's (Clinger's fast
 * path). strtof (multi-precision arithmetic) costs about as much as the rest of a row's parsing.
 * 0 if the cell is not of that form; the caller falls back. */
static int parse_simple(const char *p, size_t len, float *out)
{
  size_t i = skip_sign(p, len);
  uint32_t m = 0;
  int frac = -1; /* digits after the point; -1 before it */
  for (; i < len; i++) {
    char c = p[i];
    if (c == '.' && frac < 0) {
      frac = 0;
      continue;
    }
    if (!is_digit(c) || m > (1u << 24) / 10)
      return 0; /* an exponent, or too many digits for the fast path */
    m = m * 10 + (uint32_t)(c - '0');
    frac += frac >= 0;
  }
  if (m > (1u << 24) || frac > 10)
    return 0;
  float v = (float)m / exact_pow10[frac > 0 ? frac : 0];
  *out = p[0] == '-' ? -v : v;
  return 1;
}

int vg_csv_parse_float(const char *p, size_t len, int allow_nan, locale_t c_locale, float *out)
{
  while (len > 0 && *p == ' ') /* spaces inside quotes: " 1.5 " */
    p++, len--;
  while (len > 0 && p[len - 1] == ' ')
    len--;
  size_t s = skip_sign(p, len);
  float sign = s && p[0] == '-' ? -1.0f : 1.0f;
  if (vg_csv_is_nan_cell(p, len)) {
    if (!allow_nan)
      return -1;
    *out = copysignf(NAN, sign);
    return 0;
  }
  if (ci_equal(p + s, len - s, "inf") || ci_equal(p + s, len - s, "infinity")) {
    *out = sign * INFINITY;
    return 0;
  }
  if (len > VG_CSV_NUMBER_MAX || !decimal_syntax(p, len))
    return -1;
  if (parse_simple(p, len, out))
    return 0;
  char buf[VG_CSV_NUMBER_MAX + 1];
  memcpy(buf, p, len);
  buf[len] = '\0';
  char *end = NULL;
  float v = strtof_l(buf, &end, c_locale);
  if (end != buf + len)
    return -1;
  *out = v;
  return 0;
}

/* Reads exactly n digits at p[*pos]. */
static int fixed_digits(const char *p, size_t len, size_t *pos, int n, int *out)
{
  int v = 0;
  for (int k = 0; k < n; k++, (*pos)++) {
    if (*pos >= len || !is_digit(p[*pos]))
      return -1;
    v = v * 10 + (p[*pos] - '0');
  }
  *out = v;
  return 0;
}

/* Reads a fraction's digits at p[*pos] (at least one): the first 9 as nanoseconds. */
static int fraction_ns(const char *p, size_t len, size_t *pos, int32_t *ns)
{
  int32_t v = 0;
  int n = 0;
  while (*pos < len && is_digit(p[*pos])) {
    if (n < 9)
      v = v * 10 + (p[*pos] - '0');
    n++;
    (*pos)++;
  }
  for (int k = n; k < 9; k++)
    v *= 10;
  *ns = v;
  return n > 0 ? 0 : -1;
}

int64_t vg_csv_days_from_civil(int64_t y, unsigned m, unsigned d)
{
  /* Howard Hinnant's days_from_civil: years counted from March so the leap day is last. */
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return days[m - 1] + (m == 2 && leap);
}

int vg_csv_looks_like_date(const char *p, size_t len)
{
  return len >= 5 && is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) && is_digit(p[3]) &&
         (p[4] == '-' || p[4] == '/');
}

/* Z, or +hh, +hh:mm, +hhmm (or -) at p[*pos]; *offset in seconds east of UTC. */
static int zone_offset(const char *p, size_t len, size_t *pos, int64_t *offset)
{
  *offset = 0;
  if (*pos == len)
    return 0;
  if (p[*pos] == 'Z' || p[*pos] == 'z') {
    (*pos)++;
    return 0;
  }
  if (p[*pos] != '+' && p[*pos] != '-')
    return -1;
  int sign = p[(*pos)++] == '-' ? -1 : 1, hh, mm = 0;
  if (fixed_digits(p, len, pos, 2, &hh) != 0 || hh > 23)
    return -1;
  if (*pos < len && p[*pos] == ':')
    (*pos)++;
  if (*pos < len && fixed_digits(p, len, pos, 2, &mm) != 0)
    return -1;
  if (mm > 59)
    return -1;
  *offset = sign * (int64_t)(hh * 3600 + mm * 60);
  return 0;
}

/* hh:mm[:ss[.fraction]] at p[*pos], as seconds into the day and nanoseconds. */
static int time_of_day(const char *p, size_t len, size_t *pos, int64_t *secs, int32_t *ns)
{
  int hh, mi, ss = 0;
  *ns = 0;
  if (fixed_digits(p, len, pos, 2, &hh) != 0 || *pos >= len || p[(*pos)++] != ':' ||
      fixed_digits(p, len, pos, 2, &mi) != 0)
    return -1;
  if (*pos < len && p[*pos] == ':') {
    (*pos)++;
    if (fixed_digits(p, len, pos, 2, &ss) != 0)
      return -1;
    if (*pos < len && (p[*pos] == '.' || p[*pos] == ',')) {
      (*pos)++;
      if (fraction_ns(p, len, pos, ns) != 0)
        return -1;
    }
  }
  if (hh > 23 || mi > 59 || ss > 60)
    return -1;
  *secs = hh * 3600 + mi * 60 + ss;
  return 0;
}

int vg_csv_parse_iso8601(const char *p, size_t len, VgCsvTime *out)
{
  size_t pos = 0;
  int y, m, d;
  int64_t secs = 0, offset = 0;
  int32_t ns = 0;
  char sep = len > 4 ? p[4] : '-'; /* YYYY-MM-DD, or YYYY/MM/DD as many loggers write it */
  if ((sep != '-' && sep != '/') || fixed_digits(p, len, &pos, 4, &y) != 0 || pos >= len ||
      p[pos++] != sep || fixed_digits(p, len, &pos, 2, &m) != 0 || pos >= len || p[pos++] != sep ||
      fixed_digits(p, len, &pos, 2, &d) != 0)
    return -1;
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
    return -1;
  if (pos < len) {
    if (p[pos] != 'T' && p[pos] != 't' && p[pos] != ' ')
      return -1;
    pos++;
    if (time_of_day(p, len, &pos, &secs, &ns) != 0 || zone_offset(p, len, &pos, &offset) != 0)
      return -1;
  }
  if (pos != len)
    return -1;
  out->sec = vg_csv_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + secs - offset;
  out->nsec = ns;
  return 0;
}

/* A value with an exponent: through strtod_l, rounded to the nanosecond. */
/* out = (negative ? -1 : 1) x (whole + ns 1e-9) s, its nanoseconds in [0, 1e9). */
static void set_seconds(VgCsvTime *out, int negative, int64_t whole, int32_t ns)
{
  if (negative && ns > 0) {
    out->sec = -whole - 1;
    out->nsec = NS_PER_S - ns;
  } else {
    out->sec = negative ? -whole : whole;
    out->nsec = ns;
  }
}

/* [+-] digits [. digits] [e [+-] digits] as seconds, exactly: the decimal point moved by the
 * exponent, then the first 9 fraction digits as nanoseconds, truncated as without an exponent. A
 * double (as here before) holds an epoch time of 1.7e9 s to about 0.2 us only, and rounded where
 * the plain form truncates. Magnitudes from 9.2e9 s (292 years) on are refused. */
static int seconds_exact(const char *p, size_t len, VgCsvTime *out)
{
  char digits[VG_CSV_NUMBER_MAX];
  size_t pos = skip_sign(p, len), nd = 0;
  if (len > VG_CSV_NUMBER_MAX || !decimal_syntax(p, len))
    return -1;
  int negative = pos && p[0] == '-';
  long point = 0; /* digits[0 .. point) are the whole seconds */
  for (; pos < len && is_digit(p[pos]); pos++)
    digits[nd++] = p[pos];
  point = (long)nd;
  if (pos < len && p[pos] == '.')
    for (pos++; pos < len && is_digit(p[pos]); pos++)
      digits[nd++] = p[pos];
  if (pos < len) { /* the exponent (decimal_syntax checked its form) */
    int exp_negative = 0;
    long exp = 0;
    pos++;
    if (p[pos] == '+' || p[pos] == '-')
      exp_negative = p[pos++] == '-';
    for (; pos < len; pos++)
      exp = exp < 1000000 ? exp * 10 + (p[pos] - '0') : exp;
    point += exp_negative ? -exp : exp;
  }
  size_t lead = 0; /* leading zeros carry no value */
  while (lead < nd && digits[lead] == '0')
    lead++;
  if (lead == nd) {
    out->sec = 0, out->nsec = 0;
    return 0;
  }
  if (point - (long)lead > 10) /* 10^10 s or more */
    return -1;
  int64_t whole = 0;
  int32_t ns = 0;
  for (long i = (long)lead; i < point; i++)
    whole = whole * 10 + (i < (long)nd ? digits[i] - '0' : 0);
  for (long i = point; i < point + 9; i++)
    ns = ns * 10 + (i >= 0 && i < (long)nd ? digits[i] - '0' : 0);
  if (whole >= INT64_C(9200000000))
    return -1;
  set_seconds(out, negative, whole, ns);
  return 0;
}

int vg_csv_parse_seconds(const char *p, size_t len, locale_t c_locale, VgCsvTime *out)
{
  (void)c_locale; /* numbers of seconds are read digit by digit, in no locale */
  size_t pos = skip_sign(p, len), int_digits = 0, frac_digits = 0;
  int negative = pos && p[0] == '-';
  int64_t whole = 0;
  int32_t ns = 0;
  for (; pos < len && is_digit(p[pos]) && int_digits < 18; pos++, int_digits++)
    whole = whole * 10 + (p[pos] - '0');
  if (pos < len && p[pos] == '.') {
    pos++;
    size_t frac_start = pos;
    if (pos < len && is_digit(p[pos]))
      fraction_ns(p, len, &pos, &ns);
    frac_digits = pos - frac_start;
  }
  /* Anything else (an exponent, 18+ integer digits) goes the longer way. */
  if (pos != len || int_digits + frac_digits == 0)
    return seconds_exact(p, len, out);
  set_seconds(out, negative, whole, ns);
  return 0;
}

int vg_csv_time_diff_ns(const VgCsvTime *b, const VgCsvTime *a, int64_t *out)
{
  int64_t ds = b->sec - a->sec; /* both within +-1e18 s: no overflow */
  if (ds > INT64_MAX / NS_PER_S - 1 || ds < INT64_MIN / NS_PER_S + 1)
    return -1;
  *out = ds * NS_PER_S + (b->nsec - a->nsec);
  return 0;
}
