/* Vigil kernels: anomaly events from a score stream, by threshold crossing with hysteresis and a
 * minimum duration.
 *
 * An event starts at the first frame of a run of at least `min_duration` consecutive frames whose
 * score exceeds the threshold (score > threshold); it is reported (VG_EVENT_START) at the frame
 * that completes the run. It ends at the first frame whose score falls to or below the end level,
 * threshold - hysteresis * |threshold| (hysteresis is a fraction of the threshold, >= 0), and is
 * reported there (VG_EVENT_END) with its peak score and its length in frames (from its first frame
 * up to, not including, the ending frame). A run shorter than min_duration is no event.
 *
 * Frames are counted by an index the caller supplies (consecutive pushes need not be consecutive
 * indices: frames that are not scored are skipped) and carry an opaque time stamp the caller
 * chooses (e.g. nanoseconds, or -1), returned with the event so the caller can date its start.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_EVENTS_H
#define VG_EVENTS_H

#include <stdint.h>

typedef enum {
  VG_EVENT_NONE = 0,
  VG_EVENT_START,
  VG_EVENT_END,
} VgEventKind;

typedef struct {
  VgEventKind kind;
  uint64_t start_index; /* index of the event's first frame */
  int64_t start_time;   /* the time stamp given with that frame */
  uint64_t frames;      /* START: frames from the first to the reporting one, inclusive;
                         * END: the event's length, first frame to the ending one excluded */
  double peak;          /* largest score of the event so far */
  double score;         /* the score of the reporting frame */
  double threshold;     /* the threshold in force */
} VgEvent;

typedef struct {
  double threshold;
  double hysteresis;     /* fraction of |threshold|, >= 0 */
  uint64_t min_duration; /* frames, >= 1 */
  /* state */
  int active;   /* an event has been reported and has not ended */
  uint64_t run; /* frames in the current run above the threshold (while not active) */
  uint64_t start_index;
  int64_t start_time;
  double peak;
} VgEventDetector;

void vg_event_detector_init(VgEventDetector *d, double threshold, double hysteresis,
                            uint64_t min_duration);
/* Changes the parameters; an event in progress continues under the new ones. */
void vg_event_detector_set(VgEventDetector *d, double threshold, double hysteresis,
                           uint64_t min_duration);
/* Forgets any run or event in progress (without reporting it). */
void vg_event_detector_reset(VgEventDetector *d);

/* Feeds the score of frame `index`; fills ev (kind VG_EVENT_NONE when nothing happens). */
void vg_event_detector_push(VgEventDetector *d, double score, uint64_t index, int64_t time,
                            VgEvent *ev);
/* Ends an event in progress as if its next frame, `index`, had fallen back (end of stream, a
 * discontinuity): ev is VG_EVENT_END if one was active, VG_EVENT_NONE otherwise. Resets the run. */
void vg_event_detector_flush(VgEventDetector *d, uint64_t index, VgEvent *ev);

#endif
