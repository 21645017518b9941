/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_csv_format.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Powers of ten exact in a double (5^22 < 2^53). */
static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* a * 10^(8 - k): the value with its first significant digit in the 10^8 place. One correctly
 * rounded multiplication or division by an exact power of ten, so the error is at most half a unit
 * in the last place of a number below 10^10: under 1e-6. -1 when the power is not exact. */
static double scale(double a, int k)
{
  int p = 8 - k;
  if (p > 22 || p < -22)
    return -1.0;
  return p >= 0 ? a * pow10_exact[p] : a / pow10_exact[-p];
}

/* The nine significant digits of a > 0 rounded to nearest (ties to even), and its decimal exponent
 * k (a ~ d.ddd x 10^k). 0 when the power of ten is not exact (see vg_csv_format_float). */
static int nine_digits(float v, uint32_t *digits, int *k)
{
  /* the decimal exponent from the binary one: 2^b <= a < 2^(b+1) gives floor(b log10 2) <= k <=
   * floor((b + 1) log10 2), so this is k or one less, which the scaling below corrects (log10()
   * took a third of the formatting time) */
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  int b = (int)((bits >> 23) & 0xff) - 127;
  if (b == -127)
    return 0; /* zero and subnormals: outside the exact powers of ten anyway */
  double a = fabs((double)v);
  int e = (int)floor(b * 0.30102999566398120);
  double s = scale(a, e);
  if (s >= 0 && s < 1e8) /* log10 rounded up across a power of ten */
    s = scale(a, --e);
  else if (s >= 1e9)
    s = scale(a, ++e);
  if (s < 1e8 || s >= 1e9)
    return 0;
  /* s is the exact value x rounded once. Unless s lies exactly half-way between two integers, x
   * rounds to the same integer as s: the half-way point and s are both multiples of s's last-place
   * unit, so they are at least a unit apart, and x is within half a unit of s. Exactly half-way,
   * the sign of x - s decides (exact residual of the multiplication or division, by fma); x itself
   * half-way (floats of 5 to 7 digits before the point have such ties) rounds to even, as printf
   * does in the default rounding mode. */
  double whole = floor(s), frac = s - whole; /* exact: s < 2^53 */
  int up = frac > 0.5;
  if (frac == 0.5) {
    int p = 8 - e;
    double r = p >= 0 ? fma(a, pow10_exact[p], -s) : fma(-s, pow10_exact[-p], a);
    up = r > 0 || (r == 0 && fmod(whole, 2.0) == 1.0);
  }
  uint32_t d = (uint32_t)whole + (uint32_t)up;
  if (d == 1000000000u) { /* 999999999.6 rounds to the next power of ten */
    d = 100000000u;
    e++;
  }
  *digits = d;
  *k = e;
  return 1;
}

size_t vg_csv_format_float(float v, char *buf)
{
  if (!isfinite(v))
    return 0;
  char *p = buf;
  if (signbit(v))
    *p++ = '-';
  if (v == 0.0f) {
    *p++ = '0';
    *p = '\0';
    return (size_t)(p - buf);
  }
  uint32_t d;
  int k;
  if (!nine_digits(v, &d, &k))
    return 0;
  char dig[9];
  for (int i = 8; i >= 0; i--, d /= 10)
    dig[i] = (char)('0' + d % 10);
  int n = 9; /* %g drops trailing zeros, and the point when no fraction is left */
  while (n > 1 && dig[n - 1] == '0')
    n--;
  if (k < -4 || k >= 9) { /* d.dddde+XX */
    *p++ = dig[0];
    if (n > 1) {
      *p++ = '.';
      memcpy(p, dig + 1, (size_t)(n - 1));
      p += n - 1;
    }
    *p++ = 'e';
    *p++ = k < 0 ? '-' : '+';
    int x = k < 0 ? -k : k;
    if (x >= 100)
      *p++ = (char)('0' + x / 100);
    *p++ = (char)('0' + x / 10 % 10);
    *p++ = (char)('0' + x % 10);
  } else if (k >= 0) { /* k + 1 integer digits, then the fraction */
    memcpy(p, dig, (size_t)k + 1);
    p += k + 1;
    if (n > k + 1) {
      *p++ = '.';
      memcpy(p, dig + k + 1, (size_t)(n - k - 1));
      p += n - k - 1;
    }
  } else { /* 0.000ddd */
    *p++ = '0';
    *p++ = '.';
    for (int i = 0; i < -k - 1; i++)
      *p++ = '0';
    memcpy(p, dig, (size_t)n);
    p += n;
  }
  *p = '\0';
  return (size_t)(p - buf);
}
