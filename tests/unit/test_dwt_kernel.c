/* Unit tests of the wavelet kernels (kernels/dwt): configuration errors, filter-bank identities,
 * buffer-size invariance, and the streaming DWT/SWT against naive whole-signal references.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwt/vg_dwt.h"
#include "dwt/vg_swt.h"

#include "vg_check.h"

static double frand(unsigned *state)
{
  *state = *state * 1103515245u + 12345u;
  return ((*state >> 8) & 0xffff) / 32768.0 - 1.0;
}

static void test_bad_config(void)
{
  const char *bad[] = {"db0",  "db21", "sym1", "sym21", "coif0", "coif6", "foo",
                       "db4x", "db04", "",     "haar2", "sym",   "coif17"};
  VgWavelet w;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    VgError err = {{0}};
    CHECK(vg_wavelet_init(&w, bad[i], &err) == VG_ERR, "accepted wavelet '%s'", bad[i]);
    CHECK(strstr(err.msg, "wavelet") || strstr(err.msg, "exist"), "message for '%s': %s", bad[i],
          err.msg);
  }
  VgError err = {{0}};
  CHECK(vg_wavelet_init(&w, NULL, &err) == VG_ERR, "accepted NULL");
  CHECK(vg_wavelet_init(&w, "db4", &err) == VG_OK, "db4: %s", err.msg);
  CHECK(vg_dwt_create(&w, 0, 1, &err) == NULL && strstr(err.msg, "levels=0"), "%s", err.msg);
  CHECK(vg_dwt_create(&w, 17, 1, &err) == NULL && strstr(err.msg, "levels=17"), "%s", err.msg);
  CHECK(vg_dwt_create(&w, 3, 0, &err) == NULL && strstr(err.msg, "signals"), "%s", err.msg);
  CHECK(vg_swt_create(&w, 0, 1, &err) == NULL && strstr(err.msg, "levels=0"), "%s", err.msg);
  CHECK(vg_swt_create(&w, 13, 1, &err) == NULL && strstr(err.msg, "levels=13"), "%s", err.msg);
}

/* Orthonormality, sum sqrt(2) and vanishing wavelet moments of every filter bank. */
static void check_bank(const char *name, unsigned moments)
{
  VgWavelet w;
  VgError err = {{0}};
  if (vg_wavelet_init(&w, name, &err) != VG_OK) {
    CHECK(0, "%s: %s", name, err.msg);
    return;
  }
  const double *h = w.rec_lo;
  unsigned L = w.length;
  double sum = 0;
  for (unsigned i = 0; i < L; i++)
    sum += h[i];
  CHECK(fabs(sum - sqrt(2.0)) < 1e-14, "%s: sum h = %.17g", name, sum);
  for (unsigned m = 0; 2 * m < L; m++) {
    double dot = 0;
    for (unsigned i = 0; i + 2 * m < L; i++)
      dot += h[i] * h[i + 2 * m];
    CHECK(fabs(dot - (m == 0)) < 1e-14, "%s: sum h[n] h[n+%u] = %.3g", name, 2 * m, dot);
  }
  for (unsigned l = 0; l < moments; l++) {
    double mom = 0, scale = 0;
    for (unsigned i = 0; i < L; i++) {
      double p = pow((double)i / L, l);
      mom += w.dec_hi[i] * p;
      scale += fabs(w.dec_hi[i]) * p;
    }
    CHECK(fabs(mom) < 1e-12 * scale, "%s: wavelet moment %u = %.3g", name, l, mom);
  }
}

static void test_banks(void)
{
  char name[16];
  check_bank("haar", 1);
  for (unsigned n = 1; n <= 20; n++) {
    snprintf(name, sizeof name, "db%u", n);
    check_bank(name, n);
  }
  for (unsigned n = 2; n <= 20; n++) {
    snprintf(name, sizeof name, "sym%u", n);
    check_bank(name, n);
  }
  for (unsigned k = 1; k <= 5; k++) {
    snprintf(name, sizeof name, "coif%u", k);
    check_bank(name, 2 * k);
  }
}

