/* The last step of loading: nodes removed by folding (VG_OP_DEAD) and values nothing reads any
 * more (folded weights' originals, bypassed names, constant inputs consumed as attributes) are
 * dropped, and every index is renumbered. Only what the output depends on is kept (and the input).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>

#include "vg_onnx_priv.h"

static void free_value(VgValue *v)
{
  free(v->name);
  free(v->data);
}

static void free_node(VgNode *n)
{
  free(n->name);
  free(n->inputs);
  if (n->packed && n->packed_free)
    n->packed_free(n->packed);
}

/* Marks the values the output depends on (and the input), and the nodes computing them. */
static void mark_live(const VgModel *m, char *live_v, char *live_n)
{
  for (int k = 0; k < vg_model_n_outputs(m); k++)
    live_v[vg_model_output(m, k)] = 1;
  live_v[m->input] = 1;
  for (int i = m->n_nodes - 1; i >= 0; i--) {
    const VgNode *n = &m->nodes[i];
    if (n->op == VG_OP_DEAD || !live_v[n->output])
      continue;
    live_n[i] = 1;
    for (int k = 0; k < n->n_inputs; k++)
      live_v[n->inputs[k]] = 1;
  }
}

int vg_model_compact(VgModel *m, VgError *err)
{
  char *live_v = calloc((size_t)m->n_values + 1, 1);
  char *live_n = calloc((size_t)m->n_nodes + 1, 1);
  int *new_v = malloc(((size_t)m->n_values + 1) * sizeof *new_v);
  int *new_n = malloc(((size_t)m->n_nodes + 1) * sizeof *new_n);
  if (!live_v || !live_n || !new_v || !new_n) {
    free(live_v);
    free(live_n);
    free(new_v);
    free(new_n);
    return vg_error_set(err, "out of memory");
  }
  mark_live(m, live_v, live_n);
  int nv = 0, nn = 0;
  for (int i = 0; i < m->n_values; i++) {
    new_v[i] = live_v[i] ? nv : -1;
    if (live_v[i])
      m->values[nv++] = m->values[i];
    else
      free_value(&m->values[i]);
  }
  for (int i = 0; i < m->n_nodes; i++) {
    new_n[i] = live_n[i] ? nn : -1;
    if (live_n[i])
      m->nodes[nn++] = m->nodes[i];
    else
      free_node(&m->nodes[i]);
  }
  m->n_values = nv;
  m->n_nodes = nn;
  for (int i = 0; i < nv; i++)
    if (m->values[i].producer >= 0)
      m->values[i].producer = new_n[m->values[i].producer];
  for (int i = 0; i < nn; i++) {
    VgNode *n = &m->nodes[i];
    n->output = new_v[n->output];
    for (int k = 0; k < n->n_inputs; k++)
      n->inputs[k] = new_v[n->inputs[k]];
  }
  m->input = new_v[m->input];
  for (int k = 1; k < m->n_outputs; k++)
    m->outputs[k] = new_v[m->outputs[k]];
  m->output = new_v[m->output];
  m->outputs[0] = m->output;
  free(live_v);
  free(live_n);
  free(new_v);
  free(new_n);
  return VG_OK;
}
