/* The deterministic random numbers of Vigil's plain-C kernel tests: a linear congruential
 * generator, so that a failure reproduces exactly from its seed on every platform.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_RAND_H
#define VG_RAND_H

static unsigned vg_rand_state = 12345u;

static inline void vg_rand_seed(unsigned seed)
{
  vg_rand_state = seed;
}

/* 24 random bits (the LCG's low bits are poor, so they are dropped). */
static inline unsigned rnd(void)
{
  vg_rand_state = vg_rand_state * 1103515245u + 12345u;
  return (vg_rand_state >> 8) & 0xffffff;
}

static inline int rint_in(int a, int b) /* uniform in [a, b] */
{
  return a + (int)(rnd() % (unsigned)(b - a + 1));
}

static inline float rfloat(void) /* uniform in [-1, 1] */
{
  return (float)rnd() / (float)0xffffff * 2.0f - 1.0f;
}

#endif
