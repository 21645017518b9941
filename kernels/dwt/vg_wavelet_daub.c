/* Vigil kernels: Daubechies and symlet scaling filters by spectral factorisation.
 *
 * An orthogonal scaling filter with N vanishing moments has the squared response
 *   |m0(w)|^2 = cos^(2N)(w/2) P(sin^2(w/2)),  P(y) = sum_{k<N} C(N-1+k, k) y^k
 * (Daubechies, "Ten Lectures on Wavelets", 1992, ch. 6). With z = e^{iw}, sin^2(w/2) = (2 - z -
 * 1/z)/4, so every root y of P gives a reciprocal pair of zeros z, 1/z of z + 1/z = 2 - 4y. A
 * filter takes N zeros at z = -1 and one zero of each reciprocal pair (conjugate roots together,
 * so the filter stays real):
 *   dbN:  every zero inside the unit circle (minimum phase);
 *   symN: the selection whose phase is closest to linear (see symlet_select below).
 * Roots are found in long double (Aberth iteration polished by Newton steps) so that db20, whose
 * polynomial is the worst conditioned, still agrees with PyWavelets to about 1e-15.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vg_wavelet.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_N 20
/* Grid over [0, pi] of the symlet phase criterion. Do not change it lightly: for sym19 the
 * runner-up selection scores only 0.02% worse (docs/elements/dwt.md). */
#define PHASE_PTS 1025

typedef long double complex cld;

/* Value of the polynomial c[0] + c[1] y + ... + c[deg] y^deg and of its derivative. */
static void poly_eval(const long double *c, int deg, cld y, cld *p, cld *dp)
{
  cld v = c[deg], d = 0;
  for (int k = deg - 1; k >= 0; k--) {
    d = d * y + v;
    v = v * y + c[k];
  }
  *p = v;
  *dp = d;
}

/* All roots of a real polynomial of degree deg by the Aberth-Ehrlich iteration, which converges
 * for all roots at once from starting points on a circle, then two Newton steps per root. */
static int poly_roots(const long double *c, int deg, cld *roots)
{
  long double r = powl(fabsl(c[0] / c[deg]), 1.0L / deg);
  for (int i = 0; i < deg; i++)
    roots[i] = r * cexpl(I * (2.0L * M_PI * i / deg + 0.4L));
  for (int it = 0; it < 500; it++) {
    long double worst = 0;
    for (int i = 0; i < deg; i++) {
      cld p, dp, s = 0;
      poly_eval(c, deg, roots[i], &p, &dp);
      if (p == 0)
        continue;
      for (int j = 0; j < deg; j++)
        if (j != i)
          s += 1.0L / (roots[i] - roots[j]);
      cld ratio = p / dp;
      cld step = ratio / (1.0L - ratio * s);
      roots[i] -= step;
      long double rel = cabsl(step) / (cabsl(roots[i]) + 1e-300L);
      if (rel > worst)
        worst = rel;
    }
    if (worst < 1e-30L)
      break;
  }
  for (int i = 0; i < deg; i++) {
    for (int k = 0; k < 2; k++) {
      cld p, dp;
      poly_eval(c, deg, roots[i], &p, &dp);
      if (dp != 0)
        roots[i] -= p / dp;
    }
  }
  for (int i = 0; i < deg; i++)
    if (!isfinite(creall(roots[i])) || !isfinite(cimagl(roots[i])))
      return VG_ERR;
  return VG_OK;
}

/* The zeros z of z^2 - (2 - 4y) z + 1: inside (|z| <= 1) and its reciprocal outside. */
static void z_pair(cld y, cld *inside, cld *outside)
{
  cld b = 2.0L - 4.0L * y;
  cld d = csqrtl(b * b - 4.0L);
  cld z1 = (b + d) / 2.0L, z2 = (b - d) / 2.0L;
  if (cabsl(z1) > cabsl(z2)) {
    cld t = z1;
    z1 = z2;
    z2 = t;
  }
  *inside = z1;
  *outside = z2;
}

