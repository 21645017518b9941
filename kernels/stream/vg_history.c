/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "vg_history.h"

int vg_history_init(VgHistory *h, int64_t width, int64_t cap, VgError *err)
{
  size_t n;
  memset(h, 0, sizeof(*h));
  if (cap < 1 || width < 1)
    return VG_OK; /* an empty history: nothing is ever kept */
  if (!vg_size_mul((size_t)width, (size_t)cap, &n) || !vg_size_mul(n, sizeof(float), &n))
    return vg_error_set(err, "history of %lld x %lld floats is too large", (long long)cap,
                        (long long)width);
  h->buf = calloc(1, n);
  if (!h->buf)
    return vg_error_set(err, "out of memory allocating a history of %zu bytes", n);
  h->width = width;
  h->cap = cap;
  vg_history_restart(h, 0);
  return VG_OK;
}

void vg_history_clear(VgHistory *h)
{
  free(h->buf);
  memset(h, 0, sizeof(*h));
}

void vg_history_restart(VgHistory *h, int64_t start)
{
  h->base = h->lo = h->hi = start;
}

void vg_history_trim(VgHistory *h, int64_t from)
{
  if (from >= h->hi)
    vg_history_restart(h, from);
  else if (from > h->lo)
    h->lo = from;
}

float *vg_history_reserve(VgHistory *h, int64_t n)
{
  if (h->hi - h->base + n > h->cap) {
    int64_t live = h->hi - h->lo;
    memmove(h->buf, vg_history_col(h, h->lo), (size_t)(live * h->width) * sizeof(float));
    h->base = h->lo;
  }
  return vg_history_col(h, h->hi);
}
