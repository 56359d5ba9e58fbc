// Scalar kernels: the reference the SIMD variants must agree with, and the
// path used when SIMD is off (setSimd('scalar')) or not available.
#include <algorithm>
#include <cmath>

#include "livefr/image.h"
#include "yuv_row.h"

namespace livefr {
namespace image {
namespace {

void VCombine(const uint8_t* const* rows, const float* w, int count, int n, float* out) {
  const uint8_t* r0 = rows[0];
  const float w0 = w[0];
  for (int i = 0; i < n; i++) out[i] = w0 * r0[i];
  for (int k = 1; k < count; k++) {
    const uint8_t* r = rows[k];
    const float wk = w[k];
    for (int i = 0; i < n; i++) out[i] += wk * r[i];
  }
}

void HResample(const float* acc, int C, const int32_t* idx, const float* w, int taps, int nx, const int* chmap,
               const float* scale, const float* bias, float* const* planes) {
  for (int x = 0; x < nx; x++) {
    for (int c = 0; c < 3; c++) {
      float s = 0;
      for (int j = 0; j < taps; j++) s += w[j * nx + x] * acc[idx[j * nx + x] + chmap[c]];
      planes[c][x] = s * scale[c] + bias[c];
    }
  }
}

void WarpRow(const uint32_t* region, int rw, int rh, float x0, float y0, float dx, float dy, int n,
             const int* chmap, const float* scale, const float* bias, float* const* planes) {
  const float maxX = static_cast<float>(rw - 1), maxY = static_cast<float>(rh - 1);
  for (int u = 0; u < n; u++) {
    const float fu = static_cast<float>(u);
    float sx = x0 + fu * dx, sy = y0 + fu * dy;
    sx = std::min(std::max(sx, 0.0f), maxX);
    sy = std::min(std::max(sy, 0.0f), maxY);
    const int ix = std::min(static_cast<int>(sx), rw - 2);
    const int iy = std::min(static_cast<int>(sy), rh - 2);
    const float fx = sx - static_cast<float>(ix), fy = sy - static_cast<float>(iy);
    const uint32_t* p = region + static_cast<size_t>(iy) * rw + ix;
    const uint32_t p00 = p[0], p01 = p[1], p10 = p[rw], p11 = p[rw + 1];
    for (int c = 0; c < 3; c++) {
      const int sh = 8 * chmap[c];
      const float a = static_cast<float>((p00 >> sh) & 255), b = static_cast<float>((p01 >> sh) & 255);
      const float d = static_cast<float>((p10 >> sh) & 255), e = static_cast<float>((p11 >> sh) & 255);
      const float top = a + fx * (b - a), bot = d + fx * (e - d);
      planes[c][u] = (top + fy * (bot - top)) * scale[c] + bias[c];
    }
  }
}

void YuvRow(const uint8_t* y, const uint8_t* u, const uint8_t* v, int uvStep, int x0, int n, uint8_t* rgb) {
  YuvRowImpl(y, u, v, uvStep, x0, n, rgb);
}

void PackRow(const uint8_t* src, int C, bool bgr, int n, uint32_t* dst) { PackRowImpl(src, C, bgr, n, dst); }

const Kernels kScalar = {VCombine, HResample, WarpRow, YuvRow, PackRow, nullptr};

}  // namespace

const Kernels& ScalarKernels() { return kScalar; }

}  // namespace image
}  // namespace livefr
