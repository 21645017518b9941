/* Vigil kernels: exact median and median absolute deviation (MAD) over a sliding window.
 *
 * The window keeps its last `capacity` values twice: in arrival order (a ring, to know which
 * value leaves) and sorted (to read order statistics). Up to 2048 values the sorted copy is one
 * array: an update finds the leaving and the arriving value by binary search and shifts the values
 * between them by one slot, a memmove of W/3 floats on average, which at these sizes costs less
 * than any bookkeeping. Larger windows are cut into blocks of about sqrt(4 W) values, each a ring:
 * an update counts its way to the two values (the block heads, then one block, vectorised), moves
 * values within the two blocks concerned (a quarter of a block each on average), and each block in
 * between hands one value to its neighbour in O(1) by moving its ring's start: O(sqrt W) per update
 * where the single array costs O(W). Random access stays O(1) (two loads). No sort per frame, no
 * allocation after create.
 *
 * With the window sorted, s_0 <= ... <= s_{n-1}:
 *   median = s_{(n-1)/2} for odd n, (s_{n/2-1} + s_{n/2}) / 2 for even n (numpy's np.median);
 *   MAD = median of |s_i - median|. The deviations of the values left of the median, read from the
 *   middle outwards, are sorted ascending, and so are those right of it: the MAD is an order
 *   statistic of the union of two sorted sequences, found by binary search in O(log W) without
 *   forming the deviations (np.median(np.abs(x - np.median(x)))); the search gallops from the
 *   previous frame's answer, so on a stream it usually takes a few probes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_MEDIAN_H
#define VG_MEDIAN_H

#include <stddef.h>
#include "../vg_error.h"

typedef struct VgSlidingMedian VgSlidingMedian;

/* capacity >= 1 values. NULL with a message in err on bad configuration or allocation failure. */
VgSlidingMedian *vg_sliding_median_create(size_t capacity, VgError *err);
/* The same with `block` values per block (a power of two >= 8; 0: chosen from the capacity, as
 * vg_sliding_median_create does), for tests and benchmarks of the blocked layout on small windows.
 */
VgSlidingMedian *vg_sliding_median_create_blocked(size_t capacity, size_t block, VgError *err);
void vg_sliding_median_destroy(VgSlidingMedian *m);
void vg_sliding_median_reset(VgSlidingMedian *m);

/* Adds x (finite); once the window is full the oldest value leaves. */
void vg_sliding_median_push(VgSlidingMedian *m, float x);

/* Values currently in the window (min(pushed, capacity)). */
size_t vg_sliding_median_count(const VgSlidingMedian *m);

/* Median and MAD of the window; both 0 when it is empty. The MAD search starts from where the
 * previous one ended (a hint kept in m), hence the non-const m. */
double vg_sliding_median_median(const VgSlidingMedian *m);
double vg_sliding_median_mad(VgSlidingMedian *m);

#endif
