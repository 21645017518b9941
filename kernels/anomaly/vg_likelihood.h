/* Vigil kernels: Numenta's anomaly likelihood for one channel (vg_anomaly.h, method LIKELIHOOD).
 *
 * The short-term mean a_t of the last S values is compared with the distribution of the previous
 * short-term means over the last W frames (W = 0: all of them), modelled as a normal: the
 * likelihood is 1 - Q with Q = erfc(|z| / sqrt(2)) / 2 the two-sided tail probability of z. The
 * caller owns the storage: S + W doubles per channel, handed in at init.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_LIKELIHOOD_H
#define VG_LIKELIHOOD_H

#include <stddef.h>
#include "vg_moments.h"

typedef struct {
  double *recent; /* last S values, ring */
  size_t s, s_count, s_head;
  double s_sum;
  double *history; /* last W short-term means, ring; NULL when W = 0 */
  size_t w, w_head;
  VgWelford dist; /* moments of the short-term means in the history */
} VgLikelihood;

void vg_likelihood_init(VgLikelihood *l, double *recent, size_t s, double *history, size_t w);
void vg_likelihood_reset(VgLikelihood *l);
/* Forgets the short-term window only. */
void vg_likelihood_restart(VgLikelihood *l);
/* Adds x to the short-term window; returns the likelihood of the new short-term mean under the
 * distribution so far, then adds that mean to the distribution if `learn`. */
double vg_likelihood_push(VgLikelihood *l, double x, int learn);

/* 1 - erfc(|z| / sqrt 2) / 2. */
double vg_likelihood_of_z(double z);
/* The smallest standard deviation used to divide a deviation from `centre` (vg_anomaly.h). */
double vg_sd_floor(double centre);

#endif