/* Roots y of the Daubechies polynomial of order n (n - 1 of them). */
static int daub_roots(unsigned n, cld *ys, VgError *err)
{
  long double c[MAX_N];
  c[0] = 1;
  for (unsigned k = 1; k < n; k++) /* C(n-1+k, k) = C(n-2+k, k-1) (n-1+k) / k */
    c[k] = c[k - 1] * (long double)(n - 1 + k) / (long double)k;
  if (n > 1 && poly_roots(c, (int)n - 1, ys) != VG_OK)
    return vg_error_set(err, "db%u: the Daubechies polynomial's roots did not converge", n);
  return VG_OK;
}

/* h = rec_lo from the chosen zeros: the polynomial (1 + z)^n prod (z - z_k), coefficients in
 * descending powers of z, scaled so that sum h = sqrt(2). */
static void filter_from_zeros(unsigned n, const cld *zs, unsigned nz, double *h)
{
  cld p[2 * MAX_N + 1] = {1};
  unsigned deg = 0;
  for (unsigned k = 0; k < n + nz; k++) {
    cld root = k < n ? -1.0L : zs[k - n];
    p[deg + 1] = 0;
    for (unsigned i = deg + 1; i > 0; i--) /* ascending powers: p <- p (z - root) */
      p[i] = p[i - 1] - root * p[i];
    p[0] = -root * p[0];
    deg++;
  }
  long double sum = 0;
  for (unsigned i = 0; i <= deg; i++)
    sum += creall(p[i]);
  long double scale = sqrtl(2.0L) / sum;
  for (unsigned i = 0; i <= deg; i++)
    h[i] = (double)(creall(p[deg - i]) * scale);
}

int vg_wavelet_daubechies(unsigned n, double *h, VgError *err)
{
  cld ys[MAX_N], zs[MAX_N], out;
  if (n < 1 || n > MAX_N)
    return vg_error_set(err, "db%u does not exist here: Daubechies orders run from 1 to %d", n,
                        MAX_N);
  if (daub_roots(n, ys, err) != VG_OK)
    return VG_ERR;
  for (unsigned k = 0; k + 1 < n; k++)
    z_pair(ys[k], &zs[k], &out);
  filter_from_zeros(n, zs, n - 1, h);
  return VG_OK;
}

/* --- symlets ------------------------------------------------------------------------------- */

/* Phase of the factor (1 - z e^{-iw}) (zero inside) or of (e^{-iw} - 1/z) scaled (zero outside),
 * written so that it is continuous in w without unwrapping:
 *   |z| < 1:  arg(1 - z e^{-iw})                  (its real part stays positive)
 *   |z| > 1:  arg(-z) - w + arg(1 - e^{iw} / z). */
static double zero_phase(cld z, double w)
{
  cld e = cexpl(-I * (long double)w);
  if (cabsl(z) < 1.0L)
    return (double)cargl(1.0L - z * e);
  return (double)(cargl(-z) - w + cargl(1.0L - conjl(e) / z));
}

#define MAX_GROUPS (MAX_N / 2) /* n - 1 roots: (n - 1) / 2 conjugate pairs and a real root */

typedef struct {
  unsigned n_groups;
  unsigned size[MAX_GROUPS];              /* 1 for a real root y, 2 for a conjugate pair */
  cld y[MAX_GROUPS][2];                   /* the roots of each group */
  double phase[MAX_GROUPS][2][PHASE_PTS]; /* group phase, zeros inside [0] / outside [1] */
} SymGroups;