/* Naive wavedec(mode='zero') of one signal: level by level, full convolution, odd samples. */
static double *naive_wavedec(const VgWavelet *w, const double *x, size_t n, unsigned levels,
                             size_t *len)
{
  double *a = malloc(n * sizeof(double)), *out = calloc(1 << 20, sizeof(double));
  memcpy(a, x, n * sizeof(double));
  size_t na = n;
  double *det[VG_DWT_MAX_LEVELS];
  unsigned L = w->length;
  for (unsigned j = 0; j < levels; j++) {
    size_t m = (na + L - 1) / 2;
    double *lo = calloc(m, sizeof(double));
    det[j] = calloc(m, sizeof(double));
    for (size_t k = 0; k < m; k++) {
      for (unsigned t = 0; t < L; t++) {
        long i = (long)(2 * k + 1) - (long)t;
        if (i >= 0 && (size_t)i < na) {
          lo[k] += w->dec_lo[t] * a[i];
          det[j][k] += w->dec_hi[t] * a[i];
        }
      }
    }
    len[levels - j] = m;
    free(a);
    a = lo;
    na = m;
  }
  len[0] = na;
  /* concatenated as pywt returns them: cA_J, cD_J, ..., cD_1 */
  size_t o = 0;
  memcpy(out, a, na * sizeof(double));
  o = na;
  for (unsigned t = 1; t <= levels; t++) {

    memcpy(out + o, det[levels - t], len[t] * sizeof(double));
    o += len[t];
    free(det[levels - t]);
  }
  free(a);
  return out;
}

#define MAX_FRAMES 4096

/* Streams x (n frames of S interleaved signals) in pieces of the given sizes (cycled), then
 * flushes. tensors[t] receives every frame of tensor t; returns the number of frames. */
static size_t stream_dwt(const VgWavelet *w, unsigned J, unsigned S, const float *x, size_t n,
                         const size_t *pieces, size_t n_pieces, float **tensors)
{
  VgError err = {{0}};
  VgDwt *d = vg_dwt_create(w, J, S, &err);
  CHECK(d != NULL, "create: %s", err.msg);
  if (!d)
    return 0;
  size_t frames = 0, done = 0, out;
  float *ptr[VG_DWT_MAX_LEVELS + 1];
  for (size_t p = 0; done < n; p++) {
    size_t m = pieces[p % n_pieces];
    if (m > n - done)
      m = n - done;
    size_t expect = vg_dwt_push_frames(d, m);
    for (unsigned t = 0; t <= J; t++)
      ptr[t] = tensors[t] + frames * vg_dwt_tensor_width(d, t) * S;
    vg_dwt_push(d, x + done * S, m, ptr, &out);
    CHECK(out == expect, "push wrote %zu frames, announced %zu", out, expect);
    frames += out;
    done += m;
  }
  size_t expect = vg_dwt_flush_frames(d);
  for (unsigned t = 0; t <= J; t++)
    ptr[t] = tensors[t] + frames * vg_dwt_tensor_width(d, t) * S;
  vg_dwt_flush(d, ptr, &out);
  CHECK(out == expect, "flush wrote %zu frames, announced %zu", out, expect);
  vg_dwt_destroy(d);
  return frames + out;
}

static void test_dwt_stream(const char *name, unsigned J, unsigned S, size_t n)
{
  VgWavelet w;
  VgError err = {{0}};
  CHECK(vg_wavelet_init(&w, name, &err) == VG_OK, "%s", err.msg);
  unsigned seed = 7;
  float *x = malloc(n * S * sizeof(float));
  for (size_t i = 0; i < n * S; i++)
    x[i] = (float)frand(&seed);
  const size_t whole[] = {n}, ones[] = {1}, odd[] = {3, 1, 7, 64, 2, 1000, 5};
  const size_t *patterns[] = {whole, ones, odd};
  const size_t sizes[] = {1, 1, 7};
  float *tens[3][VG_DWT_MAX_LEVELS + 1];
  size_t frames[3];
  for (int p = 0; p < 3; p++) {
    for (unsigned t = 0; t <= J; t++)
      tens[p][t] = calloc((size_t)MAX_FRAMES * (t ? 1u << (t - 1) : 1) * S, sizeof(float));
    frames[p] = stream_dwt(&w, J, S, x, n, patterns[p], sizes[p], tens[p]);
  }
  for (int p = 1; p < 3; p++) {
    CHECK(frames[p] == frames[0], "%s: %zu frames vs %zu", name, frames[p], frames[0]);
    for (unsigned t = 0; t <= J; t++) {
      size_t v = frames[0] * (t ? 1u << (t - 1) : 1) * S;
      CHECK(memcmp(tens[p][t], tens[0][t], v * sizeof(float)) == 0,
            "%s J=%u: pattern %d differs from one push in tensor %u", name, J, p, t);
    }
  }
  /* Against the naive reference, per signal. */
  double *xs = malloc(n * sizeof(double));
  double worst = 0;
  for (unsigned s = 0; s < S; s++) {
    size_t len[VG_DWT_MAX_LEVELS + 1];
    for (size_t i = 0; i < n; i++)
      xs[i] = x[i * S + s];
    double *ref = naive_wavedec(&w, xs, n, J, len);
    size_t off = 0;
    for (unsigned t = 0; t <= J; t++) {
      size_t width = t ? 1u << (t - 1) : 1;
      CHECK((len[t] + width - 1) / width <= frames[0], "%s: frames too few", name);
      for (size_t k = 0; k < frames[0] * width; k++) {
        float got = tens[0][t][(k / width) * width * S + s * width + k % width];
        double want = k < len[t] ? ref[off + k] : 0.0;
        double e = fabs(got - want);
        if (e > worst)
          worst = e;
      }
      off += len[t];
    }
    free(ref);
  }
  CHECK(worst < 2e-5, "%s J=%u S=%u n=%zu: max error %.3g vs naive wavedec", name, J, S, n, worst);
  for (int p = 0; p < 3; p++)
    for (unsigned t = 0; t <= J; t++)
      free(tens[p][t]);
  free(xs);
  free(x);
}

