/* Internal to kernels/stream: helpers the plan and the engine share.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef VG_PLAN_PRIV_H
#define VG_PLAN_PRIV_H

#include "vg_stream.h"

int vg_plan_first_time_input(const VgModel *m, const VgNode *node, const VgPlanValue *pv);
double vg_plan_node_flops(const VgModel *m, const VgNode *node, const VgShape *shapes);

#endif
