/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vg_events.h"

#include <math.h>
#include <string.h>

void vg_event_detector_init(VgEventDetector *d, double threshold, double hysteresis,
                            uint64_t min_duration)
{
  memset(d, 0, sizeof *d);
  vg_event_detector_set(d, threshold, hysteresis, min_duration);
}

void vg_event_detector_set(VgEventDetector *d, double threshold, double hysteresis,
                           uint64_t min_duration)
{
  d->threshold = threshold;
  d->hysteresis = hysteresis > 0.0 ? hysteresis : 0.0;
  d->min_duration = min_duration > 0 ? min_duration : 1;
}

void vg_event_detector_reset(VgEventDetector *d)
{
  d->active = 0;
  d->run = 0;
  d->peak = 0.0;
}

static void fill(const VgEventDetector *d, VgEventKind kind, uint64_t index, double score,
                 VgEvent *ev)
{
  ev->kind = kind;
  ev->start_index = d->start_index;
  ev->start_time = d->start_time;
  ev->frames = index - d->start_index + (kind == VG_EVENT_START ? 1 : 0);
  ev->peak = d->peak;
  ev->score = score;
  ev->threshold = d->threshold;
}

void vg_event_detector_push(VgEventDetector *d, double score, uint64_t index, int64_t time,
                            VgEvent *ev)
{
  ev->kind = VG_EVENT_NONE;
  if (d->active) {
    double end_level = d->threshold - d->hysteresis * fabs(d->threshold);
    if (score > end_level) {
      if (score > d->peak)
        d->peak = score;
      return;
    }
    fill(d, VG_EVENT_END, index, score, ev);
    vg_event_detector_reset(d);
    return;
  }
  if (!(score > d->threshold)) {
    d->run = 0;
    return;
  }
  if (d->run++ == 0) {
    d->start_index = index;
    d->start_time = time;
    d->peak = score;
  } else if (score > d->peak) {
    d->peak = score;
  }
  if (d->run >= d->min_duration) {
    d->active = 1;
    fill(d, VG_EVENT_START, index, score, ev);
  }
}

void vg_event_detector_flush(VgEventDetector *d, uint64_t index, VgEvent *ev)
{
  ev->kind = VG_EVENT_NONE;
  if (d->active)
    fill(d, VG_EVENT_END, index, NAN, ev);
  vg_event_detector_reset(d);
}
