/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_csv_lines.h"

#include <stdlib.h>
#include <string.h>

struct VgCsvLines {
  size_t max_line;
  const char *in; /* the piece being read, in place */
  size_t in_len, in_pos;
  int finished;
  char *carry; /* the start of a line that continues in a later piece */
  size_t carry_len, carry_cap;
  int skipping; /* inside a too-long line: discard up to the next '\n' */
  uint64_t number;
};

VgCsvLines *vg_csv_lines_create(size_t max_line, VgError *err)
{
  if (max_line == 0)
    max_line = VG_CSV_LINE_MAX_DEFAULT;
  if (max_line > VG_CSV_LINE_MAX_LIMIT) {
    vg_error_set(err, "line limit %zu bytes is above the maximum of %zu", max_line,
                 VG_CSV_LINE_MAX_LIMIT);
    return NULL;
  }
  VgCsvLines *l = calloc(1, sizeof *l);
  if (!l) {
    vg_error_set(err, "out of memory creating a line splitter");
    return NULL;
  }
  l->max_line = max_line;
  return l;
}

void vg_csv_lines_destroy(VgCsvLines *l)
{
  if (l) {
    free(l->carry);
    free(l);
  }
}

void vg_csv_lines_reset(VgCsvLines *l)
{
  l->in = NULL;
  l->in_len = l->in_pos = 0;
  l->finished = 0;
  l->carry_len = 0;
  l->skipping = 0;
  l->number = 0;
}

void vg_csv_lines_drop_partial(VgCsvLines *l)
{
  l->in = NULL;
  l->in_len = l->in_pos = 0;
  l->finished = 0;
  l->carry_len = 0;
  l->skipping = 0;
}

void vg_csv_lines_feed(VgCsvLines *l, const char *data, size_t len)
{
  l->in = data;
  l->in_len = data ? len : 0;
  l->in_pos = 0;
}

void vg_csv_lines_finish(VgCsvLines *l)
{
  l->finished = 1;
}

uint64_t vg_csv_lines_number(const VgCsvLines *l)
{
  return l->number;
}

/* Appends to the carry buffer, growing it geometrically up to max_line. The caller has checked
 * that carry_len + len <= max_line. */
static int carry_append(VgCsvLines *l, const char *p, size_t len, VgError *err)
{
  if (l->carry_len + len > l->carry_cap) {
    size_t cap = l->carry_cap ? l->carry_cap : 256;
    while (cap < l->carry_len + len)
      cap *= 2;
    if (cap > l->max_line)
      cap = l->max_line;
    char *grown = realloc(l->carry, cap);
    if (!grown)
      return vg_error_set(err, "out of memory holding a line of %zu bytes", l->carry_len + len);
    l->carry = grown;
    l->carry_cap = cap;
  }
  memcpy(l->carry + l->carry_len, p, len);
  l->carry_len += len;
  return VG_OK;
}

/* Completes a line: drops a final '\r' and, on the first line, a UTF-8 BOM. */
static int deliver(VgCsvLines *l, const char *p, size_t len, const char **line, size_t *out_len)
{
  l->number++;
  if (len > 0 && p[len - 1] == '\r')
    len--;
  if (l->number == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
    p += 3;
    len -= 3;
  }
  *line = p;
  *out_len = len;
  return VG_CSV_LINE;
}

static int too_long(VgCsvLines *l)
{
  l->number++;
  l->carry_len = 0;
  return VG_CSV_LINE_TOO_LONG;
}

/* A '\n' was found at nl: the line is the carry (if any) plus in[in_pos, nl). */
static int line_ends(VgCsvLines *l, const char *nl, const char **line, size_t *len, VgError *err)
{
  const char *seg = l->in + l->in_pos;
  size_t seg_len = (size_t)(nl - seg);
  l->in_pos += seg_len + 1;
  if (l->skipping) {
    l->skipping = 0;
    return too_long(l);
  }
  if (l->carry_len == 0) {
    if (seg_len > l->max_line)
      return too_long(l);
    return deliver(l, seg, seg_len, line, len);
  }
  if (seg_len > l->max_line - l->carry_len)
    return too_long(l);
  if (carry_append(l, seg, seg_len, err) != VG_OK)
    return VG_ERR;
  size_t total = l->carry_len;
  l->carry_len = 0; /* the bytes stay valid until the next call */
  return deliver(l, l->carry, total, line, len);
}

int vg_csv_lines_next(VgCsvLines *l, const char **line, size_t *len, VgError *err)
{
  while (l->in_pos < l->in_len) {
    const char *start = l->in + l->in_pos;
    size_t rest = l->in_len - l->in_pos;
    const char *nl = memchr(start, '\n', rest);
    if (nl)
      return line_ends(l, nl, line, len, err);
    l->in_pos = l->in_len;
    if (l->skipping)
      break;
    if (rest > l->max_line - l->carry_len) {
      l->skipping = 1;
      l->carry_len = 0;
      break;
    }
    if (carry_append(l, start, rest, err) != VG_OK)
      return VG_ERR;
  }
  if (l->finished && l->skipping) {
    l->skipping = 0;
    return too_long(l);
  }
  if (l->finished && l->carry_len > 0) {
    size_t total = l->carry_len;
    l->carry_len = 0;
    return deliver(l, l->carry, total, line, len);
  }
  return VG_CSV_NEED_DATA;
}
