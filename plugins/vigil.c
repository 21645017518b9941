/* Vigil: the plugin. Registers every element; nothing else lives here.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include "vigilelements.h"

static gboolean plugin_init(GstPlugin *plugin)
{
  gboolean ok = FALSE; /* the plugin loads if any element registers */
  ok |= GST_ELEMENT_REGISTER(csvparse, plugin);
  ok |= GST_ELEMENT_REGISTER(csvenc, plugin);
  ok |= GST_ELEMENT_REGISTER(anomalyscore, plugin);
  ok |= GST_ELEMENT_REGISTER(stft, plugin);
  ok |= GST_ELEMENT_REGISTER(dwt, plugin);
  return ok;
}

GST_PLUGIN_DEFINE(
    GST_VERSION_MAJOR, GST_VERSION_MINOR, vigil,
    "Streaming CNN inference, FFT and wavelet front ends, and anomaly scoring for live "
    "sensor and audio streams",
    plugin_init, VIGIL_VERSION, VIGIL_LICENSE, "vigil", VIGIL_ORIGIN)
