/* bench_exec MODEL.onnx [REPEATS]: per-window time of the window executor, per-node times, the
 * conv layers' GFLOP/s, and cblas_sgemm's GFLOP/s on 256^3, 512^3 and 1024^3 products measured
 * in the same process. OpenBLAS runs on 1 thread. Times are CPU time of the running thread (the
 * machine is shared: wall time varies with the other processes' load). Prints "key value" lines for
 * bench/exec_bench.py.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "vg_exec.h"
#include "vg_model.h"
#include "vg_ops.h"

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof(double), cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* GFLOP/s of C = A B with square n x n operands, median over repeats. */
static double sgemm_gflops(int n, int repeats)
{
  float *a = malloc((size_t)n * n * sizeof(float)), *b = malloc((size_t)n * n * sizeof(float));
  float *c = malloc((size_t)n * n * sizeof(float));
  double *t = malloc((size_t)repeats * sizeof(double)), g = 0.0;
  if (a && b && c && t) {
    for (long i = 0; i < (long)n * n; i++) {
      a[i] = (float)(i % 7) * 0.1f;
      b[i] = (float)(i % 5) * 0.2f;
    }
    for (int r = 0; r < repeats; r++) {
      double t0 = now();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
      t[r] = now() - t0;
    }
    g = 2.0 * n * (double)n * n / median(t, repeats) / 1e9;
  }
  free(a);
  free(b);
  free(c);
  free(t);
  return g;
}

/* Multiply-adds x 2 of a conv node at the executor's shapes. */
static double conv_flops(const VgModel *m, const VgNode *node, const VgShape *shapes)
{
  const VgShape *w = &m->values[node->inputs[1]].shape;
  double per_out = 1.0;
  for (int i = 1; i < w->rank; i++)
    per_out *= (double)w->dims[i]; /* C_in/group x kernel */
  return 2.0 * per_out * (double)vg_shape_count(&shapes[node->output]);
}

int main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: bench_exec MODEL.onnx [REPEATS]\n");
    return 2;
  }
  int repeats = argc > 2 ? atoi(argv[2]) : 50;
  if (repeats < 1)
    repeats = 1;
  vg_ops_set_threads(1);
  VgError err = {{0}};
  VgModel *m = vg_model_load_file(argv[1], &err);
  if (!m) {
    fprintf(stderr, "bench_exec: %s\n", err.msg);
    return 1;
  }
  const VgShape *is = &m->values[m->input].shape;
  VgExec *x = vg_exec_create(m, is->dims[is->rank - 1], &err);
  if (!x) {
    fprintf(stderr, "bench_exec: %s\n", err.msg);
    vg_model_free(m);
    return 1;
  }
  int64_t n_in = vg_exec_input_floats(x), n_out = vg_exec_output_floats(x);
  float *in = malloc((size_t)n_in * sizeof(float)), *out = malloc((size_t)n_out * sizeof(float));
  double *win = malloc((size_t)repeats * sizeof(double));
  double *node_t = calloc((size_t)repeats * (size_t)m->n_nodes, sizeof(double));
  if (!in || !out || !win || !node_t)
    return 1;
  for (int64_t i = 0; i < n_in; i++)
    in[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
  for (int r = 0; r < 3; r++) /* warm-up */
    vg_exec_run(x, in, out, &err);
  for (int r = 0; r < repeats; r++) {
    double t0 = now();
    vg_exec_run(x, in, out, &err);
    win[r] = now() - t0;
  }
  for (int r = 0; r < repeats; r++)
    vg_exec_run_timed(x, in, out, node_t + (size_t)r * m->n_nodes, &err);
  printf("window_ms %.4f\n", 1e3 * median(win, repeats));
  double *col = malloc((size_t)repeats * sizeof(double));
  double conv_t = 0.0, conv_f = 0.0, wide_t = 0.0, wide_f = 0.0;
  for (int i = 0; col && i < m->n_nodes; i++) {
    const VgNode *node = &m->nodes[i];
    for (int r = 0; r < repeats; r++)
      col[r] = node_t[(size_t)r * m->n_nodes + i];
    double t = median(col, repeats);
    if (node->op != VG_OP_CONV) {
      printf("node %s %s us %.2f\n", node->name, vg_op_name(node->op), 1e6 * t);
      continue;
    }
    const VgShape *w = &m->values[node->inputs[1]].shape;
    double f = conv_flops(m, node, vg_exec_shapes(x));
    int64_t cin = w->dims[1] * node->win.group, cout = w->dims[0];
    printf("conv %s cin %lld cout %lld k %lld cols %lld us %.2f gflops %.2f\n", node->name,
           (long long)cin, (long long)cout, (long long)w->dims[w->rank - 1],
           (long long)vg_exec_shapes(x)[node->output].dims[w->rank - 1], 1e6 * t, f / t / 1e9);
    conv_t += t;
    conv_f += f;
    if (cin >= 32 && cout >= 32) {
      wide_t += t;
      wide_f += f;
    }
  }
  printf("conv_gflops %.2f\n", conv_t > 0 ? conv_f / conv_t / 1e9 : 0.0);
  printf("conv32_gflops %.2f\n", wide_t > 0 ? wide_f / wide_t / 1e9 : 0.0);
  /* The reference is a large product (1024^3); on small-cache machines OpenBLAS runs
   * faster on mid-sized ones, so the best of three sizes is printed too. */
  double best = 0.0;
  for (int n = 256; n <= 1024; n *= 2) {
    double g = sgemm_gflops(n, n == 1024 ? 9 : 31);
    printf("sgemm%d_gflops %.2f\n", n, g);
    best = g > best ? g : best;
  }
  printf("sgemm_best_gflops %.2f\n", best);
  free(col);
  free(in);
  free(out);
  free(win);
  free(node_t);
  vg_exec_destroy(x);
  vg_model_free(m);
  return 0;
}
