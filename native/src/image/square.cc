// Square crops with TensorFlow's legacy bilinear resize (livefr/image.h
// SquareCrops): the input convention of face-api.js's networks, computed in
// double precision like the TypeScript reference it replaces, so results
// match face-api's to float rounding.
#include <algorithm>
#include <cmath>
#include <vector>

#include "livefr/image.h"

namespace livefr {
namespace image {

namespace {

// Source sample positions along one axis of the square.
struct Axis {
  std::vector<int> i0, i1;  // region index of the two neighbours, -1 in the zero padding
  std::vector<double> w;    // weight of i1
};

Axis MakeAxis(int size, int side, int offset, int extent) {
  Axis a;
  a.i0.resize(static_cast<size_t>(size));
  a.i1.resize(static_cast<size_t>(size));
  a.w.resize(static_cast<size_t>(size));
  const double scale = static_cast<double>(side) / size;
  auto region = [&](int s) {
    const int r = s - offset;
    return r < 0 || r >= extent ? -1 : r;
  };
  for (int d = 0; d < size; d++) {
    const double src = d * scale;
    const int s0 = static_cast<int>(std::floor(src));
    a.i0[static_cast<size_t>(d)] = region(s0);
    a.i1[static_cast<size_t>(d)] = region(std::min(s0 + 1, side - 1));
    a.w[static_cast<size_t>(d)] = src - s0;
  }
  return a;
}

}  // namespace

void SquareCrops(const FrameView& f, const SquareCrop* crops, int n, const SquareParams& p, float* out, SimdLevel level) {
  const Kernels& kern = KernelsFor(level);
  const int S = p.size;
  const size_t plane = static_cast<size_t>(S) * S;
  std::vector<uint8_t> row0, row1;
  for (int c = 0; c < n; c++) {
    const SquareCrop& q = crops[c];
    const Axis ax = MakeAxis(S, q.side, q.ox, q.w);
    const Axis ay = MakeAxis(S, q.side, q.oy, q.h);
    row0.resize(static_cast<size_t>(q.w) * 3);
    row1.resize(static_cast<size_t>(q.w) * 3);
    int have0 = -2, have1 = -2;  // region rows held in row0 / row1
    float* dst = out + static_cast<size_t>(c) * 3 * plane;
    for (int dy = 0; dy < S; dy++) {
      const int r0 = ay.i0[static_cast<size_t>(dy)], r1 = ay.i1[static_cast<size_t>(dy)];
      if (r0 >= 0 && r0 != have0) {
        if (r0 == have1) std::swap(row0, row1), std::swap(have0, have1);
        else RowToRgbWith(kern, f, q.y + r0, q.x, q.w, row0.data()), have0 = r0;
      }
      if (r1 >= 0 && r1 != have1) {
        if (r1 == have0) row1 = row0, have1 = have0;
        else RowToRgbWith(kern, f, q.y + r1, q.x, q.w, row1.data()), have1 = r1;
      }
      const double wy = ay.w[static_cast<size_t>(dy)];
      for (int ch = 0; ch < 3; ch++) {
        float* o = dst + ch * plane + static_cast<size_t>(dy) * S;
        const double m = p.mean[ch], sd = p.std[ch];
        for (int dx = 0; dx < S; dx++) {
          const int a = ax.i0[static_cast<size_t>(dx)], e = ax.i1[static_cast<size_t>(dx)];
          const double tl = r0 < 0 || a < 0 ? 0 : row0[static_cast<size_t>(a) * 3 + ch];
          const double tr = r0 < 0 || e < 0 ? 0 : row0[static_cast<size_t>(e) * 3 + ch];
          const double bl = r1 < 0 || a < 0 ? 0 : row1[static_cast<size_t>(a) * 3 + ch];
          const double br = r1 < 0 || e < 0 ? 0 : row1[static_cast<size_t>(e) * 3 + ch];
          const double wx = ax.w[static_cast<size_t>(dx)];
          const double top = tl + (tr - tl) * wx;
          const double bottom = bl + (br - bl) * wx;
          o[dx] = static_cast<float>((top + (bottom - top) * wy - m) / sd);
        }
      }
    }
  }
}

}  // namespace image
}  // namespace livefr
