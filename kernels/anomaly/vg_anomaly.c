/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_anomaly.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vg_likelihood.h"
#include "vg_median.h"
#include "vg_moments.h"
#include "vg_quantile.h"

struct VgAnomaly {
  VgAnomalyConfig cfg;
  size_t mad_window;
  /* per-channel state: one of these arrays is used, after the method */
  VgWelford *welford; /* ZSCORE, window 0 */
  VgEwma *ewma;       /* ZSCORE, window N */
  VgSlidingMedian **median;
  VgLikelihood *lik;
  double *lik_store; /* (short_window + window) doubles per channel */
  double *chan;      /* channel scores of the current frame */
  float *warm;       /* THRESHOLD's warmup scores, to learn its threshold from */
  double learned;    /* factor x quantile of the warmup scores; NaN until learned */
  double threshold;  /* in force; NaN while THRESHOLD is learning it */
  VgEventDetector events;
  uint64_t pushed; /* frames pushed, the index of events */
  uint64_t scored;
};

void vg_anomaly_config_default(VgAnomalyConfig *cfg, size_t channels)
{
  memset(cfg, 0, sizeof *cfg);
  cfg->method = VG_ANOMALY_ZSCORE;
  cfg->combine = VG_COMBINE_MAX;
  cfg->channels = channels;
  cfg->warmup = 100;
  cfg->window = 0;
  cfg->short_window = 10;
  cfg->adapt = 1;
  cfg->threshold = 0.0;
  cfg->quantile = 0.999;
  cfg->factor = 4.0 / 3.0;
  cfg->hysteresis = 0.0;
  cfg->min_duration = 1;
}

static double default_threshold(VgAnomalyMethod method)
{
  switch (method) {
  case VG_ANOMALY_ZSCORE:
    return VG_ANOMALY_DEFAULT_ZSCORE;
  case VG_ANOMALY_MAD:
    return VG_ANOMALY_DEFAULT_MAD;
  case VG_ANOMALY_LIKELIHOOD:
    return VG_ANOMALY_DEFAULT_LIKELIHOOD;
  default:
    return NAN; /* THRESHOLD learns it */
  }
}

static int check_config(const VgAnomalyConfig *c, VgError *err)
{
  if (c->method > VG_ANOMALY_LIKELIHOOD || c->combine > VG_COMBINE_L2)
    return vg_error_set(err, "anomaly: unknown method or channel combination");
  if (c->channels == 0)
    return vg_error_set(err, "anomaly: frames must hold at least one channel");
  if (!(c->quantile >= 0.0 && c->quantile <= 1.0))
    return vg_error_set(err, "anomaly: quantile %g is outside [0, 1]", c->quantile);
  if (!(c->factor > 0.0 && isfinite(c->factor)))
    return vg_error_set(err, "anomaly: factor %g must be positive", c->factor);
  if (!isfinite(c->threshold) || !(c->hysteresis >= 0.0 && isfinite(c->hysteresis)))
    return vg_error_set(err, "anomaly: threshold and hysteresis must be finite, hysteresis >= 0");
  if (c->method == VG_ANOMALY_THRESHOLD && c->threshold == 0.0 && c->warmup == 0)
    return vg_error_set(err, "anomaly: method threshold needs a threshold, or a warmup to learn "
                             "it from (warmup > 0)");
  if (c->method == VG_ANOMALY_MAD && c->window == 0 && c->warmup == 0)
    return vg_error_set(err, "anomaly: method mad needs a window (or a warmup, whose length "
                             "is then the window)");
  size_t w = c->method == VG_ANOMALY_MAD && c->window == 0 ? c->warmup : c->window;
  if (c->method != VG_ANOMALY_THRESHOLD && w == 1)
    return vg_error_set(err, "anomaly: a window of 1 frame holds no deviation to score against "
                             "(mad with window=0 takes the warmup's length): use 0 (zscore, "
                             "likelihood: all frames) or at least 2");
  if (c->method == VG_ANOMALY_LIKELIHOOD && c->short_window == 0)
    return vg_error_set(err, "anomaly: the likelihood's short window must be at least 1 frame");
  return VG_OK;
}

