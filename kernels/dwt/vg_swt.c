/* Vigil kernels: streaming SWT (vg_swt.h).
 *
 * Level j keeps, per signal, a linear buffer of its input a_{j-1}: H_j = (L - 1) 2^(j-1) samples
 * of history followed by the new chunk. Output i is the dot product of the reversed filter with
 * buf[i], buf[i + 2^(j-1)], ...; after the chunk the last H_j samples move to the front. Level
 * j's approximations become level j + 1's input in the same chunk.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vg_swt.h"
#include "vg_simd.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK 1024

struct VgSwt {
  unsigned levels, signals, taps;
  float rlo[VG_WAVELET_MAX_LEN], rhi[VG_WAVELET_MAX_LEN]; /* dec filters, reversed */
  size_t hist[VG_SWT_MAX_LEVELS];                         /* H_j */
  float *buf[VG_SWT_MAX_LEVELS]; /* per level: signals x (H_j + CHUNK), signal-major */
  float *lo, *hi;                /* one chunk of one signal's outputs */
};

VgSwt *vg_swt_create(const VgWavelet *w, unsigned levels, unsigned signals, VgError *err)
{
  if (!w || w->length < 2 || w->length > VG_WAVELET_MAX_LEN || w->length % 2) {
    vg_error_set(err, "swt: invalid wavelet filter bank");
    return NULL;
  }
  if (levels < 1 || levels > VG_SWT_MAX_LEVELS) {
    vg_error_set(err, "swt: levels=%u is out of range 1..%d", levels, VG_SWT_MAX_LEVELS);
    return NULL;
  }
  if (signals < 1 || signals > (1u << 20)) {
    vg_error_set(err, "swt: %u signals per frame is out of range 1..%u", signals, 1u << 20);
    return NULL;
  }
  VgSwt *s = calloc(1, sizeof *s);
  if (!s)
    goto oom;
  s->levels = levels;
  s->signals = signals;
  s->taps = w->length;
  for (unsigned t = 0; t < w->length; t++) {
    s->rlo[t] = (float)w->dec_lo[w->length - 1 - t];
    s->rhi[t] = (float)w->dec_hi[w->length - 1 - t];
  }
  for (unsigned j = 0; j < levels; j++) {
    size_t n;
    s->hist[j] = (size_t)(w->length - 1) << j;
    if (!vg_size_mul(s->hist[j] + CHUNK, signals, &n) || !(s->buf[j] = malloc(n * sizeof(float))))
      goto oom;
  }
  s->lo = malloc(CHUNK * sizeof(float));
  s->hi = malloc(CHUNK * sizeof(float));
  if (!s->lo || !s->hi)
    goto oom;
  vg_swt_reset(s);
  return s;
oom:
  vg_swt_destroy(s);
  vg_error_set(err, "swt: out of memory for %u levels of %u signals", levels, signals);
  return NULL;
}

void vg_swt_destroy(VgSwt *s)
{
  if (!s)
    return;
  for (unsigned j = 0; j < VG_SWT_MAX_LEVELS; j++)
    free(s->buf[j]);
  free(s->lo);
  free(s->hi);
  free(s);
}

void vg_swt_reset(VgSwt *s)
{
  for (unsigned j = 0; j < s->levels; j++)
    memset(s->buf[j], 0, (s->hist[j] + CHUNK) * s->signals * sizeof(float));
}

size_t vg_swt_delay(const VgSwt *s, unsigned level)
{
  return (size_t)(s->taps / 2) * ((1u << level) - 1);
}

size_t vg_swt_fill(const VgSwt *s, unsigned level)
{
  return (size_t)(s->taps - 1) * ((1u << level) - 1);
}

/* lo[i] = sum_t flo[t] x[i + t step], hi likewise, for i < n. Eight outputs at a time stay in
 * registers across all taps; the tail runs scalar. */
static void atrous(const VgSwt *s, const float *x, size_t step, size_t n, float *lo, float *hi)
{
  unsigned taps = s->taps;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v4sf a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0};
    for (unsigned t = 0; t < taps; t++) {
      const float *xt = x + i + t * step;
      v4sf cl = vg_splat4(s->rlo[t]), ch = vg_splat4(s->rhi[t]);
      v4sf x0 = vg_load4(xt), x1 = vg_load4(xt + 4);
      a0 += cl * x0;
      a1 += cl * x1;
      b0 += ch * x0;
      b1 += ch * x1;
    }
    vg_store4(lo + i, a0);
    vg_store4(lo + i + 4, a1);
    vg_store4(hi + i, b0);
    vg_store4(hi + i + 4, b1);
  }
  for (; i < n; i++) {
    float a = 0, b = 0;
    for (unsigned t = 0; t < taps; t++) {
      a += s->rlo[t] * x[i + t * step];
      b += s->rhi[t] * x[i + t * step];
    }
    lo[i] = a;
    hi[i] = b;
  }
}

/* Level j over n new samples already in its buffers. Approximations go to level j + 1's buffer,
 * or to band 0 of out at the last level; details to band J - j of out. */
static void run_level(VgSwt *s, unsigned j, size_t n, float *out)
{
  size_t H = s->hist[j], stride = H + CHUNK, step = (size_t)1 << j;
  unsigned bands = s->levels + 1, S = s->signals;
  int last = j + 1 == s->levels;
  for (unsigned c = 0; c < S; c++) {
    float *x = s->buf[j] + c * stride;
    float *lo = last ? s->lo : s->buf[j + 1] + c * (s->hist[j + 1] + CHUNK) + s->hist[j + 1];
    float *o = out + (size_t)c * bands;
    atrous(s, x, step, n, lo, s->hi);
    for (size_t i = 0; i < n; i++)
      o[i * S * bands + s->levels - j] = s->hi[i];
    if (last)
      for (size_t i = 0; i < n; i++)
        o[i * S * bands] = lo[i];
    memmove(x, x + n, H * sizeof(float));
  }
}

int vg_swt_push(VgSwt *s, const float *in, size_t n_frames, float *out)
{
  unsigned S = s->signals;
  size_t frame_out = (size_t)S * (s->levels + 1);
  for (size_t done = 0; done < n_frames;) {
    size_t n = n_frames - done < CHUNK ? n_frames - done : CHUNK;
    for (unsigned c = 0; c < S; c++) {
      float *dst = s->buf[0] + c * (s->hist[0] + CHUNK) + s->hist[0];
      for (size_t k = 0; k < n; k++)
        dst[k] = in[(done + k) * S + c];
    }
    for (unsigned j = 0; j < s->levels; j++)
      run_level(s, j, n, out + done * frame_out);
    done += n;
  }
  return VG_OK;
}
