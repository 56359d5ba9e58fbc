#include "livefr/common.h"

namespace livefr {

void InitDetect(Napi::Env env, Napi::Object exports) {
  // Bindings of this module are registered here.
}

}  // namespace livefr
