/* A sliding linear buffer of time columns (liquid-dsp's trick): capacity = kept + slack, so every
 * live column range is one contiguous pointer that GEMM reads in place. When an append would pass
 * the end, the live tail moves to the front: amortised O(1) per column, never an allocation.
 *
 * Columns are addressed by an absolute column index (int64); live columns are [lo, hi).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_HISTORY_H
#define VG_HISTORY_H

#include <stdint.h>

#include "vg_error.h"

typedef struct {
  float *buf;
  int64_t width; /* floats per column */
  int64_t cap;   /* columns the buffer holds */
  int64_t base;  /* column index stored at buf[0] */
  int64_t lo, hi;
} VgHistory;

/* Allocates cap columns of width floats. */
int vg_history_init(VgHistory *h, int64_t width, int64_t cap, VgError *err);
void vg_history_clear(VgHistory *h);

/* Empties the history; the next column appended is column `start`. O(1). */
void vg_history_restart(VgHistory *h, int64_t start);

/* Drops columns below `from` (restarts at `from` when nothing live remains). */
void vg_history_trim(VgHistory *h, int64_t from);

/* Room for n more columns at hi (n + live <= cap); returns where column hi goes. */
float *vg_history_reserve(VgHistory *h, int64_t n);
static inline void vg_history_commit(VgHistory *h, int64_t n)
{
  h->hi += n;
}

static inline float *vg_history_col(const VgHistory *h, int64_t col)
{
  return h->buf + (col - h->base) * h->width;
}

#endif
