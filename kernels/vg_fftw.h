/* Vigil kernels: the one FFTW planner lock shared by every FFT user in Vigil.
 *
 * FFTW's planner (fftwf_plan_*, fftwf_destroy_plan, wisdom import/export) is not thread-safe;
 * fftwf_execute* is. Every kernel that makes or destroys a plan, or touches wisdom, holds this
 * lock around that call, so elements in different streaming threads never plan at the same time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_FFTW_H
#define VG_FFTW_H

#include "vg_error.h"

void vg_fftw_plan_lock(void);
void vg_fftw_plan_unlock(void);

/* Wisdom in a file (single precision). Both take the planner lock themselves, so call them without
 * holding it. Import of a missing file is not an error (returns VG_OK: nothing learnt yet); a file
 * that exists but does not parse is. Export writes the process's accumulated wisdom to path. */
int vg_fftw_wisdom_import(const char *path, VgError *err);
int vg_fftw_wisdom_export(const char *path, VgError *err);

#endif
