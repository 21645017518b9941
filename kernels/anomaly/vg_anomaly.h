/* Vigil kernels: streaming anomaly scores of multichannel frames, thresholds and events.
 *
 * Each pushed frame holds K channel values. A method turns each channel value into a channel
 * score, the channel scores combine into the frame's score (max, mean, or L2 norm
 * sqrt(sum s_c^2)), and the frame's score drives an event detector (vg_events.h).
 *
 * Methods (per channel c; every statistic is taken BEFORE the frame is added, so an anomaly does
 * not mask itself):
 *   THRESHOLD   s_c = x_c, the raw value (e.g. a reconstruction error).
 *   ZSCORE      s_c = |x_c - mean_c| / sd_c. window = 0: mean and population variance of every
 * frame so far (Welford); window = N: exponentially weighted, alpha = 2 / (N + 1) (vg_ewma). MAD
 * s_c = |x_c - med_c| / (1.4826 MAD_c): median and MAD of the last `window` values (window = 0: the
 * last `warmup` values). 1.4826 MAD estimates the standard deviation of normal data, so the score
 * reads in sigmas like ZSCORE, but one outlier in the window barely moves it (Iglewicz and
 * Hoaglin's modified z-score). LIKELIHOOD  Numenta's anomaly likelihood (Ahmad et al.,
 * "Unsupervised real-time anomaly detection for streaming data", Neurocomputing 2017): a_c = the
 * mean of the last `short_window` values (Numenta: 10); its long-run distribution is modelled as a
 *               normal N(m_c, v_c) fitted to the previous a_c values over the last `window` frames
 *               (0: all frames so far; Numenta: 8640). With z = (a_c - m_c) / sqrt(v_c), the tail
 *               probability is Q = erfc(|z| / sqrt(2)) / 2 (two-sided by reflection, as Numenta's
 *               tailProbability) and s_c = 1 - Q, in [0.5, 1): 0.9999 means Q = 1e-4.
 * A deviation smaller than 1e-6 |centre| + 1e-12 (centre: the mean or median) counts as that much:
 * a constant channel does not divide by zero, and changes at the resolution of float32 stay small.
 *
 * Warmup: the first `warmup` scored frames learn the statistics and never raise an event. With
 * threshold = 0 (automatic), THRESHOLD learns its threshold as factor x the `quantile` of the
 * warmup frames' scores (linear interpolation, numpy.quantile); the other methods use fixed
 * defaults: ZSCORE 3, MAD 3.5, LIKELIHOOD 0.9999. With adapt = 0 the statistics freeze after the
 * warmup; otherwise they keep following the stream.
 *
 * A frame with a NaN or infinite value is not scored (score NaN), touches no statistic, and does
 * not count towards the warmup.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_ANOMALY_H
#define VG_ANOMALY_H

#include <stddef.h>
#include <stdint.h>
#include "../vg_error.h"
#include "vg_events.h"

typedef enum {
  VG_ANOMALY_THRESHOLD = 0,
  VG_ANOMALY_ZSCORE,
  VG_ANOMALY_MAD,
  VG_ANOMALY_LIKELIHOOD,
} VgAnomalyMethod;

typedef enum {
  VG_COMBINE_MAX = 0,
  VG_COMBINE_MEAN,
  VG_COMBINE_L2,
} VgCombine;

#define VG_ANOMALY_DEFAULT_ZSCORE     3.0
#define VG_ANOMALY_DEFAULT_MAD        3.5
#define VG_ANOMALY_DEFAULT_LIKELIHOOD 0.9999
/* 1.4826 = 1 / Phi^-1(3/4): the MAD of normal data is 0.6745 sigma. */
#define VG_MAD_TO_SIGMA 1.482602218505602
/* Largest state a scorer may allocate, in bytes: bounds what a configuration can ask for. */
#define VG_ANOMALY_STATE_MAX ((size_t)1 << 30)

typedef struct {
  VgAnomalyMethod method;
  VgCombine combine;
  size_t channels;       /* K >= 1 */
  size_t warmup;         /* frames */
  size_t window;         /* see the methods above */
  size_t short_window;   /* LIKELIHOOD averaging window, >= 1 */
  int adapt;             /* keep learning after the warmup */
  double threshold;      /* 0: automatic */
  double quantile;       /* [0, 1], THRESHOLD's learned threshold */
  double factor;         /* > 0, multiplies the learned quantile */
  double hysteresis;     /* >= 0, fraction of |threshold| (vg_events.h) */
  uint64_t min_duration; /* frames >= 1 */
} VgAnomalyConfig;

/* Defaults: ZSCORE, MAX, warmup 100, window 0, short_window 10, adapt 1, threshold 0 (automatic),
 * quantile 0.999, factor 4/3, hysteresis 0, min_duration 1. */
void vg_anomaly_config_default(VgAnomalyConfig *cfg, size_t channels);

typedef struct VgAnomaly VgAnomaly;

typedef struct {
  float score;   /* the frame's combined score; NaN when the frame was not scored */
  int scored;    /* 0 for a frame with a non-finite value */
  int warming;   /* the frame was part of the warmup */
  VgEvent event; /* an event that starts or ends at this frame */
} VgAnomalyResult;

/* NULL with a message in err on a bad configuration or when memory runs out. */
VgAnomaly *vg_anomaly_create(const VgAnomalyConfig *cfg, VgError *err);
void vg_anomaly_destroy(VgAnomaly *a);

/* Forgets everything learned (statistics, warmup, learned threshold, any event in progress). */
void vg_anomaly_reset(VgAnomaly *a);
/* A discontinuity that keeps the learned statistics: ends an event in progress (ev, at the next
 * frame index) and forgets the short-term history (LIKELIHOOD's averaging window). */
void vg_anomaly_restart(VgAnomaly *a, VgEvent *ev);
/* End of stream: ends an event in progress (ev). */
void vg_anomaly_finish(VgAnomaly *a, VgEvent *ev);

/* Scores one frame of K values; time is an opaque stamp returned with events (vg_events.h). */
int vg_anomaly_push(VgAnomaly *a, const float *frame, int64_t time, VgAnomalyResult *res);

/* Changes the event parameters while streaming (threshold 0: automatic, as in the config). */
void vg_anomaly_set_events(VgAnomaly *a, double threshold, double hysteresis,
                           uint64_t min_duration);

/* The threshold in force; NaN while THRESHOLD is still learning it. */
double vg_anomaly_threshold(const VgAnomaly *a);
/* Frames scored since create or reset (warmup included). */
uint64_t vg_anomaly_scored(const VgAnomaly *a);
int vg_anomaly_warming(const VgAnomaly *a);
/* An event has started and not ended. */
int vg_anomaly_in_event(const VgAnomaly *a);

#endif
