/* Vigil: every element the plugin registers. plugins/vigil.c registers each one.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VIGIL_ELEMENTS_H
#define VIGIL_ELEMENTS_H

#include <gst/gst.h>

G_BEGIN_DECLS

/* One-time setup shared by all elements (debug categories, global numeric settings); each element's
 * GST_ELEMENT_REGISTER_DEFINE_WITH_CODE calls it, and it runs once. */
void vigil_element_init(GstPlugin *plugin);

GST_ELEMENT_REGISTER_DECLARE(csvparse);
GST_ELEMENT_REGISTER_DECLARE(csvenc);
GST_ELEMENT_REGISTER_DECLARE(anomalyscore);
GST_ELEMENT_REGISTER_DECLARE(stft);
GST_ELEMENT_REGISTER_DECLARE(dwt);

G_END_DECLS

#endif
