/* Vigil kernels: error reporting shared by every kernel object.
 *
 * Kernels never abort and never print: a constructor or a processing call that fails returns NULL
 * or VG_ERR and, when the caller passed a VgError, leaves a one-line message a user can act on.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_ERROR_H
#define VG_ERROR_H

#include <stddef.h>

#define VG_OK  0
#define VG_ERR (-1)

#define VG_ERROR_MSG_MAX 512

typedef struct {
  char msg[VG_ERROR_MSG_MAX];
} VgError;

/* Formats the message into err (if err is not NULL) and returns VG_ERR, so callers can write
 * `return vg_error_set (err, "...", ...);`. A message already set is replaced. */
int vg_error_set(VgError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends "prefix: " to the message already in err, to add context as an error travels up. */
int vg_error_prefix(VgError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Overflow-checked size arithmetic for allocations: return 0 and leave *out untouched on overflow.
 */
int vg_size_mul(size_t a, size_t b, size_t *out);
int vg_size_add(size_t a, size_t b, size_t *out);

#endif
