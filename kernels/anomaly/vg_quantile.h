/* Vigil kernels: an exact quantile of a stored set of values.
 *
 * The q-quantile with linear interpolation, the default of numpy.quantile and pandas'
 * Series.quantile: with the values sorted, x_(0) <= ... <= x_(n-1), and h = (n - 1) q,
 *   Q(q) = x_(floor h) + (h - floor h) (x_(floor h + 1) - x_(floor h)).
 * Found by quickselect (expected O(n), no sort): it reorders the values in place.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_QUANTILE_H
#define VG_QUANTILE_H

#include <stddef.h>

/* q in [0, 1], n >= 1, values finite. Reorders values[0 .. n). */
double vg_quantile(float *values, size_t n, double q);

/* The k-th smallest (0-based) of values[0 .. n), k < n; values is reordered so that values[k]
 * holds it, with no larger value before it and no smaller one after it. */
float vg_select(float *values, size_t n, size_t k);

#endif
