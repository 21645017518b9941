/* Vigil: the streaming half of the stft element (caps, buffers, events, messages).
 * gststft.c holds the GObject half (properties, pads, states).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VIGIL_STFT_STREAM_H
#define VIGIL_STFT_STREAM_H

#include "gststft.h"

G_BEGIN_DECLS

GstFlowReturn gst_stft_chain(GstPad *pad, GstObject *parent, GstBuffer *buf);
gboolean gst_stft_sink_event(GstPad *pad, GstObject *parent, GstEvent *event);
gboolean gst_stft_src_query(GstPad *pad, GstObject *parent, GstQuery *query);

/* Starts a new run: the next input sample is sample 0 and history is empty. */
void gst_stft_stream_reset(GstStft *self);
/* Frees the kernel and everything built from caps. */
void gst_stft_stream_free(GstStft *self);

G_END_DECLS

#endif
