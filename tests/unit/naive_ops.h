/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef NAIVE_OPS_H
#define NAIVE_OPS_H

#include "vg_ops.h"

/* Reads of columns the caller did not store (each one is an engine bug). */
extern int naive_bad_reads;

#endif
