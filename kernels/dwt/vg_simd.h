/* Vigil kernels: four floats as one value (GCC and clang vector extension), so the wavelet loops
 * get SIMD without relying on auto-vectorisation, which -O2 does not do for them.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_SIMD_H
#define VG_SIMD_H

#include <string.h>

typedef float v4sf __attribute__((vector_size(16)));

static inline v4sf vg_load4(const float *p)
{
  v4sf v;
  memcpy(&v, p, sizeof v); /* unaligned load */
  return v;
}

static inline void vg_store4(float *p, v4sf v)
{
  memcpy(p, &v, sizeof v);
}

static inline v4sf vg_splat4(float c)
{
  v4sf v = {c, c, c, c};
  return v;
}

#endif
