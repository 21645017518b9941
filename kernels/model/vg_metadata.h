/* Vigil kernels: what a model file says about its input beyond the graph (vg_metadata.c).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_METADATA_H
#define VG_METADATA_H

#include "vg_model.h"

#define VG_META_INPUT_MEAN "vigil.input_mean"
#define VG_META_INPUT_STD  "vigil.input_std"

/* Sets model->input_mean, input_std and n_standardised from the two metadata values (either may be
 * NULL when absent; both absent is no standardisation). Fails with a message naming the key when
 * a list does not have one finite number per input channel or a deviation is not positive. */
int vg_model_read_standardisation(VgModel *m, const char *mean_text, const char *std_text,
                                  VgError *err);

/* out = (in - input_mean[c]) / input_std[c] for n_frames frames of channels x inner values each
 * (channel-major within a frame, as the column layout of the model's input). in may equal out.
 * A model without standardisation copies in to out. */
void vg_model_standardise(const VgModel *m, const float *in, float *out, int64_t n_frames,
                          int64_t inner);

#endif
