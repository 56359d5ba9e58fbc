// Colour conversion of a whole frame into a new packed buffer.
#include <algorithm>
#include <vector>

#include "livefr/image.h"

namespace livefr {
namespace image {

void ConvertColor(const FrameView& f, Target to, uint8_t* out, SimdLevel level) {
  const Kernels& k = KernelsFor(level);
  const int w = f.width;
  if (to == Target::kGray && f.format == Format::kGray) {
    for (int y = 0; y < f.height; y++) {
      const uint8_t* row = f.data + static_cast<size_t>(y) * f.stride;
      std::copy(row, row + w, out + static_cast<size_t>(y) * w);
    }
    return;
  }
  std::vector<uint8_t> rgb(static_cast<size_t>(w) * 3);
  for (int y = 0; y < f.height; y++) {
    if (to == Target::kRgb) {
      RowToRgbWith(k, f, y, 0, w, out + static_cast<size_t>(y) * w * 3);
      continue;
    }
    RowToRgbWith(k, f, y, 0, w, rgb.data());
    if (to == Target::kBgr) {
      uint8_t* o = out + static_cast<size_t>(y) * w * 3;
      for (int i = 0; i < w; i++) o[3 * i] = rgb[3 * i + 2], o[3 * i + 1] = rgb[3 * i + 1], o[3 * i + 2] = rgb[3 * i];
    } else {
      uint8_t* o = out + static_cast<size_t>(y) * w;
      for (int i = 0; i < w; i++) o[i] = Luma(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
    }
  }
}

}  // namespace image
}  // namespace livefr
