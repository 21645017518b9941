/* Vigil: the stft element, a short-time Fourier transform on FFTW3 (docs/elements/stft.md).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GST_STFT_H
#define GST_STFT_H

#include <gst/gst.h>

#include "frameinput.h"
#include "tensorcaps.h"
#include "stft/vg_spectral_stats.h"
#include "stft/vg_stft.h"

G_BEGIN_DECLS

#define GST_TYPE_STFT (gst_stft_get_type())
G_DECLARE_FINAL_TYPE(GstStft, gst_stft, GST, STFT, GstElement)

/* Property values are the kernel's enums, so the element maps them without a table. */
#define GST_TYPE_STFT_WINDOW  (gst_stft_window_get_type())
#define GST_TYPE_STFT_OUTPUT  (gst_stft_output_get_type())
#define GST_TYPE_STFT_PLANNER (gst_stft_planner_get_type())
GType gst_stft_window_get_type(void);
GType gst_stft_output_get_type(void);
GType gst_stft_planner_get_type(void);

typedef enum {
  GST_STFT_PLANNER_MEASURE,
  GST_STFT_PLANNER_ESTIMATE,
} GstStftPlanner;

/* Properties, as set (guarded by the object lock). */
typedef struct {
  guint n_fft, hop;
  VgWindowType window;
  gboolean center, mixdown;
  VgStftOutput output;
  gdouble db_floor;
  guint n_mels;
  gdouble fmin, fmax;
  GstStftPlanner planner;
  gchar *wisdom_file;
  gboolean post_messages;
  guint64 interval;
  guint periods;
  guint frames_per_buffer;
} GstStftSettings;

struct _GstStft {
  GstElement parent;
  GstPad *sinkpad, *srcpad;

  GstStftSettings props; /* object lock */
  gboolean reconfigure;  /* object lock: a property changed since the kernel was built */
  GstClockTime latency;  /* object lock: what the element adds (NONE before caps) */

  /* Streaming state: used by the streaming thread only (and by state changes once it stopped). */
  GstStftSettings cfg; /* the settings the kernel was built with (wisdom_file not kept) */
  VigilFrameFormat fmt;
  gboolean have_format;
  gboolean config_failed; /* the error was posted when the caps or properties were refused */
  VgStft *stft;
  VgFrameMean *mean;  /* stft messages: mean of the frames of the current interval */
  VgPeriods *periods; /* stft-periods messages */
  VigilTensorsInfo out_info;
  gsize frame_values; /* output values per frame */
  guint64 frames_per_interval;
  GArray *scratch; /* S16 input converted to float */
  GArray *pending; /* output frames not pushed yet (float) */
  GArray *amp;     /* their channel-mean amplitude spectra (float), with periods */
  guint n_pending;
  gboolean started;       /* t0 is set: a run of contiguous input has begun */
  GstClockTime t0;        /* time of input sample 0 of the run */
  guint64 next_frame;     /* index (within the run) of the first pending frame */
  guint64 interval_start; /* index of the first frame of the current message interval */
  gboolean discont;       /* the next output buffer starts a new run */
  GstSegment segment;
};

G_END_DECLS

#endif
