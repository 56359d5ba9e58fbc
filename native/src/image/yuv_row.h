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

static inline void PackRowImpl(const uint8_t* src, int C, bool bgr, int n, uint32_t* dst) {
  const int r = bgr ? 2 : 0, b = bgr ? 0 : 2;
  if (C == 1) {
    for (int i = 0; i < n; i++) dst[i] = src[i] * 0x010101u;
    return;
  }
  for (int i = 0; i < n; i++) {
    const uint8_t* q = src + static_cast<size_t>(C) * i;
    dst[i] = static_cast<uint32_t>(q[r]) | (static_cast<uint32_t>(q[1]) << 8) | (static_cast<uint32_t>(q[b]) << 16);
  }
}

}  // namespace
}  // namespace image
}  // namespace livefr
