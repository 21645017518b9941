/* Vigil kernels: a float as printf's "%.9g" prints it, without printf.
 *
 * csvenc writes every value with %.9g (nine significant digits: a float reads back exactly). glibc
 * formats a double by exact multi-precision arithmetic, which costs more than everything else a
 * row takes. A float times an exact power of ten in double arithmetic, rounded once, decides its
 * nine digits exactly (vg_csv_format.c says why); magnitudes where the power is not exact are left
 * to printf.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_CSV_FORMAT_H
#define VG_CSV_FORMAT_H

#include <stddef.h>

/* Longest text vg_csv_format_float writes, with its terminating NUL ("-1.23456789e-38"). */
#define VG_CSV_FORMAT_MAX 24

/* Writes v as snprintf(buf, n, "%.9g", v) does in the C locale and returns its length, or returns
 * 0 (writing nothing) for the values it leaves to printf: non-finite values and magnitudes outside
 * about 1e-14 .. 1e30. buf holds VG_CSV_FORMAT_MAX bytes. */
size_t vg_csv_format_float(float v, char *buf);

#endif
