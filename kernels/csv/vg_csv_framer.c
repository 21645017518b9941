/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_csv_framer.h"

#include <stdlib.h>
#include <string.h>

struct VgCsvFramer {
  size_t n_values, max_frames;
  float *buf[2]; /* the batch being filled and the one last handed out */
  int cur;
  size_t n; /* frames in the batch being filled */
  uint64_t first_tick, spacing;
  int spacing_known, batch_discont;
  int has_prev;
  uint64_t prev_tick;
  uint64_t run_interval, nominal;
  unsigned run_len;
};

VgCsvFramer *vg_csv_framer_create(size_t n_values, size_t max_frames, VgError *err)
{
  size_t frame_bytes, bytes;
  if (n_values == 0 || max_frames == 0 || max_frames > VG_CSV_FRAMES_MAX) {
    vg_error_set(err, "framer needs 1 or more values per frame and 1 to %d frames per batch",
                 VG_CSV_FRAMES_MAX);
    return NULL;
  }
  if (!vg_size_mul(n_values, sizeof(float), &frame_bytes) ||
      !vg_size_mul(frame_bytes, max_frames, &bytes)) {
    vg_error_set(err, "a batch of %zu frames of %zu values is too large", max_frames, n_values);
    return NULL;
  }
  VgCsvFramer *f = calloc(1, sizeof *f);
  if (f) {
    f->buf[0] = malloc(bytes);
    f->buf[1] = malloc(bytes);
  }
  if (!f || !f->buf[0] || !f->buf[1]) {
    vg_error_set(err, "out of memory for a batch of %zu frames of %zu values", max_frames,
                 n_values);
    vg_csv_framer_destroy(f);
    return NULL;
  }
  f->n_values = n_values;
  f->max_frames = max_frames;
  return f;
}

void vg_csv_framer_destroy(VgCsvFramer *f)
{
  if (f) {
    free(f->buf[0]);
    free(f->buf[1]);
    free(f);
  }
}

void vg_csv_framer_reset(VgCsvFramer *f)
{
  f->n = 0;
  f->has_prev = 0;
  f->run_len = 0;
  f->run_interval = f->nominal = 0;
}

static void finish(VgCsvFramer *f, VgCsvBatch *out)
{
  out->values = f->buf[f->cur];
  out->n_frames = f->n;
  out->first_tick = f->first_tick;
  out->spacing = f->spacing;
  out->spacing_known = f->spacing_known;
  out->discont = f->batch_discont;
  f->cur ^= 1;
  f->n = 0;
}

/* The regular spacing: an interval seen VG_CSV_RUN_MIN times in a row becomes the nominal one. */
static void track_run(VgCsvFramer *f, uint64_t interval)
{
  if (interval == f->run_interval) {
    f->run_len++;
  } else {
    f->run_interval = interval;
    f->run_len = 1;
  }
  if (f->run_len >= VG_CSV_RUN_MIN)
    f->nominal = f->run_interval;
}

/* A batch's first frame lasts the nominal spacing once a regular run has set one (the time the
 * next row is expected: after a late row the frame does not stretch over the late interval), else
 * the interval from the previous row; a second frame sets the batch's own spacing. */
static void start_batch(VgCsvFramer *f, uint64_t tick, uint64_t interval, int disc)
{
  f->first_tick = tick;
  f->batch_discont = disc;
  f->spacing_known = 1;
  if (f->nominal > 0)
    f->spacing = f->nominal;
  else if (!disc)
    f->spacing = interval;
  else
    f->spacing = 0, f->spacing_known = 0;
}

int vg_csv_framer_push(VgCsvFramer *f, const float *values, uint64_t tick, int discont,
                       VgCsvBatch *out)
{
  uint64_t interval = f->has_prev && tick > f->prev_tick ? tick - f->prev_tick : 0;
  int gap = f->has_prev && f->nominal > 0 && f->nominal <= UINT64_MAX / VG_CSV_GAP_FACTOR &&
            interval > VG_CSV_GAP_FACTOR * f->nominal;
  int disc = discont || gap || !f->has_prev;
  int finished = 0;
  /* equal times (rows logged faster than the time's resolution) neither make nor break a regular
   * run: three of them made the nominal spacing 0, which turned gap detection off */
  if (f->has_prev && interval > 0)
    track_run(f, interval);
  if (f->n > 0 && (disc || (f->n >= 2 && interval != f->spacing))) {
    finish(f, out);
    finished = 1;
  }
  if (f->n == 0)
    start_batch(f, tick, interval, disc);
  else if (f->n == 1)
    f->spacing = interval, f->spacing_known = 1;
  memcpy(f->buf[f->cur] + f->n * f->n_values, values, f->n_values * sizeof(float));
  f->n++;
  f->prev_tick = tick;
  f->has_prev = 1;
  if (f->n == f->max_frames) { /* with max_frames 1 the batch was empty above: one batch only */
    finish(f, out);
    finished = 1;
  }
  return finished;
}

int vg_csv_framer_flush(VgCsvFramer *f, VgCsvBatch *out)
{
  if (f->n == 0)
    return 0;
  finish(f, out);
  return 1;
}
