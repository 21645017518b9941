/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vg_history.h"

/* The linear buffer's slack: twice the columns, so that a move happens at most once per `cols`
 * appended columns. */
static int64_t linear_cols(int64_t cols)
{
  return 2 * cols + 8;
}

static int64_t gcd64(int64_t a, int64_t b)
{
  while (b) {
    int64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* The ring's columns: at least cols, and whole pages (the mirror maps pages). */
static int64_t ring_cols(int64_t width, int64_t cols, int64_t page)
{
  int64_t col_bytes = width * (int64_t)sizeof(float), step = page / gcd64(col_bytes, page);
  return (cols + step - 1) / step * step;
}

static int ring_wanted(void)
{
  const char *env = getenv("VIGIL_HISTORY");
  return !(env && strcmp(env, "linear") == 0);
}

int64_t vg_history_bytes(int64_t width, int64_t cols)
{
  long page = sysconf(_SC_PAGESIZE);
  int64_t n = ring_wanted() && page > 0 ? ring_cols(width, cols, page) : linear_cols(cols);
  return n * width * (int64_t)sizeof(float);
}

/* [guard page | ring | the same pages again | guard page]: an access past either end faults
 * instead of reading another object (the sanitizers do not watch mapped memory). NULL if the
 * system refuses any step (no memfd, a sandbox, a mapping limit), 0 and the caller falls back. */
static int map_ring(VgHistory *h, size_t bytes, size_t page)
{
  int fd = memfd_create("vigil-history", MFD_CLOEXEC);
  if (fd < 0)
    return 0;
  size_t total = 2 * bytes + 2 * page;
  char *r = ftruncate(fd, (off_t)bytes) == 0
                ? mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                : MAP_FAILED;
  if (r == MAP_FAILED) {
    close(fd);
    return 0;
  }
  char *a = r + page;
  int ok =
      mmap(a, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) != MAP_FAILED &&
      mmap(a + bytes, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) != MAP_FAILED;
  close(fd); /* the mappings keep the memory */
  if (!ok) {
    munmap(r, total);
    return 0;
  }
  h->map = r;
  h->map_bytes = total;
  h->buf = (float *)(void *)a;
  return 1;
}

static int init_linear(VgHistory *h, int64_t width, int64_t cols, VgError *err)
{
  size_t n;
  int64_t cap = linear_cols(cols);
  if (!vg_size_mul((size_t)width, (size_t)cap, &n) || !vg_size_mul(n, sizeof(float), &n))
    return vg_error_set(err, "history of %lld x %lld floats is too large", (long long)cap,
                        (long long)width);
  h->buf = malloc(n);
  if (!h->buf)
    return vg_error_set(err, "out of memory allocating a history of %zu bytes", n);
  h->cap = cap;
  return VG_OK;
}

int vg_history_init(VgHistory *h, int64_t width, int64_t cols, VgError *err)
{
  memset(h, 0, sizeof(*h));
  if (cols < 1 || width < 1)
    return VG_OK; /* an empty history: nothing is ever kept */
  h->width = width;
  long page = sysconf(_SC_PAGESIZE);
  size_t bytes;
  /* bounds that keep the page rounding and the mapping's size arithmetic from overflowing; a
   * history anywhere near them fails in the linear buffer's allocation with a message */
  int sane = page > 0 && width < ((int64_t)1 << 30) && cols < ((int64_t)1 << 30);
  int64_t cap = sane ? ring_cols(width, cols, page) : 0;
  if (ring_wanted() && sane && vg_size_mul((size_t)cap, (size_t)width * sizeof(float), &bytes) &&
      bytes <= SIZE_MAX / 4 && map_ring(h, bytes, (size_t)page)) {
    h->ring = 1;
    h->cap = cap;
  } else if (init_linear(h, width, cols, err) != VG_OK) {
    return VG_ERR;
  }
  /* fault every page in now: a live stream should not take page faults (nor grow its RSS) as
   * its columns first reach them */
  memset(h->buf, 0, (size_t)(h->cap * h->width) * sizeof(float));
  vg_history_restart(h, 0);
  return VG_OK;
}

void vg_history_clear(VgHistory *h)
{
  if (h->ring)
    munmap(h->map, h->map_bytes);
  else
    free(h->buf);
  memset(h, 0, sizeof(*h));
}

void vg_history_zero_tail(VgHistory *h)
{
  memset(vg_history_col(h, h->hi), 0, (size_t)(h->tail * h->width) * sizeof(float));
}

void vg_history_set_tail(VgHistory *h, int64_t tail)
{
  h->tail = h->width > 0 ? tail : 0;
  if (h->tail)
    vg_history_zero_tail(h);
}

void vg_history_restart(VgHistory *h, int64_t start)
{
  h->base = h->lo = h->hi = start;
  if (h->tail)
    vg_history_zero_tail(h);
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
  if (!h->ring && h->hi - h->base + n + h->tail > h->cap) {
    int64_t live = h->hi - h->lo;
    memmove(h->buf, vg_history_col(h, h->lo), (size_t)(live * h->width) * sizeof(float));
    h->base = h->lo;
  }
  return vg_history_col(h, h->hi);
}
