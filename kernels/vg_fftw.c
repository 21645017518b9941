/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_fftw.h"

#include <errno.h>
#include <fftw3.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Statically initialised: no one-time setup to order against the first planner call. */
static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

void vg_fftw_plan_lock(void)
{
  pthread_mutex_lock(&planner_lock);
}

void vg_fftw_plan_unlock(void)
{
  pthread_mutex_unlock(&planner_lock);
}

int vg_fftw_wisdom_import(const char *path, VgError *err)
{
  if (!path || !*path)
    return VG_OK;
  if (access(path, F_OK) != 0)
    return VG_OK; /* first run: the file is written after planning */
  /* A path that exists but cannot be read is not corrupt wisdom: "delete it" would be bad advice
   * for a directory (or a file we may not read). */
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return vg_error_set(err, "FFTW wisdom file '%s' is a directory: name a file (e.g. '%s/%s')",
                        path, path, "fftw3f.wisdom");
  if (access(path, R_OK) != 0)
    return vg_error_set(err, "FFTW wisdom file '%s' could not be read: %s", path, strerror(errno));
  vg_fftw_plan_lock();
  int ok = fftwf_import_wisdom_from_filename(path);
  vg_fftw_plan_unlock();
  if (!ok)
    return vg_error_set(err,
                        "FFTW wisdom file '%s' could not be read (not FFTW single-precision "
                        "wisdom?); delete it or choose another file",
                        path);
  return VG_OK;
}

int vg_fftw_wisdom_export(const char *path, VgError *err)
{
  if (!path || !*path)
    return VG_OK;
  vg_fftw_plan_lock();
  errno = 0;
  int ok = fftwf_export_wisdom_to_filename(path);
  vg_fftw_plan_unlock();
  if (!ok)
    return vg_error_set(err, "could not write FFTW wisdom file '%s': %s", path,
                        errno ? strerror(errno) : "write failed");
  return VG_OK;
}
