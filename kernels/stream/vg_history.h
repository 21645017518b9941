/* The columns a stream keeps between windows, addressed by absolute column index (int64); live
 * columns are [lo, hi). Every live range must be one contiguous pointer, so that the kernels read
 * it in place. Two layouts give that:
 *
 * - a ring mapped twice in a row (the default on Linux): the same pages appear again right after
 *   the ring, so a range that wraps past its end continues, contiguous, into the second mapping.
 *   Appends never copy; the physical memory is the ring alone.
 * - a sliding linear buffer of twice the columns (liquid-dsp's trick), where the live tail moves to
 *   the front when an append would pass the end: amortised O(1) per column, but the hop on which
 *   it moves pays for all of them. Used where the double mapping is not available, or when the
 *   environment sets VIGIL_HISTORY=linear (the tests run both).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_HISTORY_H
#define VG_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "vg_error.h"

typedef struct {
  float *buf;
  int64_t width; /* floats per column */
  int64_t cap;   /* columns the buffer holds (the ring: one of its two mappings) */
  int64_t base;  /* column index stored at buf[0] (the ring: at buf[0] modulo cap) */
  int64_t lo, hi;
  int64_t tail; /* zero columns kept after hi (vg_history_set_tail) */
  int ring;     /* the double-mapped ring (else the linear buffer) */
  void *map;    /* the ring's whole mapping, guard pages included */
  size_t map_bytes;
} VgHistory;

/* A history of width floats per column in which live + appended columns never exceed `cols`. */
int vg_history_init(VgHistory *h, int64_t width, int64_t cols, VgError *err);
/* Keeps `tail` columns of zeros after hi from now on (read in place as padding, VgSeq.zeros):
 * the history must have been made with `tail` more columns than it keeps live. */
void vg_history_set_tail(VgHistory *h, int64_t tail);
void vg_history_clear(VgHistory *h);

/* Bytes of memory that vg_history_init(width, cols) takes (if the ring is available). */
int64_t vg_history_bytes(int64_t width, int64_t cols);

/* Empties the history; the next column appended is column `start`. O(1). */
void vg_history_restart(VgHistory *h, int64_t start);

/* Drops columns below `from` (restarts at `from` when nothing live remains). */
void vg_history_trim(VgHistory *h, int64_t from);

/* Room for n more columns at hi (n + live <= cols); returns where column hi goes. */
float *vg_history_reserve(VgHistory *h, int64_t n);
/* Zeroes the `tail` columns after hi (after each commit and restart: appends overwrite them). */
void vg_history_zero_tail(VgHistory *h);
static inline void vg_history_commit(VgHistory *h, int64_t n)
{
  h->hi += n;
  if (h->tail)
    vg_history_zero_tail(h);
}

/* Column col (lo <= col <= hi); the columns after it up to hi follow contiguously. */
static inline float *vg_history_col(const VgHistory *h, int64_t col)
{
  int64_t i = col - h->base;
  return h->buf + (h->ring ? i % h->cap : i) * h->width;
}

#endif
