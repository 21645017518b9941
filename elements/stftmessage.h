/* Vigil: the bus messages of the stft element (structures `stft` and `stft-periods`).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VIGIL_STFT_MESSAGE_H
#define VIGIL_STFT_MESSAGE_H

#include <gst/gst.h>

#include "stft/vg_spectral_stats.h"

G_BEGIN_DECLS

/* Timing of a message interval: its first frame's time and its length. */
typedef struct {
  GstClockTime timestamp, duration;
  const GstSegment *segment;
} VigilStftTiming;

/* `stft`: the mean over the interval's frames of every output value, as an array of one list of
 * `bands` floats per channel. */
GstMessage *vigil_stft_message_new(GstObject *src, const VigilStftTiming *t, const gchar *output,
                                   const VgFrameMean *mean, guint bands, guint channels,
                                   gdouble *scratch);

/* `stft-periods`: the top periods of the interval (strongest first), in seconds and samples, with
 * their frequencies and mean amplitudes. */
GstMessage *vigil_stft_periods_message_new(GstObject *src, const VigilStftTiming *t,
                                           const VgPeriod *periods, guint n, gdouble rate);

G_END_DECLS

#endif
