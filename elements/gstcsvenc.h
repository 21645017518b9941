/* Vigil: csvenc, other/tensors frames in, CSV text out (one row per frame).
 * Reference: docs/elements/csvenc.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GST_CSV_ENC_H
#define GST_CSV_ENC_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_CSV_ENC (gst_csv_enc_get_type())
G_DECLARE_FINAL_TYPE(GstCsvEnc, gst_csv_enc, GST, CSV_ENC, GstElement)

G_END_DECLS

#endif
