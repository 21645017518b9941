/* A walk over the protobuf wire format before protobuf-c unpacks it.
 *
 * protobuf-c unpacks nested messages recursively with no depth limit, so a small hostile file of
 * nested sub-messages (an attribute holding a graph holding a node holding an attribute...) could
 * overflow the stack. This walk follows the message descriptors that protoc-c generated, checks
 * every length against what remains, and refuses nesting deeper than VG_ONNX_MAX_DEPTH.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vg_onnx_priv.h"

/* Reads a varint at *p (< end); returns 0 when truncated or longer than 10 bytes. */
static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*p >= end)
      return 0;
    uint8_t byte = *(*p)++;
    v |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *out = v;
      return 1;
    }
  }
  return 0;
}

static int walk(const uint8_t *p, const uint8_t *end, const ProtobufCMessageDescriptor *desc,
                int depth, VgError *err)
{
  while (p < end) {
    uint64_t tag, len;
    if (!read_varint(&p, end, &tag))
      return vg_error_set(err, "truncated field tag in %s", desc->name);
    unsigned wire = (unsigned)(tag & 7);
    uint64_t field = tag >> 3;
    size_t left = (size_t)(end - p);
    switch (wire) {
    case 0: /* varint */
      if (!read_varint(&p, end, &len))
        return vg_error_set(err, "truncated varint in %s", desc->name);
      break;
    case 1: /* 64-bit */
    case 5: /* 32-bit */
      if (left < (wire == 1 ? 8u : 4u))
        return vg_error_set(err, "truncated fixed-size field in %s", desc->name);
      p += wire == 1 ? 8 : 4;
      break;
    case 2: { /* length-delimited: bytes, strings, packed arrays, sub-messages */
      if (!read_varint(&p, end, &len) || len > (uint64_t)(end - p))
        return vg_error_set(err, "field %llu of %s runs past the end of the data",
                            (unsigned long long)field, desc->name);
      const ProtobufCFieldDescriptor *f =
          field <= 0x1fffffff ? protobuf_c_message_descriptor_get_field(desc, (unsigned)field)
                              : NULL;
      if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
        if (depth + 1 > VG_ONNX_MAX_DEPTH)
          return vg_error_set(err, "messages nested deeper than %d levels", VG_ONNX_MAX_DEPTH);
        if (walk(p, p + len, f->descriptor, depth + 1, err) != VG_OK)
          return VG_ERR;
      }
      p += len;
      break;
    }
    default: /* groups (3, 4) and invalid wire types: not used by ONNX */
      return vg_error_set(err, "invalid wire type %u in %s", wire, desc->name);
    }
  }
  return VG_OK;
}

int vg_onnx_wire_check(const uint8_t *data, size_t size, const ProtobufCMessageDescriptor *desc,
                       VgError *err)
{
  return walk(data, data + size, desc, 0, err);
}
