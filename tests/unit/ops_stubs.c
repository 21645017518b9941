/* TEMPORARY: stand-ins for the model loader's functions until branch onnx is merged. */
#include "vg_model.h"

const char *vg_op_name(VgOpType op)
{
  (void)op;
  return "op";
}

int vg_model_is_time_value(const VgModel *model, int value)
{
  return model->values[value].kind != VG_VALUE_CONST;
}
