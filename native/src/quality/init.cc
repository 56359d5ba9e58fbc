// N-API binding of the quality module: sharpness of many face boxes of one
// frame in one call. Synchronous on purpose: a face box is a few thousand
// pixels (about a microsecond of AVX2 work, less than the cost of queueing
// an AsyncWorker); boxes are clipped to the frame and capped in area.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "livefr/common.h"
#include "livefr/frame_arg.h"
#include "livefr/image.h"
#include "livefr/quality.h"

namespace livefr {
namespace {

using image::Format;

quality::RowSumsFn Kernel() {
#if defined(LIVEFR_SIMD)
  if (image::CurrentSimdLevel() != image::SimdLevel::kScalar) return quality::RowSumsAvx2;
#endif
  return quality::RowSumsScalar;
}

// Luma of rows [y0, y0 + rows) and columns [x0, x0 + cols) into `out` (cols bytes per row).
void PackedLuma(const image::FrameView& f, int x0, int y0, int cols, int rows, std::vector<uint8_t>* out) {
  out->resize(static_cast<size_t>(cols) * rows);
  const int C = image::ChannelsOf(f.format);
  const bool bgr = f.format == Format::kBgr || f.format == Format::kBgra;
  for (int r = 0; r < rows; r++) {
    const uint8_t* p = f.data + static_cast<size_t>(y0 + r) * f.stride + static_cast<size_t>(x0) * C;
    uint8_t* o = out->data() + static_cast<size_t>(r) * cols;
    for (int x = 0; x < cols; x++, p += C) o[x] = bgr ? image::Luma(p[2], p[1], p[0]) : image::Luma(p[0], p[1], p[2]);
  }
}

// sharpness(frame, boxes: Float32Array of x, y, width, height per face) ->
// Float64Array of [laplacian variance, intensity variance] per face.
Napi::Value Sharpness(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject()) ThrowType(env, "frame", "a Frame object");
  const image::FrameView f = ParseFrame(env, info[0], "frame").view;
  size_t count = 0;
  const float* boxes = GetFloats(env, info[1], "boxes", &count);
  if (count % 4 != 0) ThrowRange(env, "boxes", "a Float32Array of 4 values (x, y, width, height) per face");
  const size_t n = count / 4;
  Napi::Float64Array out = Napi::Float64Array::New(env, 2 * n);
  const bool planar = f.format == Format::kGray || f.format == Format::kNv12 || f.format == Format::kI420;
  const quality::RowSumsFn rowSums = Kernel();
  std::vector<uint8_t> luma;
  for (size_t i = 0; i < n; i++) {
    const float* b = boxes + 4 * i;
    out[2 * i] = 0;
    out[2 * i + 1] = 0;
    if (!(std::isfinite(b[0]) && std::isfinite(b[1]) && std::isfinite(b[2]) && std::isfinite(b[3]))) continue;
    const int x0 = static_cast<int>(std::max(0.0f, std::min(b[0], static_cast<float>(f.width))));
    const int y0 = static_cast<int>(std::max(0.0f, std::min(b[1], static_cast<float>(f.height))));
    const int x1 = static_cast<int>(std::max(0.0f, std::min(b[0] + b[2], static_cast<float>(f.width))));
    const int y1 = static_cast<int>(std::max(0.0f, std::min(b[1] + b[3], static_cast<float>(f.height))));
    const int cols = x1 - x0, rows = y1 - y0;
    if (cols < 3 || rows < 3) continue;
    const uint8_t* base;
    size_t stride;
    if (planar) {
      base = f.data + static_cast<size_t>(y0) * f.stride + x0;
      stride = static_cast<size_t>(f.stride);
    } else {
      PackedLuma(f, x0, y0, cols, rows, &luma);
      base = luma.data();
      stride = static_cast<size_t>(cols);
    }
    quality::LaplaceSums s;
    for (int r = 1; r + 1 < rows; r++) rowSums(base + (r - 1) * stride, base + r * stride, base + (r + 1) * stride, cols, &s);
    if (s.n == 0) continue;
    const double nn = static_cast<double>(s.n);
    const double ml = s.sl / nn, mi = s.si / nn;
    out[2 * i] = std::max(0.0, s.sl2 / nn - ml * ml);
    out[2 * i + 1] = std::max(0.0, s.si2 / nn - mi * mi);
  }
  return out;
}

}  // namespace

void InitQuality(Napi::Env env, Napi::Object exports) {
  exports.Set("qualitySharpness", Napi::Function::New(env, Sharpness, "qualitySharpness"));
}

}  // namespace livefr
