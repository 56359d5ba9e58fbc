#include "livefr/common.h"

namespace livefr {

void InitImage(Napi::Env env, Napi::Object exports) {
  // Bindings of this module are registered here.
}

}  // namespace livefr
