/* The CHECK macro of Vigil's plain-C kernel tests: counts checks and failures, prints each failure
 * with its place and condition, and lets the test go on so that one run reports every failure.
 * A test's main returns `failures ? 1 : 0`.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_CHECK_H
#define VG_CHECK_H

#include <stdio.h>

static int failures, checks;

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    checks++;                                                                                      \
    if (!(cond)) {                                                                                 \
      failures++;                                                                                  \
      printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                       \
      printf(__VA_ARGS__);                                                                         \
      printf("\n");                                                                                \
    }                                                                                              \
  } while (0)

#endif
