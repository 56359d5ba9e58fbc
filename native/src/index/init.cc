#include "livefr/common.h"

namespace livefr {

void InitIndex(Napi::Env env, Napi::Object exports) {
  // Bindings of this module are registered here.
}

}  // namespace livefr