/* Flushes d in pieces of at most max_frames (vg_dwt_flush_some) into tensors[t] from frame 0;
 * returns the frames written. Checks each piece's size, the frames left and that a push in the
 * middle of the tail is refused. */
static size_t flush_in_pieces(VgDwt *d, unsigned J, unsigned S, size_t max_frames, float **tensors)
{
  size_t total = 0, left = vg_dwt_flush_frames(d), got;
  float *ptr[VG_DWT_MAX_LEVELS + 1];
  for (int done = 0, calls = 0; !done; calls++) {
    for (unsigned t = 0; t <= J; t++)
      ptr[t] = tensors[t] + total * vg_dwt_tensor_width(d, t) * S;
    CHECK(vg_dwt_flush_some(d, ptr, max_frames, &got, &done) == VG_OK, "flush_some failed");
    size_t want = left < max_frames ? left : max_frames;
    CHECK(got == want, "piece %d: %zu frames, expected %zu", calls, got, want);
    total += got;
    left -= got;
    CHECK(done == (left == 0), "piece %d: done=%d with %zu frames left", calls, done, left);
    CHECK(done || vg_dwt_flush_frames(d) == left, "%zu frames left, flush_frames says %zu", left,
          vg_dwt_flush_frames(d));
    if (!done && calls == 0) {
      float x = 1.0f;
      size_t n;
      CHECK(vg_dwt_push(d, &x, 1, ptr, &n) == VG_ERR && n == 0, "push accepted during a flush");
    }
    if (calls > 1000 || (got == 0 && !done)) {
      CHECK(0, "flush_some makes no progress");
      break;
    }
  }
  CHECK(vg_dwt_flush_frames(d) == 0, "not reset after the last piece");
  return total;
}

/* vg_dwt_flush_some with pieces of 1, 2 and 3 frames gives vg_dwt_flush's tail byte for byte,
 * and the transform is reset after it (a second stream equals the first). */
static void test_flush_pieces(const char *name, unsigned J, unsigned S, size_t n)
{
  VgWavelet w;
  VgError err = {{0}};
  CHECK(vg_wavelet_init(&w, name, &err) == VG_OK, "%s", err.msg);
  unsigned seed = 5;
  float *x = malloc(n * S * sizeof(float));
  for (size_t i = 0; i < n * S; i++)
    x[i] = (float)frand(&seed);
  VgDwt *d = vg_dwt_create(&w, J, S, &err);
  CHECK(d != NULL, "create: %s", err.msg);
  if (!d)
    return;
  size_t cap = vg_dwt_push_frames(d, n) + 64, out, ref_frames = 0;
  float *ref[VG_DWT_MAX_LEVELS + 1], *got[VG_DWT_MAX_LEVELS + 1];
  for (unsigned t = 0; t <= J; t++) {
    ref[t] = calloc(cap * vg_dwt_tensor_width(d, t) * S, sizeof(float));
    got[t] = calloc(cap * vg_dwt_tensor_width(d, t) * S, sizeof(float));
  }
  vg_dwt_push(d, x, n, ref, &out); /* the whole blocks, then the one-shot tail after them */
  float *ptr[VG_DWT_MAX_LEVELS + 1];
  for (unsigned t = 0; t <= J; t++)
    ptr[t] = ref[t] + out * vg_dwt_tensor_width(d, t) * S;
  CHECK(vg_dwt_flush(d, ptr, &ref_frames) == VG_OK, "flush failed");
  CHECK(ref_frames > 0, "%s: no tail", name);
  for (size_t max = 1; max <= 3; max++) {
    for (int round = 0; round < 2; round++) { /* the second round checks the reset */
      size_t pushed;
      vg_dwt_push(d, x, n, got, &pushed);
      CHECK(pushed == out, "%zu frames pushed, expected %zu", pushed, out);
      for (unsigned t = 0; t <= J; t++)
        ptr[t] = got[t] + pushed * vg_dwt_tensor_width(d, t) * S;
      size_t frames = flush_in_pieces(d, J, S, max, ptr);
      CHECK(frames == ref_frames, "%s J=%u n=%zu max=%zu: %zu tail frames, expected %zu", name, J,
            n, max, frames, ref_frames);
      for (unsigned t = 0; t <= J; t++) {
        size_t v = (out + ref_frames) * vg_dwt_tensor_width(d, t) * S;
        CHECK(memcmp(got[t], ref[t], v * sizeof(float)) == 0,
              "%s J=%u S=%u n=%zu: pieces of %zu frames differ from one flush in tensor %u", name,
              J, S, n, max, t);
        memset(got[t], 0xff, v * sizeof(float)); /* stale values must not pass the next round */
      }
    }
  }
  /* Nothing pushed: done at once, no frame. */
  int done = 0;
  CHECK(vg_dwt_flush_some(d, got, 1, &out, &done) == VG_OK && done && out == 0,
        "empty flush: done=%d, %zu frames", done, out);
  for (unsigned t = 0; t <= J; t++) {
    free(ref[t]);
    free(got[t]);
  }
  vg_dwt_destroy(d);
  free(x);
}

