/* Vigil kernels: streaming multilevel DWT (vg_dwt.h).
 *
 * Each level keeps, per signal, a linear buffer that starts at the first input sample of the
 * next output's window: buf[0 .. L) = a[i - L + 1 .. i] for the next odd index i. An output is a
 * dot product with the reversed filter; after a run of outputs the unused tail moves to the
 * front (at most L samples), so the decimation phase is carried implicitly. Input is processed
 * in chunks of at most CHUNK frames so buffers are sized once, at create time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vg_dwt.h"
#include "vg_simd.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK 1024

typedef struct {
  float *buf;     /* signals x cap floats, signal-major */
  size_t fill;    /* valid samples per signal in buf */
  uint64_t n_in;  /* samples received since the reset (N_{j-1}) */
  uint64_t n_out; /* coefficients produced since the reset */
  float *lo, *hi; /* this run's outputs, signals x (cap / 2 + 1) */
} Level;

struct VgDwt {
  unsigned levels, signals, taps;
  size_t cap;                                             /* buffer length per signal and level */
  float rlo[VG_WAVELET_MAX_LEN], rhi[VG_WAVELET_MAX_LEN]; /* dec filters, reversed */
  Level level[VG_DWT_MAX_LEVELS];
  uint64_t frames_out;                   /* output frames handed out since the reset */
  size_t frame_values;                   /* floats of one output frame, all tensors */
  float *even, *odd;                     /* polyphase halves of one level's buffer */
  float *staging;                        /* the frame being completed, tensor after tensor */
  size_t offset[VG_DWT_MAX_LEVELS + 1];  /* of each tensor in staging */
  unsigned shift[VG_DWT_MAX_LEVELS + 1]; /* log2 of each tensor's width */
  float *const *out;                     /* the caller's arrays during a push */
  size_t out_frames; /* frames of this push that go to out; later ones go to staging */
  int overrun;       /* a coefficient fell after staging's frame (an error, never expected) */
  /* The flush in progress (vg_dwt_flush_some): level whose L - 1 zeros are going in, zeros
   * still to append to it, the frame count at which the tail ends, pywt's lengths. */
  int flushing;
  unsigned flush_level, zeros_left;
  uint64_t flush_end;
  uint64_t final[VG_DWT_MAX_LEVELS + 1];
};

unsigned vg_dwt_tensor_width(const VgDwt *d, unsigned t)
{
  return t <= 1 ? 1u : 1u << (t - 1);
}

VgDwt *vg_dwt_create(const VgWavelet *w, unsigned levels, unsigned signals, VgError *err)
{
  if (!w || w->length < 2 || w->length > VG_WAVELET_MAX_LEN || w->length % 2) {
    vg_error_set(err, "dwt: invalid wavelet filter bank");
    return NULL;
  }
  if (levels < 1 || levels > VG_DWT_MAX_LEVELS) {
    vg_error_set(err, "dwt: levels=%u is out of range 1..%d", levels, VG_DWT_MAX_LEVELS);
    return NULL;
  }
  if (signals < 1 || signals > (1u << 20)) {
    vg_error_set(err, "dwt: %u signals per frame is out of range 1..%u", signals, 1u << 20);
    return NULL;
  }
  VgDwt *d = calloc(1, sizeof *d);
  if (!d)
    goto oom;
  d->levels = levels;
  d->signals = signals;
  d->taps = w->length;
  d->cap = CHUNK + w->length;
  for (unsigned t = 0; t < w->length; t++) {
    d->rlo[t] = (float)w->dec_lo[w->length - 1 - t];
    d->rhi[t] = (float)w->dec_hi[w->length - 1 - t];
  }
  size_t per_level = 0, outs = 0, fv = 0;
  if (!vg_size_mul(d->cap, signals, &per_level) || !vg_size_mul(d->cap / 2 + 1, signals, &outs))
    goto oom;
  for (unsigned j = 0; j < levels; j++) {
    Level *l = &d->level[j];
    l->buf = malloc(per_level * sizeof(float));
    l->lo = malloc(outs * sizeof(float));
    l->hi = malloc(outs * sizeof(float));
    if (!l->buf || !l->lo || !l->hi)
      goto oom;
  }
  for (unsigned t = 0; t <= levels; t++) {
    d->offset[t] = fv;
    d->shift[t] = t <= 1 ? 0 : t - 1;
    fv += (size_t)vg_dwt_tensor_width(d, t) * signals;
  }
  d->frame_values = fv;
  d->staging = malloc(fv * sizeof(float));
  d->even = malloc((d->cap / 2 + 1) * sizeof(float));
  d->odd = malloc((d->cap / 2 + 1) * sizeof(float));
  if (!d->staging || !d->even || !d->odd)
    goto oom;
  vg_dwt_reset(d);
  return d;
oom:
  vg_dwt_destroy(d);
  vg_error_set(err, "dwt: out of memory for %u levels of %u signals", levels, signals);
  return NULL;
}