/* Bytes of per-channel state, checked for overflow and against VG_ANOMALY_STATE_MAX. */
static int state_bytes(const VgAnomaly *a, size_t per_channel, VgError *err)
{
  size_t total;
  if (!vg_size_mul(per_channel, a->cfg.channels, &total) || total > VG_ANOMALY_STATE_MAX)
    return vg_error_set(err,
                        "anomaly: %zu channels with these windows would need more than %zu MiB",
                        a->cfg.channels, VG_ANOMALY_STATE_MAX >> 20);
  return VG_OK;
}

static int alloc_median(VgAnomaly *a, VgError *err)
{
  size_t per;
  if (!vg_size_mul(a->mad_window, 2 * sizeof(float), &per) || state_bytes(a, per, err))
    return vg_error_set(err, "anomaly: a mad window of %zu frames on %zu channels is too large",
                        a->mad_window, a->cfg.channels);
  a->median = calloc(a->cfg.channels, sizeof *a->median);
  if (!a->median)
    return vg_error_set(err, "anomaly: out of memory");
  for (size_t c = 0; c < a->cfg.channels; c++)
    if (!(a->median[c] = vg_sliding_median_create(a->mad_window, err)))
      return vg_error_prefix(err, "anomaly");
  return VG_OK;
}

static int alloc_likelihood(VgAnomaly *a, VgError *err)
{
  size_t per, bytes;
  const VgAnomalyConfig *c = &a->cfg;
  if (!vg_size_add(c->short_window, c->window, &per) || !vg_size_mul(per, sizeof(double), &bytes) ||
      state_bytes(a, bytes, err))
    return vg_error_set(err,
                        "anomaly: likelihood windows of %zu and %zu frames on %zu channels "
                        "are too large",
                        c->short_window, c->window, c->channels);
  a->lik = calloc(c->channels, sizeof *a->lik);
  a->lik_store = malloc(bytes * c->channels);
  if (!a->lik || !a->lik_store)
    return vg_error_set(err, "anomaly: out of memory");
  for (size_t i = 0; i < c->channels; i++) {
    double *base = a->lik_store + i * per;
    vg_likelihood_init(&a->lik[i], base, c->short_window, base + c->short_window, c->window);
  }
  return VG_OK;
}

static int alloc_state(VgAnomaly *a, VgError *err)
{
  const VgAnomalyConfig *c = &a->cfg;
  a->chan = calloc(c->channels, sizeof *a->chan);
  if (!a->chan)
    return vg_error_set(err, "anomaly: out of memory for %zu channels", c->channels);
  if (c->method == VG_ANOMALY_THRESHOLD && c->warmup > 0 &&
      !(a->warm = malloc(c->warmup * sizeof *a->warm)))
    return vg_error_set(err, "anomaly: out of memory for a warmup of %zu frames", c->warmup);
  switch (c->method) {
  case VG_ANOMALY_ZSCORE:
    if (c->window == 0)
      a->welford = calloc(c->channels, sizeof *a->welford);
    else
      a->ewma = calloc(c->channels, sizeof *a->ewma);
    if (!a->welford && !a->ewma)
      return vg_error_set(err, "anomaly: out of memory for %zu channels", c->channels);
    return VG_OK;
  case VG_ANOMALY_MAD:
    return alloc_median(a, err);
  case VG_ANOMALY_LIKELIHOOD:
    return alloc_likelihood(a, err);
  default:
    return VG_OK;
  }
}

