/* The depthwise register block of conv2_depthwise.c, for one vector width: included there twice,
 * 16 lanes for AVX-512 and 8 for the others (AVX2 with FMA: 64-byte vectors spilled on its 16
 * registers, about 130 us a DS-CNN layer against 45 on AVX-512; 8 lanes on AVX-512 cost 30 %).
 * Before including: DW_L (lanes), DW_VF (the vector type's name), DW_FN(name) (the function's
 * name), DW_TARGET (its target attribute).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

typedef float DW_VF __attribute__((vector_size(DW_L * sizeof(float))));

/* Output column j: per output frequency and block of DW_CH channels, the taps accumulate in
 * DW_CH / DW_L vectors; [f][c] into o. Vectors in and out of memory through memcpy (no helper
 * returns one: a vector return value changes the ABI between targets). */
DW_TARGET static void DW_FN(column_t)(const ConvGeom *g, const VgPacked *p, const VgSeq *in,
                                      int64_t j, int64_t c0, const float *tbuf, float *o)
{
  int64_t c = round_up(g->co, DW_CH), col = padded_col(g), first = j * g->st - g->pt;
  const float *w = conv_align64c(p->w), *bias = w + g->kt * g->kf * c;
  for (int64_t fo = 0; fo < g->fo; fo++)
    for (int64_t cb = 0; cb < c; cb += DW_CH) {
      DW_VF a[DW_CH / DW_L], wv, xv;
#pragma GCC unroll 8
      for (int v = 0; v < DW_CH / DW_L; v++)
        memcpy(&a[v], bias + cb + DW_L * v, sizeof a[v]);
      for (int64_t kt = 0; kt < g->kt; kt++) {
        int64_t t = first + kt * g->dt;
        if (!seq_has(in, t))
          continue;
        const float *x = tbuf + (t - c0) * col + fo * g->sf * c + cb;
        const float *wk = w + kt * g->kf * c + cb;
        for (int64_t kf = 0; kf < g->kf; kf++, x += g->df * c, wk += c)
#pragma GCC unroll 8
          for (int v = 0; v < DW_CH / DW_L; v++) {
            memcpy(&wv, wk + DW_L * v, sizeof wv);
            memcpy(&xv, x + DW_L * v, sizeof xv);
            a[v] += wv * xv;
          }
      }
      float *y = o + fo * c + cb;
#pragma GCC unroll 8
      for (int v = 0; v < DW_CH / DW_L; v++)
        memcpy(y + DW_L * v, &a[v], sizeof a[v]);
    }
  if (p->fused_relu) /* before the transpose: the padded channels stay 0 */
    ops_relu_cols(o, g->fo * c);
}
