/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_median.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Windows up to this many values are one block: a plain sorted array, searched by bisection, whose
 * memmove per update is cheaper than the blocks' bookkeeping (measured: docs/benchmarks.md). */
#define VG_MEDIAN_ONE_BLOCK 2048

/* A blocked window's searches are counts over contiguous floats (count_below): compiled for AVX-512
 * and AVX2 beside the baseline, picked per CPU at start-up (GCC function multi-versioning). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define VG_MEDIAN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VG_MEDIAN_CLONES
#endif

/* The sorted window is cut into blocks of B = 2^shift slots, each a ring (its values ascending from
 * start[b], wrapping). Every block but the last is full, so global index i lives in block i >>
 * shift at ring offset (start[b] + i) & (B - 1): random access costs two loads. An update removes
 * one value and inserts another: within the two blocks concerned the values on the shorter side of
 * the slot move by one; across the blocks between them one value passes from each block to its
 * neighbour, which a ring does in O(1) by moving its start. O(B + W/B) per update instead of the
 * O(W) shift of one sorted array. A window of up to VG_MEDIAN_ONE_BLOCK values is one block whose
 * start never moves: the plain sorted array. */
struct VgSlidingMedian {
  size_t capacity;
  size_t count;
  size_t head;          /* ring index of the oldest value once full; next write position */
  float *ring;          /* arrival order */
  float *data;          /* the blocks: block b in data[b * B .. (b + 1) * B) */
  size_t *start;        /* per block: the slot of its smallest value */
  float *heads;         /* per block: its smallest value; +inf for unused blocks and padding */
  size_t padded_blocks; /* blocks rounded up to a multiple of 8 (the length of heads) */
  unsigned shift;       /* log2 B */
  int one_block;        /* the window fits one block, which never moves its start: a sorted array */
  size_t mask;          /* B - 1 */
  size_t split_hint;    /* the last MAD search's split, where the next one starts */
};

/* Block size B = 2^shift: about sqrt(4 W), balancing what an update costs per block crossed (a
 * value handed on, W/B/3 blocks on average) against what it costs per value of a block (the counts
 * of the search, the shifts); at least 8 (the search counts 8 lanes at a time). Up to
 * VG_MEDIAN_ONE_BLOCK values, one block. */
static unsigned block_shift(size_t capacity)
{
  unsigned s = 3;
  if (capacity <= VG_MEDIAN_ONE_BLOCK) {
    while (((size_t)1 << s) < capacity)
      s++;
    return s;
  }
  while (((size_t)1 << (2 * s)) < 4 * capacity)
    s++;
  return s;
}

VgSlidingMedian *vg_sliding_median_create(size_t capacity, VgError *err)
{
  return vg_sliding_median_create_blocked(capacity, 0, err);
}

VgSlidingMedian *vg_sliding_median_create_blocked(size_t capacity, size_t block, VgError *err)
{
  size_t bytes;
  if (capacity == 0) {
    vg_error_set(err, "sliding median: the window must hold at least 1 value");
    return NULL;
  }
  /* 2^40 values (4 TiB) is beyond any memory; the bound keeps the block arithmetic from overflow */
  if (capacity > ((size_t)1 << 40) || !vg_size_mul(capacity, sizeof(float), &bytes)) {
    vg_error_set(err, "sliding median: a window of %zu values is too large", capacity);
    return NULL;
  }
  if (block != 0 && (block < 8 || block > ((size_t)1 << 30) || (block & (block - 1)) != 0)) {
    vg_error_set(err, "sliding median: blocks of %zu values: use a power of two from 8", block);
    return NULL;
  }
  unsigned shift = block_shift(capacity);
  if (block != 0)
    for (shift = 3; ((size_t)1 << shift) < block; shift++)
      ;
  size_t blocks = (capacity + ((size_t)1 << shift) - 1) >> shift;
  VgSlidingMedian *m = calloc(1, sizeof *m);
  if (m) {
    m->shift = shift;
    m->one_block = blocks == 1;
    m->mask = ((size_t)1 << shift) - 1;
    m->padded_blocks = (blocks + 7) / 8 * 8;
    m->ring = malloc(bytes);
    m->data = malloc((blocks << shift) * sizeof(float));
    m->start = malloc(blocks * sizeof(size_t));
    m->heads = malloc(m->padded_blocks * sizeof(float));
  }
  if (!m || !m->ring || !m->data || !m->start || !m->heads) {
    vg_sliding_median_destroy(m);
    vg_error_set(err, "sliding median: out of memory for a window of %zu values", capacity);
    return NULL;
  }
  m->capacity = capacity;
  vg_sliding_median_reset(m);
  return m;
}

void vg_sliding_median_destroy(VgSlidingMedian *m)
{
  if (!m)
    return;
  free(m->ring);
  free(m->data);
  free(m->start);
  free(m->heads);
  free(m);
}