VgAnomaly *vg_anomaly_create(const VgAnomalyConfig *cfg, VgError *err)
{
  if (check_config(cfg, err))
    return NULL;
  if (cfg->warmup > VG_ANOMALY_STATE_MAX / sizeof(float)) {
    vg_error_set(err, "anomaly: a warmup of %zu frames is too long", cfg->warmup);
    return NULL;
  }
  VgAnomaly *a = calloc(1, sizeof *a);
  if (!a) {
    vg_error_set(err, "anomaly: out of memory");
    return NULL;
  }
  a->cfg = *cfg;
  a->mad_window = cfg->window ? cfg->window : cfg->warmup;
  if (alloc_state(a, err)) {
    vg_anomaly_destroy(a);
    return NULL;
  }
  vg_event_detector_init(&a->events, 0.0, cfg->hysteresis, cfg->min_duration);
  vg_anomaly_reset(a);
  return a;
}

void vg_anomaly_destroy(VgAnomaly *a)
{
  if (!a)
    return;
  if (a->median)
    for (size_t c = 0; c < a->cfg.channels; c++)
      vg_sliding_median_destroy(a->median[c]);
  free(a->median);
  free(a->welford);
  free(a->ewma);
  free(a->lik);
  free(a->lik_store);
  free(a->chan);
  free(a->warm);
  free(a);
}

void vg_anomaly_reset(VgAnomaly *a)
{
  size_t k = a->cfg.channels;
  double alpha = a->cfg.window ? 2.0 / ((double)a->cfg.window + 1.0) : 1.0;
  for (size_t c = 0; c < k; c++) {
    if (a->welford)
      vg_welford_reset(&a->welford[c]);
    if (a->ewma)
      vg_ewma_init(&a->ewma[c], alpha);
    if (a->median)
      vg_sliding_median_reset(a->median[c]);
    if (a->lik)
      vg_likelihood_reset(&a->lik[c]);
  }
  a->scored = 0;
  a->learned = NAN;
  vg_event_detector_reset(&a->events);
  vg_anomaly_set_events(a, a->cfg.threshold, a->cfg.hysteresis, a->cfg.min_duration);
}

void vg_anomaly_set_events(VgAnomaly *a, double threshold, double hysteresis, uint64_t min_duration)
{
  a->cfg.threshold = threshold;
  a->cfg.hysteresis = hysteresis;
  a->cfg.min_duration = min_duration;
  if (threshold != 0.0)
    a->threshold = threshold;
  else if (a->cfg.method != VG_ANOMALY_THRESHOLD)
    a->threshold = default_threshold(a->cfg.method);
  else
    a->threshold = a->learned; /* NaN until the end of the warmup */
  vg_event_detector_set(&a->events, a->threshold, hysteresis, min_duration);
}

void vg_anomaly_restart(VgAnomaly *a, VgEvent *ev)
{
  vg_event_detector_flush(&a->events, a->pushed, ev);
  if (a->lik)
    for (size_t c = 0; c < a->cfg.channels; c++)
      vg_likelihood_restart(&a->lik[c]);
}

void vg_anomaly_finish(VgAnomaly *a, VgEvent *ev)
{
  vg_event_detector_flush(&a->events, a->pushed, ev);
}

double vg_anomaly_threshold(const VgAnomaly *a)
{
  return a->threshold;
}

uint64_t vg_anomaly_scored(const VgAnomaly *a)
{
  return a->scored;
}

int vg_anomaly_warming(const VgAnomaly *a)
{
  return a->scored < a->cfg.warmup;
}

int vg_anomaly_in_event(const VgAnomaly *a)
{
  return a->events.active;
}

/* |x - centre| / sd, with sd floored (vg_anomaly.h). */
static double deviation(double x, double centre, double sd)
{
  double floor_sd = vg_sd_floor(centre);
  return fabs(x - centre) / (sd > floor_sd ? sd : floor_sd);
}

