/* The choice of the 1-D conv's SIMD kernels for the running CPU (conv_simd.h: vg_conv_kernels).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "conv_simd.h"
#include "vg_ops.h"

#if defined(__GNUC__) && defined(__x86_64__)
static const VgConvKernels avx512 = {VG_SIMD_AVX512,         "AVX-512",
                                     vg_uk_avx512,           vg_uk_multi_avx512,
                                     vg_column_peaks_avx512, vg_finite_avx512,
                                     vg_wino_input_avx512,   vg_wino_output_avx512,
                                     vg_wino4_input_avx512,  vg_wino4_output_avx512};

static const VgConvKernels *choose_kernels(void)
{
  const char *env = getenv("VIGIL_SIMD");
  if (env && strcmp(env, "none") == 0)
    return NULL;
  if (!(env && strcmp(env, "avx2") == 0) && vg_conv_avx512_available())
    return &avx512;
  return vg_conv_avx2_available() ? &vg_conv_kernels_avx2 : NULL;
}
#else
static const VgConvKernels *choose_kernels(void)
{
  return NULL;
}
#endif

const VgConvKernels *vg_conv_kernels_chosen;

/* Racing first uses choose the same tables and store the same pointer. */
const VgConvKernels *vg_conv_kernels_choose(void)
{
  const VgConvKernels *k = choose_kernels();
  __atomic_store_n(&vg_conv_kernels_chosen, k, __ATOMIC_RELEASE);
  return k;
}

int vg_conv_simd_available(void)
{
  return vg_conv_kernels() != NULL;
}

const char *vg_ops_conv_kernels_name(void)
{
  const VgConvKernels *k = vg_conv_kernels();
  return k ? k->name : "OpenBLAS";
}
