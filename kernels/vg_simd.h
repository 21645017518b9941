/* Vigil kernels: vectorised variants of loops.
 *
 * VG_SIMD_CLONES compiles a function for AVX-512 (avx512f) and the x86-64-v3 level (AVX2 with
 * FMA) beside the baseline; the loader picks one per CPU at start-up (GCC function
 * multi-versioning). For element-wise loops and sums that the baseline's 16-byte vectors would
 * run at a quarter of the width, and for the small conv kernels on GCC vector types, which need
 * FMA: a plain "avx2" clone has none (every product was a multiply and an add). Other compilers
 * (clang for the fuzz build) get the baseline only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_SIMD_H
#define VG_SIMD_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(VG_SIMD_CLONES_V3)
/* meson -Dsimd_clones=v3 (tools/build avx2): the clones an AVX2 CPU runs, on any CPU */
#define VG_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#elif defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define VG_SIMD_CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define VG_SIMD_CLONES
#endif

#endif