/* A deviation needs two values: before them a channel scores 0, not |x - x0| over the floor. */
static void score_zscore(VgAnomaly *a, const float *x, int learn)
{
  for (size_t c = 0; c < a->cfg.channels; c++) {
    if (a->welford) {
      VgWelford *w = &a->welford[c];
      a->chan[c] = w->n >= 2 ? deviation(x[c], w->mean, sqrt(vg_welford_var(w))) : 0.0;
      if (learn)
        vg_welford_add(w, x[c]);
    } else {
      VgEwma *e = &a->ewma[c];
      a->chan[c] = e->n >= 2 ? deviation(x[c], e->mean, sqrt(e->var)) : 0.0;
      if (learn)
        vg_ewma_add(e, x[c]);
    }
  }
}

static void score_mad(VgAnomaly *a, const float *x, int learn)
{
  for (size_t c = 0; c < a->cfg.channels; c++) {
    VgSlidingMedian *m = a->median[c];
    if (vg_sliding_median_count(m) >= 2) {
      double med = vg_sliding_median_median(m);
      a->chan[c] = deviation(x[c], med, VG_MAD_TO_SIGMA * vg_sliding_median_mad(m));
    } else {
      a->chan[c] = 0.0;
    }
    if (learn)
      vg_sliding_median_push(m, x[c]);
  }
}

static void score_channels(VgAnomaly *a, const float *x, int learn)
{
  switch (a->cfg.method) {
  case VG_ANOMALY_ZSCORE:
    score_zscore(a, x, learn);
    break;
  case VG_ANOMALY_MAD:
    score_mad(a, x, learn);
    break;
  case VG_ANOMALY_LIKELIHOOD:
    for (size_t c = 0; c < a->cfg.channels; c++)
      a->chan[c] = vg_likelihood_push(&a->lik[c], x[c], learn);
    break;
  default:
    for (size_t c = 0; c < a->cfg.channels; c++)
      a->chan[c] = x[c];
  }
}

static double combine(const VgAnomaly *a)
{
  const double *s = a->chan;
  size_t k = a->cfg.channels;
  double r = a->cfg.combine == VG_COMBINE_MAX ? s[0] : 0.0;
  switch (a->cfg.combine) {
  case VG_COMBINE_MAX:
    for (size_t c = 1; c < k; c++)
      r = s[c] > r ? s[c] : r;
    return r;
  case VG_COMBINE_MEAN:
    for (size_t c = 0; c < k; c++)
      r += s[c];
    return r / (double)k;
  default:
    for (size_t c = 0; c < k; c++)
      r += s[c] * s[c];
    return sqrt(r);
  }
}

static int all_finite(const float *x, size_t k)
{
  for (size_t c = 0; c < k; c++)
    if (!isfinite(x[c]))
      return 0;
  return 1;
}

/* The warmup's last frame: THRESHOLD learns its threshold from the stored scores. */
static void end_warmup(VgAnomaly *a)
{
  if (!a->warm)
    return;
  a->learned = a->cfg.factor * vg_quantile(a->warm, a->cfg.warmup, a->cfg.quantile);
  vg_anomaly_set_events(a, a->cfg.threshold, a->cfg.hysteresis, a->cfg.min_duration);
}

int vg_anomaly_push(VgAnomaly *a, const float *frame, int64_t time, VgAnomalyResult *res)
{
  uint64_t index = a->pushed++;
  memset(res, 0, sizeof *res);
  if (!all_finite(frame, a->cfg.channels)) {
    res->score = NAN;
    return VG_OK;
  }
  int warming = a->scored < a->cfg.warmup;
  score_channels(a, frame, warming || a->cfg.adapt);
  double s = combine(a);
  res->score = (float)s;
  res->scored = 1;
  res->warming = warming;
  if (warming) {
    if (a->warm)
      a->warm[a->scored] = (float)s;
    if (++a->scored == a->cfg.warmup)
      end_warmup(a);
    return VG_OK;
  }
  a->scored++;
  vg_event_detector_push(&a->events, s, index, time, &res->event);
  return VG_OK;
}
