/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_csv_cells.h"

static int is_blank(char c, char delim)
{
  return c == ' ' || (c == '\t' && delim != '\t');
}

/* Reads one quoted cell whose opening quote is at line[*pos]. On success *pos is just after the
 * closing quote. */
static int read_quoted(const char *line, size_t len, size_t *pos, VgCsvCell *cell)
{
  size_t i = *pos + 1;
  cell->p = line + i;
  cell->quoted = 1;
  while (i < len) {
    if (line[i] == '"') {
      if (i + 1 < len && line[i + 1] == '"') {
        i += 2;
        continue;
      }
      cell->len = (size_t)(line + i - cell->p);
      *pos = i + 1;
      return 0;
    }
    i++;
  }
  return -1;
}

long vg_csv_split(const char *line, size_t len, char delim, VgCsvCell *cells, size_t max_cells)
{
  size_t pos = 0;
  long n = 0;
  for (;;) {
    VgCsvCell cell = {line + pos, 0, 0};
    while (pos < len && is_blank(line[pos], delim))
      pos++;
    if (pos < len && line[pos] == '"') {
      if (read_quoted(line, len, &pos, &cell) != 0)
        return -1;
      while (pos < len && is_blank(line[pos], delim))
        pos++;
      if (pos < len && line[pos] != delim)
        return -1;
    } else {
      size_t start = pos;
      while (pos < len && line[pos] != delim)
        pos++;
      size_t end = pos;
      while (end > start && is_blank(line[end - 1], delim))
        end--;
      cell.p = line + start;
      cell.len = end - start;
    }
    if ((size_t)n < max_cells)
      cells[n] = cell;
    n++;
    if (pos >= len)
      return n;
    pos++; /* the delimiter */
  }
}

size_t vg_csv_count_unquoted(const char *line, size_t len, char c)
{
  size_t count = 0;
  int in_quotes = 0;
  for (size_t i = 0; i < len; i++) {
    if (line[i] == '"')
      in_quotes = !in_quotes; /* a doubled quote toggles twice: no net effect */
    else if (!in_quotes && line[i] == c)
      count++;
  }
  return count;
}

char vg_csv_detect_delimiter(const char *line, size_t len)
{
  static const char candidates[] = {',', ';', '\t'};
  char best = ',';
  size_t best_count = 0;
  for (size_t i = 0; i < sizeof candidates; i++) {
    size_t count = vg_csv_count_unquoted(line, len, candidates[i]);
    if (count > best_count) {
      best = candidates[i];
      best_count = count;
    }
  }
  return best;
}

void vg_csv_cell_unquote(const VgCsvCell *cell, char *out)
{
  size_t o = 0;
  for (size_t i = 0; i < cell->len; i++) {
    out[o++] = cell->p[i];
    if (cell->quoted && cell->p[i] == '"' && i + 1 < cell->len && cell->p[i + 1] == '"')
      i++;
  }
  out[o] = '\0';
}

int vg_csv_line_is_blank(const char *line, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (line[i] != ' ' && line[i] != '\t')
      return 0;
  return 1;
}