/* SWT: buffer-size invariance and a naive causal a-trous reference. */
static void test_swt_stream(const char *name, unsigned J, unsigned S, size_t n)
{
  VgWavelet w;
  VgError err = {{0}};
  CHECK(vg_wavelet_init(&w, name, &err) == VG_OK, "%s", err.msg);
  unsigned seed = 11, bands = J + 1;
  float *x = malloc(n * S * sizeof(float));
  for (size_t i = 0; i < n * S; i++)
    x[i] = (float)frand(&seed);
  float *y1 = malloc(n * S * bands * sizeof(float)), *y2 = malloc(n * S * bands * sizeof(float));
  VgSwt *a = vg_swt_create(&w, J, S, &err), *b = vg_swt_create(&w, J, S, &err);
  CHECK(a && b, "%s", err.msg);
  vg_swt_push(a, x, n, y1);
  for (size_t i = 0; i < n; i++) /* one frame at a time */
    vg_swt_push(b, x + i * S, 1, y2 + i * S * bands);
  CHECK(memcmp(y1, y2, n * S * bands * sizeof(float)) == 0, "%s: swt 1-frame pushes differ", name);
  double *ap = malloc(n * sizeof(double)), *an = malloc(n * sizeof(double)), worst = 0;
  for (unsigned s = 0; s < S; s++) {
    for (size_t i = 0; i < n; i++)
      ap[i] = x[i * S + s];
    for (unsigned j = 0; j < J; j++) {
      size_t step = (size_t)1 << j;
      for (size_t i = 0; i < n; i++) {
        double lo = 0, hi = 0;
        for (unsigned t = 0; t < w.length; t++) {
          if (i >= t * step) {
            lo += w.dec_lo[t] * ap[i - t * step];
            hi += w.dec_hi[t] * ap[i - t * step];
          }
        }
        an[i] = lo;
        double e = fabs(y1[(i * S + s) * bands + (J - j)] - hi);
        worst = e > worst ? e : worst;
      }
      memcpy(ap, an, n * sizeof(double));
    }
    for (size_t i = 0; i < n; i++) {
      double e = fabs(y1[(i * S + s) * bands] - ap[i]);
      worst = e > worst ? e : worst;
    }
  }
  CHECK(worst < 2e-5, "%s J=%u: swt max error %.3g vs naive", name, J, worst);
  vg_swt_destroy(a);
  vg_swt_destroy(b);
  free(ap);
  free(an);
  free(x);
  free(y1);
  free(y2);
}

int main(void)
{
  test_bad_config();
  test_banks();
  test_dwt_stream("haar", 1, 1, 1);
  test_dwt_stream("db4", 5, 1, 3001);
  test_dwt_stream("sym7", 3, 2, 777);
  test_dwt_stream("coif3", 4, 3, 2048);
  test_dwt_stream("db20", 2, 1, 5);
  test_flush_pieces("haar", 1, 1, 1);
  test_flush_pieces("db4", 5, 1, 3001);
  test_flush_pieces("sym7", 3, 2, 5);    /* shorter than one block */
  test_flush_pieces("coif5", 6, 3, 64);  /* whole blocks only */
  test_flush_pieces("db20", 10, 1, 100); /* shorter than one block */
  test_flush_pieces("db20", 10, 2, 3001);
  test_flush_pieces("sym20", 12, 1, 9000);
  test_flush_pieces("db20", 15, 1, 40000);
  test_swt_stream("db2", 3, 2, 1500);
  test_swt_stream("sym5", 5, 1, 2100);
  printf("%d failures\n", failures);
  return failures ? 1 : 0;
}
