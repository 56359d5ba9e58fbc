// Frame layouts and per-row conversion to packed RGB (scalar reference).
#include <algorithm>

#include "livefr/image.h"

namespace livefr {
namespace image {

int ChannelsOf(Format f) {
  switch (f) {
    case Format::kRgb:
    case Format::kBgr:
      return 3;
    case Format::kRgba:
    case Format::kBgra:
      return 4;
    default:
      return 1;
  }
}

size_t RequiredBytes(Format f, int width, int height, int stride) {
  if (width < 1 || height < 1 || stride < 1) return 0;
  const size_t w = static_cast<size_t>(width), h = static_cast<size_t>(height), s = static_cast<size_t>(stride);
  const size_t cw = (w + 1) / 2, ch = (h + 1) / 2;
  switch (f) {
    case Format::kNv12:
      if (s < 2 * cw) return 0;
      return s * h + s * (ch - 1) + 2 * cw;
    case Format::kI420: {
      if (s < w) return 0;
      const size_t cs = (s + 1) / 2;
      return s * h + cs * ch + cs * (ch - 1) + cw;
    }
    default: {
      const size_t c = static_cast<size_t>(ChannelsOf(f));
      if (s < w * c) return 0;
      return s * (h - 1) + w * c;
    }
  }
}

void RowToRgb(const FrameView& f, int y, int x0, int n, uint8_t* rgb) {
  const uint8_t* row = f.data + static_cast<size_t>(y) * f.stride;
  switch (f.format) {
    case Format::kRgb:
      std::copy(row + 3 * x0, row + 3 * (x0 + n), rgb);
      return;
    case Format::kBgr:
      for (int i = 0; i < n; i++) {
        const uint8_t* p = row + 3 * (x0 + i);
        rgb[3 * i] = p[2], rgb[3 * i + 1] = p[1], rgb[3 * i + 2] = p[0];
      }
      return;
    case Format::kRgba:
      for (int i = 0; i < n; i++) {
        const uint8_t* p = row + 4 * (x0 + i);
        rgb[3 * i] = p[0], rgb[3 * i + 1] = p[1], rgb[3 * i + 2] = p[2];
      }
      return;
    case Format::kBgra:
      for (int i = 0; i < n; i++) {
        const uint8_t* p = row + 4 * (x0 + i);
        rgb[3 * i] = p[2], rgb[3 * i + 1] = p[1], rgb[3 * i + 2] = p[0];
      }
      return;
    case Format::kGray:
      for (int i = 0; i < n; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = row[x0 + i];
      return;
    case Format::kNv12: {
      const uint8_t* uv = f.data + static_cast<size_t>(f.stride) * f.height + static_cast<size_t>(y / 2) * f.chromaStride;
      for (int i = 0; i < n; i++) {
        const int x = x0 + i;
        YuvToRgb(row[x], uv[2 * (x / 2)], uv[2 * (x / 2) + 1], rgb + 3 * i);
      }
      return;
    }
    case Format::kI420: {
      const size_t ch = static_cast<size_t>((f.height + 1) / 2);
      const uint8_t* u = f.data + static_cast<size_t>(f.stride) * f.height + static_cast<size_t>(y / 2) * f.chromaStride;
      const uint8_t* v = u + ch * f.chromaStride;
      for (int i = 0; i < n; i++) {
        const int x = x0 + i;
        YuvToRgb(row[x], u[x / 2], v[x / 2], rgb + 3 * i);
      }
      return;
    }
  }
}

}  // namespace image
}  // namespace livefr
