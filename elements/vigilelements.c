/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vigilelements.h"

GST_DEBUG_CATEGORY(vigil_debug);

void vigil_element_init(GstPlugin *plugin)
{
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    GST_DEBUG_CATEGORY_INIT(vigil_debug, "vigil", 0, "Vigil plugin");
    g_once_init_leave(&done, 1);
  }
}
