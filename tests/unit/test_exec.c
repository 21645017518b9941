/* Unit test of the window executor (kernels/exec) on the loader's seed models
 * (tests/fuzz/corpus/<name>.onnx):
 * - after vg_exec_create, vg_exec_run allocates nothing (malloc, calloc, realloc and
 *   posix_memalign are wrapped at link time and counted while windows run);
 * - repeated windows give bit-identical outputs (no state leaks between windows);
 * - the executor also plans other window lengths, and an empty or negative length is refused
 *   with a message, not a crash;
 * - the accessors agree with the shapes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_exec.h"
#include "vg_model.h"

/* ---- allocation counting (-Wl,--wrap=...) ---- */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t s);
void *__real_realloc(void *p, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t s);
void *__wrap_realloc(void *p, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);

static int counting, allocations;

void *__wrap_malloc(size_t n)
{
  allocations += counting;
  return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t s)
{
  allocations += counting;
  return __real_calloc(n, s);
}

void *__wrap_realloc(void *p, size_t n)
{
  allocations += counting;
  return __real_realloc(p, n);
}

int __wrap_posix_memalign(void **p, size_t a, size_t n)
{
  allocations += counting;
  return __real_posix_memalign(p, a, n);
}

static int failures;

static void check(int cond, const char *model, const char *what)
{
  if (!cond) {
    printf("FAIL %s: %s\n", model, what);
    failures++;
  }
}

/* Runs `windows` windows of length t and checks allocations and determinism. */
static void run_length(VgModel *m, const char *name, int64_t t)
{
  VgError err = {{0}};
  counting = 1;
  allocations = 0;
  VgExec *x = vg_exec_create(m, t, &err);
  counting = 0;
  check(allocations > 0, name, "the allocation counter sees vg_exec_create's allocations");
  if (!x) {
    printf("FAIL %s: vg_exec_create(T = %lld): %s\n", name, (long long)t, err.msg);
    failures++;
    return;
  }
  const VgShape *is = vg_exec_input_shape(x);
  check(is->dims[is->rank - 1] == t, name, "input shape has the planned length");
  check(vg_exec_input_floats(x) == vg_shape_count(is), name, "input floats = input count");
  check(vg_exec_output_floats(x) == vg_shape_count(vg_exec_output_shape(x)), name,
        "output floats = output count");
  check(vg_exec_arena_bytes(x) > 0, name, "an arena was planned");
  int64_t ni = vg_exec_input_floats(x), no = vg_exec_output_floats(x);
  float *in = malloc((size_t)ni * sizeof(float));
  float *a = malloc((size_t)no * sizeof(float)), *b = malloc((size_t)no * sizeof(float));
  for (int64_t i = 0; i < ni; i++)
    in[i] = (float)((i * 7919) % 2001) / 1000.0f - 1.0f;
  check(vg_exec_run(x, in, a, &err) == VG_OK, name, err.msg);
  counting = 1;
  allocations = 0;
  for (int r = 0; r < 3; r++)
    check(vg_exec_run(x, in, b, &err) == VG_OK, name, err.msg);
  counting = 0;
  if (allocations)
    printf("FAIL %s: %d allocations in 3 windows of T = %lld\n", name, allocations, (long long)t);
  failures += allocations != 0;
  check(memcmp(a, b, (size_t)no * sizeof(float)) == 0, name, "repeated windows differ");
  printf("%s: T = %lld, %lld -> %lld floats, arena %zu bytes, no allocation per window\n", name,
         (long long)t, (long long)ni, (long long)no, vg_exec_arena_bytes(x));
  free(in);
  free(a);
  free(b);
  vg_exec_destroy(x);
}

int main(void)
{
  static const char *names[] = {"conv_relu", "conv_bn_shared", "gelu_matmul", "pool_head",
                                "spec2d"};
  const char *src = getenv("VIGIL_SOURCE_DIR");
  char path[1024];
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    VgError err = {{0}};
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/%s.onnx", src ? src : ".", names[i]);
    VgModel *m = vg_model_load_file(path, &err);
    if (!m) {
      printf("FAIL %s: %s\n", names[i], err.msg);
      failures++;
      continue;
    }
    const VgShape *s = &m->values[m->input].shape;
    int64_t t = s->dims[s->rank - 1];
    run_length(m, names[i], t);
    if (vg_model_is_time_value(m, m->output))
      run_length(m, names[i], 2 * t + 3); /* a window of another length */
    for (int64_t bad = -3; bad <= 0; bad += 3) {
      VgExec *x = vg_exec_create(m, bad, &err);
      check(x == NULL && err.msg[0] != '\0', names[i], "an empty window is refused");
      if (!x)
        printf("%s: T = %lld refused: %s\n", names[i], (long long)bad, err.msg);
      vg_exec_destroy(x);
    }
    vg_model_free(m);
  }
  printf("test_exec: %d failures\n", failures);
  return failures ? 1 : 0;
}