void vg_dwt_destroy(VgDwt *d)
{
  if (!d)
    return;
  for (unsigned j = 0; j < VG_DWT_MAX_LEVELS; j++) {
    free(d->level[j].buf);
    free(d->level[j].lo);
    free(d->level[j].hi);
  }
  free(d->staging);
  free(d->even);
  free(d->odd);
  free(d);
}

void vg_dwt_reset(VgDwt *d)
{
  /* The first output (index 1) reads a[2 - L .. 1]: L - 2 zeros of history. */
  for (unsigned j = 0; j < d->levels; j++) {
    Level *l = &d->level[j];
    memset(l->buf, 0, d->cap * d->signals * sizeof(float));
    l->fill = d->taps - 2;
    l->n_in = l->n_out = 0;
  }
  d->frames_out = 0;
  d->overrun = 0;
  d->flushing = 0;
  memset(d->staging, 0, d->frame_values * sizeof(float));
}

size_t vg_dwt_push_frames(const VgDwt *d, size_t n_frames)
{
  unsigned J = d->levels;
  uint64_t done = (d->level[0].n_in + n_frames) >> J;
  return (size_t)(done - d->frames_out);
}

/* Stores n coefficients of tensor t, the first being number k0 of its stream (per signal), for
 * every signal: vals[s * vstride + i]. Frames before frames_out + out_frames go to the caller's
 * arrays, the frame after them to staging. Walks frames and slots without dividing. A frame
 * further on has no room: it is not written and sets overrun (vg_dwt_flush_some explains why it
 * cannot happen). */
static void store_run(VgDwt *d, unsigned t, uint64_t k0, const float *vals, size_t n,
                      size_t vstride)
{
  unsigned width = vg_dwt_tensor_width(d, t), S = d->signals;
  uint64_t frame = k0 >> d->shift[t];
  size_t slot = (size_t)(k0 & (width - 1));
  for (size_t i = 0; i < n; frame++, slot = 0) {
    uint64_t end = d->frames_out + d->out_frames;
    if (frame > end || (frame < end && !d->out)) {
      d->overrun = 1;
      return;
    }
    float *base = frame < end ? d->out[t] + (size_t)(frame - d->frames_out) * width * S
                              : d->staging + d->offset[t];
    size_t m = width - slot < n - i ? width - slot : n - i;
    for (unsigned s = 0; s < S; s++)
      memcpy(base + (size_t)s * width + slot, vals + s * vstride + i, m * sizeof(float));
    i += m;
  }
}

/* lo[k] = sum_t rlo[t] x[2k + t] (and hi) for k < n, in polyphase form: with e[m] = x[2m] and
 * o[m] = x[2m + 1], lo[k] = sum_u rlo[2u] e[k + u] + rlo[2u + 1] o[k + u], so that eight
 * consecutive outputs read contiguous samples and stay in SIMD registers across the taps. The
 * scalar tail adds in the same order, so results do not depend on how input was chunked. */
static void analysis(VgDwt *d, const float *x, size_t fill, size_t n, float *lo, float *hi)
{
  float *e = d->even, *o = d->odd;
  unsigned half = d->taps / 2;
  for (size_t m = 0; m < fill / 2; m++) {
    e[m] = x[2 * m];
    o[m] = x[2 * m + 1];
  }
  size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    v4sf a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0};
    for (unsigned u = 0; u < half; u++) {
      v4sf le = vg_splat4(d->rlo[2 * u]), lo_ = vg_splat4(d->rlo[2 * u + 1]);
      v4sf he = vg_splat4(d->rhi[2 * u]), ho = vg_splat4(d->rhi[2 * u + 1]);
      v4sf e0 = vg_load4(e + k + u), e1 = vg_load4(e + k + u + 4);
      v4sf o0 = vg_load4(o + k + u), o1 = vg_load4(o + k + u + 4);
      a0 += le * e0;
      a0 += lo_ * o0;
      a1 += le * e1;
      a1 += lo_ * o1;
      b0 += he * e0;
      b0 += ho * o0;
      b1 += he * e1;
      b1 += ho * o1;
    }
    vg_store4(lo + k, a0);
    vg_store4(lo + k + 4, a1);
    vg_store4(hi + k, b0);
    vg_store4(hi + k + 4, b1);
  }
  for (; k < n; k++) {
    float a = 0, b = 0;
    for (unsigned u = 0; u < half; u++) {
      a += d->rlo[2 * u] * e[k + u];
      a += d->rlo[2 * u + 1] * o[k + u];
      b += d->rhi[2 * u] * e[k + u];
      b += d->rhi[2 * u + 1] * o[k + u];
    }
    lo[k] = a;
    hi[k] = b;
  }
}

