/* vigil-model run MODEL.onnx IN.f32 OUT.f32: one window through the C executor.
 *
 * IN holds raw little-endian float32 in the graph input's layout without the batch axis: [C, T]
 * or [C, F, T], row-major. T is inferred from the file size and C (and F). OUT receives the graph
 * output the same way (time last for a time-valued output).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "vg_exec.h"
#include "vg_model.h"
#include "vigil-model.h"

/* Reads a whole file; NULL with a message on failure. */
static float *read_floats(const char *path, long *n)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return NULL;
  }
  float *data = NULL;
  long bytes = -1;
  if (fseek(f, 0, SEEK_END) == 0)
    bytes = ftell(f);
  if (bytes < 0 || fseek(f, 0, SEEK_SET) != 0 || bytes % 4 != 0) {
    fprintf(stderr, "vigil-model run: %s: not a whole number of float32 values\n", path);
  } else if (!(data = malloc(bytes ? (size_t)bytes : 1))) {
    fprintf(stderr, "vigil-model run: out of memory for %s\n", path);
  } else if (fread(data, 1, (size_t)bytes, f) != (size_t)bytes) {
    fprintf(stderr, "vigil-model run: %s: short read\n", path);
    free(data);
    data = NULL;
  }
  fclose(f);
  *n = bytes / 4;
  return data;
}

static int write_floats(const char *path, const float *data, int64_t n)
{
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    return -1;
  }
  size_t w = fwrite(data, sizeof(float), (size_t)n, f);
  if (fclose(f) != 0 || w != (size_t)n) {
    fprintf(stderr, "vigil-model run: %s: write failed\n", path);
    return -1;
  }
  return 0;
}

int vm_run(int argc, char **argv)
{
  if (argc != 4) {
    fprintf(stderr, "usage: vigil-model run MODEL.onnx IN.f32 OUT.f32\n");
    return 2;
  }
  VgError err = {{0}};
  int status = 1;
  long n_in = 0;
  float *in = NULL, *out = NULL;
  VgExec *x = NULL;
  VgModel *m = NULL;
  VgShape is;
  if (vg_model_file_input(argv[1], &is, &err) != VG_OK) {
    fprintf(stderr, "vigil-model run: %s\n", err.msg); /* the message names the file */
    return 1;
  }
  int64_t width = vg_shape_width(&is);
  if (!(in = read_floats(argv[2], &n_in)))
    goto done;
  if (n_in == 0) {
    fprintf(stderr, "vigil-model run: %s is empty (no time step)\n", argv[2]);
    goto done;
  }
  if (width <= 0 || n_in < 0 || n_in % width != 0) {
    fprintf(stderr,
            "vigil-model run: %s holds %ld floats, not a multiple of %lld (the input's "
            "values per time step)\n",
            argv[2], n_in, (long long)width);
    goto done;
  }
  /* T from IN's size; a dynamic time axis is loaded at it (the graph's shape arithmetic too) */
  if (!(m = vg_model_load_file_at(argv[1], n_in / width, &err))) {
    fprintf(stderr, "vigil-model run: %s\n", err.msg);
    goto done;
  }
  vm_pool_warning("run", m, n_in / width);
  x = vg_exec_create(m, n_in / width, &err);
  if (!x) {
    fprintf(stderr, "vigil-model run: %s with T = %lld: %s\n", argv[1], (long long)(n_in / width),
            err.msg);
    goto done;
  }
  out = malloc((size_t)vg_exec_output_floats(x) * sizeof(float));
  if (!out) {
    fprintf(stderr, "vigil-model run: out of memory\n");
    goto done;
  }
  if (vg_exec_run(x, in, out, &err) != VG_OK) {
    fprintf(stderr, "vigil-model run: %s\n", err.msg);
    goto done;
  }
  if (write_floats(argv[3], out, vg_exec_output_floats(x)) == 0)
    status = 0;
done:
  free(in);
  free(out);
  vg_exec_destroy(x);
  vg_model_free(m);
  return status;
}
