// One NV12/I420 row to packed RGB. Included by each kernel translation unit
// (static, so each keeps its own copy compiled for its instruction set).
#pragma once

#include "livefr/image.h"

namespace livefr {
namespace image {
namespace {

static inline void YuvRowImpl(const uint8_t* y, const uint8_t* u, const uint8_t* v, int uvStep, int x0, int n,
                       uint8_t* rgb) {
  for (int i = 0; i < n; i++) {
    const int x = x0 + i;
    const int ci = (x >> 1) * uvStep;
    YuvToRgb(y[x], u[ci], v[ci], rgb + 3 * i);
  }
}

}  // namespace
}  // namespace image
}  // namespace livefr