/* Empty: every slot and head +inf (the searches count only values below x, and x is finite). */
void vg_sliding_median_reset(VgSlidingMedian *m)
{
  size_t blocks = (m->capacity + m->mask) >> m->shift;
  m->count = 0;
  m->head = 0;
  m->split_hint = 0;
  for (size_t i = 0; i < blocks << m->shift; i++)
    m->data[i] = INFINITY;
  for (size_t b = 0; b < m->padded_blocks; b++)
    m->heads[b] = INFINITY;
  memset(m->start, 0, blocks * sizeof *m->start);
}

size_t vg_sliding_median_count(const VgSlidingMedian *m)
{
  return m->count;
}

/* The i-th smallest value of the window. */
static inline float at(const VgSlidingMedian *m, size_t i)
{
  if (m->one_block) /* start stays 0 */
    return m->data[i];
  size_t b = i >> m->shift;
  return m->data[(b << m->shift) + ((m->start[b] + i) & m->mask)];
}

/* Block b's length when the window holds count values: full but for the last. */
static size_t block_len(const VgSlidingMedian *m, size_t b, size_t count)
{
  size_t full = (size_t)1 << m->shift, begin = b << m->shift;
  return count - begin < full ? count - begin : full;
}

/* Number of values < x in s[0 .. n), n a multiple of 8: a count, not a binary search. The values
 * of a block or of the block heads are few (about sqrt(4 W)), contiguous, and compared without a
 * data-dependent branch or load chain: eight independent lanes the compiler vectorises, where a
 * binary search would wait on one dependent load after another. */
static inline size_t count_below(const float *s, size_t n, float x)
{
  unsigned lane[8] = {0};
  for (size_t p = 0; p < n; p += 8)
    for (size_t q = 0; q < 8; q++)
      lane[q] += s[p + q] < x;
  size_t total = 0;
  for (size_t q = 0; q < 8; q++)
    total += lane[q];
  return total;
}

/* Numbers of values < a and < b in s[0 .. n) (n >= 1): two branch-free bisections (the compare
 * becomes a conditional move; the searches run every frame on unpredictable data, where branches
 * would mispredict) in one loop. They are independent chains of dependent loads, and interleaving
 * them lets the processor run both at once. */
static inline void binary_below2(const float *s, size_t n, float a, float b, size_t *ia, size_t *ib)
{
  const float *pa = s, *pb = s;
  while (n > 1) {
    size_t half = n / 2;
    pa = pa[half] < a ? pa + half : pa;
    pb = pb[half] < b ? pb + half : pb;
    n -= half;
  }
  *ia = (size_t)(pa - s) + (*pa < a);
  *ib = (size_t)(pb - s) + (*pb < b);
}

/* Number of values < x in the blocked window: the blocks whose smallest value is < x hold every
 * value < x (all of each but the last of them: their values are <= the next block's smallest), then
 * the count in the last of them. Unused slots and heads hold +inf and never count. */
static inline size_t lower_bound(const VgSlidingMedian *m, float x)
{
  size_t k = count_below(m->heads, m->padded_blocks, x);
  if (k == 0)
    return 0;
  size_t b = k - 1, size = (size_t)1 << m->shift;
  return (b << m->shift) + count_below(m->data + (b << m->shift), size, x);
}

/* Moves the n values at ring slots from, from + 1, ... (wrapping) one slot up or down. Plain
 * loops: the runs are short (a quarter of a block on average) and a memmove call would cost more
 * than the moves, and wrap handling more still. */
static void move_up(float *blk, size_t mask, size_t from, size_t n)
{
  if (from + n <= mask) { /* no wrap: the values and the slot above them are contiguous */
    memmove(blk + from + 1, blk + from, n * sizeof *blk);
    return;
  }
  for (size_t k = n; k-- > 0;) /* top first, so that nothing is overwritten before it moves */
    blk[(from + k + 1) & mask] = blk[(from + k) & mask];
}

static void move_down(float *blk, size_t mask, size_t from, size_t n)
{
  if (from >= 1 && from + n <= mask + 1) {
    memmove(blk + from - 1, blk + from, n * sizeof *blk);
    return;
  }
  for (size_t k = 0; k < n; k++)
    blk[(from + k - 1) & mask] = blk[(from + k) & mask];
}

/* Block b's ring and its first slot. */
typedef struct {
  float *v;
  size_t *start;
} Block;

static Block block(VgSlidingMedian *m, size_t b)
{
  return (Block){m->data + (b << m->shift), m->start + b};
}

/* Removes the value at offset o of a block holding len values: the shorter side moves into its slot
 * (the values above it down, or those below it up and the start with them). The slot freed is the
 * one after the block's last value, and holds +inf: a block with a free slot has it there. */
