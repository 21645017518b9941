/* Input standardisation carried by the model file.
 *
 * A model trained on standardised inputs carries the per-channel statistics as ONNX metadata:
 * `vigil.input_mean` and `vigil.input_std`, comma-separated numbers in channel order (the input's
 * C axis). Whoever runs the model computes (x - mean) / std on each input frame before the network,
 * so a pipeline feeds raw sensor values, as the model was trained. Absent: no standardisation.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vg_metadata.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv/vg_csv_number.h"

/* Parses a comma-separated list of exactly n finite numbers into out. */
static int parse_list(const char *key, const char *text, int n, float *out, locale_t c,
                      VgError *err)
{
  const char *p = text;
  for (int i = 0; i < n; i++) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (vg_csv_parse_float(p, len, 0, c, &out[i]) != 0 || !isfinite(out[i]))
      return vg_error_set(err,
                          "model metadata %s: the value of channel %d (counting from 0) is not a "
                          "finite number",
                          key, i);
    if (!end && i + 1 < n)
      return vg_error_set(err, "model metadata %s has %d values; the input has %d channels", key,
                          i + 1, n);
    p = end ? end + 1 : p + len;
    if (end && i + 1 == n)
      return vg_error_set(err, "model metadata %s has more values than the input's %d channels",
                          key, n);
  }
  return VG_OK;
}

int vg_model_read_standardisation(VgModel *m, const char *mean_text, const char *std_text,
                                  VgError *err)
{
  if (!mean_text && !std_text)
    return VG_OK;
  if (!mean_text || !std_text)
    return vg_error_set(err, "model metadata has %s without %s",
                        mean_text ? VG_META_INPUT_MEAN : VG_META_INPUT_STD,
                        mean_text ? VG_META_INPUT_STD : VG_META_INPUT_MEAN);
  const VgShape *in = &m->values[m->input].shape;
  int channels = in->rank >= 3 ? (int)in->dims[1] : 0;
  if (channels <= 0)
    return vg_error_set(err, "model metadata standardises an input without channels");
  locale_t c = vg_csv_c_locale_new();
  m->input_mean = malloc((size_t)channels * sizeof(float));
  m->input_std = malloc((size_t)channels * sizeof(float));
  int ret = VG_ERR;
  if (!c || !m->input_mean || !m->input_std)
    vg_error_set(err, "out of memory");
  else if (parse_list(VG_META_INPUT_MEAN, mean_text, channels, m->input_mean, c, err) == VG_OK &&
           parse_list(VG_META_INPUT_STD, std_text, channels, m->input_std, c, err) == VG_OK)
    ret = VG_OK;
  for (int i = 0; ret == VG_OK && i < channels; i++)
    /* a subnormal deviation turns ordinary inputs into infinities */
    if (!(m->input_std[i] >= FLT_MIN))
      ret = vg_error_set(err,
                         "model metadata %s: channel %d (counting from 0) has deviation %g "
                         "(must be > 0 and at least %g, the smallest normal float)",
                         VG_META_INPUT_STD, i, m->input_std[i], (double)FLT_MIN);
  if (c)
    freelocale(c);
  if (ret != VG_OK) {
    free(m->input_mean);
    free(m->input_std);
    m->input_mean = m->input_std = NULL;
    return ret;
  }
  m->n_standardised = channels;
  return VG_OK;
}

void vg_model_standardise(const VgModel *m, const float *in, float *out, int64_t n_frames,
                          int64_t inner)
{
  const int64_t channels = m->n_standardised;
  if (channels == 0) {
    if (out != in)
      memmove(out, in, (size_t)(n_frames * inner) * sizeof(float));
    return;
  }
  /* Divide rather than multiply by 1/std: bit-identical to (x - mean) / std as training computed
   * it in float32. */
  for (int64_t k = 0; k < n_frames; k++)
    for (int64_t c = 0; c < channels; c++)
      for (int64_t f = 0; f < inner; f++) {
        int64_t i = (k * channels + c) * inner + f;
        out[i] = (in[i] - m->input_mean[c]) / m->input_std[c];
      }
}
