/* Vigil kernels: grouping timed rows into batches of evenly spaced frames.
 *
 * A batch (one buffer downstream) holds up to max_frames frames whose times are first_tick,
 * first_tick + spacing, first_tick + 2 * spacing, ... so that every frame's time is exact
 * (docs/tensors.md: frame k of a buffer is at PTS + k * duration / n). Ticks are whatever unit the
 * caller uses: nanoseconds for times from a column, row indices for a fixed rate.
 *
 * A batch ends when it is full, when the next row's interval differs from the batch's spacing, or
 * when the next row is discontinuous. A row is discontinuous (and its batch is flagged) when it is
 * the first, when the caller says so (rows were dropped before it), or after a gap: an interval
 * more than VG_CSV_GAP_FACTOR times the nominal spacing, which is the last interval seen
 * VG_CSV_RUN_MIN times in a row (none until then, so no gap is detected before a regular run).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_CSV_FRAMER_H
#define VG_CSV_FRAMER_H

#include <stddef.h>
#include <stdint.h>

#include "vg_error.h"

#define VG_CSV_GAP_FACTOR 4
#define VG_CSV_RUN_MIN    3
#define VG_CSV_FRAMES_MAX 65536

typedef struct {
  const float *values; /* n_frames * n_values floats; valid until the next push/flush/reset */
  size_t n_frames;
  uint64_t first_tick;
  uint64_t spacing;  /* ticks between frames (and the length of the last one); a lone frame's is
                        the nominal spacing once known, else the interval before it */
  int spacing_known; /* 0 for a lone first frame, or after a discontinuity before any regular run */
  int discont;
} VgCsvBatch;

typedef struct VgCsvFramer VgCsvFramer;

/* n_values: values per frame (>= 1); max_frames: 1 to VG_CSV_FRAMES_MAX. */
VgCsvFramer *vg_csv_framer_create(size_t n_values, size_t max_frames, VgError *err);
void vg_csv_framer_destroy(VgCsvFramer *f);

/* Forgets pending frames and history; the next frame is discontinuous. */
void vg_csv_framer_reset(VgCsvFramer *f);

/* Adds a frame at tick (not earlier than the previous one). Returns 1 when *out holds a finished
 * batch, else 0. At most one batch finishes per push. */
int vg_csv_framer_push(VgCsvFramer *f, const float *values, uint64_t tick, int discont,
                       VgCsvBatch *out);

/* Finishes the pending partial batch (at end of stream). Returns 1 if there was one. */
int vg_csv_framer_flush(VgCsvFramer *f, VgCsvBatch *out);

#endif