static void block_remove(Block k, size_t mask, size_t len, size_t o)
{
  size_t st = *k.start;
  if (o < len - 1 - o) {
    move_up(k.v, mask, st, o);
    k.v[st] = INFINITY;
    *k.start = (st + 1) & mask;
  } else {
    move_down(k.v, mask, (st + o + 1) & mask, len - 1 - o);
    k.v[(st + len - 1) & mask] = INFINITY;
  }
}

/* Inserts x at offset o of a block holding len < B values: the shorter side moves out of its way
 * (the values from o up, into the free slot after the last; or those below o down, into the free
 * slot before the first, which the ring has there as well). */
static void block_insert(Block k, size_t mask, size_t len, size_t o, float x)
{
  size_t st = *k.start;
  if (o < len - o) {
    st = (st - 1) & mask;
    move_down(k.v, mask, (st + 1) & mask, o);
    *k.start = st;
  } else {
    move_up(k.v, mask, (st + o) & mask, len - o);
  }
  k.v[(st + o) & mask] = x;
}

/* Replaces the value at sorted index i by x, which belongs at sorted index p once the value at i is
 * gone (p <= i: x moves down; p > i: up). count values, i < count. Between the two blocks each
 * block passes one value to its neighbour through the free slot of the ring: O(1) per block. */
static void replace(VgSlidingMedian *m, size_t i, size_t p, float x, size_t count)
{
  size_t size = (size_t)1 << m->shift, mask = m->mask;
  size_t bi = i >> m->shift, bp = p >> m->shift, oi = i & mask, op = p & mask;
  Block ki = block(m, bi), kp = block(m, bp);
  size_t len_i = block_len(m, bi, count), len_p = block_len(m, bp, count);
  if (bi == bp) { /* one block: the values between the two slots move by one */
    size_t st = *ki.start;
    if (op < oi)
      move_up(ki.v, mask, (st + op) & mask, oi - op);
    else
      move_down(ki.v, mask, (st + oi + 1) & mask, op - oi);
    ki.v[(st + op) & mask] = x;
    m->heads[bi] = ki.v[st];
    return;
  }
  block_remove(ki, mask, len_i, oi);
  float *d = m->data;
  size_t *st = m->start;
  if (bp > bi) { /* each block up to bp passes its smallest value down; its next is its head */
    for (size_t b = bi + 1; b <= bp; b++) {
      float *lo = d + ((b - 1) << m->shift), *hi = d + (b << m->shift);
      size_t s_lo = st[b - 1], s_hi = st[b];
      lo[(s_lo + size - 1) & mask] = hi[s_hi];
      hi[s_hi] = INFINITY;
      s_hi = (s_hi + 1) & mask;
      st[b] = s_hi;
      m->heads[b] = hi[s_hi];
    }
    block_insert(kp, mask, len_p - 1, op, x);
  } else { /* each block down to bp passes its largest value up, the next block's new head */
    for (size_t b = bi; b-- > bp;) {
      float *lo = d + (b << m->shift), *hi = d + ((b + 1) << m->shift);
      size_t last = (st[b] + size - 1) & mask, s_hi = (st[b + 1] - 1) & mask;
      float v = lo[last];
      hi[s_hi] = v; /* lo[last] needs no +inf: the next block down, or x, fills it at once */
      st[b + 1] = s_hi;
      m->heads[b + 1] = v;
    }
    block_insert(kp, mask, size - 1, op, x);
  }
  m->heads[bp] = kp.v[*kp.start];
  m->heads[bi] = ki.v[*ki.start];
}

/* One block: the sorted array of the first `count` slots (its start stays 0). x replaces the value
 * at i (i == count when the window grows), the values between the two slots moving by one. */
static void array_push(VgSlidingMedian *m, float x, float old, int grow)
{
  float *s = m->data;
  size_t i, j;
  if (grow) {
    if (m->count == 0)
      i = j = 0;
    else
      binary_below2(s, m->count, x, x, &j, &i);
    i = m->count++;
  } else {
    binary_below2(s, m->count, old, x, &i, &j);
  }
  if (j > i) {
    j--; /* x goes after the values that move down */
    memmove(s + i, s + i + 1, (j - i) * sizeof *s);
  } else {
    memmove(s + j + 1, s + j, (i - j) * sizeof *s);
  }
  s[j] = x;
}

/* Blocked windows: the searches vectorise (count_below), hence the clones. */
VG_MEDIAN_CLONES static void blocked_push(VgSlidingMedian *m, float x, int grow)
{
  if (grow) {
    /* the next unused slot (after the last value, in the last block or a new one) becomes a value
     * that x replaces, moving down to its place */
    size_t n = m->count++;
    replace(m, n, lower_bound(m, x), x, m->count);
  } else {
    /* replace the leaving value in place; an equal value is as good as the one leaving */
    size_t i = lower_bound(m, m->ring[m->head]), j = lower_bound(m, x);
    replace(m, i, j > i ? j - 1 : j, x, m->count);
  }
}