static void sym_groups(const cld *ys, unsigned count, SymGroups *g)
{
  int used[MAX_N] = {0};
  g->n_groups = 0;
  for (unsigned i = 0; i < count; i++) {
    if (used[i])
      continue;
    unsigned k = g->n_groups++;
    used[i] = 1;
    g->y[k][0] = ys[i];
    g->size[k] = 1;
    if (fabsl(cimagl(ys[i])) < 1e-12L * cabsl(ys[i]))
      continue;
    unsigned best = i; /* the conjugate: the unused root closest to conj(y) */
    long double dist = INFINITY;
    for (unsigned j = 0; j < count; j++) {
      long double d = cabsl(ys[j] - conjl(ys[i]));
      if (!used[j] && d < dist) {
        dist = d;
        best = j;
      }
    }
    used[best] = 1;
    g->y[k][1] = ys[best];
    g->size[k] = 2;
  }
  for (unsigned k = 0; k < g->n_groups; k++) {
    for (unsigned p = 0; p < PHASE_PTS; p++) {
      double w = M_PI * p / (PHASE_PTS - 1);
      for (int side = 0; side < 2; side++) {
        double sum = 0;
        for (unsigned r = 0; r < g->size[k]; r++) {
          cld zin, zout;
          z_pair(g->y[k][r], &zin, &zout);
          sum += zero_phase(side ? zout : zin, w);
        }
        g->phase[k][side][p] = sum;
      }
    }
  }
}

/* Squared distance of the phase from the straight line joining its ends, summed over the grid:
 * how far the selection is from linear phase. Mirror selections score the same. */
static double phase_nonlinearity(const SymGroups *g, unsigned mask, double *work)
{
  memset(work, 0, sizeof(double) * PHASE_PTS);
  for (unsigned k = 0; k < g->n_groups; k++) {
    const double *ph = g->phase[k][(mask >> k) & 1];
    for (unsigned p = 0; p < PHASE_PTS; p++)
      work[p] += ph[p];
  }
  double sum = 0;
  for (unsigned p = 0; p < PHASE_PTS; p++) {
    double line = work[0] + (work[PHASE_PTS - 1] - work[0]) * p / (PHASE_PTS - 1);
    sum += (work[p] - line) * (work[p] - line);
  }
  return sum;
}

/* PyWavelets' symlets (from MATLAB) pick, of the two mirror images of the least-nonlinear
 * selection, one by a convention we could not reduce to a rule; this records it as whether the
 * filter's energy centre sum n h[n]^2 lies after the middle (L - 1)/2. Index: N - 2. */
static const unsigned char sym_energy_late[MAX_N - 1] = {0, 0, 1, 1, 1, 0, 1, 1, 1, 0,
                                                         0, 1, 0, 0, 0, 0, 1, 0, 0};

static void orient(unsigned n, double *h)
{
  unsigned len = 2 * n;
  double centre = 0;
  for (unsigned i = 0; i < len; i++)
    centre += i * h[i] * h[i]; /* sum h^2 = 1 */
  int late = centre > 0.5 * (len - 1);
  if (late != sym_energy_late[n - 2]) {
    for (unsigned i = 0; i < len / 2; i++) {
      double t = h[i];
      h[i] = h[len - 1 - i];
      h[len - 1 - i] = t;
    }
  }
}

int vg_wavelet_symlet(unsigned n, double *h, VgError *err)
{
  cld ys[MAX_N], zs[MAX_N];
  double work[PHASE_PTS];
  if (n < 2 || n > MAX_N)
    return vg_error_set(err, "sym%u does not exist here: symlet orders run from 2 to %d", n, MAX_N);
  if (daub_roots(n, ys, err) != VG_OK)
    return VG_ERR;
  SymGroups *g = malloc(sizeof *g); /* 165 kB: too large for a thread's stack */
  if (!g)
    return vg_error_set(err, "sym%u: out of memory", n);
  sym_groups(ys, n - 1, g);
  /* Group 0 stays inside: flipping every group gives the mirror image, which scores the same. */
  unsigned best = 0;
  double best_score = INFINITY;
  for (unsigned mask = 0; mask < (1u << g->n_groups); mask += 2) {
    double s = phase_nonlinearity(g, mask, work);
    if (s < best_score) {
      best_score = s;
      best = mask;
    }
  }
  unsigned nz = 0;
  for (unsigned k = 0; k < g->n_groups; k++) {
    for (unsigned r = 0; r < g->size[k]; r++) {
      cld zin, zout;
      z_pair(g->y[k][r], &zin, &zout);
      zs[nz++] = ((best >> k) & 1) ? zout : zin;
    }
  }
  free(g);
  filter_from_zeros(n, zs, nz, h);
  orient(n, h);
  return VG_OK;
}
