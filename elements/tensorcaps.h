/* Vigil: the static other/tensors caps that NNStreamer uses, and buffers that carry them.
 *
 * A frame is one value of every tensor at one instant. Caps describe one frame; a buffer carries
 * n >= 1 frames back to back (docs/tensors.md). Dimensions are innermost-first and colon-separated;
 * trailing 1s carry no meaning (NNStreamer pads ranks with them) and are dropped when parsed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VIGIL_TENSORCAPS_H
#define VIGIL_TENSORCAPS_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define VIGIL_TENSORS_MAX     16
#define VIGIL_TENSOR_RANK_MAX 8
/* Largest frame accepted from caps, in float32 values: bounds what hostile caps can make us
 * allocate. */
#define VIGIL_FRAME_VALUES_MAX (1u << 26)

/* For pad templates: any tensors stream. `format` is left out so that caps without it (static by
 * default) negotiate; a non-static format is refused when the caps are parsed, with a message. */
#define VIGIL_TENSORS_CAPS_TEMPLATE "other/tensors, framerate = (fraction) [ 0/1, 2147483647/1 ]"

#define VIGIL_TENSORS_ERROR (vigil_tensors_error_quark())
GQuark vigil_tensors_error_quark(void);

typedef struct {
  guint rank;                        /* number of significant dimensions; 0 for a scalar */
  guint dims[VIGIL_TENSOR_RANK_MAX]; /* innermost first */
} VigilTensorShape;

typedef struct {
  guint num_tensors;
  VigilTensorShape shapes[VIGIL_TENSORS_MAX];
  gint rate_n, rate_d; /* frames per second; 0/1 when the rate is variable */
} VigilTensorsInfo;

void vigil_tensors_info_init(VigilTensorsInfo *info, gint rate_n, gint rate_d);

/* Appends a tensor of the given shape (innermost first; trailing 1s dropped). FALSE when full. */
gboolean vigil_tensors_info_append(VigilTensorsInfo *info, guint rank, const guint *dims);

/* Values in one frame of one tensor, and of all tensors. */
gsize vigil_tensor_shape_values(const VigilTensorShape *shape);
gsize vigil_tensors_info_frame_values(const VigilTensorsInfo *info);

/* "8:3" for dims {8, 3}; "1" for a scalar. Free with g_free. */
gchar *vigil_tensor_shape_to_string(const VigilTensorShape *shape);

/* Parses and validates fixed caps. On failure returns FALSE with a message that names the field. */
gboolean vigil_tensors_info_from_caps(const GstCaps *caps, VigilTensorsInfo *info, GError **error);
gboolean vigil_tensors_info_from_structure(const GstStructure *s, VigilTensorsInfo *info,
                                           GError **error);

/* Fixed caps for info: format=static, num_tensors, types, dimensions, framerate. */
GstCaps *vigil_tensors_info_to_caps(const VigilTensorsInfo *info);

/* A buffer of tensors frames, mapped. With one tensor the whole buffer holds the frames back to
 * back; with several, memory i holds the frames of tensor i (NNStreamer's layout). */
typedef struct {
  guint n_frames;
  guint n_tensors;
  gfloat *data[VIGIL_TENSORS_MAX];
  GstMapInfo maps[VIGIL_TENSORS_MAX];
  GstMemory *mems[VIGIL_TENSORS_MAX];
  GstBuffer *buffer;
  gboolean whole_buffer;
} VigilTensorsMap;

/* Maps buf for flags (GST_MAP_READ or GST_MAP_WRITE) and checks that its size is a whole number of
 * frames of info. On failure nothing stays mapped and error says what was wrong. */
gboolean vigil_tensors_map(GstBuffer *buf, const VigilTensorsInfo *info, GstMapFlags flags,
                           VigilTensorsMap *map, GError **error);
void vigil_tensors_unmap(VigilTensorsMap *map);

/* A new buffer for n_frames frames of info, one memory per tensor. NULL if allocation fails. */
GstBuffer *vigil_tensors_buffer_new(const VigilTensorsInfo *info, guint n_frames);

/* Caps a sink pad refused, so that the error is posted once: GStreamer re-sends a refused sticky
 * CAPS event before every later buffer and serialized event. vigil_caps_refused_before() tells
 * whether `caps` were refused on this pad in the current stream (a new STREAM_START forgets);
 * vigil_caps_note() records the outcome of trying them. */
gboolean vigil_caps_refused_before(GstPad *pad, const GstCaps *caps);
void vigil_caps_note(GstPad *pad, GstCaps *caps, gboolean accepted);

/* An element's caps setter: TRUE if it took the caps, else FALSE with its error posted. */
typedef gboolean (*VigilSetCaps)(GstElement *element, GstCaps *caps);
/* Handles and consumes a CAPS event on a sink pad: calls set unless these caps were refused
 * before in this stream (their error is on the bus already) and notes the outcome. Returns
 * whether the caps are accepted. */
gboolean vigil_caps_event(GstPad *pad, GstEvent *event, VigilSetCaps set, GstElement *element);

G_END_DECLS

#endif
