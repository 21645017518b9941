/* Prints Vigil's wavelet filter banks, for tests/py/test_dwt_filters.py to compare with pywt.
 * Usage: dwt_filters NAME...   Output per name: "NAME dec_lo|dec_hi|rec_lo|rec_hi v0 v1 ...".
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>

#include "dwt/vg_wavelet.h"

int main(int argc, char **argv)
{
  int status = 0;
  for (int i = 1; i < argc; i++) {
    VgWavelet w;
    VgError err = {{0}};
    if (vg_wavelet_init(&w, argv[i], &err) != VG_OK) {
      printf("%s error %s\n", argv[i], err.msg);
      status = 1;
      continue;
    }
    const double *banks[] = {w.dec_lo, w.dec_hi, w.rec_lo, w.rec_hi};
    const char *names[] = {"dec_lo", "dec_hi", "rec_lo", "rec_hi"};
    for (int b = 0; b < 4; b++) {
      printf("%s %s", argv[i], names[b]);
      for (unsigned k = 0; k < w.length; k++)
        printf(" %.17g", banks[b][k]);
      printf("\n");
    }
  }
  return status;
}
