/* Vigil: the dwt element, streaming wavelet transforms (decimated DWT and stationary SWT).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GST_DWT_H
#define GST_DWT_H

#include <gst/gst.h>

#include "frameinput.h"
#include "tensorcaps.h"
#include "dwt/vg_dwt.h"
#include "dwt/vg_swt.h"

G_BEGIN_DECLS

typedef enum {
  GST_DWT_TRANSFORM_DWT,
  GST_DWT_TRANSFORM_SWT,
} GstDwtTransform;

#define GST_TYPE_DWT_TRANSFORM (gst_dwt_transform_get_type())
GType gst_dwt_transform_get_type(void);

typedef enum {
  GST_DWT_LAYOUT_TENSORS, /* J + 1 tensors cA_J, cD_J, ..., cD_1 (docs/tensors.md) */
  GST_DWT_LAYOUT_PACKED,  /* one tensor 2^J:C holding them one after the other per signal */
} GstDwtLayout;

#define GST_TYPE_DWT_LAYOUT (gst_dwt_layout_get_type())
GType gst_dwt_layout_get_type(void);

#define GST_TYPE_DWT (gst_dwt_get_type())
G_DECLARE_FINAL_TYPE(GstDwt, gst_dwt, GST, DWT, GstElement)

struct _GstDwt {
  GstElement parent;
  GstPad *sinkpad, *srcpad;

  /* properties (object lock); read when caps arrive */
  GstDwtTransform transform;
  gchar *wavelet;
  guint levels;
  GstDwtLayout layout;

  /* streaming state (stream lock) */
  GstDwtTransform active; /* the transform the kernels below were built for */
  guint active_levels;
  gboolean packed;
  VigilFrameFormat in_fmt;
  GstSegment segment;
  VigilTensorsInfo out_info;
  VgDwt *dwt;
  VgSwt *swt;
  GArray *unpacked;        /* the J + 1 tensors before packing (layout=packed) */
  GArray *scratch;         /* S16 to float conversion */
  GstClockTime seg_start;  /* time of the first input frame since the last reset */
  GstClockTime block_time; /* time of the first input frame of the block being filled */
  gboolean discont;        /* the next output starts a segment: flag it DISCONT */
  GstClockTime latency;    /* added by transform=dwt (object lock); NONE: nothing to add */
  guint64 seg_frames;      /* input frames since the last reset */
};

G_END_DECLS

#endif
