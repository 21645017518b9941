/* The register blocks of conv2_freq.c, for one vector width: included there twice, 16 lanes
 * for AVX-512 and 8 for the others (AVX2 with FMA, whose 16 registers hold 8 accumulators of 16
 * lanes, spilled: 4-16x slower than OpenBLAS; 8 lanes on AVX-512 cost 30-70 % on a grouped 3 x 3
 * and a frequency-dilated conv). Before including: FQ_L (lanes), FQ_VF (the vector type's name),
 * FQ_FN(name) (the functions' names), FQ_TARGET (their target attribute).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

typedef float FQ_VF __attribute__((vector_size(FQ_L * sizeof(float))));

/* Vectors in and out of memory through memcpy, and no helper that returns one (a vector return
 * value changes the ABI between targets). */
#define FQ_LOAD(v, p) memcpy(&(v), (p), sizeof(FQ_VF))

/* Output channels oc[0 .. ocb) (indices past the last channel repeat it: computed, not stored),
 * frequencies f0 .. f0 + FQ_L fb - 1, into acc. x[o]: output channel o's group's first phase row at
 * f0. shared: the channels are in one group (x[o] all equal), so each input vector serves all.
 * ocb x fb accumulators: 8 x 1, 4 x 2 or 4 x 3, enough to hide the FMA latency. */
static inline __attribute__((always_inline)) void
FQ_FN(block)(const ConvGeom *g, const VgPacked *p, const FreqColumn *c, const int64_t oc[FQ_OCB],
             const float *const x[FQ_OCB], FQ_VF acc[FQ_OCB][FQ_FB], const int ocb, const int fb,
             const int shared)
{
  int64_t per_oc = g->cig * g->kf * g->kt;
  /* oc[0] is a multiple of ocb: its channels are one run of each tap's packed weights */
  const float *w = p->w + (oc[0] / FQ_OCB) * per_oc * FQ_OCB + oc[0] % FQ_OCB;
#pragma GCC unroll 8
  for (int o = 0; o < ocb; o++)
#pragma GCC unroll 4
    for (int v = 0; v < fb; v++)
      acc[o][v] = (FQ_VF){0} + p->bias[oc[o]];
  for (int64_t t = 0; t < c->taps; t++) {
    int64_t off = c->off[t], wi = c->wi[t];
    FQ_VF xs[FQ_FB];
#pragma GCC unroll 4
    for (int v = 0; v < fb && shared; v++)
      FQ_LOAD(xs[v], x[0] + off + v * FQ_L);
#pragma GCC unroll 8
    for (int o = 0; o < ocb; o++)
#pragma GCC unroll 4
      for (int v = 0; v < fb; v++) {
        if (!shared)
          FQ_LOAD(xs[v], x[o] + off + v * FQ_L);
        acc[o][v] += w[wi * FQ_OCB + o] * xs[v];
      }
  }
}

/* acc's vectors into output channels oc0 .. of col from frequency f0 on: whole vectors through
 * fixed-size copies (single stores), the last partial one value by value. */
static inline __attribute__((always_inline)) void FQ_FN(store)(const ConvGeom *g,
                                                               FQ_VF acc[FQ_OCB][FQ_FB],
                                                               const int ocb, const int fb,
                                                               int64_t oc0, int64_t f0, float *col)
{
  for (int o = 0; o < ocb && oc0 + o < g->co; o++)
#pragma GCC unroll 4
    for (int v = 0; v < fb; v++) {
      int64_t f = f0 + v * FQ_L, n = g->fo - f;
      float *d = col + (oc0 + o) * g->fo + f;
      if (n >= FQ_L) {
        memcpy(d, &acc[o][v], sizeof(FQ_VF));
      } else if (n > 0) {
        float y[FQ_L];
        memcpy(y, &acc[o][v], sizeof y);
        for (int64_t i = 0; i < n; i++)
          d[i] = y[i];
      }
    }
}

/* One register block of ocb channels from oc0 and frequencies from f0 (fb vectors), stored. */
static inline __attribute__((always_inline)) void
FQ_FN(block_stored)(const ConvGeom *g, const VgPacked *p, const FreqColumn *c, int64_t oc0,
                    int64_t f0, const int ocb, const int fb, float *col)
{
  int64_t oc[FQ_OCB];
  const float *x[FQ_OCB];
  /* the block's channels in one group: one division, not one per channel */
  int shared = g->g == 1 || oc0 / g->cog == (oc0 + ocb - 1) / g->cog;
  for (int o = 0; o < ocb; o++) {
    oc[o] = oc0 + o < g->co ? oc0 + o : g->co - 1;
    x[o] = c->x + (shared ? oc0 : oc[o]) / g->cog * c->group + f0;
  }
  FQ_VF acc[FQ_OCB][FQ_FB];
  if (shared)
    FQ_FN(block)(g, p, c, oc, x, acc, ocb, fb, 1);
  else
    FQ_FN(block)(g, p, c, oc, x, acc, ocb, fb, 0);
  FQ_FN(store)(g, acc, ocb, fb, oc0, f0, col);
}

/* Every register block of an output column, into col ([co][fo]): eight channels at a time when
 * one vector holds the frequencies, else four. */
FQ_TARGET static void FQ_FN(column_blocks)(const ConvGeom *g, const VgPacked *p,
                                           const FreqColumn *c, float *col)
{
  if (g->fo <= FQ_L) {
    for (int64_t oc0 = 0; oc0 < g->co; oc0 += 8)
      FQ_FN(block_stored)(g, p, c, oc0, 0, 8, 1, col);
  } else {
    for (int64_t oc0 = 0; oc0 < g->co; oc0 += 4)
      for (int64_t f0 = 0; f0 < g->fo; f0 += FQ_L * FQ_FB) {
        /* vectors this block needs: fewer for the last */
        int64_t fb = (g->fo - f0 + FQ_L - 1) / FQ_L;
        if (fb == 1)
          FQ_FN(block_stored)(g, p, c, oc0, f0, 4, 1, col);
        else if (fb == 2)
          FQ_FN(block_stored)(g, p, c, oc0, f0, 4, 2, col);
        else
          FQ_FN(block_stored)(g, p, c, oc0, f0, 4, 3, col);
      }
  }
  if (p->fused_relu)
    ops_relu_cols(col, g->co * g->fo);
}

#undef FQ_LOAD
