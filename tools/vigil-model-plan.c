/* `vigil-model plan MODEL.onnx [--window W] [--hop H] [--mode exact|signal|full]`: what the
 * streaming engine keeps and computes per hop, layer by layer (docs/elements/streamcnn.md). W and
 * H default as streamcnn's properties do: W the model's input length, H a quarter of W.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_ops.h"
#include "vg_stream.h"
#include "vigil-model.h"

static int parse_mode(const char *s, VgStreamMode *mode)
{
  for (int m = VG_STREAM_EXACT; m <= VG_STREAM_FULL; m++)
    if (strcmp(s, vg_stream_mode_name((VgStreamMode)m)) == 0) {
      *mode = (VgStreamMode)m;
      return 1;
    }
  return 0;
}

/* A whole number for --window or --hop: "abc", "3x", "" and out-of-range values are refused
 * (atoll read them as 0, the default, or as a saturated or truncated number). */
static int parse_count(const char *opt, const char *s, long long *out)
{
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end || errno == ERANGE) {
    fprintf(stderr, "vigil-model plan: %s '%s' is not a whole number of frames\n", opt, s);
    return 0;
  }
  *out = v;
  return 1;
}

static void print_value(const VgModel *m, const VgPlan *p, int v)
{
  const VgPlanValue *x = &p->values[v];
  const VgValue *val = &m->values[v];
  const char *op = val->producer >= 0 ? vg_node_op_name(&m->nodes[val->producer]) : "input";
  char scale[32], bands[32];
  snprintf(scale, sizeof(scale), "%lld/%lld", (long long)x->scale_num, (long long)x->scale_den);
  if (x->alias >= 0)
    snprintf(bands, sizeof(bands), "shared"); /* a fused Relu: its conv's stream and bands */
  else if (x->band_left >= x->len && v != m->input)
    snprintf(bands, sizeof(bands), "all");
  else
    snprintf(bands, sizeof(bands), "%lld+%lld", (long long)x->band_left, (long long)x->band_right);
  printf("%-24.24s %-14.14s %6lld %6lld %7s %3lld %9s %8.1f %8lld %12.0f %12.0f %10lld\n",
         val->name, op, (long long)x->len, (long long)x->width, scale, (long long)x->classes, bands,
         x->new_cols_per_hop, (long long)(x->hist_cols * x->classes), x->flops_hop, x->flops_full,
         (long long)x->state_bytes);
}

static void print_plan(const char *path, const VgModel *m, const VgPlan *p)
{
  printf("plan: %s  window %lld  hop %lld  mode %s\n", path, (long long)p->window,
         (long long)p->hop, vg_stream_mode_name(p->mode));
  printf("alignment %lld (hops that are multiples of it shift every layer by whole columns); "
         "phases %lld\n",
         (long long)p->align, (long long)p->phases);
  if (p->fallback[0])
    printf("every mode falls back to recomputing each window: %s\n", p->fallback);
  /* a fallback recomputes every window in signal mode too: its outputs are windowed inference */
  printf("signal mode %s\n", p->fallback[0] ? "is exact for this model (every window is recomputed)"
                             : p->signal_is_exact
                                 ? "is exact for this model (no layer sees time padding)"
                                 : "deviates near window edges (layers see time padding)");
  printf("\ntrunk (computed incrementally; columns per hop include the recomputed edge bands):\n");
  printf("%-24s %-14s %6s %6s %7s %3s %9s %8s %8s %12s %12s %10s\n", "value", "op", "cols", "width",
         "scale", "cls", "bands", "new/hop", "history", "FLOPs/hop", "FLOPs/win", "state B");
  for (int v = 0; v < m->n_values; v++)
    if (p->values[v].trunk)
      print_value(m, p, v);
  printf("(bands \"shared\": a Relu fused into its conv, sharing the conv's stream and bands)\n");
  printf("\nhead (computed per window):\n");
  for (int n = 0; n < m->n_nodes; n++) {
    const VgNode *node = &m->nodes[n];
    const VgPlanValue *x = &p->values[node->output];
    if (!x->trunk)
      printf("%-24.24s %-14.14s %12.0f FLOPs %10lld state B\n", m->values[node->output].name,
             vg_node_op_name(node), x->flops_full, (long long)x->state_bytes);
  }
  printf("\ntotal: %.0f FLOPs per hop, %.0f per full window: ratio full/hop %.2f "
         "(ideal W/H %.2f)\n",
         p->flops_hop, p->flops_full, p->flops_full / (p->flops_hop > 0 ? p->flops_hop : 1),
         (double)p->window / (double)p->hop);
  printf("state: %lld bytes (histories, bands, window buffers)\n", (long long)p->state_bytes);
  printf("weights read per hop: %lld bytes (at least once each; at fine hops their reading, not "
         "the FLOPs, bounds the hop's time)\n",
         (long long)p->weight_bytes_hop);
}

