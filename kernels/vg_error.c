/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int vg_error_set(VgError *err, const char *fmt, ...)
{
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return VG_ERR;
}

int vg_error_prefix(VgError *err, const char *fmt, ...)
{
  if (err) {
    char prefix[VG_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix - 2, fmt, ap);
    va_end(ap);
    size_t plen = n < 0 ? 0 : strlen(prefix);
    /* Shift the old message right to make room for "prefix: ", truncating its end if needed. */
    size_t keep = strnlen(err->msg, sizeof err->msg - 1);
    if (plen + 2 + keep > sizeof err->msg - 1)
      keep = sizeof err->msg - 1 - plen - 2;
    memmove(err->msg + plen + 2, err->msg, keep);
    memcpy(err->msg, prefix, plen);
    memcpy(err->msg + plen, ": ", 2);
    err->msg[plen + 2 + keep] = '\0';
  }
  return VG_ERR;
}

int vg_size_mul(size_t a, size_t b, size_t *out)
{
  if (a != 0 && b > SIZE_MAX / a)
    return 0;
  *out = a * b;
  return 1;
}

int vg_size_add(size_t a, size_t b, size_t *out)
{
  if (b > SIZE_MAX - a)
    return 0;
  *out = a + b;
  return 1;
}
