/* Vigil kernels: vectorised variants of memory-bound loops.
 *
 * VG_SIMD_CLONES compiles a function for AVX-512 and AVX2 beside the baseline; the loader picks
 * one per CPU at start-up (GCC function multi-versioning). For element-wise loops and sums that
 * the baseline's 16-byte vectors would run at a quarter of the width. Other compilers (clang for
 * the fuzz build) get the baseline only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_SIMD_H
#define VG_SIMD_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define VG_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VG_SIMD_CLONES
#endif

#endif
