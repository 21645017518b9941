/* Vigil: csvparse, delimited text (CSV) in, other/tensors frames out.
 * Reference: docs/elements/csvparse.md.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef GST_CSV_PARSE_H
#define GST_CSV_PARSE_H

#include <gst/gst.h>

G_BEGIN_DECLS

/* Optional field of csvparse's src caps: a GstValueArray of strings, one name per value of the
 * frame, in order. Other elements ignore it (it constrains nothing in NNStreamer's caps); csvenc
 * uses it for its header row. Elements that change the frame must not copy it. */
#define VIGIL_CAPS_COLUMN_NAMES "column-names"

#define GST_TYPE_CSV_PARSE (gst_csv_parse_get_type())
G_DECLARE_FINAL_TYPE(GstCsvParse, gst_csv_parse, GST, CSV_PARSE, GstElement)

typedef enum {
  GST_CSV_PARSE_DELIMITER_AUTO,
  GST_CSV_PARSE_DELIMITER_COMMA,
  GST_CSV_PARSE_DELIMITER_SEMICOLON,
  GST_CSV_PARSE_DELIMITER_TAB,
} GstCsvParseDelimiter;

#define GST_TYPE_CSV_PARSE_DELIMITER (gst_csv_parse_delimiter_get_type())
GType gst_csv_parse_delimiter_get_type(void);

G_END_DECLS

#endif
