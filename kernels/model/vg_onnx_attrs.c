/* ONNX node attributes with their defaults, type-checked.
 *
 * An attribute of the wrong type is an error naming it (a hostile file must not make an INT be read
 * from a FLOATS). Exporters set `type`; files written without it are accepted when the field that
 * holds the value is present.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include "vg_onnx_priv.h"

const Onnx__AttributeProto *vg_attr_find(const Onnx__NodeProto *np, const char *name)
{
  for (size_t i = 0; i < np->n_attribute; i++) {
    const Onnx__AttributeProto *a = np->attribute[i];
    if (a->name && strcmp(a->name, name) == 0)
      return a;
  }
  return NULL;
}

static int has_type(const Onnx__AttributeProto *a, Onnx__AttributeProto__AttributeType type,
                    int field_present)
{
  if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
    return a->type == type;
  return field_present;
}

static int wrong_type(const char *name, const char *want, VgError *err)
{
  return vg_error_set(err, "attribute '%s' should be %s", name, want);
}

int vg_attr_int(const Onnx__NodeProto *np, const char *name, int64_t def, int64_t *out,
                VgError *err)
{
  const Onnx__AttributeProto *a = vg_attr_find(np, name);
  if (!a) {
    *out = def;
    return VG_OK;
  }
  if (!has_type(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, a->has_i))
    return wrong_type(name, "an int", err);
  *out = a->i;
  return VG_OK;
}

int vg_attr_float(const Onnx__NodeProto *np, const char *name, float def, float *out, VgError *err)
{
  const Onnx__AttributeProto *a = vg_attr_find(np, name);
  if (!a) {
    *out = def;
    return VG_OK;
  }
  if (!has_type(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, a->has_f))
    return wrong_type(name, "a float", err);
  *out = a->f;
  return VG_OK;
}

int vg_attr_ints(const Onnx__NodeProto *np, const char *name, int64_t *out, int max, int *n,
                 VgError *err)
{
  const Onnx__AttributeProto *a = vg_attr_find(np, name);
  *n = -1;
  if (!a)
    return VG_OK;
  if (!has_type(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, 1))
    return wrong_type(name, "a list of ints", err);
  if (a->n_ints > (size_t)max)
    return vg_error_set(err, "attribute '%s' has %zu values (at most %d)", name, a->n_ints, max);
  for (size_t i = 0; i < a->n_ints; i++)
    out[i] = a->ints[i];
  *n = (int)a->n_ints;
  return VG_OK;
}

int vg_attr_string(const Onnx__NodeProto *np, const char *name, const char *def, char *out,
                   size_t cap, VgError *err)
{
  const Onnx__AttributeProto *a = vg_attr_find(np, name);
  if (!a) {
    snprintf(out, cap, "%s", def);
    return VG_OK;
  }
  if (!has_type(a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, a->has_s))
    return wrong_type(name, "a string", err);
  size_t len = a->s.len < cap - 1 ? a->s.len : cap - 1;
  if (len)
    memcpy(out, a->s.data, len);
  out[len] = '\0';
  return VG_OK;
}