/* The convs whose older taps a stream on this CPU defers (kernels/stream/vg_defer.h): found by
 * creating the stream, since whether a conv qualifies depends on its kernels. */
static int print_deferred(VgModel *m, const VgPlan *p, VgError *err)
{
  if (p->mode == VG_STREAM_FULL || p->fallback[0])
    return 0;
  VgStream *s = vg_stream_create(m, p->window, p->hop, p->mode, err);
  if (!s)
    return 1;
  double saved = 0;
  int shown = 0;
  int64_t state = 0;
  for (int n = 0; n < m->n_nodes; n++) {
    const VgNode *node = &m->nodes[n];
    VgDeferInfo d;
    if (!vg_stream_deferred_taps(s, node->output, &d))
      continue;
    double per_col = (double)(d.real - d.kd) + (double)d.kd / (double)d.batch;
    double bytes = (double)vg_shape_count(&m->values[node->inputs[1]].shape) * sizeof(float);
    saved += bytes * (1.0 - per_col / (double)d.taps);
    state += d.bytes;
    if (!shown++)
      printf("deferred taps (convs that add one column per hop; see docs/design.md):\n");
    printf("  %-24.24s taps 0-%lld of %lld for %lld columns per pass: the weights of %.2f taps "
           "read per hop, not %lld%s\n",
           m->values[node->output].name, (long long)(d.kd - 1), (long long)d.taps,
           (long long)d.batch, per_col, (long long)d.real,
           d.real < d.taps ? " (the others read only padding)" : "");
  }
  if (shown)
    printf("weights read per hop with deferred taps: %.0f bytes on average; their partial rows "
           "and gathered inputs: %lld bytes of state more\n",
           (double)p->weight_bytes_hop - saved, (long long)state);
  vg_stream_destroy(s);
  return 0;
}

int vm_plan(int argc, char **argv)
{
  const char *path = NULL;
  long long window = 0, hop = 0;
  VgStreamMode mode = VG_STREAM_EXACT;
  for (int i = 1; i < argc; i++) {
    if ((strcmp(argv[i], "--window") == 0 || strcmp(argv[i], "--hop") == 0) && i + 1 < argc) {
      if (!parse_count(argv[i], argv[i + 1], argv[i][2] == 'w' ? &window : &hop))
        return 2;
      i++;
    } else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
      if (!parse_mode(argv[++i], &mode)) {
        fprintf(stderr, "vigil-model plan: unknown mode '%s' (exact, signal or full)\n", argv[i]);
        return 2;
      }
    } else if (!path && argv[i][0] != '-')
      path = argv[i];
    else {
      fprintf(stderr, "usage: vigil-model plan MODEL.onnx [--window W] [--hop H] "
                      "[--mode exact|signal|full]\n");
      return 2;
    }
  }
  if (!path) {
    fprintf(stderr, "usage: vigil-model plan MODEL.onnx [--window W] [--hop H] "
                    "[--mode exact|signal|full]\n");
    return 2;
  }
  VgError err = {{0}};
  VgModel *m = vg_model_load_file_at(path, window, &err);
  if (!m) {
    fprintf(stderr, "vigil-model plan: %s\n", err.msg);
    return 1;
  }
  const VgShape *in = &m->values[m->input].shape;
  if (window == 0)
    window = in->dims[in->rank - 1];
  if (hop == 0) /* streamcnn's default (elements/gststreamcnn-run.c) */
    hop = window / 4 > 1 ? window / 4 : 1;
  /* prepared as streamcnn prepares it, so that the plan shows the fusions this CPU gets */
  VgPlan *p = vg_ops_prepare(m, &err) == VG_OK ? vg_plan_create(m, window, hop, mode, &err) : NULL;
  if (!p) {
    fprintf(stderr, "vigil-model plan: %s: %s\n", path, err.msg);
    vg_model_free(m);
    return 1;
  }
  vm_pool_warning("plan", m, window);
  print_plan(path, m, p);
  int rc = print_deferred(m, p, &err);
  if (rc != 0)
    fprintf(stderr, "vigil-model plan: %s: %s\n", path, err.msg);
  vg_plan_free(p);
  vg_model_free(m);
  return rc;
}
