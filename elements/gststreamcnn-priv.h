/* streamcnn internals shared by gststreamcnn.c (object, events) and gststreamcnn-run.c (model,
 * caps, data flow).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GST_STREAM_CNN_PRIV_H
#define GST_STREAM_CNN_PRIV_H

#include "gststreamcnn.h"

GST_DEBUG_CATEGORY_EXTERN(gst_stream_cnn_debug);

/* READY->PAUSED: loads the model (posts an error naming the file and the reason on failure). */
gboolean gst_stream_cnn_load(GstStreamCnn *self);
void gst_stream_cnn_unload(GstStreamCnn *self);
/* Plans the stream for new sink caps and sets the src caps. */
gboolean gst_stream_cnn_setup(GstElement *element, GstCaps *caps);
/* Sends downstream upstream's segment with its stop moved to cover the outputs stamped there. */
gboolean gst_stream_cnn_push_segment(GstStreamCnn *self, guint32 seqnum);
/* Forgets every frame (flush, discontinuity). */
void gst_stream_cnn_restart(GstStreamCnn *self);
GstFlowReturn gst_stream_cnn_chain(GstPad *pad, GstObject *parent, GstBuffer *buf);

#endif
