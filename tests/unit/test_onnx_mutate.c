/* The loader on damaged files, in-process, in both builds (ASan + leak detection in build-san):
 * every seed-corpus model (tests/fuzz/corpus) cut at every length, and a few thousand
 * deterministic mutations of them. A refused file must leave a message; a loaded one must survive
 * shape inference at several lengths and free cleanly. The libFuzzer target
 * (tests/fuzz/fuzz_onnx.c, tools/fuzz) explores further; this keeps the basics in every test run.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/exercise_model.h"
#include "vg_model.h"

#define MUTATIONS_PER_SEED 3000

static int failures, loaded, refused;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
  rng_state ^= rng_state << 13; /* xorshift64 */
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 32) % n;
}

/* Loads data (a dynamic time axis at length 24, the seeds' dynamic_fold.onnx reaches the folding
 * of Shape nodes so); returns 1 if it loaded. Exercises the model's shape functions when it did. */
static int try_load(const uint8_t *data, size_t size, const char *what)
{
  VgError err = {{0}};
  VgModel *m = vg_model_load_buffer_at(data, size, 24, &err);
  if (!m) {
    refused++;
    if (!err.msg[0]) {
      failures++;
      printf("FAIL: %s refused without a message\n", what);
    }
    return 0;
  }
  loaded++;
  exercise_model(m);
  return 1;
}

static void mutate(uint8_t *b, size_t *size, size_t cap)
{
  static const uint8_t interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x12, 0x1a, 0x3a};
  int n = 1 + (int)rnd(4);
  for (int k = 0; k<n && * size> 1; k++) {
    size_t at = rnd((uint32_t)*size);
    switch (rnd(5)) {
    case 0:
      b[at] ^= (uint8_t)(1u << rnd(8));
      break;
    case 1:
      b[at] = (uint8_t)rnd(256);
      break;
    case 2:
      b[at] = interesting[rnd(sizeof interesting)];
      break;
    case 3: /* delete a byte */
      memmove(b + at, b + at + 1, *size - at - 1);
      (*size)--;
      break;
    default: /* duplicate a short run */
      if (*size + 8 <= cap) {
        memmove(b + at + 8, b + at, *size - at);
        *size += 8;
      }
      break;
    }
  }
}

static int test_seed(const char *path, const char *name)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return 0;
  uint8_t seed[1 << 16];
  size_t size = fread(seed, 1, sizeof seed, f);
  fclose(f);
  char what[512];
  snprintf(what, sizeof what, "%s as is", name);
  if (!try_load(seed, size, what)) {
    failures++;
    printf("FAIL: seed %s does not load\n", name);
  }
  for (size_t cut = 0; cut < size; cut++) {
    snprintf(what, sizeof what, "%s cut at %zu", name, cut);
    if (try_load(seed, cut, what)) {
      failures++;
      printf("FAIL: %s loads\n", what);
    }
  }
  uint8_t *b = malloc(size + 1024);
  for (int i = 0; b && i < MUTATIONS_PER_SEED; i++) {
    size_t n = size;
    memcpy(b, seed, size);
    mutate(b, &n, size + 1024);
    snprintf(what, sizeof what, "%s mutation %d", name, i);
    try_load(b, n, what);
  }
  free(b);
  return 1;
}

int main(void)
{
  const char *src = getenv("VIGIL_SOURCE_DIR");
  char dir[1024], path[2048];
  snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus", src ? src : ".");
  DIR *d = opendir(dir);
  int seeds = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    seeds += test_seed(path, e->d_name);
  }
  if (d)
    closedir(d);
  if (seeds == 0) {
    printf("FAIL: no seed found in %s\n", dir);
    failures++;
  }
  printf("test_onnx_mutate: %d seeds, %d loads, %d refusals, %d failures\n", seeds, loaded, refused,
         failures);
  return failures ? 1 : 0;
}
