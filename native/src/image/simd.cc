// Run-time choice of the kernel table from the CPU's features, with a
// user override (setSimd) so the scalar path stays tested.
#include <atomic>

#include "livefr/common.h"
#include "livefr/image.h"

namespace livefr {
namespace image {
namespace {

bool Available(SimdLevel level) {
  if (level == SimdLevel::kScalar) return true;
#if defined(LIVEFR_SIMD)
  const CpuFeatures& cpu = GetCpuFeatures();
  if (level == SimdLevel::kAvx2) return cpu.avx2 && cpu.fma;
  if (level == SimdLevel::kAvx512) return cpu.avx2 && cpu.fma && cpu.avx512f && cpu.avx512bw;
#endif
  return false;
}

std::atomic<int>& Current() {
  static std::atomic<int> level{static_cast<int>(BestSimdLevel())};
  return level;
}

}  // namespace

SimdLevel BestSimdLevel() {
  if (Available(SimdLevel::kAvx512)) return SimdLevel::kAvx512;
  if (Available(SimdLevel::kAvx2)) return SimdLevel::kAvx2;
  return SimdLevel::kScalar;
}

SimdLevel CurrentSimdLevel() { return static_cast<SimdLevel>(Current().load()); }

bool SetSimdLevel(SimdLevel level) {
  if (!Available(level)) return false;
  Current().store(static_cast<int>(level));
  return true;
}

const char* SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512:
      return "avx512";
    case SimdLevel::kAvx2:
      return "avx2";
    default:
      return "scalar";
  }
}

const Kernels& KernelsFor(SimdLevel level) {
#if defined(LIVEFR_SIMD)
  if (level == SimdLevel::kAvx512 && Available(level)) return Avx512Kernels();
  if (level == SimdLevel::kAvx2 && Available(level)) return Avx2Kernels();
#endif
  return ScalarKernels();
}

void RowToRgbWith(const Kernels& k, const FrameView& f, int y, int x0, int n, uint8_t* rgb) {
  if (f.format != Format::kNv12 && f.format != Format::kI420) return RowToRgb(f, y, x0, n, rgb);
  const uint8_t* yr = f.data + static_cast<size_t>(y) * f.stride;
  const uint8_t* u = f.data + static_cast<size_t>(f.stride) * f.height + static_cast<size_t>(y / 2) * f.chromaStride;
  if (f.format == Format::kNv12) return k.yuvrow(yr, u, u + 1, 2, x0, n, rgb);
  k.yuvrow(yr, u, u + static_cast<size_t>((f.height + 1) / 2) * f.chromaStride, 1, x0, n, rgb);
}

}  // namespace image
}  // namespace livefr
