/* Unit tests of the anomaly-scoring kernels (kernels/anomaly/) against brute-force computations
 * of the same definitions: sums over the whole history, sorts of the window, hand-worked events.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly/vg_anomaly.h"
#include "anomaly/vg_events.h"
#include "anomaly/vg_likelihood.h"
#include "anomaly/vg_median.h"
#include "anomaly/vg_moments.h"
#include "anomaly/vg_quantile.h"

#include "vg_check.h"

/* |a - b| <= tol * max(1, |b|) */
static int close_to(double a, double b, double tol)
{
  double scale = fabs(b) > 1.0 ? fabs(b) : 1.0;
  return fabs(a - b) <= tol * scale;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double uniform(void) /* [0, 1) */
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double gauss(void)
{
  double u = uniform() + 1e-12, v = uniform();
  return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

static int cmp_float(const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* numpy's np.median of v[0 .. n), by sorting a copy. */
static double brute_median(const float *v, size_t n)
{
  float *s = malloc(n * sizeof *s);
  memcpy(s, v, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp_float);
  double m = n % 2 ? s[n / 2] : 0.5 * ((double)s[n / 2 - 1] + s[n / 2]);
  free(s);
  return m;
}

/* np.median(np.abs(v - np.median(v))) */
static double brute_mad(const float *v, size_t n)
{
  double med = brute_median(v, n);
  double *d = malloc(n * sizeof *d);
  for (size_t i = 0; i < n; i++)
    d[i] = fabs(v[i] - med);
  /* insertion sort of doubles */
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && d[j - 1] > d[j]; j--) {
      double t = d[j];
      d[j] = d[j - 1];
      d[j - 1] = t;
    }
  double m = n % 2 ? d[n / 2] : 0.5 * (d[n / 2 - 1] + d[n / 2]);
  free(d);
  return m;
}

static void test_welford(void)
{
  enum { N = 500, W = 37 };
  double x[N];
  VgWelford all, win;
  vg_welford_reset(&all);
  vg_welford_reset(&win);
  for (int t = 0; t < N; t++) {
    x[t] = 1000.0 + 3.0 * gauss(); /* a large mean tests the numerical form */
    vg_welford_add(&all, x[t]);
    vg_welford_add(&win, x[t]);
    if (t >= W)
      vg_welford_remove(&win, x[t - W]);
    for (int pass = 0; pass < 2; pass++) {
      int lo = pass == 0 ? 0 : (t >= W ? t - W + 1 : 0);
      double m = 0.0, v = 0.0;
      for (int i = lo; i <= t; i++)
        m += x[i];
      m /= t - lo + 1;
      for (int i = lo; i <= t; i++)
        v += (x[i] - m) * (x[i] - m);
      v /= t - lo + 1;
      const VgWelford *w = pass == 0 ? &all : &win;
      CHECK(close_to(w->mean, m, 1e-12), "t=%d pass %d mean %.17g vs %.17g", t, pass, w->mean, m);
      CHECK(close_to(vg_welford_var(w), v, 1e-8), "t=%d pass %d var %.17g vs %.17g", t, pass,
            vg_welford_var(w), v);
    }
  }
}

static void test_ewma(void)
{
  enum { N = 300 };
  double x[N];
  const double alpha = 2.0 / (20.0 + 1.0);
  VgEwma e;
  vg_ewma_init(&e, alpha);
  for (int t = 0; t < N; t++) {
    x[t] = 5.0 + gauss() + (t > 150 ? 4.0 : 0.0);
    vg_ewma_add(&e, x[t]);
    /* the weights of the header: w_0 = (1-a)^t, w_i = a (1-a)^(t-i) */
    double m = 0.0, v = 0.0, wsum = 0.0;
    for (int i = 0; i <= t; i++) {
      double w = i == 0 ? pow(1.0 - alpha, t) : alpha * pow(1.0 - alpha, t - i);
      m += w * x[i];
      wsum += w;
    }
    for (int i = 0; i <= t; i++) {
      double w = i == 0 ? pow(1.0 - alpha, t) : alpha * pow(1.0 - alpha, t - i);
      v += w * (x[i] - m) * (x[i] - m);
    }
    CHECK(close_to(wsum, 1.0, 1e-12), "weights sum to %.17g", wsum);
    CHECK(close_to(e.mean, m, 1e-12), "t=%d ewma mean %.17g vs %.17g", t, e.mean, m);
    CHECK(close_to(e.var, v, 1e-10), "t=%d ewma var %.17g vs %.17g", t, e.var, v);
  }
}

/* Streams for the sliding median: noise, and the adversarial cases of a blocked sorted window. */
enum {
  STREAM_GAUSS,
  STREAM_TIES,      /* 7 integer values: long runs of equal values across blocks */
  STREAM_CONSTANT,  /* one value: every search lands on the first of W equal values */
  STREAM_RISING,    /* each value the largest: arrives at the top, the oldest leaves the bottom */
  STREAM_FALLING,   /* the reverse */
  STREAM_ALTERNATE, /* far extremes in turn: every update crosses every block */
  STREAM_SAWTOOTH,  /* period 37, prime to the block sizes */
};

static float stream_value(int kind, int t)
{
  switch (kind) {
  case STREAM_TIES:
    return (float)(int)(uniform() * 7);
  case STREAM_CONSTANT:
    return 3.25f;
  case STREAM_RISING:
    return (float)t * 0.5f;
  case STREAM_FALLING:
    return -(float)t * 0.5f;
  case STREAM_ALTERNATE:
    return t % 2 ? 1e6f + (float)t : -1e6f - (float)t;
  case STREAM_SAWTOOTH:
    return (float)(t % 37);
  default:
    return (float)gauss();
  }
}

/* Median and MAD against sorting the window (brute_median, brute_mad), at every `every`-th window
 * position (sorting is slow on large windows; every value is pushed). */
static void run_median(size_t cap, size_t block, int kind, int n, int every)
{
  VgError err;
  VgSlidingMedian *m = vg_sliding_median_create_blocked(cap, block, &err);
  CHECK(m != NULL, "create %zu: %s", cap, err.msg);
  if (!m)
    return;
  float *x = malloc(n * sizeof *x);
  for (int t = 0; t < n; t++) {
    x[t] = stream_value(kind, t);
    vg_sliding_median_push(m, x[t]);
    size_t cnt = (size_t)t + 1 < cap ? (size_t)t + 1 : cap;
    const float *win = x + t + 1 - cnt;
    CHECK(vg_sliding_median_count(m) == cnt, "count");
    if (t % every != 0 && t != n - 1)
      continue;
    double bm = brute_median(win, cnt), bd = brute_mad(win, cnt);
    CHECK(vg_sliding_median_median(m) == bm, "cap %zu stream %d t=%d median %.9g vs %.9g", cap,
          kind, t, vg_sliding_median_median(m), bm);
    double mad = vg_sliding_median_mad(m);
    CHECK(close_to(mad, bd, 1e-12), "cap %zu stream %d t=%d mad %.9g vs %.9g", cap, kind, t, mad,
          bd);
  }
  vg_sliding_median_reset(m);
  CHECK(vg_sliding_median_count(m) == 0 && vg_sliding_median_median(m) == 0.0, "reset");
  /* after a reset the window refills as new */
  for (int t = 0; t < 5 && (size_t)t < cap; t++)
    vg_sliding_median_push(m, (float)(10 - t));
  size_t cnt = cap < 5 ? cap : 5;
  float tail[5] = {10, 9, 8, 7, 6};
  CHECK(vg_sliding_median_median(m) == brute_median(tail, cnt), "median after reset");
  free(x);
  vg_sliding_median_destroy(m);
}

static void test_median(void)
{
  VgError err = {{0}};
  /* the sorted array (automatic up to 2048 values), then blocks: of 8 (a partial last block: 7,
   * 65, 101; all full: 64), 16 (1000 values, 63 blocks), 32 (256: 8 blocks), 64 (1500: a partial
   * last block); 2500 values take blocks automatically (128) */
  static const struct {
    size_t cap, block;
  } cases[] = {{1, 0},   {2, 0},    {3, 0},     {4, 0},     {7, 0},   {8, 0},
               {64, 0},  {101, 0},  {1000, 0},  {7, 8},     {64, 8},  {65, 8},
               {101, 8}, {256, 32}, {1000, 16}, {1500, 64}, {2500, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t cap = cases[i].cap;
    int n = (int)(cap < 100 ? 300 : cap + 400), every = cap < 200 ? 1 : cap < 2000 ? 13 : 41;
    for (int kind = STREAM_GAUSS; kind <= STREAM_SAWTOOTH; kind++)
      run_median(cap, cases[i].block, kind, n, every);
  }
  CHECK(vg_sliding_median_create_blocked(100, 12, &err) == NULL && strstr(err.msg, "power of two"),
        "block 12");
  /* a hand case: window {1, 2, 3, 100}: median 2.5, deviations {1.5, .5, .5, 97.5}: MAD 1 */
  VgSlidingMedian *m = vg_sliding_median_create(4, NULL);
  float v[] = {50, 1, 2, 3, 100};
  for (int i = 0; i < 5; i++)
    vg_sliding_median_push(m, v[i]);
  CHECK(vg_sliding_median_median(m) == 2.5, "hand median");
  CHECK(vg_sliding_median_mad(m) == 1.0, "hand mad %g", vg_sliding_median_mad(m));
  vg_sliding_median_destroy(m);
  CHECK(vg_sliding_median_create(0, &err) == NULL && strstr(err.msg, "at least 1"), "cap 0");
}

/* numpy.quantile(v, q) with the default linear method, by sorting a copy. */
static double brute_quantile(const float *v, size_t n, double q)
{
  float *s = malloc(n * sizeof *s);
  memcpy(s, v, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp_float);
  double h = (n - 1) * q;
  size_t k = (size_t)floor(h);
  double r = k + 1 < n ? s[k] + (h - k) * ((double)s[k + 1] - s[k]) : s[n - 1];
  free(s);
  return r;
}

static void test_quantile(void)
{
  static const size_t sizes[] = {1, 2, 3, 10, 341, 1000, 4097};
  static const double qs[] = {0.0, 0.25, 0.5, 0.9, 0.999, 1.0};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    for (size_t j = 0; j < sizeof qs / sizeof qs[0]; j++)
      for (int ties = 0; ties < 2; ties++) {
        size_t n = sizes[i];
        float *v = malloc(n * sizeof *v), *w = malloc(n * sizeof *w);
        for (size_t t = 0; t < n; t++)
          v[t] = ties ? (float)(int)(uniform() * 5) : (float)gauss();
        memcpy(w, v, n * sizeof *v);
        double want = brute_quantile(v, n, qs[j]);
        double got = vg_quantile(w, n, qs[j]);
        CHECK(close_to(got, want, 1e-12), "n=%zu q=%g ties=%d: %.9g vs %.9g", n, qs[j], ties, got,
              want);
        free(v);
        free(w);
      }
  /* hand: quantile 0.999 of 0..999 is 998.001 */
  float v[1000];
  for (int i = 0; i < 1000; i++)
    v[i] = (float)((i * 7919) % 1000);
  CHECK(close_to(vg_quantile(v, 1000, 0.999), 998.001, 1e-12), "hand quantile");
}

/* Pushes scores 0..n-1 at indices and collects events. */
static int push_events(VgEventDetector *d, const double *s, int n, VgEvent *out)
{
  int k = 0;
  for (int i = 0; i < n; i++) {
    VgEvent ev;
    vg_event_detector_push(d, s[i], (uint64_t)i, 1000 + i, &ev);
    if (ev.kind != VG_EVENT_NONE)
      out[k++] = ev;
  }
  return k;
}

static void test_events(void)
{
  VgEventDetector d;
  VgEvent ev[8];
  /* threshold 1, no hysteresis: one event over frames 2..4, peak 5 */
  const double a[] = {0, 1, 2, 5, 3, 1, 0.5, 2, 0};
  vg_event_detector_init(&d, 1.0, 0.0, 1);
  int n = push_events(&d, a, 9, ev);
  CHECK(n == 4, "events %d", n);
  CHECK(ev[0].kind == VG_EVENT_START && ev[0].start_index == 2 && ev[0].start_time == 1002 &&
            ev[0].frames == 1 && ev[0].score == 2,
        "start 1");
  CHECK(ev[1].kind == VG_EVENT_END && ev[1].start_index == 2 && ev[1].frames == 3 &&
            ev[1].peak == 5 && ev[1].score == 1,
        "end 1: frames %llu peak %g", (unsigned long long)ev[1].frames, ev[1].peak);
  CHECK(ev[2].kind == VG_EVENT_START && ev[2].start_index == 7, "start 2");
  CHECK(ev[3].kind == VG_EVENT_END && ev[3].frames == 1 && ev[3].peak == 2, "end 2");

  /* hysteresis 0.5: end level 0.5, so the dip to 1 and 0.6 does not end the event */
  const double b[] = {0, 2, 1, 0.6, 3, 0.5, 0};
  vg_event_detector_init(&d, 1.0, 0.5, 1);
  n = push_events(&d, b, 7, ev);
  CHECK(n == 2 && ev[0].start_index == 1 && ev[1].kind == VG_EVENT_END && ev[1].frames == 4 &&
            ev[1].peak == 3,
        "hysteresis: %d events", n);

  /* minimum duration 3: the run of 2 is no event; the run of 4 starts at 5, reported at 7 */
  const double c[] = {0, 2, 2, 0, 0, 2, 4, 3, 2, 0};
  vg_event_detector_init(&d, 1.0, 0.0, 3);
  n = push_events(&d, c, 10, ev);
  CHECK(n == 2, "min duration: %d events", n);
  CHECK(ev[0].kind == VG_EVENT_START && ev[0].start_index == 5 && ev[0].frames == 3 &&
            ev[0].peak == 4 && ev[0].start_time == 1005,
        "min duration start");
  CHECK(ev[1].kind == VG_EVENT_END && ev[1].frames == 4 && ev[1].peak == 4, "min duration end");

  /* flush ends an active event at the given index */
  const double e[] = {0, 5, 6};
  vg_event_detector_init(&d, 1.0, 0.0, 1);
  push_events(&d, e, 3, ev);
  VgEvent f;
  vg_event_detector_flush(&d, 3, &f);
  CHECK(f.kind == VG_EVENT_END && f.frames == 2 && f.peak == 6, "flush");
  vg_event_detector_flush(&d, 4, &f);
  CHECK(f.kind == VG_EVENT_NONE, "second flush");

  /* a NaN threshold (not learned yet) never fires */
  vg_event_detector_init(&d, NAN, 0.0, 1);
  CHECK(push_events(&d, a, 9, ev) == 0, "NaN threshold");
}

static VgAnomaly *make(VgAnomalyMethod m, size_t k, size_t warmup, size_t window)
{
  VgAnomalyConfig cfg;
  VgError err;
  vg_anomaly_config_default(&cfg, k);
  cfg.method = m;
  cfg.warmup = warmup;
  cfg.window = window;
  VgAnomaly *a = vg_anomaly_create(&cfg, &err);
  CHECK(a != NULL, "create: %s", err.msg);
  return a;
}

/* ZSCORE with window 0: |x - mean| / sd of all previous frames, combined by max. */
static void test_zscore_scores(void)
{
  enum { N = 200, K = 3 };
  float x[N][K];
  VgAnomaly *a = make(VG_ANOMALY_ZSCORE, K, 10, 0);
  for (int t = 0; t < N; t++) {
    for (int c = 0; c < K; c++)
      x[t][c] = (float)(c * 10.0 + (c + 1) * gauss());
    VgAnomalyResult r;
    vg_anomaly_push(a, x[t], t, &r);
    double best = 0.0;
    for (int c = 0; c < K && t > 1; c++) {
      double m = 0, v = 0;
      for (int i = 0; i < t; i++)
        m += x[i][c];
      m /= t;
      for (int i = 0; i < t; i++)
        v += (x[i][c] - m) * (x[i][c] - m);
      double z = fabs(x[t][c] - m) / sqrt(v / t);
      best = z > best ? z : best;
    }
    /* frames 0 and 1 score 0: a deviation needs two values (frame 1 once scored ~1e6) */
    CHECK(close_to(r.score, best, 1e-6), "t=%d zscore %.9g vs %.9g", t, r.score, best);
    CHECK(r.scored && r.warming == (t < 10), "flags at %d", t);
  }
  vg_anomaly_destroy(a);
}

/* MAD: |x - med| / (1.4826 MAD) of the previous `window` values, combined by mean and L2. */
static void test_mad_scores(void)
{
  enum { N = 150, K = 2, W = 16 };
  float x[N][K], col[W];
  for (int comb = VG_COMBINE_MEAN; comb <= VG_COMBINE_L2; comb++) {
    VgAnomalyConfig cfg;
    vg_anomaly_config_default(&cfg, K);
    cfg.method = VG_ANOMALY_MAD;
    cfg.window = W;
    cfg.combine = comb;
    VgAnomaly *a = vg_anomaly_create(&cfg, NULL);
    for (int t = 0; t < N; t++) {
      for (int c = 0; c < K; c++)
        x[t][c] = (float)(c == 0 ? gauss() : (int)(uniform() * 4));
      VgAnomalyResult r;
      vg_anomaly_push(a, x[t], t, &r);
      if (t < 2) { /* a deviation needs two values */
        CHECK(r.score == 0.0, "comb %d t=%d mad score %.9g before two values", comb, t, r.score);
        continue;
      }
      int lo = t >= W ? t - W : 0;
      double s[K];
      for (int c = 0; c < K; c++) {
        for (int i = lo; i < t; i++)
          col[i - lo] = x[i][c];
        double med = brute_median(col, t - lo), mad = brute_mad(col, t - lo);
        double sd = VG_MAD_TO_SIGMA * mad, fl = 1e-6 * fabs(med) + 1e-12;
        s[c] = fabs(x[t][c] - med) / (sd > fl ? sd : fl);
      }
      double want = comb == VG_COMBINE_MEAN ? (s[0] + s[1]) / 2 : sqrt(s[0] * s[0] + s[1] * s[1]);
      CHECK(close_to(r.score, want, 1e-6), "comb %d t=%d mad score %.9g vs %.9g", comb, t, r.score,
            want);
    }
    vg_anomaly_destroy(a);
  }
}

/* LIKELIHOOD: the short mean of 5 against the previous short means of the last 40 frames. */
static void test_likelihood_scores(void)
{
  enum { N = 300, S = 5, W = 40 };
  double x[N], avg[N];
  VgAnomalyConfig cfg;
  vg_anomaly_config_default(&cfg, 1);
  cfg.method = VG_ANOMALY_LIKELIHOOD;
  cfg.short_window = S;
  cfg.window = W;
  VgAnomaly *a = vg_anomaly_create(&cfg, NULL);
  for (int t = 0; t < N; t++) {
    x[t] = (float)(2.0 + 0.3 * gauss() + (t >= 250 ? 1.0 : 0.0));
    float f = (float)x[t];
    VgAnomalyResult r;
    vg_anomaly_push(a, &f, t, &r);
    int lo = t >= S - 1 ? t - S + 1 : 0;
    avg[t] = 0;
    for (int i = lo; i <= t; i++)
      avg[t] += (float)x[i];
    avg[t] /= t - lo + 1;
    double want = 0.5; /* until the long-run distribution holds two values */
    if (t > 1) {
      int hlo = t >= W ? t - W : 0;
      double m = 0, v = 0;
      for (int i = hlo; i < t; i++)
        m += avg[i];
      m /= t - hlo;
      for (int i = hlo; i < t; i++)
        v += (avg[i] - m) * (avg[i] - m);
      double sd = sqrt(v / (t - hlo)), fl = 1e-6 * fabs(m) + 1e-12;
      want = 1.0 - 0.5 * erfc(fabs(avg[t] - m) / (sd > fl ? sd : fl) / sqrt(2.0));
    }
    CHECK(close_to(r.score, want, 1e-6), "t=%d likelihood %.9g vs %.9g", t, r.score, want);
  }
  CHECK(vg_anomaly_threshold(a) == VG_ANOMALY_DEFAULT_LIKELIHOOD, "likelihood default");
  vg_anomaly_destroy(a);
  CHECK(close_to(vg_likelihood_of_z(0.0), 0.5, 1e-15), "z=0");
  CHECK(close_to(vg_likelihood_of_z(-1.959963984540054), 0.975, 1e-12), "z=1.96");
}

/* THRESHOLD: learned as 4/3 x the 0.999 quantile of the warmup; a step above it makes exactly
 * one event with the step's peak and length; warmup frames never fire, even when high. */
static void test_threshold_step(void)
{
  enum { WARM = 400, N = 1000 };
  float warm[WARM];
  VgAnomaly *a = make(VG_ANOMALY_THRESHOLD, 1, WARM, 0);
  int starts = 0, ends = 0;
  VgEvent end = {0};
  for (int t = 0; t < N; t++) {
    float v = (float)(1.0 + 0.1 * uniform());
    if (t == 50)
      v = 100.0f; /* in the warmup: learned from, no event */
    if (t >= 600 && t < 630)
      v = (float)(10.0 + (t == 610 ? 5.0 : 0.0));
    if (t < WARM)
      warm[t] = v;
    VgAnomalyResult r;
    vg_anomaly_push(a, &v, (int64_t)t * 10, &r);
    CHECK(r.score == v, "threshold score is the value");
    if (t == WARM - 1) {
      double want = 4.0 / 3.0 * brute_quantile(warm, WARM, 0.999);
      CHECK(close_to(vg_anomaly_threshold(a), want, 1e-12), "learned %.9g vs %.9g",
            vg_anomaly_threshold(a), want);
    } else if (t < WARM - 1) {
      CHECK(isnan(vg_anomaly_threshold(a)), "no threshold during warmup");
    }
    if (r.event.kind == VG_EVENT_START) {
      starts++;
      CHECK(t == 600 && r.event.start_time == 6000, "start at %d", t);
    }
    if (r.event.kind == VG_EVENT_END) {
      ends++;
      end = r.event;
      CHECK(t == 630, "end at %d", t);
    }
  }
  /* The warmup spike at 100 makes the quantile large: the 0.999 quantile of 400 values
   * interpolates between the two largest, so the threshold sits below 100 but above 15. */
  CHECK(vg_anomaly_threshold(a) > 15.0, "threshold %g", vg_anomaly_threshold(a));
  CHECK(starts == 0 && ends == 0, "a threshold above the step: %d %d", starts, ends);
  vg_anomaly_destroy(a);

  /* Without the warmup spike: one event, peak 15, 30 frames. */
  a = make(VG_ANOMALY_THRESHOLD, 1, WARM, 0);
  starts = ends = 0;
  for (int t = 0; t < N; t++) {
    float v = (float)(1.0 + 0.1 * uniform());
    if (t >= 600 && t < 630)
      v = (float)(10.0 + (t == 610 ? 5.0 : 0.0));
    VgAnomalyResult r;
    vg_anomaly_push(a, &v, (int64_t)t * 10, &r);
    starts += r.event.kind == VG_EVENT_START;
    if (r.event.kind == VG_EVENT_END) {
      ends++;
      end = r.event;
    }
  }
  CHECK(starts == 1 && ends == 1, "step: %d starts %d ends", starts, ends);
  CHECK(end.peak == 15.0 && end.frames == 30 && end.start_index == 600 && end.start_time == 6000,
        "step end: peak %g frames %llu", end.peak, (unsigned long long)end.frames);
  vg_anomaly_destroy(a);
}

/* Non-finite frames are not scored, do not count towards the warmup, and leave every statistic
 * as if they had never been pushed. */
static void test_nonfinite(void)
{
  for (int m = VG_ANOMALY_THRESHOLD; m <= VG_ANOMALY_LIKELIHOOD; m++) {
    VgAnomaly *clean = make((VgAnomalyMethod)m, 2, 20, m == VG_ANOMALY_ZSCORE ? 0 : 8);
    VgAnomaly *dirty = make((VgAnomalyMethod)m, 2, 20, m == VG_ANOMALY_ZSCORE ? 0 : 8);
    int unscored = 0;
    for (int t = 0; t < 200; t++) {
      float f[2] = {(float)gauss(), (float)(3 + gauss())};
      if (t % 7 == 3) {
        float bad[2] = {f[0], t % 2 ? NAN : INFINITY};
        if (t % 3 == 0)
          bad[0] = -INFINITY;
        VgAnomalyResult r;
        vg_anomaly_push(dirty, bad, t, &r);
        CHECK(!r.scored && isnan(r.score), "non-finite frame scored");
        unscored++;
      }
      VgAnomalyResult rc, rd;
      vg_anomaly_push(clean, f, t, &rc);
      vg_anomaly_push(dirty, f, t, &rd);
      CHECK(rc.score == rd.score && rc.warming == rd.warming, "method %d t=%d: %g vs %g", m, t,
            rc.score, rd.score);
    }
    CHECK(unscored > 20 && vg_anomaly_scored(clean) == vg_anomaly_scored(dirty), "counts");
    CHECK(vg_anomaly_threshold(clean) == vg_anomaly_threshold(dirty) ||
              (isnan(vg_anomaly_threshold(clean)) && isnan(vg_anomaly_threshold(dirty))),
          "thresholds");
    vg_anomaly_destroy(clean);
    vg_anomaly_destroy(dirty);
  }
}

/* reset forgets everything: the same stream gives the same scores again. adapt = 0 freezes. */
static void test_reset_and_freeze(void)
{
  float v[60];
  VgAnomalyResult r;
  VgAnomaly *a = make(VG_ANOMALY_ZSCORE, 1, 10, 0);
  double first[60];
  for (int t = 0; t < 60; t++) {
    v[t] = (float)gauss();
    vg_anomaly_push(a, &v[t], t, &r);
    first[t] = r.score;
  }
  vg_anomaly_reset(a);
  for (int t = 0; t < 60; t++) {
    vg_anomaly_push(a, &v[t], t, &r);
    CHECK(r.score == first[t] && r.warming == (t < 10), "after reset t=%d", t);
  }
  vg_anomaly_destroy(a);

  VgAnomalyConfig cfg;
  vg_anomaly_config_default(&cfg, 1);
  cfg.warmup = 10;
  cfg.adapt = 0;
  a = vg_anomaly_create(&cfg, NULL);
  double m = 0, var = 0;
  for (int t = 0; t < 10; t++)
    m += v[t] / 10.0;
  for (int t = 0; t < 10; t++)
    var += (v[t] - m) * (v[t] - m) / 10.0;
  for (int t = 0; t < 60; t++) {
    vg_anomaly_push(a, &v[t], t, &r);
    if (t >= 10)
      CHECK(close_to(r.score, fabs(v[t] - m) / sqrt(var), 1e-6), "frozen t=%d", t);
  }
  vg_anomaly_destroy(a);
}

static void expect_bad(VgAnomalyConfig cfg, const char *needle)
{
  VgError err = {{0}};
  VgAnomaly *a = vg_anomaly_create(&cfg, &err);
  CHECK(a == NULL, "accepted a bad config (%s)", needle);
  CHECK(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
  vg_anomaly_destroy(a);
}

static void test_config_errors(void)
{
  VgAnomalyConfig c, d;
  vg_anomaly_config_default(&c, 4);
  d = c, d.channels = 0, expect_bad(d, "at least one channel");
  d = c, d.quantile = 1.5, expect_bad(d, "quantile");
  d = c, d.factor = 0, expect_bad(d, "factor");
  d = c, d.threshold = NAN, expect_bad(d, "finite");
  d = c, d.hysteresis = -1, expect_bad(d, "hysteresis");
  d = c, d.method = VG_ANOMALY_THRESHOLD, d.warmup = 0, expect_bad(d, "needs a threshold");
  d = c, d.method = VG_ANOMALY_MAD, d.warmup = 0, expect_bad(d, "needs a window");
  d = c, d.method = VG_ANOMALY_LIKELIHOOD, d.short_window = 0, expect_bad(d, "short window");
  d = c, d.method = VG_ANOMALY_MAD, d.window = (size_t)1 << 40, expect_bad(d, "too large");
  d = c, d.method = VG_ANOMALY_LIKELIHOOD, d.window = SIZE_MAX, expect_bad(d, "too large");
  d = c, d.method = VG_ANOMALY_THRESHOLD, d.warmup = SIZE_MAX / 2, expect_bad(d, "too long");
  d = c, d.method = (VgAnomalyMethod)9, expect_bad(d, "unknown method");
  d = c, d.method = VG_ANOMALY_ZSCORE, d.window = 1, expect_bad(d, "window of 1 frame");
  d = c, d.method = VG_ANOMALY_MAD, d.window = 0, d.warmup = 1, expect_bad(d, "window of 1 frame");
  d = c, d.method = VG_ANOMALY_LIKELIHOOD, d.window = 1, expect_bad(d, "window of 1 frame");
}

int main(void)
{
  test_welford();
  test_ewma();
  test_median();
  test_quantile();
  test_events();
  test_zscore_scores();
  test_mad_scores();
  test_likelihood_scores();
  test_threshold_step();
  test_nonfinite();
  test_reset_and_freeze();
  test_config_errors();
  printf("anomaly kernels: %d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
