/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef NAIVE_OPS_H
#define NAIVE_OPS_H

#include "vg_ops.h"

/* Reads of columns the caller did not store (each one is an engine bug). */
extern int naive_bad_reads;
/* When set, a Conv whose output only a Relu reads applies that Relu itself and the Relu reports
 * itself fused (vg_ops_node_is_fused), as the AVX-512 kernels do: the engine then shares the two
 * values' streams. */
extern int naive_fuse_relus;

/* When set, every Conv of at least 2 taps can be split (vg_ops_conv_split, vg_ops_conv_taps), so
 * the engine's deferred taps (kernels/stream/vg_defer.h) run under VIGIL_DEFER=always; calls of
 * vg_ops_conv_taps are counted. */
extern int naive_defer;
extern int naive_split_calls;

#endif
