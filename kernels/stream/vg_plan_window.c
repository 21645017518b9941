/* Planning for a window length: shapes at that window, and when the window cannot work, the list
 * of windows that can (so the refusal tells the user what to choose).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_plan_priv.h"

/* Windows tried when listing the valid ones: enough for every model Vigil targets. */
#define VG_PLAN_SCAN_MAX 16384

static int window_works(const VgModel *m, int64_t w, VgShape *shapes)
{
  VgError e;
  if (vg_model_infer_shapes(m, w, shapes, &e) != VG_OK)
    return 0;
  for (int v = 0; v < m->n_values; v++) {
    const VgShape *s = &shapes[v];
    if (vg_model_is_time_value(m, v) && (s->rank < 1 || s->dims[s->rank - 1] < 1))
      return 0;
  }
  return 1;
}

/* Appends to buf; 0 once it is full. */
__attribute__((format(printf, 4, 5))) static int append(char *buf, size_t size, size_t *used,
                                                        const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *used, size - *used, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= size - *used)
    return 0;
  *used += (size_t)n;
  return 1;
}

/* The valid window nearest to `window` from below (step -1) or above (step 1) within
 * [1, VG_PLAN_SCAN_MAX], or 0. */
static int64_t nearest_valid(const VgModel *m, VgShape *shapes, int64_t window, int step)
{
  for (int64_t w = window + step; w >= 1 && w <= VG_PLAN_SCAN_MAX; w += step)
    if (window_works(m, w, shapes))
      return w;
  return 0;
}

/* Appends "a-b" or "a" ranges of valid windows in [1, VG_PLAN_SCAN_MAX] to buf; a range still
 * open at the scan's end goes up to VG_MAX_DIM, the longest time axis Vigil takes. The first 8
 * ranges are listed; when more follow (a U-Net takes every multiple of 4), ", ..." says so and the
 * valid windows nearest to the one asked for are named (without them, "4, 8, ..., 32" at window
 * 50 hid the model's own length, 48). */
static void list_valid(const VgModel *m, int64_t window, VgShape *shapes, char *buf, size_t size)
{
  size_t used = 0;
  int ranges = 0;
  int64_t start = -1, w = 1;
  buf[0] = '\0';
  for (; w <= VG_PLAN_SCAN_MAX + 1 && ranges < 8; w++) {
    int ok = w <= VG_PLAN_SCAN_MAX && window_works(m, w, shapes);
    if (ok && start < 0)
      start = w;
    if (!ok && start >= 0) {
      const char *sep = ranges ? ", " : "";
      long long a = (long long)start, end = (long long)(w - 1);
      int fits = end == VG_PLAN_SCAN_MAX ? append(buf, size, &used, "%s%lld or more (up to %ld)",
                                                  sep, a, (long)VG_MAX_DIM)
                 : end == a              ? append(buf, size, &used, "%s%lld", sep, a)
                                         : append(buf, size, &used, "%s%lld-%lld", sep, a, end);
      if (!fits)
        return;
      ranges++;
      start = -1;
    }
  }
  if (ranges == 0) {
    snprintf(buf, size, "none up to %d frames", VG_PLAN_SCAN_MAX);
    return;
  }
  /* w - 1 was the last window scanned, and was not valid */
  if (w > VG_PLAN_SCAN_MAX || !nearest_valid(m, shapes, w - 1, 1))
    return; /* the list is complete */
  if (!append(buf, size, &used, ", ...") || window < 1 || window > VG_PLAN_SCAN_MAX)
    return;
  int64_t below = nearest_valid(m, shapes, window, -1), above = nearest_valid(m, shapes, window, 1);
  if (below && above)
    append(buf, size, &used, " (nearest to %lld: %lld and %lld)", (long long)window,
           (long long)below, (long long)above);
  else if (below || above)
    append(buf, size, &used, " (nearest to %lld: %lld)", (long long)window,
           (long long)(below ? below : above));
}

VgPlan *vg_plan_create(const VgModel *m, int64_t window, int64_t hop, VgStreamMode mode,
                       VgError *err)
{
  VgShape *shapes = calloc((size_t)m->n_values, sizeof(*shapes));
  if (!shapes) {
    vg_error_set(err, "out of memory planning the stream");
    return NULL;
  }
  VgError why = {{0}};
  VgPlan *p = NULL;
  int window_fault = 1; /* the window is to blame (list the valid ones), not the hop or model */
  if (window >= 1 && window <= VG_MAX_DIM &&
      vg_model_infer_shapes(m, window, shapes, &why) == VG_OK) {
    p = vg_plan_from_shapes(m, shapes, window, hop, mode, &why);
    window_fault = strncmp(why.msg, "window ", 7) == 0;
  } else if (window < 1 || window > VG_MAX_DIM) {
    snprintf(why.msg, sizeof(why.msg), "%s",
             window < 1 ? "not positive" : "longer than Vigil takes");
  }
  if (!p && !window_fault) {
    vg_error_set(err, "%s", why.msg);
  } else if (!p) {
    char valid[256];
    list_valid(m, window, shapes, valid, sizeof(valid));
    vg_error_set(err, "window %lld does not work with this model (%s); valid windows: %s",
                 (long long)window, why.msg, valid);
  }
  free(shapes);
  return p;
}
