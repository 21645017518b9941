/* Vigil kernels: wavelet names to filter banks (vg_wavelet.h).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vg_wavelet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses "<prefix><order>" with a decimal order of one or two digits; 0 on any other text. */
static unsigned parse_order(const char *name, const char *prefix)
{
  size_t n = strlen(prefix);
  if (strncmp(name, prefix, n) != 0)
    return 0;
  const char *digits = name + n;
  size_t len = strlen(digits);
  if (len < 1 || len > 2 || digits[0] == '0')
    return 0;
  for (size_t i = 0; i < len; i++)
    if (digits[i] < '0' || digits[i] > '9')
      return 0;
  return (unsigned)atoi(digits);
}

/* The other three filters from rec_lo, in PyWavelets' convention (vg_wavelet.h). */
static void derive_bank(VgWavelet *w)
{
  unsigned len = w->length;
  for (unsigned i = 0; i < len; i++)
    w->dec_lo[i] = w->rec_lo[len - 1 - i];
  for (unsigned i = 0; i < len; i++)
    w->rec_hi[i] = (i % 2 ? -1.0 : 1.0) * w->dec_lo[i];
  for (unsigned i = 0; i < len; i++)
    w->dec_hi[i] = w->rec_hi[len - 1 - i];
}

int vg_wavelet_init(VgWavelet *w, const char *name, VgError *err)
{
  unsigned order;
  int rc;
  memset(w, 0, sizeof *w);
  if (!name || strlen(name) >= VG_WAVELET_NAME_MAX)
    goto unknown;
  if (strcmp(name, "haar") == 0) {
    w->length = 2;
    rc = vg_wavelet_daubechies(1, w->rec_lo, err); /* haar is db1 */
  } else if ((order = parse_order(name, "db")) > 0) {
    w->length = 2 * order;
    rc = vg_wavelet_daubechies(order, w->rec_lo, err);
  } else if ((order = parse_order(name, "sym")) > 0) {
    w->length = 2 * order;
    rc = vg_wavelet_symlet(order, w->rec_lo, err);
  } else if ((order = parse_order(name, "coif")) > 0) {
    w->length = 6 * order;
    rc = vg_wavelet_coiflet(order, w->rec_lo, err);
  } else {
    goto unknown;
  }
  if (rc != VG_OK)
    return VG_ERR;
  snprintf(w->name, sizeof w->name, "%s", name);
  derive_bank(w);
  return VG_OK;

unknown:
  return vg_error_set(err, "unknown wavelet '%s': use haar, db1-db20, sym2-sym20 or coif1-coif5",
                      name ? name : "(null)");
}
