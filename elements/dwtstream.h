/* Vigil: the streaming half of the dwt element (dwtstream.c); gstdwt.c holds the GObject half.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VIGIL_DWT_STREAM_H
#define VIGIL_DWT_STREAM_H

#include "gstdwt.h"

G_BEGIN_DECLS

/* Largest EOS tail buffer, unless one frame is larger. */
#define GST_DWT_TAIL_BYTES ((gsize)4 << 20)

GstFlowReturn gst_dwt_chain(GstPad *pad, GstObject *parent, GstBuffer *in);
/* Pushes the DWT tail of the segment (and its message) and resets the kernels and times. */
GstFlowReturn gst_dwt_drain(GstDwt *self);
/* Forgets the stream (kernels and times) without output. */
void gst_dwt_reset_state(GstDwt *self);
/* The next input frame starts a new segment of time. */
void gst_dwt_reset_time(GstDwt *self);

G_END_DECLS

#endif