/* Runs level j over the samples in its buffers; outputs go to level j + 1 or to the tensors. */
static void run_level(VgDwt *d, unsigned j)
{
  Level *l = &d->level[j];
  unsigned L = d->taps, S = d->signals;
  if (l->fill < L)
    return;
  size_t n = (l->fill - L) / 2 + 1;
  size_t ostride = d->cap / 2 + 1;
  for (unsigned s = 0; s < S; s++) {
    const float *x = l->buf + s * d->cap;
    float *lo = l->lo + s * ostride, *hi = l->hi + s * ostride;
    analysis(d, x, l->fill, n, lo, hi);
    size_t keep = l->fill - 2 * n;
    memmove(l->buf + s * d->cap, x + 2 * n, keep * sizeof(float));
  }
  l->fill -= 2 * n;
  store_run(d, d->levels - j, l->n_out, l->hi, n, ostride); /* details: tensor J - j */
  if (j + 1 == d->levels) {
    store_run(d, 0, l->n_out, l->lo, n, ostride);
  } else {
    Level *next = &d->level[j + 1];
    for (unsigned s = 0; s < S; s++)
      memcpy(next->buf + s * d->cap + next->fill, l->lo + s * ostride, n * sizeof(float));
    next->fill += n;
    next->n_in += n;
  }
  l->n_out += n;
}

/* Appends frames (or zeros when in is NULL) to level 0 and runs every level. */
static void feed(VgDwt *d, const float *in, size_t n)
{
  Level *l = &d->level[0];
  for (unsigned s = 0; s < d->signals; s++) {
    float *dst = l->buf + s * d->cap + l->fill;
    for (size_t k = 0; k < n; k++)
      dst[k] = in ? in[k * d->signals + s] : 0.0f;
  }
  l->fill += n;
  l->n_in += n;
  for (unsigned j = 0; j < d->levels; j++)
    run_level(d, j);
}

/* Makes staging the first of n frames of out (it holds what is known of frame frames_out). */
static void begin_output(VgDwt *d, float *const *out, size_t n)
{
  d->out = out;
  d->out_frames = n;
  if (n == 0)
    return;
  for (unsigned t = 0; t <= d->levels; t++) {
    size_t v = (size_t)vg_dwt_tensor_width(d, t) * d->signals;
    memcpy(out[t], d->staging + d->offset[t], v * sizeof(float));
  }
  memset(d->staging, 0, d->frame_values * sizeof(float));
}

static void end_output(VgDwt *d, size_t *n_out)
{
  d->frames_out += d->out_frames;
  *n_out = d->out_frames;
  d->out = NULL;
  d->out_frames = 0;
}

int vg_dwt_push(VgDwt *d, const float *in, size_t n_frames, float *const *out, size_t *n_out)
{
  *n_out = 0;
  if (d->flushing)
    return VG_ERR;
  begin_output(d, out, vg_dwt_push_frames(d, n_frames));
  for (size_t done = 0; done < n_frames;) {
    size_t n = n_frames - done < CHUNK ? n_frames - done : CHUNK;
    feed(d, in + done * d->signals, n);
    done += n;
  }
  end_output(d, n_out);
  return d->overrun ? VG_ERR : VG_OK;
}

uint64_t vg_dwt_length(const VgDwt *d, unsigned t)
{
  uint64_t n = d->level[0].n_in;
  unsigned upto = t == 0 ? d->levels : d->levels + 1 - t;
  for (unsigned j = 0; j < upto; j++)
    n = (n + d->taps - 1) / 2;
  return n;
}

