/* ONNX TensorProto (initializers, Constant values) to floats, with every size checked first.
 *
 * A tensor's values are either in raw_data (little-endian, tightly packed) or in the typed repeated
 * field of its type (float_data, double_data, int32_data, int64_data). The count must equal the
 * product of the dims exactly: a file that says otherwise is malformed, never read past its end.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "vg_onnx_priv.h"

static const char *tensor_name(const Onnx__TensorProto *t)
{
  return t->name && t->name[0] ? t->name : "(unnamed)";
}

const char *vg_onnx_type_name(int32_t type)
{
  static const char *const names[] = {"undefined",  "float32", "uint8",  "int8",   "uint16",
                                      "int16",      "int32",   "int64",  "string", "bool",
                                      "float16",    "float64", "uint32", "uint64", "complex64",
                                      "complex128", "bfloat16"};
  if (type >= 0 && (size_t)type < sizeof names / sizeof names[0])
    return names[type];
  return "unknown";
}

static size_t elem_size(int32_t type)
{
  switch (type) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
    return 1;
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
    return 4;
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    return 8;
  default:
    return 0;
  }
}

/* Shape and element count, refusing ranks and dims beyond the VG_MAX_* limits. */
static int tensor_shape(const Onnx__TensorProto *t, VgShape *shape, int64_t *count, VgError *err)
{
  if (t->n_dims > VG_MAX_RANK)
    return vg_error_set(err, "tensor '%s' has rank %zu (at most %d)", tensor_name(t), t->n_dims,
                        VG_MAX_RANK);
  int64_t n = 1;
  shape->rank = (int)t->n_dims;
  for (size_t i = 0; i < t->n_dims; i++) {
    if (t->dims[i] < 0 || t->dims[i] > VG_MAX_DIM)
      return vg_error_set(err, "tensor '%s' has dimension %lld", tensor_name(t),
                          (long long)t->dims[i]);
    shape->dims[i] = t->dims[i];
    n *= t->dims[i];
    if (n > VG_MAX_CONST_VALUES)
      return vg_error_set(err, "tensor '%s' is too large", tensor_name(t));
  }
  *count = n;
  return VG_OK;
}

/* Reads element i of a little-endian raw buffer of the given type as a double. */
static double raw_at(const uint8_t *raw, int32_t type, size_t i)
{
  switch (type) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: {
    float v;
    memcpy(&v, raw + 4 * i, 4);
    return v;
  }
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: {
    int32_t v;
    memcpy(&v, raw + 4 * i, 4);
    return v;
  }
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
    double v;
    memcpy(&v, raw + 8 * i, 8);
    return v;
  }
  case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
    return raw[i] != 0;
  default: {
    int64_t v;
    memcpy(&v, raw + 8 * i, 8);
    return (double)v;
  }
  }
}

/* Element i from the typed field matching the type; the caller checked the field's length. */
static double typed_at(const Onnx__TensorProto *t, size_t i)
{
  switch (t->data_type) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
    return t->float_data[i];
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
    return t->int32_data[i];
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
    return t->double_data[i];
  case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: /* ONNX keeps bools in int32_data */
    return t->int32_data[i] != 0;
  default:
    return (double)t->int64_data[i];
  }
}

static size_t typed_count(const Onnx__TensorProto *t)
{
  switch (t->data_type) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
    return t->n_float_data;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
  case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
    return t->n_int32_data;
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
    return t->n_double_data;
  default:
    return t->n_int64_data;
  }
}

/* Checks type, location and count; *raw is the raw buffer or NULL for the typed field. */
static int tensor_source(const Onnx__TensorProto *t, int64_t count, const uint8_t **raw,
                         VgError *err)
{
  size_t es = elem_size(t->data_type);
  if (es == 0)
    return vg_error_set(err,
                        "tensor '%s' has data type %s (%d) (Vigil reads float32, float64, int32, "
                        "int64, bool)%s",
                        tensor_name(t), vg_onnx_type_name(t->data_type), (int)t->data_type,
                        VG_ONNX_FLOAT_HINT(t->data_type));
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return vg_error_set(err, "tensor '%s' keeps its data in an external file (not supported)",
                        tensor_name(t));
  if (t->segment)
    return vg_error_set(err, "tensor '%s' is segmented (not supported)", tensor_name(t));
  *raw = NULL;
  if (t->has_raw_data && t->raw_data.len > 0) {
    if (t->raw_data.len != (size_t)count * es)
      return vg_error_set(err, "tensor '%s' has %zu bytes of raw data for %lld values",
                          tensor_name(t), t->raw_data.len, (long long)count);
    *raw = t->raw_data.data;
  } else if (typed_count(t) != (size_t)count) {
    return vg_error_set(err, "tensor '%s' has %zu values for %lld expected", tensor_name(t),
                        typed_count(t), (long long)count);
  }
  return VG_OK;
}

int vg_onnx_tensor_read(const Onnx__TensorProto *t, VgShape *shape, float **data, VgError *err)
{
  int64_t count = 0;
  const uint8_t *raw;
  if (tensor_shape(t, shape, &count, err) != VG_OK || tensor_source(t, count, &raw, err) != VG_OK)
    return VG_ERR;
  float *d = malloc((size_t)(count > 0 ? count : 1) * sizeof *d);
  if (!d)
    return vg_error_set(err, "out of memory reading tensor '%s'", tensor_name(t));
  for (int64_t i = 0; i < count; i++)
    d[i] = (float)(raw ? raw_at(raw, t->data_type, (size_t)i) : typed_at(t, (size_t)i));
  *data = d;
  return VG_OK;
}
