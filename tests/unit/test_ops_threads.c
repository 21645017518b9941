/* vg_ops_set_threads and vg_ops_prepare reach OpenBLAS's openblas_set_num_threads only when the
 * thread count changes (it resizes OpenBLAS's pool, which must not happen under another thread's
 * GEMM, and every model load used to call it): the call is wrapped (-Wl,--wrap) and counted, from
 * one thread and from several at once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <pthread.h>
#include <stdio.h>

#include "vg_model.h"
#include "vg_ops.h"

void __real_openblas_set_num_threads(int n);
void __wrap_openblas_set_num_threads(int n);

static int calls, last, failures;

void __wrap_openblas_set_num_threads(int n)
{
  __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
  last = n;
  __real_openblas_set_num_threads(n);
}

static void expect(int want_calls, int want_last, const char *what)
{
  if (calls != want_calls || last != want_last) {
    printf("FAIL: %s: %d calls (expected %d), last %d (expected %d)\n", what, calls, want_calls,
           last, want_last);
    failures++;
  }
}

static void *set_three(void *arg)
{
  (void)arg;
  for (int i = 0; i < 1000; i++)
    vg_ops_set_threads(3);
  return NULL;
}

int main(void)
{
  VgModel empty = {0};
  VgError err = {{0}};
  vg_ops_prepare(&empty, &err);
  vg_ops_prepare(&empty, &err);
  expect(1, 1, "two prepares without a setting: the default once");
  vg_ops_set_threads(1);
  expect(1, 1, "setting the same count");
  vg_ops_set_threads(2);
  expect(2, 2, "a new count");
  vg_ops_prepare(&empty, &err);
  expect(2, 2, "a prepare after a setting keeps it");
  vg_ops_set_threads(0);
  expect(3, 1, "0 means 1");
  pthread_t t[4];
  for (int i = 0; i < 4; i++)
    pthread_create(&t[i], NULL, set_three, NULL);
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  expect(4, 3, "4 threads setting 3 at once, 1000 times each");
  printf("test_ops_threads: %d failures\n", failures);
  return failures != 0;
}