void vg_sliding_median_push(VgSlidingMedian *m, float x)
{
  int grow = m->count < m->capacity;
  if (m->one_block)
    array_push(m, x, grow ? 0.0f : m->ring[m->head], grow);
  else
    blocked_push(m, x, grow);
  m->ring[m->head] = x;
  m->head = m->head + 1 == m->capacity ? 0 : m->head + 1;
}

double vg_sliding_median_median(const VgSlidingMedian *m)
{
  size_t n = m->count;
  if (n == 0)
    return 0.0;
  if (n % 2)
    return at(m, n / 2);
  return 0.5 * ((double)at(m, n / 2 - 1) + (double)at(m, n / 2));
}

/* Deviations as two ascending sequences: L_i = med - s[lo - i] for i in [0, lo], taken from the
 * middle leftwards, and R_j = s[hi + j] - med for j in [0, n - hi). */
typedef struct {
  const VgSlidingMedian *m;
  double med;
  size_t nl, nr; /* lengths of L and R */
  size_t lo, hi;
} Deviations;

static inline double dev_l(const Deviations *d, size_t i)
{
  return d->med - (double)at(d->m, d->lo - i);
}

static inline double dev_r(const Deviations *d, size_t j)
{
  return (double)at(d->m, d->hi + j) - d->med;
}

/* "L's next value belongs among the `take` smallest: take more than i from L". True for small i,
 * false from the split on. */
static inline int more_from_l(const Deviations *d, size_t take, size_t i)
{
  return dev_l(d, i) < dev_r(d, take - i - 1);
}

/* The `take` smallest of the union of L and R are the first i of L and the first take - i of R
 * for the first i in [lo, hi] where more_from_l is false (i = hi if none). Galloping from `hint`,
 * the previous frame's split (which a one-value window update moves by a slot or two), brackets
 * it in O(1) probes on slowly changing data, then binary search finishes; O(log W) at worst. */
static size_t split_smallest(const Deviations *d, size_t take, size_t hint)
{
  size_t lo = take > d->nr ? take - d->nr : 0;
  size_t hi = take < d->nl ? take : d->nl;
  size_t h = hint < lo ? lo : hint > hi ? hi : hint;
  size_t step = 1;
  if (h < hi && more_from_l(d, take, h)) { /* the split is above h */
    lo = h + 1;
    while (lo + step - 1 < hi && more_from_l(d, take, lo + step - 1)) {
      lo += step;
      step *= 2;
    }
    if (lo + step - 1 < hi)
      hi = lo + step - 1;
  } else { /* the split is at or below h */
    hi = h;
    while (hi > lo) {
      size_t probe = hi - lo > step ? hi - step : lo;
      if (more_from_l(d, take, probe)) {
        lo = probe + 1;
        break;
      }
      hi = probe;
      step *= 2;
    }
  }
  while (lo < hi) { /* i < hi <= nl, take - i >= 1 */
    size_t i = lo + (hi - lo) / 2;
    int more = more_from_l(d, take, i);
    lo = more ? i + 1 : lo;
    hi = more ? hi : i;
  }
  return lo;
}

/* The k-th smallest (0-based) of the union: the larger of the two last taken values. With next,
 * also the (k+1)-th: the smaller of the two values after them. */
static double kth_deviation(const Deviations *d, size_t k, size_t *hint, double *next)
{
  size_t take = k + 1, i = split_smallest(d, take, *hint), j = take - i;
  *hint = i;
  double a = i > 0 ? dev_l(d, i - 1) : -1.0;
  double b = j > 0 ? dev_r(d, j - 1) : -1.0;
  if (next) {
    double na = i < d->nl ? dev_l(d, i) : INFINITY;
    double nb = j < d->nr ? dev_r(d, j) : INFINITY;
    *next = na < nb ? na : nb;
  }
  return a > b ? a : b;
}

double vg_sliding_median_mad(VgSlidingMedian *m)
{
  size_t n = m->count;
  if (n < 2)
    return 0.0;
  Deviations d = {.m = m, .med = vg_sliding_median_median(m)};
  /* L starts at the last index left of (or at) the median, R at the first index after it. */
  d.lo = (n - 1) / 2;
  d.hi = d.lo + 1;
  d.nl = d.lo + 1;
  d.nr = n - d.hi;
  if (n % 2)
    return kth_deviation(&d, n / 2, &m->split_hint, NULL);
  double upper;
  double lower = kth_deviation(&d, n / 2 - 1, &m->split_hint, &upper);
  return 0.5 * (lower + upper);
}