size_t vg_dwt_flush_frames(const VgDwt *d)
{
  if (d->level[0].n_in == 0)
    return 0;
  uint64_t frames = 0;
  for (unsigned t = 0; t <= d->levels; t++) {
    unsigned w = vg_dwt_tensor_width(d, t);
    uint64_t f = (vg_dwt_length(d, t) + w - 1) / w;
    if (f > frames)
      frames = f;
  }
  return (size_t)(frames - d->frames_out);
}

/* Starts the tail: the frame count at which it ends and pywt's length of every tensor. */
static void begin_flush(VgDwt *d)
{
  d->flush_end = d->frames_out + vg_dwt_flush_frames(d);
  for (unsigned t = 0; t <= d->levels; t++)
    d->final[t] = vg_dwt_length(d, t);
  d->flush_level = 0;
  d->zeros_left = d->taps - 1;
  d->flushing = 1;
}

/* Coefficients per signal written so far to tensor t: level J - t's details, or for t = 0 the
 * last level's approximations. */
static uint64_t written(const VgDwt *d, unsigned t)
{
  return d->level[t == 0 ? d->levels - 1 : d->levels - t].n_out;
}

/* Frame f is complete when every tensor holds its coefficients there or has no more to come. */
static int frame_complete(const VgDwt *d, uint64_t f)
{
  for (unsigned t = 0; t <= d->levels; t++) {
    uint64_t need = (f + 1) << d->shift[t];
    if (written(d, t) < (need < d->final[t] ? need : d->final[t]))
      return 0;
  }
  return 1;
}

/* Hands staging (frame frames_out, complete) out as frame k of out and clears it. */
static void emit_frame(VgDwt *d, float *const *out, size_t k)
{
  for (unsigned t = 0; t <= d->levels; t++) {
    size_t v = (size_t)vg_dwt_tensor_width(d, t) * d->signals;
    memcpy(out[t] + k * v, d->staging + d->offset[t], v * sizeof(float));
  }
  memset(d->staging, 0, d->frame_values * sizeof(float));
  d->frames_out++;
}

/* Appends at most 2 of the current level's zeros and runs it and the levels below. Level j's
 * zeros go in only once level j - 1's have all reached it, as pywt pads each level's input. */
static int flush_step(VgDwt *d)
{
  if (d->flush_level >= d->levels)
    return VG_ERR;
  Level *l = &d->level[d->flush_level];
  unsigned z = d->zeros_left < 2 ? d->zeros_left : 2;
  for (unsigned s = 0; s < d->signals; s++)
    memset(l->buf + s * d->cap + l->fill, 0, z * sizeof(float));
  l->fill += z;
  for (unsigned i = d->flush_level; i < d->levels; i++)
    run_level(d, i);
  d->zeros_left -= z;
  if (d->zeros_left == 0) {
    d->flush_level++;
    d->zeros_left = d->taps - 1;
  }
  return VG_OK;
}

/* Why staging (one frame) is enough: while level j takes its zeros, levels j .. J - 1 have
 * produced floor(c / 2^(i - j + 1)) coefficients (c: level j's input count, zeros included), so
 * every unfinished tensor has exactly F = floor(c / 2^(J - j)) complete frames and its partial
 * coefficients lie in frame F; finished tensors are complete everywhere. Frames are emitted as
 * soon as they complete, so before a step frames_out = F. Two zeros add at most one coefficient
 * per tensor: either F stays and it lands in frame F, or F grows by one and that coefficient is
 * the one completing frame F. Either way it lands in staging's frame; store_run checks it. */
int vg_dwt_flush_some(VgDwt *d, float *const *out, size_t max_frames, size_t *n_out, int *done)
{
  size_t n = 0;
  if (!d->flushing)
    begin_flush(d);
  while (n < max_frames && d->frames_out < d->flush_end && !d->overrun) {
    if (frame_complete(d, d->frames_out))
      emit_frame(d, out, n++);
    else if (flush_step(d) != VG_OK)
      break; /* all zeros in and still incomplete: cannot happen */
  }
  *n_out = n;
  *done = d->frames_out >= d->flush_end;
  if (d->overrun || (n < max_frames && !*done)) {
    vg_dwt_reset(d);
    *done = 1;
    return VG_ERR;
  }
  if (*done)
    vg_dwt_reset(d);
  return VG_OK;
}

int vg_dwt_flush(VgDwt *d, float *const *out, size_t *n_out)
{
  int done = 0;
  return vg_dwt_flush_some(d, out, vg_dwt_flush_frames(d), n_out, &done);
}
